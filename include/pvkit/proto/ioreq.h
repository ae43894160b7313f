/* SPDX-License-Identifier: MIT */
/*
 * Wire ABI: HVM I/O requests (the layout of Xen's hvm/ioreq.h): how a
 * hypervisor hands a trapped port or MMIO access to a device model.
 *
 * The synchronous page (struct pv_shared_iopage) holds one 32-byte
 * struct pv_ioreq per vCPU, indexed by vCPU id. A request slot moves
 * through four states, each change published after a barrier:
 *
 *   NONE --(hypervisor fills the slot)--> READY --notify vp_eport-->
 *   INPROCESS (device model copied it) --(device model writes data for a
 *   read)--> IORESP_READY --notify vp_eport--> NONE (hypervisor consumed)
 *
 * The device model must copy the slot before acting on it, check that the
 * state is READY, and bound size (1, 2, 4 or 8) and count; the vCPU stays
 * paused until the response.
 *
 * The buffered page (struct pv_buffered_iopage) is a ring of 511 8-byte
 * writes the hypervisor posts without waiting (e.g. VGA writes): the
 * device model consumes from read_pointer to write_pointer (indices modulo
 * PV_IOREQ_BUFFER_SLOT_NUM); an 8-byte write takes two slots, the second
 * holding the high 32 bits.
 *
 * struct pv_ioreq (32 bytes)
 *   offset size field
 *   0      8    addr      port, physical address, or PCI config address:
 *                         segment 63-48 | bus 47-40 | device 39-35 |
 *                         function 34-32 | register 31-0
 *   8      8    data      the value, or the guest physical address of the
 *                         data when PV_IOREQ_DATA_IS_PTR
 *   16     4    count     repetitions (rep ins/outs/movs)
 *   20     4    size      bytes per access
 *   24     4    vp_eport  event channel of this vCPU's slot
 *   28     2    _pad0
 *   30     1    flags     state bits 0-3, data_is_ptr bit 4, dir bit 5
 *                         (1 = read), df bit 6 (addresses go down)
 *   31     1    type      PV_IOREQ_TYPE_*
 * (Xen declares byte 30 as bit fields; on the little-endian hosts Xen
 * runs on they fill the byte from bit 0 up, as the masks below say.)
 *
 * struct pv_buf_ioreq (8 bytes): a 32-bit word with type bits 0-7,
 * (pad bit 8), dir bit 9, size bits 10-11 (0:1 1:2 2:4 3:8 bytes),
 * addr bits 12-31 (20 bits), then a 32-bit data word.
 *
 * Finding the pages: the legacy default server's pages are the guest
 * frames in HVM params PV_HVM_PARAM_IOREQ_PFN and PV_HVM_PARAM_BUFIOREQ_PFN
 * (buffered channel in PV_HVM_PARAM_BUFIOREQ_EVTCHN); an ioreq server
 * created with the device-model op gets its own pair. No xenstore keys.
 */
#ifndef PVKIT_PROTO_IOREQ_H
#define PVKIT_PROTO_IOREQ_H

#include <stddef.h>
#include <stdint.h>

/* dir */
#define PV_IOREQ_READ  1
#define PV_IOREQ_WRITE 0

/* state */
#define PV_STATE_IOREQ_NONE      0
#define PV_STATE_IOREQ_READY     1
#define PV_STATE_IOREQ_INPROCESS 2
#define PV_STATE_IORESP_READY    3

/* type */
#define PV_IOREQ_TYPE_PIO        0 /* port I/O */
#define PV_IOREQ_TYPE_COPY       1 /* MMIO */
#define PV_IOREQ_TYPE_PCI_CONFIG 2
#define PV_IOREQ_TYPE_TIMEOFFSET 7
#define PV_IOREQ_TYPE_INVALIDATE 8 /* drop the device model's map cache */

/* struct pv_ioreq.flags */
#define PV_IOREQ_STATE_MASK  0x0fu
#define PV_IOREQ_DATA_IS_PTR 0x10u
#define PV_IOREQ_DIR         0x20u /* set: PV_IOREQ_READ */
#define PV_IOREQ_DF          0x40u

struct pv_ioreq {
	uint64_t addr;
	uint64_t data;
	uint32_t count;
	uint32_t size;
	uint32_t vp_eport;
	uint16_t _pad0;
	uint8_t flags; /* PV_IOREQ_STATE_MASK | PV_IOREQ_DATA_IS_PTR | ... */
	uint8_t type;  /* PV_IOREQ_TYPE_* */
};

static inline unsigned int pv_ioreq_state(const struct pv_ioreq *r)
{
	return r->flags & PV_IOREQ_STATE_MASK;
}

static inline unsigned int pv_ioreq_dir(const struct pv_ioreq *r)
{
	return (r->flags & PV_IOREQ_DIR) ? PV_IOREQ_READ : PV_IOREQ_WRITE;
}

/* Slots of the synchronous page: one per vCPU. */
#define PV_IOREQ_PER_PAGE (4096u / sizeof(struct pv_ioreq))

/*
 * The synchronous page. Xen declares vcpu_ioreq[1] and indexes past it;
 * pvkit declares the whole page so that indexing stays in bounds.
 */
struct pv_shared_iopage {
	struct pv_ioreq vcpu_ioreq[4096 / 32];
};

/* One buffered write. */
struct pv_buf_ioreq {
	uint32_t word; /* type, dir, size, addr: PV_BUF_IOREQ_* */
	uint32_t data;
};

#define PV_BUF_IOREQ_TYPE_MASK  0xffu
#define PV_BUF_IOREQ_DIR        (1u << 9)
#define PV_BUF_IOREQ_SIZE_SHIFT 10
#define PV_BUF_IOREQ_SIZE_MASK  0x3u
#define PV_BUF_IOREQ_ADDR_SHIFT 12
#define PV_BUF_IOREQ_ADDR_MASK  0xfffffu

#define PV_IOREQ_BUFFER_SLOT_NUM 511

struct pv_buffered_iopage {
	uint32_t read_pointer;  /* written by the device model */
	uint32_t write_pointer; /* written by the hypervisor */
	struct pv_buf_ioreq buf_ioreq[PV_IOREQ_BUFFER_SLOT_NUM];
};

/* HVM params naming the default server's pages and channel. */
#define PV_HVM_PARAM_IOREQ_PFN       5
#define PV_HVM_PARAM_BUFIOREQ_PFN    6
#define PV_HVM_PARAM_BUFIOREQ_EVTCHN 26

/* ACPI PM register blocks, by HVM_PARAM_ACPI_IOPORTS_LOCATION version. */
#define PV_ACPI_PM1A_EVT_BLK_ADDRESS_V0 0x1f40
#define PV_ACPI_PM1A_CNT_BLK_ADDRESS_V0 (PV_ACPI_PM1A_EVT_BLK_ADDRESS_V0 + 0x04)
#define PV_ACPI_PM_TMR_BLK_ADDRESS_V0   (PV_ACPI_PM1A_EVT_BLK_ADDRESS_V0 + 0x08)
#define PV_ACPI_GPE0_BLK_ADDRESS_V0     (PV_ACPI_PM_TMR_BLK_ADDRESS_V0 + 0x20)
#define PV_ACPI_GPE0_BLK_LEN_V0         0x08
#define PV_ACPI_PM1A_EVT_BLK_ADDRESS_V1 0xb000
#define PV_ACPI_PM1A_CNT_BLK_ADDRESS_V1 (PV_ACPI_PM1A_EVT_BLK_ADDRESS_V1 + 0x04)
#define PV_ACPI_PM_TMR_BLK_ADDRESS_V1   (PV_ACPI_PM1A_EVT_BLK_ADDRESS_V1 + 0x08)
#define PV_ACPI_GPE0_BLK_ADDRESS_V1     0xafe0
#define PV_ACPI_GPE0_BLK_LEN_V1         0x04

_Static_assert(sizeof(struct pv_ioreq) == 32, "ioreq is 32 bytes");
_Static_assert(offsetof(struct pv_ioreq, flags) == 30, "ioreq flags byte at 30");
_Static_assert(sizeof(struct pv_shared_iopage) == 4096, "shared iopage is one page");
_Static_assert(sizeof(struct pv_buf_ioreq) == 8, "buf ioreq is 8 bytes");
_Static_assert(sizeof(struct pv_buffered_iopage) == 4096, "buffered iopage is one page");

#endif

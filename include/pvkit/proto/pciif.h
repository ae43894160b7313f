/* SPDX-License-Identifier: MIT */
/*
 * Wire ABI: the para-virtual PCI protocol (the layout of Xen's io/pciif.h):
 * one shared page through which a guest asks its PCI backend for config
 * space accesses and MSI/MSI-X setup of passed-through devices.
 *
 * There is no ring: the page holds one operation at a time.
 *   1. The frontend fills op (cmd, device, offset, size, value), then sets
 *      PV_PCIF_ACTIVE in flags (atomically, after a write barrier) and
 *      notifies the event channel.
 *   2. The backend copies op out, validates it (the device must be one
 *      assigned to this guest; offset and size in range), performs it,
 *      writes err and value back, clears PV_PCIF_ACTIVE (after a write
 *      barrier) and notifies.
 * PCIe AER runs the other way with aer_op and PV_PCIB_ACTIVE: the backend
 * reports an error to a frontend that set PV_PCIB_AERHANDLER.
 *
 *   offset  size  field
 *   0       4     flags          PV_PCIF_* / PV_PCIB_* bits
 *   4       548   op             struct pv_pci_op
 *     4       4     cmd          PV_PCI_OP_*
 *     8       4     err          PV_PCI_ERR_* (out)
 *     12      4     domain       PCI segment
 *     16      4     bus
 *     20      4     devfn        device << 3 | function
 *     24      4     offset       config space offset
 *     28      4     size         1, 2 or 4 bytes
 *     32      4     value        in for writes, out for reads
 *     36      4     info         MSI(-X): number of vectors / entries
 *     40      512   msix_entries[128]  vector(2) entry(2)
 *   552     20    aer_op         cmd, err, domain, bus, devfn
 *
 * Xen's ops (cmd 0-10) as pvkit's backend (pvkit-pciback) answers them
 *   cmd              in                           out
 *   CONF_READ        domain bus devfn offset size value (err DEV_NOT_FOUND /
 *                                                 INVALID_OFFSET)
 *   CONF_WRITE       ... offset size value        err: ACCESS_DENIED when the
 *                                                 config filter refuses it
 *                                                 (permissive from opts-<n>)
 *   ENABLE_MSI       domain bus devfn             value: an EVENT CHANNEL PORT
 *                                                 (> 0) where Xen gives a pirq;
 *                                                 OP_FAILED when already on
 *   DISABLE_MSI      domain bus devfn             value 0
 *   ENABLE_MSIX      value: count (1..table size), value: 0 on success, else
 *                    msix_entries[i].entry         -errno (as Linux's pciback);
 *                    (each < table size, no        msix_entries[i].vector: the
 *                    duplicates: XSA-164 bounds)   event channel port of entry i;
 *                                                 out of bounds: ACCESS_DENIED,
 *                                                 value -EINVAL
 *   DISABLE_MSIX     domain bus devfn             value 0
 *   anything else    -                            err NOT_IMPLEMENTED
 * Every op names the device by the address the guest sees (vdev-<n>);
 * a device not assigned to this guest gets DEV_NOT_FOUND.
 *
 * pvkit extensions (cmd >= PV_PCI_OP_PVKIT_BASE, a range Xen never uses;
 * Xen's and Linux's pciback answer them NOT_IMPLEMENTED, so a frontend can
 * tell which backend it has). Their arguments live in op.ext, which
 * overlays msix_entries (page offset 40):
 *   offset  size  field
 *   40      4     ext.bar     BAR index 0-5, 6: the expansion ROM
 *   44      4     ext.flags   PV_PCI_BAR_* (BAR_INFO, out)
 *   48      8     ext.size    bytes of the BAR, 0: not implemented (out)
 *   56      8     ext.offset  byte offset in the BAR (in)
 *   64      8     ext.data    the value, little-endian, low op.size bytes
 *   (the 8-byte fields are only 4-byte aligned: copy the op out first.)
 *
 *   cmd          in                          out
 *   BAR_INFO     ext.bar                     ext.size, ext.flags
 *   BAR_READ     ext.bar ext.offset op.size  ext.data
 *                (1, 2, 4 or 8; offset aligned to size; inside the BAR,
 *                else INVALID_OFFSET)
 *   BAR_WRITE    ext.bar ext.offset op.size ext.data
 *                (ACCESS_DENIED into the MSI-X table or the ROM)
 *   INTX_ENABLE  -                           value: event channel port (> 0)
 *                                            (ACCESS_DENIED: no INTx pin)
 *   INTX_DISABLE -                           -
 *   INTX_ACK     -                           - (unmask: the line is masked at
 *                                            each interrupt until acked, after
 *                                            the driver cleared the cause)
 *   RESET        -                           interrupts off first (ports
 *                                            closed); NOT_IMPLEMENTED when the
 *                                            device offers no reset
 *
 * Interrupts as event channels (pvkit): for ENABLE_MSI, ENABLE_MSIX and
 * INTX_ENABLE the backend allocates an unbound port for the frontend's
 * domain (one per vector) and returns its number; the frontend binds it
 * with pv_evtchn_bind_interdomain(backend-id, port). Every interrupt of
 * that vector is one notify on the port (an interrupt raised before the
 * bind stays pending). DISABLE_* (and detach, or the frontend closing)
 * unbinds the backend's ports: the frontend sees them closed and unbinds
 * its own. Enabling a second kind while one is on gives ACCESS_DENIED.
 *
 * DMA (pvkit): each assigned device's IOMMU maps exactly the guest's
 * shareable memory, at bus address (IOVA) = guest-physical address. In a
 * guest on the local platform a guest-physical address is the offset in
 * the domain's memory: pv_dma_alloc() (include/pvkit/platform.h) gives
 * pages and their guest-physical address, pv_dma_phys() translates any
 * address inside them; program that number into the device.
 *
 * Xenstore keys (where libxl and Linux's pciback/pcifront put them)
 * ==============
 * Frontend: /local/domain/<fe>/device/pci/0/ (one bus per guest)
 * Backend:  /local/domain/<be>/backend/pci/<fe>/0/
 *
 * Backend keys
 *   key          values              default  notes
 *   frontend, frontend-id, online, state     -        proto/xenbus.h (toolstack)
 *   domain       guest name          -        (toolstack)
 *   num_devs     uint32              0        number of dev-<n> entries (toolstack)
 *   key-<n>      "SSSS:BB:DD.F"      -        same as dev-<n> (toolstack)
 *   dev-<n>      "SSSS:BB:DD.F"      -        host device n (toolstack)
 *   opts-<n>     "msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict"
 *                                    -        (toolstack; permissive=1 widens
 *                                             the config filter)
 *   vdevfn-<n>   hex devfn           -        requested guest slot (toolstack,
 *                                             only when the spec has @slot)
 *   state-<n>    XenbusState         -        per device: 1 toolstack adds,
 *                                             3 backend exported it, 5 toolstack
 *                                             removes, 6 backend released it (or
 *                                             could not export it: "error" says
 *                                             why; the other devices go on)
 *   vdev-<n>     "SSSS:BB:DD.FF"     -        the address the guest sees
 *                                             (backend; note %02x function)
 *   root_num     uint32              0        number of root-<n> (backend)
 *   root-<n>     "SSSS:BB"           -        a bus the guest scans (backend;
 *                                             pvkit-pciback: one, "0000:00")
 *
 * Frontend keys
 *   key            values       default  notes
 *   pci-op-ref     grant ref    -        the shared page (granted to the backend)
 *   event-channel  port         -        the frontend's unbound port for ops
 *   magic          "7"          -        PV_PCI_MAGIC: protocol version
 *
 * The handshake
 *   backend  1 -> 2 (InitWait) -> exports dev-<n>, writes vdev-<n>,
 *            state-<n> = 3, root_num, root-0 -> 3 (Initialised)
 *   frontend 1 -> writes pci-op-ref, event-channel, magic -> 3
 *   backend  maps the page, binds the channel -> 4 (Connected)
 *   frontend reads root-<n>/vdev-<n>, probes -> 4
 * A backend that restarts opens the devices at state 3 again and goes
 * back through InitWait to Initialised; a frontend that sees it leave
 * Connected goes Closing/Closed/Initialising and connects again (a new
 * event channel: the old one died with the backend's end).
 *
 * Hot-plug while connected (libxl_pci.c, xen-pciback, xen-pcifront)
 *   toolstack  add: dev-<n>.. with state-<n> = 1, num_devs + 1;
 *              remove: state-<n> = 5; then backend state = 7 (Reconfiguring)
 *   frontend   sees backend 7: drops the devices whose state-<n> is 5,
 *              then switches to 7
 *   backend    sees frontend 7: state-<n> 1 -> export, vdev-<n>, 3;
 *              state-<n> 5 -> interrupts off, unmap, reset, release, 6;
 *              then switches to 8 (Reconfigured)
 *   frontend   sees backend 8: probes devices at state 3 -> 4
 *   backend    sees frontend 4 -> 4
 *   toolstack  waits for backend 4, then (remove) deletes dev-<n>'s keys
 *              and renumbers the later ones down; the last device removed
 *              removes both directories.
 */
#ifndef PVKIT_PROTO_PCIIF_H
#define PVKIT_PROTO_PCIIF_H

#include <stddef.h>
#include <stdint.h>

/* Value of the frontend "magic" key. */
#define PV_PCI_MAGIC "7"

/* flags: bit numbers and masks. */
#define PV_PCIF_ACTIVE_BIT     0 /* frontend: an op is pending */
#define PV_PCIB_AERHANDLER_BIT 1 /* frontend: it handles AER */
#define PV_PCIB_ACTIVE_BIT     2 /* backend: an AER op is pending */
#define PV_PCIF_ACTIVE         (1u << PV_PCIF_ACTIVE_BIT)
#define PV_PCIB_AERHANDLER     (1u << PV_PCIB_AERHANDLER_BIT)
#define PV_PCIB_ACTIVE         (1u << PV_PCIB_ACTIVE_BIT)

/* op.cmd */
#define PV_PCI_OP_CONF_READ        0
#define PV_PCI_OP_CONF_WRITE       1
#define PV_PCI_OP_ENABLE_MSI       2
#define PV_PCI_OP_DISABLE_MSI      3
#define PV_PCI_OP_ENABLE_MSIX      4
#define PV_PCI_OP_DISABLE_MSIX     5
#define PV_PCI_OP_AER_DETECTED     6
#define PV_PCI_OP_AER_RESUME       7
#define PV_PCI_OP_AER_MMIO         8
#define PV_PCI_OP_AER_SLOTRESET    9
#define PV_PCI_OP_ENABLE_MULTI_MSI 10

/* op.cmd: pvkit extensions (see the table above). */
#define PV_PCI_OP_PVKIT_BASE   0x1000
#define PV_PCI_OP_BAR_INFO     0x1000
#define PV_PCI_OP_BAR_READ     0x1001
#define PV_PCI_OP_BAR_WRITE    0x1002
#define PV_PCI_OP_INTX_ENABLE  0x1003
#define PV_PCI_OP_INTX_DISABLE 0x1004
#define PV_PCI_OP_INTX_ACK     0x1005
#define PV_PCI_OP_RESET        0x1006

/* ext.bar: the expansion ROM's index. */
#define PV_PCI_BAR_ROM 6

/* ext.flags (BAR_INFO) */
#define PV_PCI_BAR_MMIO     (1u << 0) /* memory space */
#define PV_PCI_BAR_IO       (1u << 1) /* I/O port space */
#define PV_PCI_BAR_PREFETCH (1u << 2) /* prefetchable memory */
#define PV_PCI_BAR_64       (1u << 3) /* 64-bit memory BAR (takes two dwords) */

/* op.err */
#define PV_PCI_ERR_SUCCESS         0
#define PV_PCI_ERR_DEV_NOT_FOUND   (-1)
#define PV_PCI_ERR_INVALID_OFFSET  (-2)
#define PV_PCI_ERR_ACCESS_DENIED   (-3)
#define PV_PCI_ERR_NOT_IMPLEMENTED (-4)
#define PV_PCI_ERR_OP_FAILED       (-5) /* the real hardware refused */

/* MSI-X entries the page carries. */
#define PV_PCI_SH_INFO_MAX_VEC 128

struct pv_msix_entry {
	uint16_t vector; /* out: the guest's vector (pirq) */
	uint16_t entry;  /* in: the MSI-X table entry */
};

/* A 64-bit field at 4-byte alignment (op.ext sits at page offset 40). */
typedef uint64_t pv_pci_u64 __attribute__((aligned(4)));

/* Arguments of the pvkit extension ops; overlays msix_entries. */
struct pv_pci_op_ext {
	uint32_t bar;      /* BAR index, PV_PCI_BAR_ROM */
	uint32_t flags;    /* PV_PCI_BAR_* (out) */
	pv_pci_u64 size;   /* bytes of the BAR (out) */
	pv_pci_u64 offset; /* byte offset in the BAR (in) */
	pv_pci_u64 data;   /* the value, low op.size bytes (in or out) */
};

struct pv_pci_op {
	uint32_t cmd;    /* PV_PCI_OP_* */
	int32_t err;     /* PV_PCI_ERR_* */
	uint32_t domain; /* PCI segment */
	uint32_t bus;
	uint32_t devfn;
	int32_t offset; /* config space offset */
	int32_t size;   /* 1, 2 or 4 */
	uint32_t value;
	uint32_t info; /* vectors or MSI-X entries in use */
	union {
		struct pv_msix_entry msix_entries[PV_PCI_SH_INFO_MAX_VEC];
		struct pv_pci_op_ext ext; /* pvkit extension ops */
	};
};

struct pv_pcie_aer_op {
	uint32_t cmd;
	int32_t err;
	uint32_t domain;
	uint32_t bus;
	uint32_t devfn;
};

struct pv_pci_sharedinfo {
	uint32_t flags; /* PV_PCIF_* / PV_PCIB_* */
	struct pv_pci_op op;
	struct pv_pcie_aer_op aer_op;
};

_Static_assert(sizeof(struct pv_pci_op_ext) == 32, "pci op ext");
_Static_assert(offsetof(struct pv_pci_op, ext) == 36, "ext at page offset 40");
_Static_assert(sizeof(struct pv_pci_op) == 548, "pci op");
_Static_assert(offsetof(struct pv_pci_sharedinfo, aer_op) == 552, "aer op at 552");
_Static_assert(sizeof(struct pv_pci_sharedinfo) == 572, "pci shared info");

#endif

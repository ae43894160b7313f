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
 * Xenstore keys
 * =============
 * Frontend: /local/domain/<fe>/device/pci/0/ (one device per guest)
 * Backend:  /local/domain/<be>/backend/pci/<fe>/0/
 *
 * Backend keys
 *   key          values              default  notes
 *   num_devs     uint32              0        number of dev-<n> entries (toolstack)
 *   dev-<n>      "SSSS:BB:DD.F"      -        host device n (toolstack)
 *   opts-<n>     "k=v,..."           ""       msitranslate, permissive, ... (toolstack)
 *   vdevfn-<n>   hex devfn           -        requested guest slot (toolstack)
 *   state-<n>    XenbusState         -        per-device hotplug state
 *   vdev-<n>     "SSSS:BB:DD.F"      -        the address the guest sees (backend)
 *   root_num     uint32              0        number of root-<n> (backend, when
 *   root-<n>     "SSSS:BB"           -        the guest scans real bus numbers)
 *
 * Frontend keys
 *   key            values       default  notes
 *   pci-op-ref     grant ref    -        the shared page
 *   event-channel  port         -
 *   magic          "7"          -        PV_PCI_MAGIC: protocol version
 *
 * Devices are added and removed while connected through
 * Reconfiguring/Reconfigured (proto/xenbus.h).
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
	struct pv_msix_entry msix_entries[PV_PCI_SH_INFO_MAX_VEC];
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

_Static_assert(sizeof(struct pv_pci_op) == 548, "pci op");
_Static_assert(offsetof(struct pv_pci_sharedinfo, aer_op) == 552, "aer op at 552");
_Static_assert(sizeof(struct pv_pci_sharedinfo) == 572, "pci shared info");

#endif

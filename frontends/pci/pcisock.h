/* SPDX-License-Identifier: MIT */
/*
 * Inside one guest: the socket between pcifront (pvkit-guest, the guest's
 * "kernel") and the drivers that use include/pvkit/pcidev.h (the guest's
 * processes). Not a wire ABI between domains: both ends are this tree.
 *
 * pcifront listens on <rundir>/dom/<domid>/pci.sock (SOCK_SEQPACKET, mode
 * 0600 as pvkit-guest's user made it: the guest's admin gives a driver's
 * user access with chown/chmod, as udev gives a device node to a group).
 * One request message, one reply message; a reply may carry one fd
 * (SCM_RIGHTS): the eventfd of PV_PCISOCK_IRQ_ENABLE, the guest-memory
 * file of PV_PCISOCK_MEM. pcifront checks every field of a request: a
 * driver is a guest process, not trusted by the guest's kernel.
 */
#ifndef PVKIT_PCISOCK_H
#define PVKIT_PCISOCK_H

#include <stdint.h>

#include "pvkit/proto/pciif.h"

#define PV_PCISOCK_NAME "pci.sock"
#define PV_PCISOCK_MAX_DEVS 16 /* devices one guest's pcifront serves */

/* Requests: op, and what the reply's value / value2 / count mean. */
enum pv_pcisock_op {
	PV_PCISOCK_LIST = 1,   /* -> count devices in devs[] (index in dev_id) */
	PV_PCISOCK_CFG_READ,   /* dev, offset, len 1/2/4 -> value */
	PV_PCISOCK_CFG_WRITE,  /* dev, offset, len, value */
	PV_PCISOCK_BAR_INFO,   /* dev, bar -> value size, value2 flags */
	PV_PCISOCK_BAR_READ,   /* dev, bar, offset, len 4/8 -> value */
	PV_PCISOCK_BAR_WRITE,  /* dev, bar, offset, len 4/8, value */
	PV_PCISOCK_IRQ_ENABLE, /* dev, arg = kind (pcidev.h), len = MSI-X entries -> fd */
	PV_PCISOCK_IRQ_DISABLE,/* dev */
	PV_PCISOCK_IRQ_ACK,    /* dev: INTx handled, unmask it */
	PV_PCISOCK_MEM,        /* -> fd (the guest's memory), value = its size */
	PV_PCISOCK_DMA_ALLOC,  /* len bytes -> value = bus (guest-physical) address */
	PV_PCISOCK_DMA_FREE,   /* value = bus address from DMA_ALLOC */
	PV_PCISOCK_RESET,      /* dev */
};

struct pv_pcisock_req {
	uint32_t op;     /* enum pv_pcisock_op */
	uint32_t dev;    /* a dev_id from PV_PCISOCK_LIST */
	uint32_t arg;    /* BAR number, interrupt kind */
	uint32_t len;    /* access width, bytes, MSI-X entry count */
	uint64_t offset; /* config or BAR offset */
	uint64_t value;  /* to write; bus address to free */
	uint16_t entries[PV_PCI_SH_INFO_MAX_VEC]; /* MSI-X table entries */
};

struct pv_pcisock_devinfo {
	uint32_t dev_id;  /* slot | generation << 8: stale after the device is detached */
	char bdf[16];     /* the address the guest sees (vdev-N) */
};

struct pv_pcisock_rsp {
	int32_t err;     /* 0 or -errno */
	uint32_t count;  /* LIST: devices in devs[]; IRQ_ENABLE: vectors */
	uint64_t value;
	uint64_t value2;
	struct pv_pcisock_devinfo devs[PV_PCISOCK_MAX_DEVS];
};

#endif

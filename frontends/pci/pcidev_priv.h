/* SPDX-License-Identifier: MIT */
/*
 * What pcidev.c (the API, guest mode over pci.sock) and pcidev_direct.c
 * (direct mode over VFIO, domain 0) share. Not a public API.
 */
#ifndef PVKIT_PCIDEV_PRIV_H
#define PVKIT_PCIDEV_PRIV_H

#include "pvkit/pcidev.h"
#include "pvkit/pcihost.h"
#include "pcisock.h"

struct pv_vfio_dev;

#define PCIDEV_PAGE 4096u
#define PCIDEV_MAX_DEVS 16

struct pv_pcidev {
	struct pv_pcidev_bus *bus;
	struct pv_vfio_dev *vfio;     /* direct mode; NULL in guest mode */
	uint32_t dev_id;              /* guest mode: pcifront's handle */
	uint16_t vendor, device;
	uint32_t class_code;
	int efd;                      /* interrupts, -1: off */
	enum pv_pcidev_irq_kind kind;
	pv_pcidev_irq_fn fn;
	void *opaque;
	char bdf[PV_PCI_BDF_LEN];
};

struct pv_pcidev_bus {
	int sock;                     /* guest mode: pci.sock; -1 in direct mode */
	int memfd;                    /* the guest's memory (direct: our own) */
	uint8_t *mem;                 /* all of it, mapped here */
	uint64_t mem_size;
	uint8_t *used;                /* direct mode: one byte per page, allocated or not */
	unsigned int ndevs;
	struct pv_pcidev dev[PCIDEV_MAX_DEVS];
};

/* Record a reason in @err and give @rc (taken before the reason is formatted). */
#define pcidev_fail(err, errlen, rc, ...)                                                          \
	({                                                                                         \
		int rc_ = (rc);                                                                    \
		if ((err) && (errlen))                                                             \
			snprintf((err), (errlen), __VA_ARGS__);                                    \
		rc_;                                                                               \
	})

/* pcidev_direct.c: the same calls in direct mode. */
int pcidev_direct_cfg_read(struct pv_pcidev *dev, unsigned int offset, unsigned int size, uint32_t *val);
int pcidev_direct_cfg_write(struct pv_pcidev *dev, unsigned int offset, unsigned int size, uint32_t val);
uint64_t pcidev_direct_bar_size(struct pv_pcidev *dev, unsigned int bar);
int pcidev_direct_bar_map(struct pv_pcidev *dev, unsigned int bar, volatile void **addr, size_t *len);
int pcidev_direct_bar_access(struct pv_pcidev *dev, unsigned int bar, uint64_t offset, void *val,
			     unsigned int len, int write);
int pcidev_direct_irq_enable(struct pv_pcidev *dev, enum pv_pcidev_irq_kind kind);
int pcidev_direct_irq_disable(struct pv_pcidev *dev);
int pcidev_direct_irq_ack(struct pv_pcidev *dev);
int pcidev_direct_dma_alloc(struct pv_pcidev_bus *bus, size_t size, void **va, uint64_t *bus_addr);
void pcidev_direct_dma_free(struct pv_pcidev_bus *bus, void *va, size_t size);
void pcidev_direct_close(struct pv_pcidev_bus *bus);

#endif

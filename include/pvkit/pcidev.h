/* SPDX-License-Identifier: MIT */
/*
 * The guest's PCI driver API: a driver for a passed-through device uses it
 * as it would bare metal: find the device by vendor/device/class, read and
 * write config space, map its BARs or access them by offset, enable INTx or
 * MSI with the interrupts delivered to an eventfd and a callback, allocate
 * DMA buffers in guest memory and hand the device their bus addresses.
 *
 * The model of this first version, honestly: the "guest" is the process
 * that opens the bus. It owns the guest memory (a memfd, as pvkitd gives a
 * domain) and holds each assigned device through domain 0's VFIO layer
 * (include/pvkit/vfio.h) in the same process, so it needs access to
 * /dev/vfio/<group> (root, or the group's device node chowned to it).
 * What the device can reach is fixed by that layer, not by the driver: the
 * guest memory is mapped in the IOMMU at bus address = offset in the memfd
 * and nothing else is; config writes pass the xen-pciback-like filter.
 * Interrupts arrive on eventfds, not yet as event channels; devices are not
 * yet handed over from a separate domain-0 process.
 *
 * Every function returns 0 (or a value where stated) or -errno.
 */
#ifndef PVKIT_PCIDEV_H
#define PVKIT_PCIDEV_H

#include <stddef.h>
#include <stdint.h>

struct pv_pcidev_bus;
struct pv_pcidev;

#define PV_PCIDEV_ANY 0xffffu /* wildcard vendor or device in pv_pcidev_find() */

enum pv_pcidev_irq_kind {
	PV_PCIDEV_INTX = 0,
	PV_PCIDEV_MSI = 1,
};

/*
 * Open the guest's PCI bus: @mem_bytes of guest memory (a multiple of
 * 4096) and the devices in @bdfs (comma-separated BDFs, each bound to
 * vfio-pci; NULL or "": none), each given DMA access to exactly that
 * memory. On failure @err (may be NULL) gets a reason.
 */
int pv_pcidev_bus_open(struct pv_pcidev_bus **out, const char *bdfs, uint64_t mem_bytes,
		       char *err, size_t errlen);
/* Close every device (interrupts off, DMA and BAR mappings removed, reset) and the memory. */
void pv_pcidev_bus_close(struct pv_pcidev_bus *bus);

/*
 * The @index-th device (0-based) matching @vendor and @device (or
 * PV_PCIDEV_ANY) and (class_code & @class_mask) == @class_code (mask 0:
 * any class). NULL when there is none.
 */
struct pv_pcidev *pv_pcidev_find(struct pv_pcidev_bus *bus, uint16_t vendor, uint16_t device,
				 uint32_t class_code, uint32_t class_mask, unsigned int index);
/* Its address on the host ("0000:00:03.0"), vendor, device and class (base<<16|sub<<8|if). */
const char *pv_pcidev_bdf(const struct pv_pcidev *dev);
uint16_t pv_pcidev_vendor(const struct pv_pcidev *dev);
uint16_t pv_pcidev_device(const struct pv_pcidev *dev);
uint32_t pv_pcidev_class(const struct pv_pcidev *dev);

/* Config space: @size 1, 2 or 4, aligned. A write the filter refuses: -EPERM. */
int pv_pcidev_cfg_read(struct pv_pcidev *dev, unsigned int offset, unsigned int size, uint32_t *val);
int pv_pcidev_cfg_write(struct pv_pcidev *dev, unsigned int offset, unsigned int size, uint32_t val);

/* BAR @bar's size (0: none). */
uint64_t pv_pcidev_bar_size(struct pv_pcidev *dev, unsigned int bar);
/* Map BAR @bar into this process (MMIO: use volatile accesses). -ENOTSUP: not mappable. */
int pv_pcidev_bar_map(struct pv_pcidev *dev, unsigned int bar, volatile void **addr, size_t *len);
/* Access BAR @bar by offset (works whether or not it can be mapped). */
int pv_pcidev_read32(struct pv_pcidev *dev, unsigned int bar, uint64_t offset, uint32_t *val);
int pv_pcidev_write32(struct pv_pcidev *dev, unsigned int bar, uint64_t offset, uint32_t val);
int pv_pcidev_read64(struct pv_pcidev *dev, unsigned int bar, uint64_t offset, uint64_t *val);
int pv_pcidev_write64(struct pv_pcidev *dev, unsigned int bar, uint64_t offset, uint64_t val);

/* Called by pv_pcidev_irq_poll() with how many interrupts arrived since the last call. */
typedef void (*pv_pcidev_irq_fn)(struct pv_pcidev *dev, uint64_t count, void *opaque);

/*
 * Enable @kind interrupts (one vector) delivered to an eventfd the call
 * returns (pollable, POLLIN; read it or use pv_pcidev_irq_poll()); @fn may
 * be NULL. For INTx, call pv_pcidev_irq_ack() after clearing the cause in
 * the device. Enabling another kind disables the first.
 */
int pv_pcidev_irq_enable(struct pv_pcidev *dev, enum pv_pcidev_irq_kind kind,
			 pv_pcidev_irq_fn fn, void *opaque);
int pv_pcidev_irq_disable(struct pv_pcidev *dev);
int pv_pcidev_irq_ack(struct pv_pcidev *dev);
/*
 * Wait up to @timeout_ms (-1: forever) for interrupts; calls the callback
 * and returns how many arrived (0: timeout).
 */
int pv_pcidev_irq_poll(struct pv_pcidev *dev, int timeout_ms);

/*
 * Allocate @size bytes (rounded up to 4096) of guest memory for DMA:
 * *@va is where the driver reads and writes it, *@bus_addr what to
 * program into the device. Zeroed. -ENOMEM when the guest memory is full.
 */
int pv_pcidev_dma_alloc(struct pv_pcidev_bus *bus, size_t size, void **va, uint64_t *bus_addr);
void pv_pcidev_dma_free(struct pv_pcidev_bus *bus, void *va, size_t size);
/* The guest memory's size: bus addresses at or above it are not the guest's. */
uint64_t pv_pcidev_mem_size(const struct pv_pcidev_bus *bus);

#endif

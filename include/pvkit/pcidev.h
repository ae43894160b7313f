/* SPDX-License-Identifier: MIT */
/*
 * The guest's PCI driver API: a driver for a passed-through device uses it
 * as it would bare metal: find the device by vendor/device/class, read and
 * write config space, access its BARs by offset, enable INTx, MSI or MSI-X
 * with the interrupts delivered as event channels (to an eventfd and a
 * callback here), allocate DMA buffers in guest memory and hand the
 * device their bus addresses.
 *
 * Guest mode (pv_pcidev_bus_open()): the driver is an ordinary process of
 * the guest. It talks to the guest's PCI frontend (pcifront in
 * pvkit-guest) over <rundir>/dom/<domid>/pci.sock; pcifront forwards each
 * access as one op of proto/pciif.h to domain 0's backend, which holds the
 * device through VFIO and filters every config write. The driver needs no
 * root and no /dev/vfio: only access to pci.sock, which the guest's admin
 * gives (chown/chmod, as udev gives a device node). Its DMA buffers are
 * pages of the guest's memory; their bus address is their guest-physical
 * address, which the backend mapped in the IOMMU: a device can reach the
 * guest's memory and nothing else. A driver that programs a DMA engine can
 * reach all of the guest's memory that way (there is no IOMMU inside the
 * guest), so the guest-memory file pcifront hands it gives it nothing new.
 * BARs are reached through the backend only: pv_pcidev_bar_map() returns
 * -ENOTSUP and every MMIO access is one op.
 *
 * Direct mode (pv_pcidev_bus_open_direct()), for a driver in domain 0
 * only: the process opens the devices itself through the VFIO layer
 * (include/pvkit/vfio.h), so it needs /dev/vfio/<group> (root, or the node
 * chowned to it); its "guest memory" is a memfd of its own mapped at bus
 * address 0; interrupts go to eventfds directly; BARs can be mmap()ed.
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
	PV_PCIDEV_MSIX = 2,
};

/*
 * Open the guest's PCI bus (guest mode): connect to pcifront's socket
 * @sock (NULL: $PVKIT_RUNDIR/dom/$PVKIT_DOMID/pci.sock) and learn the
 * devices the backend exported to this guest, reading each one's IDs.
 * -ENODEV when pcifront is not connected to its backend. On failure @err
 * (may be NULL) gets a reason.
 */
int pv_pcidev_bus_open(struct pv_pcidev_bus **out, const char *sock, char *err, size_t errlen);
/*
 * Direct mode (domain 0): @mem_bytes of memory of this process (a
 * multiple of 4096) and the devices in @bdfs (comma-separated BDFs, each
 * bound to vfio-pci; NULL or "": none), opened through VFIO here, each
 * given DMA access to exactly that memory.
 */
int pv_pcidev_bus_open_direct(struct pv_pcidev_bus **out, const char *bdfs, uint64_t mem_bytes,
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
/*
 * Its address ("0000:00:03.0": the host's in direct mode, the one the
 * backend gave the guest in guest mode), vendor, device and class
 * (base<<16|sub<<8|if).
 */
const char *pv_pcidev_bdf(const struct pv_pcidev *dev);
uint16_t pv_pcidev_vendor(const struct pv_pcidev *dev);
uint16_t pv_pcidev_device(const struct pv_pcidev *dev);
uint32_t pv_pcidev_class(const struct pv_pcidev *dev);

/*
 * Config space: @size 1, 2 or 4, aligned. A write the filter refuses:
 * -EPERM. Guest mode: -ETIMEDOUT when the backend did not answer (the
 * device is then closed), -EPROTO when it answered garbage, -ENODEV once
 * the device is detached.
 */
int pv_pcidev_cfg_read(struct pv_pcidev *dev, unsigned int offset, unsigned int size, uint32_t *val);
int pv_pcidev_cfg_write(struct pv_pcidev *dev, unsigned int offset, unsigned int size, uint32_t val);

/* BAR @bar's size (0: none). */
uint64_t pv_pcidev_bar_size(struct pv_pcidev *dev, unsigned int bar);
/*
 * Map BAR @bar into this process (MMIO: use volatile accesses). -ENOTSUP:
 * not mappable, and always in guest mode (the BAR is reached through the
 * backend: use the accessors below).
 */
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
 * be NULL. In guest mode each interrupt arrives as an event on a channel
 * the backend bound to the device's vector, counted on the eventfd by
 * pcifront. For INTx, call pv_pcidev_irq_ack() after clearing the cause in
 * the device. Enabling another kind disables the first.
 */
int pv_pcidev_irq_enable(struct pv_pcidev *dev, enum pv_pcidev_irq_kind kind,
			 pv_pcidev_irq_fn fn, void *opaque);
/*
 * MSI-X (guest mode): enable the @n table entries @entries (at most 128,
 * the page's limit), all counted on the one eventfd returned. Entries past
 * the device's table are refused by the backend (-EINVAL or -EPERM).
 */
int pv_pcidev_msix_enable(struct pv_pcidev *dev, const uint16_t *entries, unsigned int n,
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
/*
 * The guest memory's size: bus addresses at or above it are not the
 * guest's (and the IOMMU has no mapping for them).
 */
uint64_t pv_pcidev_mem_size(const struct pv_pcidev_bus *bus);

#endif

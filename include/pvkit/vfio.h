/* SPDX-License-Identifier: MIT */
/*
 * PCI passthrough through Linux VFIO, domain 0's side: open a device bound
 * to vfio-pci (its container, its group, its device fd), mediate the
 * guest's config-space writes with pv_pci_cfg_check_write(), give access to
 * its BARs, route its INTx/MSI to eventfds and confine its DMA to exactly
 * the guest's memory (IOVA = guest-physical address = offset in the
 * guest's memfd). Close unmaps every DMA and BAR mapping and resets.
 *
 * Every function returns 0 (or a value where stated) or -errno.
 */
#ifndef PVKIT_VFIO_H
#define PVKIT_VFIO_H

#include <stddef.h>
#include <stdint.h>

#include "pvkit/pcihost.h"

struct pv_vfio_dev;

#define PV_VFIO_ROM 6 /* the ROM's index among the BARs (0-5) */

enum pv_vfio_irq {
	PV_VFIO_IRQ_INTX = 0, /* VFIO_PCI_INTX_IRQ_INDEX */
	PV_VFIO_IRQ_MSI = 1,  /* VFIO_PCI_MSI_IRQ_INDEX */
	PV_VFIO_IRQ_MSIX = 2, /* VFIO_PCI_MSIX_IRQ_INDEX */
};

/*
 * Open @bdf, which must be bound to vfio-pci (pv_pci_assignable_add()):
 * opens /dev/vfio/vfio and /dev/vfio/<group> (@sysfs, NULL: "/sys", tells
 * the group), refuses a group that is not viable, sets the type1 IOMMU,
 * gets the device fd and resets the device when it offers a reset.
 * @permissive widens the config-space filter. On failure @err gets a reason.
 */
int pv_vfio_open(const char *sysfs, const char *bdf, int permissive, struct pv_vfio_dev **out,
		 char *err, size_t errlen);

/* Disable its interrupts, unmap every BAR and DMA mapping, reset, close. NULL: no-op. */
void pv_vfio_close(struct pv_vfio_dev *d);

/* The device fd (for passing to the process that drives it). */
int pv_vfio_device_fd(const struct pv_vfio_dev *d);

/*
 * Config space as the guest sees it: @size 1, 2 or 4 at @offset, aligned.
 * Reads show the emulated BARs (sizing answered from the region sizes) and
 * interrupt line. Writes pass the filter: DENY gives -EPERM; EMULATE is
 * mediated (BARs and line shadowed, command: only I/O, memory, bus master
 * and INTx-disable reach the device; MSI enable goes through
 * VFIO_DEVICE_SET_IRQS with the eventfd set by pv_vfio_irq_enable() or an
 * internal one; other capability state is absorbed).
 */
int pv_vfio_cfg_read(struct pv_vfio_dev *d, unsigned int offset, unsigned int size, uint32_t *val);
int pv_vfio_cfg_write(struct pv_vfio_dev *d, unsigned int offset, unsigned int size, uint32_t val);

/* Bytes of config space the device has (256, or 4096 for PCIe). */
unsigned int pv_vfio_cfg_size(const struct pv_vfio_dev *d);
/* The config-space filter learnt from the device at open. */
const struct pv_pci_cfg_filter *pv_vfio_filter(const struct pv_vfio_dev *d);
/*
 * The type bits of BAR @bar (0-5, PV_VFIO_ROM) as the device reports them:
 * bit 0 I/O space, bits 1-2 memory type (2: 64-bit), bit 3 prefetchable.
 */
uint32_t pv_vfio_bar_type(const struct pv_vfio_dev *d, unsigned int bar);

/* BAR @bar (0-5, PV_VFIO_ROM): its size (0: not implemented) and whether it can be mmap()ed. */
int pv_vfio_bar_info(struct pv_vfio_dev *d, unsigned int bar, uint64_t *size, int *mmappable);
/* pread/pwrite of @len bytes (1, 2, 4 or 8, aligned) at @offset in BAR @bar, bounds checked. */
int pv_vfio_bar_read(struct pv_vfio_dev *d, unsigned int bar, uint64_t offset, void *buf,
		     unsigned int len);
int pv_vfio_bar_write(struct pv_vfio_dev *d, unsigned int bar, uint64_t offset, const void *buf,
		      unsigned int len);
/* mmap() the whole BAR (once; later calls return the same mapping). Unmapped on close. */
int pv_vfio_bar_map(struct pv_vfio_dev *d, unsigned int bar, void **addr, size_t *len);

/*
 * Deliver interrupt @irq (vector 0) to eventfd @efd (VFIO_DEVICE_SET_IRQS,
 * action trigger). For INTx the kernel masks the line at each interrupt:
 * call pv_vfio_irq_unmask() once it is handled. Disable stops delivery.
 */
int pv_vfio_irq_enable(struct pv_vfio_dev *d, enum pv_vfio_irq irq, int efd);
/*
 * Deliver vectors 0..@count-1 of @irq to @efds (-1: that vector unused),
 * e.g. the MSI-X entries a guest enabled. @count 0 turns @irq off.
 */
int pv_vfio_irq_enable_vectors(struct pv_vfio_dev *d, enum pv_vfio_irq irq, const int *efds,
			       unsigned int count);
/* How many vectors the device offers for @irq (0: none, e.g. no INTx pin; MSI-X: table size). */
unsigned int pv_vfio_irq_count(struct pv_vfio_dev *d, enum pv_vfio_irq irq);
int pv_vfio_irq_disable(struct pv_vfio_dev *d, enum pv_vfio_irq irq);
int pv_vfio_irq_unmask(struct pv_vfio_dev *d, enum pv_vfio_irq irq);

/*
 * Give the device DMA access to the guest's memory and nothing else: map
 * [0, @size) of @memfd (the guest's memory) at IOVA 0..@size, so a bus
 * address is a guest-physical address. @memfd is mapped shared in this
 * process; the mapping and the IOMMU entries go away on close or unmap.
 * -EBUSY when the guest's memory is already mapped.
 */
int pv_vfio_dma_map_guest(struct pv_vfio_dev *d, int memfd, uint64_t size);
/* Remove the guest's memory from the IOMMU (every mapping). */
int pv_vfio_dma_unmap_guest(struct pv_vfio_dev *d);

/*
 * Reset the device: its own reset (FLR, PM) when VFIO offers one, else a
 * bus reset when every device it reaches is in this group: 0, or -ENOTTY when
 * neither is possible (close then turns bus mastering and decoding off).
 */
int pv_vfio_reset(struct pv_vfio_dev *d);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * pcidev.h in direct mode, for a driver in domain 0: the devices opened
 * in this process through the VFIO layer (needs /dev/vfio/<group>), the
 * "guest memory" a memfd of our own mapped at bus address 0 (page
 * allocator for DMA buffers), interrupts straight to eventfds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pvkit/log.h"
#include "pvkit/vfio.h"
#include "pcidev_priv.h"

static int create_memory(struct pv_pcidev_bus *bus, uint64_t bytes, char *err, size_t errlen)
{
	if (!bytes || bytes % PCIDEV_PAGE || bytes > SIZE_MAX / 2)
		return pcidev_fail(err, errlen, -EINVAL, "guest memory size %llu is not a page multiple",
				   (unsigned long long)bytes);
	bus->memfd = memfd_create("pvkit-guest-mem", MFD_CLOEXEC);
	if (bus->memfd < 0 || ftruncate(bus->memfd, (off_t)bytes) < 0)
		return pcidev_fail(err, errlen, -errno, "guest memory memfd: %s", strerror(errno));
	bus->mem = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_SHARED, bus->memfd, 0);
	if (bus->mem == MAP_FAILED) {
		bus->mem = NULL;
		return pcidev_fail(err, errlen, -errno, "mapping guest memory: %s", strerror(errno));
	}
	bus->mem_size = bytes;
	bus->used = calloc((size_t)(bytes / PCIDEV_PAGE), 1);
	if (!bus->used)
		return pcidev_fail(err, errlen, -ENOMEM, "out of memory");
	bus->used[0] = 1; /* bus address 0 is never handed out */
	return 0;
}

static int add_device(struct pv_pcidev_bus *bus, const char *bdf, char *err, size_t errlen)
{
	struct pv_pcidev *dev = &bus->dev[bus->ndevs];
	uint32_t id, cls;
	int rc;

	if (bus->ndevs == PCIDEV_MAX_DEVS)
		return pcidev_fail(err, errlen, -ENOSPC, "more than %d devices", PCIDEV_MAX_DEVS);
	rc = pv_vfio_open(NULL, bdf, 0, &dev->vfio, err, errlen);
	if (rc < 0)
		return rc;
	bus->ndevs++;
	dev->bus = bus;
	dev->efd = -1;
	snprintf(dev->bdf, sizeof(dev->bdf), "%s", bdf);
	pv_pci_bdf_normalise(bdf, dev->bdf);
	rc = pv_vfio_cfg_read(dev->vfio, 0x00, 4, &id);
	if (rc == 0)
		rc = pv_vfio_cfg_read(dev->vfio, 0x08, 4, &cls);
	if (rc < 0)
		return pcidev_fail(err, errlen, rc, "%s: reading its IDs", bdf);
	dev->vendor = (uint16_t)id;
	dev->device = (uint16_t)(id >> 16);
	dev->class_code = cls >> 8;
	rc = pv_vfio_dma_map_guest(dev->vfio, bus->memfd, bus->mem_size);
	if (rc < 0)
		return pcidev_fail(err, errlen, rc, "%s: mapping guest memory for DMA: %s", bdf,
				   strerror(-rc));
	return 0;
}

int pv_pcidev_bus_open_direct(struct pv_pcidev_bus **out, const char *bdfs, uint64_t mem_bytes,
			      char *err, size_t errlen)
{
	struct pv_pcidev_bus *bus = calloc(1, sizeof(*bus));
	char *list = NULL, *tok, *save = NULL;
	int rc;

	*out = NULL;
	if (!bus)
		return pcidev_fail(err, errlen, -ENOMEM, "out of memory");
	bus->memfd = bus->sock = -1;
	rc = create_memory(bus, mem_bytes, err, errlen);
	if (rc < 0)
		goto out_close;
	list = strdup(bdfs ? bdfs : "");
	if (!list) {
		rc = pcidev_fail(err, errlen, -ENOMEM, "out of memory");
		goto out_close;
	}
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		rc = add_device(bus, tok, err, errlen);
		if (rc < 0)
			goto out_close;
	}
	free(list);
	*out = bus;
	return 0;

out_close:
	free(list);
	pv_pcidev_bus_close(bus);
	return rc;
}

void pcidev_direct_close(struct pv_pcidev_bus *bus)
{
	for (unsigned int i = 0; i < bus->ndevs; i++) {
		pcidev_direct_irq_disable(&bus->dev[i]);
		pv_vfio_close(bus->dev[i].vfio);
	}
	free(bus->used);
}

int pcidev_direct_cfg_read(struct pv_pcidev *dev, unsigned int offset, unsigned int size, uint32_t *val)
{
	return pv_vfio_cfg_read(dev->vfio, offset, size, val);
}

int pcidev_direct_cfg_write(struct pv_pcidev *dev, unsigned int offset, unsigned int size, uint32_t val)
{
	return pv_vfio_cfg_write(dev->vfio, offset, size, val);
}

uint64_t pcidev_direct_bar_size(struct pv_pcidev *dev, unsigned int bar)
{
	uint64_t size = 0;

	return pv_vfio_bar_info(dev->vfio, bar, &size, NULL) < 0 ? 0 : size;
}

int pcidev_direct_bar_map(struct pv_pcidev *dev, unsigned int bar, volatile void **addr, size_t *len)
{
	void *p;
	int rc = pv_vfio_bar_map(dev->vfio, bar, &p, len);

	if (rc == 0)
		*addr = p;
	return rc;
}

int pcidev_direct_bar_access(struct pv_pcidev *dev, unsigned int bar, uint64_t offset, void *val,
			     unsigned int len, int write)
{
	return write ? pv_vfio_bar_write(dev->vfio, bar, offset, val, len)
		     : pv_vfio_bar_read(dev->vfio, bar, offset, val, len);
}

/* ---- interrupts ----------------------------------------------------------------- */

static enum pv_vfio_irq vfio_irq(enum pv_pcidev_irq_kind kind)
{
	return kind == PV_PCIDEV_MSI ? PV_VFIO_IRQ_MSI : PV_VFIO_IRQ_INTX;
}

int pcidev_direct_irq_enable(struct pv_pcidev *dev, enum pv_pcidev_irq_kind kind)
{
	int efd, rc;

	if (kind != PV_PCIDEV_INTX && kind != PV_PCIDEV_MSI)
		return -EINVAL;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	rc = pv_vfio_irq_enable(dev->vfio, vfio_irq(kind), efd);
	if (rc < 0) {
		close(efd);
		return rc;
	}
	return efd;
}

int pcidev_direct_irq_disable(struct pv_pcidev *dev)
{
	return dev->efd < 0 ? 0 : pv_vfio_irq_disable(dev->vfio, vfio_irq(dev->kind));
}

int pcidev_direct_irq_ack(struct pv_pcidev *dev)
{
	if (dev->kind != PV_PCIDEV_INTX)
		return 0;
	return pv_vfio_irq_unmask(dev->vfio, PV_VFIO_IRQ_INTX);
}

/* ---- DMA memory ----------------------------------------------------------------- */

int pcidev_direct_dma_alloc(struct pv_pcidev_bus *bus, size_t size, void **va, uint64_t *bus_addr)
{
	size_t pages = (size + PCIDEV_PAGE - 1) / PCIDEV_PAGE, total = (size_t)(bus->mem_size / PCIDEV_PAGE);
	size_t run = 0;

	if (!size || size > bus->mem_size)
		return -EINVAL;
	for (size_t i = 0; i < total; i++) {
		run = bus->used[i] ? 0 : run + 1;
		if (run < pages)
			continue;
		size_t first = i + 1 - pages;

		memset(bus->used + first, 1, pages);
		memset(bus->mem + first * PCIDEV_PAGE, 0, pages * PCIDEV_PAGE);
		*va = bus->mem + first * PCIDEV_PAGE;
		*bus_addr = (uint64_t)first * PCIDEV_PAGE;
		return 0;
	}
	return -ENOMEM;
}

void pcidev_direct_dma_free(struct pv_pcidev_bus *bus, void *va, size_t size)
{
	uint8_t *p = va;
	size_t first, pages = (size + PCIDEV_PAGE - 1) / PCIDEV_PAGE;

	if (!p || p < bus->mem || p >= bus->mem + bus->mem_size || (size_t)(p - bus->mem) % PCIDEV_PAGE)
		return;
	first = (size_t)(p - bus->mem) / PCIDEV_PAGE;
	if (pages > bus->mem_size / PCIDEV_PAGE - first)
		return;
	memset(bus->used + first, 0, pages);
}

/* SPDX-License-Identifier: MIT */
/*
 * The guest's PCI driver API (include/pvkit/pcidev.h) over domain 0's VFIO
 * layer: guest memory in a memfd, page allocator for DMA buffers (bus
 * address = offset in the memfd), interrupts on eventfds.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pvkit/log.h"
#include "pvkit/pcidev.h"
#include "pvkit/pcihost.h"
#include "pvkit/vfio.h"
#include "../../passthrough/pci/sysfs.h"

#define PAGE 4096u
#define MAX_DEVS 16

struct pv_pcidev {
	struct pv_vfio_dev *vfio;
	uint16_t vendor, device;
	uint32_t class_code;
	int efd;                      /* interrupts, -1: off */
	enum pv_pcidev_irq_kind kind;
	pv_pcidev_irq_fn fn;
	void *opaque;
	char bdf[PV_PCI_BDF_LEN];
};

struct pv_pcidev_bus {
	int memfd;
	uint8_t *mem;
	uint64_t mem_size;
	uint8_t *used;                /* one byte per page: allocated or not */
	unsigned int ndevs;
	struct pv_pcidev dev[MAX_DEVS];
};

/* Record a reason in @err and give @rc (taken before the reason is formatted). */
#define fail(err, errlen, rc, ...)                                                                 \
	({                                                                                         \
		int rc_ = (rc);                                                                    \
		pci_reason((err), (errlen), __VA_ARGS__);                                          \
		rc_;                                                                               \
	})

static int create_memory(struct pv_pcidev_bus *bus, uint64_t bytes, char *err, size_t errlen)
{
	if (!bytes || bytes % PAGE || bytes > SIZE_MAX / 2)
		return fail(err, errlen, -EINVAL, "guest memory size %llu is not a page multiple",
			    (unsigned long long)bytes);
	bus->memfd = memfd_create("pvkit-guest-mem", MFD_CLOEXEC);
	if (bus->memfd < 0 || ftruncate(bus->memfd, (off_t)bytes) < 0)
		return fail(err, errlen, -errno, "guest memory memfd: %s", strerror(errno));
	bus->mem = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_SHARED, bus->memfd, 0);
	if (bus->mem == MAP_FAILED) {
		bus->mem = NULL;
		return fail(err, errlen, -errno, "mapping guest memory: %s", strerror(errno));
	}
	bus->mem_size = bytes;
	bus->used = calloc((size_t)(bytes / PAGE), 1);
	if (!bus->used)
		return fail(err, errlen, -ENOMEM, "out of memory");
	bus->used[0] = 1; /* bus address 0 is never handed out */
	return 0;
}

static int add_device(struct pv_pcidev_bus *bus, const char *bdf, char *err, size_t errlen)
{
	struct pv_pcidev *dev = &bus->dev[bus->ndevs];
	uint32_t id, cls;
	int rc;

	if (bus->ndevs == MAX_DEVS)
		return fail(err, errlen, -ENOSPC, "more than %d devices", MAX_DEVS);
	rc = pv_vfio_open(NULL, bdf, 0, &dev->vfio, err, errlen);
	if (rc < 0)
		return rc;
	bus->ndevs++;
	dev->efd = -1;
	snprintf(dev->bdf, sizeof(dev->bdf), "%s", bdf);
	pv_pci_bdf_normalise(bdf, dev->bdf);
	rc = pv_vfio_cfg_read(dev->vfio, 0x00, 4, &id);
	if (rc == 0)
		rc = pv_vfio_cfg_read(dev->vfio, 0x08, 4, &cls);
	if (rc < 0)
		return fail(err, errlen, rc, "%s: reading its IDs", bdf);
	dev->vendor = (uint16_t)id;
	dev->device = (uint16_t)(id >> 16);
	dev->class_code = cls >> 8;
	rc = pv_vfio_dma_map_guest(dev->vfio, bus->memfd, bus->mem_size);
	if (rc < 0)
		return fail(err, errlen, rc, "%s: mapping guest memory for DMA: %s", bdf, strerror(-rc));
	return 0;
}

int pv_pcidev_bus_open(struct pv_pcidev_bus **out, const char *bdfs, uint64_t mem_bytes,
		       char *err, size_t errlen)
{
	struct pv_pcidev_bus *bus = calloc(1, sizeof(*bus));
	char *list = NULL, *tok, *save = NULL;
	int rc;

	if (!bus)
		return fail(err, errlen, -ENOMEM, "out of memory");
	bus->memfd = -1;
	rc = create_memory(bus, mem_bytes, err, errlen);
	if (rc < 0)
		goto fail_bus;
	list = strdup(bdfs ? bdfs : "");
	if (!list) {
		rc = fail(err, errlen, -ENOMEM, "out of memory");
		goto fail_bus;
	}
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		rc = add_device(bus, tok, err, errlen);
		if (rc < 0)
			goto fail_bus;
	}
	free(list);
	*out = bus;
	return 0;

fail_bus:
	free(list);
	pv_pcidev_bus_close(bus);
	return rc;
}

void pv_pcidev_bus_close(struct pv_pcidev_bus *bus)
{
	if (!bus)
		return;
	for (unsigned int i = 0; i < bus->ndevs; i++) {
		pv_pcidev_irq_disable(&bus->dev[i]);
		pv_vfio_close(bus->dev[i].vfio);
	}
	if (bus->mem)
		munmap(bus->mem, (size_t)bus->mem_size);
	if (bus->memfd >= 0)
		close(bus->memfd);
	free(bus->used);
	free(bus);
}

struct pv_pcidev *pv_pcidev_find(struct pv_pcidev_bus *bus, uint16_t vendor, uint16_t device,
				 uint32_t class_code, uint32_t class_mask, unsigned int index)
{
	for (unsigned int i = 0; i < bus->ndevs; i++) {
		struct pv_pcidev *d = &bus->dev[i];

		if ((vendor != PV_PCIDEV_ANY && d->vendor != vendor) ||
		    (device != PV_PCIDEV_ANY && d->device != device) ||
		    (d->class_code & class_mask) != (class_code & class_mask))
			continue;
		if (index-- == 0)
			return d;
	}
	return NULL;
}

const char *pv_pcidev_bdf(const struct pv_pcidev *dev) { return dev->bdf; }
uint16_t pv_pcidev_vendor(const struct pv_pcidev *dev) { return dev->vendor; }
uint16_t pv_pcidev_device(const struct pv_pcidev *dev) { return dev->device; }
uint32_t pv_pcidev_class(const struct pv_pcidev *dev) { return dev->class_code; }

int pv_pcidev_cfg_read(struct pv_pcidev *dev, unsigned int offset, unsigned int size, uint32_t *val)
{
	return pv_vfio_cfg_read(dev->vfio, offset, size, val);
}

int pv_pcidev_cfg_write(struct pv_pcidev *dev, unsigned int offset, unsigned int size, uint32_t val)
{
	return pv_vfio_cfg_write(dev->vfio, offset, size, val);
}

uint64_t pv_pcidev_bar_size(struct pv_pcidev *dev, unsigned int bar)
{
	uint64_t size = 0;

	return pv_vfio_bar_info(dev->vfio, bar, &size, NULL) < 0 ? 0 : size;
}

int pv_pcidev_bar_map(struct pv_pcidev *dev, unsigned int bar, volatile void **addr, size_t *len)
{
	void *p;
	int rc = pv_vfio_bar_map(dev->vfio, bar, &p, len);

	if (rc == 0)
		*addr = p;
	return rc;
}

int pv_pcidev_read32(struct pv_pcidev *dev, unsigned int bar, uint64_t offset, uint32_t *val)
{
	return pv_vfio_bar_read(dev->vfio, bar, offset, val, 4);
}

int pv_pcidev_write32(struct pv_pcidev *dev, unsigned int bar, uint64_t offset, uint32_t val)
{
	return pv_vfio_bar_write(dev->vfio, bar, offset, &val, 4);
}

int pv_pcidev_read64(struct pv_pcidev *dev, unsigned int bar, uint64_t offset, uint64_t *val)
{
	return pv_vfio_bar_read(dev->vfio, bar, offset, val, 8);
}

int pv_pcidev_write64(struct pv_pcidev *dev, unsigned int bar, uint64_t offset, uint64_t val)
{
	return pv_vfio_bar_write(dev->vfio, bar, offset, &val, 8);
}

/* ---- interrupts ----------------------------------------------------------------- */

int pv_pcidev_irq_enable(struct pv_pcidev *dev, enum pv_pcidev_irq_kind kind,
			 pv_pcidev_irq_fn fn, void *opaque)
{
	int efd, rc;

	if (kind != PV_PCIDEV_INTX && kind != PV_PCIDEV_MSI)
		return -EINVAL;
	pv_pcidev_irq_disable(dev);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	rc = pv_vfio_irq_enable(dev->vfio, kind == PV_PCIDEV_MSI ? PV_VFIO_IRQ_MSI : PV_VFIO_IRQ_INTX,
				efd);
	if (rc < 0) {
		close(efd);
		return rc;
	}
	dev->efd = efd;
	dev->kind = kind;
	dev->fn = fn;
	dev->opaque = opaque;
	return efd;
}

int pv_pcidev_irq_disable(struct pv_pcidev *dev)
{
	int rc;

	if (dev->efd < 0)
		return 0;
	rc = pv_vfio_irq_disable(dev->vfio,
				 dev->kind == PV_PCIDEV_MSI ? PV_VFIO_IRQ_MSI : PV_VFIO_IRQ_INTX);
	close(dev->efd);
	dev->efd = -1;
	return rc;
}

int pv_pcidev_irq_ack(struct pv_pcidev *dev)
{
	if (dev->efd < 0)
		return -EINVAL;
	if (dev->kind != PV_PCIDEV_INTX)
		return 0;
	return pv_vfio_irq_unmask(dev->vfio, PV_VFIO_IRQ_INTX);
}

int pv_pcidev_irq_poll(struct pv_pcidev *dev, int timeout_ms)
{
	struct pollfd p = { .fd = dev->efd, .events = POLLIN };
	uint64_t n;
	int rc;

	if (dev->efd < 0)
		return -EINVAL;
	rc = poll(&p, 1, timeout_ms);
	if (rc < 0)
		return -errno;
	if (rc == 0)
		return 0;
	if (read(dev->efd, &n, sizeof(n)) != sizeof(n))
		return errno == EAGAIN ? 0 : -errno;
	if (dev->fn)
		dev->fn(dev, n, dev->opaque);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

/* ---- DMA memory ----------------------------------------------------------------- */

int pv_pcidev_dma_alloc(struct pv_pcidev_bus *bus, size_t size, void **va, uint64_t *bus_addr)
{
	size_t pages = (size + PAGE - 1) / PAGE, total = (size_t)(bus->mem_size / PAGE), run = 0;

	if (!size || size > bus->mem_size)
		return -EINVAL;
	for (size_t i = 0; i < total; i++) {
		run = bus->used[i] ? 0 : run + 1;
		if (run < pages)
			continue;
		size_t first = i + 1 - pages;

		memset(bus->used + first, 1, pages);
		memset(bus->mem + first * PAGE, 0, pages * PAGE);
		*va = bus->mem + first * PAGE;
		*bus_addr = (uint64_t)first * PAGE;
		return 0;
	}
	return -ENOMEM;
}

void pv_pcidev_dma_free(struct pv_pcidev_bus *bus, void *va, size_t size)
{
	uint8_t *p = va;
	size_t first, pages = (size + PAGE - 1) / PAGE;

	if (!p || p < bus->mem || p >= bus->mem + bus->mem_size || (size_t)(p - bus->mem) % PAGE)
		return;
	first = (size_t)(p - bus->mem) / PAGE;
	if (pages > bus->mem_size / PAGE - first)
		return;
	memset(bus->used + first, 0, pages);
}

uint64_t pv_pcidev_mem_size(const struct pv_pcidev_bus *bus)
{
	return bus->mem_size;
}

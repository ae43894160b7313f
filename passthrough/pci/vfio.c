/* SPDX-License-Identifier: MIT */
/*
 * Domain 0's side of PCI passthrough through Linux VFIO: container, group
 * and device fds, BAR access, interrupts to eventfds, and DMA confined to
 * the guest's memory. Config-space mediation lives in vfio_cfg.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "pvkit/log.h"
#include "sysfs.h"
#include "vfio_priv.h"

/* Record a reason in @err and give @rc (taken before the reason is formatted). */
#define fail(err, errlen, rc, ...)                                                                 \
	({                                                                                         \
		int rc_ = (rc);                                                                    \
		pci_reason((err), (errlen), __VA_ARGS__);                                          \
		rc_;                                                                               \
	})

static int open_container(struct pv_vfio_dev *d, char *err, size_t errlen)
{
	d->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (d->container < 0)
		return fail(err, errlen, -errno, "cannot open /dev/vfio/vfio: %s (vfio module loaded?)",
			    strerror(errno));
	if (ioctl(d->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return fail(err, errlen, -ENOTSUP, "VFIO API version is not %d", VFIO_API_VERSION);
	if (ioctl(d->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0)
		d->iommu_type = VFIO_TYPE1v2_IOMMU;
	else if (ioctl(d->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0)
		d->iommu_type = VFIO_TYPE1_IOMMU;
	else
		return fail(err, errlen, -ENOTSUP, "no type1 IOMMU (vfio_iommu_type1 loaded?)");
	return 0;
}

static int open_group(struct pv_vfio_dev *d, const char *sysfs, char *err, size_t errlen)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];
	int g = pci_sysfs_group(sysfs, d->bdf);

	if (g < 0)
		return fail(err, errlen, -ENODEV, "%s has no IOMMU group (no IOMMU, or it is off)", d->bdf);
	d->group_id = g;
	snprintf(path, sizeof(path), "/dev/vfio/%d", g);
	d->group = open(path, O_RDWR | O_CLOEXEC);
	if (d->group < 0)
		return fail(err, errlen, -errno, "cannot open %s: %s (is %s bound to vfio-pci?)", path,
			    strerror(errno), d->bdf);
	if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &st) < 0)
		return fail(err, errlen, -errno, "VFIO_GROUP_GET_STATUS on %s: %s", path, strerror(errno));
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return fail(err, errlen, -EBUSY,
			    "IOMMU group %d is not viable: another device in it is bound to a host driver",
			    g);
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container) < 0)
		return fail(err, errlen, -errno, "VFIO_GROUP_SET_CONTAINER: %s", strerror(errno));
	if (ioctl(d->container, VFIO_SET_IOMMU, d->iommu_type) < 0)
		return fail(err, errlen, -errno,
			    "VFIO_SET_IOMMU: %s (no interrupt remapping? the IOMMU needs it)",
			    strerror(errno));
	return 0;
}

/* Region sizes and offsets, BAR and config, from VFIO_DEVICE_GET_REGION_INFO. */
static int read_regions(struct pv_vfio_dev *d, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < PV_VFIO_NREGIONS; i++) {
		struct vfio_region_info ri = { .argsz = sizeof(ri), .index = i };

		if (i >= d->info.num_regions)
			break;
		if (ioctl(d->device, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0) {
			if (errno == EINVAL)
				continue; /* e.g. no VGA region */
			return fail(err, errlen, -errno, "region %u info: %s", i, strerror(errno));
		}
		d->region[i].size = ri.size;
		d->region[i].offset = ri.offset;
		d->region[i].flags = ri.flags;
	}
	if (!d->region[VFIO_PCI_CONFIG_REGION_INDEX].size)
		return fail(err, errlen, -ENODEV, "%s has no config region", d->bdf);
	return 0;
}

static int open_device(struct pv_vfio_dev *d, char *err, size_t errlen)
{
	d->device = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	if (d->device < 0)
		return fail(err, errlen, -errno, "VFIO_GROUP_GET_DEVICE_FD %s: %s", d->bdf,
			    strerror(errno));
	d->info.argsz = sizeof(d->info);
	if (ioctl(d->device, VFIO_DEVICE_GET_INFO, &d->info) < 0)
		return fail(err, errlen, -errno, "VFIO_DEVICE_GET_INFO: %s", strerror(errno));
	if (!(d->info.flags & VFIO_DEVICE_FLAGS_PCI))
		return fail(err, errlen, -ENODEV, "%s is not a PCI device", d->bdf);
	return read_regions(d, err, errlen);
}

int pv_vfio_open(const char *sysfs, const char *bdf, int permissive, struct pv_vfio_dev **out,
		 char *err, size_t errlen)
{
	struct pv_vfio_dev *d = calloc(1, sizeof(*d));
	int rc;

	if (!d)
		return fail(err, errlen, -ENOMEM, "out of memory");
	d->container = d->group = d->device = d->msi_efd = -1;
	rc = pv_pci_bdf_normalise(bdf, d->bdf);
	if (rc < 0) {
		rc = fail(err, errlen, rc, "bad BDF '%s'", bdf);
		goto fail_free;
	}
	rc = open_container(d, err, errlen);
	if (rc == 0)
		rc = open_group(d, sysfs, err, errlen);
	if (rc == 0)
		rc = open_device(d, err, errlen);
	if (rc == 0)
		rc = pv_vfio_cfg_init(d, permissive, err, errlen);
	if (rc < 0)
		goto fail_free;
	rc = pv_vfio_reset(d);
	if (rc < 0 && rc != -ENOTTY)
		pv_warn("vfio %s: reset on open failed (%d): going on without", d->bdf, rc);
	*out = d;
	return 0;

fail_free:
	pv_vfio_close(d);
	return rc;
}

/*
 * A secondary bus reset through VFIO, when the device offers no reset of its
 * own: allowed only when every device the reset reaches is in this group
 * (which we own whole); a reset of anybody else's device is never done.
 */
static int hot_reset(struct pv_vfio_dev *d)
{
	enum { MAXDEP = 32 };
	size_t isz = sizeof(struct vfio_pci_hot_reset_info) + MAXDEP * sizeof(struct vfio_pci_dependent_device);
	size_t rsz = sizeof(struct vfio_pci_hot_reset) + sizeof(int32_t);
	struct vfio_pci_hot_reset_info *info = calloc(1, isz);
	struct vfio_pci_hot_reset *hr = calloc(1, rsz);
	int rc = 0;

	if (!info || !hr) {
		rc = -ENOMEM;
		goto out;
	}
	info->argsz = (uint32_t)isz;
	if (ioctl(d->device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info) < 0) {
		rc = -ENOTTY; /* on a root bus, or no bus reset possible */
		goto out;
	}
	for (uint32_t i = 0; i < info->count && i < MAXDEP; i++)
		if ((int)info->devices[i].group_id != d->group_id) {
			rc = -EBUSY; /* the reset would reach a device of another group */
			goto out;
		}
	if (info->count > MAXDEP) {
		rc = -EBUSY;
		goto out;
	}
	hr->argsz = (uint32_t)rsz;
	hr->count = 1;
	hr->group_fds[0] = d->group;
	if (ioctl(d->device, VFIO_DEVICE_PCI_HOT_RESET, hr) < 0)
		rc = -errno;
out:
	free(info);
	free(hr);
	return rc;
}

int pv_vfio_reset(struct pv_vfio_dev *d)
{
	if (d->info.flags & VFIO_DEVICE_FLAGS_RESET) {
		if (ioctl(d->device, VFIO_DEVICE_RESET) == 0)
			return 0;
		/* Some devices (QEMU's edu) claim a reset they cannot do: EINVAL. */
		if (errno != EINVAL)
			return -errno;
	}
	return hot_reset(d) == 0 ? 0 : -ENOTTY;
}

void pv_vfio_close(struct pv_vfio_dev *d)
{
	if (!d)
		return;
	if (d->device >= 0) {
		for (int i = PV_VFIO_IRQ_INTX; i <= PV_VFIO_IRQ_MSIX; i++)
			if (d->irq_on & (1u << i))
				pv_vfio_irq_disable(d, (enum pv_vfio_irq)i);
		for (unsigned int i = 0; i < PV_VFIO_NBARS; i++)
			if (d->bar_map[i])
				munmap(d->bar_map[i], d->bar_len[i]);
		/* The best the device offers; with no reset at all, leave it quiet. */
		if (pv_vfio_reset(d) < 0)
			pv_vfio_cfg_quiesce(d);
	}
	pv_vfio_dma_unmap_guest(d);
	if (d->msi_efd >= 0)
		close(d->msi_efd);
	if (d->device >= 0)
		close(d->device);
	if (d->group >= 0) {
		ioctl(d->group, VFIO_GROUP_UNSET_CONTAINER);
		close(d->group);
	}
	if (d->container >= 0)
		close(d->container);
	free(d);
}

int pv_vfio_device_fd(const struct pv_vfio_dev *d)
{
	return d->device;
}

unsigned int pv_vfio_cfg_size(const struct pv_vfio_dev *d)
{
	uint64_t size = d->region[VFIO_PCI_CONFIG_REGION_INDEX].size;

	return size > 4096 ? 4096 : (unsigned int)size;
}

const struct pv_pci_cfg_filter *pv_vfio_filter(const struct pv_vfio_dev *d)
{
	return &d->filter;
}

/* ---- BARs ----------------------------------------------------------------------- */

int pv_vfio_bar_info(struct pv_vfio_dev *d, unsigned int bar, uint64_t *size, int *mmappable)
{
	if (bar >= PV_VFIO_NBARS)
		return -EINVAL;
	if (size)
		*size = d->region[bar].size;
	if (mmappable)
		*mmappable = !!(d->region[bar].flags & VFIO_REGION_INFO_FLAG_MMAP);
	return 0;
}

static int bar_check(struct pv_vfio_dev *d, unsigned int bar, uint64_t off, unsigned int len)
{
	uint64_t size;

	if (bar >= PV_VFIO_NBARS)
		return -EINVAL;
	size = d->region[bar].size;
	if ((len != 1 && len != 2 && len != 4 && len != 8) || off % len || off >= size ||
	    len > size - off)
		return -EINVAL;
	return 0;
}

int pv_vfio_bar_read(struct pv_vfio_dev *d, unsigned int bar, uint64_t offset, void *buf,
		     unsigned int len)
{
	int rc = bar_check(d, bar, offset, len);

	if (rc < 0)
		return rc;
	if (pread(d->device, buf, len, (off_t)(d->region[bar].offset + offset)) != (ssize_t)len)
		return -EIO;
	return 0;
}

int pv_vfio_bar_write(struct pv_vfio_dev *d, unsigned int bar, uint64_t offset, const void *buf,
		      unsigned int len)
{
	int rc = bar_check(d, bar, offset, len);

	if (rc < 0)
		return rc;
	if (pwrite(d->device, buf, len, (off_t)(d->region[bar].offset + offset)) != (ssize_t)len)
		return -EIO;
	return 0;
}

int pv_vfio_bar_map(struct pv_vfio_dev *d, unsigned int bar, void **addr, size_t *len)
{
	void *p;

	if (bar >= PV_VFIO_ROM || !d->region[bar].size)
		return -EINVAL;
	if (!(d->region[bar].flags & VFIO_REGION_INFO_FLAG_MMAP))
		return -ENOTSUP;
	if (!d->bar_map[bar]) {
		p = mmap(NULL, d->region[bar].size, PROT_READ | PROT_WRITE, MAP_SHARED, d->device,
			 (off_t)d->region[bar].offset);
		if (p == MAP_FAILED)
			return -errno;
		d->bar_map[bar] = p;
		d->bar_len[bar] = d->region[bar].size;
	}
	*addr = d->bar_map[bar];
	*len = d->bar_len[bar];
	return 0;
}

/* ---- interrupts ----------------------------------------------------------------- */

/* VFIO_DEVICE_SET_IRQS of vectors 0..@count-1 of @index with eventfds @efds (count 0: none). */
static int set_irqs(struct pv_vfio_dev *d, unsigned int index, uint32_t flags, uint32_t count,
		    const int *efds)
{
	size_t argsz = sizeof(struct vfio_irq_set) + (size_t)count * sizeof(int32_t);
	struct vfio_irq_set *s = calloc(1, argsz);
	int rc = 0;

	if (!s)
		return -ENOMEM;
	s->argsz = (uint32_t)argsz;
	s->flags = flags;
	s->index = index;
	s->start = 0;
	s->count = count;
	for (uint32_t i = 0; i < count; i++) {
		int32_t fd = efds[i];

		memcpy(s->data + i * sizeof(fd), &fd, sizeof(fd));
	}
	if (ioctl(d->device, VFIO_DEVICE_SET_IRQS, s) < 0)
		rc = -errno;
	free(s);
	return rc;
}

int pv_vfio_irq_enable(struct pv_vfio_dev *d, enum pv_vfio_irq irq, int efd)
{
	int rc;

	if (irq > PV_VFIO_IRQ_MSIX || efd < 0)
		return -EINVAL;
	rc = set_irqs(d, (unsigned int)irq, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 1,
		      &efd);
	if (rc < 0) {
		pv_err_errno(rc, "vfio %s: enabling interrupt %d", d->bdf, irq);
		return rc;
	}
	d->irq_on |= 1u << irq;
	return 0;
}

int pv_vfio_irq_disable(struct pv_vfio_dev *d, enum pv_vfio_irq irq)
{
	int rc;

	if (irq > PV_VFIO_IRQ_MSIX)
		return -EINVAL;
	rc = set_irqs(d, (unsigned int)irq, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0,
		      NULL);
	d->irq_on &= ~(1u << irq);
	return rc;
}

int pv_vfio_irq_enable_vectors(struct pv_vfio_dev *d, enum pv_vfio_irq irq, const int *efds,
			       unsigned int count)
{
	int rc;

	if (irq > PV_VFIO_IRQ_MSIX)
		return -EINVAL;
	if (!count)
		return pv_vfio_irq_disable(d, irq);
	if (count > pv_vfio_irq_count(d, irq))
		return -EINVAL;
	rc = set_irqs(d, (unsigned int)irq, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		      count, efds);
	if (rc < 0) {
		pv_err_errno(rc, "vfio %s: enabling %u vectors of interrupt %d", d->bdf, count, irq);
		return rc;
	}
	d->irq_on |= 1u << irq;
	return 0;
}

unsigned int pv_vfio_irq_count(struct pv_vfio_dev *d, enum pv_vfio_irq irq)
{
	struct vfio_irq_info ii = {.argsz = sizeof(ii), .index = (uint32_t)irq};

	if (irq > PV_VFIO_IRQ_MSIX || ioctl(d->device, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0)
		return 0;
	return ii.count;
}

int pv_vfio_irq_unmask(struct pv_vfio_dev *d, enum pv_vfio_irq irq)
{
	char buf[sizeof(struct vfio_irq_set)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

	if (irq > PV_VFIO_IRQ_MSIX)
		return -EINVAL;
	memset(buf, 0, sizeof(buf));
	s->argsz = sizeof(*s);
	s->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK;
	s->index = (uint32_t)irq;
	s->count = 1;
	return ioctl(d->device, VFIO_DEVICE_SET_IRQS, s) < 0 ? -errno : 0;
}

/* The eventfd MSI goes to when the guest enables it through config space. */
int pv_vfio_msi_efd(struct pv_vfio_dev *d)
{
	if (d->msi_efd < 0)
		d->msi_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return d->msi_efd < 0 ? -errno : d->msi_efd;
}

/* ---- DMA ------------------------------------------------------------------------ */

int pv_vfio_dma_map_guest(struct pv_vfio_dev *d, int memfd, uint64_t size)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m) };
	void *p;

	if (d->dma_va)
		return -EBUSY;
	if (!size || size % 4096 || size > SIZE_MAX)
		return -EINVAL;
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (p == MAP_FAILED)
		return -errno;
	m.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	m.vaddr = (uintptr_t)p;
	m.iova = 0;
	m.size = size;
	if (ioctl(d->container, VFIO_IOMMU_MAP_DMA, &m) < 0) {
		int rc = -errno;

		pv_err_errno(rc, "vfio %s: VFIO_IOMMU_MAP_DMA of %llu bytes", d->bdf,
			     (unsigned long long)size);
		munmap(p, (size_t)size);
		return rc;
	}
	d->dma_va = p;
	d->dma_size = size;
	return 0;
}

int pv_vfio_dma_unmap_guest(struct pv_vfio_dev *d)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u) };
	int rc = 0;

	if (!d->dma_va)
		return 0;
	u.iova = 0;
	u.size = d->dma_size;
	if (ioctl(d->container, VFIO_IOMMU_UNMAP_DMA, &u) < 0) {
		rc = -errno;
		pv_err_errno(rc, "vfio %s: VFIO_IOMMU_UNMAP_DMA", d->bdf);
	}
	munmap(d->dma_va, (size_t)d->dma_size);
	d->dma_va = NULL;
	d->dma_size = 0;
	return rc;
}

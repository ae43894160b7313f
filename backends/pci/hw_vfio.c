/* SPDX-License-Identifier: MIT */
/*
 * pvkit-pciback's device access in production: domain 0's VFIO layer
 * (include/pvkit/vfio.h), behind the seam the unit tests replace.
 */
#include <errno.h>

#include "common.h"

static int hw_open(const char *sysfs, const char *bdf, int permissive, void **hw, char *err,
		   size_t errlen)
{
	struct pv_vfio_dev *d;
	int rc = pv_vfio_open(sysfs, bdf, permissive, &d, err, errlen);

	if (rc == 0)
		*hw = d;
	return rc;
}

static void hw_close(void *hw)
{
	pv_vfio_close(hw);
}

static int hw_cfg_read(void *hw, unsigned int off, unsigned int size, uint32_t *val)
{
	return pv_vfio_cfg_read(hw, off, size, val);
}

static int hw_cfg_write(void *hw, unsigned int off, unsigned int size, uint32_t val)
{
	return pv_vfio_cfg_write(hw, off, size, val);
}

static unsigned int hw_cfg_size(void *hw)
{
	return pv_vfio_cfg_size(hw);
}

static const struct pv_pci_cfg_filter *hw_filter(void *hw)
{
	return pv_vfio_filter(hw);
}

static int hw_bar_info(void *hw, unsigned int bar, uint64_t *size, uint32_t *flags)
{
	uint32_t type;
	int rc = pv_vfio_bar_info(hw, bar, size, NULL);

	if (rc < 0)
		return rc;
	*flags = 0;
	if (!*size)
		return 0;
	type = pv_vfio_bar_type(hw, bar);
	if (type & 1) {
		*flags = PV_PCI_BAR_IO;
		return 0;
	}
	*flags = PV_PCI_BAR_MMIO;
	if (type & 8)
		*flags |= PV_PCI_BAR_PREFETCH;
	if (((type >> 1) & 3) == 2)
		*flags |= PV_PCI_BAR_64;
	return 0;
}

static int hw_bar_read(void *hw, unsigned int bar, uint64_t off, void *buf, unsigned int len)
{
	return pv_vfio_bar_read(hw, bar, off, buf, len);
}

static int hw_bar_write(void *hw, unsigned int bar, uint64_t off, const void *buf,
			unsigned int len)
{
	return pv_vfio_bar_write(hw, bar, off, buf, len);
}

static unsigned int hw_irq_count(void *hw, enum pv_vfio_irq irq)
{
	return pv_vfio_irq_count(hw, irq);
}

static int hw_irq_set(void *hw, enum pv_vfio_irq irq, const int *efds, unsigned int count)
{
	return pv_vfio_irq_enable_vectors(hw, irq, efds, count);
}

static int hw_irq_unmask(void *hw, enum pv_vfio_irq irq)
{
	return pv_vfio_irq_unmask(hw, irq);
}

static int hw_reset(void *hw)
{
	return pv_vfio_reset(hw);
}

static int hw_dma_map(void *hw, int memfd, uint64_t size)
{
	return pv_vfio_dma_map_guest(hw, memfd, size);
}

const struct pciback_hw_ops pciback_hw_vfio = {
	.open = hw_open,
	.close = hw_close,
	.cfg_read = hw_cfg_read,
	.cfg_write = hw_cfg_write,
	.cfg_size = hw_cfg_size,
	.filter = hw_filter,
	.bar_info = hw_bar_info,
	.bar_read = hw_bar_read,
	.bar_write = hw_bar_write,
	.irq_count = hw_irq_count,
	.irq_set = hw_irq_set,
	.irq_unmask = hw_irq_unmask,
	.reset = hw_reset,
	.dma_map = hw_dma_map,
};

/* SPDX-License-Identifier: MIT */
/*
 * Config space of a VFIO device as the guest sees it: writes pass
 * pv_pci_cfg_check_write(); BARs and the interrupt line are shadowed (BAR
 * sizing answered from the VFIO region sizes), the command register only
 * lets the decode, bus-master and INTx-disable bits through, and MSI
 * enable is turned into VFIO_DEVICE_SET_IRQS.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pvkit/log.h"
#include "vfio_priv.h"

#define CMD_ALLOWED 0x0407u /* I/O, memory, bus master, INTx disable */
#define BAR_FIRST 0x10u
#define BAR_END 0x28u
#define ROM_OFF 0x30u

static int raw_read(struct pv_vfio_dev *d, unsigned int off, void *buf, unsigned int len)
{
	const struct pv_vfio_region *r = &d->region[VFIO_PCI_CONFIG_REGION_INDEX];

	if (off >= r->size || len > r->size - off)
		return -EINVAL;
	if (pread(d->device, buf, len, (off_t)(r->offset + off)) != (ssize_t)len)
		return -EIO;
	return 0;
}

static int raw_write(struct pv_vfio_dev *d, unsigned int off, const void *buf, unsigned int len)
{
	const struct pv_vfio_region *r = &d->region[VFIO_PCI_CONFIG_REGION_INDEX];

	if (off >= r->size || len > r->size - off)
		return -EINVAL;
	if (pwrite(d->device, buf, len, (off_t)(r->offset + off)) != (ssize_t)len)
		return -EIO;
	return 0;
}

int pv_vfio_cfg_quiesce(struct pv_vfio_dev *d)
{
	uint8_t b[2];
	int rc = raw_read(d, 0x04, b, 2);
	uint16_t cmd;

	if (rc < 0)
		return rc;
	cmd = (uint16_t)(b[0] | b[1] << 8);
	cmd = (uint16_t)((cmd & ~0x0007u) | 0x0400u); /* I/O, memory, bus master off; INTx disabled */
	b[0] = (uint8_t)cmd;
	b[1] = (uint8_t)(cmd >> 8);
	return raw_write(d, 0x04, b, 2);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The writable address bits of BAR @i (0-5): how many dwords it takes. */
static unsigned int bar_setup(struct pv_vfio_dev *d, const uint8_t *cfg, unsigned int i)
{
	uint32_t v = le32(cfg + BAR_FIRST + 4 * i);
	uint64_t size = d->region[i].size;

	if (!size) {
		d->bar_mask[i] = 0;
		d->bar_shadow[i] = 0;
		return 1;
	}
	d->bar_mask[i] = (uint32_t)~(size - 1) & ((v & 1) ? ~0x3u : ~0xfu);
	d->bar_shadow[i] = v;
	if (!(v & 1) && ((v >> 1) & 3) == 2 && i < 5) { /* 64-bit: the next dword is the top */
		d->bar_mask[i + 1] = (uint32_t)(~(size - 1) >> 32);
		d->bar_shadow[i + 1] = le32(cfg + BAR_FIRST + 4 * (i + 1));
		return 2;
	}
	return 1;
}

int pv_vfio_cfg_init(struct pv_vfio_dev *d, int permissive, char *err, size_t errlen)
{
	uint8_t cfg[256];
	uint64_t rom = d->region[VFIO_PCI_ROM_REGION_INDEX].size;
	int rc = raw_read(d, 0, cfg, sizeof(cfg));

	if (rc < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot read config space", d->bdf);
		return rc;
	}
	pv_pci_cfg_filter_init(&d->filter, cfg, permissive);
	if (d->filter.header_type == 0) {
		for (unsigned int i = 0; i < 6;)
			i += bar_setup(d, cfg, i); /* a 64-bit BAR takes two dwords */
		d->bar_mask[PV_VFIO_ROM] = rom ? (((uint32_t)~(rom - 1) & 0xfffff800u) | 1u) : 0;
		d->bar_shadow[PV_VFIO_ROM] = rom ? le32(cfg + ROM_OFF) : 0;
	}
	d->irq_line = cfg[0x3c];
	return 0;
}

uint32_t pv_vfio_bar_type(const struct pv_vfio_dev *d, unsigned int bar)
{
	uint32_t v;

	if (bar >= PV_VFIO_NBARS || !d->region[bar].size || d->filter.header_type != 0)
		return 0;
	if (bar == PV_VFIO_ROM)
		return 0; /* memory, 32-bit */
	v = d->bar_shadow[bar];
	return (v & 1) ? 1 : (v & 0xf);
}

/* Which shadow dword covers config byte @off, or -1. */
static int shadow_index(const struct pv_vfio_dev *d, unsigned int off)
{
	if (d->filter.header_type != 0)
		return -1;
	if (off >= BAR_FIRST && off < BAR_END)
		return (int)((off - BAR_FIRST) / 4);
	if (off >= ROM_OFF && off < ROM_OFF + 4)
		return PV_VFIO_ROM;
	return -1;
}

int pv_vfio_cfg_read(struct pv_vfio_dev *d, unsigned int offset, unsigned int size, uint32_t *val)
{
	uint8_t b[4];
	int rc;

	if ((size != 1 && size != 2 && size != 4) || offset % size)
		return -EINVAL;
	rc = raw_read(d, offset, b, size);
	if (rc < 0)
		return rc;
	*val = 0;
	for (unsigned int i = 0; i < size; i++) {
		unsigned int off = offset + i;
		int s = shadow_index(d, off);

		if (s >= 0)
			b[i] = (uint8_t)(d->bar_shadow[s] >> (8 * (off % 4)));
		else if (off == 0x3c)
			b[i] = d->irq_line;
		*val |= (uint32_t)b[i] << (8 * i);
	}
	return 0;
}

/* A write inside one BAR dword: merged into the shadow, address bits only. */
static int write_bar(struct pv_vfio_dev *d, int s, unsigned int offset, unsigned int size,
		     uint32_t val)
{
	unsigned int shift = 8 * (offset % 4);
	uint32_t bytes = size == 4 ? ~0u : ((1u << (8 * size)) - 1) << shift;
	uint32_t merged = (d->bar_shadow[s] & ~bytes) | ((val << shift) & bytes);

	d->bar_shadow[s] = (merged & d->bar_mask[s]) | (d->bar_shadow[s] & ~d->bar_mask[s]);
	return 0;
}

static int write_command(struct pv_vfio_dev *d, unsigned int offset, unsigned int size,
			 uint32_t val)
{
	uint8_t b[4];
	uint16_t cmd, want;
	int rc = raw_read(d, 0x04, b, 2);

	if (rc < 0)
		return rc;
	cmd = (uint16_t)(b[0] | b[1] << 8);
	want = (uint16_t)(val << (8 * (offset - 0x04)));
	if (size == 1)
		want = (uint16_t)((cmd & (offset == 0x04 ? 0xff00 : 0x00ff)) | want);
	cmd = (uint16_t)((cmd & ~CMD_ALLOWED) | (want & CMD_ALLOWED));
	b[0] = (uint8_t)cmd;
	b[1] = (uint8_t)(cmd >> 8);
	b[2] = (uint8_t)(val >> 16); /* status: write-1-to-clear, allowed */
	b[3] = (uint8_t)(val >> 24);
	return raw_write(d, 0x04, b, size == 4 ? 4 : 2);
}

/* MSI capability: the enable bit becomes VFIO_DEVICE_SET_IRQS; the rest is absorbed. */
static int write_msi(struct pv_vfio_dev *d, unsigned int offset, unsigned int size, uint32_t val)
{
	unsigned int ctl = d->filter.msi_cap + 2u;
	int efd;

	if (ctl < offset || ctl >= offset + size)
		return 0; /* address, data, mask: the host owns them */
	if (!((val >> (8 * (ctl - offset))) & 1))
		return (d->irq_on & (1u << PV_VFIO_IRQ_MSI)) ? pv_vfio_irq_disable(d, PV_VFIO_IRQ_MSI)
							     : 0;
	if (d->irq_on & (1u << PV_VFIO_IRQ_MSI))
		return 0;
	efd = pv_vfio_msi_efd(d);
	return efd < 0 ? efd : pv_vfio_irq_enable(d, PV_VFIO_IRQ_MSI, efd);
}

static int in_cap(unsigned int off, unsigned int cap, unsigned int len)
{
	return cap && off >= cap && off < cap + len;
}

int pv_vfio_cfg_write(struct pv_vfio_dev *d, unsigned int offset, unsigned int size, uint32_t val)
{
	uint8_t b[4];
	int s;

	switch (pv_pci_cfg_check_write(&d->filter, offset, size)) {
	case PV_PCI_CFG_DENY:
		return -EPERM;
	case PV_PCI_CFG_ALLOW:
		for (unsigned int i = 0; i < size; i++)
			b[i] = (uint8_t)(val >> (8 * i));
		return raw_write(d, offset, b, size);
	case PV_PCI_CFG_EMULATE:
		break;
	}
	s = shadow_index(d, offset);
	if (s >= 0)
		return write_bar(d, s, offset, size, val);
	if (offset >= 0x04 && offset < 0x06)
		return write_command(d, offset, size, val);
	if (offset == 0x3c) {
		d->irq_line = (uint8_t)val;
		return 0;
	}
	if (in_cap(offset, d->filter.msi_cap, d->filter.msi_len))
		return write_msi(d, offset, size, val);
	pv_debug("vfio %s: config write at %#x absorbed", d->bdf, offset);
	return 0; /* MSI-X control, power state: mediated by the host, not the guest */
}

/* SPDX-License-Identifier: MIT */
/*
 * The config-space write filter between a guest's driver and a passed-
 * through device, modelled on xen-pciback's rules (facts only): the
 * standard header is mostly read-only or mediated (BARs, command, the
 * interrupt line), MSI, MSI-X and power management are mediated, and
 * everything else passes only when the assignment is permissive.
 */
#include <errno.h>
#include <string.h>

#include "pvkit/pcihost.h"

#define CAP_PM   0x01
#define CAP_MSI  0x05
#define CAP_MSIX 0x11
#define CFG_SIZE 4096u

static uint16_t rd16(const uint8_t *cfg, unsigned int off)
{
	return (uint16_t)(cfg[off] | cfg[off + 1] << 8);
}

static uint8_t msi_length(uint16_t control)
{
	uint8_t len = (control & 0x80) ? 14 : 10; /* 64-bit address or not */

	return (control & 0x100) ? (uint8_t)(len + 10) : len; /* per-vector masking */
}

void pv_pci_cfg_filter_init(struct pv_pci_cfg_filter *f, const uint8_t cfg[256], int permissive)
{
	unsigned int ptr;

	memset(f, 0, sizeof(*f));
	f->permissive = permissive;
	f->header_type = cfg[0x0e] & 0x7f;
	if (!(rd16(cfg, 0x06) & 0x10))
		return; /* no capability list */
	ptr = cfg[0x34] & 0xfc;
	/* At most 48 capabilities fit in 192 bytes: a looping list cannot hold us. */
	for (int i = 0; i < 48 && ptr >= 0x40 && ptr <= 0xfc; i++) {
		uint8_t id = cfg[ptr];

		if (id == CAP_MSI && !f->msi_cap && ptr + 2 <= 0xfe) {
			f->msi_cap = (uint8_t)ptr;
			f->msi_len = msi_length(rd16(cfg, ptr + 2));
		} else if (id == CAP_MSIX && !f->msix_cap && ptr + 2 <= 0xfe) {
			f->msix_cap = (uint8_t)ptr;
			f->msix_entries = (uint16_t)((rd16(cfg, ptr + 2) & 0x7ff) + 1);
		} else if (id == CAP_PM && !f->pm_cap) {
			f->pm_cap = (uint8_t)ptr;
		}
		ptr = cfg[ptr + 1] & 0xfc;
	}
}

/* The verdict for one byte of the standard header (0x00-0x3f). */
static enum pv_pci_cfg_verdict header_byte(const struct pv_pci_cfg_filter *f, unsigned int off)
{
	if (off == 0x04 || off == 0x05)
		return PV_PCI_CFG_EMULATE; /* command: the mediator keeps decode bits safe (XSA-120) */
	if (off == 0x06 || off == 0x07 || off == 0x0c || off == 0x0d)
		return PV_PCI_CFG_ALLOW;   /* status (write-1-to-clear), cache line, latency */
	if (f->header_type == 0 && ((off >= 0x10 && off < 0x28) || (off >= 0x30 && off < 0x34)))
		return PV_PCI_CFG_EMULATE; /* BARs and the ROM BAR: sizing is emulated */
	if (off == 0x3c)
		return PV_PCI_CFG_EMULATE; /* interrupt line: virtual */
	return PV_PCI_CFG_DENY;            /* IDs, class, header type, BIST, pointers, pin */
}

static int in_range(unsigned int off, unsigned int start, unsigned int len)
{
	return start && off >= start && off < start + len;
}

static enum pv_pci_cfg_verdict byte_verdict(const struct pv_pci_cfg_filter *f, unsigned int off)
{
	if (off < 0x40)
		return header_byte(f, off);
	if (in_range(off, f->msi_cap, 2) || in_range(off, f->msix_cap, 2) || in_range(off, f->pm_cap, 2))
		return PV_PCI_CFG_DENY; /* capability id and next pointer */
	if (in_range(off, f->msi_cap, f->msi_len))
		return PV_PCI_CFG_EMULATE; /* MSI state goes through the enable API */
	if (in_range(off, f->msix_cap + 2, 2))
		return PV_PCI_CFG_EMULATE; /* MSI-X control */
	if (in_range(off, f->msix_cap, 12))
		return PV_PCI_CFG_DENY;    /* table and PBA locations */
	if (in_range(off, f->pm_cap + 4, 2))
		return PV_PCI_CFG_EMULATE; /* power state changes are mediated */
	if (in_range(off, f->pm_cap, 8))
		return PV_PCI_CFG_DENY;
	return f->permissive ? PV_PCI_CFG_ALLOW : PV_PCI_CFG_DENY;
}

enum pv_pci_cfg_verdict pv_pci_cfg_check_write(const struct pv_pci_cfg_filter *f,
					       unsigned int offset, unsigned int size)
{
	enum pv_pci_cfg_verdict v = PV_PCI_CFG_ALLOW, b;

	if ((size != 1 && size != 2 && size != 4) || offset % size || offset >= CFG_SIZE ||
	    offset + size > CFG_SIZE)
		return PV_PCI_CFG_DENY;
	for (unsigned int i = 0; i < size; i++) {
		b = byte_verdict(f, offset + i);
		if (b > v)
			v = b;
	}
	return v;
}

int pv_pci_msix_check_access(const struct pv_pci_cfg_filter *f, uint64_t offset, unsigned int len)
{
	uint64_t table = (uint64_t)f->msix_entries * 16;

	if (!f->msix_cap || (len != 4 && len != 8) || offset % len || offset >= table ||
	    len > table - offset)
		return -EINVAL;
	return 0;
}

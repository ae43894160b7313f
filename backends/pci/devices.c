/* SPDX-License-Identifier: MIT */
/*
 * pvkit-pciback's devices: exporting one (open it through VFIO, which
 * checks its group and resets it; confine its DMA to exactly the guest's
 * memory; give it a slot on the guest's bus 0000:00) and releasing it
 * (interrupts off, every mapping gone, reset, closed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

int pciback_opts_permissive(const char *opts)
{
	const char *p = opts;

	while (p && *p) {
		if (!strncmp(p, "permissive=", 11))
			return p[11] == '1';
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return 0;
}

/* The guest's memory, mapped at IOVA = guest-physical address in @d's IOMMU. */
static int map_guest_memory(struct pciback_bus *b, struct pciback_pdev *d, char *err,
			    size_t errlen)
{
	int rc;

	if (b->memfd < 0) {
		rc = pv_foreign_mem_fd(b->pb->platform, b->frontend_id, &b->mem_bytes);
		if (rc == -ENOTSUP) {
			pv_dev_info(b->prefix, "%s: the platform maps guest memory into the IOMMU itself",
				    d->bdf);
			return 0;
		}
		if (rc < 0) {
			snprintf(err, errlen, "cannot get domain %u's memory: %s", b->frontend_id,
				 strerror(-rc));
			return rc;
		}
		b->memfd = rc;
	}
	rc = b->pb->hw->dma_map(d->hw, b->memfd, b->mem_bytes);
	if (rc < 0)
		snprintf(err, errlen, "cannot map domain %u's %llu bytes of memory into the IOMMU: %s",
			 b->frontend_id, (unsigned long long)b->mem_bytes, strerror(-rc));
	return rc;
}

/* Where the MSI-X table sits (BAR and range), so BAR writes cannot reach it. */
static void find_msix_table(struct pciback_pdev *d)
{
	const struct pciback_hw_ops *hw = d->bus->pb->hw;
	const struct pv_pci_cfg_filter *f = hw->filter(d->hw);
	uint32_t v;

	if (!f->msix_cap || hw->cfg_read(d->hw, f->msix_cap + 4u, 4, &v) < 0)
		return;
	d->msix_bir = (uint8_t)(v & 7);
	d->msix_off = v & ~7u;
	d->msix_len = (uint64_t)f->msix_entries * 16;
}

/*
 * A slot on the guest's bus: a function of a device whose sibling is
 * already exported shares its slot (same function number), else the
 * first free slot, function 0.
 */
static int pick_vdevfn(struct pciback_bus *b, const char *bdf)
{
	unsigned int used = 0, func = (unsigned int)(bdf[11] - '0');

	for (unsigned int i = 0; i < PCIBACK_MAX_DEVS; i++) {
		struct pciback_pdev *o = b->devs[i];

		if (!o)
			continue;
		used |= 1u << (o->vdevfn >> 3);
		if (!strncmp(o->bdf, bdf, 10) && func < 8) /* "DDDD:BB:SS" */
			return (o->vdevfn & 0xf8) | (int)func;
	}
	for (unsigned int s = 0; s < 32; s++)
		if (!(used & (1u << s)))
			return (int)(s << 3);
	return -ENOSPC;
}

int pciback_dev_export(struct pciback_bus *b, const char *bdf, int permissive, int want_vdevfn,
		       struct pciback_pdev **out, char *err, size_t errlen)
{
	struct pciback_pdev *d;
	int slot = -1, vdevfn, rc;

	for (unsigned int i = 0; i < PCIBACK_MAX_DEVS && slot < 0; i++)
		if (!b->devs[i])
			slot = (int)i;
	d = calloc(1, sizeof(*d));
	if (!d || slot < 0) {
		free(d);
		snprintf(err, errlen, "no room for another device on the guest's bus");
		return -ENOSPC;
	}
	d->bus = b;
	d->permissive = permissive;
	rc = pv_pci_bdf_normalise(bdf, d->bdf);
	if (rc < 0) {
		snprintf(err, errlen, "'%s' is not a PCI address", bdf);
		goto out_free;
	}
	vdevfn = want_vdevfn >= 0 ? want_vdevfn : pick_vdevfn(b, d->bdf);
	if (vdevfn < 0 || vdevfn > 0xff || pciback_find(b, 0, 0, (uint32_t)vdevfn)) {
		rc = vdevfn < 0 ? vdevfn : -EEXIST;
		snprintf(err, errlen, vdevfn < 0 ? "the guest's bus is full"
						 : "guest slot %02x.%x is taken",
			 (unsigned int)vdevfn >> 3, (unsigned int)vdevfn & 7);
		goto out_free;
	}
	d->vdevfn = (uint8_t)vdevfn;
	rc = b->pb->hw->open(b->pb->sysfs, d->bdf, permissive, &d->hw, err, errlen);
	if (rc < 0)
		goto out_free;
	rc = map_guest_memory(b, d, err, errlen);
	if (rc < 0)
		goto out_close;
	find_msix_table(d);
	b->devs[slot] = d;
	pv_dev_info(b->prefix, "%s exported as 0000:00:%02x.%x%s", d->bdf, d->vdevfn >> 3,
		    d->vdevfn & 7, permissive ? " (permissive)" : "");
	*out = d;
	return 0;

out_close:
	b->pb->hw->close(d->hw);
out_free:
	free(d);
	return rc;
}

void pciback_dev_release(struct pciback_pdev *d)
{
	struct pciback_bus *b = d->bus;

	for (unsigned int i = 0; i < PCIBACK_MAX_DEVS; i++)
		if (b->devs[i] == d)
			b->devs[i] = NULL;
	pciback_irq_disable(d);
	if (d->hw)
		b->pb->hw->close(d->hw); /* BAR and DMA mappings gone, reset */
	pv_dev_info(b->prefix, "%s released after %llu ops (%llu refused)", d->bdf,
		    (unsigned long long)d->ops, (unsigned long long)d->errors);
	free(d);
}

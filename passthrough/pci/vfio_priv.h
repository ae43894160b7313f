/* SPDX-License-Identifier: MIT */
/*
 * What vfio.c and vfio_cfg.c share about one open VFIO device: its fds,
 * region table, mappings and the config-space shadow. Not a public API.
 */
#ifndef PVKIT_VFIO_PRIV_H
#define PVKIT_VFIO_PRIV_H

#include <linux/vfio.h>

#include "pvkit/pcihost.h"
#include "pvkit/vfio.h"

#define PV_VFIO_NBARS 7     /* BAR0-5 and the ROM (regions 0-6) */
#define PV_VFIO_NREGIONS 8  /* ... and config space (region 7) */

struct pv_vfio_region {
	uint64_t size, offset;
	uint32_t flags;
};

struct pv_vfio_dev {
	char bdf[PV_PCI_BDF_LEN];
	int container, group, device;
	int group_id;          /* its IOMMU group's number */
	int iommu_type;
	struct vfio_device_info info;
	struct pv_vfio_region region[PV_VFIO_NREGIONS];
	void *bar_map[PV_VFIO_NBARS];
	size_t bar_len[PV_VFIO_NBARS];
	unsigned int irq_on;   /* bit per enum pv_vfio_irq */
	int msi_efd;           /* for MSI enabled through config space, -1: none yet */
	void *dma_va;          /* the guest's memory as mapped here, NULL: none */
	uint64_t dma_size;
	/* config space as the guest sees it */
	struct pv_pci_cfg_filter filter;
	uint32_t bar_shadow[PV_VFIO_NBARS]; /* what the guest wrote (sizing), masked */
	uint32_t bar_mask[PV_VFIO_NBARS];   /* the writable address bits of each dword */
	uint8_t irq_line;
};

/* vfio_cfg.c: read the device's header, set up the filter and BAR shadows. */
int pv_vfio_cfg_init(struct pv_vfio_dev *d, int permissive, char *err, size_t errlen);
/* vfio_cfg.c: bus mastering, memory and I/O decoding off, INTx masked (no reset left). */
int pv_vfio_cfg_quiesce(struct pv_vfio_dev *d);
/* vfio.c: the eventfd for MSI enabled through config space. */
int pv_vfio_msi_efd(struct pv_vfio_dev *d);

#endif

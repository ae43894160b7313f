/* SPDX-License-Identifier: MIT */
/*
 * PCI passthrough, the host's side: list the host's PCI devices (libpci,
 * names from pci.ids), tell which can be assigned (IOMMU group viability,
 * as VFIO decides it), bind them to vfio-pci through driver_override and
 * give them back; and the config-space write filter that stands between a
 * guest's driver and the device (like xen-pciback's).
 *
 * Every function returns 0 (or a count) or -errno, and on failure writes
 * one human-readable reason to @err (at most @errlen bytes) when given.
 * @sysfs is the sysfs mount (NULL: "/sys"); tests point it at a fake tree.
 */
#ifndef PVKIT_PCIHOST_H
#define PVKIT_PCIHOST_H

#include <stddef.h>
#include <stdint.h>

#define PV_PCI_BDF_LEN 13 /* "0000:03:00.0" and a NUL */

struct pv_pci_host_dev {
	char bdf[PV_PCI_BDF_LEN];
	uint16_t vendor, device;
	uint32_t class_code;   /* base << 16 | sub << 8 | prog-if */
	char name[200];        /* "Vendor Device" from pci.ids (truncated) */
	char driver[64];       /* the bound driver, "" when none */
	int iommu_group;       /* -1: none (no IOMMU, or it is off) */
	int is_bridge;         /* a PCI-PCI bridge or a host bridge */
	int assignable;        /* the device and its whole group can go to a guest */
	char reason[200];      /* why not, when !assignable */
};

/*
 * Normalise a BDF ("3:0.1", "00:03.0", "0000:00:03.0") into @out as
 * "DDDD:BB:DD.F". Returns 0 or -EINVAL.
 */
int pv_pci_bdf_normalise(const char *in, char out[PV_PCI_BDF_LEN]);

/*
 * Every PCI device of the host, sorted by BDF. *@out is malloc()ed: free()
 * it. Returns the count or -errno.
 */
int pv_pci_host_list(const char *sysfs, struct pv_pci_host_dev **out, char *err, size_t errlen);

/* One device by BDF: 0, or -ENODEV when the host has no such device. */
int pv_pci_host_get(const char *sysfs, const char *bdf, struct pv_pci_host_dev *out, char *err,
		    size_t errlen);

/*
 * The functions the host has at device @dev of bus @bus in PCI domain
 * @domain (what xl's BB:DD.* names): bit F set for function F, from the
 * entries of <sysfs>/bus/pci/devices. Returns the mask (0: no such
 * device) or -errno when the directory cannot be read.
 */
int pv_pci_slot_functions(const char *sysfs, unsigned int domain, unsigned int bus,
			  unsigned int dev);

/*
 * Make @bdf assignable: refuse when there is no IOMMU, the device is a
 * bridge, or another endpoint of its IOMMU group is bound to a host driver
 * (the group would not be viable); else remember the current driver in
 * @statedir/<bdf>.driver, set driver_override to vfio-pci, unbind, and
 * re-probe so vfio-pci takes it. Already bound to vfio-pci: 0.
 */
int pv_pci_assignable_add(const char *sysfs, const char *bdf, const char *statedir, char *err,
			  size_t errlen);

/*
 * pv_pci_assignable_add for every function of device DDDD:BB:DD (@domain,
 * @bus, @dev: what xl's BB:DD.* names) together: its functions do not
 * stand in each other's way in their IOMMU group, other devices still do.
 * All or none: every function is checked before any is bound, and when
 * binding one fails the functions bound so far go back to the drivers
 * they had. Returns how many functions the device has, or -errno
 * (-ENODEV: no such device).
 */
int pv_pci_assignable_add_slot(const char *sysfs, unsigned int domain, unsigned int bus,
			       unsigned int dev, const char *statedir, char *err, size_t errlen);

/*
 * Give @bdf back: unbind it from vfio-pci, clear driver_override, and with
 * @rebind bind the driver remembered by pv_pci_assignable_add() (or let
 * the kernel probe when none was remembered).
 */
int pv_pci_assignable_remove(const char *sysfs, const char *bdf, int rebind, const char *statedir,
			     char *err, size_t errlen);

/*
 * pv_pci_assignable_remove for every function of device DDDD:BB:DD
 * together: none is touched unless every one is bound to vfio-pci (a
 * function left behind would keep its group from the host). A function
 * that then fails to go back does not stop the others; the first failure
 * is reported. Returns how many functions went back, or -errno.
 */
int pv_pci_assignable_remove_slot(const char *sysfs, unsigned int domain, unsigned int bus,
				  unsigned int dev, int rebind, const char *statedir, char *err,
				  size_t errlen);

/* ---- the config-space write filter ---------------------------------------------- */

enum pv_pci_cfg_verdict {
	PV_PCI_CFG_ALLOW = 0,   /* pass the write to the device */
	PV_PCI_CFG_EMULATE = 1, /* the mediator handles it (BARs, command, MSI/MSI-X, PM) */
	PV_PCI_CFG_DENY = 2,    /* refuse it (read-only, dangerous, or outside the filter) */
};

/* What the filter knows of one device, from its config space. */
struct pv_pci_cfg_filter {
	int permissive;       /* let writes outside the known-safe set through */
	uint8_t header_type;  /* 0: endpoint, 1: bridge */
	uint8_t msi_cap;      /* offset of the MSI capability, 0: none */
	uint8_t msix_cap;     /* offset of the MSI-X capability, 0: none */
	uint8_t pm_cap;       /* offset of the power-management capability, 0: none */
	uint16_t msix_entries; /* MSI-X table size */
	uint8_t msi_len;      /* bytes of the MSI capability (10..24) */
};

/*
 * Learn the capabilities from the first 256 bytes of config space (the
 * device's, not the guest's: a hostile device list loop is bounded).
 */
void pv_pci_cfg_filter_init(struct pv_pci_cfg_filter *f, const uint8_t cfg[256], int permissive);

/* The verdict for a guest's write of @size (1, 2 or 4) bytes at @offset. */
enum pv_pci_cfg_verdict pv_pci_cfg_check_write(const struct pv_pci_cfg_filter *f,
					       unsigned int offset, unsigned int size);

/*
 * Check a guest's access to the MSI-X table at byte @offset for @len
 * bytes: 0, or -EINVAL past the table's end, unaligned, or not 4 or 8
 * bytes (XSA-164).
 */
int pv_pci_msix_check_access(const struct pv_pci_cfg_filter *f, uint64_t offset, unsigned int len);

#endif

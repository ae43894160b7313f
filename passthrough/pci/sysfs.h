/* SPDX-License-Identifier: MIT */
/*
 * Private to libpvkit's PCI code (passthrough/pci/, frontends/pci/): small
 * sysfs helpers shared by the lister, the binder and the VFIO layer.
 */
#ifndef PVKIT_PCI_SYSFS_H
#define PVKIT_PCI_SYSFS_H

#include <stddef.h>

/* "/sys" unless @sysfs is given. */
const char *pci_sysfs_root(const char *sysfs);
/* The driver bound to @bdf into @buf ("" when none). Returns 0 or -errno. */
int pci_sysfs_driver(const char *sysfs, const char *bdf, char *buf, size_t len);
/* The IOMMU group number of @bdf, or -1 when it has none. */
int pci_sysfs_group(const char *sysfs, const char *bdf);
/* Write @val to the sysfs file @fmt... Returns 0 or -errno. */
int pci_sysfs_write(const char *val, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct pv_pci_host_dev;
/*
 * pv_pci_host_get, with the functions of device @also ("DDDD:BB:DD") left
 * out of the IOMMU group check (host.c).
 */
int pci_host_get_with(const char *sysfs, const char *bdf, const char *also,
		      struct pv_pci_host_dev *out, char *err, size_t errlen);
/* Set a reason. */
void pci_reason(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

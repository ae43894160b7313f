/* SPDX-License-Identifier: MIT */
/*
 * A fake sysfs tree for unit tests of the PCI host code: tests point libpci
 * and $PVKIT_SYSFS at fakesysfs_root. Paths below are relative to it.
 */
#ifndef PVKIT_TEST_FAKESYSFS_H
#define PVKIT_TEST_FAKESYSFS_H

#include <stddef.h>

extern char fakesysfs_root[64];

/* A fresh tree with bus/pci/devices and drivers_probe: 0 or -1. */
int fakesysfs_init(void);
/* Remove the tree: 0 or -1. */
int fakesysfs_remove(void);
void fakesysfs_put(const char *rel, const void *data, size_t len);
void fakesysfs_mkdirs(const char *rel);
/* A symlink at @rel pointing at @target (replaced if there). */
void fakesysfs_link(const char *target, const char *rel);
/* A driver directory with bind and unbind. */
void fakesysfs_driver(const char *name);
/* One device: IDs, class, its group (-1: none) and driver (NULL: none). */
void fakesysfs_device(const char *bdf, unsigned int ven, unsigned int dev, unsigned int cls,
		      int group, const char *drv);

#endif

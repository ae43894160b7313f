/* SPDX-License-Identifier: MIT */
/*
 * A fake sysfs tree for unit tests of the PCI host code (libpci reads it
 * through its sysfs method, pvkit through $PVKIT_SYSFS): devices with their
 * IDs, class, config space, IOMMU group and driver.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakesysfs.h"

char fakesysfs_root[64];

int fakesysfs_init(void)
{
	snprintf(fakesysfs_root, sizeof(fakesysfs_root), "/tmp/pvkit-sysfs-XXXXXX");
	if (!mkdtemp(fakesysfs_root))
		return -1;
	fakesysfs_mkdirs("bus/pci/devices");
	fakesysfs_put("bus/pci/drivers_probe", "", 0);
	return 0;
}

int fakesysfs_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fakesysfs_root);
	return system(cmd) == 0 ? 0 : -1;
}

void fakesysfs_put(const char *rel, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fakesysfs_root, rel);
	f = fopen(path, "w");
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

void fakesysfs_mkdirs(const char *rel)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", fakesysfs_root, rel);
	if (system(cmd) != 0)
		fprintf(stderr, "mkdir %s failed\n", rel);
}

void fakesysfs_link(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", fakesysfs_root, rel);
	unlink(path);
	if (symlink(target, path) < 0)
		perror(path);
}

void fakesysfs_driver(const char *name)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s", name);
	fakesysfs_mkdirs(rel);
	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/bind", name);
	fakesysfs_put(rel, "", 0);
	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/unbind", name);
	fakesysfs_put(rel, "", 0);
}

/* One device: IDs, class, its group (-1: none) and driver (NULL: none). */
void fakesysfs_device(const char *bdf, unsigned int ven, unsigned int dev, unsigned int cls,
		      int group, const char *drv)
{
	uint8_t cfg[256] = {0};
	char rel[256], val[64], target[128];

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", bdf);
	fakesysfs_mkdirs(rel);
	cfg[0] = ven & 0xff, cfg[1] = ven >> 8, cfg[2] = dev & 0xff, cfg[3] = dev >> 8;
	cfg[9] = cls & 0xff, cfg[10] = (cls >> 8) & 0xff, cfg[11] = cls >> 16;
	cfg[0x0e] = (cls >> 8) == 0x0604 ? 1 : 0;
#define PUT(name, fmt, v)                                                                          \
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/" name, bdf);                               \
	snprintf(val, sizeof(val), fmt "\n", v);                                                   \
	fakesysfs_put(rel, val, strlen(val))
	PUT("vendor", "0x%04x", ven);
	PUT("device", "0x%04x", dev);
	PUT("class", "0x%06x", cls);
	PUT("irq", "%d", 0);
	PUT("driver_override", "%s", "(null)");
#undef PUT
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/config", bdf);
	fakesysfs_put(rel, cfg, sizeof(cfg));
	if (group >= 0) {
		snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices", group);
		fakesysfs_mkdirs(rel);
		snprintf(target, sizeof(target), "../../../../bus/pci/devices/%s", bdf);
		snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices/%s", group, bdf);
		fakesysfs_link(target, rel);
		snprintf(target, sizeof(target), "../../../../kernel/iommu_groups/%d", group);
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/iommu_group", bdf);
		fakesysfs_link(target, rel);
	}
	if (drv) {
		fakesysfs_driver(drv);
		snprintf(target, sizeof(target), "../../../../bus/pci/drivers/%s", drv);
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/driver", bdf);
		fakesysfs_link(target, rel);
	}
}


/* SPDX-License-Identifier: MIT */
/*
 * Small sysfs helpers for PCI passthrough: the bound driver, the IOMMU
 * group, and writes to the driver-binding files.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysfs.h"

const char *pci_sysfs_root(const char *sysfs)
{
	return sysfs && *sysfs ? sysfs : "/sys";
}

static int link_basename(const char *path, char *buf, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *base;

	if (n < 0)
		return -errno;
	target[n] = 0;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return 0;
}

int pci_sysfs_driver(const char *sysfs, const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", pci_sysfs_root(sysfs), bdf);
	rc = link_basename(path, buf, len);
	if (rc == -ENOENT) {
		buf[0] = 0;
		return 0;
	}
	return rc;
}

int pci_sysfs_group(const char *sysfs, const char *bdf)
{
	char path[PATH_MAX], name[32], *end;
	long g;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group", pci_sysfs_root(sysfs), bdf);
	if (link_basename(path, name, sizeof(name)) < 0)
		return -1;
	g = strtol(name, &end, 10);
	return (*end || g < 0 || g > INT_MAX) ? -1 : (int)g;
}

int pci_sysfs_write(const char *val, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	ssize_t n;
	int fd, rc = 0;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC); /* sysfs ignores O_TRUNC */
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		rc = -errno;
	else if ((size_t)n != strlen(val))
		rc = -EIO;
	close(fd);
	return rc;
}

void pci_reason(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

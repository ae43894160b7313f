/* SPDX-License-Identifier: MIT */
/*
 * What a guest config needs from the host, checked before create starts
 * anything: disk targets that open with their access mode, bridges that exist.
 */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domcfg.h"
#include "pvkit/pcihost.h"

static int check_error(struct xlcfg_err *err, int rc, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int check_error(struct xlcfg_err *err, int rc, const char *where, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err->msg, sizeof(err->msg), "%s: ", where);

	if (n < 0 || (size_t)n >= sizeof(err->msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

static int check_disk(const struct diskspec *d, size_t i, const char *where,
		      struct xlcfg_err *err)
{
	struct stat st;
	int fd;

	/* Open it as the backend will, so permissions and read-only media show now. */
	fd = open(d->target, (d->readwrite ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return check_error(err, -errno, where, "disk %zu: target %s: %s", i, d->target,
				   strerror(errno));
	if (fstat(fd, &st) < 0) {
		int rc = -errno;

		close(fd);
		return check_error(err, rc, where, "disk %zu: target %s: %s", i, d->target,
				   strerror(-rc));
	}
	close(fd);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return check_error(err, -EINVAL, where,
				   "disk %zu: target %s: not a regular file or block device", i,
				   d->target);
	return 0;
}

static int check_bridge(const struct vifspec *v, size_t i, const char *where,
			const char *sysfs_net, struct xlcfg_err *err)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s/bridge", sysfs_net, v->bridge);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return check_error(err, -ENODEV, where,
			   "vif %zu: bridge %s does not exist (create it with: ip link add %s type "
			   "bridge)",
			   i, v->bridge, v->bridge);
}

/*
 * A pci= device: one function (BB:DD.* is not expanded yet), present, and
 * bound to vfio-pci (what pci-assignable-add does), as libxl checks that
 * it is in the assignable list; not named twice.
 */
static int check_pci(const struct domcfg *dc, size_t i, struct xlcfg_err *err)
{
	const struct pcispec *p = &dc->pcis[i];
	const char *sysfs = getenv("PVKIT_SYSFS");
	struct pv_pci_host_dev hd;
	char bdf[16], why[256];
	int rc;

	domcfg_pci_bdf(p, bdf);
	if (p->all_functions)
		return check_error(err, -ENOTSUP, dc->pci_where[i],
				   "pci %zu: %02x:%02x.*: list each function instead", i, p->bus,
				   p->dev);
	for (size_t j = 0; j < i; j++) {
		char other[16];

		domcfg_pci_bdf(&dc->pcis[j], other);
		if (!strcmp(bdf, other))
			return check_error(err, -EEXIST, dc->pci_where[i],
					   "pci %zu: PCI device %s is already pci %zu", i, bdf, j);
		if (p->vslot > 0 && p->vslot == dc->pcis[j].vslot)
			return check_error(err, -EEXIST, dc->pci_where[i],
					   "pci %zu: guest slot %02x is already pci %zu's", i,
					   p->vslot, j);
	}
	rc = pv_pci_host_get(sysfs && *sysfs ? sysfs : NULL, bdf, &hd, why, sizeof(why));
	if (rc < 0)
		return check_error(err, rc, dc->pci_where[i], "pci %zu: PCI device %s: %s", i, bdf,
				   why);
	if (strcmp(hd.driver, "vfio-pci"))
		return check_error(err, -EPERM, dc->pci_where[i],
				   "pci %zu: PCI device %s is not assignable (%s), run pvkit "
				   "pci-assignable-add %s",
				   i, bdf, hd.driver[0] ? hd.driver : "no driver", bdf);
	return 0;
}

int domcfg_check_host(const struct domcfg *dc, const char *sysfs_net, struct xlcfg_err *err)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < dc->ndisks; i++)
		rc = check_disk(&dc->disks[i], i, dc->disk_where[i], err);
	for (size_t i = 0; !rc && i < dc->nvifs; i++)
		rc = check_bridge(&dc->vifs[i], i, dc->vif_where[i], sysfs_net, err);
	for (size_t i = 0; !rc && i < dc->npcis; i++)
		rc = check_pci(dc, i, err);
	return rc;
}

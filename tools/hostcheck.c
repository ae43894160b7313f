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

/* Every function the pci= list names, as libxl adds them, each with the item it came from. */
struct pci_fn {
	struct pcispec s;
	size_t item;
};

/*
 * pci item @i: BB:DD.* has a guest slot (libxl's "Must specify a v-slot
 * for multi-function devices") and functions on this host; its functions
 * go to @fns (at *@n).
 */
static int expand_pci(const struct domcfg *dc, size_t i, struct pci_fn *fns, size_t *n,
		      struct xlcfg_err *err)
{
	const struct pcispec *p = &dc->pcis[i];
	struct pcispec fn[8];
	int nf;

	if (p->all_functions && p->vslot <= 0)
		return check_error(err, -EINVAL, dc->pci_where[i],
				   "pci %zu: %02x:%02x.*: all functions need a guest slot "
				   "(%02x:%02x.*@SLOT, SLOT 1 to 1f), as xl's",
				   i, p->bus, p->dev, p->bus, p->dev);
	nf = pcispec_functions(p, fn);
	if (nf == 0)
		return check_error(err, -ENODEV, dc->pci_where[i],
				   "pci %zu: PCI device %04x:%02x:%02x.*: no such PCI device on "
				   "this host", i, p->domain, p->bus, p->dev);
	for (int f = 0; f < nf; f++)
		fns[(*n)++] = (struct pci_fn){fn[f], i};
	return 0;
}

/*
 * One function: present and bound to vfio-pci (what pci-assignable-add
 * does), as libxl checks that it is in the assignable list; neither it nor
 * its guest slot named by an earlier item.
 */
static int check_pci_fn(const struct domcfg *dc, const struct pci_fn *fns, size_t k,
			struct xlcfg_err *err)
{
	const struct pci_fn *e = &fns[k];
	const char *sysfs = getenv("PVKIT_SYSFS"), *where = dc->pci_where[e->item];
	int vdevfn = pcispec_vdevfn(&e->s), rc;
	struct pv_pci_host_dev hd;
	char bdf[16], why[256];

	domcfg_pci_bdf(&e->s, bdf);
	for (size_t j = 0; j < k; j++) {
		char other[16];

		domcfg_pci_bdf(&fns[j].s, other);
		if (!strcmp(bdf, other))
			return check_error(err, -EEXIST, where, "pci %zu: PCI device %s is already pci %zu",
					   e->item, bdf, fns[j].item);
		if (vdevfn >= 0 && fns[j].item != e->item && vdevfn == pcispec_vdevfn(&fns[j].s))
			return check_error(err, -EEXIST, where,
					   "pci %zu: guest slot %02x.%x is already pci %zu's", e->item,
					   vdevfn >> 3, vdevfn & 7, fns[j].item);
	}
	rc = pv_pci_host_get(sysfs && *sysfs ? sysfs : NULL, bdf, &hd, why, sizeof(why));
	if (rc < 0)
		return check_error(err, rc, where, "pci %zu: PCI device %s: %s", e->item, bdf, why);
	if (strcmp(hd.driver, "vfio-pci"))
		return check_error(err, -EPERM, where,
				   "pci %zu: PCI device %s is not assignable (%s), run pvkit "
				   "pci-assignable-add %s",
				   e->item, bdf, hd.driver[0] ? hd.driver : "no driver", bdf);
	return 0;
}

static int check_pcis(const struct domcfg *dc, struct xlcfg_err *err)
{
	struct pci_fn *fns;
	size_t n = 0;
	int rc = 0;

	if (!dc->npcis)
		return 0;
	fns = calloc(dc->npcis * 8, sizeof(*fns));
	if (!fns)
		return check_error(err, -ENOMEM, "pci", "out of memory");
	for (size_t i = 0; !rc && i < dc->npcis; i++)
		rc = expand_pci(dc, i, fns, &n, err);
	for (size_t k = 0; !rc && k < n; k++)
		rc = check_pci_fn(dc, fns, k, err);
	free(fns);
	return rc;
}

int domcfg_pci_functions(struct domcfg *dc, struct xlcfg_err *err)
{
	const char *sysfs = getenv("PVKIT_SYSFS");

	for (size_t i = 0; i < dc->npcis; i++) {
		struct pcispec *p = &dc->pcis[i];
		int mask;

		if (!p->all_functions)
			continue;
		mask = pv_pci_slot_functions(sysfs && *sysfs ? sysfs : NULL, p->domain, p->bus,
					     p->dev);
		if (mask < 0)
			return check_error(err, mask, dc->pci_where[i],
					   "pci %zu: cannot list %s/bus/pci/devices: %s", i,
					   sysfs && *sysfs ? sysfs : "/sys", strerror(-mask));
		p->func_mask = (unsigned)mask;
	}
	return 0;
}

int domcfg_check_host(const struct domcfg *dc, const char *sysfs_net, struct xlcfg_err *err)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < dc->ndisks; i++)
		rc = check_disk(&dc->disks[i], i, dc->disk_where[i], err);
	for (size_t i = 0; !rc && i < dc->nvifs; i++)
		rc = check_bridge(&dc->vifs[i], i, dc->vif_where[i], sysfs_net, err);
	return rc ? rc : check_pcis(dc, err);
}

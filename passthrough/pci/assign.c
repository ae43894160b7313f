/* SPDX-License-Identifier: MIT */
/*
 * Binding a host PCI device to vfio-pci and back, through sysfs's
 * driver_override (the mechanism libxl's pci-assignable-add uses with
 * pciback), remembering the original driver so remove can restore it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pvkit/pcihost.h"
#include "sysfs.h"

#define VFIO "vfio-pci"

static int remember(const char *statedir, const char *bdf, const char *driver)
{
	char path[PATH_MAX];
	FILE *f;

	if (mkdir(statedir, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s.driver", statedir, bdf);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "%s\n", driver);
	return fclose(f) ? -errno : 0;
}

static void recall(const char *statedir, const char *bdf, char *driver, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	driver[0] = 0;
	snprintf(path, sizeof(path), "%s/%s.driver", statedir, bdf);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(driver, (int)len, f))
		driver[0] = 0;
	driver[strcspn(driver, "\n")] = 0;
	fclose(f);
}

static void forget(const char *statedir, const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.driver", statedir, bdf);
	unlink(path);
}

/* On the real sysfs, check the kernel did what we asked. */
static int bound_to(const char *sysfs, const char *bdf, const char *want)
{
	char drv[64];

	if (strcmp(pci_sysfs_root(sysfs), "/sys"))
		return 1; /* a test tree: no kernel behind it */
	return pci_sysfs_driver(sysfs, bdf, drv, sizeof(drv)) == 0 && !strcmp(drv, want);
}

/* @bdf assignable, its group judged without the functions of device @also (NULL: none). */
static int check_one(const char *sysfs, const char *bdf, const char *also,
		     struct pv_pci_host_dev *d, char *err, size_t errlen)
{
	int rc = pci_host_get_with(sysfs, bdf, also, d, err, errlen);

	if (rc < 0)
		return rc;
	if (!d->assignable) {
		pci_reason(err, errlen, "%s: %s", d->bdf, d->reason);
		return -EPERM;
	}
	return 0;
}

/* Bind checked device @d to vfio-pci through driver_override. */
static int bind_one(const char *sysfs, const struct pv_pci_host_dev *d, const char *statedir,
		    char *err, size_t errlen)
{
	const char *root = pci_sysfs_root(sysfs);
	char path[PATH_MAX];
	int rc;

	if (!strcmp(d->driver, VFIO))
		return 0;
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/" VFIO, root);
	if (access(path, F_OK) < 0) {
		pci_reason(err, errlen, "the vfio-pci driver is not loaded (try: modprobe vfio-pci)");
		return -ENODEV;
	}
	rc = remember(statedir, d->bdf, d->driver);
	if (rc < 0) {
		pci_reason(err, errlen, "%s: cannot record its driver under %s: %s", d->bdf, statedir,
			   strerror(-rc));
		return rc;
	}
	rc = pci_sysfs_write(VFIO, "%s/bus/pci/devices/%s/driver_override", root, d->bdf);
	if (rc == 0 && d->driver[0])
		rc = pci_sysfs_write(d->bdf, "%s/bus/pci/devices/%s/driver/unbind", root, d->bdf);
	if (rc == 0)
		rc = pci_sysfs_write(d->bdf, "%s/bus/pci/drivers_probe", root);
	if (rc < 0) {
		pci_reason(err, errlen, "%s: cannot rebind it to vfio-pci: %s", d->bdf, strerror(-rc));
		return rc;
	}
	if (!bound_to(sysfs, d->bdf, VFIO)) {
		pci_reason(err, errlen, "%s: vfio-pci did not take the device", d->bdf);
		return -EIO;
	}
	return 0;
}

/*
 * Undo bind_one() for checked device @d as far as it went: off vfio-pci,
 * driver_override cleared, back to the driver it had (pv_pci_assignable_add_slot's
 * "all or none"). Best effort: the caller already reports the first failure.
 */
static void unbind_one(const char *sysfs, const struct pv_pci_host_dev *d, const char *statedir)
{
	const char *root = pci_sysfs_root(sysfs);
	char drv[64], orig[64];

	if (!strcmp(d->driver, VFIO))
		return; /* it was with vfio-pci before: nothing was done */
	if (pci_sysfs_driver(sysfs, d->bdf, drv, sizeof(drv)) < 0)
		drv[0] = 0;
	if (!strcmp(drv, VFIO))
		pci_sysfs_write(d->bdf, "%s/bus/pci/drivers/" VFIO "/unbind", root);
	pci_sysfs_write("\n", "%s/bus/pci/devices/%s/driver_override", root, d->bdf);
	recall(statedir, d->bdf, orig, sizeof(orig));
	forget(statedir, d->bdf);
	if (d->driver[0] && strcmp(drv, d->driver))
		pci_sysfs_write(d->bdf, "%s/bus/pci/drivers/%s/bind", root, d->driver);
}

int pv_pci_assignable_add(const char *sysfs, const char *bdf, const char *statedir, char *err,
			  size_t errlen)
{
	struct pv_pci_host_dev d;
	int rc = check_one(sysfs, bdf, NULL, &d, err, errlen);

	return rc < 0 ? rc : bind_one(sysfs, &d, statedir, err, errlen);
}

int pv_pci_assignable_add_slot(const char *sysfs, unsigned int domain, unsigned int bus,
			       unsigned int dev, const char *statedir, char *err, size_t errlen)
{
	int mask = pv_pci_slot_functions(sysfs, domain, bus, dev), n = 0, bound = 0, rc = 0;
	struct pv_pci_host_dev d[8];
	char slot[16], bdf[32];

	snprintf(slot, sizeof(slot), "%04x:%02x:%02x", domain & 0xffff, bus & 0xff, dev & 0x1f);
	if (mask <= 0) {
		pci_reason(err, errlen, "%s.*: %s", slot,
			   mask < 0 ? strerror(-mask) : "no such PCI device on this host");
		return mask < 0 ? mask : -ENODEV;
	}
	/* Every function checked before any is bound: all of them or none. */
	for (int f = 0; f < 8 && rc == 0; f++) {
		if (!(mask & (1 << f)))
			continue;
		snprintf(bdf, sizeof(bdf), "%s.%x", slot, f);
		rc = check_one(sysfs, bdf, slot, &d[n++], err, errlen);
	}
	for (; bound < n && rc == 0; bound++)
		rc = bind_one(sysfs, &d[bound], statedir, err, errlen);
	/* One failed: the ones before it (and what it did itself) go back. */
	for (int i = 0; rc < 0 && i < bound; i++)
		unbind_one(sysfs, &d[i], statedir);
	return rc < 0 ? rc : n;
}

/*
 * @bdf normalised into @norm, and may it be given back? It may when
 * vfio-pci has it, or when it has no driver but one is remembered for it
 * (an earlier remove took it off vfio-pci and that driver did not take it
 * back: this is the retry). 0 with its driver in @drv, or -EINVAL (said
 * in @err).
 */
static int check_remove(const char *sysfs, const char *statedir, const char *bdf,
			char norm[PV_PCI_BDF_LEN], char drv[64], char *err, size_t errlen)
{
	char orig[64];
	int rc;

	if (pv_pci_bdf_normalise(bdf, norm) < 0) {
		pci_reason(err, errlen, "%s: not a PCI address (use DDDD:BB:DD.F)", bdf);
		return -EINVAL;
	}
	rc = pci_sysfs_driver(sysfs, norm, drv, 64);
	if (rc < 0) {
		pci_reason(err, errlen, "%s: cannot read its driver: %s", norm, strerror(-rc));
		return -EINVAL;
	}
	if (!drv[0])
		recall(statedir, norm, orig, sizeof(orig));
	if (strcmp(drv, VFIO) && (drv[0] || !orig[0])) {
		pci_reason(err, errlen, "%s: not assignable-bound (its driver is %s)", norm,
			   drv[0] ? drv : "none");
		return -EINVAL;
	}
	return 0;
}

int pv_pci_assignable_remove(const char *sysfs, const char *bdf, int rebind, const char *statedir,
			     char *err, size_t errlen)
{
	const char *root = pci_sysfs_root(sysfs);
	char norm[PV_PCI_BDF_LEN], drv[64], orig[64];
	int rc = 0, off;

	if (check_remove(sysfs, statedir, bdf, norm, drv, err, errlen) < 0)
		return -EINVAL;
	if (!strcmp(drv, VFIO))
		rc = pci_sysfs_write(norm, "%s/bus/pci/drivers/" VFIO "/unbind", root);
	/* An empty line clears driver_override. */
	if (rc == 0)
		rc = pci_sysfs_write("\n", "%s/bus/pci/devices/%s/driver_override", root, norm);
	off = rc == 0;
	recall(statedir, norm, orig, sizeof(orig));
	if (rc == 0 && rebind && orig[0])
		rc = pci_sysfs_write(norm, "%s/bus/pci/drivers/%s/bind", root, orig);
	else if (rc == 0 && rebind)
		rc = pci_sysfs_write(norm, "%s/bus/pci/drivers_probe", root);
	if (rc == 0 && rebind && orig[0] && !bound_to(sysfs, norm, orig))
		rc = -EIO;
	if (rc < 0 && off && rebind && orig[0]) {
		/* Off vfio-pci, not back with its driver: keep the name for a retry. */
		pci_reason(err, errlen, "%s: %s did not take the device back (%s); it is off vfio-pci, "
			   "run pci-assignable-remove --rebind again once %s can take it", norm, orig,
			   rc == -EIO ? "still not bound" : strerror(-rc), orig);
		return rc;
	}
	if (rc < 0) {
		pci_reason(err, errlen, "%s: cannot give it back: %s", norm, strerror(-rc));
		return rc;
	}
	forget(statedir, norm);
	return 0;
}

int pv_pci_assignable_remove_slot(const char *sysfs, unsigned int domain, unsigned int bus,
				  unsigned int dev, int rebind, const char *statedir, char *err,
				  size_t errlen)
{
	int mask = pv_pci_slot_functions(sysfs, domain, bus, dev), done = 0, first = 0, rc;
	char slot[16], bdf[32], norm[PV_PCI_BDF_LEN], drv[64], why[256];

	snprintf(slot, sizeof(slot), "%04x:%02x:%02x", domain & 0xffff, bus & 0xff, dev & 0x1f);
	if (mask <= 0) {
		pci_reason(err, errlen, "%s.*: %s", slot,
			   mask < 0 ? strerror(-mask) : "no such PCI device on this host");
		return mask < 0 ? mask : -ENODEV;
	}
	/* Every function checked before any is touched: all of them or none. */
	for (int f = 0; f < 8; f++) {
		snprintf(bdf, sizeof(bdf), "%s.%x", slot, f);
		if ((mask & (1 << f)) && check_remove(sysfs, statedir, bdf, norm, drv, err, errlen) < 0)
			return -EINVAL;
	}
	for (int f = 0; f < 8; f++) {
		if (!(mask & (1 << f)))
			continue;
		snprintf(bdf, sizeof(bdf), "%s.%x", slot, f);
		rc = pv_pci_assignable_remove(sysfs, bdf, rebind, statedir, why, sizeof(why));
		if (rc < 0 && !first) {
			first = rc;
			pci_reason(err, errlen, "%s", why);
		}
		done += rc == 0;
	}
	return first < 0 ? first : done;
}

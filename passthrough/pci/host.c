/* SPDX-License-Identifier: MIT */
/*
 * The host's PCI devices through libpci (its sysfs method, names from
 * pci.ids) and whether each can be assigned: VFIO hands a guest a whole
 * IOMMU group, so every endpoint in the group must be free of host drivers.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pci/pci.h>

#include "pvkit/pcihost.h"
#include "sysfs.h"

/* libpci's error callback must not return: jump back to the caller. */
static __thread jmp_buf *pci_jump;
static __thread char pci_msg[200];

static void __attribute__((noreturn)) pci_fail(char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	vsnprintf(pci_msg, sizeof(pci_msg), msg, ap);
	va_end(ap);
	longjmp(*pci_jump, 1);
}

static void pci_quiet(char *msg, ...)
{
	(void)msg;
}

int pv_pci_bdf_normalise(const char *in, char out[PV_PCI_BDF_LEN])
{
	unsigned int dom = 0, bus, dev, fn;
	char tail;

	/* Hex digits and separators only: sscanf's %x would also take "0x". */
	if (strspn(in, "0123456789abcdefABCDEF:.") != strlen(in))
		return -EINVAL;
	if (sscanf(in, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) != 4) {
		dom = 0;
		if (sscanf(in, "%x:%x.%x%c", &bus, &dev, &fn, &tail) != 3)
			return -EINVAL;
	}
	if (dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(out, PV_PCI_BDF_LEN, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

int pv_pci_slot_functions(const char *sysfs, unsigned int domain, unsigned int bus,
			  unsigned int dev)
{
	char path[PATH_MAX];
	struct dirent *e;
	int mask = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/bus/pci/devices", pci_sysfs_root(sysfs));
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((e = readdir(dir))) {
		unsigned int d, b, s, f;
		char tail;

		/* The kernel's names: "DDDD:BB:DD.F", lower-case hex. */
		if (sscanf(e->d_name, "%4x:%2x:%2x.%1x%c", &d, &b, &s, &f, &tail) == 4 &&
		    d == domain && b == bus && s == dev && f < 8)
			mask |= 1 << f;
	}
	closedir(dir);
	return mask;
}

static int is_free_driver(const char *drv)
{
	return !*drv || !strcmp(drv, "vfio-pci") || !strcmp(drv, "pci-stub");
}

static int is_bridge_class(uint32_t class_code)
{
	return (class_code >> 8) == 0x0604 || (class_code >> 8) == 0x0600 ||
	       (class_code >> 8) == 0x0609;
}

static void fill_one(struct pci_access *a, struct pci_dev *d, struct pv_pci_host_dev *o)
{
	char vendor[96], device[96];
	char *s;

	pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT | PCI_FILL_DRIVER |
			 PCI_FILL_IOMMU_GROUP);
	memset(o, 0, sizeof(*o));
	snprintf(o->bdf, sizeof(o->bdf), "%04x:%02x:%02x.%x", d->domain & 0xffff, d->bus, d->dev & 0x1f,
		 d->func & 7);
	o->vendor = d->vendor_id;
	o->device = d->device_id;
	o->class_code = (uint32_t)d->device_class << 8 | d->prog_if;
	pci_lookup_name(a, vendor, sizeof(vendor), PCI_LOOKUP_VENDOR, d->vendor_id);
	pci_lookup_name(a, device, sizeof(device), PCI_LOOKUP_DEVICE, d->vendor_id, d->device_id);
	/* Both names fit: 95 + 1 + 95 < sizeof(o->name). */
	snprintf(o->name, sizeof(o->name), "%.95s %.95s", vendor, device);
	s = pci_get_string_property(d, PCI_FILL_DRIVER);
	snprintf(o->driver, sizeof(o->driver), "%s", s ? s : "");
	s = pci_get_string_property(d, PCI_FILL_IOMMU_GROUP);
	o->iommu_group = s ? atoi(s) : -1;
	o->is_bridge = is_bridge_class(o->class_code);
}

static int cmp_bdf(const void *a, const void *b)
{
	return strcmp(((const struct pv_pci_host_dev *)a)->bdf,
		      ((const struct pv_pci_host_dev *)b)->bdf);
}

/* What a scan has gathered; on the heap so a longjmp from libpci loses nothing. */
struct scan_ctx {
	struct pv_pci_host_dev *devs;
	int n, cap;
};

static int scan_add(struct scan_ctx *c, struct pci_access *a, struct pci_dev *d)
{
	struct pv_pci_host_dev *g;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		g = realloc(c->devs, (size_t)c->cap * sizeof(*g));
		if (!g)
			return -ENOMEM;
		c->devs = g;
	}
	fill_one(a, d, &c->devs[c->n++]);
	return 0;
}

/* Scan with libpci; *out is malloc()ed. */
static int scan(const char *sysfs, struct pv_pci_host_dev **out, char *err, size_t errlen)
{
	struct scan_ctx *c = calloc(1, sizeof(*c));
	struct pci_access *a = pci_alloc();
	char path[PATH_MAX];
	jmp_buf jb;
	int rc = 0;

	if (!c || !a) {
		free(c);
		return -ENOMEM;
	}
	/* Forced to sysfs with its path set: on auto it would fall back to the real host. */
	a->method = PCI_ACCESS_SYS_BUS_PCI;
	a->error = pci_fail;
	a->warning = pci_quiet;
	snprintf(path, sizeof(path), "%s/bus/pci", pci_sysfs_root(sysfs));
	pci_jump = &jb;
	if (setjmp(jb)) {
		pci_reason(err, errlen, "libpci: %s", pci_msg);
		free(c->devs);
		free(c);
		return -EIO; /* libpci's state is unknown after its error: leak it rather than crash */
	}
	pci_set_param(a, "sysfs.path", path);
	/* Names from pci.ids only (udev's hwdb lookup also leaks in this libpci). */
	pci_set_param(a, "hwdb.disable", "1");
	pci_init(a);
	pci_scan_bus(a);
	for (struct pci_dev *d = a->devices; d && rc == 0; d = d->next)
		rc = scan_add(c, a, d);
	pci_cleanup(a);
	if (rc < 0) {
		free(c->devs);
		free(c);
		return rc;
	}
	qsort(c->devs, (size_t)c->n, sizeof(*c->devs), cmp_bdf);
	*out = c->devs;
	rc = c->n;
	free(c);
	return rc;
}

static int find(const char *sysfs, const char *bdf, struct pv_pci_host_dev *out, char *err,
		size_t errlen);

/*
 * Decide @d's assignability against the other devices of its group; the
 * functions of device @also ("DDDD:BB:DD", NULL: none) do not count (they
 * are being assigned with it).
 */
static void judge(const char *sysfs, struct pv_pci_host_dev *d, const char *also)
{
	char path[PATH_MAX], drv[64], bdf[PV_PCI_BDF_LEN];
	struct pv_pci_host_dev other;
	struct dirent *e;
	DIR *dir;

	d->assignable = 0;
	if (d->is_bridge)
		return pci_reason(d->reason, sizeof(d->reason), "a bridge: not assignable");
	if (d->iommu_group < 0)
		return pci_reason(d->reason, sizeof(d->reason),
				  "no IOMMU group: the host has no IOMMU or it is off "
				  "(boot with intel_iommu=on or amd_iommu=on)");
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices", pci_sysfs_root(sysfs),
		 d->iommu_group);
	dir = opendir(path);
	if (!dir)
		return pci_reason(d->reason, sizeof(d->reason), "cannot read IOMMU group %d",
				  d->iommu_group);
	d->assignable = 1;
	while ((e = readdir(dir)) && d->assignable) {
		if (e->d_name[0] == '.' || pv_pci_bdf_normalise(e->d_name, bdf) < 0 ||
		    !strcmp(bdf, d->bdf) || (also && !strncmp(bdf, also, 10)))
			continue;
		if (pci_sysfs_driver(sysfs, bdf, drv, sizeof(drv)) < 0 || is_free_driver(drv))
			continue;
		/* A bridge in the group is fine (VFIO allows it); an endpoint with a host driver is not. */
		if (find(sysfs, bdf, &other, NULL, 0) == 0 && other.is_bridge)
			continue;
		d->assignable = 0;
		pci_reason(d->reason, sizeof(d->reason),
			   "IOMMU group %d also holds %s (bound to %s): make it assignable too",
			   d->iommu_group, bdf, drv);
	}
	closedir(dir);
}

int pv_pci_host_list(const char *sysfs, struct pv_pci_host_dev **out, char *err, size_t errlen)
{
	int n = scan(sysfs, out, err, errlen);

	for (int i = 0; i < n; i++)
		judge(sysfs, &(*out)[i], NULL);
	return n;
}

/* Look @bdf up without judging it. */
static int find(const char *sysfs, const char *bdf, struct pv_pci_host_dev *out, char *err,
		size_t errlen)
{
	struct pv_pci_host_dev *devs;
	char want[PV_PCI_BDF_LEN];
	int n, rc = -ENODEV;

	if (pv_pci_bdf_normalise(bdf, want) < 0) {
		pci_reason(err, errlen, "%s: not a PCI address (use DDDD:BB:DD.F)", bdf);
		return -EINVAL;
	}
	n = scan(sysfs, &devs, err, errlen);
	if (n < 0)
		return n;
	for (int i = 0; i < n && rc; i++) {
		if (strcmp(devs[i].bdf, want))
			continue;
		*out = devs[i];
		rc = 0;
	}
	free(devs);
	if (rc)
		pci_reason(err, errlen, "%s: no such PCI device on this host", want);
	return rc;
}

int pci_host_get_with(const char *sysfs, const char *bdf, const char *also,
		      struct pv_pci_host_dev *out, char *err, size_t errlen)
{
	int rc = find(sysfs, bdf, out, err, errlen);

	if (rc == 0)
		judge(sysfs, out, also);
	return rc;
}

int pv_pci_host_get(const char *sysfs, const char *bdf, struct pv_pci_host_dev *out, char *err,
		    size_t errlen)
{
	return pci_host_get_with(sysfs, bdf, NULL, out, err, errlen);
}

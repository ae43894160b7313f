/* SPDX-License-Identifier: MIT */
/*
 * The xenstore nodes `pvkit create` writes for a guest: the paths, values and
 * permissions libxl writes (docs/misc/xenstore-paths, libxl's device add).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domcfg.h"

/* XenbusStateInitialising: every new device starts here, both halves. */
#define XS_STATE_INITIALISING "1"

void xsnodes_free(struct xsnodes *nodes)
{
	for (size_t i = 0; i < nodes->n; i++) {
		free(nodes->v[i].path);
		free(nodes->v[i].value);
	}
	free(nodes->v);
	nodes->v = NULL;
	nodes->n = 0;
}

const char *xsnodes_get(const struct xsnodes *nodes, const char *path)
{
	for (size_t i = 0; i < nodes->n; i++)
		if (!strcmp(nodes->v[i].path, path))
			return nodes->v[i].value;
	return NULL;
}

static int add(struct xsnodes *out, int owner, int reader, const char *dir, const char *key,
	       const char *value)
{
	struct xsnode *n = realloc(out->v, (out->n + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	out->v = n;
	n += out->n;
	n->path = NULL;
	if (!key)
		n->path = strdup(dir);
	else if (asprintf(&n->path, "%s/%s", dir, key) < 0)
		n->path = NULL;
	n->value = strdup(value);
	n->owner = owner;
	n->reader = reader;
	if (!n->path || !n->value) {
		free(n->path);
		free(n->value);
		return -ENOMEM;
	}
	out->n++;
	return 0;
}

/* Key/value pairs for one side of a device, written under one directory. */
struct kv {
	const char *key;
	char value[DISKSPEC_TARGET_MAX];
};

struct kvs {
	struct kv v[24];
	size_t n;
};

static void kv_set(struct kvs *k, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void kv_set(struct kvs *k, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (k->n >= sizeof(k->v) / sizeof(k->v[0]))
		return; /* sized for the largest device below */
	k->v[k->n].key = key;
	va_start(ap, fmt);
	vsnprintf(k->v[k->n].value, sizeof(k->v[k->n].value), fmt, ap);
	va_end(ap);
	k->n++;
}

static int add_kvs(struct xsnodes *out, int owner, int reader, const char *dir,
		   const struct kvs *k)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < k->n; i++)
		rc = add(out, owner, reader, dir, k->v[i].key, k->v[i].value);
	return rc;
}

/*
 * libxl's generic device add: the frontend directory (the guest owns it, the
 * backend reads it) with "backend", the backend directory (the backend
 * domain owns it, the guest reads it) with "frontend", then libxl's own copy
 * under /libxl/<domid>/device/<kind>/<devid> (toolstack only).
 */
static int add_device(struct xsnodes *out, const char *kind, unsigned domid, unsigned bdomid,
		      unsigned devid, const struct kvs *front, const struct kvs *ro_front,
		      const struct kvs *back)
{
	char fe[128], be[128], lx[128];
	int d = (int)domid, b = (int)bdomid, rc;

	snprintf(fe, sizeof(fe), "/local/domain/%u/device/%s/%u", domid, kind, devid);
	snprintf(be, sizeof(be), "/local/domain/%u/backend/%s/%u/%u", bdomid, kind, domid, devid);
	snprintf(lx, sizeof(lx), "/libxl/%u/device/%s/%u", domid, kind, devid);
	if ((rc = add(out, d, b, fe, NULL, "")) || (rc = add(out, d, b, fe, "backend", be)) ||
	    (rc = add_kvs(out, d, b, fe, front)) || (rc = add_kvs(out, b, d, fe, ro_front)))
		return rc;
	if ((rc = add(out, b, d, be, NULL, "")) || (rc = add(out, b, d, be, "frontend", fe)) ||
	    (rc = add_kvs(out, b, d, be, back)))
		return rc;
	if ((rc = add(out, 0, -1, lx, "frontend", fe)) || (rc = add(out, 0, -1, lx, "backend", be)))
		return rc;
	return add_kvs(out, 0, -1, lx, back);
}

int domcfg_disk_nodes(const struct diskspec *d, unsigned domid, unsigned backend_domid,
		      struct xsnodes *out)
{
	struct kvs front = {0}, back = {0}, none = {0};
	const char *type = d->cdrom ? "cdrom" : "disk";

	kv_set(&back, "params", "%s", d->target);
	kv_set(&back, "frontend-id", "%u", domid);
	kv_set(&back, "online", "1");
	kv_set(&back, "removable", "0");
	kv_set(&back, "bootable", "1");
	kv_set(&back, "state", XS_STATE_INITIALISING);
	kv_set(&back, "dev", "%s", d->vdev);
	kv_set(&back, "type", "phy");
	kv_set(&back, "mode", "%s", d->readwrite ? "w" : "r");
	kv_set(&back, "device-type", "%s", type);
	if (d->direct_io_safe)
		kv_set(&back, "direct-io-safe", "1");
	kv_set(&back, "discard-enable", "%d", d->discard ? 1 : 0);

	kv_set(&front, "backend-id", "%u", backend_domid);
	kv_set(&front, "state", XS_STATE_INITIALISING);
	kv_set(&front, "virtual-device", "%u", d->virtual_device);
	kv_set(&front, "device-type", "%s", type);
	return add_device(out, "vbd", domid, backend_domid, d->virtual_device, &front, &none, &back);
}

int domcfg_vif_nodes(const struct vifspec *v, unsigned domid, unsigned backend_domid,
		     struct xsnodes *out)
{
	struct kvs front = {0}, ro_front = {0}, back = {0};
	char mac[18];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", v->mac[0], v->mac[1],
		 v->mac[2], v->mac[3], v->mac[4], v->mac[5]);
	kv_set(&back, "frontend-id", "%u", domid);
	kv_set(&back, "online", "1");
	kv_set(&back, "state", XS_STATE_INITIALISING);
	if (v->vifname[0])
		kv_set(&back, "vifname", "%s", v->vifname);
	kv_set(&back, "mac", "%s", mac);
	if (v->ip[0])
		kv_set(&back, "ip", "%s", v->ip);
	if (v->rate_interval_usecs)
		kv_set(&back, "rate", "%" PRIu64 ",%" PRIu32, v->rate_bytes_per_interval,
		       v->rate_interval_usecs);
	kv_set(&back, "mtu", "%u", v->mtu);
	kv_set(&back, "bridge", "%s", v->bridge);
	kv_set(&back, "handle", "%d", v->devid);
	kv_set(&back, "type", "vif");

	kv_set(&front, "backend-id", "%u", backend_domid);
	kv_set(&front, "state", XS_STATE_INITIALISING);
	kv_set(&front, "handle", "%d", v->devid);
	kv_set(&front, "mac", "%s", mac);
	kv_set(&front, "trusted", "1");
	kv_set(&ro_front, "mtu", "%u", v->mtu);
	return add_device(out, "vif", domid, backend_domid, (unsigned)v->devid, &front, &ro_front,
			  &back);
}

int xsnodes_add(struct xsnodes *out, int owner, int reader, const char *dir, const char *key,
		const char *value)
{
	return add(out, owner, reader, dir, key, value);
}

/* "DDDD:BB:DD.F" of @p (PCI_BDF in libxl). */
void domcfg_pci_bdf(const struct pcispec *p, char out[16])
{
	snprintf(out, 16, "%04x:%02x:%02x.%01x", p->domain & 0xffff, p->bus & 0xff, p->dev & 0x1f,
		 p->func & 7);
}

/* The keys of device @i in the backend directory, as libxl_create_pci_backend_device. */
static void pci_dev_kvs(struct kvs *k, const struct pcispec *p, unsigned i)
{
	static char keys[6][24];
	char bdf[16];

	domcfg_pci_bdf(p, bdf);
	snprintf(keys[0], sizeof(keys[0]), "key-%u", i);
	snprintf(keys[1], sizeof(keys[1]), "dev-%u", i);
	snprintf(keys[2], sizeof(keys[2]), "vdevfn-%u", i);
	snprintf(keys[3], sizeof(keys[3]), "opts-%u", i);
	snprintf(keys[4], sizeof(keys[4]), "state-%u", i);
	kv_set(k, keys[0], "%s", bdf);
	kv_set(k, keys[1], "%s", bdf);
	if (pcispec_vdevfn(p) >= 0)
		kv_set(k, keys[2], "%x", (unsigned)pcispec_vdevfn(p));
	kv_set(k, keys[3], "msitranslate=%d,power_mgmt=%d,permissive=%d,rdm_policy=%s",
	       p->msitranslate > 0, p->power_mgmt > 0, p->permissive > 0,
	       p->rdm_policy == PCISPEC_RDM_RELAXED ? "relaxed" : "strict");
	kv_set(k, keys[4], XS_STATE_INITIALISING);
}

int domcfg_pci_dev_nodes(const struct pcispec *p, unsigned i, unsigned domid,
			 unsigned backend_domid, struct xsnodes *out)
{
	struct kvs k = {0};
	char be[96], lx[64], bdf[16], id[16];
	int rc;

	snprintf(be, sizeof(be), "/local/domain/%u/backend/pci/%u/0", backend_domid, domid);
	pci_dev_kvs(&k, p, i);
	rc = add_kvs(out, (int)backend_domid, (int)domid, be, &k);
	/* libxl's record of who holds the device: /libxl/pci/DDDD-BB-DD-F/domid. */
	domcfg_pci_bdf(p, bdf);
	bdf[4] = bdf[7] = bdf[10] = '-';
	snprintf(lx, sizeof(lx), "/libxl/pci/%s", bdf);
	snprintf(id, sizeof(id), "%u", domid);
	return rc ? rc : add(out, 0, -1, lx, "domid", id);
}

int domcfg_pci_nodes(const struct pcispec *p, size_t n, unsigned domid, const char *name,
		     unsigned backend_domid, struct xsnodes *out)
{
	struct kvs front = {0}, back = {0};
	struct pcispec fn[8];
	char fe[64], be[96];
	int d = (int)domid, b = (int)backend_domid, rc;
	unsigned num = 0;

	for (size_t i = 0; i < n; i++)
		num += (unsigned)pcispec_functions(&p[i], fn);

	snprintf(fe, sizeof(fe), "/local/domain/%u/device/pci/0", domid);
	snprintf(be, sizeof(be), "/local/domain/%u/backend/pci/%u/0", backend_domid, domid);
	kv_set(&back, "frontend", "%s", fe);
	kv_set(&back, "frontend-id", "%u", domid);
	kv_set(&back, "online", "1");
	kv_set(&back, "state", XS_STATE_INITIALISING);
	kv_set(&back, "domain", "%s", name);
	kv_set(&back, "num_devs", "%u", num);
	kv_set(&front, "backend", "%s", be);
	kv_set(&front, "backend-id", "%u", backend_domid);
	kv_set(&front, "state", XS_STATE_INITIALISING);
	if ((rc = add(out, b, d, be, NULL, "")) || (rc = add_kvs(out, b, d, be, &back)))
		return rc;
	num = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		int nf = pcispec_functions(&p[i], fn);

		for (int f = 0; !rc && f < nf; f++)
			rc = domcfg_pci_dev_nodes(&fn[f], num++, domid, backend_domid, out);
	}
	if (rc || (rc = add(out, d, b, fe, NULL, "")))
		return rc;
	return add_kvs(out, d, b, fe, &front);
}

/* The domain's own nodes: libxl makes ~ readable by the guest, a few writable. */
static int domain_nodes(const struct domcfg *dc, unsigned domid, struct xsnodes *out)
{
	char home[64], buf[32];
	int d = (int)domid, rc;

	snprintf(home, sizeof(home), "/local/domain/%u", domid);
	if ((rc = add(out, 0, d, home, NULL, "")) || (rc = add(out, 0, d, home, "name", dc->name)))
		return rc;
	snprintf(buf, sizeof(buf), "%u", domid);
	if ((rc = add(out, 0, d, home, "domid", buf)))
		return rc;
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)dc->memory_mib * 1024);
	if ((rc = add(out, 0, d, home, "memory/static-max", buf)) ||
	    (rc = add(out, 0, d, home, "memory/target", buf)))
		return rc;
	for (unsigned i = 0; i < dc->vcpus; i++) {
		snprintf(buf, sizeof(buf), "cpu/%u/availability", i);
		if ((rc = add(out, 0, d, home, buf, "online")))
			return rc;
	}
	if ((rc = add(out, 0, d, home, "device", "")) || (rc = add(out, d, 0, home, "data", "")))
		return rc;
	return add(out, d, 0, home, "control/shutdown", "");
}

int domcfg_xenstore_nodes(const struct domcfg *dc, unsigned domid, struct xsnodes *out)
{
	int rc = domain_nodes(dc, domid, out);

	for (size_t i = 0; !rc && i < dc->ndisks; i++)
		rc = domcfg_disk_nodes(&dc->disks[i], domid, 0, out);
	for (size_t i = 0; !rc && i < dc->nvifs; i++)
		rc = domcfg_vif_nodes(&dc->vifs[i], domid, 0, out);
	if (!rc && dc->npcis)
		rc = domcfg_pci_nodes(dc->pcis, dc->npcis, domid, dc->name, 0, out);
	return rc;
}

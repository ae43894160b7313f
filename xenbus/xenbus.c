/* SPDX-License-Identifier: MIT */
/*
 * xenbus: the XenbusState handshake for both halves of a device and the
 * per-type device bus that discovers devices as they come and go.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvkit/log.h"
#include "pvkit/xenbus.h"
#include "private.h"

/* Bound on devices one bus tracks: a peer cannot make us allocate more. */
#define BUS_MAX_DEVICES 1024
/* Longest xenstore path (absolute), as xenstored enforces. */
#define XS_PATH_MAX 3072

enum pv_xenbus_state pv_xenbus_read_state(struct pv_xs *xs, const char *dir)
{
	uint64_t v;

	if (pv_xs_read_uint(xs, PV_XS_NO_TXN, dir, "state", PV_XENBUS_STATE_COUNT - 1,
			    PV_XENBUS_STATE_UNKNOWN, &v) < 0)
		return PV_XENBUS_STATE_UNKNOWN;
	return (enum pv_xenbus_state)v;
}

struct switch_state {
	const char *dir;
	int state;
};

/* Write the state only while our directory exists: a removed device stays removed. */
static int switch_state_txn(struct pv_xs *xs, pv_xs_txn_t t, void *opaque)
{
	const struct switch_state *s = opaque;
	int rc = pv_xs_exists(xs, t, s->dir, NULL);

	if (rc <= 0)
		return rc ? rc : -ENOENT;
	return pv_xs_printf(xs, t, s->dir, "state", "%d", s->state);
}

int pv_xenbus_switch_state(struct pv_xenbus_dev *dev, enum pv_xenbus_state state)
{
	struct switch_state s = {dev->nodename, (int)state};
	int rc;

	if (dev->state == state)
		return 0;
	rc = pv_xs_transaction(dev->xs, switch_state_txn, &s, 0);
	if (rc == -ENOENT) {
		pv_dev_debug(dev->prefix, "%s is gone: state %s not written", dev->nodename,
			     pv_xenbus_state_name(state));
		return rc;
	}
	if (rc == -ECONNRESET) {
		/* The loss is the owner's to log, once (pv_daemon_run(), pvkit-guest). */
		pv_dev_debug(dev->prefix, "xenstore is gone: state %s not written",
			     pv_xenbus_state_name(state));
		return rc;
	}
	if (rc < 0) {
		pv_log(PV_LOG_ERR, dev->prefix, -rc, "cannot write %s/state", dev->nodename);
		return rc;
	}
	pv_dev_debug(dev->prefix, "state %s -> %s", pv_xenbus_state_name(dev->state),
		     pv_xenbus_state_name(state));
	dev->state = state;
	return 0;
}

static void dev_verror(struct pv_xenbus_dev *dev, int errnum, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	pv_log(PV_LOG_ERR, dev->prefix, errnum, "%s", msg);
	if (pv_xs_printf(dev->xs, PV_XS_NO_TXN, dev->nodename, "error", "%d %s", errnum, msg) < 0)
		pv_dev_warn(dev->prefix, "cannot write %s/error", dev->nodename);
}

void pv_xenbus_dev_error(struct pv_xenbus_dev *dev, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dev_verror(dev, errnum, fmt, ap);
	va_end(ap);
}

void pv_xenbus_dev_fatal(struct pv_xenbus_dev *dev, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dev_verror(dev, errnum, fmt, ap);
	va_end(ap);
	pv_xenbus_switch_state(dev, PV_XENBUS_STATE_CLOSING);
}

static struct pv_xenbus_dev *dev_alloc(struct pv_xs *xs, const char *type, unsigned int devid,
				       int is_backend)
{
	struct pv_xenbus_dev *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	dev->xs = xs;
	dev->type = strdup(type);
	dev->devid = devid;
	dev->is_backend = is_backend;
	dev->watch_id = -1;
	if (!dev->type) {
		free(dev);
		return NULL;
	}
	return dev;
}

void pv_xenbus_dev_free(struct pv_xenbus_dev *dev)
{
	if (!dev)
		return;
	if (dev->watch_id > 0)
		pv_xs_unwatch(dev->xs, dev->watch_id);
	free(dev->type);
	free(dev->nodename);
	free(dev->otherend);
	free(dev);
}

/* A path a peer wrote: absolute, bounded, under /local/domain/<domid>/. */
static int check_peer_path(const char *path, pv_domid_t domid)
{
	char want[32];
	int n = snprintf(want, sizeof(want), "/local/domain/%u/", (unsigned int)domid);

	if (strlen(path) > XS_PATH_MAX || strncmp(path, want, (size_t)n) || strstr(path, "//"))
		return -EINVAL;
	return 0;
}

int pv_xenbus_backend_dev_new(struct pv_xs *xs, const char *type, pv_domid_t frontend_id,
			      unsigned int devid, struct pv_xenbus_dev **out)
{
	struct pv_xenbus_dev *dev = dev_alloc(xs, type, devid, 1);
	uint64_t fid;
	int rc;

	if (!dev)
		return -ENOMEM;
	snprintf(dev->prefix, sizeof(dev->prefix), "%s-%u-%u", type, (unsigned int)frontend_id,
		 devid);
	if (asprintf(&dev->nodename, "/local/domain/%u/backend/%s/%u/%u",
		     (unsigned int)pv_xs_domid(xs), type, (unsigned int)frontend_id, devid) < 0) {
		dev->nodename = NULL;
		rc = -ENOMEM;
		goto out_free;
	}
	rc = pv_xs_read_uint(xs, PV_XS_NO_TXN, dev->nodename, "frontend-id", 0x7fef, UINT64_MAX,
			     &fid);
	if (rc == 0 && fid == UINT64_MAX)
		rc = -ENOENT;
	if (rc == 0 && fid != frontend_id)
		rc = -EINVAL;
	if (rc < 0)
		goto out_free;
	dev->otherend_id = frontend_id;
	rc = pv_xs_read(xs, PV_XS_NO_TXN, dev->nodename, "frontend", &dev->otherend);
	if (rc == 0)
		rc = check_peer_path(dev->otherend, frontend_id);
	if (rc < 0)
		goto out_free;
	dev->state = pv_xenbus_read_state(xs, dev->nodename);
	*out = dev;
	return 0;

out_free:
	pv_xenbus_dev_free(dev);
	return rc;
}

int pv_xenbus_frontend_dev_new(struct pv_xs *xs, const char *type, unsigned int devid,
			       struct pv_xenbus_dev **out)
{
	struct pv_xenbus_dev *dev = dev_alloc(xs, type, devid, 0);
	uint64_t bid;
	int rc;

	if (!dev)
		return -ENOMEM;
	snprintf(dev->prefix, sizeof(dev->prefix), "%s-%u", type, devid);
	if (asprintf(&dev->nodename, "/local/domain/%u/device/%s/%u",
		     (unsigned int)pv_xs_domid(xs), type, devid) < 0) {
		dev->nodename = NULL;
		rc = -ENOMEM;
		goto out_free;
	}
	rc = pv_xs_read_uint(xs, PV_XS_NO_TXN, dev->nodename, "backend-id", 0x7fef, UINT64_MAX,
			     &bid);
	if (rc == 0 && bid == UINT64_MAX)
		rc = -ENOENT;
	if (rc < 0)
		goto out_free;
	dev->otherend_id = (pv_domid_t)bid;
	rc = pv_xs_read(xs, PV_XS_NO_TXN, dev->nodename, "backend", &dev->otherend);
	if (rc == 0)
		rc = check_peer_path(dev->otherend, dev->otherend_id);
	if (rc < 0)
		goto out_free;
	dev->state = pv_xenbus_read_state(xs, dev->nodename);
	*out = dev;
	return 0;

out_free:
	pv_xenbus_dev_free(dev);
	return rc;
}

static void otherend_fired(struct pv_xs *xs, const char *path, void *opaque)
{
	struct pv_xenbus_dev *dev = opaque;
	enum pv_xenbus_state st;

	(void)path;
	st = pv_xenbus_read_state(xs, dev->otherend);
	if (st == dev->otherend_state)
		return; /* a rewrite of the same value, or a child node: nothing new */
	dev->otherend_state = st;
	if (dev->otherend_changed)
		dev->otherend_changed(dev, st);
}

int pv_xenbus_dev_start(struct pv_xenbus_dev *dev)
{
	char *path = pv_xs_join(dev->otherend, "state");
	int id;

	if (!path)
		return -ENOMEM;
	dev->otherend_state = PV_XENBUS_STATE_UNKNOWN;
	id = pv_xs_watch(dev->xs, path, otherend_fired, dev);
	free(path);
	if (id < 0)
		return id;
	dev->watch_id = id;
	return 0;
}

int pv_xenbus_front_start(struct pv_xenbus_dev *dev, int rc, void (*release)(void *opaque))
{
	dev->state = PV_XENBUS_STATE_UNKNOWN;
	if (rc == 0)
		rc = pv_xenbus_switch_state(dev, PV_XENBUS_STATE_INITIALISING);
	if (rc == 0)
		rc = pv_xenbus_dev_start(dev);
	if (rc < 0) {
		release(dev->opaque);
		dev->opaque = NULL;
	}
	return rc;
}

void pv_xenbus_front_remove(struct pv_xenbus_dev *dev, void (*release)(void *opaque))
{
	if (!dev->opaque)
		return;
	if (dev->state == PV_XENBUS_STATE_CONNECTED || dev->state == PV_XENBUS_STATE_INITIALISED)
		pv_xenbus_switch_state(dev, PV_XENBUS_STATE_CLOSING);
	release(dev->opaque);
	pv_xenbus_switch_state(dev, PV_XENBUS_STATE_CLOSED);
	dev->opaque = NULL;
}

/* ---- the device bus ---------------------------------------------------------- */

struct bus_entry {
	pv_domid_t domid; /* the peer (frontend) domain, for a backend bus */
	unsigned int devid;
	struct pv_xenbus_dev *dev; /* NULL while probing failed */
	int seen;
};

struct pv_xenbus_bus {
	struct pv_xs *xs;
	char *type;
	char *dir;
	int is_backend;
	const struct pv_xenbus_bus_ops *ops;
	void *opaque;
	int watch_id;
	struct bus_entry *ents;
	unsigned int nr_ents;
};

/* Parse a decimal directory entry name; -1 when it is not one. */
static long parse_id(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	return (*end || errno || v > max) ? -1 : (long)v;
}

static struct bus_entry *bus_find(struct pv_xenbus_bus *bus, pv_domid_t domid,
				  unsigned int devid)
{
	for (unsigned int i = 0; i < bus->nr_ents; i++)
		if (bus->ents[i].domid == domid && bus->ents[i].devid == devid)
			return &bus->ents[i];
	return NULL;
}

static void bus_probe(struct pv_xenbus_bus *bus, struct bus_entry *e)
{
	struct pv_xenbus_dev *dev;
	int rc;

	if (bus->is_backend)
		rc = pv_xenbus_backend_dev_new(bus->xs, bus->type, e->domid, e->devid, &dev);
	else
		rc = pv_xenbus_frontend_dev_new(bus->xs, bus->type, e->devid, &dev);
	if (rc < 0)
		return; /* not complete yet (or malformed): retried on the next change */
	rc = bus->ops->probe(dev, bus->opaque);
	if (rc < 0) {
		pv_xenbus_dev_free(dev);
		return;
	}
	e->dev = dev;
}

/* Note device (@domid, @devid) as present, probing it if new. */
static void bus_saw(struct pv_xenbus_bus *bus, pv_domid_t domid, unsigned int devid)
{
	struct bus_entry *e = bus_find(bus, domid, devid), *grown;

	if (!e) {
		if (bus->nr_ents >= BUS_MAX_DEVICES) {
			pv_warn("%s: more than %d %s devices, ignoring %u/%u", bus->dir,
				BUS_MAX_DEVICES, bus->type, (unsigned int)domid, devid);
			return;
		}
		grown = realloc(bus->ents, (bus->nr_ents + 1) * sizeof(*grown));
		if (!grown)
			return;
		bus->ents = grown;
		e = &bus->ents[bus->nr_ents++];
		*e = (struct bus_entry){.domid = domid, .devid = devid};
	}
	e->seen = 1;
	if (!e->dev)
		bus_probe(bus, e);
}

/* Scan the devices of one directory level (a frontend domain's, or ours). */
static void bus_scan_dir(struct pv_xenbus_bus *bus, const char *dir, pv_domid_t domid)
{
	char **names;
	int n = pv_xs_directory(bus->xs, PV_XS_NO_TXN, dir, NULL, &names);

	for (int i = 0; i < n; i++) {
		long devid = parse_id(names[i], UINT32_MAX);

		if (devid >= 0)
			bus_saw(bus, domid, (unsigned int)devid);
	}
	if (n >= 0)
		free(names);
}

/* Drop the entries not seen in the last scan: their directories are gone. */
static void bus_reap(struct pv_xenbus_bus *bus)
{
	unsigned int i = 0;

	while (i < bus->nr_ents) {
		struct bus_entry *e = &bus->ents[i];

		if (e->seen) {
			i++;
			continue;
		}
		if (e->dev) {
			bus->ops->remove(e->dev, bus->opaque);
			pv_xenbus_dev_free(e->dev);
		}
		bus->ents[i] = bus->ents[--bus->nr_ents];
	}
}

int pv_xenbus_bus_scan(struct pv_xenbus_bus *bus)
{
	char **doms, *sub;
	int n;

	for (unsigned int i = 0; i < bus->nr_ents; i++)
		bus->ents[i].seen = 0;
	if (!bus->is_backend) {
		bus_scan_dir(bus, bus->dir, 0);
	} else {
		n = pv_xs_directory(bus->xs, PV_XS_NO_TXN, bus->dir, NULL, &doms);
		for (int i = 0; i < n; i++) {
			long domid = parse_id(doms[i], 0x7fef);

			if (domid < 0)
				continue;
			sub = pv_xs_join(bus->dir, doms[i]);
			if (sub)
				bus_scan_dir(bus, sub, (pv_domid_t)domid);
			free(sub);
		}
		if (n >= 0)
			free(doms);
	}
	bus_reap(bus);
	return 0;
}

/*
 * Whether a change at @path can add or remove a device, or complete one
 * whose probe is pending. Writes deeper inside a probed device (a peer
 * rewriting its nodes in a loop, XSA-349) cost no rescan.
 */
static int bus_path_matters(struct pv_xenbus_bus *bus, const char *path)
{
	size_t n = strlen(bus->dir);
	unsigned int levels = bus->is_backend ? 2 : 1; /* <F>/<devid> or <devid> */
	char name[2][16] = {"0", "0"};
	const char *p, *slash;
	struct bus_entry *e;
	long domid, devid;

	if (strncmp(path, bus->dir, n) || (path[n] && path[n] != '/'))
		return 0;
	p = path + n;
	for (unsigned int i = 0; i < levels; i++) {
		if (*p != '/')
			return 1; /* the bus directory or a frontend domain's directory */
		slash = strchr(p + 1, '/');
		if (!slash)
			slash = p + strlen(p);
		if ((size_t)(slash - p - 1) >= sizeof(name[0]))
			return 0; /* not a number we would accept */
		memcpy(name[i], p + 1, (size_t)(slash - p - 1));
		name[i][slash - p - 1] = 0;
		p = slash;
	}
	domid = bus->is_backend ? parse_id(name[0], 0x7fef) : 0;
	devid = parse_id(name[levels - 1], UINT32_MAX);
	if (domid < 0 || devid < 0)
		return 0;
	if (!*p)
		return 1; /* the device directory itself */
	e = bus_find(bus, (pv_domid_t)domid, (unsigned int)devid);
	return !e || !e->dev; /* a node inside a device not probed yet */
}

static void bus_fired(struct pv_xs *xs, const char *path, void *opaque)
{
	(void)xs;
	if (bus_path_matters(opaque, path))
		pv_xenbus_bus_scan(opaque);
}

int pv_xenbus_bus_open(struct pv_xs *xs, const char *type, int is_backend,
		       const struct pv_xenbus_bus_ops *ops, void *opaque,
		       struct pv_xenbus_bus **out)
{
	struct pv_xenbus_bus *bus = calloc(1, sizeof(*bus));
	int rc;

	if (!bus)
		return -ENOMEM;
	bus->xs = xs;
	bus->ops = ops;
	bus->opaque = opaque;
	bus->is_backend = is_backend;
	bus->type = strdup(type);
	if (!bus->type ||
	    asprintf(&bus->dir, "/local/domain/%u/%s/%s", (unsigned int)pv_xs_domid(xs),
		     is_backend ? "backend" : "device", type) < 0) {
		bus->dir = NULL;
		rc = -ENOMEM;
		goto out_free;
	}
	rc = pv_xs_watch(xs, bus->dir, bus_fired, bus);
	if (rc < 0)
		goto out_free;
	bus->watch_id = rc;
	*out = bus;
	return 0;

out_free:
	free(bus->type);
	free(bus->dir);
	free(bus);
	return rc;
}

void pv_xenbus_bus_close(struct pv_xenbus_bus *bus)
{
	if (!bus)
		return;
	pv_xs_unwatch(bus->xs, bus->watch_id);
	for (unsigned int i = 0; i < bus->nr_ents; i++) {
		if (!bus->ents[i].dev)
			continue;
		bus->ops->remove(bus->ents[i].dev, bus->opaque);
		pv_xenbus_dev_free(bus->ents[i].dev);
	}
	free(bus->ents);
	free(bus->type);
	free(bus->dir);
	free(bus);
}

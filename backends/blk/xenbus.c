/* SPDX-License-Identifier: MIT */
/*
 * pvkit-blkback xenbus side: find the vbds under backend/vbd, publish the
 * backend's features, follow the frontend's XenbusState, connect the
 * queues and tear them down; errors go to the vbd's "error" node.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pvkit/xenbus.h"
#include "common.h"

/* ---- node helpers over pvkit/xenbus.h --------------------------------------- */

/* Read @dir/@key; a malloc'ed string or NULL. */
static char *xb_read(struct blkback *d, const char *dir, const char *key)
{
	char *val = NULL;

	return pv_xs_read(d->xs, PV_XS_NO_TXN, dir, key, &val) < 0 ? NULL : val;
}

static int xb_write(struct blkback *d, const char *dir, const char *key, const char *val)
{
	return pv_xs_write(d->xs, PV_XS_NO_TXN, dir, key, val);
}

static int xb_printf(struct blkback *d, const char *dir, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int xb_printf(struct blkback *d, const char *dir, const char *key, const char *fmt, ...)
{
	char val[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	return xb_write(d, dir, key, val);
}

/* A decimal value at most @max; -ENOENT when absent, -EINVAL when not a number. */
static int xb_read_u32(struct blkback *d, const char *dir, const char *key, uint32_t max,
		       uint32_t *out)
{
	char *s = xb_read(d, dir, key), *end;
	unsigned long v;
	int rc = 0;

	if (!s)
		return -ENOENT;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *s == '-' || *end || errno || v > max)
		rc = -EINVAL;
	else
		*out = (uint32_t)v;
	free(s);
	return rc;
}

/* As xb_read_u32 with a default for an absent key. */
static int xb_read_u32_def(struct blkback *d, const char *dir, const char *key, uint32_t max,
			   uint32_t dflt, uint32_t *out)
{
	int rc = xb_read_u32(d, dir, key, max, out);

	if (rc == -ENOENT) {
		*out = dflt;
		rc = 0;
	}
	return rc;
}

/* ---- state and errors -------------------------------------------------------- */

static void set_state(struct blk_vbd *v, enum pv_xenbus_state state)
{
	pv_xenbus_switch_state(v->dev, state);
}

static void disconnect(struct blk_vbd *v)
{
	for (unsigned int i = 0; i < v->nr_queues; i++) {
		blk_queue_stop(v->queues[i]);
		free(v->queues[i]);
		v->queues[i] = NULL;
	}
	v->nr_queues = 0;
	v->connected = false;
}

/*
 * The failure funnel: drop the connection, then log and write
 * "<errno> <message>" to the vbd's error node and go to Closing
 * (pv_xenbus_dev_fatal). The daemon and every other vbd carry on.
 */
#define vbd_fail(v, err, ...)                                                                      \
	do {                                                                                       \
		disconnect(v);                                                                     \
		pv_xenbus_dev_fatal((v)->dev, (err) < 0 ? -(err) : (err), __VA_ARGS__);            \
	} while (0)

/* ---- features -------------------------------------------------------------- */

/* Publish what we offer (Linux's blkback writes the same keys), before InitWait. */
static void write_features(struct blk_vbd *v)
{
	struct blkback *d = v->d;
	const struct blk_target *t = &v->target;

	xb_write(d, v->be_path, "feature-barrier", "0");
	xb_write(d, v->be_path, "feature-flush-cache", v->limits.flush ? "1" : "0");
	xb_write(d, v->be_path, "feature-discard", v->limits.discard ? "1" : "0");
	if (v->limits.discard) {
		xb_printf(d, v->be_path, "discard-granularity", "%u", t->discard_granularity);
		xb_write(d, v->be_path, "discard-alignment", "0");
		xb_write(d, v->be_path, "discard-secure", v->limits.discard_secure ? "1" : "0");
	}
	xb_write(d, v->be_path, "feature-persistent", "1");
	xb_printf(d, v->be_path, "feature-max-indirect-segments", "%u", BLK_MAX_INDIRECT_SEGS);
	xb_printf(d, v->be_path, "multi-queue-max-queues", "%u", d->max_queues);
	xb_printf(d, v->be_path, "max-ring-page-order", "%u", BLK_MAX_RING_ORDER);
	xb_printf(d, v->be_path, "max-ring-pages", "%u", BLK_MAX_RING_PAGES);
}

/* Disk geometry and mode, written when connecting (the frontend reads them at Connected). */
static void write_geometry(struct blk_vbd *v)
{
	struct blkback *d = v->d;

	xb_printf(d, v->be_path, "sectors", "%llu",
		  (unsigned long long)(v->limits.size_bytes >> v->limits.unit_shift));
	xb_printf(d, v->be_path, "info", "%u", v->readonly ? PV_VDISK_READONLY : 0);
	xb_printf(d, v->be_path, "sector-size", "%u", v->target.sector_size);
	xb_printf(d, v->be_path, "physical-sector-size", "%u", v->target.physical_sector_size);
}

/* ---- connecting ------------------------------------------------------------- */

/* Read ring-ref(s) and event-channel of queue @q from @dir; @order is the frontend's ring-page-order. */
static int read_queue_nodes(struct blk_vbd *v, struct blk_queue *q, const char *dir, uint32_t order)
{
	uint32_t port;
	char key[24];
	int rc;

	q->ring_pages = 1u << order;
	for (unsigned int i = 0; i < q->ring_pages; i++) {
		if (order == 0)
			snprintf(key, sizeof(key), "ring-ref");
		else
			snprintf(key, sizeof(key), "ring-ref%u", i);
		rc = xb_read_u32(v->d, dir, key, UINT32_MAX - 1, &q->ring_refs[i]);
		if (rc) {
			vbd_fail(v, rc, "reading %s/%s", dir, key);
			return rc;
		}
	}
	rc = xb_read_u32(v->d, dir, "event-channel", INT32_MAX, &port);
	if (rc) {
		vbd_fail(v, rc, "reading %s/event-channel", dir);
		return rc;
	}
	q->remote_port = port;
	return 0;
}

/* The frontend's choices: protocol, persistent grants, large sectors, queues. */
static int read_frontend(struct blk_vbd *v, uint32_t *nq)
{
	struct blkback *d = v->d;
	char *proto = xb_read(d, v->fe_path, "protocol");
	uint32_t pers = 0, large = 0;
	int rc = blk_abi_parse(proto, &v->abi);

	if (rc) {
		vbd_fail(v, EINVAL, "%s/protocol '%s' is not served", v->fe_path, proto);
		free(proto);
		return rc;
	}
	free(proto);
	xb_read_u32_def(d, v->fe_path, "feature-persistent", 1, 0, &pers);
	xb_read_u32_def(d, v->fe_path, "feature-large-sector-size", 1, 0, &large);
	v->persistent = pers;
	v->limits.unit_shift = large && v->target.sector_size == 4096 ? 12 : 9;
	rc = xb_read_u32_def(d, v->fe_path, "multi-queue-num-queues", UINT32_MAX, 1, nq);
	if (rc || *nq < 1 || *nq > d->max_queues) {
		vbd_fail(v, EINVAL, "%s/multi-queue-num-queues is not 1..%u", v->fe_path,
			 d->max_queues);
		return -EINVAL;
	}
	return 0;
}

static int connect_queues(struct blk_vbd *v, uint32_t nq)
{
	uint32_t order;
	char dir[200];
	int rc;

	/* One ring-page-order for all queues, at the top even with queue-N/ (blkif.h, Linux's blkfront). */
	rc = xb_read_u32_def(v->d, v->fe_path, "ring-page-order", UINT32_MAX, 0, &order);
	if (rc || order > BLK_MAX_RING_ORDER) {
		vbd_fail(v, EINVAL, "%s/ring-page-order is not 0..%u", v->fe_path, BLK_MAX_RING_ORDER);
		return -EINVAL;
	}

	for (unsigned int i = 0; i < nq; i++) {
		struct blk_queue *q = calloc(1, sizeof(*q));

		if (!q) {
			vbd_fail(v, ENOMEM, "allocating queue %u", i);
			return -ENOMEM;
		}
		q->vbd = v;
		q->idx = i;
		q->stop_efd = -1;
		q->limits = v->limits;
		snprintf(q->prefix, sizeof(q->prefix), "%s/q%u", v->prefix, i);
		v->queues[v->nr_queues++] = q;
		if (nq == 1)
			snprintf(dir, sizeof(dir), "%s", v->fe_path);
		else
			snprintf(dir, sizeof(dir), "%s/queue-%u", v->fe_path, i);
		rc = read_queue_nodes(v, q, dir, order);
		if (rc)
			return rc;
		rc = blk_queue_start(q);
		if (rc) {
			vbd_fail(v, rc, "connecting queue %u (%s)", i, dir);
			return rc;
		}
	}
	return 0;
}

static void vbd_connect(struct blk_vbd *v)
{
	uint32_t nq;

	if (v->connected)
		return;
	v->stale = false;
	if (read_frontend(v, &nq) || connect_queues(v, nq))
		return;
	v->connected = true;
	write_geometry(v);
	xb_write(v->d, v->be_path, "error", "");
	set_state(v, PV_XENBUS_STATE_CONNECTED);
	pv_dev_info(v->prefix, "connected: %u queue(s), %s layout, persistent grants %s", nq,
		    v->abi == BLK_ABI_32 ? "x86_32" : "64-bit", v->persistent ? "on" : "off");
}

/* ---- the frontend's state ---------------------------------------------------- */

static void frontend_changed(struct blk_vbd *v, enum pv_xenbus_state fs)
{
	switch (fs) {
	case PV_XENBUS_STATE_INITIALISING:
		if (v->dev->state == PV_XENBUS_STATE_CLOSED) { /* reconnect after Closed */
			write_features(v);
			set_state(v, PV_XENBUS_STATE_INIT_WAIT);
		}
		break;
	case PV_XENBUS_STATE_INITIALISED:
		if (v->dev->state == PV_XENBUS_STATE_CLOSED) { /* fresh rings without Initialising */
			write_features(v);
			set_state(v, PV_XENBUS_STATE_INIT_WAIT);
		}
		/* fall through */
	case PV_XENBUS_STATE_CONNECTED:
		/* Connected with us in InitWait after a restart: its rings are our
		 * previous instance's; it closes and comes back through Initialising. */
		if (v->dev->state == PV_XENBUS_STATE_INIT_WAIT && !(v->stale && fs == PV_XENBUS_STATE_CONNECTED))
			vbd_connect(v);
		break;
	case PV_XENBUS_STATE_CLOSING:
		disconnect(v);
		set_state(v, PV_XENBUS_STATE_CLOSING);
		break;
	case PV_XENBUS_STATE_CLOSED:
	case PV_XENBUS_STATE_UNKNOWN: /* the frontend's directory went away */
		v->stale = false;
		disconnect(v);
		if (v->dev->state != PV_XENBUS_STATE_CLOSED)
			set_state(v, PV_XENBUS_STATE_CLOSED);
		break;
	default:
		break;
	}
}

/* ---- vbds ------------------------------------------------------------------- */

static int vbd_open_target(struct blk_vbd *v)
{
	struct blkback *d = v->d;
	char *params = xb_read(d, v->be_path, "params");
	char *mode = xb_read(d, v->be_path, "mode");
	uint32_t ss = 0, dio = 0;
	int rc;

	v->readonly = !mode || strcmp(mode, "w") != 0;
	xb_read_u32(d, v->be_path, "direct-io-safe", 1, &dio);
	/* A sector-size node already there (toolstack hint, or ours before a restart) is kept. */
	xb_read_u32(d, v->be_path, "sector-size", 4096, &ss);
	rc = params ? blk_target_open(&v->target, params, v->readonly, d->direct || dio, ss) : -ENOENT;
	if (rc)
		vbd_fail(v, rc, "opening %s/params '%s'", v->be_path, params ? params : "");
	else
		pv_dev_info(v->prefix, "%s: %llu bytes, %u-byte sectors, %s%s", params,
			    (unsigned long long)v->target.size_bytes, v->target.sector_size,
			    v->readonly ? "read-only" : "read-write",
			    v->target.direct ? ", O_DIRECT" : "");
	free(params);
	free(mode);
	return rc;
}

static void vbd_limits(struct blk_vbd *v)
{
	uint32_t enable = 1;

	xb_read_u32_def(v->d, v->be_path, "discard-enable", 1, 1, &enable);
	v->limits = (struct blk_limits){
		.size_bytes = v->target.size_bytes,
		.sector_size = v->target.sector_size,
		.unit_shift = 9,
		.max_indirect = BLK_MAX_INDIRECT_SEGS,
		.readonly = v->readonly,
		.flush = v->target.flush,
		.discard = v->target.discard && enable && !v->readonly,
	};
	v->limits.discard_secure = blk_discard_secure_offer(v->limits.discard, v->target.is_blockdev,
							    v->target.secure_probe_err);
}

/*
 * Start serving a vbd the bus found. A previous instance of the daemon
 * may have left it Connected to a frontend whose ring state we no longer
 * know: InitWait while it is Connected tells it a fresh backend is here;
 * it writes Closed (we follow), then Initialising, and re-issues what we
 * never answered. Not Closing: that is the toolstack's removal, after
 * which a frontend stays closed.
 */
static void vbd_start(struct blk_vbd *v)
{
	uint32_t old = PV_XENBUS_STATE_UNKNOWN;
	enum pv_xenbus_state fs;

	xb_read_u32(v->d, v->be_path, "state", PV_XENBUS_STATE_COUNT - 1, &old);
	if (vbd_open_target(v))
		return;
	vbd_limits(v);
	write_features(v);
	fs = pv_xenbus_read_state(v->d->xs, v->fe_path);
	if (fs == PV_XENBUS_STATE_CONNECTED && old != PV_XENBUS_STATE_INIT_WAIT &&
	    old != PV_XENBUS_STATE_UNKNOWN) {
		pv_dev_info(v->prefix, "was connected before a restart: asking the frontend to reconnect");
		v->stale = true;
	}
	set_state(v, PV_XENBUS_STATE_INIT_WAIT);
}

/* The frontend's state node changed (pv_xenbus_dev_start()'s watch). */
static void otherend_changed(struct pv_xenbus_dev *dev, enum pv_xenbus_state state)
{
	struct blk_vbd *v = dev->opaque;

	if (v->target.fd >= 0)
		frontend_changed(v, state);
}

/* A vbd is served once the toolstack wrote its params and mode nodes. */
static bool vbd_ready(struct blkback *d, const char *dir)
{
	return pv_xs_exists(d->xs, PV_XS_NO_TXN, dir, "params") == 1 &&
	       pv_xs_exists(d->xs, PV_XS_NO_TXN, dir, "mode") == 1;
}

/* The bus found backend/vbd/<fe>/<devid>: serve it (0), or not yet (-EAGAIN). */
static int vbd_probe(struct pv_xenbus_dev *dev, void *opaque)
{
	struct blkback *d = opaque;
	struct blk_vbd *v;

	if (!vbd_ready(d, dev->nodename))
		return -EAGAIN; /* probed again when the toolstack writes more */
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->d = d;
	v->dev = dev;
	v->fe_domid = dev->otherend_id;
	v->devid = dev->devid;
	v->target.fd = -1;
	snprintf(v->prefix, sizeof(v->prefix), "%s", dev->prefix);
	snprintf(v->be_path, sizeof(v->be_path), "%s", dev->nodename);
	snprintf(v->fe_path, sizeof(v->fe_path), "%s", dev->otherend);
	dev->opaque = v;
	dev->otherend_changed = otherend_changed;
	if (d->rundir && pv_stats_open(d->rundir, "vbd", v->fe_domid, v->devid, &v->stats) < 0)
		pv_dev_warn(v->prefix, "cannot publish counters under %s/" PV_STATS_DIR, d->rundir);
	v->next = d->vbds;
	d->vbds = v;
	/* A vbd that failed to start stays known (in Closing, with its error) until removed. */
	vbd_start(v);
	if (pv_xenbus_dev_start(dev) < 0)
		vbd_fail(v, EIO, "cannot watch %s/state", v->fe_path);
	return 0;
}

/* The vbd's directory went away (hot-unplug): stop serving it. */
static void vbd_remove(struct pv_xenbus_dev *dev, void *opaque)
{
	struct blkback *d = opaque;
	struct blk_vbd *v = dev->opaque, **pp = &d->vbds;

	if (!v)
		return;
	pv_dev_info(v->prefix, "removed");
	disconnect(v);
	blk_target_close(&v->target);
	pv_stats_close(v->stats);
	while (*pp && *pp != v)
		pp = &(*pp)->next;
	if (*pp)
		*pp = v->next;
	dev->opaque = NULL;
	free(v);
}

static const struct pv_xenbus_bus_ops vbd_bus_ops = {
	.probe = vbd_probe,
	.remove = vbd_remove,
};

/* ---- the daemon's entry points ------------------------------------------------- */

int blk_xb_init(struct blkback *d)
{
	int rc = pv_xs_open(&d->xs, NULL);

	if (rc < 0)
		return rc;
	snprintf(d->base, sizeof(d->base), "/local/domain/%u/backend/vbd", d->domid);
	rc = pv_xenbus_bus_open(d->xs, "vbd", 1, &vbd_bus_ops, d, &d->bus);
	if (rc < 0) {
		pv_err_errno(rc, "cannot watch %s", d->base);
		pv_xs_close(d->xs);
		d->xs = NULL;
	}
	return rc; /* the bus's first watch event scans what is there */
}

int blk_xb_fd(struct blkback *d)
{
	return pv_xs_fd(d->xs);
}

int blk_xb_handle(struct blkback *d)
{
	/* Bounded, so a frontend rewriting its state in a loop cannot hold us (XSA-349). */
	int rc = pv_xs_dispatch(d->xs, 64);

	return rc < 0 ? rc : 0;
}

void blk_xb_kicked(struct blkback *d)
{
	for (struct blk_vbd *v = d->vbds; v; v = v->next) {
		for (unsigned int i = 0; i < v->nr_queues; i++) {
			struct blk_queue *q = v->queues[i];
			unsigned int lost = atomic_exchange(&q->lost, 0);

			if (lost & BLK_LOST_FLUSH)
				xb_write(d, v->be_path, "feature-flush-cache", "0");
			if (lost & BLK_LOST_DISCARD)
				xb_write(d, v->be_path, "feature-discard", "0");
			v->limits.flush &= !(lost & BLK_LOST_FLUSH);
			v->limits.discard &= !(lost & BLK_LOST_DISCARD);
			if (atomic_load(&q->failed)) {
				vbd_fail(v, EPROTO, "queue %u: the frontend broke the ring protocol", i);
				break; /* vbd_fail() freed the queues */
			}
		}
	}
}

void blk_xb_exit(struct blkback *d)
{
	if (d->bus)
		pv_xenbus_bus_close(d->bus); /* removes (disconnects) every vbd */
	d->bus = NULL;
	if (d->xs)
		pv_xs_close(d->xs);
	d->xs = NULL;
}

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
#include <xenstore.h>

#include "pvkit/proto/xenbus.h"
#include "common.h"

/* ---- the thin layer over libxenstore (to be replaced by pvkit/xenbus.h) ---- */

static struct xs_handle *xsh(struct blkback *d)
{
	return d->xs;
}

/* Read @dir/@key; a malloc'ed string or NULL. */
static char *xb_read(struct blkback *d, const char *dir, const char *key)
{
	char path[256];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_read(xsh(d), XBT_NULL, path, &len);
}

static int xb_write(struct blkback *d, const char *dir, const char *key, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_write(xsh(d), XBT_NULL, path, val, (unsigned int)strlen(val)) ? 0 : -errno;
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

static void set_state(struct blk_vbd *v, int state)
{
	if (xb_printf(v->d, v->be_path, "state", "%d", state))
		pv_dev_err(v->prefix, "cannot write %s/state: %s", v->be_path, strerror(errno));
	else
		pv_dev_debug(v->prefix, "state %s", pv_xenbus_state_name(state));
	v->state = state;
}

static int fe_state(struct blk_vbd *v)
{
	uint32_t s;

	if (xb_read_u32(v->d, v->fe_path, "state", PV_XENBUS_STATE_COUNT - 1, &s))
		return PV_XENBUS_STATE_UNKNOWN;
	return (int)s;
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
 * The failure funnel: log, write "<errno> <message>" to the vbd's error
 * node, drop the connection and go to Closing. The daemon and every other
 * vbd carry on.
 */
static void vbd_fail(struct blk_vbd *v, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void vbd_fail(struct blk_vbd *v, int err, const char *fmt, ...)
{
	char msg[200], line[240];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pv_log(PV_LOG_ERR, v->prefix, err < 0 ? -err : err, "%s", msg);
	snprintf(line, sizeof(line), "%d %s", err < 0 ? -err : err, msg);
	xb_write(v->d, v->be_path, "error", line);
	disconnect(v);
	set_state(v, PV_XENBUS_STATE_CLOSING);
}

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

/* Read ring-ref(s) and event-channel of queue @q from @dir. */
static int read_queue_nodes(struct blk_vbd *v, struct blk_queue *q, const char *dir)
{
	uint32_t order, port;
	char key[24];
	int rc;

	rc = xb_read_u32_def(v->d, dir, "ring-page-order", UINT32_MAX, 0, &order);
	if (rc || order > BLK_MAX_RING_ORDER) {
		vbd_fail(v, EINVAL, "%s/ring-page-order is not 0..%u", dir, BLK_MAX_RING_ORDER);
		return -EINVAL;
	}
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
	char dir[200];
	int rc;

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
		rc = read_queue_nodes(v, q, dir);
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

static void frontend_changed(struct blk_vbd *v)
{
	int fs = fe_state(v);

	switch (fs) {
	case PV_XENBUS_STATE_INITIALISING:
		if (v->state == PV_XENBUS_STATE_CLOSED) { /* reconnect after Closed */
			write_features(v);
			set_state(v, PV_XENBUS_STATE_INIT_WAIT);
		}
		break;
	case PV_XENBUS_STATE_INITIALISED:
		if (v->state == PV_XENBUS_STATE_CLOSED) { /* fresh rings without Initialising */
			write_features(v);
			set_state(v, PV_XENBUS_STATE_INIT_WAIT);
		}
		/* fall through */
	case PV_XENBUS_STATE_CONNECTED:
		if (v->state == PV_XENBUS_STATE_INIT_WAIT)
			vbd_connect(v);
		break;
	case PV_XENBUS_STATE_CLOSING:
		disconnect(v);
		set_state(v, PV_XENBUS_STATE_CLOSING);
		break;
	case PV_XENBUS_STATE_CLOSED:
	case PV_XENBUS_STATE_UNKNOWN: /* the frontend's directory went away */
		disconnect(v);
		if (v->state != PV_XENBUS_STATE_CLOSED)
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
		.discard_secure = v->target.discard_secure,
	};
}

static const char *fe_state_path(struct blk_vbd *v, char *buf, size_t size)
{
	snprintf(buf, size, "%s/state", v->fe_path);
	return buf;
}

static void unwatch_frontend(struct blk_vbd *v)
{
	char path[200];

	if (v->watching)
		xs_unwatch(xsh(v->d), fe_state_path(v, path, sizeof(path)), v->fe_token);
	v->watching = false;
}

static int vbd_find_frontend(struct blk_vbd *v)
{
	char path[200];
	char *fe = xb_read(v->d, v->be_path, "frontend");

	if (fe && strlen(fe) < sizeof(v->fe_path))
		snprintf(v->fe_path, sizeof(v->fe_path), "%s", fe);
	else
		snprintf(v->fe_path, sizeof(v->fe_path), "/local/domain/%u/device/vbd/%u",
			 v->fe_domid, v->devid);
	free(fe);
	snprintf(v->fe_token, sizeof(v->fe_token), "fe:%u:%u", v->fe_domid, v->devid);
	/* Only the state node: a frontend rewriting other nodes costs us nothing (XSA-349). */
	if (!xs_watch(xsh(v->d), fe_state_path(v, path, sizeof(path)), v->fe_token))
		return -errno;
	v->watching = true;
	return 0;
}

/*
 * Start serving a vbd found in xenstore. A previous instance of the daemon
 * may have left it Connected to a frontend whose ring state we no longer
 * know: ask that frontend to reconnect (Closing, then the usual
 * Closed -> Initialising -> InitWait cycle); it re-issues what we never
 * answered.
 */
static void vbd_start(struct blk_vbd *v)
{
	uint32_t old = PV_XENBUS_STATE_UNKNOWN;
	int fs;

	xb_read_u32(v->d, v->be_path, "state", PV_XENBUS_STATE_COUNT - 1, &old);
	if (vbd_open_target(v))
		return;
	vbd_limits(v);
	if (vbd_find_frontend(v)) {
		vbd_fail(v, errno, "watching %s", v->fe_path);
		return;
	}
	write_features(v);
	fs = fe_state(v);
	if (fs == PV_XENBUS_STATE_CONNECTED && old != PV_XENBUS_STATE_INIT_WAIT &&
	    old != PV_XENBUS_STATE_UNKNOWN) {
		pv_dev_info(v->prefix, "was connected before a restart: asking the frontend to reconnect");
		set_state(v, PV_XENBUS_STATE_CLOSING);
		return;
	}
	set_state(v, PV_XENBUS_STATE_INIT_WAIT);
	frontend_changed(v);
}

static struct blk_vbd *vbd_find(struct blkback *d, unsigned int fe, unsigned int devid)
{
	for (struct blk_vbd *v = d->vbds; v; v = v->next)
		if (v->fe_domid == fe && v->devid == devid)
			return v;
	return NULL;
}

static void vbd_add(struct blkback *d, unsigned int fe, unsigned int devid)
{
	struct blk_vbd *v = calloc(1, sizeof(*v));

	if (!v) {
		pv_err("vbd-%u-%u: out of memory", fe, devid);
		return;
	}
	v->d = d;
	v->fe_domid = (pv_domid_t)fe;
	v->devid = devid;
	v->target.fd = -1;
	snprintf(v->prefix, sizeof(v->prefix), "vbd-%u-%u", fe, devid);
	snprintf(v->be_path, sizeof(v->be_path), "%s/%u/%u", d->base, fe, devid);
	v->next = d->vbds;
	d->vbds = v;
	vbd_start(v);
}

static void vbd_remove(struct blkback *d, struct blk_vbd *v)
{
	struct blk_vbd **pp = &d->vbds;

	pv_dev_info(v->prefix, "removed");
	disconnect(v);
	unwatch_frontend(v);
	blk_target_close(&v->target);
	while (*pp != v)
		pp = &(*pp)->next;
	*pp = v->next;
	free(v);
}

/* Parse "<base>/<fe>/<devid>[/...]"; returns how many of the two numbers were found. */
static int parse_vbd_path(struct blkback *d, const char *path, unsigned int *fe,
			  unsigned int *devid)
{
	size_t n = strlen(d->base);
	int got;

	if (strncmp(path, d->base, n) || (path[n] && path[n] != '/'))
		return -1;
	got = sscanf(path + n, "/%u/%u", fe, devid);
	return got < 0 ? 0 : got;
}

/* A vbd is served once the toolstack wrote its params and mode nodes. */
static bool vbd_present(struct blkback *d, unsigned int fe, unsigned int devid)
{
	char dir[128], *p, *m;

	snprintf(dir, sizeof(dir), "%s/%u/%u", d->base, fe, devid);
	p = xb_read(d, dir, "params");
	m = p ? xb_read(d, dir, "mode") : NULL;
	free(p);
	free(m);
	return m != NULL;
}

static void check_vbd(struct blkback *d, unsigned int fe, unsigned int devid)
{
	struct blk_vbd *v = vbd_find(d, fe, devid);
	bool present = fe < PV_DOMID_SELF && vbd_present(d, fe, devid);

	if (!v && present)
		vbd_add(d, fe, devid);
	else if (v && !present)
		vbd_remove(d, v);
}

/* Walk the whole backend directory: add new vbds, drop vanished ones. */
static void rescan(struct blkback *d)
{
	unsigned int nfe = 0, ndev;
	char **fes = xs_directory(xsh(d), XBT_NULL, d->base, &nfe), dir[128];

	for (unsigned int i = 0; fes && i < nfe; i++) {
		unsigned int fe = (unsigned int)strtoul(fes[i], NULL, 10);
		char **devs;

		snprintf(dir, sizeof(dir), "%s/%s", d->base, fes[i]);
		devs = xs_directory(xsh(d), XBT_NULL, dir, &ndev);
		for (unsigned int j = 0; devs && j < ndev; j++)
			check_vbd(d, fe, (unsigned int)strtoul(devs[j], NULL, 10));
		free(devs);
	}
	free(fes);
	for (struct blk_vbd *v = d->vbds, *next; v; v = next) {
		next = v->next;
		check_vbd(d, v->fe_domid, v->devid);
	}
}

static void backend_event(struct blkback *d, const char *path)
{
	unsigned int fe = 0, devid = 0;
	int got = parse_vbd_path(d, path, &fe, &devid);

	if (got == 2)
		check_vbd(d, fe, devid);
	else if (got >= 0)
		rescan(d);
}

static void frontend_event(struct blkback *d, const char *token)
{
	unsigned int fe, devid;
	struct blk_vbd *v;

	if (sscanf(token, "fe:%u:%u", &fe, &devid) != 2)
		return;
	v = vbd_find(d, fe, devid);
	if (v && v->target.fd >= 0)
		frontend_changed(v);
}

/* ---- the daemon's entry points ------------------------------------------------- */

int blk_xb_init(struct blkback *d)
{
	d->xs = xs_open(0);
	if (!d->xs)
		return -errno;
	snprintf(d->base, sizeof(d->base), "/local/domain/%u/backend/vbd", d->domid);
	if (!xs_watch(xsh(d), d->base, "vbds")) {
		int rc = -errno;

		pv_err("cannot watch %s: %s", d->base, strerror(errno));
		xs_close(xsh(d));
		d->xs = NULL;
		return rc;
	}
	return 0; /* the watch fires once at once: that first event scans */
}

int blk_xb_fd(struct blkback *d)
{
	return xs_fileno(xsh(d));
}

void blk_xb_handle(struct blkback *d)
{
	char **ev;

	while ((ev = xs_check_watch(xsh(d)))) {
		if (!strcmp(ev[XS_WATCH_TOKEN], "vbds"))
			backend_event(d, ev[XS_WATCH_PATH]);
		else
			frontend_event(d, ev[XS_WATCH_TOKEN]);
		free(ev);
	}
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
	while (d->vbds) {
		struct blk_vbd *v = d->vbds;

		disconnect(v);
		unwatch_frontend(v);
		blk_target_close(&v->target);
		d->vbds = v->next;
		free(v);
	}
	if (d->xs)
		xs_close(xsh(d));
	d->xs = NULL;
}

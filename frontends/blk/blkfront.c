/* SPDX-License-Identifier: MIT */
/*
 * blkfront: open and close a vbd, the XenbusState handshake with the
 * backend (features, rings, geometry) and reconnection after a restart.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "blkfront-int.h"

/* ---- xenstore helpers ------------------------------------------------------------ */

int bf_be_state(struct pv_blkfront *bf)
{
	return (int)pv_xenbus_read_state(bf->xs, bf->be);
}

static int set_state(struct pv_blkfront *bf, enum pv_xenbus_state st)
{
	int rc = pv_xs_printf(bf->xs, PV_XS_NO_TXN, bf->fe, "state", "%d", (int)st);

	if (rc)
		pv_dev_err(bf->prefix, "cannot write %s/state: %s", bf->fe, strerror(-rc));
	return rc;
}

static unsigned int be_uint(struct pv_blkfront *bf, const char *key, uint64_t max, uint64_t def)
{
	uint64_t v = def;

	/* A malformed value from the backend counts as absent. */
	if (pv_xs_read_uint(bf->xs, PV_XS_NO_TXN, bf->be, key, max, def, &v))
		v = def;
	return (unsigned int)v;
}

/* Read "backend" and "backend-id" of our directory. */
static int read_backend(struct pv_blkfront *bf)
{
	char *be = NULL;
	uint64_t id;
	int rc = pv_xs_read(bf->xs, PV_XS_NO_TXN, bf->fe, "backend", &be);

	if (rc)
		return rc;
	if (strlen(be) >= sizeof(bf->be) || be[0] != '/') {
		free(be);
		return -EINVAL;
	}
	snprintf(bf->be, sizeof(bf->be), "%s", be);
	free(be);
	rc = pv_xs_read_uint(bf->xs, PV_XS_NO_TXN, bf->fe, "backend-id", PV_DOMID_SELF - 1,
			     PV_DOMID_INVALID, &id);
	if (rc || id == PV_DOMID_INVALID)
		return rc ? rc : -ENOENT;
	bf->be_id = (pv_domid_t)id;
	return 0;
}

/* ---- rings ------------------------------------------------------------------------ */

static void queue_free(struct pv_blkfront *bf, struct bf_queue *q)
{
	int rc = 0;

	if (q->port >= 0)
		pv_evtchn_unbind(bf->ev, (pv_evtchn_port_t)q->port);
	q->port = -1;
	if (!q->ring)
		return;
	/* The backend unmaps before it reports Closed; give a slow one a moment. */
	for (int i = 0; i < 100 && (rc = pv_gnt_unshare(bf->plat, q->ring, bf->ring_pages)) == -EBUSY;
	     i++)
		usleep(10000);
	if (rc)
		pv_dev_warn(bf->prefix, "ring still mapped by the backend: abandoned (%s)",
			    strerror(-rc));
	q->ring = NULL;
}

static void rings_free(struct pv_blkfront *bf)
{
	for (unsigned int i = 0; i < bf->nq; i++)
		queue_free(bf, &bf->q[i]);
	bf->nq = 0;
}

static int queue_setup(struct pv_blkfront *bf, struct bf_queue *q)
{
	struct pv_ring_shape s = PV_RING_SHAPE(struct pv_blkif_request, struct pv_blkif_response);
	int port;

	q->ring = pv_gnt_share_pages(bf->plat, bf->be_id, bf->ring_pages, q->refs, 1);
	if (!q->ring)
		return -errno;
	if (pv_ring_front_init(&q->front, q->ring, bf->ring_pages, &s))
		return -EINVAL;
	port = pv_evtchn_alloc_unbound(bf->ev, bf->be_id);
	if (port < 0)
		return port;
	q->port = port;
	q->notify = false;
	return 0;
}

static unsigned int pick(unsigned int want, unsigned int def, unsigned int offered)
{
	unsigned int v = want ? want : def;

	return v < offered ? v : offered;
}

/* Read what the backend offers and size our rings and requests from it. */
static void read_features(struct pv_blkfront *bf)
{
	unsigned int order = be_uint(bf, "max-ring-page-order", 16, 0);
	unsigned int pages = be_uint(bf, "max-ring-pages", 1u << 16, 1);
	unsigned int ind;

	while (order < BF_MAX_RING_ORDER && (2u << order) <= pages)
		order++; /* the deprecated spelling, when it says more */
	bf->be_ring_order = order;
	bf->be_max_queues = be_uint(bf, "multi-queue-max-queues", 1u << 16, 1);
	if (!bf->be_max_queues)
		bf->be_max_queues = 1;
	bf->be_max_indirect = be_uint(bf, "feature-max-indirect-segments", 1u << 20, 0);
	bf->nq = pick(bf->opts.max_queues, PV_BLKFRONT_MAX_QUEUES, bf->be_max_queues);
	if (bf->nq > PV_BLKFRONT_MAX_QUEUES)
		bf->nq = PV_BLKFRONT_MAX_QUEUES;
	order = bf->opts.single_page_ring ? 0 : pick(bf->opts.max_ring_order, BF_MAX_RING_ORDER,
							 bf->be_ring_order);
	bf->ring_pages = 1u << (order > BF_MAX_RING_ORDER ? BF_MAX_RING_ORDER : order);
	ind = bf->opts.no_indirect ? 0 : bf->be_max_indirect;
	if (ind > BF_MAX_INDIRECT_SEGS)
		ind = BF_MAX_INDIRECT_SEGS;
	bf->info.max_segments = ind > PV_BLKIF_MAX_SEGMENTS_PER_REQUEST
					? ind
					: PV_BLKIF_MAX_SEGMENTS_PER_REQUEST;
	bf->info.max_request = bf->info.max_segments * BF_PAGE;
	bf->info.queues = bf->nq;
	bf->info.ring_pages = bf->ring_pages;
}

static int q_printf(struct pv_blkfront *bf, pv_xs_txn_t t, unsigned int qi, const char *key,
		    unsigned int val)
{
	char dir[160];

	if (bf->nq > 1)
		snprintf(dir, sizeof(dir), "%s/queue-%u", bf->fe, qi);
	else
		snprintf(dir, sizeof(dir), "%s", bf->fe);
	return pv_xs_printf(bf->xs, t, dir, key, "%u", val);
}

static int write_queue_nodes(struct pv_blkfront *bf, pv_xs_txn_t t, unsigned int qi)
{
	struct bf_queue *q = &bf->q[qi];
	char key[24];
	int rc = 0;

	if (bf->ring_pages == 1) {
		rc = q_printf(bf, t, qi, "ring-ref", q->refs[0]);
	} else {
		for (unsigned int i = 0; !rc && i < bf->ring_pages; i++) {
			snprintf(key, sizeof(key), "ring-ref%u", i);
			rc = q_printf(bf, t, qi, key, q->refs[i]);
		}
	}
	return rc ? rc : q_printf(bf, t, qi, "event-channel", (unsigned int)q->port);
}

static int write_nodes_txn(struct pv_xs *xs, pv_xs_txn_t t, void *opaque)
{
	struct pv_blkfront *bf = opaque;
	int rc = 0;

	/* Leftovers of a connection with other queues or ring sizes would confuse the backend. */
	pv_xs_rm(xs, t, bf->fe, "multi-queue-num-queues");
	pv_xs_rm(xs, t, bf->fe, "ring-page-order");
	pv_xs_rm(xs, t, bf->fe, "ring-ref");
	for (unsigned int i = 0; i < BF_MAX_RING_PAGES; i++) {
		char key[16];

		snprintf(key, sizeof(key), "ring-ref%u", i);
		pv_xs_rm(xs, t, bf->fe, key);
		snprintf(key, sizeof(key), "queue-%u", i);
		if (i < PV_BLKFRONT_MAX_QUEUES)
			pv_xs_rm(xs, t, bf->fe, key);
	}
	/*
	 * ring-page-order is one node for all queues, at the top even with
	 * queue-N/ directories (blkif.h; Linux's xen-blkback reads it only
	 * there and otherwise looks for a single ring-ref in each queue).
	 */
	if (bf->ring_pages > 1)
		rc = pv_xs_printf(xs, t, bf->fe, "ring-page-order", "%u",
				  (unsigned int)__builtin_ctz(bf->ring_pages));
	for (unsigned int i = 0; !rc && i < bf->nq; i++)
		rc = write_queue_nodes(bf, t, i);
	if (!rc && bf->nq > 1)
		rc = pv_xs_printf(xs, t, bf->fe, "multi-queue-num-queues", "%u", bf->nq);
	if (!rc)
		rc = pv_xs_write(xs, t, bf->fe, "protocol", PV_IO_PROTO_ABI_NATIVE);
	if (!rc)
		rc = pv_xs_write(xs, t, bf->fe, "feature-persistent", bf->opts.no_persistent ? "0" : "1");
	return rc;
}

/* The bounce pool of queue @qi, kept across reconnects (re-issued requests hold its pages). */
static int pool_create(struct pv_blkfront *bf, unsigned int qi)
{
	unsigned int n = bf->opts.pool_pages ? bf->opts.pool_pages : BF_POOL_PAGES, want;
	int rc;

	if (bf->pool[qi])
		return 0;
	if (n > PV_GNT_POOL_MAX_PAGES)
		n = PV_GNT_POOL_MAX_PAGES;
	if (n < BF_MAX_SEGS + BF_MAX_IND_PAGES)
		n = BF_MAX_SEGS + BF_MAX_IND_PAGES; /* one request of the largest size fits */
	want = n;
	while ((rc = pv_gnt_pool_create(bf->plat, bf->be_id, n, 1, &bf->pool[qi])) == -ENOSPC &&
	       n / 2 >= BF_MAX_SEGS + BF_MAX_IND_PAGES)
		n /= 2;
	if (rc)
		pv_dev_err(bf->prefix, "granting %u bounce pages for queue %u: %s", n, qi,
			   strerror(-rc));
	else if (n < want)
		pv_dev_info(bf->prefix, "queue %u: %u bounce pages (the grant limit refused more)", qi,
			    n);
	return rc;
}

/* The backend is in InitWait: grant the rings, write our nodes, go Initialised. */
static int talk_to_backend(struct pv_blkfront *bf)
{
	int rc = 0;

	read_features(bf);
	for (unsigned int i = 0; i < bf->nq && !rc; i++) {
		rc = pool_create(bf, i);
		if (!rc)
			rc = queue_setup(bf, &bf->q[i]);
	}
	if (!rc)
		rc = pv_xs_transaction(bf->xs, write_nodes_txn, bf, 0);
	if (!rc)
		rc = set_state(bf, PV_XENBUS_STATE_INITIALISED);
	if (rc) {
		pv_dev_err(bf->prefix, "setting up %u ring(s) of %u page(s): %s", bf->nq, bf->ring_pages,
			   strerror(-rc));
		rings_free(bf);
		return rc;
	}
	bf->conn = BF_INITIALISED;
	return 0;
}

/* The backend is Connected: read (or on a reconnect, check) the geometry. */
static int read_geometry(struct pv_blkfront *bf)
{
	struct pv_blkfront_info g = bf->info;
	uint64_t sectors = 0;
	char *mode = NULL;

	if (pv_xs_read_uint(bf->xs, PV_XS_NO_TXN, bf->be, "sectors", UINT64_MAX >> 12, 0, &sectors))
		return -EPROTO;
	g.sector_size = be_uint(bf, "sector-size", 4096, 512);
	if (g.sector_size != 512 && g.sector_size != 4096)
		return -EPROTO;
	/*
	 * Without feature-large-sector-size, "sectors" counts 512-byte units
	 * whatever sector-size says (what Linux's blkback writes and its
	 * blkfront reads); info.sectors is in sector_size units.
	 */
	g.sectors = (sectors << PV_BLKIF_SECTOR_SHIFT) / g.sector_size;
	g.physical_sector_size = be_uint(bf, "physical-sector-size", 1u << 20, g.sector_size);
	pv_xs_read(bf->xs, PV_XS_NO_TXN, bf->be, "mode", &mode);
	g.read_only = (be_uint(bf, "info", UINT32_MAX, 0) & PV_VDISK_READONLY) ||
		      (mode && strcmp(mode, "w") != 0);
	free(mode);
	/*
	 * We always reuse the pool's grants, so we offer feature-persistent
	 * whatever the backend says; whether the backend keeps them mapped is
	 * known only now: Linux's xen-blkback writes its feature-persistent
	 * when it connects, after it saw ours, not before InitWait.
	 */
	g.persistent = !bf->opts.no_persistent && be_uint(bf, "feature-persistent", 1, 0);
	g.flush = be_uint(bf, "feature-flush-cache", 1, 0);
	g.discard = be_uint(bf, "feature-discard", 1, 0) && !g.read_only;
	g.discard_granularity = be_uint(bf, "discard-granularity", UINT32_MAX, g.sector_size);
	if (bf->info.sector_size &&
	    (g.sectors != bf->info.sectors || g.sector_size != bf->info.sector_size)) {
		pv_dev_err(bf->prefix, "the backend came back with another disk size");
		return -EPROTO;
	}
	bf->info = g;
	return 0;
}

static void connected(struct pv_blkfront *bf)
{
	int rc = read_geometry(bf);

	if (rc) {
		pv_dev_err(bf->prefix, "backend %s has no valid geometry", bf->be);
		bf->conn = BF_BROKEN;
		bf_fail_all(bf, -EIO);
		set_state(bf, PV_XENBUS_STATE_CLOSING);
		return;
	}
	set_state(bf, PV_XENBUS_STATE_CONNECTED);
	bf->conn = BF_CONNECTED;
	pv_dev_info(bf->prefix, "connected: %" PRIu64 " x %u bytes%s, %u queue(s) of %u page(s), "
		    "persistent %s, %u segments per request",
		    bf->info.sectors, bf->info.sector_size, bf->info.read_only ? " read-only" : "",
		    bf->nq, bf->ring_pages, bf->info.persistent ? "on" : "off", bf->info.max_segments);
	bf_pump(bf);
	bf_push_all(bf);
}

/* The backend wants a new connection: keep every unanswered request for re-issue. */
static void start_reconnect(struct pv_blkfront *bf)
{
	if (bf->conn == BF_CONNECTED || bf->conn == BF_INITIALISED)
		bf_requeue_inflight(bf);
	for (unsigned int i = 0; i < bf->nq; i++) {
		if (bf->q[i].port >= 0)
			pv_evtchn_unbind(bf->ev, (pv_evtchn_port_t)bf->q[i].port);
		bf->q[i].port = -1;
	}
	bf->conn = BF_RECONNECT;
	bf->reconnects++;
	pv_dev_info(bf->prefix, "backend asks for a reconnect; %u request(s) to re-issue",
		    bf->pending);
	set_state(bf, PV_XENBUS_STATE_CLOSED);
}

/*
 * The backend closes (Closing, or Closed while we were connected): as the
 * xenbus protocol wants (and libxl's device removal waits for), write
 * Closed and stay closed until the backend is in InitWait again. Unanswered
 * requests fail: the device is going away.
 */
static void backend_closing(struct pv_blkfront *bf)
{
	for (unsigned int i = 0; i < bf->nq; i++) {
		if (bf->q[i].port >= 0)
			pv_evtchn_unbind(bf->ev, (pv_evtchn_port_t)bf->q[i].port);
		bf->q[i].port = -1;
	}
	if (bf->conn != BF_SHUTDOWN)
		pv_dev_info(bf->prefix, "backend closes: closing too; failing %u request(s)",
			    bf->pending);
	bf->conn = BF_SHUTDOWN;
	bf_fail_all(bf, -EIO);
	set_state(bf, PV_XENBUS_STATE_CLOSED);
}

/* One step of the handshake for the backend state @st. */
static void step(struct pv_blkfront *bf, int st)
{
	if (st == PV_XENBUS_STATE_CLOSING && bf->conn != BF_SHUTDOWN) {
		backend_closing(bf);
		return;
	}
	switch (bf->conn) {
	case BF_CLOSED:
		if (st == PV_XENBUS_STATE_INIT_WAIT && talk_to_backend(bf)) {
			bf->conn = BF_BROKEN;
			bf_fail_all(bf, -EIO);
		} else if (st == PV_XENBUS_STATE_CONNECTED) {
			start_reconnect(bf); /* a backend still connected to an earlier us */
		}
		break;
	case BF_INITIALISED:
	case BF_CONNECTED:
		if (st == PV_XENBUS_STATE_CONNECTED && bf->conn == BF_INITIALISED)
			connected(bf);
		else if (st == PV_XENBUS_STATE_CLOSED)
			backend_closing(bf);
		else if (st == PV_XENBUS_STATE_INIT_WAIT && bf->conn == BF_CONNECTED)
			start_reconnect(bf); /* InitWait while Connected: a fresh backend */
		break;
	case BF_RECONNECT:
		if (st == PV_XENBUS_STATE_CLOSED || st == PV_XENBUS_STATE_INIT_WAIT) {
			rings_free(bf);
			bf->conn = BF_CLOSED;
			set_state(bf, PV_XENBUS_STATE_INITIALISING);
			if (st == PV_XENBUS_STATE_INIT_WAIT)
				step(bf, st);
		}
		break;
	case BF_SHUTDOWN:
		if (st == PV_XENBUS_STATE_INIT_WAIT) { /* the backend is back: connect again */
			rings_free(bf);
			bf->conn = BF_CLOSED;
			bf->reconnects++;
			set_state(bf, PV_XENBUS_STATE_INITIALISING);
			step(bf, st);
		}
		break;
	case BF_BROKEN:
		if (st == PV_XENBUS_STATE_INIT_WAIT)
			start_reconnect(bf);
		break;
	}
}

void bf_backend_changed(struct pv_xs *xs, const char *path, void *opaque)
{
	struct pv_blkfront *bf = opaque;
	int st = bf_be_state(bf);

	(void)xs;
	(void)path;
	if (st == PV_XENBUS_STATE_UNKNOWN && bf->conn == BF_CONNECTED) {
		pv_dev_warn(bf->prefix, "backend %s went away: failing I/O", bf->be);
		bf->conn = BF_BROKEN;
		bf_fail_all(bf, -EIO);
		return;
	}
	step(bf, st);
	bf_run_done(bf);
}

int64_t bf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the handshake by polling the backend's state until Connected. */
static int connect_sync(struct pv_blkfront *bf)
{
	int64_t deadline = bf_now_ms() + (bf->opts.timeout_ms ? bf->opts.timeout_ms : 10000);
	int rc = set_state(bf, PV_XENBUS_STATE_INITIALISING);

	while (!rc && bf->conn != BF_CONNECTED) {
		if (bf->conn == BF_BROKEN)
			return -EIO;
		if (bf_now_ms() > deadline)
			return -ETIMEDOUT;
		step(bf, bf_be_state(bf));
		if (bf->conn != BF_CONNECTED)
			usleep(2000);
	}
	bf->reconnects = 0;
	return rc;
}

/* ---- open / close ------------------------------------------------------------------ */

static int events_open(struct pv_blkfront *bf)
{
	struct itimerspec tick = {.it_interval = {1, 0}, .it_value = {1, 0}};
	struct epoll_event e = {.events = EPOLLIN};
	int rc = pv_evtchn_open(bf->plat, &bf->ev);

	if (rc)
		return rc;
	bf->epfd = epoll_create1(EPOLL_CLOEXEC);
	bf->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (bf->epfd < 0 || bf->efd < 0)
		return -errno;
	if (epoll_ctl(bf->epfd, EPOLL_CTL_ADD, bf->efd, &e))
		return -errno;
	/* A 1 s tick for the I/O timeout. */
	bf->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	bf->tick_base_ms = bf_now_ms(); /* pv_blkfront_poll() reads tfd only once it may have fired */
	if (bf->tfd < 0 || timerfd_settime(bf->tfd, 0, &tick, NULL) ||
	    epoll_ctl(bf->epfd, EPOLL_CTL_ADD, bf->tfd, &e))
		return -errno;
	bf->hfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (bf->hfd < 0 || epoll_ctl(bf->epfd, EPOLL_CTL_ADD, bf->hfd, &e))
		return -errno;
	e.data.fd = pv_evtchn_fd(bf->ev);
	return epoll_ctl(bf->epfd, EPOLL_CTL_ADD, pv_evtchn_fd(bf->ev), &e) ? -errno : 0;
}

static struct pv_blkfront *bf_alloc(struct pv_platform *p, struct pv_xs *xs, const char *fe_path,
				    const struct pv_blkfront_opts *opts)
{
	struct pv_blkfront *bf = calloc(1, sizeof(*bf));
	const char *slash;

	if (!bf)
		return NULL;
	bf->plat = p;
	bf->xs = xs;
	if (opts)
		bf->opts = *opts;
	/* 0 (never) stays 0; PV_BUSYPOLL_DEFAULT is the environment's or 50 us. */
	pv_busypoll_init(&bf->bp, bf->opts.busypoll_ns);
	bf->epfd = bf->efd = bf->tfd = bf->hfd = -1;
	bf->watch_id = -1;
	bf->rl = (struct pv_ratelimit)PV_RATELIMIT_INIT;
	for (unsigned int i = 0; i < PV_BLKFRONT_MAX_QUEUES; i++)
		bf->q[i].port = -1;
	snprintf(bf->fe, sizeof(bf->fe), "%s", fe_path);
	slash = strrchr(fe_path, '/');
	snprintf(bf->prefix, sizeof(bf->prefix), "blkfront-%s", slash ? slash + 1 : fe_path);
	return bf;
}

int pv_blkfront_open(struct pv_platform *p, struct pv_xs *xs, const char *fe_path,
		     const struct pv_blkfront_opts *opts, struct pv_blkfront **out)
{
	struct pv_blkfront *bf;
	int rc;

	if (!p || !xs || !fe_path || strlen(fe_path) >= sizeof(bf->fe) || !out)
		return -EINVAL;
	bf = bf_alloc(p, xs, fe_path, opts);
	if (!bf)
		return -ENOMEM;
	rc = read_backend(bf);
	if (rc) {
		pv_dev_err(bf->prefix, "reading %s/backend and backend-id: %s", fe_path, strerror(-rc));
		goto err_free;
	}
	rc = bf_shadow_init(bf);
	if (!rc)
		rc = events_open(bf);
	if (!rc)
		rc = connect_sync(bf);
	if (rc) {
		pv_dev_err(bf->prefix, "connecting to backend %s: %s", bf->be, strerror(-rc));
		goto err_close;
	}
	rc = pv_xs_watch(xs, bf->be, bf_backend_changed, bf);
	if (rc < 0)
		goto err_close;
	bf->watch_id = rc;
	*out = bf;
	return 0;
err_close:
	pv_blkfront_close(bf);
	return rc;
err_free:
	free(bf);
	return rc;
}

void pv_blkfront_close(struct pv_blkfront *bf)
{
	if (!bf)
		return;
	if (bf->watch_id > 0)
		pv_xs_unwatch(bf->xs, bf->watch_id);
	bf_fail_all(bf, -ESHUTDOWN);
	bf_run_done(bf);
	set_state(bf, PV_XENBUS_STATE_CLOSING);
	for (int i = 0; i < 200 && bf->nq; i++) {
		int st = bf_be_state(bf);

		if (st == PV_XENBUS_STATE_CLOSING || st == PV_XENBUS_STATE_CLOSED ||
		    st == PV_XENBUS_STATE_UNKNOWN)
			break;
		usleep(5000);
	}
	set_state(bf, PV_XENBUS_STATE_CLOSED);
	rings_free(bf);
	for (unsigned int i = 0; i < PV_BLKFRONT_MAX_QUEUES; i++) {
		if (bf->pool[i] && pv_gnt_pool_destroy(bf->pool[i])) {
			pv_dev_warn(bf->prefix, "bounce pages still mapped by the backend: abandoned");
			pv_gnt_pool_abandon(bf->pool[i]);
		}
	}
	if (bf->ev)
		pv_evtchn_close(bf->ev);
	if (bf->epfd >= 0)
		close(bf->epfd);
	if (bf->efd >= 0)
		close(bf->efd);
	if (bf->tfd >= 0)
		close(bf->tfd);
	if (bf->hfd >= 0)
		close(bf->hfd);
	free(bf->shadow);
	free(bf);
}

const struct pv_blkfront_info *pv_blkfront_info(const struct pv_blkfront *bf)
{
	return &bf->info;
}

int pv_blkfront_fd(const struct pv_blkfront *bf)
{
	return bf->epfd;
}

unsigned int pv_blkfront_pending(const struct pv_blkfront *bf)
{
	return bf->pending;
}

unsigned int pv_blkfront_reconnects(const struct pv_blkfront *bf)
{
	return bf->reconnects;
}

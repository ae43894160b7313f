/* SPDX-License-Identifier: MIT */
/*
 * blkfront against a hostile backend: a fake blkback (a thread acting as
 * domain 0) answers with out-of-range ids, ids of no request, a producer
 * index far ahead, unknown statuses, an event storm before each answer
 * (XSA-332), or never, then vanishes. blkfront
 * must fail the I/O with an error, never crash or hang.
 * Usage: blkfront-hostile RUNDIR DOMID FIRST-DEVID (devids FIRST + 16 * 0..7 added: xvda..xvdh)
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pvkit/blkfront.h"
#include "pvkit/proto/blkif.h"
#include "pvkit/ring.h"
#include "pvkit/xenbus.h"

enum mode { BAD_ID, UNUSED_ID, OVERFLOW, ODD_STATUS, EOPNOTSUPP_ST, BAD_OP, STORM, SILENT, NMODES };
static const char *const mode_name[] = {"id out of range", "id of no request",
					"rsp_prod far ahead", "unknown status",
					"EOPNOTSUPP status", "another operation",
					"event storm (XSA-332)",
					"no answer, then gone"};

struct fake {
	const char *rundir;
	unsigned int dom, devid;
	enum mode mode;
	char be[96], fe[96];
	volatile int quit;
	int answered;
};

static int failed;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failed += !ok;
}

static struct pv_xs *xs_as(const char *rundir, unsigned int domid)
{
	struct pv_xs *xs = NULL;
	char path[4200];

	if (pv_xs_local_path(path, sizeof(path), rundir, (pv_domid_t)domid) || pv_xs_open(&xs, path))
		return NULL;
	return xs;
}

static int wait_fe(struct pv_xs *xs, struct fake *f, int state)
{
	for (int i = 0; i < 500 && !f->quit; i++) {
		if ((int)pv_xenbus_read_state(xs, f->fe) == state)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/* Answer one request the hostile way of f->mode. */
static void answer(struct fake *f, struct pv_ring_back *r, const struct pv_blkif_request *req)
{
	struct pv_blkif_response rsp;

	memset(&rsp, 0, sizeof(rsp));
	rsp.id = req->id;
	rsp.operation = req->operation;
	if (f->mode == BAD_ID)
		rsp.id = req->id + 100000;
	else if (f->mode == UNUSED_ID)
		rsp.id = (req->id + 1) % 1024;
	else if (f->mode == ODD_STATUS && f->answered == 0)
		rsp.status = 77;
	else if (f->mode == EOPNOTSUPP_ST)
		rsp.status = PV_BLKIF_RSP_EOPNOTSUPP;
	else if (f->mode == BAD_OP)
		rsp.operation = PV_BLKIF_OP_WRITE; /* the requests are reads */
	pv_ring_back_put(r, &rsp);
	f->answered++;
}

static void serve_ring(struct fake *f, struct pv_xs *xs, struct pv_ring_back *r,
		       struct pv_evtchn *ev, int port)
{
	struct pv_blkif_request req;

	while (!f->quit && (int)pv_xenbus_read_state(xs, f->fe) < PV_XENBUS_STATE_CLOSING) {
		struct pollfd p = {.fd = pv_evtchn_fd(ev), .events = POLLIN};
		int pend;

		poll(&p, 1, 20);
		while ((pend = pv_evtchn_pending(ev)) >= 0)
			pv_evtchn_unmask(ev, (pv_evtchn_port_t)pend);
		while (pv_ring_back_get_request(r, &req) == 1) {
			/* XSA-332: notifications in a tight loop with nothing new, then the answer. */
			for (int i = 0; f->mode == STORM && i < 100000; i++)
				pv_evtchn_notify(ev, (pv_evtchn_port_t)port);
			if (f->mode != SILENT)
				answer(f, r, &req);
		}
		if (pv_ring_back_push(r) > 0 || f->mode == OVERFLOW) {
			if (f->mode == OVERFLOW && f->answered) /* a hostile peer's shared-memory write */
				__atomic_store_n(&r->v.sring->rsp_prod, r->v.sring->rsp_prod + 1000,
						 __ATOMIC_RELEASE);
			pv_evtchn_notify(ev, (pv_evtchn_port_t)port);
		}
	}
}

/* The fake backend: InitWait, map the one-page ring, Connected, then answer badly. */
static void *fake_main(void *opaque)
{
	struct pv_platform_opts po = {.rundir = NULL, .domid = 0, .domid_set = 1};
	struct pv_shape_holder { struct pv_ring_shape s; } sh = {
		PV_RING_SHAPE(struct pv_blkif_request, struct pv_blkif_response)};
	struct fake *f = opaque;
	struct pv_platform *p = NULL;
	struct pv_xs *xs = xs_as(f->rundir, 0);
	struct pv_evtchn *ev = NULL;
	struct pv_ring_back r;
	uint64_t ref = 0, rport = 0;
	void *ring = NULL;
	int port = -1;

	po.rundir = f->rundir;
	if (!xs || pv_platform_open(&p, &po) || pv_evtchn_open(p, &ev))
		return NULL;
	pv_xs_write(xs, 0, f->be, "feature-flush-cache", "1");
	pv_xs_write(xs, 0, f->be, "state", "2");
	if (wait_fe(xs, f, PV_XENBUS_STATE_INITIALISED) == 0 &&
	    !pv_xs_read_uint(xs, 0, f->fe, "ring-ref", UINT32_MAX, 0, &ref) &&
	    !pv_xs_read_uint(xs, 0, f->fe, "event-channel", UINT32_MAX, 0, &rport)) {
		pv_grant_ref_t gref = (pv_grant_ref_t)ref;

		ring = pv_gnt_map(p, (pv_domid_t)f->dom, 1, &gref, 1);
		port = pv_evtchn_bind_interdomain(ev, (pv_domid_t)f->dom, (pv_evtchn_port_t)rport);
	}
	if (ring && port >= 0 && !pv_ring_back_attach(&r, ring, 1, &sh.s, 0)) {
		pv_xs_write(xs, 0, f->be, "sectors", "2048");
		pv_xs_write(xs, 0, f->be, "sector-size", "512");
		pv_xs_write(xs, 0, f->be, "state", "4");
		serve_ring(f, xs, &r, ev, port);
	}
	if (ring)
		pv_gnt_unmap(p, ring, 1);
	if (f->mode != SILENT)
		pv_xs_write(xs, 0, f->be, "state", "6");
	pv_evtchn_close(ev);
	pv_platform_close(p);
	pv_xs_close(xs);
	return NULL;
}

struct result {
	int done, status;
};

static void on_done(void *opaque, int status)
{
	struct result *r = opaque;

	r->done = 1;
	r->status = status;
}

/* Submit one 4 KiB read and wait up to 5 s; the status, or 1 when it never completed. */
static int read_once(struct pv_blkfront *bf, struct pv_xs *xs, struct fake *f, uint64_t off)
{
	static unsigned char buf[4096];
	struct result r = {0};

	struct timespec t0, t;
	long ms = 0;
	int gone = 0;

	if (pv_blkfront_submit(bf, PV_BLKFRONT_READ, off, 4096, buf, on_done, &r))
		return 2;
	pv_blkfront_kick(bf);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* By the clock, not by wake-ups: an event storm wakes us far more often. */
	for (; ms < 5000 && !r.done; clock_gettime(CLOCK_MONOTONIC, &t),
	       ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000) {
		struct pollfd p[2] = {{.fd = pv_blkfront_fd(bf), .events = POLLIN},
				      {.fd = pv_xs_fd(xs), .events = POLLIN}};

		if (f->mode == SILENT && ms >= 400 && !gone++) {
			struct pv_xs *xs0 = xs_as(f->rundir, 0);

			if (xs0) {
				pv_xs_rm(xs0, 0, f->be, NULL); /* the backend vanishes */
				pv_xs_close(xs0);
			}
		}
		poll(p, 2, 20);
		if (p[1].revents)
			pv_xs_dispatch(xs, 16);
		pv_blkfront_poll(bf);
	}
	return r.done ? r.status : 1;
}

static void run_mode(const char *rundir, struct pv_platform *gp, struct pv_xs *gxs,
		     unsigned int dom, unsigned int devid, enum mode m)
{
	struct pv_blkfront_opts o = {.max_queues = 1, .single_page_ring = 1, .timeout_ms = 5000,
				     .pool_pages = 300};
	struct fake f = {.rundir = rundir, .dom = dom, .devid = devid, .mode = m};
	struct pv_blkfront *bf = NULL;
	pthread_t th;
	int st, st2;

	snprintf(f.fe, sizeof(f.fe), "/local/domain/%u/device/vbd/%u", dom, devid);
	snprintf(f.be, sizeof(f.be), "/local/domain/0/backend/vbd/%u/%u", dom, devid);
	pthread_create(&th, NULL, fake_main, &f);
	if (pv_blkfront_open(gp, gxs, f.fe, &o, &bf)) {
		check(0, "%s: blkfront connects to the fake backend", mode_name[m]);
		f.quit = 1;
		pthread_join(th, NULL);
		return;
	}
	st = read_once(bf, gxs, &f, 0);
	st2 = read_once(bf, gxs, &f, 4096);
	switch (m) {
	case ODD_STATUS:
		check(st == -EIO && st2 == 0, "%s: that read fails with EIO (%d), the next works (%d)",
		      mode_name[m], st, st2);
		break;
	case EOPNOTSUPP_ST:
		check(st == -EOPNOTSUPP, "%s: the read fails with EOPNOTSUPP (%d)", mode_name[m], st);
		break;
	case STORM:
		check(st == 0 && st2 == 0, "%s: 100000 events before each answer, both reads work (%d, %d)",
		      mode_name[m], st, st2);
		/* XSA-391: counted, and backed off (a count of wake-ups, not a time). */
		check(pv_blkfront_spurious(bf) > 0 && pv_blkfront_spurious(bf) * 50 < 200000,
		      "%s: %llu spurious wake-ups for 200000 events (counted, fewer than 1 in 50)",
		      mode_name[m], pv_blkfront_spurious(bf));
		break;
	default:
		check(st == -EIO && st2 == -EIO,
		      "%s: the read fails with EIO (%d), so does the next one (%d)", mode_name[m], st,
		      st2);
	}
	pv_blkfront_close(bf);
	f.quit = 1;
	pthread_join(th, NULL);
}

int main(int argc, char **argv)
{
	struct pv_platform_opts po = {0};
	struct pv_platform *gp = NULL;
	struct pv_xs *gxs;
	unsigned int dom, first;

	if (argc != 4) {
		fprintf(stderr, "usage: blkfront-hostile RUNDIR DOMID FIRST-DEVID\n");
		return 2;
	}
	dom = (unsigned int)atoi(argv[2]);
	first = (unsigned int)atoi(argv[3]);
	po.rundir = argv[1];
	po.domid = (int)dom;
	po.domid_set = 1;
	gxs = xs_as(argv[1], dom);
	if (!gxs || pv_platform_open(&gp, &po)) {
		check(0, "act as the guest domain %u", dom);
		return 1;
	}
	for (int m = 0; m < NMODES; m++)
		run_mode(argv[1], gp, gxs, dom, first + 16 * (unsigned int)m, (enum mode)m);
	pv_xs_close(gxs);
	pv_platform_close(gp);
	return failed ? 1 : 0;
}

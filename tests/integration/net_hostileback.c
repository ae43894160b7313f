/* SPDX-License-Identifier: MIT */
/*
 * net-tool hostileback RUNDIR DOMID DEVID: a hostile backend for a real
 * netfront (pvkit-guest). It connects as domain 0's backend of the vif
 * (offering rx-copy but not feature-sg),
 * then answers the posted rx buffers with bad responses (an id that is not
 * its slot's, bytes past the page, an error status, an unknown extra), one
 * good packet, an event storm (XSA-332) with a good packet after it, and
 * finally a response producer index a ring ahead. Prints
 * "ok - " / "not ok - " lines; the script checks that the guest survived.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvkit/platform.h"
#include "pvkit/proto/netif.h"
#include "pvkit/ring.h"
#include "pvkit/stats.h"
#include "pvkit/xenbus.h"

int net_tool_hostileback(int argc, char **argv);

static int failures;

static void check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	if (!cond)
		failures++;
}

struct hback {
	struct pv_platform *p;
	struct pv_xs *xs;
	struct pv_evtchn *evt;
	pv_evtchn_port_t port;
	struct pv_ring_back tx, rx;
	pv_domid_t fe_dom;
	const char *rundir;
	char fe[128], be[128];
};

static int wait_state(struct pv_xs *xs, const char *dir, enum pv_xenbus_state want)
{
	for (int i = 0; i < 500; i++) {
		if (pv_xenbus_read_state(xs, dir) == want)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

static void *map_ref(struct hback *h, const char *node)
{
	uint64_t ref;

	if (pv_xs_read_uint(h->xs, 0, h->fe, node, UINT32_MAX, 0, &ref) < 0)
		return NULL;
	return pv_gnt_map(h->p, h->fe_dom, 1, (pv_grant_ref_t[]){(pv_grant_ref_t)ref}, 1);
}

static int connect_back(struct hback *h)
{
	struct pv_ring_shape tx = PV_RING_SHAPE(struct pv_netif_tx_request, struct pv_netif_tx_response);
	struct pv_ring_shape rx = PV_RING_SHAPE(struct pv_netif_rx_request, struct pv_netif_rx_response);
	void *txp, *rxp;
	uint64_t port;
	int rc;

	pv_xs_write(h->xs, 0, h->be, "feature-rx-copy", "1");
	/* No feature-sg: netfront keeps its MTU at 1500 (the script checks). */
	pv_xs_write(h->xs, 0, h->be, "feature-sg", "0");
	pv_xs_write(h->xs, 0, h->be, "state", "2");
	/* netfront writes its nodes, then goes Connected (netif.h, as Linux's netfront). */
	if (wait_state(h->xs, h->fe, PV_XENBUS_STATE_CONNECTED) < 0)
		return -ETIMEDOUT;
	txp = map_ref(h, "tx-ring-ref");
	rxp = map_ref(h, "rx-ring-ref");
	if (!txp || !rxp || pv_ring_back_attach(&h->tx, txp, 1, &tx, 0) < 0 ||
	    pv_ring_back_attach(&h->rx, rxp, 1, &rx, 0) < 0)
		return -EINVAL;
	rc = pv_xs_read_uint(h->xs, 0, h->fe, "event-channel", INT32_MAX, 0, &port);
	rc = rc ?: pv_evtchn_open(h->p, &h->evt);
	rc = rc ?: pv_evtchn_bind_interdomain(h->evt, h->fe_dom, (pv_evtchn_port_t)port);
	if (rc < 0)
		return rc;
	h->port = (pv_evtchn_port_t)rc;
	pv_xs_write(h->xs, 0, h->be, "state", "4");
	return wait_state(h->xs, h->fe, PV_XENBUS_STATE_CONNECTED);
}

/* Answer the next posted rx buffer with @rsp (its id replaced unless @keep_id). */
static int answer(struct hback *h, struct pv_netif_rx_response rsp, int keep_id)
{
	struct pv_netif_rx_request req;

	for (int i = 0; i < 200 && pv_ring_back_get_request(&h->rx, &req) <= 0; i++)
		usleep(10000);
	if (!keep_id)
		rsp.id = req.id;
	pv_ring_back_put(&h->rx, &rsp);
	pv_ring_back_push(&h->rx);
	return pv_evtchn_notify(h->evt, h->port) < 0;
}

/* A good broadcast frame copied into the next posted buffer and answered. Returns 1 when it was. */
static int put_packet(struct hback *h)
{
	struct pv_netif_rx_request req;
	uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5};
	struct pv_gnt_copy_seg seg;
	struct pv_netif_rx_response rsp = {.status = 60};
	int rc;

	for (int i = 0; i < 200 && pv_ring_back_get_request(&h->rx, &req) <= 0; i++)
		usleep(10000);
	seg = (struct pv_gnt_copy_seg){.source = {.virt = frame},
				       .dest = {.is_gref = 1, .domid = h->fe_dom, .ref = req.gref},
				       .len = 60};
	rc = pv_gnt_copy(h->p, &seg, 1) == 0 && seg.status == 0;
	rsp.id = req.id;
	pv_ring_back_put(&h->rx, &rsp);
	pv_ring_back_push(&h->rx);
	pv_evtchn_notify(h->evt, h->port);
	return rc;
}

static void good_packet(struct hback *h)
{
	check(put_packet(h), "a good packet copied into a posted buffer");
}

/* netfront's counters (the guest's counters file, pvkit/stats.h); 0 or -errno. */
static int fe_counters(const struct hback *h, struct pv_stats_counters *c)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/dom/%u/" PV_STATS_DIR "/vif-%u-%s", h->rundir,
		 (unsigned int)h->fe_dom, (unsigned int)h->fe_dom, strrchr(h->fe, '/') + 1);
	return pv_stats_read(path, c);
}

/* netfront's count of spurious notifications, or -1. */
static long long fe_spurious(const struct hback *h)
{
	struct pv_stats_counters c;

	return fe_counters(h, &c) < 0 ? -1 : (long long)c.spurious;
}

/* Packets netfront took from the rx ring or its TAP: delivered or sent, and dropped; -1. */
static long long fe_packets(const struct hback *h)
{
	struct pv_stats_counters c;

	return fe_counters(h, &c) < 0 ? -1 : (long long)(c.requests + c.drops);
}

/* netfront's count of bad responses from the backend, or -1. */
static long long fe_errors(const struct hback *h)
{
	struct pv_stats_counters c;

	return fe_counters(h, &c) < 0 ? -1 : (long long)c.errors;
}

/* Wait (up to 2 s) for @fn to grow past @before; returns its last value. */
static long long wait_grow(const struct hback *h, long long (*fn)(const struct hback *),
			   long long before)
{
	long long v = fn(h);

	for (int i = 0; i < 200 && v <= before; i++, usleep(10000))
		v = fn(h);
	return v;
}

/*
 * XSA-332/391: notifications in a tight loop with no new response.
 * netfront counts them and backs off: its spurious wake-ups stay a small
 * fraction of the notifications (a count, not a time); it stays
 * Connected, and afterwards takes a good packet (it refills the buffer:
 * the rx req_prod moves).
 */
static void storm(struct hback *h)
{
	unsigned long sent = 0;
	long long before = fe_spurious(h), counted;
	uint32_t prod;
	int moved = 0;

	for (unsigned long i = 0; i < 200000; i++)
		sent += pv_evtchn_notify(h->evt, h->port) == 0;
	check(sent == 200000, "event storm: 200000 notifications with no new response");
	usleep(100000); /* the last wake-up's count */
	counted = fe_spurious(h) - before;
	printf("# netfront: %lld spurious wake-ups for %lu notifications\n", counted, sent);
	check(before >= 0 && counted > 0, "event storm: netfront counts spurious notifications");
	check(before >= 0 && counted * 50 < (long long)sent,
	      "event storm: netfront backs off (fewer than 1 spurious wake-up in 50 notifications)");
	check(pv_xenbus_read_state(h->xs, h->fe) == PV_XENBUS_STATE_CONNECTED,
	      "event storm: netfront still Connected");
	prod = __atomic_load_n(&h->rx.v.sring->req_prod, __ATOMIC_ACQUIRE);
	good_packet(h);
	for (int i = 0; i < 500 && !moved; i++, usleep(10000))
		moved = __atomic_load_n(&h->rx.v.sring->req_prod, __ATOMIC_ACQUIRE) != prod;
	check(moved, "event storm: netfront took the next packet and reposted its buffer");
}

/*
 * XSA-155: rewrite the last published rx responses, without end, while
 * netfront consumes them. Only those 8 slots: the others hold posted
 * requests (the same slots; a rewritten one is reposted in is only taken
 * a whole ring later, past this test's packets).
 */
struct rewriter {
	struct hback *h;
	int stop;                   /* atomics */
	unsigned long writes;
};

static void *rewrite_slots(void *opaque)
{
	struct rewriter *w = opaque;
	struct pv_ring_view *v = &w->h->rx.v;
	uint32_t seed = 4242;

	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		uint32_t prod = __atomic_load_n(&v->sring->rsp_prod, __ATOMIC_ACQUIRE);

		for (uint32_t i = prod - 8; i != prod; i++) {
			struct pv_netif_rx_response *r =
				(struct pv_netif_rx_response *)(v->slots +
								(size_t)(i & (v->nr_ents - 1)) * v->shape.slot_size);

			seed = seed * 1103515245u + 12345u;
			__atomic_store_n(&r->id, (uint16_t)(seed >> 16), __ATOMIC_RELAXED);
			__atomic_store_n(&r->offset, (uint16_t)(seed >> 4) & 0x1fff, __ATOMIC_RELAXED);
			__atomic_store_n(&r->flags, (uint16_t)(seed >> 9) & 0xf, __ATOMIC_RELAXED);
			__atomic_store_n(&r->status, (int16_t)((seed >> 3) & 0x1fff) - 64, __ATOMIC_RELAXED);
		}
		__atomic_fetch_add(&w->writes, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * 200 good packets answered while another thread rewrites the response
 * slots: netfront acts on its private copy of each (dropped or delivered,
 * never out of its pages), stays Connected and keeps reposting buffers.
 */
static void double_fetch(struct hback *h)
{
	struct rewriter w = {.h = h};
	int copied = 0;
	pthread_t t;

	if (pthread_create(&t, NULL, rewrite_slots, &w))
		return check(0, "XSA-155: start the slot rewriter");
	while (!__atomic_load_n(&w.writes, __ATOMIC_RELAXED))
		usleep(1000);
	for (int i = 0; i < 200; i++)
		copied += put_packet(h);
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	printf("# %lu rewrites of the rx ring\n", w.writes);
	check(copied == 200, "XSA-155: 200 packets answered while the slots were rewritten");
	check(pv_xenbus_read_state(h->xs, h->fe) == PV_XENBUS_STATE_CONNECTED,
	      "XSA-155: netfront acted on its own copies: still Connected");
}

int net_tool_hostileback(int argc, char **argv)
{
	struct pv_platform_opts po = {.name = "local", .domid = 0, .domid_set = 1};
	struct pv_netif_extra_info x = {.type = 9};
	struct pv_netif_rx_response rsp;
	struct hback h = {0};
	char path[4096];
	long long before;
	int rc = 0;

	if (argc != 5)
		return 2;
	po.rundir = argv[2];
	h.rundir = argv[2];
	h.fe_dom = (pv_domid_t)atoi(argv[3]);
	snprintf(h.fe, sizeof(h.fe), "/local/domain/%s/device/vif/%s", argv[3], argv[4]);
	snprintf(h.be, sizeof(h.be), "/local/domain/0/backend/vif/%s/%s", argv[3], argv[4]);
	if (pv_platform_open(&h.p, &po) < 0 || pv_xs_local_path(path, sizeof(path), argv[2], 0) < 0 ||
	    pv_xs_open(&h.xs, path) < 0)
		return 1;
	check(connect_back(&h) == 0, "hostile backend connected to netfront");
	if (failures)
		return 1;
	rc |= answer(&h, (struct pv_netif_rx_response){.id = 9999, .status = 60}, 1);
	rc |= answer(&h, (struct pv_netif_rx_response){.offset = 4000, .status = 200}, 0);
	rc |= answer(&h, (struct pv_netif_rx_response){.status = PV_NETIF_RSP_ERROR}, 0);
	rc |= answer(&h, (struct pv_netif_rx_response){.status = 60, .flags = PV_NETRXF_EXTRA_INFO}, 0);
	memset(&rsp, 0, sizeof(rsp));
	memcpy(&rsp, &x, sizeof(x));
	rc |= answer(&h, rsp, 1);
	rc |= answer(&h, (struct pv_netif_rx_response){.status = 60, .flags = PV_NETRXF_MORE_DATA}, 0);
	rc |= answer(&h, (struct pv_netif_rx_response){.offset = 100, .status = 4000}, 0);
	check(rc == 0, "bad rx responses delivered: wrong id, past the page, error, unknown extra, "
		       "overlong chain");
	check(wait_grow(&h, fe_errors, 0) > 0,
	      "netfront's counters file counts the bad responses (errors)");
	double_fetch(&h);
	storm(&h);
	before = fe_packets(&h);
	good_packet(&h);
	check(before >= 0 && wait_grow(&h, fe_packets, before) > before,
	      "netfront's counters file counts the good packet (delivered or dropped)");
	sleep(1);
	h.rx.v.sring->rsp_prod += 1000; /* more responses than requests */
	pv_evtchn_notify(h.evt, h.port);
	check(wait_state(h.xs, h.fe, PV_XENBUS_STATE_CLOSING) == 0 ||
	      wait_state(h.xs, h.fe, PV_XENBUS_STATE_CLOSED) == 0,
	      "response producer overflow: netfront gives the device up");
	pv_xs_write(h.xs, 0, h.be, "state", "6");
	return failures ? 1 : 0;
}

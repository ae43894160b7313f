/* SPDX-License-Identifier: MIT */
/*
 * net-tool xsa RUNDIR DOMID DEVID CASE [ARG...]: a hostile netfront
 * playing one class of THREATS.md against pvkit-netback. Run inside
 * domain 0's network namespace: it injects frames into the vif
 * (vif<DOMID>.<DEVID>) with a packet socket so that rx traffic is in
 * flight too. Cases:
 *
 *   cycles SECONDS MIN MAX  XSA-350: Connected -> Closing -> Closed ->
 *                           Initialising -> Connected, tx packets and rx
 *                           buffers posted and frames injected each time;
 *                           at least MIN cycles, then on until SECONDS
 *                           have passed or MAX cycles were made
 *   stateflood N THREADS    XSA-349: THREADS writers rewrite the frontend's
 *                           state node N times each (Connected and
 *                           Initialised alternately)
 *   storm SECONDS           XSA-332/391: notify in a tight loop, rings empty
 *   doublefetch SECONDS     XSA-155: a second thread rewrites published tx
 *                           and rx request slots while netback consumes
 *   rspbytes                XSA-216: rings pre-filled with 0xAA; every byte
 *                           of every tx and rx response slot (extras too)
 *                           is defined, rx data lands only where it says
 *
 * Each case ends with the vif serving again (a good tx packet answered
 * OKAY, an injected frame received). Prints "ok - " / "not ok - " lines;
 * exits non-zero when one failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net_hostile.h"
#include "pvkit/stats.h"

int net_tool_xsa(int argc, char **argv);

#define RX_BUFS 16     /* rx buffer pages the frontend posts */
#define SLOT_FILL 0xAA /* what the frontend leaves in ring slots and rx pages */

static int failures;

static void check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", cond ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failures += !cond;
}

struct xsa {
	struct hostile h;
	int pkt_fd;                 /* packet socket on the vif, -1 without */
	int pkt_vnet;               /* it takes a virtio-net header */
	int ifindex;
	uint8_t *rxbuf;             /* RX_BUFS pages granted writable */
	pv_grant_ref_t rx_refs[RX_BUFS];
	uint32_t rx_posted;         /* bit per buffer page outstanding on the rx ring */
	uint8_t rx_at[256];         /* which page the request at each rx ring index holds */
	uint16_t next_id;
	int fill;                   /* fill fresh ring slots with SLOT_FILL */
	const char *rundir;
	pv_domid_t domid;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A packet socket on the vif: what we write there, netback reads from the TAP. */
static int open_inject(struct xsa *x, const char *ifname, int vnet)
{
	int one = 1;

	x->ifindex = (int)if_nametoindex(ifname);
	x->pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(0x88b5));
	if (x->ifindex <= 0 || x->pkt_fd < 0)
		return -1;
	x->pkt_vnet = vnet && setsockopt(x->pkt_fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) == 0;
	return 0;
}

/* Send @len bytes of @frame (virtio-net header first when pkt_vnet). */
static int inject(struct xsa *x, const void *frame, size_t len)
{
	struct sockaddr_ll sa = {.sll_family = AF_PACKET, .sll_ifindex = x->ifindex, .sll_halen = 6};

	memset(sa.sll_addr, 0xff, 6);
	return sendto(x->pkt_fd, frame, len, MSG_DONTWAIT, (struct sockaddr *)&sa, sizeof(sa)) ==
		       (ssize_t)len ? 0 : -1;
}

/* A broadcast frame of @len bytes with the test's local ethertype and @seed in its payload. */
static size_t small_frame(struct xsa *x, uint8_t *f, size_t len, uint8_t seed)
{
	size_t off = 0;

	if (x->pkt_vnet) {
		memset(f, 0, sizeof(struct virtio_net_hdr));
		off = sizeof(struct virtio_net_hdr);
	}
	memset(f + off, 0xff, 6);
	memcpy(f + off + 6, (uint8_t[]){0x02, 0, 0, 0, 0, 0x42}, 6);
	f[off + 12] = 0x88;
	f[off + 13] = 0xb5;
	for (size_t i = 14; i < len; i++)
		f[off + i] = (uint8_t)(seed + i);
	return off + len;
}

static void drain_events(struct hostile *h)
{
	int port;

	while ((port = pv_evtchn_pending(h->evt)) >= 0)
		pv_evtchn_unmask(h->evt, (pv_evtchn_port_t)port);
}

static struct pv_netif_tx_request good_slot(struct xsa *x)
{
	return (struct pv_netif_tx_request){.gref = x->h.data_ref, .size = 60, .id = ++x->next_id};
}

/* Post each of our buffer pages not on the ring yet. */
static void post_rx(struct xsa *x)
{
	struct hostile *h = &x->h;

	for (unsigned int i = 0; pv_ring_front_free(&h->rx) && i < RX_BUFS; i++) {
		struct pv_netif_rx_request r = {.id = (uint16_t)i, .gref = x->rx_refs[i]};

		if (x->rx_posted & (1u << i))
			continue;
		/*
		 * XSA-216 checks the page around a response's data: a page
		 * coming back (say, from a packet of the kernel's own) holds
		 * that packet's bytes until it is filled again.
		 */
		if (x->fill)
			memset(x->rxbuf + (size_t)i * 4096, SLOT_FILL, 4096);
		x->rx_at[h->rx.v.prod_pvt & (h->rx.v.nr_ents - 1)] = (uint8_t)i;
		x->rx_posted |= 1u << i;
		pv_ring_front_put(&h->rx, &r);
	}
	if (pv_ring_front_push(&h->rx) > 0)
		pv_evtchn_notify(h->evt, h->port);
}

/* The next rx response, if any (1), its request's page free again; 0: none; -EPROTO. */
static int get_rx(struct xsa *x, struct pv_netif_rx_response *rsp)
{
	struct hostile *h = &x->h;
	uint32_t idx = h->rx.v.cons;
	int rc = pv_ring_front_get_response(&h->rx, rsp);

	if (rc > 0)
		x->rx_posted &= ~(1u << x->rx_at[idx & (h->rx.v.nr_ents - 1)]);
	return rc;
}

static void fill_slots(struct pv_ring_view *v)
{
	memset(v->slots, SLOT_FILL, (size_t)v->nr_ents * v->shape.slot_size);
}

/* Closing, wait for the backend's Closed, Initialising, wait for its InitWait. */
static int close_and_reset(struct hostile *h)
{
	enum pv_xenbus_state st = pv_xenbus_read_state(h->xs, h->be);

	if (st == PV_XENBUS_STATE_INIT_WAIT)
		return 0;
	if (pv_xs_write(h->xs, 0, h->fe, "state", "5") < 0 ||
	    hostile_wait_state(h->xs, h->be, PV_XENBUS_STATE_CLOSED) < 0)
		return -ETIMEDOUT;
	if (pv_xs_write(h->xs, 0, h->fe, "state", "1") < 0)
		return -EIO;
	return hostile_wait_state(h->xs, h->be, PV_XENBUS_STATE_INIT_WAIT);
}

/* From whatever state the vif is in to Connected, our rings fresh. */
static int connect_fresh(struct xsa *x)
{
	struct hostile *h = &x->h;
	int rc = close_and_reset(h);

	rc = rc ?: hostile_share_rings(h);
	x->rx_posted = 0;
	if (rc == 0 && x->fill) {
		fill_slots(&h->tx.v);
		fill_slots(&h->rx.v);
	}
	rc = rc ?: hostile_publish(h);
	if (rc == 0)
		post_rx(x);
	return rc;
}

/* An rx response arrives within 5 s: returns it, or -ETIMEDOUT. */
static int wait_rx(struct xsa *x, struct pv_netif_rx_response *rsp)
{
	struct hostile *h = &x->h;
	struct pollfd pfd = {.fd = pv_evtchn_fd(h->evt), .events = POLLIN};

	for (int i = 0; i < 500; i++) {
		int rc = get_rx(x, rsp);

		if (rc != 0)
			return rc > 0 ? 0 : rc;
		if (poll(&pfd, 1, 10) > 0)
			drain_events(h);
	}
	return -ETIMEDOUT;
}

/* The vif serves: a good tx packet answered OKAY, an injected frame received whole. */
static int serves(struct xsa *x)
{
	struct pv_netif_tx_request s = good_slot(x);
	struct pv_netif_rx_response rsp;
	uint8_t f[128];
	int16_t st;
	size_t n = small_frame(x, f, 100, 7);

	if (hostile_send_slots(&x->h, &s, 1, &st) < 0 || st != PV_NETIF_RSP_OKAY)
		return 0;
	if (x->pkt_fd < 0)
		return 1;
	/* Frames injected before may still be queued: skip to ours (100 bytes, seed 7). */
	for (int tries = 0; tries < 64; tries++) {
		if (inject(x, f, n) < 0 || wait_rx(x, &rsp) < 0)
			return 0;
		if (rsp.status == 100 && rsp.id < RX_BUFS &&
		    !memcmp(x->rxbuf + (size_t)rsp.id * 4096 + rsp.offset, f + n - 100, 100))
			return 1;
		post_rx(x);
	}
	return 0;
}

/* ---- XSA-350: connect/disconnect cycles with I/O in flight ------------------------------ */

static void case_cycles(struct xsa *x, double seconds, unsigned int min, unsigned int max)
{
	struct hostile *h = &x->h;
	double t0 = now_s();
	unsigned int n = 0, bad = 0;
	uint8_t f[128];
	size_t flen = small_frame(x, f, 80, 3);

	while (n < max && (n < min || now_s() - t0 < seconds)) {
		/* In flight: 16 tx packets, every rx slot posted, 8 frames on their way to us. */
		for (int i = 0; i < 16 && pv_ring_front_free(&h->tx); i++) {
			struct pv_netif_tx_request s = good_slot(x);

			pv_ring_front_put(&h->tx, &s);
		}
		pv_ring_front_push(&h->tx);
		pv_evtchn_notify(h->evt, h->port);
		for (int i = 0; i < 8 && x->pkt_fd >= 0; i++)
			inject(x, f, flen);
		n++;
		if (connect_fresh(x) < 0) {
			bad++;
			if (bad > 3)
				break;
		}
	}
	printf("# %u cycles in %.1f s\n", n, now_s() - t0);
	check(n >= min && bad == 0, "XSA-350: %u Connected->Closing->Closed cycles with packets in flight, "
	      "each reconnecting (%u failed)", n, bad);
	check(serves(x), "XSA-350: the vif serves after the cycles");
}

/* ---- XSA-349: the frontend rewrites its state node in a tight loop ------------------------ */

struct flooder {
	struct xsa *x;
	unsigned int n, done;
	pthread_t t;
};

/* One writer on a connection of its own, as the guest's domain. */
static void *flood_main(void *arg)
{
	struct flooder *f = arg;
	struct pv_xs *xs;
	char path[4096];

	if (pv_xs_local_path(path, sizeof(path), f->x->rundir, f->x->domid) < 0 ||
	    pv_xs_open(&xs, path) < 0)
		return NULL;
	for (unsigned int i = 0; i < f->n; i++)
		if (pv_xs_write(xs, 0, f->x->h.fe, "state", i % 2 ? "3" : "4") == 0)
			f->done++;
	pv_xs_close(xs);
	return NULL;
}

static void case_stateflood(struct xsa *x, unsigned int n, unsigned int threads)
{
	struct flooder f[8];
	unsigned int done = 0;

	if (threads > 8)
		threads = 8;
	for (unsigned int i = 0; i < threads; i++) {
		f[i] = (struct flooder){.x = x, .n = n};
		pthread_create(&f[i].t, NULL, flood_main, &f[i]);
	}
	for (unsigned int i = 0; i < threads; i++) {
		pthread_join(f[i].t, NULL);
		done += f[i].done;
	}
	pv_xs_write(x->h.xs, 0, x->h.fe, "state", "4");
	check(done == n * threads, "XSA-349: %u rewrites of the frontend's state node from %u threads",
	      done, threads);
	check(pv_xenbus_read_state(x->h.xs, x->h.be) == PV_XENBUS_STATE_CONNECTED,
	      "XSA-349: the backend is still Connected");
	check(serves(x), "XSA-349: the vif serves after the flood");
}

/* ---- XSA-332/391: an event storm with empty rings ---------------------------------------- */

/* netback's count of spurious notifications on this vif (pvkit top's file), or -1. */
static long long spurious_count(struct xsa *x)
{
	struct pv_stats_counters c;
	char path[4200];

	snprintf(path, sizeof(path), "%s/" PV_STATS_DIR "/vif-%u-%s", x->rundir, (unsigned int)x->domid,
		 strrchr(x->h.fe, '/') + 1);
	return pv_stats_read(path, &c) < 0 ? -1 : (long long)c.spurious;
}

static void case_storm(struct xsa *x, double seconds)
{
	double t0 = now_s();
	unsigned long sent = 0, failed = 0;
	long long before = spurious_count(x), counted;

	while (now_s() - t0 < seconds) {
		for (int i = 0; i < 1000; i++)
			pv_evtchn_notify(x->h.evt, x->h.port) == 0 ? sent++ : failed++;
		drain_events(&x->h);
	}
	printf("# %lu notifications in %.1f s\n", sent, now_s() - t0);
	check(sent > 0 && failed == 0, "XSA-332: %lu notifications with empty rings, none refused", sent);
	usleep(100000); /* the queue publishes its counters after each wake-up */
	counted = spurious_count(x) - before;
	check(before >= 0 && counted > 0, "XSA-332: netback counted %lld spurious notifications", counted);
	check(counted >= 0 && (unsigned long long)counted * 50 < sent,
	      "XSA-391: netback backed off: %lld spurious wake-ups for %lu notifications "
	      "(fewer than 1 in 50)", counted, sent);
	check(pv_xenbus_read_state(x->h.xs, x->h.be) == PV_XENBUS_STATE_CONNECTED,
	      "XSA-332: the backend is still Connected");
	check(serves(x), "XSA-332: the vif serves after the storm");
}

/* ---- XSA-155: published slots rewritten while netback consumes -------------------------- */

struct rewriter {
	struct xsa *x;
	volatile int stop;
	unsigned long writes;
	pthread_t t;
};

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Scribble over slots published but not yet answered, as fast as we can. */
static void *rewrite_main(void *arg)
{
	struct rewriter *w = arg;
	struct hostile *h = &w->x->h;
	uint32_t seed = 0x9e3779b9u;

	while (!w->stop) {
		struct pv_ring_view *v[2] = {&h->tx.v, &h->rx.v};

		for (int r = 0; r < 2; r++) {
			uint32_t prod = __atomic_load_n(&v[r]->sring->req_prod, __ATOMIC_ACQUIRE);
			uint32_t rsp = __atomic_load_n(&v[r]->sring->rsp_prod, __ATOMIC_ACQUIRE);

			if (prod - rsp > v[r]->nr_ents)
				continue; /* read across an update: look again */
			for (uint32_t i = rsp; i != prod; i++) {
				volatile uint8_t *s = v[r]->slots +
						      (size_t)(i & (v[r]->nr_ents - 1)) * v[r]->shape.slot_size;
				uint32_t rnd = xorshift(&seed);

				if (r == 0) { /* tx: any field of the request, often to something plausible */
					volatile struct pv_netif_tx_request *q = (volatile void *)s;

					switch (rnd % 6) {
					case 0: q->size = (uint16_t)(rnd >> 8); break;
					case 1: q->offset = (uint16_t)((rnd >> 8) % 4200); break;
					case 2: q->flags = (uint16_t)((rnd >> 8) & 0xf); break;
					case 3: q->gref = (rnd >> 8) % 64; break;
					case 4: q->id = (uint16_t)(rnd >> 8); break;
					default: q->size = (uint16_t)(1 + (rnd >> 8) % 1600); break;
					}
				} else {
					volatile struct pv_netif_rx_request *q = (volatile void *)s;

					if (rnd & 1)
						q->gref = (rnd >> 8) % 64;
					else
						q->id = (uint16_t)(rnd >> 8);
				}
				w->writes++;
			}
		}
	}
	return NULL;
}

static void case_doublefetch(struct xsa *x, double seconds)
{
	struct hostile *h = &x->h;
	struct rewriter w = {.x = x};
	struct pollfd pfd = {.fd = pv_evtchn_fd(h->evt), .events = POLLIN};
	struct pv_netif_tx_response trsp;
	struct pv_netif_rx_response rrsp;
	double t0 = now_s();
	unsigned long posted = 0, answered = 0;
	uint8_t f[128];
	size_t flen = small_frame(x, f, 90, 5);
	enum pv_xenbus_state st = PV_XENBUS_STATE_CONNECTED;
	unsigned int sessions = 1, disabled = 0, unexplained = 0;

	pthread_create(&w.t, NULL, rewrite_main, &w);
	while (now_s() - t0 < seconds) {
		if (st != PV_XENBUS_STATE_CONNECTED || h->tx.v.error || h->rx.v.error) {
			/* Gave up on us (or our own view broke): say why, start over. */
			char *err = NULL;

			w.stop = 1;
			pthread_join(w.t, NULL);
			if (st != PV_XENBUS_STATE_CONNECTED) {
				disabled++;
				if (pv_xs_read(h->xs, 0, h->be, "error", &err) < 0 || !err || !*err)
					unexplained++;
				else if (disabled == 1)
					printf("# netback disabled the vif: %s\n", err);
				free(err);
			}
			if (connect_fresh(x) < 0)
				break;
			sessions++;
			w.stop = 0;
			pthread_create(&w.t, NULL, rewrite_main, &w);
		}
		/* Packets of 1 to 3 slots, all good as written. */
		while (pv_ring_front_free(&h->tx) >= 3) {
			struct pv_netif_tx_request s = good_slot(x);
			unsigned int extra = x->next_id % 3;

			s.size = (uint16_t)(60 + 100 * extra);
			s.flags = extra ? PV_NETTXF_MORE_DATA : 0;
			pv_ring_front_put(&h->tx, &s);
			for (unsigned int k = 0; k < extra; k++) {
				struct pv_netif_tx_request m = good_slot(x);

				m.offset = (uint16_t)(200 * (k + 1));
				m.size = 100;
				m.flags = k + 1 < extra ? PV_NETTXF_MORE_DATA : 0;
				pv_ring_front_put(&h->tx, &m);
			}
			posted++;
		}
		if (pv_ring_front_push(&h->tx) < 0)
			break;
		pv_evtchn_notify(h->evt, h->port);
		for (int i = 0; i < 4 && x->pkt_fd >= 0; i++)
			inject(x, f, flen);
		if (poll(&pfd, 1, 5) > 0)
			drain_events(h);
		while (pv_ring_front_get_response(&h->tx, &trsp) > 0)
			answered++;
		while (get_rx(x, &rrsp) > 0)
			;
		post_rx(x);
		st = pv_xenbus_read_state(h->xs, h->be);
	}
	w.stop = 1;
	pthread_join(w.t, NULL);
	printf("# %lu packets posted, %lu tx responses, %lu slot rewrites in %.1f s, %u connections\n",
	       posted, answered, w.writes, now_s() - t0, sessions);
	check(w.writes > 0 && posted > 0, "XSA-155: %lu slot rewrites while netback consumed", w.writes);
	check(unexplained == 0, "XSA-155: each of the %u times netback disabled the vif, "
	      "the error node said why", disabled);
	check(connect_fresh(x) == 0 && serves(x), "XSA-155: a fresh connection serves afterwards");
}

/* ---- XSA-216: every byte of every response slot is defined ------------------------------ */

static const uint8_t *slot_at(const struct pv_ring_view *v, uint32_t i)
{
	return v->slots + (size_t)(i & (v->nr_ents - 1)) * v->shape.slot_size;
}

/* Zero from @from to the end of the slot. */
static int tail_zero(const uint8_t *s, size_t from, size_t size)
{
	for (size_t i = from; i < size; i++)
		if (s[i])
			return 0;
	return 1;
}

/* tx: one-slot, three-slot, bad and extra-carrying packets; every response slot checked. */
static void rspbytes_tx(struct xsa *x)
{
	struct hostile *h = &x->h;
	struct pv_netif_tx_request s[8];
	struct pv_netif_extra_info e = {.type = PV_NETIF_EXTRA_TYPE_GSO};
	int16_t st[8];
	uint32_t first = h->tx.v.cons;
	unsigned int n = 0, bad = 0;

	s[n++] = good_slot(x);
	s[n] = good_slot(x), s[n].size = 300, s[n++].flags = PV_NETTXF_MORE_DATA;
	s[n] = good_slot(x), s[n].offset = 200, s[n].size = 100, s[n++].flags = PV_NETTXF_MORE_DATA;
	s[n] = good_slot(x), s[n].offset = 400, s[n++].size = 140;
	s[n] = good_slot(x), s[n++].size = 10; /* a runt: error */
	s[n] = good_slot(x), s[n++].flags = PV_NETTXF_EXTRA_INFO;
	e.u.gso.type = 7; /* an unknown GSO kind: the packet is dropped, the extra answered NULL */
	e.u.gso.size = 1000;
	memset(&s[n], 0, sizeof(s[n]));
	memcpy(&s[n++], &e, sizeof(e));
	if (hostile_send_slots(h, s, n, st) < 0) {
		check(0, "XSA-216: tx responses arrive");
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *p = slot_at(&h->tx.v, first + i);
		struct pv_netif_tx_response r;

		memcpy(&r, p, sizeof(r));
		bad += !tail_zero(p, sizeof(r), h->tx.v.shape.slot_size);
		bad += r.status != PV_NETIF_RSP_OKAY && r.status != PV_NETIF_RSP_ERROR &&
		       r.status != PV_NETIF_RSP_NULL;
		bad += r.status == PV_NETIF_RSP_NULL ? i != n - 1 || r.id != 0 : r.id != s[i].id;
	}
	check(bad == 0, "XSA-216: %u tx response slots: id and status as expected, the other %zu bytes "
	      "of each zero (%u wrong)", n, h->tx.v.shape.slot_size - sizeof(struct pv_netif_tx_response), bad);
}

/* A TCP/IPv4 frame of @payload bytes after its headers, with a GSO virtio-net header. */
static size_t gso_frame(uint8_t *f, size_t payload)
{
	struct virtio_net_hdr *v = (struct virtio_net_hdr *)f;
	uint8_t *e = f + sizeof(*v), *ip = e + 14, *tcp = ip + 20;
	size_t iplen = 20 + 20 + payload;

	memset(f, 0, sizeof(*v) + 14 + iplen);
	v->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	v->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	v->gso_size = 1448;
	v->hdr_len = 14 + 20 + 20;
	v->csum_start = 14 + 20;
	v->csum_offset = 16;
	memcpy(e, (uint8_t[]){0x00, 0x16, 0x3e, 0x7f, 0x00, 0x01, 0x02, 0, 0, 0, 0, 0x42, 0x08, 0x00},
	       14);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, (uint8_t[]){198, 18, 9, 1, 198, 18, 9, 2}, 8);
	{
		uint32_t sum = 0;

		for (int i = 0; i < 20; i += 2)
			sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		ip[10] = (uint8_t)(~sum >> 8);
		ip[11] = (uint8_t)~sum;
	}
	tcp[1] = 80;
	tcp[3] = 81;
	tcp[12] = 5 << 4;
	tcp[13] = 0x18;
	tcp[15] = 0xff;
	for (size_t i = 0; i < payload; i++)
		tcp[20 + i] = (uint8_t)(i * 7);
	return sizeof(*v) + 14 + iplen;
}

/*
 * Collect rx responses until a packet of @want bytes came (other packets,
 * the kernel's own, are checked too). Every slot is checked: a data
 * response's fields, the page around its data still SLOT_FILL, an extra's
 * every byte. Counts wrong slots in *@bad and extras in *@extras; returns
 * the size of the last packet seen.
 */
static unsigned int rspbytes_rx_collect(struct xsa *x, unsigned int want, unsigned int *bad,
					unsigned int *extras)
{
	struct hostile *h = &x->h;
	struct pv_netif_rx_response r;
	unsigned int pkt = 0, extra_next = 0, more = 0;

	for (;;) {
		uint32_t idx = h->rx.v.cons;
		const uint8_t *p, *pg;

		if (wait_rx(x, &r) < 0)
			return pkt;
		p = slot_at(&h->rx.v, idx);
		if (extra_next) {
			struct pv_netif_extra_info e;

			memcpy(&e, p, sizeof(e));
			*bad += e.type != PV_NETIF_EXTRA_TYPE_GSO || e.flags != 0 ||
				e.u.gso.type != PV_NETIF_GSO_TYPE_TCPV4 || e.u.gso.size != 1448 ||
				e.u.gso._pad != 0 || e.u.gso.features != 0;
			(*extras)++;
			extra_next = 0;
		} else if (r.status <= 0 || r.id >= RX_BUFS || r.offset + r.status > 4096 ||
			   (r.flags & ~(PV_NETRXF_DATA_VALIDATED | PV_NETRXF_CSUM_BLANK |
					PV_NETRXF_MORE_DATA | PV_NETRXF_EXTRA_INFO))) {
			(*bad)++;
			more = 0;
		} else {
			pg = x->rxbuf + (size_t)r.id * 4096;
			for (unsigned int i = 0; i < 4096; i++) {
				if ((i < r.offset || i >= r.offset + (unsigned int)r.status) &&
				    pg[i] != SLOT_FILL) {
					(*bad)++;
					break;
				}
			}
			/* Each slot's status is its own bytes: a packet is the sum over its chain. */
			pkt = (more ? pkt : 0) + (unsigned int)r.status;
			extra_next = !!(r.flags & PV_NETRXF_EXTRA_INFO);
			more = !!(r.flags & PV_NETRXF_MORE_DATA);
		}
		if (!more && !extra_next && pkt == want)
			return pkt;
	}
}

/* rx: a small frame, then a GSO frame over several slots with its extra. */
static void rspbytes_rx(struct xsa *x)
{
	static uint8_t f[16384];
	unsigned int bad = 0, extras = 0, got;
	size_t n;

	if (x->pkt_fd < 0 || !x->pkt_vnet) {
		check(0, "XSA-216: a packet socket with PACKET_VNET_HDR on the vif to inject rx frames");
		return;
	}
	n = small_frame(x, f, 100, 9);
	inject(x, f, n);
	got = rspbytes_rx_collect(x, 100, &bad, &extras);
	post_rx(x);
	check(got == 100 && bad == 0,
	      "XSA-216: small rx frame: response slot and page around the data defined (%u wrong)", bad);
	n = gso_frame(f, 10000);
	bad = 0;
	check(inject(x, f, n) == 0, "XSA-216: a 10 KiB GSO TCP frame injected");
	n -= sizeof(struct virtio_net_hdr);
	got = rspbytes_rx_collect(x, (unsigned int)n, &bad, &extras);
	check(got == n && bad == 0 && extras == 1,
	      "XSA-216: GSO rx frame of %u bytes over several slots: data slots and the GSO extra "
	      "fully defined, padding zero (%u wrong, %u extra)", got, bad, extras);
	post_rx(x);
}

/* The rings were filled with SLOT_FILL before they were published (x->fill). */
static void case_rspbytes(struct xsa *x)
{
	rspbytes_tx(x);
	rspbytes_rx(x);
	check(serves(x), "XSA-216: the vif serves afterwards");
}

int net_tool_xsa(int argc, char **argv)
{
	struct xsa x = {.pkt_fd = -1};
	char ifname[IFNAMSIZ];
	const char *c = argc >= 6 ? argv[5] : "";

	if (argc < 6) {
		fprintf(stderr, "usage: net-tool xsa RUNDIR DOMID DEVID CASE [ARG...]\n");
		return 2;
	}
	snprintf(ifname, sizeof(ifname), "vif%s.%s", argv[3], argv[4]);
	x.rundir = argv[2];
	x.domid = (pv_domid_t)atoi(argv[3]);
	x.fill = !strcmp(c, "rspbytes");
	if (hostile_open(&x.h, argv[2], argv[3], argv[4]) < 0 ||
	    !(x.rxbuf = pv_gnt_share_pages(x.h.p, 0, RX_BUFS, x.rx_refs, 1))) {
		check(0, "hostile frontend set up");
		return 1;
	}
	memset(x.rxbuf, SLOT_FILL, (size_t)RX_BUFS * 4096);
	/* GSO on rx for the extras; csum offload is on unless refused. */
	pv_xs_write(x.h.xs, 0, x.h.fe, "feature-gso-tcpv4", "1");
	if (connect_fresh(&x) < 0) {
		check(0, "hostile frontend connected");
		return 1;
	}
	if (open_inject(&x, ifname, 1) < 0)
		printf("# no packet socket on %s: %s\n", ifname, strerror(errno));
	if (!strcmp(c, "cycles") && argc == 9)
		case_cycles(&x, atof(argv[6]), (unsigned int)atoi(argv[7]), (unsigned int)atoi(argv[8]));
	else if (!strcmp(c, "stateflood") && argc == 8)
		case_stateflood(&x, (unsigned int)atoi(argv[6]), (unsigned int)atoi(argv[7]));
	else if (!strcmp(c, "storm") && argc == 7)
		case_storm(&x, atof(argv[6]));
	else if (!strcmp(c, "doublefetch") && argc == 7)
		case_doublefetch(&x, atof(argv[6]));
	else if (!strcmp(c, "rspbytes") && argc == 6)
		case_rspbytes(&x);
	else {
		fprintf(stderr, "net-tool xsa: unknown case or arguments: %s\n", c);
		return 2;
	}
	return failures ? 1 : 0;
}

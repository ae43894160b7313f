/* SPDX-License-Identifier: MIT */
/*
 * netfront datapath: packets the guest's kernel sends on its TAP are read
 * straight into pages of the tx pool (granted read-only to the backend)
 * and posted on the tx ring; the rx ring is kept full of pages from the rx
 * pool, and each packet the backend answers with is checked slot by slot
 * (ids, offsets, sizes, extras) and written to the TAP from those pages.
 * Each queue has its own thread, event channel and TAP queue; a protocol
 * error stops the queue and asks the runtime's thread to close the device.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "netfront.h"

#define PAGE NETFRONT_PAGE
#define VNET_LEN sizeof(struct virtio_net_hdr)
#define TX_PAGES ((NETPKT_MAX_LEN + PAGE - 1) / PAGE) /* pages one read may fill */
#define BUDGET 64
#define HDR_PEEK 512 /* bytes gathered to find the headers of an rx packet */

enum { EV_EVTCHN, EV_TAP, EV_STOP };

/* Stop the queue; the runtime's thread reports it in xenstore and closes the device. */
static void broken(struct netfront_queue *q, const char *why)
{
	uint64_t one = 1;

	if (q->fatal)
		return;
	__atomic_store_n(&q->fatal, why, __ATOMIC_RELEASE);
	if (write(q->f->fatal_fd, &one, sizeof(one)) < 0)
		pv_dev_err(q->f->x->prefix, "queue %u: %s (cannot tell the runtime)", q->id, why);
}

static void bad_rsp(struct netfront_queue *q, const char *what, unsigned int val)
{
	q->bad_rsps++;
	pv_dev_warn_rl(&q->rl, q->f->x->prefix, "queue %u: bad response from the backend: %s (%u)",
		       q->id, what, val);
}

static void tap_poll(struct netfront_queue *q, int on)
{
	struct epoll_event ev = {.events = on ? EPOLLIN : 0, .data.u32 = EV_TAP};

	if (q->tap_polled != on && epoll_ctl(q->epfd, EPOLL_CTL_MOD, q->tap_fd, &ev) == 0)
		q->tap_polled = on;
}

/*
 * Take the pending ports (XSA-332/391, pvkit/evstorm.h): a notification is
 * spurious when neither rsp_prod moved since the last one; a run of them
 * holds the ports masked until epoll_wait times out, so a backend
 * notifying in a tight loop costs one wake-up per back-off.
 */
static void take_events(struct netfront_queue *q, int timed_out)
{
	uint32_t tx = __atomic_load_n(&q->tx.v.sring->rsp_prod, __ATOMIC_ACQUIRE);
	uint32_t rx = __atomic_load_n(&q->rx.v.sring->rsp_prod, __ATOMIC_ACQUIRE);
	int moved = tx != q->seen_tx_rsp || rx != q->seen_rx_rsp;
	unsigned int notified = pv_evstorm_take(&q->storm, q->evt);
	uint64_t spurious = q->storm.spurious;

	if (!notified && !timed_out && q->storm.nheld)
		return; /* the TAP woke us: the back-off goes on */
	q->seen_tx_rsp = tx;
	q->seen_rx_rsp = rx;
	if (!pv_evstorm_wake(&q->storm, notified > 0, moved))
		pv_evstorm_release(&q->storm, q->evt);
	else if (pv_evstorm_began(&q->storm))
		pv_dev_warn_rl(&q->rl, q->f->x->prefix, "queue %u: %llu spurious notifications: backing off",
			       q->id, (unsigned long long)q->storm.spurious);
	PV_STATS_ADD(q->f->stats, spurious, q->storm.spurious - spurious);
}

/* ---- transmit ---------------------------------------------------------------------- */

static void put_pages(struct netfront_queue *q, struct pv_gnt_page *pg, unsigned int from,
		      unsigned int to)
{
	for (unsigned int i = from; i < to; i++)
		pv_gnt_pool_put(q->tx_pool, pg[i].index);
}

/* The slots of one packet read into @pg (@len bytes, @m) go on the tx ring. */
static void tx_post(struct netfront_queue *q, struct pv_gnt_page *pg, unsigned int used,
		    size_t len, const struct netpkt_meta *m)
{
	size_t left = len;

	for (unsigned int i = 0; i < used; i++) {
		uint16_t chunk = (uint16_t)(left < PAGE ? left : PAGE);
		struct pv_netif_tx_request req = {
			.gref = pg[i].ref, .id = (uint16_t)pg[i].index,
			.size = i ? chunk : (uint16_t)len,
			.flags = i + 1 < used ? PV_NETTXF_MORE_DATA : 0,
		};

		if (i == 0 && m->csum_blank)
			req.flags |= PV_NETTXF_CSUM_BLANK | PV_NETTXF_DATA_VALIDATED;
		else if (i == 0 && m->data_validated)
			req.flags |= PV_NETTXF_DATA_VALIDATED;
		if (i == 0 && m->gso_type != PV_NETIF_GSO_TYPE_NONE)
			req.flags |= PV_NETTXF_EXTRA_INFO;
		q->tx_pg[pg[i].index] = pg[i];
		q->tx_busy[pg[i].index] = 1;
		pv_ring_front_put(&q->tx, &req);
		if (i == 0 && m->gso_type != PV_NETIF_GSO_TYPE_NONE) {
			struct pv_netif_extra_info x = {.type = PV_NETIF_EXTRA_TYPE_GSO};
			struct pv_netif_tx_request slot;

			x.u.gso.size = m->gso_size;
			x.u.gso.type = m->gso_type;
			memset(&slot, 0, sizeof(slot));
			memcpy(&slot, &x, sizeof(x));
			pv_ring_front_put(&q->tx, &slot);
		}
		left -= chunk;
	}
}

/* Finish a partial checksum the backend cannot take, across pool pages. */
static int tx_fix_csum(struct pv_gnt_page *pg, unsigned int used, size_t len,
		       const struct virtio_net_hdr *h)
{
	static __thread uint8_t lin[NETPKT_MAX_LEN];
	int rc;

	for (unsigned int i = 0; i < used; i++)
		memcpy(lin + (size_t)i * PAGE, pg[i].addr, i + 1 < used ? PAGE : len - (size_t)i * PAGE);
	rc = netpkt_csum_finish(lin, len, h->csum_start, h->csum_offset);
	for (unsigned int i = 0; rc == 0 && i < used; i++)
		memcpy(pg[i].addr, lin + (size_t)i * PAGE, i + 1 < used ? PAGE : len - (size_t)i * PAGE);
	return rc;
}

/* Read one packet from the TAP. Returns 1 (read or dropped), 0 (none), -ENOSPC (no room). */
static int tx_one(struct netfront_queue *q)
{
	struct pv_gnt_page pg[TX_PAGES];
	struct iovec iov[1 + TX_PAGES];
	struct virtio_net_hdr h;
	struct netpkt_meta m;
	unsigned int used;
	ssize_t n;
	size_t len;

	if (pv_ring_front_free(&q->tx) < TX_PAGES + 1 || pv_gnt_pool_avail(q->tx_pool) < TX_PAGES)
		return -ENOSPC;
	iov[0] = (struct iovec){&h, VNET_LEN};
	for (unsigned int i = 0; i < TX_PAGES; i++) {
		pv_gnt_pool_get(q->tx_pool, &pg[i]);
		iov[i + 1] = (struct iovec){pg[i].addr, PAGE};
	}
	n = readv(q->tap_fd, iov, 1 + TX_PAGES);
	if (n < (ssize_t)(VNET_LEN + NETPKT_ETH_HLEN)) {
		put_pages(q, pg, 0, TX_PAGES);
		return n < 0 ? 0 : 1;
	}
	len = (size_t)n - VNET_LEN;
	used = (unsigned int)((len + PAGE - 1) / PAGE);
	put_pages(q, pg, used, TX_PAGES);
	if (netpkt_from_vnet(&h, &m) < 0 || (used > 1 && !q->f->be_sg) || len > PV_NETIF_MAX_TX_SIZE ||
	    (m.csum_blank && !q->f->be_ipv6_csum && ((uint8_t *)pg[0].addr)[12] == 0x86 &&
	     (m.gso_type || tx_fix_csum(pg, used, len, &h) < 0))) {
		put_pages(q, pg, 0, used);
		q->tx_dropped++;
		return 1;
	}
	tx_post(q, pg, used, len, &m);
	q->tx_packets++;
	q->tx_bytes += len;
	return 1;
}

static void tx_complete(struct netfront_queue *q)
{
	struct pv_netif_tx_response rsp;
	const char *bad;
	int rc, id;

	while ((rc = pv_ring_front_get_response(&q->tx, &rsp)) > 0) {
		id = netfront_tx_check(&rsp, q->tx_busy, NETFRONT_RING, &bad);
		if (id == -2)
			bad_rsp(q, bad, rsp.id);
		if (id < 0)
			continue;
		if (rsp.status != PV_NETIF_RSP_OKAY)
			q->tx_dropped++;
		q->tx_busy[id] = 0;
		pv_gnt_pool_put(q->tx_pool, q->tx_pg[id].index);
	}
	if (rc < 0)
		broken(q, "tx response index out of range");
}

/*
 * Move what the TAP holds onto the tx ring. Returns 1 when it stopped for
 * want of room: the TAP is no longer polled and the caller must ask for a
 * tx response event (queue_kick()).
 */
static int tx_process(struct netfront_queue *q)
{
	int rc = 0;

	for (int i = 0; i < BUDGET && (rc = tx_one(q)) > 0; i++)
		;
	if (pv_ring_front_push(&q->tx) > 0)
		pv_evtchn_notify(q->evt, q->tx_port);
	if (rc != -ENOSPC)
		return 0;
	tap_poll(q, 0); /* resumed when responses free room */
	return 1;
}

/* ---- receive ------------------------------------------------------------------------ */

static void rx_reset(struct netfront_queue *q)
{
	for (unsigned int i = 0; i < q->rxp.nseg; i++)
		pv_gnt_pool_put(q->rx_pool, q->rx_cur[i].index);
	netfront_rx_reset(&q->rxp);
}

static void rx_deliver(struct netfront_queue *q)
{
	const struct netfront_rxpkt *p = &q->rxp;
	struct iovec iov[1 + NETFRONT_MAX_SLOTS];
	uint8_t hdr[HDR_PEEK];
	struct virtio_net_hdr h;
	size_t peek = 0;

	for (unsigned int i = 0; i < p->nseg && peek < HDR_PEEK; i++) {
		size_t c = p->cnt[i] < HDR_PEEK - peek ? p->cnt[i] : HDR_PEEK - peek;

		memcpy(hdr + peek, (uint8_t *)q->rx_cur[i].addr + p->off[i], c);
		peek += c;
	}
	if (p->bad || p->len < NETPKT_ETH_HLEN || netpkt_to_vnet(hdr, peek, &p->meta, &h) < 0) {
		q->rx_dropped++;
		return rx_reset(q);
	}
	iov[0] = (struct iovec){&h, VNET_LEN};
	for (unsigned int i = 0; i < p->nseg; i++)
		iov[i + 1] = (struct iovec){(uint8_t *)q->rx_cur[i].addr + p->off[i], p->cnt[i]};
	if (writev(q->tap_fd, iov, (int)p->nseg + 1) < 0) {
		q->rx_dropped++;
	} else {
		q->rx_packets++;
		q->rx_bytes += p->len;
	}
	rx_reset(q);
}

static void rx_complete(struct netfront_queue *q)
{
	struct pv_netif_rx_response rsp;
	const char *bad;
	unsigned int idx;
	int rc;

	for (;;) {
		idx = q->rx.v.cons & (NETFRONT_RING - 1);
		rc = pv_ring_front_get_response(&q->rx, &rsp);
		if (rc <= 0)
			break;
		if (!q->rx_posted[idx]) {
			bad_rsp(q, "rx slot not posted", idx);
			continue;
		}
		q->rx_posted[idx] = 0;
		if (netfront_rx_add(&q->rxp, &rsp, idx, &bad))
			q->rx_cur[q->rxp.nseg - 1] = q->rx_pg[idx];
		else
			pv_gnt_pool_put(q->rx_pool, q->rx_pg[idx].index);
		if (bad)
			bad_rsp(q, bad, idx);
		if (netfront_rx_done(&q->rxp))
			rx_deliver(q);
	}
	if (rc < 0)
		broken(q, "rx response index out of range");
}

static void rx_refill(struct netfront_queue *q)
{
	struct pv_netif_rx_request req;
	struct pv_gnt_page pg;
	unsigned int idx;

	while (pv_ring_front_free(&q->rx) && pv_gnt_pool_get(q->rx_pool, &pg) == 0) {
		idx = q->rx.v.prod_pvt & (NETFRONT_RING - 1);
		q->rx_pg[idx] = pg;
		q->rx_posted[idx] = 1;
		req = (struct pv_netif_rx_request){.id = (uint16_t)idx, .gref = pg.ref};
		pv_ring_front_put(&q->rx, &req);
	}
	if (pv_ring_front_push(&q->rx) > 0)
		pv_evtchn_notify(q->evt, q->rx_port);
}

/*
 * Take every response, refill the rx ring, and re-arm the events we need
 * before sleeping. A tx response is only worth a wake-up when we are out
 * of room (the TAP not polled): otherwise tx responses are reclaimed at
 * the next wake-up for any other reason, and rsp_event is left behind so
 * the backend does not notify for them (one event per ACK batch when the
 * guest receives, one per data batch when it sends).
 */
static void queue_kick(struct netfront_queue *q)
{
	int more;

	do {
		do {
			tx_complete(q);
			rx_complete(q);
			rx_refill(q);
			more = q->tap_polled ? 0 : pv_ring_front_final_check(&q->tx);
			if (more >= 0) {
				int r = pv_ring_front_final_check(&q->rx);

				more = r < 0 ? r : more + r;
			}
		} while (more > 0);
		if (more < 0)
			return broken(q, "response index out of range");
		if (q->tap_polled || pv_ring_front_free(&q->tx) < TX_PAGES + 1)
			return;
		tap_poll(q, 1);
	} while (tx_process(q));
}

/* ---- the queue's thread ---------------------------------------------------------------- */

/* Add what the queue counted since the last call to the counters file (netfront.h). */
static void publish(struct netfront_queue *q)
{
	struct pv_stats *s = q->f->stats;
	uint64_t requests = q->tx_packets + q->rx_packets, drops = q->tx_dropped + q->rx_dropped;

	if (!s || (requests == q->published.requests && drops == q->published.drops &&
		   q->bad_rsps == q->published.errors))
		return;
	PV_STATS_ADD(s, requests, requests - q->published.requests);
	PV_STATS_ADD(s, bytes_in, q->tx_bytes - q->published.bytes_in);
	PV_STATS_ADD(s, bytes_out, q->rx_bytes - q->published.bytes_out);
	PV_STATS_ADD(s, errors, q->bad_rsps - q->published.errors);
	PV_STATS_ADD(s, drops, drops - q->published.drops);
	q->published.requests = requests;
	q->published.bytes_in = q->tx_bytes;
	q->published.bytes_out = q->rx_bytes;
	q->published.errors = q->bad_rsps;
	q->published.drops = drops;
}

static void *queue_main(void *arg)
{
	struct netfront_queue *q = arg;
	struct epoll_event evs[4];
	int n, tap;

	queue_kick(q);
	while (!q->fatal) {
		/* Polled first (pvkit/busypoll.h): a quick backend costs no sleep, no wake-up. */
		if (q->storm.nheld)
			n = epoll_wait(q->epfd, evs, 4, (int)(q->storm.hold_ns / 1000000u));
		else
			n = pv_busypoll_epoll_wait(&q->bp, q->epfd, evs, 4, -1);
		tap = 0;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == EV_STOP)
				return NULL;
			tap |= evs[i].data.u32 == EV_TAP;
		}
		take_events(q, n == 0);
		queue_kick(q);
		if (tap && q->tap_polled && !q->fatal && tx_process(q))
			queue_kick(q);
		publish(q);
	}
	publish(q);
	return NULL;
}

static int watch(struct netfront_queue *q, int fd, uint32_t events, uint32_t tag)
{
	struct epoll_event ev = {.events = events, .data.u32 = tag};

	return epoll_ctl(q->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int netfront_queue_start(struct netfront_queue *q)
{
	char name[16];
	int rc;

	q->fatal = NULL;
	q->storm = (struct pv_evstorm){0}; /* a new channel: nothing held */
	pv_busypoll_init(&q->bp, PV_BUSYPOLL_DEFAULT); /* $PVKIT_BUSYPOLL_NS, else 50 us */
	q->seen_tx_rsp = q->seen_rx_rsp = 0;
	q->epfd = epoll_create1(EPOLL_CLOEXEC);
	q->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->epfd < 0 || q->stop_fd < 0)
		return -errno;
	rc = watch(q, pv_evtchn_fd(q->evt), EPOLLIN, EV_EVTCHN);
	rc = rc ?: watch(q, q->tap_fd, EPOLLIN, EV_TAP);
	rc = rc ?: watch(q, q->stop_fd, EPOLLIN, EV_STOP);
	if (rc < 0)
		return rc;
	q->tap_polled = 1;
	rc = pthread_create(&q->thread, NULL, queue_main, q);
	if (rc)
		return -rc;
	snprintf(name, sizeof(name), "netfront-q%u", q->id);
	pthread_setname_np(q->thread, name);
	q->started = 1;
	return 0;
}

void netfront_queue_stop(struct netfront_queue *q)
{
	uint64_t one = 1;

	if (q->started) {
		if (write(q->stop_fd, &one, sizeof(one)) < 0)
			pv_dev_err(q->f->x->prefix, "queue %u: cannot stop its thread", q->id);
		pthread_join(q->thread, NULL);
		q->started = 0;
	}
	if (q->epfd >= 0)
		close(q->epfd);
	if (q->stop_fd >= 0)
		close(q->stop_fd);
	q->epfd = q->stop_fd = -1;
	q->tap_polled = 0;
}

void netfront_queue_reclaim(struct netfront_queue *q)
{
	rx_reset(q);
	for (unsigned int i = 0; i < NETFRONT_RING; i++) {
		if (q->tx_busy[i])
			pv_gnt_pool_put(q->tx_pool, q->tx_pg[i].index);
		if (q->rx_posted[i])
			pv_gnt_pool_put(q->rx_pool, q->rx_pg[i].index);
		q->tx_busy[i] = q->rx_posted[i] = 0;
	}
}

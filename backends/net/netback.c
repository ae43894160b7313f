/* SPDX-License-Identifier: MIT */
/*
 * pvkit-netback datapath: one thread per queue. Guest transmit: consume
 * and parse tx slots, grant-copy a batch of packets into our buffers in one
 * call, write each to the TAP with its virtio-net header, answer every
 * slot. Guest receive: read the TAP, lay each packet over posted rx
 * buffers, grant-copy a batch, answer. A protocol error stops the queue
 * and asks the main thread to disable the vif.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define VNET_LEN sizeof(struct virtio_net_hdr)
#define BUF_LEN (VNET_LEN + NETPKT_MAX_LEN)
#define BUF_STRIDE ((BUF_LEN + 7) & ~(size_t)7) /* each buffer's virtio-net header aligned */
#define RX_BUDGET 64       /* packets per wake-up before tx gets a turn */
#define MIN_BURST 131072u  /* rate limiting: a burst always fits a 64 KiB GSO packet */
#define TX_PEEK 256        /* tx bytes copied for the header walk; the rest goes from the guest's pages */

enum { EV_EVTCHN, EV_TAP, EV_TIMER, EV_STOP };

static void give_up(struct netback_queue *q, const char *why)
{
	uint64_t one = 1;

	if (q->fatal)
		return;
	q->fatal = why;
	if (write(q->vif->fatal_fd, &one, sizeof(one)) < 0)
		pv_dev_err(q->prefix, "cannot signal the main thread: %s", why);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * Take the vif's rate when the main thread changed it (its "rate" node
 * was rewritten): as Linux's netback, credit above the new amount is cut
 * back, and the next refill comes no later than one new interval away.
 */
static void rate_reload(struct netback_queue *q, unsigned int gen, uint64_t now)
{
	struct netback_vif *v = q->vif;

	pthread_mutex_lock(&v->rate_lock);
	q->rate_bytes = v->rate_bytes;
	q->rate_usec = v->rate_usec;
	pthread_mutex_unlock(&v->rate_lock);
	q->rate_gen = gen;
	if (q->credit_left > q->rate_bytes)
		q->credit_left = q->rate_bytes;
	if (q->credit_next_us > now + q->rate_usec)
		q->credit_next_us = now + q->rate_usec;
}

/* xl's rate: rate_bytes of credit every rate_usec; wait for the timer when short. */
static int credit_ok(struct netback_queue *q, uint16_t size)
{
	unsigned int gen = __atomic_load_n(&q->vif->rate_gen, __ATOMIC_ACQUIRE);
	uint64_t now, burst, wait;

	if (gen != q->rate_gen)
		rate_reload(q, gen, now_us());
	if (!q->rate_usec)
		return 1;
	now = now_us();
	if (now >= q->credit_next_us) {
		burst = q->rate_bytes > MIN_BURST ? q->rate_bytes : MIN_BURST;
		q->credit_left = q->credit_left + q->rate_bytes > burst ? burst
									 : q->credit_left + q->rate_bytes;
		q->credit_next_us = now + q->rate_usec;
	}
	if (size <= q->credit_left) {
		q->credit_left -= size;
		return 1;
	}
	wait = q->credit_next_us - now;
	timerfd_settime(q->timer_fd, 0,
			&(struct itimerspec){.it_value = {.tv_sec = (time_t)(wait / 1000000u),
							  .tv_nsec = (long)(wait % 1000000u) * 1000 + 1}},
			NULL);
	return 0;
}

/*
 * Move @n segments between the frontend's pages and ours: through the
 * cached mapping when the grant has one (or can get one), the rest in one
 * grant copy. @to_guest: the grant is the destination (rx). Each segment's
 * status ends 0 or -errno, as after pv_gnt_copy().
 */
static void move_segs(struct netback_queue *q, struct pv_gnt_copy_seg *segs, unsigned int n,
		      int to_guest)
{
	static __thread struct pv_gnt_copy_seg rest[NETBACK_TX_BATCH * NETBACK_TX_MAX_SLOTS +
						    NETBACK_RX_BATCH * NETBACK_RX_MAX_SLOTS];
	static __thread unsigned int where[sizeof(rest) / sizeof(rest[0])];
	struct pv_gnt_cache *c = to_guest ? q->rx_cache : q->tx_cache;
	unsigned int nrest = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct pv_gnt_copy_seg *s = &segs[i];
		const struct pv_gnt_copy_ptr *g = to_guest ? &s->dest : &s->source;
		uint8_t *page = c ? pv_gnt_cache_map(c, g->ref) : NULL;

		s->status = 0;
		if (!page && (!c || errno == ENOSPC)) {
			where[nrest] = i;
			rest[nrest++] = *s;
		} else if (!page || (uint32_t)g->offset + s->len > NETBACK_PAGE_SIZE) {
			s->status = (int16_t)(page ? -EINVAL : -errno);
		} else if (to_guest) {
			memcpy(page + g->offset, s->source.virt, s->len);
		} else {
			memcpy(s->dest.virt, page + g->offset, s->len);
		}
	}
	if (!nrest)
		return;
	if (pv_gnt_copy(q->vif->nb->platform, rest, nrest) < 0)
		for (unsigned int i = 0; i < nrest; i++)
			rest[i].status = -EIO;
	for (unsigned int i = 0; i < nrest; i++)
		segs[where[i]].status = rest[i].status;
}

/* ---- guest transmit ---------------------------------------------------------- */

static void tx_answer(struct netback_queue *q, const struct netback_txpkt *p, int16_t status)
{
	for (unsigned int i = 0; i < p->nconsumed; i++) {
		struct pv_netif_tx_response rsp = {
			.id = p->is_extra[i] ? 0 : p->ids[i],
			.status = p->is_extra[i] ? PV_NETIF_RSP_NULL : status,
		};

		pv_ring_back_put(&q->tx, &rsp);
	}
}

/* A packet that was dropped by the parser or lost a grant. Returns 0 when it is fine. */
static int tx_refused(struct netback_queue *q, const struct netback_txpkt *p,
		      const struct pv_gnt_copy_seg *segs, unsigned int nseg)
{
	if (p->why) {
		pv_dev_warn_rl(&q->rl, q->prefix, "tx packet dropped: %s", p->why);
		q->st.tx_dropped++;
		return -1;
	}
	for (unsigned int s = 0; s < nseg; s++) {
		if (segs[s].status) {
			pv_dev_warn_rl(&q->rl, q->prefix, "tx grant %u refused (%d)",
				       segs[s].source.ref, segs[s].status);
			q->st.tx_errors++;
			return -1;
		}
	}
	return 0;
}

/*
 * The virtio-net header in front of @hdr (our private copy of the packet's
 * first @hlen bytes) and the write of @niov pieces to the TAP. Returns the
 * status the packet's slots get.
 */
static int16_t tx_write(struct netback_queue *q, const struct netback_txpkt *p, uint8_t *hdr,
			size_t hlen, struct iovec *iov, int niov)
{
	if (netpkt_to_vnet(hdr, hlen, &p->meta, (struct virtio_net_hdr *)(hdr - VNET_LEN)) < 0) {
		pv_dev_warn_rl(&q->rl, q->prefix, "tx packet with offloads we cannot place dropped");
		q->st.tx_dropped++;
		return PV_NETIF_RSP_ERROR;
	}
	if (writev(q->tap_fd, iov, niov) < 0)
		q->st.tx_dropped++; /* the host side is down or full: a network drop */
	else
		q->st.tx_packets++, q->st.tx_bytes += p->size;
	return PV_NETIF_RSP_OKAY;
}

/* Hand one packet copied into our buffer to the TAP. Returns the status its slots get. */
static int16_t tx_deliver(struct netback_queue *q, unsigned int i,
			  const struct pv_gnt_copy_seg *segs, unsigned int nseg)
{
	const struct netback_txpkt *p = &q->txb[i];
	uint8_t *buf = q->txbuf + (size_t)i * BUF_STRIDE;
	struct iovec iov = {buf, VNET_LEN + p->size};

	if (tx_refused(q, p, segs, nseg))
		return PV_NETIF_RSP_ERROR;
	return tx_write(q, p, buf + VNET_LEN, p->size, &iov, 1);
}

/*
 * Hand one packet to the TAP straight from the frontend's mapped pages:
 * only its first TX_PEEK bytes are copied (the headers we parse and the
 * kernel gets are that private copy); the payload goes from the shared
 * pages, so a frontend changing it under us only corrupts its own data.
 * Falls back to the copy when a page has no cached mapping.
 */
static int16_t tx_direct(struct netback_queue *q, unsigned int i, struct pv_gnt_copy_seg *segs,
			 unsigned int nseg)
{
	const struct netback_txpkt *p = &q->txb[i];
	uint8_t *hdr = q->txbuf + (size_t)i * BUF_STRIDE + VNET_LEN;
	struct iovec iov[2 + NETBACK_TX_MAX_SLOTS];
	struct virtio_net_hdr vh;
	size_t peek = p->size < TX_PEEK ? p->size : TX_PEEK, done = 0;
	int niov = 2;

	if (p->why)
		return tx_deliver(q, i, segs, nseg);
	for (unsigned int s = 0; s < nseg; s++) {
		struct pv_gnt_copy_seg *g = &segs[s];
		uint8_t *page = pv_gnt_cache_map(q->tx_cache, g->source.ref);
		size_t len = g->len, c;

		if (!page && errno == ENOSPC) {
			move_segs(q, segs, nseg, 0);
			return tx_deliver(q, i, segs, nseg);
		}
		g->status = 0;
		if (!page || (uint32_t)g->source.offset + g->len > NETBACK_PAGE_SIZE) {
			g->status = (int16_t)(page ? -EINVAL : -errno);
			tx_refused(q, p, g, 1);
			return PV_NETIF_RSP_ERROR;
		}
		page += g->source.offset;
		c = done < peek ? (peek - done < len ? peek - done : len) : 0;
		memcpy(hdr + done, page, c);
		done += c;
		if (len > c)
			iov[niov++] = (struct iovec){page + c, len - c};
	}
	if (peek < p->size && netpkt_to_vnet(hdr, peek, &p->meta, &vh) < 0) {
		/* Headers longer than the peek (or bad ones): judge them on a whole copy. */
		move_segs(q, segs, nseg, 0);
		return tx_deliver(q, i, segs, nseg);
	}
	iov[0] = (struct iovec){hdr - VNET_LEN, VNET_LEN};
	iov[1] = (struct iovec){hdr, peek};
	return tx_write(q, p, hdr, peek, iov, niov);
}

static void tx_flush(struct netback_queue *q, unsigned int nb)
{
	static __thread struct pv_gnt_copy_seg segs[NETBACK_TX_BATCH * NETBACK_TX_MAX_SLOTS];
	unsigned int first[NETBACK_TX_BATCH], count[NETBACK_TX_BATCH], n = 0;
	pv_domid_t fe = q->vif->xdev->otherend_id;

	for (unsigned int i = 0; i < nb; i++) {
		first[i] = n;
		count[i] = q->txb[i].why ? 0
					 : netback_txp_segs(&q->txb[i], fe,
							    q->txbuf + (size_t)i * BUF_STRIDE + VNET_LEN,
							    segs + n);
		n += count[i];
	}
	if (!q->tx_cache)
		move_segs(q, segs, n, 0);
	for (unsigned int i = 0; i < nb; i++)
		tx_answer(q, &q->txb[i], q->tx_cache ? tx_direct(q, i, segs + first[i], count[i])
						     : tx_deliver(q, i, segs + first[i], count[i]));
	if (pv_ring_back_push(&q->tx) > 0)
		pv_evtchn_notify(q->evt, q->tx_port);
}

/* Parse slots into the batch. Returns the batch size; *@stalled when rate-limited. */
static int tx_gather(struct netback_queue *q, int *stalled)
{
	struct pv_netif_tx_request req;
	enum netback_txp_verdict v;
	unsigned int nb = 0;
	int rc;

	*stalled = 0;
	while (nb < NETBACK_TX_BATCH) {
		if (!q->cur_held) {
			rc = pv_ring_back_get_request(&q->tx, &req);
			if (rc < 0)
				return rc;
			if (rc == 0)
				break;
			v = netback_txp_add(&q->cur, &req, q->vif->gso_ok);
			if (v == NETBACK_TXP_MORE)
				continue;
			if (v == NETBACK_TXP_FATAL)
				return -EPROTO;
			q->cur_held = 1;
		}
		if (!q->cur.why && !credit_ok(q, q->cur.size)) {
			*stalled = 1;
			break;
		}
		q->txb[nb++] = q->cur;
		netback_txp_reset(&q->cur);
		q->cur_held = 0;
	}
	return (int)nb;
}

static void tx_process(struct netback_queue *q)
{
	int nb, stalled, more;

	for (;;) {
		nb = tx_gather(q, &stalled);
		if (nb < 0)
			return give_up(q, q->cur.why ? q->cur.why : "tx ring producer index out of range");
		if (nb > 0)
			tx_flush(q, (unsigned int)nb);
		if (stalled)
			return;
		if (nb == NETBACK_TX_BATCH)
			continue;
		more = pv_ring_back_final_check(&q->tx);
		if (more < 0)
			return give_up(q, "tx ring producer index out of range");
		if (more == 0)
			return;
	}
}

/* ---- guest receive ------------------------------------------------------------ */

static void tap_poll(struct netback_queue *q, int on)
{
	struct epoll_event ev = {.events = on ? EPOLLIN : 0, .data.u32 = EV_TAP};

	if (q->tap_polled != on && epoll_ctl(q->epfd, EPOLL_CTL_MOD, q->tap_fd, &ev) == 0)
		q->tap_polled = on;
}

/* The frontend cannot take a partial checksum here: finish it in software. */
static int rx_fix_csum(struct netback_queue *q, const struct virtio_net_hdr *h, uint8_t *pkt,
		       size_t len, struct netpkt_meta *m)
{
	int v6 = len >= NETPKT_ETH_HLEN && pkt[12] == 0x86 && pkt[13] == 0xdd;

	if (!m->csum_blank || (q->vif->csum_offload && (!v6 || q->vif->ipv6_csum)))
		return 0;
	if (m->gso_type != PV_NETIF_GSO_TYPE_NONE)
		return -EINVAL;
	m->csum_blank = 0;
	return netpkt_csum_finish(pkt, len, h->csum_start, h->csum_offset);
}

/* Read one packet from the TAP into batch slot rx_nb. Returns 1, or 0 when none is waiting. */
static int rx_read(struct netback_queue *q)
{
	uint8_t *b = q->rxbuf + (size_t)q->rx_nb * BUF_STRIDE;
	const struct virtio_net_hdr *h = (const struct virtio_net_hdr *)b;
	struct netpkt_meta *m = &q->rx_meta[q->rx_nb];
	ssize_t n;
	size_t len;

	for (;;) {
		n = read(q->tap_fd, b, BUF_LEN);
		if (n < 0)
			return 0;
		len = (size_t)n - VNET_LEN;
		if ((size_t)n < VNET_LEN + NETPKT_ETH_HLEN || netpkt_from_vnet(h, m) < 0 ||
		    rx_fix_csum(q, h, b + VNET_LEN, len, m) < 0 ||
		    !(q->rx_need[q->rx_nb] = netback_rx_slots(len, m, &q->vif->caps))) {
			q->st.rx_dropped++;
			continue;
		}
		q->rx_len[q->rx_nb] = len;
		q->rx_held = 1;
		return 1;
	}
}

/* Put the batch's responses on the ring after one grant copy. */
static void rx_flush(struct netback_queue *q)
{
	unsigned int seg = 0;

	if (!q->rx_nb)
		return;
	move_segs(q, q->rx_segs, q->rx_segs_used, 1);
	for (unsigned int i = 0; i < q->rx_nb; i++) {
		int ok = 1;

		for (unsigned int s = 0; s < q->rx_nseg[i]; s++)
			ok &= !q->rx_segs[seg + s].status;
		seg += q->rx_nseg[i];
		if (!ok) {
			netback_rx_fail(q->rx_rsps[i], q->rx_need[i], &q->rx_meta[i]);
			pv_dev_warn_rl(&q->rl, q->prefix, "rx grant refused: packet dropped");
			q->st.rx_dropped++;
		} else {
			q->st.rx_packets++;
			q->st.rx_bytes += q->rx_len[i];
		}
		for (unsigned int r = 0; r < q->rx_need[i]; r++)
			pv_ring_back_put(&q->rx, &q->rx_rsps[i][r]);
	}
	if (q->rx_held) {
		/* Keep the waiting packet: it moves to the front of the next batch. */
		memcpy(q->rxbuf, q->rxbuf + (size_t)q->rx_nb * BUF_STRIDE, VNET_LEN + q->rx_len[q->rx_nb]);
		q->rx_len[0] = q->rx_len[q->rx_nb];
		q->rx_meta[0] = q->rx_meta[q->rx_nb];
		q->rx_need[0] = q->rx_need[q->rx_nb];
	}
	q->rx_nb = 0;
	q->rx_segs_used = 0;
	if (pv_ring_back_push(&q->rx) > 0)
		pv_evtchn_notify(q->evt, q->rx_port);
}

/* Consume posted requests until @want are held. Returns how many are, or -EPROTO. */
static int rx_pull(struct netback_queue *q, unsigned int want)
{
	int rc;

	while (q->rx_nreqs < want) {
		rc = pv_ring_back_get_request(&q->rx, &q->rx_reqs[q->rx_nreqs]);
		if (rc < 0)
			return -EPROTO;
		if (rc == 0)
			break;
		q->rx_nreqs++;
	}
	return (int)q->rx_nreqs;
}

/* The first @n held requests are answered (their responses are on the ring or in the batch). */
static void rx_used(struct netback_queue *q, unsigned int n)
{
	q->rx_nreqs -= n;
	memmove(q->rx_reqs, q->rx_reqs + n, q->rx_nreqs * sizeof(q->rx_reqs[0]));
}

/* Lay the held packet out over the first held requests. */
static void rx_take(struct netback_queue *q)
{
	unsigned int i = q->rx_nb, need = q->rx_need[i];

	q->rx_nseg[i] = netback_rx_build(q->rxbuf + (size_t)i * BUF_STRIDE + VNET_LEN, q->rx_len[i],
					 &q->rx_meta[i], q->rx_reqs, need, q->vif->xdev->otherend_id,
					 q->rx_segs + q->rx_segs_used, q->rx_rsps[i]);
	rx_used(q, need);
	q->rx_segs_used += q->rx_nseg[i];
	q->rx_held = 0;
	q->rx_nb++;
}

/* Fewer than @want buffers held: ask to be notified when the rest are posted, then look once more. */
static int rx_wait(struct netback_queue *q, unsigned int want)
{
	q->rx.v.sring->req_event = q->rx.v.cons + (want - q->rx_nreqs);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* orders our req_event store before re-reading req_prod */
	return rx_pull(q, want);
}

/*
 * Read one packet from the TAP straight into the frontend's posted pages
 * (mapped, every byte ours to write): the first page, then the third on
 * (the second is where a GSO extra goes), anything longer than the pages
 * into our buffer to be dropped. Only for a frontend that takes partial
 * checksums (nothing to finish in software) and while a largest packet's
 * worth of buffers is posted. Returns 1 (a packet answered or dropped), 0
 * (none waiting), -EAGAIN (use the copy path), -EPROTO.
 */
static int rx_direct(struct netback_queue *q)
{
	unsigned int want = q->vif->caps.sg ? NETBACK_RX_MAX_SLOTS + 1 : 1, need, i;
	static __thread struct pv_gnt_copy_seg segs[NETBACK_RX_MAX_SLOTS];
	struct pv_netif_rx_response rsps[NETBACK_RX_MAX_SLOTS + 1];
	struct iovec iov[NETBACK_RX_MAX_SLOTS + 2];
	uint8_t *pages[NETBACK_RX_MAX_SLOTS + 1];
	struct virtio_net_hdr h;
	struct netpkt_meta m;
	int niov = 1, avail;
	size_t len;
	ssize_t n;

	avail = rx_pull(q, want);
	if (avail < 0)
		return -EPROTO;
	if ((unsigned int)avail < want)
		return -EAGAIN;
	for (i = 0; i < want; i++) {
		pages[i] = pv_gnt_cache_map(q->rx_cache, q->rx_reqs[i].gref);
		if (!pages[i])
			return -EAGAIN; /* the copy path grant-copies, or answers a bad grant */
		if (i != 1)
			iov[niov++] = (struct iovec){pages[i], NETBACK_PAGE_SIZE};
	}
	iov[0] = (struct iovec){&h, VNET_LEN};
	iov[niov++] = (struct iovec){q->rxbuf, BUF_LEN};
	n = readv(q->tap_fd, iov, niov);
	if (n < 0)
		return 0;
	len = (size_t)n - VNET_LEN;
	if ((size_t)n < VNET_LEN + NETPKT_ETH_HLEN || netpkt_from_vnet(&h, &m) < 0 ||
	    !(need = netback_rx_slots(len, &m, &q->vif->caps)) ||
	    len > (size_t)(niov - 2) * NETBACK_PAGE_SIZE) {
		q->st.rx_dropped++;
		return 1; /* the held buffers take the next packet */
	}
	/* No extra after all: the data of the third page on moves down one slot. */
	for (i = 1; m.gso_type == PV_NETIF_GSO_TYPE_NONE && i < need; i++)
		memcpy(pages[i], pages[i + 1],
		       len - (size_t)i * NETBACK_PAGE_SIZE < NETBACK_PAGE_SIZE
			       ? len - (size_t)i * NETBACK_PAGE_SIZE : NETBACK_PAGE_SIZE);
	netback_rx_build(pages[0], len, &m, q->rx_reqs, need, q->vif->xdev->otherend_id, segs, rsps);
	for (i = 0; i < need; i++)
		pv_ring_back_put(&q->rx, &rsps[i]);
	rx_used(q, need);
	q->st.rx_packets++;
	q->st.rx_bytes += len;
	return 1;
}

static void rx_process(struct netback_queue *q)
{
	const struct netback_vif *v = q->vif;
	int direct = q->rx_cache && v->csum_offload && v->ipv6_csum, avail, rc;

	for (int budget = RX_BUDGET; budget > 0; budget--) {
		if (direct && !q->rx_held) {
			rx_flush(q); /* answers in ring order: the copied batch first */
			rc = rx_direct(q);
			if (rc == -EPROTO)
				return give_up(q, "rx ring producer index out of range");
			if (rc == 0)
				break;
			if (rc > 0)
				continue;
		}
		if (!q->rx_held && !rx_read(q))
			break;
		avail = rx_pull(q, q->rx_need[q->rx_nb]);
		if (avail >= 0 && (unsigned int)avail < q->rx_need[q->rx_nb])
			avail = rx_wait(q, q->rx_need[q->rx_nb]);
		if (avail < 0)
			return give_up(q, "rx ring producer index out of range");
		if ((unsigned int)avail < q->rx_need[q->rx_nb])
			break;
		rx_take(q);
		if (q->rx_nb == NETBACK_RX_BATCH)
			rx_flush(q);
	}
	rx_flush(q);
	if (pv_ring_back_push(&q->rx) > 0)
		pv_evtchn_notify(q->evt, q->rx_port);
	tap_poll(q, !q->rx_held);
}

/* ---- the thread ------------------------------------------------------------------ */

static void drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0)
		return;
}

/* Add what this queue counted since the last call to the vif's published counters. */
static void publish_stats(struct netback_queue *q)
{
	struct pv_stats *s = q->vif->stats;
	const struct netback_stats *a = &q->st;
	struct netback_stats *p = &q->pub;

	PV_STATS_ADD(s, requests, (a->tx_packets - p->tx_packets) + (a->rx_packets - p->rx_packets));
	PV_STATS_ADD(s, bytes_in, a->tx_bytes - p->tx_bytes);
	PV_STATS_ADD(s, bytes_out, a->rx_bytes - p->rx_bytes);
	PV_STATS_ADD(s, errors, a->tx_errors - p->tx_errors);
	PV_STATS_ADD(s, drops, (a->tx_dropped - p->tx_dropped) + (a->rx_dropped - p->rx_dropped));
	PV_STATS_ADD(s, spurious, a->spurious - p->spurious);
	*p = *a;
}

/*
 * Take the pending ports and decide when to unmask them (XSA-332/391,
 * pvkit/evstorm.h): a notification is spurious when neither ring's
 * req_prod moved since the last one; a run of them holds the ports masked
 * until epoll_wait times out, so a frontend notifying in a tight loop
 * costs us one wake-up per back-off. Real work ends it.
 */
static void take_events(struct netback_queue *q, int timed_out)
{
	uint32_t tx = __atomic_load_n(&q->tx.v.sring->req_prod, __ATOMIC_ACQUIRE);
	uint32_t rx = __atomic_load_n(&q->rx.v.sring->req_prod, __ATOMIC_ACQUIRE);
	int moved = tx != q->seen_tx_prod || rx != q->seen_rx_prod;
	unsigned int notified = pv_evstorm_take(&q->storm, q->evt);

	if (!notified && !timed_out && q->storm.nheld)
		return; /* the TAP or the timer woke us: the back-off goes on */
	q->seen_tx_prod = tx;
	q->seen_rx_prod = rx;
	if (pv_evstorm_wake(&q->storm, notified > 0, moved)) {
		if (pv_evstorm_began(&q->storm))
			pv_dev_warn_rl(&q->rl, q->prefix, "%" PRIu64 " spurious notifications: backing off",
				       q->storm.spurious);
	} else {
		pv_evstorm_release(&q->storm, q->evt);
	}
	q->st.spurious = q->storm.spurious;
}

static void *queue_main(void *arg)
{
	struct netback_queue *q = arg;
	struct epoll_event evs[8];
	int n;

	tx_process(q);
	rx_process(q);
	publish_stats(q);
	while (!q->fatal) {
		/* A storm's back-off sleeps; otherwise poll first: a quick peer costs no wake-up. */
		if (q->storm.nheld)
			n = epoll_wait(q->epfd, evs, 8, (int)(q->storm.hold_ns / 1000000u));
		else
			n = pv_busypoll_epoll_wait(&q->bp, q->epfd, evs, 8, -1);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == EV_STOP)
				return NULL;
			if (evs[i].data.u32 == EV_TIMER)
				drain(q->timer_fd);
		}
		take_events(q, n == 0);
		tx_process(q);
		if (!q->fatal)
			rx_process(q);
		publish_stats(q);
	}
	return NULL;
}

/* "vif3.0-q1" in ps, top and perf (15 characters kept). */
static void set_name(struct netback_queue *q)
{
	char name[16] = {0};
	size_t n = strlen(q->prefix);

	memcpy(name, q->prefix, n < sizeof(name) - 1 ? n : sizeof(name) - 1);
	pthread_setname_np(q->thread, name);
}

static int watch(struct netback_queue *q, int fd, uint32_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tag};

	return epoll_ctl(q->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int netback_queue_start(struct netback_queue *q)
{
	int rc;

	pthread_mutex_lock(&q->vif->rate_lock);
	q->rate_bytes = q->vif->rate_bytes;
	q->rate_usec = q->vif->rate_usec;
	q->rate_gen = q->vif->rate_gen;
	pthread_mutex_unlock(&q->vif->rate_lock);
	q->credit_left = q->rate_bytes;
	q->credit_next_us = now_us() + q->rate_usec;
	q->rl = (struct pv_ratelimit)PV_RATELIMIT_INIT;
	pv_busypoll_init(&q->bp, q->vif->nb->busypoll_ns);
	rc = watch(q, pv_evtchn_fd(q->evt), EV_EVTCHN);
	rc = rc ?: watch(q, q->tap_fd, EV_TAP);
	rc = rc ?: watch(q, q->timer_fd, EV_TIMER);
	rc = rc ?: watch(q, q->stop_fd, EV_STOP);
	if (rc < 0)
		return rc;
	q->tap_polled = 1;
	rc = pthread_create(&q->thread, NULL, queue_main, q);
	if (rc)
		return -rc;
	set_name(q);
	q->started = 1;
	return 0;
}

void netback_queue_rate_changed(struct netback_queue *q)
{
	/* A queue waiting for credit looks again now, with the new rate. */
	if (q->started)
		timerfd_settime(q->timer_fd, 0, &(struct itimerspec){.it_value = {.tv_nsec = 1}}, NULL);
}

void netback_queue_stop(struct netback_queue *q)
{
	uint64_t one = 1;

	if (!q->started)
		return;
	if (write(q->stop_fd, &one, sizeof(one)) < 0)
		pv_dev_err(q->prefix, "cannot stop the queue thread");
	pthread_join(q->thread, NULL);
	q->started = 0;
}

int netback_queue_alloc(struct netback_queue *q)
{
	q->tap_fd = -1;
	q->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	q->epfd = epoll_create1(EPOLL_CLOEXEC);
	q->txb = calloc(NETBACK_TX_BATCH, sizeof(*q->txb));
	q->txbuf = malloc(NETBACK_TX_BATCH * BUF_STRIDE);
	q->rxbuf = malloc(NETBACK_RX_BATCH * BUF_STRIDE);
	if (q->stop_fd < 0 || q->timer_fd < 0 || q->epfd < 0 || !q->txb || !q->txbuf || !q->rxbuf)
		return -ENOMEM;
	return 0;
}

void netback_queue_free(struct netback_queue *q)
{
	if (q->stop_fd >= 0)
		close(q->stop_fd);
	if (q->timer_fd >= 0)
		close(q->timer_fd);
	if (q->epfd >= 0)
		close(q->epfd);
	free(q->txb);
	free(q->txbuf);
	free(q->rxbuf);
}

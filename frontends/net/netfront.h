/* SPDX-License-Identifier: MIT */
/*
 * Private to frontends/net/: netfront, the vif frontend driver run by
 * pvkit-guest. It gives the guest a TAP interface (eth<devid>) in its
 * network namespace and moves its packets over the netif rings: tx from
 * the TAP through a pool of pages granted read-only to the backend, rx
 * into a pool of pages granted writable, every response checked.
 */
#ifndef PVKIT_NETFRONT_H
#define PVKIT_NETFRONT_H

#include <pthread.h>
#include <stdint.h>

#include "pvkit/busypoll.h"
#include "pvkit/evstorm.h"
#include "pvkit/gntpool.h"
#include "pvkit/guest.h"
#include "pvkit/log.h"
#include "pvkit/proto/netif.h"
#include "pvkit/ring.h"
#include "pvkit/stats.h"
#include "../../backends/net/netpkt.h"
#include "../../backends/net/nettap.h"
#include "rspcheck.h"

#define NETFRONT_MAX_QUEUES 4
#define NETFRONT_RING 256                       /* slots of a one-page tx or rx ring */

extern const struct pv_guest_driver pv_netfront_driver;

struct netfront;

struct netfront_queue {
	struct netfront *f;
	unsigned int id;
	pthread_t thread;           /* runs the queue while the device is connected */
	int started;
	int epfd;                   /* the thread's: channel, TAP queue, stop */
	int stop_fd;                /* eventfd: the thread exits when it is readable */
	const char *fatal;          /* why the queue gave up (set once, by its thread) */
	int tap_fd;                 /* queue 0's is the holder: open from probe to remove */
	int tap_polled;
	void *tx_page, *rx_page;    /* the shared rings */
	pv_grant_ref_t tx_ref, rx_ref;
	struct pv_ring_front tx, rx;
	struct pv_evtchn *evt;
	pv_evtchn_port_t tx_port, rx_port; /* equal without split channels */
	struct pv_gnt_pool *tx_pool, *rx_pool;
	/* tx: id = pool page index; a page is in flight until its response */
	struct pv_gnt_page tx_pg[NETFRONT_RING];
	uint8_t tx_busy[NETFRONT_RING];
	/* rx: the page posted in ring slot i (i = index & (NETFRONT_RING - 1)) */
	struct pv_gnt_page rx_pg[NETFRONT_RING];
	uint8_t rx_posted[NETFRONT_RING];
	/* rx packet being assembled from responses: its checks, the pages of its data slots */
	struct netfront_rxpkt rxp;
	struct pv_gnt_page rx_cur[NETFRONT_MAX_SLOTS];
	uint64_t tx_packets, rx_packets, rx_dropped, tx_dropped, bad_rsps;
	uint64_t tx_bytes, rx_bytes; /* of the packets counted in tx_packets, rx_packets */
	/* What the counters file has of this queue's counts so far (its thread adds the rest). */
	struct {
		uint64_t requests, bytes_in, bytes_out, errors, drops;
	} published;
	/* Event storms (XSA-332/391): notifications with no new response are counted and backed off. */
	struct pv_evstorm storm;
	struct pv_busypoll bp;      /* poll the channel and the TAP before sleeping */
	uint32_t seen_tx_rsp, seen_rx_rsp; /* the backend's rsp_prods at the last notification */
	struct pv_ratelimit rl;
};

struct netfront {
	struct pv_guest *g;
	struct pv_xenbus_dev *x;
	char ifname[IFNAMSIZ];
	uint8_t mac[6];
	unsigned int mtu;
	/* the backend's features */
	int be_sg, be_gso4, be_gso6, be_ipv6_csum, be_split;
	unsigned int nqueues;
	struct netfront_queue q[NETFRONT_MAX_QUEUES];
	int connected;
	int fatal_fd;               /* eventfd: a queue thread gave up (read by the runtime's loop) */
	/*
	 * The guest side's counters, <guest dir>/stats/vif-<domid>-<devid>
	 * (pvkit/stats.h; NULL when it cannot be created), every queue's sum,
	 * as netback counts its side: requests (packets sent and received),
	 * bytes_in (sent), bytes_out (received), errors (bad responses from
	 * the backend), drops (either way), spurious (notifications).
	 */
	struct pv_stats *stats;
};

/* netfront.c: the datapath, one thread per queue. */
/* Start queue @q's thread (rings, channel, TAP queue and pools set up). */
int netfront_queue_start(struct netfront_queue *q);
/* Stop and join the thread; safe when it never started. */
void netfront_queue_stop(struct netfront_queue *q);
/* Give every page in flight back to the pools (the rings are gone, the thread stopped). */
void netfront_queue_reclaim(struct netfront_queue *q);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Private to backends/net/: pvkit-netback's daemon, vif and queue state.
 * The main thread runs xenstore (probe, handshake, teardown); each queue
 * of a connected vif has its own thread moving packets between the
 * frontend's rings and the vif's TAP queue.
 */
#ifndef PVKIT_NETBACK_COMMON_H
#define PVKIT_NETBACK_COMMON_H

#include <pthread.h>
#include <stdint.h>

#include "pvkit/busypoll.h"
#include "pvkit/evstorm.h"
#include "pvkit/stats.h"
#include "pvkit/gntpool.h"
#include "pvkit/log.h"
#include "pvkit/platform.h"
#include "pvkit/proto/netif.h"
#include "pvkit/ring.h"
#include "pvkit/xenbus.h"
#include "datapath.h"
#include "nettap.h"

#define NETBACK_MAX_QUEUES 8
#define NETBACK_TX_BATCH 16 /* tx packets per grant-copy call */
#define NETBACK_RX_BATCH 16 /* rx packets per grant-copy call */
#define NETBACK_CACHE_PAGES 512 /* per queue and direction: a frontend's pool, twice over */

struct netback {
	struct pv_platform *platform;
	struct pv_xs *xs;
	struct pv_xenbus_bus *bus;
	int epfd;
	unsigned int max_queues; /* multi-queue-max-queues we offer */
	int no_gso;              /* --no-gso: offer no GSO features */
	int copy_only;           /* --grant-copy: never keep the frontend's pages mapped */
	int64_t busypoll_ns;     /* --busypoll-ns: each queue's cap, or PV_BUSYPOLL_DEFAULT */
	const char *rundir;      /* where the per-device stats files go (pvkit top) */
	int stopping;            /* an orderly stop: the vifs (TAPs) stay for our return */
};

/* Packet counters of one queue; written by its thread, read after it stopped. */
struct netback_stats {
	uint64_t tx_packets, tx_bytes, tx_dropped, tx_errors;
	uint64_t rx_packets, rx_bytes, rx_dropped;
	uint64_t spurious;          /* notifications with no new request on either ring */
};

struct netback_vif;

struct netback_queue {
	struct netback_vif *vif;
	unsigned int id;
	char prefix[64];            /* "vif3.0-q1" */
	pthread_t thread;
	int started;
	int stop_fd;                /* eventfd: the thread exits when it is readable */
	int timer_fd;               /* rate limiting: credit refill */
	int epfd;
	int tap_fd;
	int tap_polled;             /* EPOLLIN on the TAP is armed */
	struct pv_evtchn *evt;      /* used by the queue thread only once started */
	pv_evtchn_port_t tx_port, rx_port; /* equal without split channels */
	void *tx_page, *rx_page;    /* the frontend's rings, mapped */
	/*
	 * The frontend's buffer pages, mapped once and kept (bounded; NULL with
	 * --grant-copy): data moves with memcpy instead of a grant copy.
	 */
	struct pv_gnt_cache *tx_cache, *rx_cache;
	struct pv_ring_back tx, rx;
	/* tx */
	struct netback_txpkt cur;   /* the packet being parsed */
	int cur_held;               /* cur is complete but waits for rate credit */
	struct netback_txpkt *txb;  /* NETBACK_TX_BATCH packets in flight */
	uint8_t *txbuf;             /* NETBACK_TX_BATCH * (vnet header + NETPKT_MAX_LEN) */
	uint64_t credit_left, credit_next_us;
	uint64_t rate_bytes, rate_usec; /* the thread's copy of the vif's rate (0: unlimited) */
	unsigned int rate_gen;      /* the vif's rate_gen it was taken at */
	/* rx */
	uint8_t *rxbuf;             /* NETBACK_RX_BATCH * (vnet header + NETPKT_MAX_LEN) */
	unsigned int rx_nb;         /* packets in the current batch */
	size_t rx_len[NETBACK_RX_BATCH];
	struct netpkt_meta rx_meta[NETBACK_RX_BATCH];
	unsigned int rx_need[NETBACK_RX_BATCH];
	int rx_held;                /* rx_nb's packet is read but waits for posted buffers */
	/* posted rx requests consumed from the ring and not yet answered, in ring order */
	struct pv_netif_rx_request rx_reqs[NETBACK_RX_MAX_SLOTS + 1];
	unsigned int rx_nreqs;
	struct pv_gnt_copy_seg rx_segs[NETBACK_RX_BATCH * NETBACK_RX_MAX_SLOTS];
	struct pv_netif_rx_response rx_rsps[NETBACK_RX_BATCH][NETBACK_RX_MAX_SLOTS + 1];
	unsigned int rx_nseg[NETBACK_RX_BATCH];
	unsigned int rx_segs_used;
	struct netback_stats st;
	struct netback_stats pub;   /* the part of st already added to vif->stats */
	const char *fatal;          /* why the queue gave up (set once, by its thread) */
	/* Event storms (XSA-332/391): spurious notifications in a row hold the channel masked. */
	uint32_t seen_tx_prod, seen_rx_prod; /* the frontend's req_prod at the last wake-up */
	struct pv_evstorm storm;    /* its count, back-off and held ports */
	struct pv_busypoll bp;      /* polls the channel and the TAP before sleeping */
	struct pv_ratelimit rl;
};

struct netback_vif {
	struct netback *nb;
	struct pv_xenbus_dev *xdev;
	char ifname[IFNAMSIZ];
	char *bridge;
	unsigned int mtu;
	/*
	 * xl's rate, "bytes,usecs" in our "rate" node (0: unlimited), watched
	 * as Linux's netback does: the main thread writes it under rate_lock
	 * and bumps rate_gen, each queue thread takes a copy when rate_gen moved.
	 */
	pthread_mutex_t rate_lock;
	uint64_t rate_bytes, rate_usec;
	unsigned int rate_gen;
	int rate_watch;                    /* pv_xs_watch() id, 0 without */
	/* negotiated */
	struct netback_rx_caps caps;
	int csum_offload;                  /* frontend takes partial checksums */
	int ipv6_csum;                     /* ... for IPv6 too */
	int gso_ok;                        /* we accept GSO extras on tx */
	unsigned int nqueues;
	struct netback_queue *queues;      /* NULL while disconnected */
	int fatal_fd;                      /* eventfd: a queue thread gave up */
	int reconnect;                     /* we sent a stale frontend Closing at probe */
	struct netback_stats total;        /* of past connections */
	struct pv_stats *stats;            /* for pvkit top; NULL if not published */
};

/* netback.c: the queue datapath. */
/* Start queue @q's thread (its rings mapped, channel bound, TAP attached). */
int netback_queue_start(struct netback_queue *q);
/* Stop and join the thread; safe when it never started. */
void netback_queue_stop(struct netback_queue *q);
/* The vif's rate changed (main thread): a queue waiting for credit looks again. */
void netback_queue_rate_changed(struct netback_queue *q);
/* Allocate a queue's buffers (the rest of @q is zeroed by the caller). */
int netback_queue_alloc(struct netback_queue *q);
void netback_queue_free(struct netback_queue *q);

/* xenbus.c: the handshake. */
int netback_probe(struct pv_xenbus_dev *xdev, void *opaque);
void netback_remove(struct pv_xenbus_dev *xdev, void *opaque);
/* A queue thread gave up: report it in xenstore and disconnect the vif. */
void netback_vif_fatal(struct netback_vif *v);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Private to blkfront (frontends/blk/blkfront*.c): the device, its queues,
 * the shadow table of ring requests and the caller's requests split over it.
 */
#ifndef PVKIT_FRONTENDS_BLK_BLKFRONT_INT_H
#define PVKIT_FRONTENDS_BLK_BLKFRONT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "pvkit/blkfront.h"
#include "pvkit/busypoll.h"
#include "pvkit/evstorm.h"
#include "pvkit/gntpool.h"
#include "pvkit/log.h"
#include "pvkit/proto/blkif.h"
#include "pvkit/ring.h"

#define BF_MAX_RING_ORDER 4
#define BF_MAX_RING_PAGES (1u << BF_MAX_RING_ORDER)
/* Shadow slots: ring requests in flight (or waiting to be re-issued), all queues. */
#define BF_SHADOWS 1024u
/* Segments we use in one INDIRECT request (1 MiB of 4 KiB pages). */
#define BF_MAX_INDIRECT_SEGS 256u
#define BF_MAX_SEGS BF_MAX_INDIRECT_SEGS
#define BF_MAX_IND_PAGES PV_BLKIF_INDIRECT_PAGES(BF_MAX_INDIRECT_SEGS)
#define BF_PAGE 4096u
/* Bounce pages per queue: what Linux's blkback keeps mapped per ring (max_persistent_grants). */
#define BF_POOL_PAGES 1056u
/*
 * Pages of each pool that zero-copy buffers leave free: four 1 MiB buffers
 * and the indirect page each takes from the same pool when it is on the
 * ring (4 x 257) fit beside them in a pool of 1056. While any zero-copy
 * buffer is out, bounced requests go in parts of at most BF_POOL_RESERVE
 * pages (data and indirect), so they always get pages once the requests
 * in flight complete.
 */
#define BF_POOL_RESERVE 28u

/* The caller's request, split into one or more ring requests. */
struct bf_io {
	struct bf_io *next;        /* wait queue, then the done list */
	enum pv_blkfront_op op;
	uint64_t offset;           /* bytes */
	uint32_t len;
	uint32_t issued;           /* bytes handed to ring requests so far */
	unsigned int parts;        /* ring requests not completed */
	unsigned char *buf;
	int zc_pool;               /* buf is pages of this pool (zero copy), or -1 */
	int status;
	pv_blkfront_done_fn done;
	void *opaque;
};

/* One ring request in flight; its index in the table is the request id. */
struct bf_shadow {
	bool used;
	bool resend;               /* waiting for a ring slot (after a reconnect) */
	bool zc;                   /* pages[] belong to the caller's pool buffer (no bounce) */
	uint8_t ring_op;           /* PV_BLKIF_OP_* (READ/WRITE also when indirect) */
	struct bf_shadow *next_resend;
	struct bf_io *io;
	uint64_t io_off;           /* byte offset of this part inside io */
	uint64_t sector;           /* 512-byte units */
	uint64_t nr_sectors;       /* discard */
	uint32_t len;              /* data bytes */
	unsigned int queue;        /* the ring it is on */
	unsigned int pool_q;       /* the pool its pages came from (zc: its indirect pages) */
	unsigned int nseg;
	unsigned int nind;
	struct pv_gnt_page pages[BF_MAX_SEGS];
	struct pv_gnt_page ind[BF_MAX_IND_PAGES];
};

struct bf_queue {
	void *ring;                /* ring_pages granted pages */
	pv_grant_ref_t refs[BF_MAX_RING_PAGES];
	struct pv_ring_front front;
	int port;                  /* our event channel port, -1 when none */
	bool notify;               /* produced since the last push */
	uint32_t seen_rsp;         /* rsp_prod at the last notification (event storms) */
};

enum bf_conn {
	BF_CLOSED,        /* no rings */
	BF_INITIALISED,   /* rings written, waiting for the backend's Connected */
	BF_CONNECTED,
	BF_RECONNECT,     /* wrote Closed, waiting for the backend to follow */
	BF_BROKEN,        /* gave up: every request fails with -EIO */
	BF_SHUTDOWN,      /* the backend closed (Closing/Closed): we are Closed, requests
			   * fail with -EIO, until the backend is back in InitWait */
};

struct pv_blkfront {
	struct pv_platform *plat;
	struct pv_xs *xs;
	struct pv_blkfront_opts opts;
	struct pv_blkfront_info info;
	char fe[128], be[128];
	char prefix[48];
	pv_domid_t be_id;
	enum bf_conn conn;
	int watch_id;
	unsigned int reconnects;
	/* features the backend offered */
	unsigned int be_max_queues, be_ring_order, be_max_indirect;
	unsigned int nq, ring_pages;
	struct bf_queue q[PV_BLKFRONT_MAX_QUEUES];
	unsigned int next_q;
	struct pv_evtchn *ev;
	int epfd, efd, tfd;        /* epoll of {event channel, eventfd for local completions, timer} */
	int hfd;                   /* in epfd too: ends an event storm's back-off (timerfd) */
	bool hold_armed;           /* hfd is armed (or fired, unread): a back-off is on */
	bool efd_set;              /* we wrote efd since we last read it */
	int64_t tick_base_ms;      /* tfd was armed then (or just after): it fires every 1000 ms */
	uint64_t ticks;            /* tfd expirations read so far */
	int64_t last_progress_ms;  /* last completion, or when pending went from 0 to 1 */
	struct pv_gnt_pool *pool[PV_BLKFRONT_MAX_QUEUES]; /* one per queue (the backend caches per ring) */
	unsigned int zc_pages;     /* pool pages out in zero-copy buffers */
	struct bf_shadow *shadow;  /* BF_SHADOWS */
	unsigned int free_shadow[BF_SHADOWS];
	unsigned int nfree_shadow;
	struct bf_shadow *resend_head, *resend_tail;
	struct bf_io *wait_head, *wait_tail;   /* not fully issued yet */
	struct bf_io *done_head, *done_tail;   /* completed, callbacks owed */
	unsigned int pending;
	struct pv_busypoll bp;     /* pv_blkfront_poll() waits for responses polling, first */
	/* Event storms (XSA-332/391): notifications with no new response, counted and backed off. */
	struct pv_evstorm storm;
	struct pv_ratelimit rl;
};

/* blkfront.c: handshake */
int64_t bf_now_ms(void);
int bf_be_state(struct pv_blkfront *bf);
void bf_backend_changed(struct pv_xs *xs, const char *path, void *opaque);

/* blkfront-io.c: datapath */
int bf_shadow_init(struct pv_blkfront *bf);
void bf_pump(struct pv_blkfront *bf);
void bf_push_all(struct pv_blkfront *bf);
void bf_reap(struct pv_blkfront *bf, bool rearm);
void bf_requeue_inflight(struct pv_blkfront *bf);
void bf_fail_all(struct pv_blkfront *bf, int status);
void bf_run_done(struct pv_blkfront *bf);
void bf_io_finish(struct pv_blkfront *bf, struct bf_io *io);
void bf_check_timeout(struct pv_blkfront *bf);
void bf_take_events(struct pv_blkfront *bf);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * pvkit-blkback private types: the validated private copy of a request,
 * the per-disk limits it is checked against, queues, disks and the daemon.
 */
#ifndef PVKIT_BLKBACK_COMMON_H
#define PVKIT_BLKBACK_COMMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/time_types.h>

#include "pvkit/busypoll.h"
#include "pvkit/evstorm.h"
#include "pvkit/log.h"
#include "pvkit/platform.h"
#include "pvkit/proto/blkif.h"
#include "pvkit/ring.h"
#include "pvkit/stats.h"
#include "pvkit/xenbus.h"

/*
 * Segments we accept in one INDIRECT request and advertise as
 * feature-max-indirect-segments: 256 segments = 1 MiB, one indirect page.
 * Bounds the private copy of every request (2 KiB of segments each).
 */
#define BLK_MAX_INDIRECT_SEGS 256
/* Largest ring-page-order we accept (16 pages, 512 requests). */
#define BLK_MAX_RING_ORDER 4
#define BLK_MAX_RING_PAGES (1u << BLK_MAX_RING_ORDER)
/* Queues (rings) one disk may use; one thread each. */
#define BLK_MAX_QUEUES 4
/* Persistent grants kept mapped per queue (then requests map per use). */
#define BLK_MAX_PGRANTS 1056

/* The request layout the frontend uses (its "protocol" node). */
enum blk_abi {
	BLK_ABI_64, /* x86_64-abi, arm-abi, and native on 64-bit hosts */
	BLK_ABI_32, /* x86_32-abi: 4-byte-aligned 64-bit fields */
};

/* What the backend does for a validated request. */
enum blk_io {
	BLK_IO_READ,
	BLK_IO_WRITE,
	BLK_IO_FLUSH,   /* fdatasync; after writing the segments, if any */
	BLK_IO_DISCARD,
};

/*
 * What one disk allows: filled from the target and the negotiated
 * features, read by request validation. Sizes in bytes; unit_shift is
 * the shift of the sector unit requests count in (9, or log2 of
 * sector_size once the frontend set feature-large-sector-size).
 */
struct blk_limits {
	uint64_t size_bytes;
	uint32_t sector_size;  /* logical: 512 or 4096 */
	unsigned int unit_shift;
	uint32_t max_indirect; /* 0: INDIRECT not offered */
	bool readonly;
	bool flush;          /* feature-flush-cache */
	bool discard;        /* feature-discard */
	bool discard_secure; /* discard-secure */
};

/*
 * The private copy of one request (never a pointer into the ring). Filled
 * by blk_req_parse() from whichever layout the frontend uses; seg[] is
 * filled for INDIRECT requests by blk_req_load_indirect().
 */
struct blk_req {
	uint64_t id;
	uint8_t wire_op;      /* operation as received, echoed in the response (INDIRECT: indirect_op) */
	uint8_t indirect_op;  /* INDIRECT: the READ or WRITE it carries */
	uint8_t discard_flag; /* DISCARD: PV_BLKIF_DISCARD_SECURE or 0 */
	uint8_t io;           /* enum blk_io, set by blk_req_check() */
	uint16_t nr_segs;
	uint16_t nr_indirect_pages;
	uint64_t sector;      /* first sector, in the disk's request unit */
	uint64_t nr_sectors;  /* DISCARD: as sent; READ/WRITE: sum of segments */
	pv_grant_ref_t indirect_grefs[PV_BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	struct pv_blkif_request_segment seg[BLK_MAX_INDIRECT_SEGS];
};

/* ---- request.c: intake and validation (pure, no I/O) ------------------- */

/*
 * The layout named by a frontend's protocol node: NULL or "" is native.
 * Returns 0 and sets *@abi, or -EINVAL for a layout we do not serve.
 */
int blk_abi_parse(const char *protocol, enum blk_abi *abi);
/* The ring shape (slot, request and response sizes) of @abi. */
struct pv_ring_shape blk_abi_shape(enum blk_abi abi);

/*
 * Convert a request copied out of the ring (@raw, blk_abi_shape().req_size
 * bytes of private memory) into @r. Only copies and widens fields; every
 * value still needs blk_req_check().
 */
void blk_req_parse(enum blk_abi abi, const void *raw, struct blk_req *r);

/*
 * Validate the header of @r against @l and set r->io. Returns
 * PV_BLKIF_RSP_OKAY, PV_BLKIF_RSP_EOPNOTSUPP (unknown or unoffered
 * operation) or PV_BLKIF_RSP_ERROR (bad counts, range, read-only). For a
 * direct request the segments are checked too; for an INDIRECT one call
 * blk_req_load_indirect() and blk_req_check_segs() next.
 */
int blk_req_check(const struct blk_limits *l, struct blk_req *r);

/*
 * Copy r->nr_segs segments out of the mapped indirect pages @pages
 * (r->nr_indirect_pages of them, each PV_PAGE_SIZE bytes, shared memory
 * read exactly once).
 */
void blk_req_load_indirect(struct blk_req *r, void *const *pages);

/*
 * Check every segment of @r (first_sect <= last_sect inside the page,
 * alignment to the logical sector size) and the sector range against the
 * disk size, overflow-safe; set r->nr_sectors. Returns PV_BLKIF_RSP_OKAY
 * or PV_BLKIF_RSP_ERROR.
 */
int blk_req_check_segs(const struct blk_limits *l, struct blk_req *r);

/* Byte offset in the disk of sector @sector (in the disk's unit). */
static inline uint64_t blk_unit_bytes(const struct blk_limits *l, uint64_t units)
{
	return units << l->unit_shift;
}

/*
 * Build a response for @abi into @out (blk_abi_shape().rsp_size bytes,
 * every byte written: padding is zero).
 */
void blk_rsp_build(enum blk_abi abi, uint64_t id, uint8_t op, int16_t status, void *out);

/*
 * Whether a vbd offers discard-secure: only with discard offered
 * (@discard), on a block device (@is_blockdev) whose BLKSECDISCARD probe
 * (blk_target_open()) succeeded, @probe_err 0 (else its errno: EOPNOTSUPP
 * when the device cannot erase securely, EBADF on a read-only descriptor).
 */
bool blk_discard_secure_offer(bool discard, bool is_blockdev, int probe_err);

/* Largest response of any layout. */
#define BLK_RSP_MAX 16

/* ---- target.c: the storage behind a vbd -------------------------------- */

struct blk_target {
	int fd;
	bool is_blockdev;
	bool direct;                   /* opened O_DIRECT */
	bool memory;                   /* a file in memory (tmpfs): reads and writes done inline */
	bool flush;                    /* fdatasync is meaningful */
	bool discard;                  /* punch holes / BLKDISCARD */
	bool discard_secure;           /* BLKSECDISCARD works (probed on block devices) */
	int secure_probe_err;          /* the probe's errno, 0 when it worked */
	uint64_t size_bytes;           /* rounded down to sector_size */
	uint32_t sector_size;          /* logical, 512 or 4096 */
	uint32_t physical_sector_size;
	uint32_t discard_granularity;  /* bytes */
};

/*
 * Open @path (a regular file or a block device), read-only if @readonly,
 * with O_DIRECT if @direct and the file system allows it; a file's logical
 * sector size is @sector_size (0: 512). Returns 0 or -errno (-EINVAL for
 * another kind of file or a sector size other than 512/4096).
 */
int blk_target_open(struct blk_target *t, const char *path, bool readonly, bool direct,
		    uint32_t sector_size);
void blk_target_close(struct blk_target *t);
/* Discard @len bytes at @off now (files: punch a hole; devices: BLKDISCARD/BLKSECDISCARD). */
int blk_target_discard_sync(struct blk_target *t, uint64_t off, uint64_t len, bool secure);

/* ---- blkback.c: one queue (ring + event channel + io_uring + thread) ---- */

struct blk_inflight;
struct blk_vbd;
struct blkback;

struct pv_gnt_cache;

/* What a queue thread reports back to the xenbus side (atomic bits). */
#define BLK_LOST_FLUSH   1u /* fdatasync unsupported: feature-flush-cache=0 */
#define BLK_LOST_DISCARD 2u /* discard unsupported: feature-discard=0 */

struct blk_queue {
	struct blk_vbd *vbd;
	unsigned int idx;
	char prefix[64]; /* "vbd-<fe>-<devid>/q<idx>" for logs */

	/* Filled by xenbus.c before blk_queue_start(). */
	pv_grant_ref_t ring_refs[BLK_MAX_RING_PAGES];
	unsigned int ring_pages;
	pv_evtchn_port_t remote_port;
	struct blk_limits limits; /* the thread's copy; it may drop flush/discard */

	/* Owned by the queue thread while it runs. */
	void *ring_mem;
	struct pv_ring_back ring;
	struct pv_evtchn *evtchn;
	int port;
	void *uring; /* struct io_uring */
	struct blk_inflight *ios;
	unsigned int nr_ios;
	struct blk_inflight *free_ios;
	unsigned int inflight;
	struct pv_gnt_cache *pgrants; /* NULL unless feature-persistent was negotiated */
	struct pv_ratelimit rl;
	uint64_t nr_requests, nr_errors;
	/* Event storms (XSA-332/391): spurious notifications in a row hold the port masked. */
	uint32_t seen_prod;         /* req_prod at the last notification */
	struct pv_evstorm storm;    /* the count, back-off and held port */
	struct __kernel_timespec backoff; /* the back-off's io_uring timeout */
	struct pv_busypoll bp;      /* poll the ring (and io_uring) before sleeping */

	pthread_t thread;
	bool started;
	int stop_efd;
	atomic_uint failed; /* 1 once the frontend broke the protocol */
	atomic_uint lost;   /* BLK_LOST_* */
};

/*
 * Map the ring and bind the event channel named in @q (as filled by the
 * xenbus side), set up io_uring and start the queue's thread. Returns 0 or
 * -errno with nothing left to undo.
 */
int blk_queue_start(struct blk_queue *q);
/*
 * Stop the thread after the I/O in flight completes, then unmap every
 * grant (persistent ones included), the ring, unbind the channel. Safe on
 * a queue that never started.
 */
void blk_queue_stop(struct blk_queue *q);

/* ---- xenbus.c: the vbd handshake --------------------------------------- */

struct blk_vbd {
	struct blkback *d;
	struct blk_vbd *next;
	struct pv_xenbus_dev *dev; /* the bus's device: our state, the watch */
	char prefix[48];    /* "vbd-<fe>-<devid>" */
	char be_path[128];  /* .../backend/vbd/<fe>/<devid> */
	char fe_path[128];  /* the frontend's device directory */
	pv_domid_t fe_domid;
	uint32_t devid;
	struct blk_target target;
	struct blk_limits limits; /* offered; narrowed by the frontend's choices */
	enum blk_abi abi;
	bool persistent;
	bool readonly;
	bool connected;
	bool stale;      /* the frontend is Connected to rings of our previous instance */
	unsigned int nr_queues;
	struct blk_queue *queues[BLK_MAX_QUEUES];
	struct pv_stats *stats; /* for pvkit top; NULL if it could not be published */
};

struct blkback {
	struct pv_platform *plat;
	struct pv_xs *xs;
	struct pv_xenbus_bus *bus; /* backend/vbd: probe and remove vbds */
	pv_domid_t domid;
	const char *rundir; /* where the per-device stats files go */
	bool direct;        /* open targets O_DIRECT when possible */
	unsigned int max_queues;
	int64_t busypoll_ns; /* each queue's poll cap (pv_busypoll_init(): 0 off, < 0 default) */
	int kick_efd;       /* queue threads -> main loop */
	char base[64];      /* /local/domain/<domid>/backend/vbd */
	struct blk_vbd *vbds;
};

/* Connect to xenstore, watch the backend directory, serve what is there. */
int blk_xb_init(struct blkback *d);
/* The fd to poll for xenstore watch events. */
int blk_xb_fd(struct blkback *d);
/* Handle pending watch events (a bounded batch). 0, or -errno when xenstore went away. */
int blk_xb_handle(struct blkback *d);
/* A queue thread reported a failure or a lost feature. */
void blk_xb_kicked(struct blkback *d);
/* Disconnect every vbd and close xenstore (daemon exit). */
void blk_xb_exit(struct blkback *d);

/* Wake the main loop from a queue thread. */
void blk_kick(struct blkback *d);

#endif

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

#include "pvkit/log.h"
#include "pvkit/platform.h"
#include "pvkit/proto/blkif.h"
#include "pvkit/ring.h"

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
	uint8_t wire_op;      /* operation as received, echoed in the response */
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

/* Largest response of any layout. */
#define BLK_RSP_MAX 16

#endif

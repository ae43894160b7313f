/* SPDX-License-Identifier: MIT */
/*
 * Wire ABI: the para-virtual block protocol (the layout of Xen's io/blkif.h),
 * its xenstore keys, and the request layouts of 32- and 64-bit x86 guests.
 *
 * A frontend (the guest's disk driver) puts requests on a shared ring
 * (proto/ring.h); the backend performs them against its storage and puts a
 * response in the slot of each. Data moves through granted pages: every
 * segment of a request names one grant and a range of 512-byte sectors
 * inside that page.
 *
 * Xenstore keys
 * =============
 * All values are decimal strings unless said otherwise. A missing key means
 * its default. "F" = written by the frontend under its device directory
 * (/local/domain/<fe>/device/vbd/<id>/), "B" = written by the backend
 * (/local/domain/<be>/backend/vbd/<fe>/<id>/).
 *
 * Backend keys, toolstack-written (read by the backend)
 *   key                   values               default  notes
 *   params                backend-specific     -        path or target of the storage
 *   type                  "file","phy",...     -        how to interpret params
 *   mode                  "r" | "w"            -        read-only when "r"
 *   physical-device       "<major>:<minor>"    -        hex, written by hotplug scripts
 *   physical-device-path  path                 -        what the hotplug script opened
 *   direct-io-safe        0 | 1                0        storage tolerates O_DIRECT reuse
 *
 * Backend keys, written by the backend before InitWait or Connected
 *   key                           values     default  notes
 *   feature-barrier               0 | 1      0        PV_BLKIF_OP_WRITE_BARRIER works
 *   feature-flush-cache           0 | 1      0        PV_BLKIF_OP_FLUSH_DISKCACHE works
 *   feature-discard               0 | 1      0        PV_BLKIF_OP_DISCARD works
 *   discard-granularity           uint32     sector-size  bytes of one discard unit
 *   discard-alignment             uint32     0        byte offset of the first unit
 *   discard-secure                0 | 1      0        PV_BLKIF_DISCARD_SECURE honoured
 *   discard-enable                0 | 1      1        toolstack may forbid discard
 *   feature-persistent            0 | 1      0        backend keeps grants mapped
 *   feature-max-indirect-segments uint32     absent   segments per INDIRECT request;
 *                                                     absent = no INDIRECT support
 *   max-ring-page-order           uint32     0        ring of up to 2^order pages
 *   max-ring-pages                uint32     1        DEPRECATED spelling of the same
 *   multi-queue-max-queues        uint32     1        rings the backend can serve
 *   info                          uint32     -        PV_VDISK_* bits (Connected)
 *   sector-size                   uint32     -        logical block size (Connected)
 *   physical-sector-size          uint32     sector-size  (Connected)
 *   sectors                       uint64     -        size in sector-size units (Connected)
 *   hotplug-status                "connected" -       written by the hotplug script
 *
 * Frontend keys, written before the frontend moves to Initialised
 *   key                      values          default  notes
 *   ring-ref                 grant ref       -        the ring page when it is 1 page
 *   ring-ref<N>              grant ref       -        page N of a 2^order-page ring
 *   ring-page-order          uint32          0        at most max-ring-page-order
 *   num-ring-pages           uint32          1        DEPRECATED spelling of the same
 *   event-channel            port            -        the ring's event channel
 *   multi-queue-num-queues   uint32          1        when > 1, ring-ref* and
 *                                                     event-channel move under
 *                                                     queue-<N>/ (N from 0)
 *   protocol                 PV_IO_PROTO_*   native   layout of the ring messages
 *   feature-persistent       0 | 1           0        frontend reuses its grants
 *   feature-large-sector-size 0 | 1          0        sector numbers are in sector-size
 *                                                     units instead of 512 bytes
 *   virtual-device           uint32          -        the guest's disk number
 *                                                     (toolstack-written)
 *   device-type              "disk","cdrom"  "disk"   (toolstack-written)
 *   trusted                  0 | 1           1        0: guard against this backend
 *
 * Connection: the handshake is the one in proto/xenbus.h. The backend
 * publishes its feature keys and goes to InitWait; the frontend reads them,
 * grants the ring, writes ring-ref*, event-channel and protocol and goes to
 * Initialised; the backend maps the ring, writes sectors/info/sector-size
 * and goes to Connected; the frontend then goes to Connected.
 *
 * Request layouts (native x86_64 / arm; see the x86_32 variants below)
 *
 *   read/write/barrier/flush (struct pv_blkif_request, 112 bytes)
 *   offset size field
 *   0      1    operation      PV_BLKIF_OP_*
 *   1      1    nr_segments    1..11 for read/write, 0 for flush/barrier
 *   2      2    handle         the backend's device handle (virtual-device)
 *   8      8    id             frontend cookie, echoed in the response
 *   16     8    sector_number  first sector (512 bytes, see above)
 *   24     8*11 seg[]          gref(4) first_sect(1) last_sect(1) pad(2)
 *
 *   discard (struct pv_blkif_request_discard, 32 bytes)
 *   0 operation  1 flag  2 handle  8 id  16 sector_number  24 nr_sectors
 *
 *   indirect (struct pv_blkif_request_indirect, 64 bytes)
 *   0 operation(=6)  1 indirect_op  2 nr_segments(u16)  8 id
 *   16 sector_number  24 handle  28 indirect_grefs[8]
 *   Each indirect page holds 512 segments (struct pv_blkif_indirect_page).
 *
 *   response (struct pv_blkif_response, 16 bytes)
 *   0 id  8 operation  10 status (PV_BLKIF_RSP_*)
 *
 * A segment covers sectors first_sect..last_sect (inclusive, each < 8) of
 * its page, so a segment moves at most 4096 bytes.
 */
#ifndef PVKIT_PROTO_BLKIF_H
#define PVKIT_PROTO_BLKIF_H

#include <stddef.h>
#include <stdint.h>

#include "grant_table.h"
#include "ring.h"

/* Operations (request.operation). */
#define PV_BLKIF_OP_READ            0
#define PV_BLKIF_OP_WRITE           1
#define PV_BLKIF_OP_WRITE_BARRIER   2 /* needs feature-barrier */
#define PV_BLKIF_OP_FLUSH_DISKCACHE 3 /* needs feature-flush-cache */
#define PV_BLKIF_OP_RESERVED_1      4 /* was used by a vendor; never reuse */
#define PV_BLKIF_OP_DISCARD         5 /* needs feature-discard */
#define PV_BLKIF_OP_INDIRECT        6 /* needs feature-max-indirect-segments */

/* Response status (response.status). */
#define PV_BLKIF_RSP_EOPNOTSUPP (-2) /* operation not supported */
#define PV_BLKIF_RSP_ERROR      (-1) /* I/O error */
#define PV_BLKIF_RSP_OKAY       0

/* Segments in a direct request; chosen so 32 requests fit in one page. */
#define PV_BLKIF_MAX_SEGMENTS_PER_REQUEST 11
/* Grants of indirect pages in one INDIRECT request. */
#define PV_BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST 8

/* The unit of sector_number, first_sect and last_sect (without large sectors). */
#define PV_BLKIF_SECTOR_SHIFT 9
#define PV_BLKIF_SECTOR_SIZE  (1u << PV_BLKIF_SECTOR_SHIFT)
/* Sectors in one granted page: first_sect and last_sect are below this. */
#define PV_BLKIF_SECTORS_PER_PAGE (4096u >> PV_BLKIF_SECTOR_SHIFT)

/* pv_blkif_request_discard.flag */
#define PV_BLKIF_DISCARD_SECURE (1u << 0) /* only when discard-secure=1 */

/* Backend "info" key bits. */
#define PV_VDISK_CDROM     0x1u
#define PV_VDISK_REMOVABLE 0x2u
#define PV_VDISK_READONLY  0x4u

/* Values of the frontend "protocol" key (Xen's io/protocols.h). */
#define PV_IO_PROTO_ABI_X86_32 "x86_32-abi"
#define PV_IO_PROTO_ABI_X86_64 "x86_64-abi"
#define PV_IO_PROTO_ABI_ARM    "arm-abi"
#if defined(__i386__)
#define PV_IO_PROTO_ABI_NATIVE PV_IO_PROTO_ABI_X86_32
#elif defined(__x86_64__)
#define PV_IO_PROTO_ABI_NATIVE PV_IO_PROTO_ABI_X86_64
#elif defined(__arm__) || defined(__aarch64__)
#define PV_IO_PROTO_ABI_NATIVE PV_IO_PROTO_ABI_ARM
#endif

typedef uint16_t pv_blkif_vdev_t;
typedef uint64_t pv_blkif_sector_t;

/* One granted page and the inclusive sector range used in it (8 bytes). */
struct pv_blkif_request_segment {
	pv_grant_ref_t gref;
	uint8_t first_sect;
	uint8_t last_sect;
	uint8_t _pad[2];
};

/* READ, WRITE, WRITE_BARRIER, FLUSH_DISKCACHE: the basic request. */
struct pv_blkif_request {
	uint8_t operation;
	uint8_t nr_segments;
	pv_blkif_vdev_t handle;
	uint64_t id;
	pv_blkif_sector_t sector_number;
	struct pv_blkif_request_segment seg[PV_BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

/* DISCARD: nr_sectors sectors from sector_number. */
struct pv_blkif_request_discard {
	uint8_t operation;
	uint8_t flag; /* PV_BLKIF_DISCARD_SECURE or 0 */
	pv_blkif_vdev_t handle;
	uint64_t id;
	pv_blkif_sector_t sector_number;
	uint64_t nr_sectors;
};

/*
 * INDIRECT: a READ or WRITE (indirect_op) whose nr_segments segments are
 * in granted pages of struct pv_blkif_indirect_page, one grant per page.
 */
struct pv_blkif_request_indirect {
	uint8_t operation;
	uint8_t indirect_op;
	uint16_t nr_segments;
	uint64_t id;
	pv_blkif_sector_t sector_number;
	pv_blkif_vdev_t handle;
	pv_grant_ref_t indirect_grefs[PV_BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
#if defined(__i386__)
	uint64_t _pad; /* 64 bytes on i386 too */
#endif
};

/* Any other operation (a flush seen by a backend that reads only id). */
struct pv_blkif_request_other {
	uint8_t operation;
	uint8_t _pad1;
	pv_blkif_vdev_t _pad2;
	uint64_t id;
};

struct pv_blkif_response {
	uint64_t id;       /* the request's id */
	uint8_t operation; /* the request's operation */
	int16_t status;    /* PV_BLKIF_RSP_* */
};

/* A request slot read by its operation byte first. */
union pv_blkif_request_any {
	uint8_t operation;
	struct pv_blkif_request rw;
	struct pv_blkif_request_discard discard;
	struct pv_blkif_request_indirect indirect;
	struct pv_blkif_request_other other;
};

/* One ring slot: a request until the backend overwrites it with a response. */
union pv_blkif_sring_entry {
	struct pv_blkif_request req;
	struct pv_blkif_response rsp;
};

/* Requests in a ring of @pages pages (32 for one page). */
#define PV_BLKIF_RING_SIZE(pages) PV_RING_SIZE((pages), sizeof(union pv_blkif_sring_entry))

/* The contents of one indirect page. */
#define PV_BLKIF_SEGS_PER_INDIRECT_FRAME (4096u / sizeof(struct pv_blkif_request_segment))
struct pv_blkif_indirect_page {
	struct pv_blkif_request_segment seg[4096 / 8];
};
/* Largest nr_segments an INDIRECT request can carry. */
#define PV_BLKIF_MAX_INDIRECT_SEGMENTS                                                             \
	(PV_BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST * PV_BLKIF_SEGS_PER_INDIRECT_FRAME)
/* Indirect pages needed for @segs segments. */
#define PV_BLKIF_INDIRECT_PAGES(segs)                                                              \
	(((segs) + PV_BLKIF_SEGS_PER_INDIRECT_FRAME - 1) / PV_BLKIF_SEGS_PER_INDIRECT_FRAME)

_Static_assert(sizeof(struct pv_blkif_request_segment) == 8, "blkif segment is 8 bytes");
_Static_assert(sizeof(struct pv_blkif_indirect_page) == 4096, "indirect page is one page");
_Static_assert(sizeof(struct pv_blkif_request_discard) <= sizeof(struct pv_blkif_request),
               "discard fits a slot");
_Static_assert(sizeof(struct pv_blkif_request_indirect) == 64, "indirect request is 64 bytes");
_Static_assert(offsetof(struct pv_blkif_response, status) == 10, "blkif status at 10");

/*
 * x86_32 and x86_64 guest layouts
 * ===============================
 * The native structures above use the host's alignment of uint64_t, which
 * is 4 on i386 and 8 elsewhere. A backend serving a guest of the other
 * width picks by the frontend's "protocol" key and uses these fixed
 * layouts, which are the same whatever host compiles them.
 *
 *   x86_32: request 108 bytes (id at 4, sector_number at 12, seg at 20),
 *           discard 28, indirect 64, other 12, response 12.
 *   x86_64: request 112 bytes (id at 8, sector_number at 16, seg at 24),
 *           discard 32, indirect 64, other 16, response 16.
 *
 * A typedef may lower alignment below the natural one (GCC and clang), so
 * pv_blkif_u64_a4 is an 8-byte integer placed on 4-byte boundaries.
 */
typedef uint64_t pv_blkif_u64_a4 __attribute__((aligned(4)));
typedef uint64_t pv_blkif_u64_a8 __attribute__((aligned(8)));

struct pv_blkif_x86_32_request {
	uint8_t operation;
	uint8_t nr_segments;
	pv_blkif_vdev_t handle;
	pv_blkif_u64_a4 id;
	pv_blkif_u64_a4 sector_number;
	struct pv_blkif_request_segment seg[PV_BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

struct pv_blkif_x86_32_request_discard {
	uint8_t operation;
	uint8_t flag;
	pv_blkif_vdev_t handle;
	pv_blkif_u64_a4 id;
	pv_blkif_u64_a4 sector_number;
	pv_blkif_u64_a4 nr_sectors;
};

struct pv_blkif_x86_32_request_indirect {
	uint8_t operation;
	uint8_t indirect_op;
	uint16_t nr_segments;
	pv_blkif_u64_a4 id;
	pv_blkif_u64_a4 sector_number;
	pv_blkif_vdev_t handle;
	uint16_t _pad1;
	pv_grant_ref_t indirect_grefs[PV_BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	pv_blkif_u64_a4 _pad2;
};

struct pv_blkif_x86_32_request_other {
	uint8_t operation;
	uint8_t _pad1;
	pv_blkif_vdev_t _pad2;
	pv_blkif_u64_a4 id;
};

struct pv_blkif_x86_32_response {
	pv_blkif_u64_a4 id;
	uint8_t operation;
	int16_t status;
};

union pv_blkif_x86_32_sring_entry {
	struct pv_blkif_x86_32_request req;
	struct pv_blkif_x86_32_response rsp;
};

struct pv_blkif_x86_64_request {
	uint8_t operation;
	uint8_t nr_segments;
	pv_blkif_vdev_t handle;
	uint32_t _pad1;
	pv_blkif_u64_a8 id;
	pv_blkif_u64_a8 sector_number;
	struct pv_blkif_request_segment seg[PV_BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

struct pv_blkif_x86_64_request_discard {
	uint8_t operation;
	uint8_t flag;
	pv_blkif_vdev_t handle;
	uint32_t _pad1;
	pv_blkif_u64_a8 id;
	pv_blkif_u64_a8 sector_number;
	pv_blkif_u64_a8 nr_sectors;
};

struct pv_blkif_x86_64_request_indirect {
	uint8_t operation;
	uint8_t indirect_op;
	uint16_t nr_segments;
	uint32_t _pad1;
	pv_blkif_u64_a8 id;
	pv_blkif_u64_a8 sector_number;
	pv_blkif_vdev_t handle;
	uint16_t _pad2;
	pv_grant_ref_t indirect_grefs[PV_BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	uint32_t _pad3;
};

struct pv_blkif_x86_64_request_other {
	uint8_t operation;
	uint8_t _pad1;
	pv_blkif_vdev_t _pad2;
	uint32_t _pad3;
	pv_blkif_u64_a8 id;
};

struct pv_blkif_x86_64_response {
	pv_blkif_u64_a8 id;
	uint8_t operation;
	uint8_t _pad1;
	int16_t status;
	uint32_t _pad2;
};

union pv_blkif_x86_64_sring_entry {
	struct pv_blkif_x86_64_request req;
	struct pv_blkif_x86_64_response rsp;
};

#define PV_BLKIF_X86_32_RING_SIZE(pages)                                                           \
	PV_RING_SIZE((pages), sizeof(union pv_blkif_x86_32_sring_entry))
#define PV_BLKIF_X86_64_RING_SIZE(pages)                                                           \
	PV_RING_SIZE((pages), sizeof(union pv_blkif_x86_64_sring_entry))

/* The layouts above, checked wherever this header is compiled. */
_Static_assert(sizeof(struct pv_blkif_x86_32_request) == 108, "x86_32 request");
_Static_assert(offsetof(struct pv_blkif_x86_32_request, id) == 4, "x86_32 id");
_Static_assert(offsetof(struct pv_blkif_x86_32_request, sector_number) == 12, "x86_32 sector");
_Static_assert(offsetof(struct pv_blkif_x86_32_request, seg) == 20, "x86_32 seg");
_Static_assert(sizeof(struct pv_blkif_x86_32_request_discard) == 28, "x86_32 discard");
_Static_assert(sizeof(struct pv_blkif_x86_32_request_indirect) == 64, "x86_32 indirect");
_Static_assert(offsetof(struct pv_blkif_x86_32_request_indirect, indirect_grefs) == 24,
               "x86_32 indirect grefs");
_Static_assert(sizeof(struct pv_blkif_x86_32_request_other) == 12, "x86_32 other");
_Static_assert(sizeof(struct pv_blkif_x86_32_response) == 12, "x86_32 response");
_Static_assert(_Alignof(struct pv_blkif_x86_32_request) == 4, "x86_32 alignment");
_Static_assert(sizeof(struct pv_blkif_x86_64_request) == 112, "x86_64 request");
_Static_assert(offsetof(struct pv_blkif_x86_64_request, seg) == 24, "x86_64 seg");
_Static_assert(sizeof(struct pv_blkif_x86_64_request_discard) == 32, "x86_64 discard");
_Static_assert(sizeof(struct pv_blkif_x86_64_request_indirect) == 64, "x86_64 indirect");
_Static_assert(offsetof(struct pv_blkif_x86_64_request_indirect, indirect_grefs) == 28,
               "x86_64 indirect grefs");
_Static_assert(sizeof(struct pv_blkif_x86_64_request_other) == 16, "x86_64 other");
_Static_assert(sizeof(struct pv_blkif_x86_64_response) == 16, "x86_64 response");
_Static_assert(_Alignof(struct pv_blkif_x86_64_request) == 8, "x86_64 alignment");

#endif

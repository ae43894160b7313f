/* SPDX-License-Identifier: MIT */
/*
 * pvkit-blkback request intake: convert a request copied out of the ring
 * from the frontend's layout and validate every field before any I/O.
 */
#include <errno.h>
#include <string.h>

#include "pvkit/arch.h"
#include "common.h"

int blk_abi_parse(const char *protocol, enum blk_abi *abi)
{
	if (!protocol || !*protocol) {
#if defined(__i386__)
		*abi = BLK_ABI_32;
#else
		*abi = BLK_ABI_64;
#endif
		return 0;
	}
	if (!strcmp(protocol, PV_IO_PROTO_ABI_X86_32)) {
		*abi = BLK_ABI_32;
		return 0;
	}
	/* arm-abi has the x86_64 layout: 64-bit fields on 8-byte boundaries. */
	if (!strcmp(protocol, PV_IO_PROTO_ABI_X86_64) || !strcmp(protocol, PV_IO_PROTO_ABI_ARM)) {
		*abi = BLK_ABI_64;
		return 0;
	}
	return -EINVAL;
}

struct pv_ring_shape blk_abi_shape(enum blk_abi abi)
{
	if (abi == BLK_ABI_32)
		return PV_RING_SHAPE(struct pv_blkif_x86_32_request, struct pv_blkif_x86_32_response);
	return PV_RING_SHAPE(struct pv_blkif_x86_64_request, struct pv_blkif_x86_64_response);
}

static void copy_segs(struct blk_req *r, const struct pv_blkif_request_segment *seg)
{
	/* All 11 are copied; only the first nr_segs are used once checked. */
	memcpy(r->seg, seg, sizeof(r->seg[0]) * PV_BLKIF_MAX_SEGMENTS_PER_REQUEST);
}

static void parse_64(const void *raw, struct blk_req *r)
{
	struct pv_blkif_x86_64_request rw;
	struct pv_blkif_x86_64_request_discard d;
	struct pv_blkif_x86_64_request_indirect ind;

	switch (r->wire_op) {
	case PV_BLKIF_OP_DISCARD:
		memcpy(&d, raw, sizeof(d));
		r->id = d.id;
		r->discard_flag = d.flag;
		r->sector = d.sector_number;
		r->nr_sectors = d.nr_sectors;
		break;
	case PV_BLKIF_OP_INDIRECT:
		memcpy(&ind, raw, sizeof(ind));
		r->id = ind.id;
		r->indirect_op = ind.indirect_op;
		r->nr_segs = ind.nr_segments;
		r->sector = ind.sector_number;
		memcpy(r->indirect_grefs, ind.indirect_grefs, sizeof(r->indirect_grefs));
		break;
	default: /* read/write/barrier/flush; for others only id is used */
		memcpy(&rw, raw, sizeof(rw));
		r->id = rw.id;
		r->nr_segs = rw.nr_segments;
		r->sector = rw.sector_number;
		copy_segs(r, rw.seg);
		break;
	}
}

static void parse_32(const void *raw, struct blk_req *r)
{
	struct pv_blkif_x86_32_request rw;
	struct pv_blkif_x86_32_request_discard d;
	struct pv_blkif_x86_32_request_indirect ind;

	switch (r->wire_op) {
	case PV_BLKIF_OP_DISCARD:
		memcpy(&d, raw, sizeof(d));
		r->id = d.id;
		r->discard_flag = d.flag;
		r->sector = d.sector_number;
		r->nr_sectors = d.nr_sectors;
		break;
	case PV_BLKIF_OP_INDIRECT:
		memcpy(&ind, raw, sizeof(ind));
		r->id = ind.id;
		r->indirect_op = ind.indirect_op;
		r->nr_segs = ind.nr_segments;
		r->sector = ind.sector_number;
		memcpy(r->indirect_grefs, ind.indirect_grefs, sizeof(r->indirect_grefs));
		break;
	default:
		memcpy(&rw, raw, sizeof(rw));
		r->id = rw.id;
		r->nr_segs = rw.nr_segments;
		r->sector = rw.sector_number;
		copy_segs(r, rw.seg);
		break;
	}
}

void blk_req_parse(enum blk_abi abi, const void *raw, struct blk_req *r)
{
	r->wire_op = *(const uint8_t *)raw;
	r->indirect_op = 0;
	r->discard_flag = 0;
	r->io = BLK_IO_READ;
	r->nr_segs = 0;
	r->nr_indirect_pages = 0;
	r->sector = 0;
	r->nr_sectors = 0;
	if (abi == BLK_ABI_32)
		parse_32(raw, r);
	else
		parse_64(raw, r);
}

/* Is [sector, sector + count) inside the disk? Overflow-safe. */
static bool range_ok(const struct blk_limits *l, uint64_t sector, uint64_t count)
{
	uint64_t units = l->size_bytes >> l->unit_shift;

	return sector <= units && count <= units - sector;
}

int blk_req_check_segs(const struct blk_limits *l, struct blk_req *r)
{
	unsigned int per_page = PV_PAGE_SIZE >> l->unit_shift;
	unsigned int ratio = l->sector_size >> l->unit_shift; /* units per logical sector */
	uint64_t total = 0;

	if (ratio == 0 || per_page == 0 || r->sector % ratio)
		return PV_BLKIF_RSP_ERROR;
	for (unsigned int i = 0; i < r->nr_segs; i++) {
		unsigned int first = r->seg[i].first_sect, last = r->seg[i].last_sect;

		if (first > last || last >= per_page)
			return PV_BLKIF_RSP_ERROR;
		if (first % ratio || (last + 1) % ratio)
			return PV_BLKIF_RSP_ERROR;
		total += last - first + 1;
	}
	if (!range_ok(l, r->sector, total))
		return PV_BLKIF_RSP_ERROR;
	r->nr_sectors = total;
	return PV_BLKIF_RSP_OKAY;
}

static int check_discard(const struct blk_limits *l, struct blk_req *r)
{
	if (!l->discard)
		return PV_BLKIF_RSP_EOPNOTSUPP;
	/*
	 * BLKIF_DISCARD_SECURE is "ignored if discard-secure=0" (blkif.h): a
	 * plain discard, as Linux's xen-blkback does. Refusing it would make
	 * Linux's blkfront turn discard off for good (EOPNOTSUPP).
	 */
	if (!l->discard_secure)
		r->discard_flag &= (uint8_t)~PV_BLKIF_DISCARD_SECURE;
	if (l->readonly || !range_ok(l, r->sector, r->nr_sectors))
		return PV_BLKIF_RSP_ERROR;
	r->io = BLK_IO_DISCARD;
	return PV_BLKIF_RSP_OKAY;
}

static int check_indirect(const struct blk_limits *l, struct blk_req *r)
{
	uint32_t max = l->max_indirect < BLK_MAX_INDIRECT_SEGS ? l->max_indirect
							       : BLK_MAX_INDIRECT_SEGS;

	if (!max)
		return PV_BLKIF_RSP_EOPNOTSUPP;
	if (r->indirect_op != PV_BLKIF_OP_READ && r->indirect_op != PV_BLKIF_OP_WRITE)
		return PV_BLKIF_RSP_ERROR;
	if (r->nr_segs == 0 || r->nr_segs > max)
		return PV_BLKIF_RSP_ERROR;
	r->io = r->indirect_op == PV_BLKIF_OP_READ ? BLK_IO_READ : BLK_IO_WRITE;
	if (r->io == BLK_IO_WRITE && l->readonly)
		return PV_BLKIF_RSP_ERROR;
	r->nr_indirect_pages = (uint16_t)PV_BLKIF_INDIRECT_PAGES(r->nr_segs);
	return PV_BLKIF_RSP_OKAY;
}

/* READ, WRITE and FLUSH_DISKCACHE (which may carry data to write first). */
static int check_direct(const struct blk_limits *l, struct blk_req *r)
{
	unsigned int min = 1;

	if (r->wire_op == PV_BLKIF_OP_FLUSH_DISKCACHE) {
		if (!l->flush)
			return PV_BLKIF_RSP_EOPNOTSUPP;
		r->io = BLK_IO_FLUSH;
		min = 0;
	} else {
		r->io = r->wire_op == PV_BLKIF_OP_READ ? BLK_IO_READ : BLK_IO_WRITE;
	}
	if (r->nr_segs < min || r->nr_segs > PV_BLKIF_MAX_SEGMENTS_PER_REQUEST)
		return PV_BLKIF_RSP_ERROR;
	if (r->io != BLK_IO_READ && r->nr_segs && l->readonly)
		return PV_BLKIF_RSP_ERROR;
	/*
	 * An empty flush addresses nothing: its sector number means nothing
	 * (Linux's blkfront sends its block layer's "no position", all ones,
	 * and turns the disk's flush and FUA off if we fail it).
	 */
	if (r->nr_segs == 0) {
		r->nr_sectors = 0;
		return PV_BLKIF_RSP_OKAY;
	}
	return blk_req_check_segs(l, r);
}

int blk_req_check(const struct blk_limits *l, struct blk_req *r)
{
	switch (r->wire_op) {
	case PV_BLKIF_OP_READ:
	case PV_BLKIF_OP_WRITE:
	case PV_BLKIF_OP_FLUSH_DISKCACHE:
		return check_direct(l, r);
	case PV_BLKIF_OP_DISCARD:
		return check_discard(l, r);
	case PV_BLKIF_OP_INDIRECT:
		return check_indirect(l, r);
	case PV_BLKIF_OP_WRITE_BARRIER: /* feature-barrier is 0 */
	default:
		return PV_BLKIF_RSP_EOPNOTSUPP;
	}
}

void blk_req_load_indirect(struct blk_req *r, void *const *pages)
{
	unsigned int left = r->nr_segs;

	if (left > BLK_MAX_INDIRECT_SEGS) /* blk_req_check() refused it already */
		return;
	for (unsigned int p = 0; p < r->nr_indirect_pages && left; p++) {
		unsigned int n = left < PV_BLKIF_SEGS_PER_INDIRECT_FRAME
					 ? left
					 : PV_BLKIF_SEGS_PER_INDIRECT_FRAME;

		memcpy(&r->seg[p * PV_BLKIF_SEGS_PER_INDIRECT_FRAME], pages[p],
		       n * sizeof(r->seg[0]));
		left -= n;
	}
}

bool blk_discard_secure_offer(bool discard, bool is_blockdev, int probe_err)
{
	return discard && is_blockdev && probe_err == 0;
}

void blk_rsp_build(enum blk_abi abi, uint64_t id, uint8_t op, int16_t status, void *out)
{
	unsigned char *b = out;
	size_t size = abi == BLK_ABI_32 ? sizeof(struct pv_blkif_x86_32_response)
					: sizeof(struct pv_blkif_x86_64_response);

	/* Same offsets in both layouts (id 0, operation 8, status 10); only the tail differs. */
	_Static_assert(offsetof(struct pv_blkif_x86_32_response, status) == 10, "x86_32 status");
	_Static_assert(offsetof(struct pv_blkif_x86_64_response, status) == 10, "x86_64 status");
	memset(b, 0, size);
	memcpy(b, &id, sizeof(id));
	b[8] = op;
	memcpy(b + 10, &status, sizeof(status));
}

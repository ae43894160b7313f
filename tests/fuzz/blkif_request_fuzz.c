/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness of pvkit-blkback's request intake (backends/blk/request.c):
 * any bytes as a ring slot, an indirect page and disk limits; a request the
 * checks accept must be inside the disk and its page ranges, or we abort.
 * Input: 1 byte of flags, 4 bytes of disk size (in 4 KiB units), the slot
 * (112 bytes), then the indirect page (zero-padded to 4096 bytes).
 */
#include <stdlib.h>
#include <string.h>

#include "pvkit/arch.h"
#include "../../backends/blk/common.h"

static struct blk_limits limits_from(uint8_t flags, uint32_t pages)
{
	struct blk_limits l = {
		.size_bytes = (uint64_t)pages * 4096,
		.sector_size = (flags & 1) ? 4096 : 512,
		.unit_shift = ((flags & 3) == 3) ? 12 : 9, /* large sectors only with 4096 */
		.max_indirect = (flags & 4) ? BLK_MAX_INDIRECT_SEGS : (flags & 8) ? 32 : 0,
		.readonly = flags & 16,
		.flush = flags & 32,
		.discard = flags & 64,
		.discard_secure = flags & 128,
	};
	return l;
}

/* What an accepted request must satisfy; abort() otherwise. */
static void check_accepted(const struct blk_limits *l, const struct blk_req *r)
{
	uint64_t units = l->size_bytes >> l->unit_shift, total = 0;
	unsigned int per_page = PV_PAGE_SIZE >> l->unit_shift;

	if (r->io == BLK_IO_DISCARD) {
		if (!l->discard || l->readonly || r->sector > units || r->nr_sectors > units - r->sector)
			abort();
		return;
	}
	if (r->nr_segs > BLK_MAX_INDIRECT_SEGS || (r->io == BLK_IO_WRITE && l->readonly))
		abort();
	for (unsigned int i = 0; i < r->nr_segs; i++) {
		if (r->seg[i].first_sect > r->seg[i].last_sect || r->seg[i].last_sect >= per_page)
			abort();
		total += r->seg[i].last_sect - r->seg[i].first_sect + 1u;
	}
	if (total != r->nr_sectors || r->sector > units || total > units - r->sector)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char page[PV_PAGE_SIZE] __attribute__((aligned(8)));
	static struct blk_req r;
	unsigned char raw[112] = {0}, rsp[BLK_RSP_MAX];
	void *pages[1] = {page};
	struct blk_limits l;
	uint32_t disk_pages;
	enum blk_abi abi;

	if (size < 5)
		return 0;
	memcpy(&disk_pages, data + 1, 4);
	l = limits_from(data[0], disk_pages & 0xffffff);
	abi = (data[2] & 1) ? BLK_ABI_32 : BLK_ABI_64;
	data += 5, size -= 5;
	memcpy(raw, data, size < sizeof(raw) ? size : sizeof(raw));
	data += size < sizeof(raw) ? size : sizeof(raw);
	size -= size < sizeof(raw) ? size : sizeof(raw);
	memset(page, 0, sizeof(page));
	memcpy(page, data, size < sizeof(page) ? size : sizeof(page));

	blk_req_parse(abi, raw, &r);
	if (blk_req_check(&l, &r) == PV_BLKIF_RSP_OKAY) {
		if (r.wire_op == PV_BLKIF_OP_INDIRECT) {
			if (r.nr_indirect_pages != 1) /* <= 256 segments: one page */
				abort();
			blk_req_load_indirect(&r, pages);
			if (blk_req_check_segs(&l, &r) == PV_BLKIF_RSP_OKAY)
				check_accepted(&l, &r);
		} else if (r.io != BLK_IO_FLUSH || r.nr_segs) {
			check_accepted(&l, &r);
		}
	}
	blk_rsp_build(abi, r.id, r.wire_op, PV_BLKIF_RSP_ERROR, rsp);
	return 0;
}

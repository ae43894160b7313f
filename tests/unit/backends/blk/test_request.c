/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for backends/blk/request.c: layouts (native, x86_32, x86_64),
 * every validation branch against hostile requests, defined responses.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pvkit/arch.h"
#include "../../../../backends/blk/common.h"
#include "../../../harness/cunit.h"

/* A 1 MiB read-write disk with every feature, 512-byte sectors. */
static struct blk_limits disk(void)
{
	return (struct blk_limits){
		.size_bytes = 1u << 20,
		.sector_size = 512,
		.unit_shift = 9,
		.max_indirect = BLK_MAX_INDIRECT_SEGS,
		.flush = true,
		.discard = true,
	};
}

/* A native (x86_64 layout) read/write request with @nsegs full-page segments. */
static struct pv_blkif_x86_64_request rw64(uint8_t op, uint8_t nsegs, uint64_t sector)
{
	struct pv_blkif_x86_64_request q;

	memset(&q, 0, sizeof(q));
	q.operation = op;
	q.nr_segments = nsegs;
	q.id = 0x1122334455667788ull;
	q.sector_number = sector;
	for (unsigned int i = 0; i < PV_BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) {
		q.seg[i].gref = 100 + i;
		q.seg[i].first_sect = 0;
		q.seg[i].last_sect = 7;
	}
	return q;
}

/* Parse @q as x86_64 and check it against @l. */
static int check64(const struct blk_limits *l, const struct pv_blkif_x86_64_request *q,
		   struct blk_req *r)
{
	blk_req_parse(BLK_ABI_64, q, r);
	return blk_req_check(l, r);
}

static struct blk_req req;

static void test_abi_names(void)
{
	enum blk_abi abi = BLK_ABI_32;

	CU_ASSERT_EQUAL(blk_abi_parse(NULL, &abi), 0);
	CU_ASSERT_EQUAL(abi, BLK_ABI_64);
	CU_ASSERT_EQUAL(blk_abi_parse("x86_32-abi", &abi), 0);
	CU_ASSERT_EQUAL(abi, BLK_ABI_32);
	CU_ASSERT_EQUAL(blk_abi_parse("x86_64-abi", &abi), 0);
	CU_ASSERT_EQUAL(abi, BLK_ABI_64);
	CU_ASSERT_EQUAL(blk_abi_parse("arm-abi", &abi), 0);
	CU_ASSERT_EQUAL(blk_abi_parse("pdp11-abi", &abi), -EINVAL);
	CU_ASSERT_EQUAL(blk_abi_shape(BLK_ABI_32).req_size, 108);
	CU_ASSERT_EQUAL(blk_abi_shape(BLK_ABI_32).rsp_size, 12);
	CU_ASSERT_EQUAL(blk_abi_shape(BLK_ABI_64).req_size, 112);
	CU_ASSERT_EQUAL(blk_abi_shape(BLK_ABI_64).rsp_size, 16);
}

static void test_read_ok(void)
{
	struct blk_limits l = disk();
	struct pv_blkif_x86_64_request q = rw64(PV_BLKIF_OP_READ, 11, 16);

	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(req.io, BLK_IO_READ);
	CU_ASSERT_EQUAL(req.id, 0x1122334455667788ull);
	CU_ASSERT_EQUAL(req.nr_segs, 11);
	CU_ASSERT_EQUAL(req.nr_sectors, 88);
	CU_ASSERT_EQUAL(req.seg[10].gref, 110);
}

/* The x86_32 layout: id at 4, sector at 12, segments at 20. */
static void test_x86_32_layout(void)
{
	unsigned char raw[108];
	struct blk_limits l = disk();
	uint64_t id = 0xa1b2c3d4e5f60718ull, sector = 40;
	struct pv_blkif_request_segment s = {.gref = 77, .first_sect = 2, .last_sect = 5};

	memset(raw, 0, sizeof(raw));
	raw[0] = PV_BLKIF_OP_WRITE;
	raw[1] = 2;
	memcpy(raw + 4, &id, 8);
	memcpy(raw + 12, &sector, 8);
	memcpy(raw + 20, &s, 8);
	memcpy(raw + 28, &s, 8);
	blk_req_parse(BLK_ABI_32, raw, &req);
	CU_ASSERT_EQUAL(req.id, id);
	CU_ASSERT_EQUAL(req.sector, 40);
	CU_ASSERT_EQUAL(req.nr_segs, 2);
	CU_ASSERT_EQUAL(req.seg[1].gref, 77);
	CU_ASSERT_EQUAL(blk_req_check(&l, &req), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(req.io, BLK_IO_WRITE);
	CU_ASSERT_EQUAL(req.nr_sectors, 8);
}

static void test_x86_32_discard_indirect(void)
{
	unsigned char raw[108];
	uint64_t id = 5, sector = 9, nr = 3;
	uint16_t nsegs = 300;
	pv_grant_ref_t g = 4242;

	memset(raw, 0, sizeof(raw));
	raw[0] = PV_BLKIF_OP_DISCARD;
	raw[1] = PV_BLKIF_DISCARD_SECURE;
	memcpy(raw + 4, &id, 8);
	memcpy(raw + 12, &sector, 8);
	memcpy(raw + 20, &nr, 8);
	blk_req_parse(BLK_ABI_32, raw, &req);
	CU_ASSERT_EQUAL(req.id, 5);
	CU_ASSERT_EQUAL(req.sector, 9);
	CU_ASSERT_EQUAL(req.nr_sectors, 3);
	CU_ASSERT_EQUAL(req.discard_flag, PV_BLKIF_DISCARD_SECURE);

	memset(raw, 0, sizeof(raw));
	raw[0] = PV_BLKIF_OP_INDIRECT;
	raw[1] = PV_BLKIF_OP_WRITE;
	memcpy(raw + 2, &nsegs, 2);
	memcpy(raw + 4, &id, 8);
	memcpy(raw + 12, &sector, 8);
	memcpy(raw + 24, &g, 4);
	blk_req_parse(BLK_ABI_32, raw, &req);
	CU_ASSERT_EQUAL(req.indirect_op, PV_BLKIF_OP_WRITE);
	CU_ASSERT_EQUAL(req.nr_segs, 300);
	CU_ASSERT_EQUAL(req.sector, 9);
	CU_ASSERT_EQUAL(req.indirect_grefs[0], 4242);
}

static void test_unknown_ops(void)
{
	struct blk_limits l = disk();
	struct pv_blkif_x86_64_request q = rw64(PV_BLKIF_OP_WRITE_BARRIER, 1, 0);

	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_EOPNOTSUPP);
	q.operation = PV_BLKIF_OP_RESERVED_1;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_EOPNOTSUPP);
	q.operation = 0xff;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_EOPNOTSUPP);
	CU_ASSERT_EQUAL(req.id, 0x1122334455667788ull); /* still answerable */
	CU_ASSERT_EQUAL(req.wire_op, 0xff);
}

static void test_bad_segment_count(void)
{
	struct blk_limits l = disk();
	struct pv_blkif_x86_64_request q = rw64(PV_BLKIF_OP_READ, 0, 0);

	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q.nr_segments = 12;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q.nr_segments = 255;
	q.operation = PV_BLKIF_OP_WRITE;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q.operation = PV_BLKIF_OP_FLUSH_DISKCACHE;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q.nr_segments = 0;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(req.io, BLK_IO_FLUSH);
	CU_ASSERT_EQUAL(req.nr_sectors, 0);
	/* An empty flush's sector means nothing: Linux's blkfront sends all ones. */
	q.sector_number = UINT64_MAX;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(req.nr_sectors, 0);
	q.sector_number = 0;
	q.nr_segments = 2; /* a flush carrying data: written, then flushed */
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(req.nr_sectors, 16);
}

static void test_bad_sectors_in_page(void)
{
	struct blk_limits l = disk();
	struct pv_blkif_x86_64_request q = rw64(PV_BLKIF_OP_READ, 3, 0);

	q.seg[1].first_sect = 5;
	q.seg[1].last_sect = 4;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q.seg[1].first_sect = 0;
	q.seg[1].last_sect = 8;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q.seg[1].first_sect = 200;
	q.seg[1].last_sect = 255;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q.seg[1].first_sect = 7;
	q.seg[1].last_sect = 7;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(req.nr_sectors, 17);
}

static void test_sector_range(void)
{
	struct blk_limits l = disk(); /* 2048 sectors */
	struct pv_blkif_x86_64_request q = rw64(PV_BLKIF_OP_READ, 1, 2040);

	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_OKAY); /* the last page */
	q.sector_number = 2041;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q.sector_number = 2048;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q.sector_number = UINT64_MAX - 3; /* sector + count wraps around */
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q.sector_number = UINT64_MAX;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
}

static void test_readonly(void)
{
	struct blk_limits l = disk();
	struct pv_blkif_x86_64_request q = rw64(PV_BLKIF_OP_WRITE, 1, 0);

	l.readonly = true;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q.operation = PV_BLKIF_OP_READ;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_OKAY);
	q.operation = PV_BLKIF_OP_FLUSH_DISKCACHE;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR); /* carries data */
	q.nr_segments = 0;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_OKAY);
}

static struct pv_blkif_x86_64_request discard64(uint64_t sector, uint64_t nr, uint8_t flag)
{
	struct pv_blkif_x86_64_request q;
	struct pv_blkif_x86_64_request_discard *d = (void *)&q;

	memset(&q, 0, sizeof(q));
	d->operation = PV_BLKIF_OP_DISCARD;
	d->flag = flag;
	d->id = 9;
	d->sector_number = sector;
	d->nr_sectors = nr;
	return q;
}

static void test_discard(void)
{
	struct blk_limits l = disk();
	struct pv_blkif_x86_64_request q = discard64(8, 2040, 0);

	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(req.io, BLK_IO_DISCARD);
	CU_ASSERT_EQUAL(req.nr_sectors, 2040);
	q = discard64(8, 2041, 0);
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q = discard64(1, UINT64_MAX, 0);
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	/* Not offered: the flag is ignored (blkif.h), a plain discard. */
	q = discard64(0, 8, PV_BLKIF_DISCARD_SECURE);
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(req.io, BLK_IO_DISCARD);
	CU_ASSERT_EQUAL(req.discard_flag, 0);
	l.discard_secure = true;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(req.discard_flag, PV_BLKIF_DISCARD_SECURE);
	l.readonly = true;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	l.discard = false;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_EOPNOTSUPP);
}

/* discard-secure: offered only with discard, on a block device whose BLKSECDISCARD probe worked. */
static void test_discard_secure_offer(void)
{
	CU_ASSERT_TRUE(blk_discard_secure_offer(true, true, 0));
	CU_ASSERT_FALSE(blk_discard_secure_offer(true, true, EOPNOTSUPP)); /* loop devices */
	CU_ASSERT_FALSE(blk_discard_secure_offer(true, true, EBADF));      /* read-only fd */
	CU_ASSERT_FALSE(blk_discard_secure_offer(true, false, 0));         /* files: hole punch */
	CU_ASSERT_FALSE(blk_discard_secure_offer(false, true, 0));         /* discard off / read-only */
}

static void test_unoffered_flush(void)
{
	struct blk_limits l = disk();
	struct pv_blkif_x86_64_request q = rw64(PV_BLKIF_OP_FLUSH_DISKCACHE, 0, 0);

	l.flush = false;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_EOPNOTSUPP);
}

static struct pv_blkif_x86_64_request indirect64(uint8_t op, uint16_t nsegs, uint64_t sector)
{
	struct pv_blkif_x86_64_request q;
	struct pv_blkif_x86_64_request_indirect *ind = (void *)&q;

	memset(&q, 0, sizeof(q));
	ind->operation = PV_BLKIF_OP_INDIRECT;
	ind->indirect_op = op;
	ind->nr_segments = nsegs;
	ind->id = 77;
	ind->sector_number = sector;
	ind->indirect_grefs[0] = 900;
	return q;
}

static void test_indirect_header(void)
{
	struct blk_limits l = disk();
	struct pv_blkif_x86_64_request q = indirect64(PV_BLKIF_OP_READ, 256, 0);

	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(req.nr_indirect_pages, 1);
	CU_ASSERT_EQUAL(req.indirect_grefs[0], 900);
	q = indirect64(PV_BLKIF_OP_READ, 257, 0);
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q = indirect64(PV_BLKIF_OP_READ, 4096, 0);
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q = indirect64(PV_BLKIF_OP_READ, 0, 0);
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q = indirect64(PV_BLKIF_OP_FLUSH_DISKCACHE, 1, 0);
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q = indirect64(PV_BLKIF_OP_INDIRECT, 1, 0);
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q = indirect64(PV_BLKIF_OP_WRITE, 16, 0);
	l.readonly = true;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	l.readonly = false;
	l.max_indirect = 32; /* negotiated lower */
	q = indirect64(PV_BLKIF_OP_WRITE, 33, 0);
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	l.max_indirect = 0;
	q = indirect64(PV_BLKIF_OP_WRITE, 1, 0);
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_EOPNOTSUPP);
}

static void test_indirect_segments(void)
{
	struct blk_limits l = disk();
	struct pv_blkif_x86_64_request q = indirect64(PV_BLKIF_OP_WRITE, 256, 0);
	struct pv_blkif_indirect_page *page = aligned_alloc(PV_PAGE_SIZE, PV_PAGE_SIZE);
	void *pages[1] = {page};

	CU_ASSERT_FATAL(page != NULL);
	memset(page, 0, PV_PAGE_SIZE);
	for (unsigned int i = 0; i < 512; i++) {
		page->seg[i].gref = 1000 + i;
		page->seg[i].last_sect = 7;
	}
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_OKAY);
	blk_req_load_indirect(&req, pages);
	CU_ASSERT_EQUAL(req.seg[255].gref, 1255);
	CU_ASSERT_EQUAL(blk_req_check_segs(&l, &req), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(req.nr_sectors, 2048); /* 1 MiB: the whole disk */
	page->seg[200].first_sect = 3;
	page->seg[200].last_sect = 2;
	blk_req_load_indirect(&req, pages);
	CU_ASSERT_EQUAL(blk_req_check_segs(&l, &req), PV_BLKIF_RSP_ERROR);
	page->seg[200].first_sect = 0;
	page->seg[200].last_sect = 7;
	q = indirect64(PV_BLKIF_OP_WRITE, 256, 8); /* one page past the end */
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_OKAY);
	blk_req_load_indirect(&req, pages);
	CU_ASSERT_EQUAL(blk_req_check_segs(&l, &req), PV_BLKIF_RSP_ERROR);
	free(page);
}

/* 4096-byte logical sectors, requests in 512-byte units (feature-large-sector-size=0). */
static void test_4k_sectors_512_units(void)
{
	struct blk_limits l = disk();
	struct pv_blkif_x86_64_request q = rw64(PV_BLKIF_OP_READ, 2, 8);

	l.sector_size = 4096;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_OKAY);
	q.sector_number = 4;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q.sector_number = 8;
	q.seg[1].last_sect = 3;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q.seg[1].first_sect = 4;
	q.seg[1].last_sect = 7;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
}

/* 4096-byte sectors with feature-large-sector-size: one sector per page. */
static void test_4k_sectors_4k_units(void)
{
	struct blk_limits l = disk(); /* 256 sectors of 4 KiB */
	struct pv_blkif_x86_64_request q = rw64(PV_BLKIF_OP_READ, 2, 254);

	l.sector_size = 4096;
	l.unit_shift = 12;
	q.seg[0].last_sect = 0;
	q.seg[1].last_sect = 0;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(req.nr_sectors, 2);
	CU_ASSERT_EQUAL(blk_unit_bytes(&l, req.sector), 254ull * 4096);
	q.sector_number = 255;
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
	q.sector_number = 0;
	q.seg[1].last_sect = 1; /* a second 4 KiB sector does not fit the page */
	CU_ASSERT_EQUAL(check64(&l, &q, &req), PV_BLKIF_RSP_ERROR);
}

static void test_response_bytes(void)
{
	unsigned char out[BLK_RSP_MAX];
	struct pv_blkif_x86_64_response r64;
	struct pv_blkif_x86_32_response r32;
	int16_t status;

	memset(out, 0xaa, sizeof(out));
	blk_rsp_build(BLK_ABI_64, 0x0102030405060708ull, PV_BLKIF_OP_WRITE, PV_BLKIF_RSP_ERROR, out);
	memcpy(&r64, out, sizeof(r64));
	CU_ASSERT_EQUAL(r64.id, 0x0102030405060708ull);
	CU_ASSERT_EQUAL(r64.operation, PV_BLKIF_OP_WRITE);
	CU_ASSERT_EQUAL(r64.status, PV_BLKIF_RSP_ERROR);
	CU_ASSERT_EQUAL(out[9], 0);
	for (unsigned int i = 12; i < 16; i++)
		CU_ASSERT_EQUAL(out[i], 0);

	memset(out, 0xaa, sizeof(out));
	blk_rsp_build(BLK_ABI_32, 42, PV_BLKIF_OP_DISCARD, PV_BLKIF_RSP_EOPNOTSUPP, out);
	memcpy(&r32, out, sizeof(r32));
	CU_ASSERT_EQUAL(r32.id, 42);
	CU_ASSERT_EQUAL(r32.operation, PV_BLKIF_OP_DISCARD);
	memcpy(&status, out + 10, 2);
	CU_ASSERT_EQUAL(status, PV_BLKIF_RSP_EOPNOTSUPP);
	CU_ASSERT_EQUAL(out[9], 0);
	CU_ASSERT_EQUAL(out[12], 0xaa); /* a 12-byte response writes 12 bytes */
}

/* A producer index more than a ring ahead: the ring layer refuses, sticky. */
static void test_hostile_producer(void)
{
	struct pv_ring_shape shape = blk_abi_shape(BLK_ABI_32);
	struct pv_ring_front front;
	struct pv_ring_back back;
	void *mem = aligned_alloc(PV_PAGE_SIZE, PV_PAGE_SIZE);
	unsigned char raw[108];

	CU_ASSERT_FATAL(mem != NULL);
	CU_ASSERT_EQUAL_FATAL(pv_ring_front_init(&front, mem, 1, &shape), 0);
	CU_ASSERT_EQUAL_FATAL(pv_ring_back_attach(&back, mem, 1, &shape, 0), 0);
	CU_ASSERT_EQUAL(pv_ring_back_size(&back), 32);
	((struct pv_sring_hdr *)mem)->req_prod = 33;
	CU_ASSERT_EQUAL(pv_ring_back_get_request(&back, raw), -EPROTO);
	((struct pv_sring_hdr *)mem)->req_prod = 1;
	CU_ASSERT_EQUAL(pv_ring_back_get_request(&back, raw), -EPROTO);
	free(mem);
}

static CU_TestInfo request_tests[] = {
	{"protocol names and shapes", test_abi_names},
	{"read accepted", test_read_ok},
	{"x86_32 request layout", test_x86_32_layout},
	{"x86_32 discard and indirect layouts", test_x86_32_discard_indirect},
	{"unknown operations: EOPNOTSUPP", test_unknown_ops},
	{"bad segment counts", test_bad_segment_count},
	{"first_sect > last_sect, last_sect past the page", test_bad_sectors_in_page},
	{"sector range, overflow-safe", test_sector_range},
	{"read-only disk refuses writes", test_readonly},
	{"discard range and secure flag", test_discard},
	{"discard-secure offered only where it works", test_discard_secure_offer},
	{"flush not offered", test_unoffered_flush},
	{"indirect header", test_indirect_header},
	{"indirect segments", test_indirect_segments},
	{"4 KiB sectors in 512-byte units", test_4k_sectors_512_units},
	{"4 KiB sectors in 4 KiB units", test_4k_sectors_4k_units},
	{"responses fully defined", test_response_bytes},
	{"hostile producer index", test_hostile_producer},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"blk-request", NULL, NULL, NULL, NULL, request_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

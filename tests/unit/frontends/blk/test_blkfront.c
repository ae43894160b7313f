/* SPDX-License-Identifier: MIT */
/*
 * blkfront's datapath (frontends/blk/blkfront-io.c) without xenstore: a
 * struct pv_blkfront put together by hand (rings in plain memory, pools
 * over a fake grant table), requests read off the ring by a test backend
 * (pv_ring_back_*), responses written by the test. Request building and
 * splitting, zero-copy buffers, and every response a broken backend can
 * send (bad, unused and duplicate ids, unknown status, another
 * operation, a response on the wrong ring, a runaway producer).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../../../harness/cunit.h"
#include "../../../../frontends/blk/blkfront-int.h"
#include "pvkit/arch.h"

/* ---- fake platform: grants are indices into a table of page addresses ---------- */

#define MAX_GRANTS 8192
static void *granted[MAX_GRANTS];
static unsigned int next_ref = 1;
static int notifies;

void *pv_gnt_share_pages(struct pv_platform *p, pv_domid_t peer, unsigned int count,
			 pv_grant_ref_t *refs, int writable)
{
	unsigned char *mem;

	(void)p;
	(void)peer;
	(void)writable;
	if (next_ref + count > MAX_GRANTS || posix_memalign((void **)&mem, PV_PAGE_SIZE,
							    (size_t)count * PV_PAGE_SIZE)) {
		errno = ENOSPC;
		return NULL;
	}
	memset(mem, 0, (size_t)count * PV_PAGE_SIZE);
	for (unsigned int i = 0; i < count; i++) {
		refs[i] = next_ref;
		granted[next_ref++] = mem + (size_t)i * PV_PAGE_SIZE;
	}
	return mem;
}

int pv_gnt_unshare(struct pv_platform *p, void *addr, unsigned int count)
{
	(void)p;
	(void)count;
	free(addr);
	return 0;
}

/* The backend half of ring/gntpool.c (the grant cache) is not exercised here. */
void *pv_gnt_map(struct pv_platform *p, pv_domid_t domid, unsigned int count,
		 const pv_grant_ref_t *refs, int writable)
{
	(void)p;
	(void)domid;
	(void)count;
	(void)refs;
	(void)writable;
	errno = ENOSYS;
	return NULL;
}

int pv_gnt_unmap(struct pv_platform *p, void *addr, unsigned int count)
{
	(void)p;
	(void)addr;
	(void)count;
	return -ENOSYS;
}

int pv_evtchn_notify(struct pv_evtchn *e, pv_evtchn_port_t port)
{
	(void)e;
	(void)port;
	notifies++;
	return 0;
}

/*
 * The channel's port 0: a storming backend keeps it pending; a pending
 * port is masked once taken, until unmasked (as Xen's and pvkitd's).
 */
static bool storming, port_masked;
static unsigned int unmasks;
static int other_port = -1; /* another queue's port, pending once */

int pv_evtchn_pending(struct pv_evtchn *e)
{
	int port = other_port;

	(void)e;
	if (port >= 0) {
		other_port = -1;
		return port;
	}
	if (!storming || port_masked)
		return -EAGAIN;
	port_masked = true;
	return 0;
}

int pv_evtchn_unmask(struct pv_evtchn *e, pv_evtchn_port_t port)
{
	(void)e;
	(void)port;
	port_masked = false;
	unmasks++;
	return 0;
}

/* blkfront.c's clock (the handshake file is not linked). */
int64_t bf_now_ms(void)
{
	return 0;
}

/* ---- a blkfront by hand, and the backend's end of its rings ----------------------- */

#define DISK_SECTORS 65536 /* 32 MiB */
#define RING_PAGES 1

static struct pv_blkfront *bf;
static struct pv_ring_back back[2];
static void *ring_mem[2];
static int fake_evtchn;

static void make_bf(unsigned int nq, unsigned int max_segs)
{
	struct pv_ring_shape shape = PV_RING_SHAPE(struct pv_blkif_request, struct pv_blkif_response);

	next_ref = 1; /* the previous test's pools are gone */
	memset(granted, 0, sizeof(granted));
	bf = calloc(1, sizeof(*bf));
	CU_ASSERT_PTR_NOT_NULL_FATAL(bf);
	bf->plat = (struct pv_platform *)&fake_evtchn;
	bf->ev = (struct pv_evtchn *)&fake_evtchn;
	bf->rl = (struct pv_ratelimit)PV_RATELIMIT_INIT;
	bf->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	bf->epfd = bf->tfd = bf->hfd = -1;
	snprintf(bf->prefix, sizeof(bf->prefix), "blkfront-test");
	CU_ASSERT_EQUAL_FATAL(bf_shadow_init(bf), 0);
	for (unsigned int i = 0; i < nq; i++) {
		CU_ASSERT_EQUAL_FATAL(posix_memalign(&ring_mem[i], PV_PAGE_SIZE,
						     RING_PAGES * PV_PAGE_SIZE), 0);
		memset(ring_mem[i], 0, RING_PAGES * PV_PAGE_SIZE);
		CU_ASSERT_EQUAL_FATAL(pv_ring_front_init(&bf->q[i].front, ring_mem[i], RING_PAGES,
							 &shape), 0);
		CU_ASSERT_EQUAL_FATAL(pv_ring_back_attach(&back[i], ring_mem[i], RING_PAGES, &shape,
							  0), 0);
		bf->q[i].port = (int)i;
		CU_ASSERT_EQUAL_FATAL(pv_gnt_pool_create(bf->plat, 0, BF_POOL_PAGES, 1, &bf->pool[i]),
				      0);
	}
	bf->nq = nq;
	bf->ring_pages = RING_PAGES;
	bf->info = (struct pv_blkfront_info){
		.sectors = DISK_SECTORS, .sector_size = 512, .physical_sector_size = 512,
		.flush = 1, .discard = 1, .queues = nq, .ring_pages = RING_PAGES,
		.persistent = 1, .max_segments = max_segs, .max_request = max_segs * BF_PAGE};
	bf->conn = BF_CONNECTED;
}

static void free_bf(void)
{
	bf_fail_all(bf, -ESHUTDOWN);
	bf_run_done(bf);
	for (unsigned int i = 0; i < PV_BLKFRONT_MAX_QUEUES; i++) {
		if (!bf->pool[i])
			continue;
		CU_ASSERT_EQUAL(pv_gnt_pool_avail(bf->pool[i]), BF_POOL_PAGES); /* nothing leaked */
		CU_ASSERT_EQUAL(pv_gnt_pool_destroy(bf->pool[i]), 0);
		free(ring_mem[i]);
	}
	close(bf->efd);
	free(bf->shadow);
	free(bf);
	bf = NULL;
}

/* Completions seen: count and last status per opaque slot. */
#define SLOTS 8
static int done_count[SLOTS], done_status[SLOTS];

static void done_cb(void *opaque, int status)
{
	unsigned int slot = (unsigned int)(uintptr_t)opaque;

	done_count[slot]++;
	done_status[slot] = status;
}

static void reset_done(void)
{
	memset(done_count, 0, sizeof(done_count));
	memset(done_status, 0, sizeof(done_status));
}

static int submit(enum pv_blkfront_op op, uint64_t off, uint32_t len, void *buf, unsigned int slot)
{
	int rc = pv_blkfront_submit(bf, op, off, len, buf, done_cb, (void *)(uintptr_t)slot);

	pv_blkfront_kick(bf);
	return rc;
}

/* The next request on ring @qi (0: none). */
static int take(unsigned int qi, union pv_blkif_request_any *r)
{
	return pv_ring_back_get_request(&back[qi], r);
}

static void respond(unsigned int qi, uint64_t id, uint8_t op, int16_t status)
{
	struct pv_blkif_response rsp = {.id = id, .operation = op, .status = status};

	CU_ASSERT_EQUAL(pv_ring_back_put(&back[qi], &rsp), 0);
	pv_ring_back_push(&back[qi]);
}

static void poll_bf(void)
{
	pv_blkfront_poll(bf);
}

/* The page behind a segment's grant. */
static unsigned char *seg_page(const struct pv_blkif_request_segment *s)
{
	CU_ASSERT_FATAL(s->gref > 0 && s->gref < next_ref);
	return granted[s->gref];
}

/* ---- request building ------------------------------------------------------------- */

static void test_direct_write_and_read(void)
{
	static unsigned char data[8192], back_data[8192];
	union pv_blkif_request_any r;

	make_bf(1, 256);
	for (unsigned int i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 1);
	reset_done();
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_WRITE, 8192, 8192, data, 0), 0);
	CU_ASSERT_EQUAL_FATAL(take(0, &r), 1);
	CU_ASSERT_EQUAL(r.rw.operation, PV_BLKIF_OP_WRITE);
	CU_ASSERT_EQUAL(r.rw.nr_segments, 2);
	CU_ASSERT_EQUAL(r.rw.sector_number, 16);
	for (unsigned int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(r.rw.seg[i].first_sect, 0);
		CU_ASSERT_EQUAL(r.rw.seg[i].last_sect, 7);
		/* Bounced: the granted page holds the data, never the caller's memory. */
		CU_ASSERT_PTR_NOT_EQUAL(seg_page(&r.rw.seg[i]), data + i * 4096);
		CU_ASSERT_EQUAL(memcmp(seg_page(&r.rw.seg[i]), data + i * 4096, 4096), 0);
	}
	CU_ASSERT_EQUAL(done_count[0], 0);
	respond(0, r.rw.id, PV_BLKIF_OP_WRITE, PV_BLKIF_RSP_OKAY);
	poll_bf();
	CU_ASSERT_EQUAL(done_count[0], 1);
	CU_ASSERT_EQUAL(done_status[0], 0);

	/* A 512-byte read: one segment of one sector, copied back on completion. */
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_READ, 512 * 3, 512, back_data, 1), 0);
	CU_ASSERT_EQUAL_FATAL(take(0, &r), 1);
	CU_ASSERT_EQUAL(r.rw.operation, PV_BLKIF_OP_READ);
	CU_ASSERT_EQUAL(r.rw.nr_segments, 1);
	CU_ASSERT_EQUAL(r.rw.sector_number, 3);
	CU_ASSERT_EQUAL(r.rw.seg[0].last_sect, 0);
	memset(seg_page(&r.rw.seg[0]), 0xab, 512);
	respond(0, r.rw.id, PV_BLKIF_OP_READ, PV_BLKIF_RSP_OKAY);
	poll_bf();
	CU_ASSERT_EQUAL(done_count[1], 1);
	CU_ASSERT_EQUAL(back_data[0], 0xab);
	CU_ASSERT_EQUAL(back_data[511], 0xab);
	CU_ASSERT_EQUAL(back_data[512], 0); /* nothing past the request */
	CU_ASSERT_EQUAL(bf->pending, 0);
	free_bf();
}

/* Without indirect descriptors, 25 pages go out as 11 + 11 + 3 segments; one completion. */
static void test_split_direct(void)
{
	static unsigned char data[25 * 4096];
	union pv_blkif_request_any r[3];
	unsigned int segs[3] = {11, 11, 3};

	make_bf(1, PV_BLKIF_MAX_SEGMENTS_PER_REQUEST);
	for (unsigned int i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i / 4096 + 1);
	reset_done();
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_WRITE, 0, sizeof(data), data, 2), 0);
	for (unsigned int k = 0; k < 3; k++) {
		CU_ASSERT_EQUAL_FATAL(take(0, &r[k]), 1);
		CU_ASSERT_EQUAL(r[k].rw.operation, PV_BLKIF_OP_WRITE);
		CU_ASSERT_EQUAL(r[k].rw.nr_segments, segs[k]);
		CU_ASSERT_EQUAL(r[k].rw.sector_number, 88 * k);
		CU_ASSERT_EQUAL(seg_page(&r[k].rw.seg[0])[0], 11 * k + 1);
	}
	CU_ASSERT_EQUAL(take(0, &r[0]), 0);
	respond(0, r[2].rw.id, PV_BLKIF_OP_WRITE, PV_BLKIF_RSP_OKAY);
	respond(0, r[0].rw.id, PV_BLKIF_OP_WRITE, PV_BLKIF_RSP_OKAY);
	poll_bf();
	CU_ASSERT_EQUAL(done_count[2], 0); /* a part still out */
	respond(0, r[1].rw.id, PV_BLKIF_OP_WRITE, PV_BLKIF_RSP_OKAY);
	poll_bf();
	CU_ASSERT_EQUAL(done_count[2], 1);
	CU_ASSERT_EQUAL(done_status[2], 0);
	free_bf();
}

/* 1 MiB + 8 KiB: one INDIRECT request of 256 segments, then a direct one of 2. */
static void test_split_indirect(void)
{
	uint32_t len = (256 + 2) * 4096;
	unsigned char *data = malloc(len);
	union pv_blkif_request_any r, r2;
	struct pv_blkif_indirect_page *ind;
	unsigned int bad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(data);
	make_bf(1, 256);
	for (uint32_t i = 0; i < len; i += 4096)
		data[i] = (unsigned char)(i / 4096);
	reset_done();
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_WRITE, 4096, len, data, 3), 0);
	CU_ASSERT_EQUAL_FATAL(take(0, &r), 1);
	CU_ASSERT_EQUAL(r.indirect.operation, PV_BLKIF_OP_INDIRECT);
	CU_ASSERT_EQUAL(r.indirect.indirect_op, PV_BLKIF_OP_WRITE);
	CU_ASSERT_EQUAL(r.indirect.nr_segments, 256);
	CU_ASSERT_EQUAL(r.indirect.sector_number, 8);
	CU_ASSERT_FATAL(r.indirect.indirect_grefs[0] > 0 && r.indirect.indirect_grefs[0] < next_ref);
	ind = granted[r.indirect.indirect_grefs[0]];
	for (unsigned int i = 0; i < 256; i++)
		bad += ind->seg[i].first_sect != 0 || ind->seg[i].last_sect != 7 ||
		       seg_page(&ind->seg[i])[0] != (unsigned char)i;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(ind->seg[256].gref, 0); /* the rest of the indirect page is zero */
	CU_ASSERT_EQUAL_FATAL(take(0, &r2), 1);
	CU_ASSERT_EQUAL(r2.rw.operation, PV_BLKIF_OP_WRITE);
	CU_ASSERT_EQUAL(r2.rw.nr_segments, 2);
	CU_ASSERT_EQUAL(r2.rw.sector_number, 8 + 256 * 8);
	/* The INDIRECT request is answered with the WRITE it carries. */
	respond(0, r.indirect.id, PV_BLKIF_OP_WRITE, PV_BLKIF_RSP_OKAY);
	respond(0, r2.rw.id, PV_BLKIF_OP_WRITE, PV_BLKIF_RSP_OKAY);
	poll_bf();
	CU_ASSERT_EQUAL(done_count[3], 1);
	CU_ASSERT_EQUAL(done_status[3], 0);
	free_bf();
	free(data);
}

/* A flush and a discard carry no segments. */
static void test_flush_discard(void)
{
	union pv_blkif_request_any r;

	make_bf(1, 256);
	reset_done();
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_DISCARD, 1 << 20, 1 << 20, NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(take(0, &r), 1);
	CU_ASSERT_EQUAL(r.discard.operation, PV_BLKIF_OP_DISCARD);
	CU_ASSERT_EQUAL(r.discard.sector_number, 2048);
	CU_ASSERT_EQUAL(r.discard.nr_sectors, 2048);
	CU_ASSERT_EQUAL(r.discard.flag, 0);
	respond(0, r.discard.id, PV_BLKIF_OP_DISCARD, PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_FLUSH, 0, 0, NULL, 1), 0);
	CU_ASSERT_EQUAL_FATAL(take(0, &r), 1);
	CU_ASSERT_EQUAL(r.rw.operation, PV_BLKIF_OP_FLUSH_DISKCACHE);
	CU_ASSERT_EQUAL(r.rw.nr_segments, 0);
	respond(0, r.rw.id, PV_BLKIF_OP_FLUSH_DISKCACHE, PV_BLKIF_RSP_OKAY);
	poll_bf();
	CU_ASSERT(done_count[0] == 1 && done_count[1] == 1 && !done_status[0] && !done_status[1]);
	/* Refused before the ring: misaligned, past the end, no buffer. */
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_READ, 100, 512, r.rw.seg, 2), -EINVAL);
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_READ, (uint64_t)DISK_SECTORS * 512, 512, &r, 2), -EINVAL);
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_WRITE, 0, 512, NULL, 2), -EINVAL);
	CU_ASSERT_EQUAL(take(0, &r), 0);
	CU_ASSERT_EQUAL(done_count[2], 0);
	free_bf();
}

/*
 * Write-zeroes: WRITE requests (indirect, then direct) over pool pages
 * that hold zeros whatever they held before; no caller buffer.
 */
static void test_write_zeroes(void)
{
	uint32_t len = (256 + 2) * 4096;
	union pv_blkif_request_any r[2];
	unsigned int nonzero = 0;

	make_bf(1, 256);
	for (unsigned int g = 1; g < next_ref; g++) /* every pool page dirty */
		memset(granted[g], 0xee, PV_PAGE_SIZE);
	reset_done();
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_WRITE_ZEROES, 4096, len, NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(take(0, &r[0]), 1);
	CU_ASSERT_EQUAL_FATAL(take(0, &r[1]), 1);
	CU_ASSERT_EQUAL(r[0].indirect.operation, PV_BLKIF_OP_INDIRECT);
	CU_ASSERT_EQUAL(r[0].indirect.indirect_op, PV_BLKIF_OP_WRITE);
	CU_ASSERT_EQUAL_FATAL(r[0].indirect.nr_segments, 256);
	CU_ASSERT_EQUAL(r[0].indirect.sector_number, 8);
	for (unsigned int i = 0; i < 256; i++) {
		const struct pv_blkif_indirect_page *ind =
			(const void *)granted[r[0].indirect.indirect_grefs[i / 512]];
		const unsigned char *pg = seg_page(&ind->seg[i % 512]);

		for (unsigned int b = 0; b < 4096; b++)
			nonzero += pg[b] != 0;
	}
	CU_ASSERT_EQUAL(r[1].rw.operation, PV_BLKIF_OP_WRITE);
	CU_ASSERT_EQUAL_FATAL(r[1].rw.nr_segments, 2);
	CU_ASSERT_EQUAL(r[1].rw.sector_number, 8 + 256 * 8);
	for (unsigned int i = 0; i < 2; i++)
		for (unsigned int b = 0; b < 4096; b++)
			nonzero += seg_page(&r[1].rw.seg[i])[b] != 0;
	CU_ASSERT_EQUAL(nonzero, 0);
	respond(0, r[0].indirect.id, PV_BLKIF_OP_WRITE, PV_BLKIF_RSP_OKAY);
	respond(0, r[1].rw.id, PV_BLKIF_OP_WRITE, PV_BLKIF_RSP_OKAY);
	poll_bf();
	CU_ASSERT(done_count[0] == 1 && done_status[0] == 0);
	/* Refused before the ring: misaligned, past the end, a read-only disk. */
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_WRITE_ZEROES, 100, 512, NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_WRITE_ZEROES, (uint64_t)DISK_SECTORS * 512, 512, NULL, 1),
			-EINVAL);
	bf->info.read_only = 1;
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_WRITE_ZEROES, 0, 512, NULL, 1), -EROFS);
	CU_ASSERT_EQUAL(take(0, &r[0]), 0);
	free_bf();
}

/* Zero-copy buffers: the request's segments are the buffer's own pool pages. */
static void test_zero_copy(void)
{
	union pv_blkif_request_any r;
	unsigned char *buf, *big;
	unsigned int avail;

	make_bf(2, 256);
	avail = pv_gnt_pool_avail(bf->pool[0]) + pv_gnt_pool_avail(bf->pool[1]);
	CU_ASSERT_PTR_NULL(pv_blkfront_buf_alloc(bf, 0));
	CU_ASSERT_PTR_NULL(pv_blkfront_buf_alloc(bf, bf->info.max_request + 512));
	buf = pv_blkfront_buf_alloc(bf, 3 * 4096);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_EQUAL((uintptr_t)buf % 4096, 0);
	reset_done();
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_READ, 0, 3 * 4096, buf, 0), 0);
	CU_ASSERT(take(0, &r) == 1 || take(1, &r) == 1);
	CU_ASSERT_EQUAL(r.rw.nr_segments, 3);
	for (unsigned int i = 0; i < 3; i++)
		CU_ASSERT_PTR_EQUAL(seg_page(&r.rw.seg[i]), buf + i * 4096); /* no bounce */
	memset(buf, 0x42, 3 * 4096); /* the backend writes straight into it */
	respond(bf->shadow[r.rw.id].queue, r.rw.id, PV_BLKIF_OP_READ, PV_BLKIF_RSP_OKAY);
	poll_bf();
	CU_ASSERT_EQUAL(done_count[0], 1);
	CU_ASSERT_EQUAL(done_status[0], 0);
	/* Four 1 MiB buffers per pool at most: each pool keeps its reserve for bounced I/O. */
	big = pv_blkfront_buf_alloc(bf, 1 << 20);
	CU_ASSERT_PTR_NOT_NULL(big);
	for (unsigned int i = 0; i < PV_BLKFRONT_MAX_QUEUES; i++)
		if (bf->pool[i])
			CU_ASSERT(pv_gnt_pool_avail(bf->pool[i]) >= BF_POOL_RESERVE);
	pv_blkfront_buf_free(bf, big, 1 << 20);
	pv_blkfront_buf_free(bf, buf, 3 * 4096);
	CU_ASSERT_EQUAL(pv_gnt_pool_avail(bf->pool[0]) + pv_gnt_pool_avail(bf->pool[1]), avail);
	/* A pointer that is not a buffer of ours is ignored. */
	pv_blkfront_buf_free(bf, &r, 4096);
	CU_ASSERT_EQUAL(bf->zc_pages, 0);
	free_bf();
}

/*
 * Four 1 MiB zero-copy buffers fit in one pool even while the first three
 * are on the ring with their indirect pages (each takes one from the same
 * pool), a fifth does not, and a bounced request still gets through beside
 * them (in parts that fit the reserve).
 */
static void test_zero_copy_four_buffers(void)
{
	union pv_blkif_request_any r;
	unsigned char *buf[5], *own = malloc(1 << 20);
	unsigned int parts = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(own);
	make_bf(1, 256);
	reset_done();
	for (unsigned int i = 0; i < 4; i++) {
		buf[i] = pv_blkfront_buf_alloc(bf, 1 << 20);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf[i]);
		CU_ASSERT_EQUAL(submit(PV_BLKFRONT_READ, (uint64_t)i << 20, 1 << 20, buf[i], i), 0);
	}
	CU_ASSERT_PTR_NULL(pv_blkfront_buf_alloc(bf, 1 << 20));
	CU_ASSERT_EQUAL(pv_gnt_pool_avail(bf->pool[0]), BF_POOL_RESERVE);
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_READ, 4 << 20, 1 << 20, own, 4), 0);
	while (take(0, &r) == 1) {
		uint64_t id = r.rw.operation == PV_BLKIF_OP_INDIRECT ? r.indirect.id : r.rw.id;

		parts++;
		respond(0, id, PV_BLKIF_OP_READ, PV_BLKIF_RSP_OKAY);
		poll_bf();
	}
	for (unsigned int i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(done_count[i], 1);
		CU_ASSERT_EQUAL(done_status[i], 0);
	}
	CU_ASSERT(parts > 5); /* the bounced one went in parts */
	for (unsigned int i = 0; i < 4; i++)
		pv_blkfront_buf_free(bf, buf[i], 1 << 20);
	CU_ASSERT_EQUAL(bf->zc_pages, 0);
	free_bf();
	free(own);
}

/* ---- responses from a broken backend ---------------------------------------------- */

/* Submit a 4 KiB read in slot @slot on a fresh blkfront; returns its ring request id. */
static uint64_t one_read(unsigned int slot, union pv_blkif_request_any *r)
{
	static unsigned char buf[SLOTS][4096];

	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_READ, 4096 * slot, 4096, buf[slot], slot), 0);
	CU_ASSERT_EQUAL_FATAL(take(0, r), 1);
	return r->rw.id;
}

/* After a protocol violation every request fails with EIO, exactly once, and new ones too. */
static void expect_broken(const char *why)
{
	union pv_blkif_request_any r;

	CU_ASSERT_EQUAL_FATAL(bf->conn, BF_BROKEN);
	CU_ASSERT_EQUAL(done_count[0], 1);
	CU_ASSERT_EQUAL(done_status[0], -EIO);
	CU_ASSERT_EQUAL(done_count[1], 1);
	CU_ASSERT_EQUAL(done_status[1], -EIO);
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_READ, 0, 4096, &r, 2), 0);
	poll_bf();
	CU_ASSERT_EQUAL(done_count[2], 1);
	CU_ASSERT_EQUAL(done_status[2], -EIO);
	CU_ASSERT_EQUAL(take(0, &r), 0);
	CU_ASSERT_EQUAL(bf->pending, 0);
	(void)why;
}

static void broken_case(int kind)
{
	union pv_blkif_request_any r0, r1;
	uint64_t id0, id1;

	make_bf(1, 256);
	reset_done();
	id0 = one_read(0, &r0);
	id1 = one_read(1, &r1);
	switch (kind) {
	case 0: /* id out of range */
		respond(0, id0 + BF_SHADOWS, PV_BLKIF_OP_READ, PV_BLKIF_RSP_OKAY);
		break;
	case 1: /* id of no request in flight */
		respond(0, (id0 + id1 + 7) % BF_SHADOWS, PV_BLKIF_OP_READ, PV_BLKIF_RSP_OKAY);
		break;
	case 2: /* another operation than the request's */
		respond(0, id0, PV_BLKIF_OP_WRITE, PV_BLKIF_RSP_OKAY);
		break;
	case 3: /* a runaway response producer */
		((volatile uint32_t *)ring_mem[0])[2] += 1000; /* rsp_prod (Xen's sring header) */
		break;
	}
	poll_bf();
	expect_broken("");
	free_bf();
}

static void test_bad_id(void)
{
	broken_case(0);
}

static void test_unused_id(void)
{
	broken_case(1);
}

static void test_bad_operation(void)
{
	broken_case(2);
}

static void test_runaway_producer(void)
{
	broken_case(3);
}

/* A second response for an id already answered: the first counts, then the device breaks. */
static void test_duplicate_id(void)
{
	union pv_blkif_request_any r0, r1;
	uint64_t id0;

	make_bf(1, 256);
	reset_done();
	id0 = one_read(0, &r0);
	one_read(1, &r1);
	respond(0, id0, PV_BLKIF_OP_READ, PV_BLKIF_RSP_OKAY);
	poll_bf();
	CU_ASSERT_EQUAL(done_count[0], 1);
	CU_ASSERT_EQUAL(done_status[0], 0);
	respond(0, id0, PV_BLKIF_OP_READ, PV_BLKIF_RSP_OKAY);
	poll_bf();
	CU_ASSERT_EQUAL_FATAL(bf->conn, BF_BROKEN);
	CU_ASSERT_EQUAL(done_count[0], 1); /* not twice */
	CU_ASSERT_EQUAL(done_count[1], 1);
	CU_ASSERT_EQUAL(done_status[1], -EIO);
	free_bf();
}

/* A response on a ring the request was not sent on. */
static void test_wrong_ring(void)
{
	static unsigned char buf[2][4096];
	union pv_blkif_request_any ra, rb;

	make_bf(2, 256);
	reset_done();
	/* Round robin: one read on each ring. */
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_READ, 0, 4096, buf[0], 0), 0);
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_READ, 4096, 4096, buf[1], 1), 0);
	CU_ASSERT_EQUAL_FATAL(take(0, &ra), 1);
	CU_ASSERT_EQUAL_FATAL(take(1, &rb), 1);
	respond(1, ra.rw.id, PV_BLKIF_OP_READ, PV_BLKIF_RSP_OKAY);
	poll_bf();
	CU_ASSERT_EQUAL(bf->conn, BF_BROKEN);
	CU_ASSERT(done_count[0] == 1 && done_count[1] == 1);
	CU_ASSERT(done_status[0] == -EIO && done_status[1] == -EIO);
	free_bf();
}

/* Statuses: unknown -> EIO for that request only; EOPNOTSUPP and ERROR map; the device lives. */
static void test_statuses(void)
{
	union pv_blkif_request_any r;
	int16_t st[3] = {77, PV_BLKIF_RSP_EOPNOTSUPP, PV_BLKIF_RSP_ERROR};
	int want[3] = {-EIO, -EOPNOTSUPP, -EIO};

	make_bf(1, 256);
	reset_done();
	for (unsigned int i = 0; i < 3; i++) {
		uint64_t id = one_read(i, &r);

		respond(0, id, PV_BLKIF_OP_READ, st[i]);
		poll_bf();
		CU_ASSERT_EQUAL(done_count[i], 1);
		CU_ASSERT_EQUAL(done_status[i], want[i]);
		CU_ASSERT_EQUAL(bf->conn, BF_CONNECTED);
	}
	respond(0, one_read(3, &r), PV_BLKIF_OP_READ, PV_BLKIF_RSP_OKAY);
	poll_bf();
	CU_ASSERT_EQUAL(done_status[3], 0);
	free_bf();
}

/* ---- hostile backends: event storms and double fetches ------------------------------ */

/*
 * XSA-332/391: the backend notifies without end and answers nothing. The
 * storm is counted; after a run of spurious wake-ups the channel stays
 * masked (no unmask, whatever the caller's polling) until the back-off's
 * timer tick; a response still completes the read; work ends the storm.
 */
static void test_event_storm(void)
{
	union pv_blkif_request_any r;
	struct pollfd p;
	uint64_t id;

	make_bf(1, 256);
	reset_done();
	id = one_read(0, &r);
	storming = true;
	port_masked = false;
	unmasks = 0;
	for (unsigned int i = 0; i < 10000; i++)
		poll_bf();
	CU_ASSERT_EQUAL(done_count[0], 0);
	CU_ASSERT_EQUAL(pv_blkfront_spurious(bf), PV_EVSTORM_RUN);
	CU_ASSERT_EQUAL(unmasks, PV_EVSTORM_RUN - 1); /* 10000 polls, 64 events taken */
	CU_ASSERT(port_masked);
	/*
	 * The back-off's end (the hold timer was not there yet: none ended
	 * early): the port is unmasked, the storm's next event holds it longer.
	 */
	bf->hfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	CU_ASSERT_FATAL(bf->hfd >= 0);
	timerfd_settime(bf->hfd, 0, &(struct itimerspec){.it_value = {0, 1}}, NULL);
	bf->hold_armed = true;
	p = (struct pollfd){.fd = bf->hfd, .events = POLLIN};
	CU_ASSERT_EQUAL_FATAL(poll(&p, 1, 10000), 1);
	poll_bf();
	poll_bf();
	CU_ASSERT_EQUAL(unmasks, PV_EVSTORM_RUN);
	CU_ASSERT_EQUAL(pv_blkfront_spurious(bf), PV_EVSTORM_RUN + 1);
	CU_ASSERT(port_masked);
	/* The backend answers at last: the read completes, held channel or not. */
	storming = false;
	respond(0, id, PV_BLKIF_OP_READ, PV_BLKIF_RSP_OKAY);
	poll_bf();
	CU_ASSERT_EQUAL(done_count[0], 1);
	CU_ASSERT_EQUAL(done_status[0], 0);
	/* Work with a notification ends the storm. */
	CU_ASSERT_EQUAL_FATAL(poll(&p, 1, 10000), 1);
	poll_bf();
	CU_ASSERT(!port_masked);
	id = one_read(1, &r);
	respond(0, id, PV_BLKIF_OP_READ, PV_BLKIF_RSP_OKAY);
	storming = true;
	poll_bf();
	storming = false;
	CU_ASSERT_EQUAL(done_count[1], 1);
	CU_ASSERT_EQUAL(bf->storm.run, 0);
	CU_ASSERT_EQUAL(pv_blkfront_spurious(bf), PV_EVSTORM_RUN + 1);
	close(bf->hfd);
	free_bf();
	port_masked = false;
}

/*
 * Two queues, a storm on the first: a response on the second (its own
 * port) is work, so the back-off ends early; its timer is disarmed, or a
 * fired, unread timer would keep the caller's epoll readable for ever.
 */
static void test_storm_ended_by_other_queue(void)
{
	static unsigned char buf[4096];
	union pv_blkif_request_any r;
	struct pollfd p;
	int qi;

	make_bf(2, 256);
	reset_done();
	bf->hfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	CU_ASSERT_FATAL(bf->hfd >= 0);
	CU_ASSERT_EQUAL(submit(PV_BLKFRONT_READ, 0, 4096, buf, 0), 0);
	qi = take(0, &r) == 1 ? 0 : 1;
	if (qi == 1)
		CU_ASSERT_EQUAL_FATAL(take(1, &r), 1);
	storming = true;
	port_masked = false;
	for (unsigned int i = 0; i < PV_EVSTORM_RUN && !bf->hold_armed; i++)
		poll_bf();
	CU_ASSERT_FATAL(bf->hold_armed);
	storming = false;
	respond((unsigned int)qi, r.rw.id, PV_BLKIF_OP_READ, PV_BLKIF_RSP_OKAY);
	other_port = 1;
	poll_bf();
	CU_ASSERT_EQUAL(done_count[0], 1);
	CU_ASSERT(!bf->hold_armed);
	CU_ASSERT(!port_masked); /* released */
	p = (struct pollfd){.fd = bf->hfd, .events = POLLIN};
	CU_ASSERT_EQUAL(poll(&p, 1, 50), 0); /* disarmed: it never fires */
	close(bf->hfd);
	free_bf();
}

/* XSA-155: a thread rewriting published response slots while blkfront consumes them. */
struct scribbler {
	volatile int stop;
	unsigned long writes;      /* atomics */
	uint64_t ids[2];   /* two requests in flight: a rewrite may name either */
};

static void *scribble(void *opaque)
{
	struct scribbler *w = opaque;
	struct pv_ring_view *v = &back[0].v;
	uint32_t seed = 12345;

	while (!w->stop) {
		for (uint32_t i = 0; i < v->nr_ents; i++) {
			struct pv_blkif_response *rsp =
				(struct pv_blkif_response *)(v->slots + (size_t)i * v->shape.slot_size);

			seed = seed * 1103515245u + 12345u;
			__atomic_store_n(&rsp->id, (seed >> 8) % 3 == 2 ? seed : w->ids[(seed >> 8) % 3 & 1],
					 __ATOMIC_RELAXED);
			__atomic_store_n(&rsp->operation,
					 (uint8_t)((seed >> 4) & 1 ? PV_BLKIF_OP_READ : PV_BLKIF_OP_WRITE),
					 __ATOMIC_RELAXED);
			__atomic_store_n(&rsp->status, (int16_t)((seed >> 12) % 4) - 2, __ATOMIC_RELAXED);
			__atomic_fetch_add(&w->writes, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

/*
 * Whatever the rewrites make of a response, blkfront acts on one private
 * copy: each request completes exactly once (its status, or -EIO when the
 * copy broke the protocol and the device with it), nothing leaks, and
 * nothing crashes (this test also runs under ASan).
 */
static void test_double_fetch(void)
{
	struct scribbler w = {0};
	union pv_blkif_request_any r0, r1;
	unsigned int broken = 0, rounds = 0;
	pthread_t t;

	for (; rounds < 200; rounds++) {
		make_bf(1, 256);
		reset_done();
		w = (struct scribbler){.ids = {one_read(0, &r0), one_read(1, &r1)}};
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, scribble, &w), 0);
		while (!__atomic_load_n(&w.writes, __ATOMIC_RELAXED))
			sched_yield(); /* the slots are being rewritten before the responses go in */
		respond(0, w.ids[0], PV_BLKIF_OP_READ, PV_BLKIF_RSP_OKAY);
		respond(0, w.ids[1], PV_BLKIF_OP_READ, PV_BLKIF_RSP_OKAY);
		poll_bf();
		w.stop = 1;
		pthread_join(t, NULL);
		CU_ASSERT(done_count[0] == 1 && done_count[1] == 1);
		CU_ASSERT(done_status[0] == 0 || done_status[0] == -EIO || done_status[0] == -EOPNOTSUPP);
		CU_ASSERT(done_status[1] == 0 || done_status[1] == -EIO || done_status[1] == -EOPNOTSUPP);
		CU_ASSERT_EQUAL(bf->pending, 0);
		broken += bf->conn == BF_BROKEN;
		free_bf(); /* every pool page back */
	}
	CU_ASSERT(w.writes > 0);
	printf("\n    %u of %u rounds broke the device\n", broken, rounds);
}

static int setup(void)
{
	pv_log_set_level(PV_LOG_ERR); /* the broken-backend warnings are expected */
	return 0;
}

/* The export's names: pvkit-guest's socket and pvkit block-list's URI agree on them. */
static void test_export_names(void)
{
	static const struct {
		uint32_t devid;
		const char *name, *sock;
	} cases[] = {
		{51712, "xvda", "xvda.sock"},                 /* 202:0 */
		{51728, "xvdb", "xvdb.sock"},                 /* 202:16 */
		{51952, "xvdp", "xvdp.sock"},                 /* 202:240, the last short one */
		{1u << 28 | 26u << 8, "xvdaa", "xvdaa.sock"}, /* the extended form */
		{1u << 28 | 701u << 8, "xvdzz", "xvdzz.sock"},
		{1u << 28 | 702u << 8, "", "vbd-268615168.sock"}, /* past xvdzz */
		{51713, "", "vbd-51713.sock"},                /* a partition, xvda1 */
		{768, "", "vbd-768.sock"},                    /* hda */
	};
	char name[16], sock[32];

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pv_blkfront_disk_name(cases[i].devid, name, sizeof(name));
		pv_blkfront_export_socket(cases[i].devid, sock, sizeof(sock));
		CU_ASSERT_STRING_EQUAL(name, cases[i].name);
		CU_ASSERT_STRING_EQUAL(sock, cases[i].sock);
	}
	pv_blkfront_export_socket(51712, sock, 5);
	CU_ASSERT_STRING_EQUAL(sock, "xvda"); /* truncated, terminated */
}

static CU_TestInfo blkfront_tests[] = {
	{"direct write and read: bounced, sectors and segments", test_direct_write_and_read},
	{"no indirect: 25 pages split 11 + 11 + 3", test_split_direct},
	{"indirect: 1 MiB in one request, the rest direct", test_split_indirect},
	{"flush and discard; bad requests refused", test_flush_discard},
	{"write-zeroes: zeroed pool pages, no buffer", test_write_zeroes},
	{"zero-copy buffers: segments are the buffer's pages", test_zero_copy},
	{"four 1 MiB zero-copy buffers per pool, bounced I/O beside them", test_zero_copy_four_buffers},
	{"response id out of range breaks the device", test_bad_id},
	{"response to no request breaks the device", test_unused_id},
	{"duplicate response breaks the device", test_duplicate_id},
	{"response with another operation breaks the device", test_bad_operation},
	{"response on another ring breaks the device", test_wrong_ring},
	{"runaway response producer breaks the device", test_runaway_producer},
	{"unknown / error / EOPNOTSUPP statuses", test_statuses},
	{"event storm: counted, held masked until the back-off ends, I/O works", test_event_storm},
	{"event storm ended early by another queue's work: hold timer disarmed",
	 test_storm_ended_by_other_queue},
	{"responses rewritten while consumed: each request ends once", test_double_fetch},
	{"export names: xvd disks, others by devid", test_export_names},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"blkfront", setup, NULL, NULL, NULL, blkfront_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

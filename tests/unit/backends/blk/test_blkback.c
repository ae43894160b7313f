/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for backends/blk/blkback.c: a queue thread with io_uring on a
 * real temporary file, driven by a frontend in this process over a mock
 * platform. Normal I/O, hostile requests, grant failures, persistent-grant
 * release, x86_32 rings, indirect and multi-page rings.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pvkit/arch.h"
#include "pvkit/gntpool.h"
#include "../../../../backends/blk/common.h"
#include "../../../harness/cunit.h"
#include "mock_platform.h"

#define GUEST_PAGES 1024
#define DATA_REF    16   /* data pages start here (ring pages before) */
#define READ_REF    400  /* pages reads land in */
#define IND_REF     1000 /* an indirect segment page */
#define IND_READ_REF 700 /* 256 pages an indirect read lands in */
#define DISK_BYTES  (2u << 20)
#define PORT        3

static struct blkback d;
static struct blk_vbd v;
static struct blk_queue q;
static struct pv_ring_front front;
static char disk_path[] = "/tmp/pvkit-blkback-test-XXXXXX";
/* Serve the file as if it were in memory (tmpfs): reads and writes inline, no io_uring. */
static bool memory_target;

/* Called by the queue thread on a failure or lost feature. */
void blk_kick(struct blkback *dd)
{
	uint64_t one = 1;

	if (write(dd->kick_efd, &one, sizeof(one)) != sizeof(one))
		abort();
}

static int suite_init(void)
{
	int fd = mkstemp(disk_path);

	if (fd < 0 || ftruncate(fd, DISK_BYTES) < 0)
		return -1;
	close(fd);
	d.kick_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d.plat = (struct pv_platform *)&mock; /* any non-NULL handle: the mock ignores it */
	pv_log_set_level(PV_LOG_ERR);
	return mock_guest_init(GUEST_PAGES);
}

static int suite_fini(void)
{
	unlink(disk_path);
	close(d.kick_efd);
	mock_guest_fini();
	return 0;
}

/* Start one queue over a fresh ring of @pages pages. */
static void start(enum blk_abi abi, bool persistent, bool readonly, unsigned int pages)
{
	struct pv_ring_shape shape = blk_abi_shape(abi);

	memset(&v, 0, sizeof(v));
	memset(&q, 0, sizeof(q));
	v.d = &d;
	v.fe_domid = 1;
	v.abi = abi;
	v.persistent = persistent;
	snprintf(v.prefix, sizeof(v.prefix), "vbd-test");
	CU_ASSERT_EQUAL_FATAL(blk_target_open(&v.target, disk_path, readonly, false, 0), 0);
	v.target.memory = memory_target;
	v.limits = (struct blk_limits){
		.size_bytes = v.target.size_bytes, .sector_size = 512, .unit_shift = 9,
		.max_indirect = BLK_MAX_INDIRECT_SEGS, .readonly = readonly,
		.flush = true, .discard = true,
	};
	CU_ASSERT_EQUAL_FATAL(pv_ring_front_init(&front, mock_page(0), pages, &shape), 0);
	q.vbd = &v;
	q.limits = v.limits;
	q.ring_pages = pages;
	for (unsigned int i = 0; i < pages; i++)
		q.ring_refs[i] = i;
	q.remote_port = PORT;
	q.stop_efd = -1;
	snprintf(q.prefix, sizeof(q.prefix), "vbd-test/q0");
	CU_ASSERT_EQUAL_FATAL(blk_queue_start(&q), 0);
}

static void stop(void)
{
	blk_queue_stop(&q);
	blk_target_close(&v.target);
	CU_ASSERT_EQUAL(atomic_load(&mock.mapped), 0); /* every grant released */
}

/* Publish what was put and notify the backend. */
static void send(void)
{
	CU_ASSERT(pv_ring_front_push(&front) >= 0);
	mock_notify_backend(PORT);
}

/* Wait (at most 5 s) for one response; copy it to @rsp (16 bytes of room). */
static int wait_response(void *rsp)
{
	struct pollfd pfd = {.fd = mock.fe_efd, .events = POLLIN};
	uint64_t n;
	int rc;

	for (int i = 0; i < 500; i++) {
		rc = pv_ring_front_get_response(&front, rsp);
		if (rc)
			return rc;
		poll(&pfd, 1, 10);
		if (read(mock.fe_efd, &n, sizeof(n)) < 0)
			continue;
	}
	return 0;
}

/* Send one 64-bit request, return its response status (or -100 on no answer). */
static int roundtrip64(const void *req)
{
	struct pv_blkif_x86_64_response rsp;

	CU_ASSERT_EQUAL(pv_ring_front_put(&front, req), 0);
	send();
	memset(&rsp, 0, sizeof(rsp));
	if (wait_response(&rsp) != 1)
		return -100;
	CU_ASSERT_EQUAL(rsp.id, ((const struct pv_blkif_x86_64_request *)req)->id);
	return rsp.status;
}

static struct pv_blkif_x86_64_request rw(uint8_t op, uint64_t sector, unsigned int nsegs,
					 unsigned int first_ref)
{
	static uint64_t next_id = 1000;
	struct pv_blkif_x86_64_request r;

	memset(&r, 0, sizeof(r));
	r.operation = op;
	r.nr_segments = (uint8_t)nsegs;
	r.id = next_id++;
	r.sector_number = sector;
	for (unsigned int i = 0; i < nsegs && i < PV_BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) {
		r.seg[i].gref = first_ref + i;
		r.seg[i].last_sect = 7;
	}
	return r;
}

static void fill(unsigned int ref, unsigned int pages, unsigned char seed)
{
	unsigned char *p = mock_page(ref);

	for (size_t i = 0; i < (size_t)pages * PV_PAGE_SIZE; i++)
		p[i] = (unsigned char)(seed + i * 7 + i / 4096);
}

static void test_write_read_flush(void)
{
	struct pv_blkif_x86_64_request r;
	unsigned char file[3 * 4096];
	int fd;

	start(BLK_ABI_64, false, false, 1);
	fill(DATA_REF, 3, 0x11);
	r = rw(PV_BLKIF_OP_WRITE, 64, 3, DATA_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	r = rw(PV_BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	memset(mock_page(READ_REF), 0, 3 * 4096);
	r = rw(PV_BLKIF_OP_READ, 64, 3, READ_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(memcmp(mock_page(READ_REF), mock_page(DATA_REF), 3 * 4096), 0);
	fd = open(disk_path, O_RDONLY);
	CU_ASSERT_EQUAL(pread(fd, file, sizeof(file), 64 * 512), (ssize_t)sizeof(file));
	CU_ASSERT_EQUAL(memcmp(file, mock_page(DATA_REF), sizeof(file)), 0);
	close(fd);
	/* A partial segment: sectors 2..5 of one page. */
	r = rw(PV_BLKIF_OP_READ, 66, 1, READ_REF + 5);
	r.seg[0].first_sect = 2;
	r.seg[0].last_sect = 5;
	memset(mock_page(READ_REF + 5), 0, 4096);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(memcmp((unsigned char *)mock_page(READ_REF + 5) + 1024,
			       (unsigned char *)mock_page(DATA_REF) + 1024, 2048), 0);
	stop();
}

static void test_flush_with_data(void)
{
	struct pv_blkif_x86_64_request r;

	start(BLK_ABI_64, false, false, 1);
	fill(DATA_REF, 1, 0x5a);
	r = rw(PV_BLKIF_OP_FLUSH_DISKCACHE, 800, 1, DATA_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	r = rw(PV_BLKIF_OP_READ, 800, 1, READ_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(memcmp(mock_page(READ_REF), mock_page(DATA_REF), 4096), 0);
	stop();
}

static void test_discard(void)
{
	struct pv_blkif_x86_64_request r;
	struct pv_blkif_x86_64_request_discard *dr = (void *)&r;
	unsigned char zero[4096] = {0};

	start(BLK_ABI_64, false, false, 1);
	fill(DATA_REF, 2, 0x77);
	r = rw(PV_BLKIF_OP_WRITE, 1024, 2, DATA_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	memset(&r, 0, sizeof(r));
	dr->operation = PV_BLKIF_OP_DISCARD;
	dr->id = 4;
	dr->sector_number = 1024;
	dr->nr_sectors = 8;
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	r = rw(PV_BLKIF_OP_READ, 1024, 2, READ_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(memcmp(mock_page(READ_REF), zero, 4096), 0);
	CU_ASSERT_EQUAL(memcmp(mock_page(READ_REF + 1), mock_page(DATA_REF + 1), 4096), 0);
	/* Secure, not offered on a file: the flag is ignored (blkif.h), a plain discard. */
	fill(DATA_REF, 1, 0x78);
	r = rw(PV_BLKIF_OP_WRITE, 2048, 1, DATA_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	memset(&r, 0, sizeof(r));
	dr->operation = PV_BLKIF_OP_DISCARD;
	dr->flag = PV_BLKIF_DISCARD_SECURE;
	dr->id = 5;
	dr->sector_number = 2048;
	dr->nr_sectors = 8;
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	r = rw(PV_BLKIF_OP_READ, 2048, 1, READ_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(memcmp(mock_page(READ_REF), zero, 4096), 0);
	stop();
}

/* Each hostile request is answered, and the queue keeps serving. */
static void test_hostile_requests(void)
{
	struct pv_blkif_x86_64_request r;
	int failures;

	start(BLK_ABI_64, false, false, 1);
	r = rw(PV_BLKIF_OP_READ, 0, 12, DATA_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_ERROR);
	r = rw(PV_BLKIF_OP_WRITE, 0, 0, DATA_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_ERROR);
	r = rw(0x42, 0, 1, DATA_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_EOPNOTSUPP);
	r = rw(PV_BLKIF_OP_WRITE_BARRIER, 0, 1, DATA_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_EOPNOTSUPP);
	r = rw(PV_BLKIF_OP_READ, DISK_BYTES / 512 - 4, 1, DATA_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_ERROR);
	r = rw(PV_BLKIF_OP_READ, UINT64_MAX - 2, 1, DATA_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_ERROR);
	r = rw(PV_BLKIF_OP_READ, 0, 2, DATA_REF);
	r.seg[1].first_sect = 6;
	r.seg[1].last_sect = 1;
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_ERROR);
	/* A bad grant in the middle of a batch: nothing stays mapped. */
	failures = atomic_load(&mock.map_failures);
	r = rw(PV_BLKIF_OP_READ, 0, 3, DATA_REF);
	r.seg[1].gref = 99999;
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_ERROR);
	CU_ASSERT_EQUAL(atomic_load(&mock.map_failures), failures + 1);
	CU_ASSERT_EQUAL(atomic_load(&mock.mapped), 1); /* only the ring */
	/* A read into a page granted read-only cannot be mapped writable. */
	mock.readonly[READ_REF] = 1;
	r = rw(PV_BLKIF_OP_READ, 0, 1, READ_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_ERROR);
	mock.readonly[READ_REF] = 0;
	/* Still serving. */
	r = rw(PV_BLKIF_OP_READ, 0, 1, READ_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(atomic_load(&q.failed), 0);
	stop();
}

static void test_readonly_disk(void)
{
	struct pv_blkif_x86_64_request r;

	start(BLK_ABI_64, false, true, 1);
	r = rw(PV_BLKIF_OP_WRITE, 0, 1, DATA_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_ERROR);
	r = rw(PV_BLKIF_OP_READ, 0, 1, READ_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	stop();
}

/* req_prod far ahead: the queue reports a protocol error and stops consuming. */
static void test_producer_overflow(void)
{
	struct pollfd pfd = {.fd = d.kick_efd, .events = POLLIN};
	uint64_t n;

	start(BLK_ABI_64, false, false, 1);
	((struct pv_sring_hdr *)mock_page(0))->req_prod = 1000;
	mock_notify_backend(PORT);
	CU_ASSERT_EQUAL(poll(&pfd, 1, 5000), 1);
	CU_ASSERT_EQUAL(read(d.kick_efd, &n, sizeof(n)), (ssize_t)sizeof(n));
	CU_ASSERT_EQUAL(atomic_load(&q.failed), 1);
	stop();
}

/* A 1 MiB INDIRECT write and read back, 256 segments in one indirect page. */
static void test_indirect(void)
{
	struct pv_blkif_x86_64_request r;
	struct pv_blkif_x86_64_request_indirect *ir = (void *)&r;
	struct pv_blkif_indirect_page *ind = mock_page(IND_REF);

	start(BLK_ABI_64, false, false, 1);
	fill(DATA_REF + 100, 256, 0x33);
	for (int pass = 0; pass < 2; pass++) {
		memset(ind, 0, 4096);
		for (unsigned int i = 0; i < 256; i++) {
			ind->seg[i].gref = (pass ? IND_READ_REF : DATA_REF + 100) + i;
			ind->seg[i].last_sect = 7;
		}
		memset(&r, 0, sizeof(r));
		ir->operation = PV_BLKIF_OP_INDIRECT;
		ir->indirect_op = pass ? PV_BLKIF_OP_READ : PV_BLKIF_OP_WRITE;
		ir->nr_segments = 256;
		ir->id = 7000 + pass;
		ir->sector_number = 2048;
		ir->indirect_grefs[0] = IND_REF;
		if (pass)
			memset(mock_page(IND_READ_REF), 0, 256 * 4096);
		CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	}
	CU_ASSERT_EQUAL(memcmp(mock_page(IND_READ_REF), mock_page(DATA_REF + 100), 256 * 4096), 0);
	/* 257 segments: more than negotiated. */
	ir->nr_segments = 257;
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_ERROR);
	stop();
}

/* The x86_32 layout end to end: 108-byte requests, 12-byte responses. */
static void test_x86_32_ring(void)
{
	unsigned char raw[108], rsp[16];
	uint64_t id = 0xfeedface12345678ull, sector = 128;
	struct pv_blkif_request_segment s = {.gref = DATA_REF, .first_sect = 0, .last_sect = 7};
	int16_t status = 99;

	start(BLK_ABI_32, false, false, 1);
	CU_ASSERT_EQUAL(pv_ring_front_size(&front), 32);
	fill(DATA_REF, 1, 0x42);
	memset(raw, 0, sizeof(raw));
	raw[0] = PV_BLKIF_OP_WRITE;
	raw[1] = 1;
	memcpy(raw + 4, &id, 8);
	memcpy(raw + 12, &sector, 8);
	memcpy(raw + 20, &s, 8);
	CU_ASSERT_EQUAL(pv_ring_front_put(&front, raw), 0);
	send();
	memset(rsp, 0xaa, sizeof(rsp));
	CU_ASSERT_EQUAL(wait_response(rsp), 1);
	CU_ASSERT_EQUAL(memcmp(rsp, &id, 8), 0);
	CU_ASSERT_EQUAL(rsp[8], PV_BLKIF_OP_WRITE);
	CU_ASSERT_EQUAL(rsp[9], 0);
	memcpy(&status, rsp + 10, 2);
	CU_ASSERT_EQUAL(status, PV_BLKIF_RSP_OKAY);
	stop();
}

/* Persistent grants stay mapped across requests and are released at teardown. */
static void test_persistent(void)
{
	struct pv_blkif_x86_64_request r;

	start(BLK_ABI_64, true, false, 1);
	fill(DATA_REF, 4, 0x99);
	r = rw(PV_BLKIF_OP_WRITE, 512, 4, DATA_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	r = rw(PV_BLKIF_OP_READ, 512, 4, DATA_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(atomic_load(&mock.mapped), 1 + 4); /* ring + 4 cached */
	r = rw(PV_BLKIF_OP_READ, 512, 4, READ_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(memcmp(mock_page(READ_REF), mock_page(DATA_REF), 4 * 4096), 0);
	CU_ASSERT_EQUAL(pv_gnt_cache_count(q.pgrants), 8);
	stop(); /* asserts nothing is left mapped (XSA-371) */
}

/* A 4-page ring (128 slots), many requests in flight at once. */
static void test_multipage_many_inflight(void)
{
	struct pv_blkif_x86_64_response rsp;
	struct pv_blkif_x86_64_request r;
	unsigned int got = 0, ok = 0;

	start(BLK_ABI_64, false, false, 4);
	CU_ASSERT_EQUAL(pv_ring_front_size(&front), 128);
	for (unsigned int i = 0; i < 128; i++) {
		r = rw(i % 2 ? PV_BLKIF_OP_READ : PV_BLKIF_OP_WRITE, (uint64_t)i * 8, 1,
		       DATA_REF + (i % 200));
		CU_ASSERT_EQUAL(pv_ring_front_put(&front, &r), 0);
	}
	send();
	while (got < 128 && wait_response(&rsp) == 1) {
		got++;
		ok += rsp.status == PV_BLKIF_RSP_OKAY;
	}
	CU_ASSERT_EQUAL(got, 128);
	CU_ASSERT_EQUAL(ok, 128);
	stop();
}

/*
 * A file in memory (tmpfs): reads and writes are done inline, not through
 * io_uring; the same requests give the same answers, the queue thread
 * busy-polls (the longest window, so it grows during the test), and a read
 * past a file that shrank under us is an error (short transfer), not a hang.
 */
static void test_memory_target(void)
{
	struct pv_blkif_x86_64_request r;

	memory_target = true;
	d.busypoll_ns = PV_BUSYPOLL_MAX_NS;
	test_write_read_flush();
	test_flush_with_data();
	test_hostile_requests();
	test_indirect();
	test_persistent();
	test_multipage_many_inflight();
	start(BLK_ABI_64, false, false, 1);
	CU_ASSERT_EQUAL_FATAL(truncate(disk_path, 4096), 0);
	r = rw(PV_BLKIF_OP_READ, 64, 1, READ_REF);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_ERROR);
	CU_ASSERT_EQUAL(truncate(disk_path, DISK_BYTES), 0);
	stop();
	memory_target = false;
	d.busypoll_ns = 0;
}

/* A store that cannot flush: EOPNOTSUPP, the feature reported lost, writes go O_DSYNC. */
static void test_flush_unsupported(void)
{
	struct pollfd pfd = {.fd = d.kick_efd, .events = POLLIN};
	struct pv_blkif_x86_64_request r;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	uint64_t n;

	start(BLK_ABI_64, false, false, 1);
	CU_ASSERT_FATAL(null >= 0);
	CU_ASSERT_FATAL(dup2(null, v.target.fd) == v.target.fd); /* fsync(/dev/null) is EINVAL */
	close(null);
	r = rw(PV_BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0);
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_EOPNOTSUPP);
	CU_ASSERT_EQUAL(poll(&pfd, 1, 5000), 1);
	CU_ASSERT_EQUAL(read(d.kick_efd, &n, sizeof(n)), (ssize_t)sizeof(n));
	CU_ASSERT_EQUAL(atomic_load(&q.lost), BLK_LOST_FLUSH);
	r = rw(PV_BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0); /* refused up front from now on */
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_EOPNOTSUPP);
	r = rw(PV_BLKIF_OP_WRITE, 0, 1, DATA_REF); /* written with RWF_DSYNC instead */
	CU_ASSERT_EQUAL(roundtrip64(&r), PV_BLKIF_RSP_OKAY);
	stop();
}

static atomic_int flip_stop;

/* The hostile frontend's second thread: rewrites every published slot, forever. */
static void *flipper(void *arg)
{
	volatile unsigned char *slots = (unsigned char *)mock_page(0) + 64;

	(void)arg;
	while (!atomic_load(&flip_stop)) {
		for (unsigned int i = 0; i < 32; i++) {
			volatile unsigned char *s = slots + i * sizeof(union pv_blkif_sring_entry);

			s[1] ^= 1 ^ 200;            /* nr_segments 1 <-> 200 */
			s[26] ^= 0x40;              /* the first grant: valid <-> unmappable */
			s[28] ^= 6;                 /* first_sect 0 <-> 6 */
			s[29] ^= 7 ^ 2;             /* last_sect 7 <-> 2 */
		}
	}
	return NULL;
}

/* XSA-155: slots rewritten while the backend consumes; it acts on its copy only. */
static void test_double_fetch(void)
{
	struct pv_blkif_x86_64_response rsp;
	struct pv_blkif_x86_64_request r;
	unsigned int got = 0, sane = 0;
	pthread_t t;

	start(BLK_ABI_64, false, false, 1);
	for (int round = 0; round < 20; round++) {
		atomic_store(&flip_stop, 0);
		for (unsigned int i = 0; i < 32; i++) {
			r = rw(PV_BLKIF_OP_READ, (uint64_t)i * 8, 1, DATA_REF + i);
			pv_ring_front_put(&front, &r);
		}
		CU_ASSERT_FATAL(pthread_create(&t, NULL, flipper, NULL) == 0);
		send();
		for (unsigned int i = 0; i < 32 && wait_response(&rsp) == 1; i++) {
			got++;
			sane += rsp.status == PV_BLKIF_RSP_OKAY || rsp.status == PV_BLKIF_RSP_ERROR;
		}
		atomic_store(&flip_stop, 1);
		pthread_join(t, NULL);
	}
	CU_ASSERT_EQUAL(got, 20 * 32);
	CU_ASSERT_EQUAL(sane, got);
	CU_ASSERT_EQUAL(atomic_load(&q.failed), 0);
	stop(); /* and nothing stays mapped */
}

/* The second thread for indirect requests: rewrites the shared indirect page, forever. */
static void *indirect_flipper(void *arg)
{
	struct pv_blkif_indirect_page *page = mock_page(IND_REF);
	volatile struct pv_blkif_request_segment *seg = page->seg;

	(void)arg;
	while (!atomic_load(&flip_stop)) {
		for (unsigned int i = 0; i < 256; i++) {
			seg[i].gref ^= 0x40000;          /* mappable <-> far outside the guest */
			seg[i].first_sect ^= 6;          /* 0 <-> 6 */
			seg[i].last_sect ^= 7 ^ 2;       /* 7 <-> 2: first past last half the time */
		}
	}
	return NULL;
}

/*
 * XSA-155 through the indirect page: it is shared too, so the backend must
 * copy the segments out before it validates them. A second thread rewrites
 * every segment while 1 MiB indirect reads and writes are consumed; each is
 * answered OKAY or ERROR, under ASan nothing is touched out of bounds.
 */
static void test_indirect_double_fetch(void)
{
	struct pv_blkif_x86_64_response rsp;
	struct pv_blkif_x86_64_request r;
	struct pv_blkif_x86_64_request_indirect *ir = (void *)&r;
	struct pv_blkif_indirect_page *ind = mock_page(IND_REF);
	unsigned int got = 0, sane = 0;
	pthread_t t;

	start(BLK_ABI_64, false, false, 1);
	for (int round = 0; round < 20; round++) {
		for (unsigned int i = 0; i < 256; i++)
			ind->seg[i] = (struct pv_blkif_request_segment){.gref = DATA_REF + 100 + i,
									.last_sect = 7};
		atomic_store(&flip_stop, 0);
		for (unsigned int i = 0; i < 8; i++) {
			memset(&r, 0, sizeof(r));
			ir->operation = PV_BLKIF_OP_INDIRECT;
			ir->indirect_op = i % 2 ? PV_BLKIF_OP_READ : PV_BLKIF_OP_WRITE;
			ir->nr_segments = 256;
			ir->id = 9000 + i;
			ir->sector_number = (uint64_t)i * 2048 % (DISK_BYTES / 512 - 2048);
			ir->indirect_grefs[0] = IND_REF;
			pv_ring_front_put(&front, &r);
		}
		CU_ASSERT_FATAL(pthread_create(&t, NULL, indirect_flipper, NULL) == 0);
		send();
		for (unsigned int i = 0, seen = 0; i < 8 && wait_response(&rsp) == 1; i++) {
			unsigned int bit = rsp.id - 9000 < 8 ? 1u << (rsp.id - 9000) : 0;

			got++;
			sane += (rsp.status == PV_BLKIF_RSP_OKAY || rsp.status == PV_BLKIF_RSP_ERROR) &&
				bit && !(seen & bit); /* each id once, in any order */
			seen |= bit;
		}
		atomic_store(&flip_stop, 1);
		pthread_join(t, NULL);
	}
	CU_ASSERT_EQUAL(got, 20 * 8);
	CU_ASSERT_EQUAL(sane, got);
	CU_ASSERT_EQUAL(atomic_load(&q.failed), 0);
	stop(); /* and nothing stays mapped */
}

/*
 * XSA-216: responses carry no uninitialised byte. The ring's slots are
 * filled with 0xAA before each request; after the answer, the response's
 * padding and the rest of its slot are zero, in both request layouts.
 */
static void test_response_bytes(void)
{
	for (int abi = 0; abi < 2; abi++) {
		struct pv_ring_shape shape = blk_abi_shape(abi ? BLK_ABI_32 : BLK_ABI_64);
		unsigned char *slots = (unsigned char *)mock_page(0) + 64, raw[112], rsp[16];
		uint8_t ops[3] = {PV_BLKIF_OP_READ, 77 /* unknown: EOPNOTSUPP */, PV_BLKIF_OP_FLUSH_DISKCACHE};
		unsigned int bad = 0;

		start(abi ? BLK_ABI_32 : BLK_ABI_64, false, false, 1);
		for (unsigned int i = 0; i < 3; i++) {
			struct pv_blkif_request_segment s = {.gref = READ_REF, .last_sect = 7};
			uint64_t id = 0x1122334455667700ull + i;
			unsigned char *slot = slots + (size_t)i * shape.slot_size;

			memset(slots, 0xAA, (size_t)pv_ring_front_size(&front) * shape.slot_size);
			/* Both layouts: operation, nr_segments, handle, id, sector, segments. */
			memset(raw, 0, sizeof(raw));
			raw[0] = ops[i];
			raw[1] = ops[i] == PV_BLKIF_OP_READ;
			memcpy(raw + (abi ? 4 : 8), &id, 8);
			memcpy(raw + (abi ? 20 : 24), &s, sizeof(s));
			CU_ASSERT_EQUAL(pv_ring_front_put(&front, raw), 0);
			send();
			CU_ASSERT_EQUAL_FATAL(wait_response(rsp), 1);
			CU_ASSERT_EQUAL(memcmp(rsp, &id, 8), 0);
			CU_ASSERT_EQUAL(rsp[8], ops[i]);
			bad += rsp[9] != 0; /* padding after the operation */
			for (size_t b = 12; b < shape.slot_size; b++)
				bad += slot[b] != 0; /* padding (x86_64) and the slot's tail */
		}
		CU_ASSERT_EQUAL(bad, 0);
		stop();
	}
}

/*
 * A file's geometry: physical-sector-size 4096 only where the size is a
 * multiple of it (blkif.h: sectors x sector-size must be a multiple of
 * physical-sector-size), else the logical size; a partial sector dropped.
 */
static void test_file_geometry(void)
{
	static const struct {
		off_t size;
		uint32_t ss;
		uint64_t bytes;
		uint32_t pss;
	} cases[] = {
		{1 << 20, 512, 1 << 20, 4096},
		{(1 << 20) + 512, 512, (1 << 20) + 512, 512},
		{(1 << 20) + 700, 512, (1 << 20) + 512, 512},
		{(1 << 20) + 5000, 4096, (1 << 20) + 4096, 4096},
	};
	char path[] = "/tmp/pvkit-blk-geom-XXXXXX";
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct blk_target t;

		CU_ASSERT_EQUAL_FATAL(ftruncate(fd, cases[i].size), 0);
		CU_ASSERT_EQUAL_FATAL(blk_target_open(&t, path, false, false, cases[i].ss), 0);
		CU_ASSERT_EQUAL(t.size_bytes, cases[i].bytes);
		CU_ASSERT_EQUAL(t.sector_size, cases[i].ss);
		CU_ASSERT_EQUAL(t.physical_sector_size, cases[i].pss);
		CU_ASSERT_EQUAL(t.size_bytes % t.physical_sector_size, 0);
		blk_target_close(&t);
	}
	close(fd);
	unlink(path);
}

static CU_TestInfo blkback_tests[] = {
	{"write, flush, read back", test_write_read_flush},
	{"flush carrying data", test_flush_with_data},
	{"discard punches a hole", test_discard},
	{"hostile requests answered, queue survives", test_hostile_requests},
	{"read-only disk", test_readonly_disk},
	{"producer index overflow fails the queue", test_producer_overflow},
	{"indirect 1 MiB requests", test_indirect},
	{"x86_32 ring", test_x86_32_ring},
	{"persistent grants released", test_persistent},
	{"multi-page ring, 128 in flight", test_multipage_many_inflight},
	{"file in memory: inline reads and writes, busy polling", test_memory_target},
	{"store without flush: EOPNOTSUPP, feature lost", test_flush_unsupported},
	{"slots rewritten while consumed (XSA-155)", test_double_fetch},
	{"indirect page rewritten while consumed (XSA-155)", test_indirect_double_fetch},
	{"response slots fully defined (XSA-216)", test_response_bytes},
	{"file geometry: physical sector size divides the size", test_file_geometry},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"blkback-datapath", suite_init, suite_fini, NULL, NULL, blkback_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

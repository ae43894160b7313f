/* SPDX-License-Identifier: MIT */
/*
 * pvkit-blkback end to end: a guest domain with three disks served by a
 * real pvkit-blkback under pvkitd and pvkit-xenstored. Normal I/O, every
 * hostile request, a ring protocol error that closes one disk while the
 * others work, reconnect, and kill -9 + restart keeping a flushed write.
 * Usage: blkback-test RUNDIR BLKBACK-BINARY [DEV512 DEV4096] (the latter: block devices)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pvkit/local.h"
#include "pvkit/stats.h"
#include "pvkit/proto/xenbus.h"
#include "blkback_front.h"

#define DISK_BYTES (4u << 20)

static int failed;
static const char *rundir;
static struct tenv env;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failed += !ok;
}

static bool blkback_alive(void)
{
	return env.blkback_pid > 0 && waitpid(env.blkback_pid, NULL, WNOHANG) == 0;
}

/* Create @path of @bytes filled with a byte pattern. */
static int make_image(const char *path)
{
	static unsigned char buf[65536];
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	for (unsigned int off = 0; off < DISK_BYTES; off += sizeof(buf)) {
		for (unsigned int i = 0; i < sizeof(buf); i++)
			buf[i] = (unsigned char)((off + i) / 512);
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return -EIO;
	}
	close(fd);
	return 0;
}

static void fill(struct tfront *f, unsigned int page, unsigned int n, unsigned char seed)
{
	for (size_t i = 0; i < (size_t)n * 4096; i++)
		tf_page(f, page)[i] = (unsigned char)(seed ^ (i * 13) ^ (i >> 12));
}

static bool image_has(const char *image, uint64_t off, const void *want, size_t len)
{
	unsigned char *buf = malloc(len);
	int fd = open(image, O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && buf && pread(fd, buf, len, (off_t)off) == (ssize_t)len &&
		  !memcmp(buf, want, len);

	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

static bool be_node_is(struct tfront *f, const char *key, const char *want)
{
	char *v = tf_be_read(f, key);
	bool ok = v && !strcmp(v, want);

	free(v);
	return ok;
}

/* The features and geometry a Linux blkfront reads. */
static void case_nodes(struct tfront *a, struct tfront *c)
{
	char *v = tf_be_read(a, "feature-max-indirect-segments");

	check(be_node_is(a, "feature-barrier", "0"), "feature-barrier is 0");
	check(be_node_is(a, "feature-flush-cache", "1"), "feature-flush-cache is 1");
	check(be_node_is(a, "feature-discard", "1"), "feature-discard is 1");
	check(be_node_is(a, "feature-persistent", "1"), "feature-persistent is 1");
	check(v && atoi(v) >= 256, "feature-max-indirect-segments >= 256");
	free(v);
	v = tf_be_read(a, "max-ring-page-order");
	check(v && atoi(v) >= 4, "max-ring-page-order >= 4");
	free(v);
	check(be_node_is(a, "sector-size", "512"), "sector-size 512");
	check(a->sectors == DISK_BYTES / 512, "sectors = image size / 512 (%llu)",
	      (unsigned long long)a->sectors);
	check(be_node_is(a, "info", "0") && be_node_is(c, "info", "4"),
	      "info: read-write 0, read-only VDISK_READONLY");
}

static void case_normal_io(struct tfront *f, const char *image, const char *what)
{
	struct pv_blkif_x86_64_request q;
	struct pv_blkif_x86_64_request_discard *d = (void *)&q;
	unsigned char zero[4096] = {0};

	fill(f, 0, 11, 0x3c);
	check(tf_rw(f, PV_BLKIF_OP_WRITE, 80, 11, 0) == PV_BLKIF_RSP_OKAY, "%s: write 11 pages", what);
	check(tf_rw(f, PV_BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0) == PV_BLKIF_RSP_OKAY, "%s: flush", what);
	memset(tf_page(f, 20), 0, 11 * 4096);
	check(tf_rw(f, PV_BLKIF_OP_READ, 80, 11, 20) == PV_BLKIF_RSP_OKAY &&
		      !memcmp(tf_page(f, 20), tf_page(f, 0), 11 * 4096),
	      "%s: read back equal", what);
	check(image_has(image, 80 * 512, tf_page(f, 0), 11 * 4096), "%s: the image holds the data", what);
	memset(&q, 0, sizeof(q));
	d->operation = PV_BLKIF_OP_DISCARD;
	d->id = f->next_id++;
	d->sector_number = 88;
	d->nr_sectors = 8;
	if (!f->x86_32)
		check(tf_send(f, &q) == PV_BLKIF_RSP_OKAY && image_has(image, 88 * 512, zero, 4096),
		      "%s: discard reads back as zeros", what);
}

static void case_indirect(struct tfront *f)
{
	struct pv_blkif_x86_64_request q;
	struct pv_blkif_x86_64_request_indirect *ind = (void *)&q;
	struct pv_blkif_indirect_page *page = (void *)tf_page(f, 299);
	int st[2];

	fill(f, 0, 128, 0x71);
	for (int pass = 0; pass < 2; pass++) {
		memset(page, 0, 4096);
		for (unsigned int i = 0; i < 128; i++) {
			page->seg[i].gref = f->data_refs[(pass ? 140 : 0) + i];
			page->seg[i].last_sect = 7;
		}
		memset(&q, 0, sizeof(q));
		ind->operation = PV_BLKIF_OP_INDIRECT;
		ind->indirect_op = pass ? PV_BLKIF_OP_READ : PV_BLKIF_OP_WRITE;
		ind->nr_segments = 128;
		ind->id = f->next_id++;
		ind->sector_number = 4096;
		ind->indirect_grefs[0] = f->data_refs[299];
		st[pass] = tf_send(f, &q);
	}
	check(st[0] == 0 && st[1] == 0 && !memcmp(tf_page(f, 140), tf_page(f, 0), 128 * 4096),
	      "indirect: 512 KiB written and read back");
}

/*
 * An INDIRECT request of @nsegs segments at sector 0, each the page of
 * data_refs[0] up to sector @last, listed in the page of data_refs[299]
 * (granted as @ind_ref).
 */
static int send_indirect(struct tfront *f, uint8_t op, uint16_t nsegs, pv_grant_ref_t ind_ref,
			 uint8_t last)
{
	struct pv_blkif_x86_64_request q;
	struct pv_blkif_x86_64_request_indirect *ind = (void *)&q;
	struct pv_blkif_indirect_page *page = (void *)tf_page(f, 299);

	memset(page, 0, 4096);
	for (unsigned int i = 0; i < 512; i++)
		page->seg[i] = (struct pv_blkif_request_segment){.gref = f->data_refs[0],
								 .last_sect = last};
	memset(&q, 0, sizeof(q));
	ind->operation = PV_BLKIF_OP_INDIRECT;
	ind->indirect_op = op;
	ind->nr_segments = nsegs;
	ind->id = f->next_id++;
	ind->indirect_grefs[0] = ind->indirect_grefs[1] = ind_ref;
	return tf_send(f, &q);
}

/* The indirect form of the hostile requests: counts, operation, its page, its segments. */
static void case_hostile_indirect(struct tfront *f)
{
	pv_grant_ref_t ind = f->data_refs[299];

	check(send_indirect(f, PV_BLKIF_OP_READ, 0, ind, 7) == PV_BLKIF_RSP_ERROR,
	      "hostile: indirect with 0 segments -> error");
	check(send_indirect(f, PV_BLKIF_OP_READ, 257, ind, 7) == PV_BLKIF_RSP_ERROR,
	      "hostile: indirect with 257 segments (more than offered) -> error");
	check(send_indirect(f, PV_BLKIF_OP_FLUSH_DISKCACHE, 1, ind, 7) == PV_BLKIF_RSP_ERROR,
	      "hostile: indirect carrying a flush -> error");
	check(send_indirect(f, PV_BLKIF_OP_READ, 4, 65000, 7) == PV_BLKIF_RSP_ERROR,
	      "hostile: an indirect page that does not map -> error");
	check(send_indirect(f, PV_BLKIF_OP_READ, 3, ind, 8) == PV_BLKIF_RSP_ERROR,
	      "hostile: indirect segments past their page -> error");
	check(send_indirect(f, PV_BLKIF_OP_READ, 256, ind, 7) == PV_BLKIF_RSP_OKAY,
	      "after them, a 256-segment indirect read works");
}

static void case_hostile(struct tfront *f)
{
	struct pv_blkif_x86_64_request q;

	check(tf_rw(f, PV_BLKIF_OP_READ, 0, 12, 0) == PV_BLKIF_RSP_ERROR, "hostile: 12 segments -> error");
	check(tf_rw(f, PV_BLKIF_OP_WRITE, 0, 0, 0) == PV_BLKIF_RSP_ERROR, "hostile: 0 segments -> error");
	check(tf_rw(f, 0x55, 0, 1, 0) == PV_BLKIF_RSP_EOPNOTSUPP, "hostile: unknown opcode -> EOPNOTSUPP");
	check(tf_rw(f, PV_BLKIF_OP_WRITE_BARRIER, 0, 1, 0) == PV_BLKIF_RSP_EOPNOTSUPP,
	      "hostile: barrier -> EOPNOTSUPP");
	check(tf_rw(f, PV_BLKIF_OP_READ, DISK_BYTES / 512 - 7, 1, 0) == PV_BLKIF_RSP_ERROR,
	      "hostile: range past the end -> error");
	check(tf_rw(f, PV_BLKIF_OP_READ, UINT64_MAX - 3, 1, 0) == PV_BLKIF_RSP_ERROR,
	      "hostile: sector overflow -> error");
	memset(&q, 0, sizeof(q));
	q.operation = PV_BLKIF_OP_READ;
	q.nr_segments = 1;
	q.id = f->next_id++;
	q.seg[0].gref = f->data_refs[0];
	q.seg[0].first_sect = 5;
	q.seg[0].last_sect = 2;
	check(tf_send(f, &q) == PV_BLKIF_RSP_ERROR, "hostile: first_sect > last_sect -> error");
	q.id = f->next_id++;
	q.seg[0].first_sect = 0;
	q.seg[0].last_sect = 8;
	check(tf_send(f, &q) == PV_BLKIF_RSP_ERROR, "hostile: last_sect past the page -> error");
	q.id = f->next_id++;
	q.seg[0].last_sect = 7;
	q.seg[0].gref = 65000; /* never granted */
	check(tf_send(f, &q) == PV_BLKIF_RSP_ERROR, "hostile: a grant that does not map -> error");
	case_hostile_indirect(f);
	check(tf_rw(f, PV_BLKIF_OP_READ, 0, 1, 0) == PV_BLKIF_RSP_OKAY, "after them, I/O still works");
}

/* A producer index a ring ahead closes this disk only. */
static void case_overflow(struct tfront *a, struct tfront *b)
{
	char *err;

	a->q[0].front.v.sring->req_prod += 1000;
	pv_evtchn_notify(a->q[0].ev, (pv_evtchn_port_t)a->q[0].port);
	check(tf_wait_be_state(a, PV_XENBUS_STATE_CLOSING, 5000), "overflow: the disk goes Closing");
	err = tf_be_read(a, "error");
	check(err && strlen(err) > 0, "overflow: the error node says why (%s)", err ? err : "");
	free(err);
	check(blkback_alive(), "overflow: the daemon keeps running");
	check(tf_rw(b, PV_BLKIF_OP_READ, 0, 1, 0) == PV_BLKIF_RSP_OKAY, "overflow: the other disk works");
	check(tf_reconnect_prepare(a) == 0 && tf_connect(a) == 0, "overflow: the disk reconnects");
	check(tf_rw(a, PV_BLKIF_OP_READ, 0, 1, 0) == PV_BLKIF_RSP_OKAY, "after reconnecting, I/O works");
}

/* Re-issue the 16 writes that were in flight at the kill; they read back right. */
static void reissue(struct tfront *a)
{
	int ok = 0;

	for (unsigned int j = 0; j < 16; j++)
		ok += tf_rw(a, PV_BLKIF_OP_WRITE, 3000 + j * 8, 1, 30 + j) == 0;
	memset(tf_page(a, 60), 0, 16 * 4096);
	for (unsigned int j = 0; j < 16; j++)
		ok += tf_rw(a, PV_BLKIF_OP_READ, 3000 + j * 8, 1, 60 + j) == 0;
	check(ok == 32 && !memcmp(tf_page(a, 60), tf_page(a, 30), 16 * 4096),
	      "restart: writes in flight at the kill, re-issued, read back right");
}

/* kill -9, restart: the frontends reconnect; the flushed write is there. */
static void case_restart(struct tfront *a, struct tfront *b, const char *image)
{
	fill(a, 0, 4, 0xe1);
	check(tf_rw(a, PV_BLKIF_OP_WRITE, 1000, 4, 0) == 0 &&
		      tf_rw(a, PV_BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0) == 0,
	      "restart: write and flush acknowledged");
	/* Writes in flight when the daemon dies: re-issued after the reconnect. */
	fill(a, 30, 16, 0x9d);
	for (unsigned int j = 0; j < 16; j++) {
		struct pv_blkif_x86_64_request q = tf_req(a, PV_BLKIF_OP_WRITE, 3000 + j * 8, 1, 30 + j);

		tf_post(a, 0, &q);
	}
	kill(env.blkback_pid, SIGKILL);
	waitpid(env.blkback_pid, NULL, 0);
	check(image_has(image, 1000 * 512, tf_page(a, 0), 4 * 4096), "restart: the image holds the flushed write");
	tenv_start_blkback(&env, true); /* now with O_DIRECT (the images are not on tmpfs) */
	check(tf_wait_be_state(a, PV_XENBUS_STATE_INIT_WAIT, 10000) &&
		      tf_wait_be_state(b, PV_XENBUS_STATE_INIT_WAIT, 10000),
	      "restart: the new daemon asks both frontends to reconnect (InitWait)");
	check(tf_reconnect_prepare(a) == 0 && tf_connect(a) == 0 && tf_reconnect_prepare(b) == 0 &&
		      tf_connect(b) == 0,
	      "restart: both reconnect");
	memset(tf_page(a, 10), 0, 4 * 4096);
	check(tf_rw(a, PV_BLKIF_OP_READ, 1000, 4, 10) == 0 &&
		      !memcmp(tf_page(a, 10), tf_page(a, 0), 4 * 4096),
	      "restart: the flushed write reads back");
	check(tf_rw(b, PV_BLKIF_OP_READ, 0, 1, 0) == 0, "restart: the other disk works");
	reissue(a);
}

/* Two queues of 16-page rings: each queue its own ring, thread and channel. */
static void case_multiqueue(struct tfront *f)
{
	struct pv_blkif_x86_64_request q;

	fill(f, 0, 2, 0x5e);
	memset(&q, 0, sizeof(q));
	q.operation = PV_BLKIF_OP_WRITE;
	q.nr_segments = 2;
	q.id = f->next_id++;
	q.sector_number = 320;
	for (int i = 0; i < 2; i++) {
		q.seg[i].gref = f->data_refs[i];
		q.seg[i].last_sect = 7;
	}
	check(tf_send_on(f, 0, &q) == 0, "multi-queue: write on queue 0");
	q.operation = PV_BLKIF_OP_READ;
	q.id = f->next_id++;
	q.seg[0].gref = f->data_refs[10];
	q.seg[1].gref = f->data_refs[11];
	memset(tf_page(f, 10), 0, 2 * 4096);
	check(tf_send_on(f, 1, &q) == 0 && !memcmp(tf_page(f, 10), tf_page(f, 0), 2 * 4096),
	      "multi-queue: read back on queue 1");
}

/* A 4096-byte-sector disk addressed in 512-byte units: only whole pages. */
static void case_4k_sectors(struct tfront *f)
{
	struct pv_blkif_x86_64_request q;

	check(be_node_is(f, "sector-size", "4096"), "4 KiB disk: sector-size 4096");
	check(tf_rw(f, PV_BLKIF_OP_WRITE, 16, 2, 0) == 0, "4 KiB disk: aligned write");
	check(tf_rw(f, PV_BLKIF_OP_READ, 4, 1, 0) == PV_BLKIF_RSP_ERROR,
	      "4 KiB disk: a misaligned sector -> error");
	memset(&q, 0, sizeof(q));
	q.operation = PV_BLKIF_OP_READ;
	q.nr_segments = 1;
	q.id = f->next_id++;
	q.seg[0].gref = f->data_refs[0];
	q.seg[0].last_sect = 3;
	check(tf_send(f, &q) == PV_BLKIF_RSP_ERROR, "4 KiB disk: half a page -> error");
}

/*
 * Connect/disconnect cycles, each with 16 requests still in flight
 * (XSA-350); blkback.sh runs the daemon under ASan+UBSan when built.
 */
#define RECONNECT_CYCLES 500

static void case_reconnect_loop(struct tfront *f)
{
	struct pv_blkif_x86_64_request q;
	int ok = 0;

	for (int i = 0; i < RECONNECT_CYCLES; i++) {
		for (unsigned int j = 0; j < 16; j++) {
			q = tf_req(f, j % 2 ? PV_BLKIF_OP_READ : PV_BLKIF_OP_WRITE, 2048 + j * 8, 1, 200 + j);
			tf_post(f, 0, &q);
		}
		ok += tf_reconnect_prepare(f) == 0 && tf_connect(f) == 0 &&
		      tf_rw(f, PV_BLKIF_OP_READ, (uint64_t)(i % 64) * 8, 1, 0) == 0;
	}
	check(ok == RECONNECT_CYCLES, "%d disconnects with I/O in flight, each reconnecting (%d good)",
	      RECONNECT_CYCLES, ok);
	check(blkback_alive(), "the daemon survives them");
}

/* The toolstack removes a disk: the daemon drops it and serves the rest. */
static void case_unplug(struct xs_handle *xs0, struct tfront *gone, struct tfront *other)
{
	xs_rm(xs0, XBT_NULL, gone->be);
	xs_rm(xs0, XBT_NULL, gone->fe);
	usleep(200000);
	check(blkback_alive(), "unplug: the daemon keeps running");
	check(tf_rw(other, PV_BLKIF_OP_READ, 0, 1, 0) == 0, "unplug: the other disk works");
}

/* XSA-349: a frontend rewriting its nodes (state included, same value) in a loop. */
static void case_watch_flood(struct tfront *f)
{
	char path[200];
	bool ok = true;

	for (int i = 0; i < 1000 && ok; i++) {
		snprintf(path, sizeof(path), "%s/%s", f->fe, i % 2 ? "state" : "noise");
		ok = xs_write(f->xs, XBT_NULL, path, i % 2 ? "4" : "x", 1);
	}
	check(ok, "watch flood: 1000 frontend writes");
	check(tf_rw(f, PV_BLKIF_OP_READ, 0, 1, 0) == 0 && tf_be_state(f) == PV_XENBUS_STATE_CONNECTED,
	      "watch flood: still Connected and serving");
	check(blkback_alive(), "watch flood: the daemon keeps running");
}

/* The vbd's count of spurious notifications in pvkit top's file, or -1. */
static long long spurious_count(struct tfront *f)
{
	struct pv_stats_counters c;
	char path[4200];

	snprintf(path, sizeof(path), "%s/" PV_STATS_DIR "/vbd-%u-%u", rundir, (unsigned int)f->domid,
		 f->devid);
	return pv_stats_read(path, &c) < 0 ? -1 : (long long)c.spurious;
}

/*
 * XSA-332: event-channel notifications in a tight loop with an empty ring;
 * XSA-391: blkback counts them as spurious and backs off (it takes far
 * fewer wake-ups than notifications).
 */
static void case_event_storm(struct tfront *f)
{
	long long before = spurious_count(f), counted;
	int ok = 0;

	for (int i = 0; i < 100000; i++)
		ok += pv_evtchn_notify(f->q[0].ev, (pv_evtchn_port_t)f->q[0].port) == 0;
	check(ok == 100000, "event storm: 100000 notifications sent");
	counted = spurious_count(f) - before;
	check(before >= 0 && counted > 0, "event storm: %lld spurious notifications counted", counted);
	check(counted >= 0 && counted * 50 < ok,
	      "event storm: blkback backed off (%lld wake-ups for %d notifications, fewer than 1 in 50)",
	      counted, ok);
	check(tf_rw(f, PV_BLKIF_OP_READ, 0, 1, 0) == 0, "event storm: the disk still serves");
	check(blkback_alive(), "event storm: the daemon keeps running");
}

static void run_cases(struct xs_handle *xs0, struct xs_handle *xsg, struct pv_platform *guest,
		      pv_domid_t dom)
{
	static struct tfront a, b, c, d, e;
	char img[5][4200];
	struct tfront *fs[5] = {&a, &b, &c, &d, &e};

	b.x86_32 = true;
	b.ring_order = 2;
	b.persistent = true;
	d.nq = 2;
	d.ring_order = 4;
	for (int i = 0; i < 5; i++) {
		snprintf(img[i], sizeof(img[i]), "%s/disk%d.img", rundir, i);
		make_image(img[i]);
		fs[i]->plat = guest;
		fs[i]->xs = xsg;
		fs[i]->domid = dom;
		fs[i]->devid = 51712 + 16 * (unsigned int)i;
		if (tf_init(fs[i])) {
			check(0, "grant the data pages of disk %d", i);
			return;
		}
		tenv_add_vbd(&env, fs[i], img[i], i != 2, i == 4 ? "4096" : NULL);
	}
	for (int i = 0; i < 5; i++)
		check(tf_connect(fs[i]) == 0, "disk %d connects", i);
	if (failed)
		return;
	case_nodes(&a, &c);
	case_normal_io(&a, img[0], "native ring");
	case_normal_io(&b, img[1], "x86_32 4-page ring, persistent grants");
	check(tf_rw(&c, PV_BLKIF_OP_WRITE, 0, 1, 0) == PV_BLKIF_RSP_ERROR, "read-only disk: write -> error");
	check(tf_rw(&c, PV_BLKIF_OP_READ, 0, 1, 0) == PV_BLKIF_RSP_OKAY, "read-only disk: read works");
	case_multiqueue(&d);
	case_4k_sectors(&e);
	case_indirect(&a);
	case_hostile(&a);
	case_watch_flood(&a);
	case_event_storm(&a);
	case_overflow(&a, &b);
	case_reconnect_loop(&a);
	case_restart(&a, &b, img[0]);
	case_unplug(xs0, &c, &a);
}

/*
 * discard-secure on a block device: offered only when BLKSECDISCARD works
 * there (loop devices cannot erase securely); a secure discard is then
 * served, else refused with EOPNOTSUPP while a plain discard still works.
 */
static void case_secure_discard(struct tfront *f, const char *dev)
{
	struct pv_blkif_x86_64_request q;
	struct pv_blkif_x86_64_request_discard *d = (void *)&q;
	unsigned char zero[4096] = {0};
	char *v = tf_be_read(f, "discard-secure");
	bool offered = v && !strcmp(v, "1");

	check(v && (offered || !strcmp(v, "0")), "%s: discard-secure is 0 or 1 (%s)", dev,
	      v ? v : "missing");
	free(v);
	fill(f, 0, 1, 0x5e);
	check(tf_rw(f, PV_BLKIF_OP_WRITE, 160, 1, 0) == PV_BLKIF_RSP_OKAY, "%s: write before a "
	      "secure discard", dev);
	memset(&q, 0, sizeof(q));
	d->operation = PV_BLKIF_OP_DISCARD;
	d->flag = PV_BLKIF_DISCARD_SECURE;
	d->id = f->next_id++;
	d->sector_number = 160;
	d->nr_sectors = 8;
	if (offered)
		check(tf_send(f, &q) == PV_BLKIF_RSP_OKAY && image_has(dev, 160 * 512, zero, 4096),
		      "%s: secure discard offered and served", dev);
	else /* blkif.h: the flag is "ignored if discard-secure=0" */
		check(tf_send(f, &q) == PV_BLKIF_RSP_OKAY && image_has(dev, 160 * 512, zero, 4096),
		      "%s: secure discard not offered: the flag ignored, a plain discard", dev);
	fill(f, 0, 1, 0x5f);
	check(tf_rw(f, PV_BLKIF_OP_WRITE, 160, 1, 0) == PV_BLKIF_RSP_OKAY, "%s: write before a "
	      "plain discard", dev);
	d->flag = 0;
	d->id = f->next_id++;
	check(tf_send(f, &q) == PV_BLKIF_RSP_OKAY && image_has(dev, 160 * 512, zero, 4096),
	      "%s: a plain discard still works after it", dev);
}

/* Block devices as targets (loop devices set up by blkback-blockdev.sh). */
static void run_blockdev_cases(const char *dev512, const char *dev4k)
{
	static struct tfront a, b;
	struct tfront *fs[2] = {&a, &b};
	const char *devs[2] = {dev512, dev4k};

	for (int i = 0; i < 2; i++) {
		fs[i]->plat = env.guest;
		fs[i]->xs = env.xsg;
		fs[i]->domid = env.dom;
		fs[i]->devid = 51712 + 16 * (unsigned int)i;
		if (tf_init(fs[i])) {
			check(0, "grant the data pages of device %d", i);
			return;
		}
		tenv_add_vbd(&env, fs[i], devs[i], true, NULL);
		check(tf_connect(fs[i]) == 0, "block device %s connects", devs[i]);
	}
	if (failed)
		return;
	check(be_node_is(&a, "sector-size", "512") && be_node_is(&b, "sector-size", "4096"),
	      "sector-size from the devices: 512 and 4096");
	check(be_node_is(&b, "physical-sector-size", "4096"), "physical-sector-size 4096");
	check(a.sectors == b.sectors && a.sectors > 0, "sectors from the device size (%llu)",
	      (unsigned long long)a.sectors);
	case_normal_io(&a, dev512, "512-byte block device");
	case_normal_io(&b, dev4k, "4096-byte block device");
	case_secure_discard(&a, dev512);
	check(tf_rw(&b, PV_BLKIF_OP_READ, 4, 1, 0) == PV_BLKIF_RSP_ERROR,
	      "4096-byte block device: a misaligned sector -> error");
}

int main(int argc, char **argv)
{
	if (argc != 3 && argc != 5) {
		fprintf(stderr, "usage: blkback-test RUNDIR BLKBACK [DEV512 DEV4096]\n");
		return 2;
	}
	rundir = argv[1];
	if (tenv_setup(&env, rundir, argv[2])) {
		check(0, "set up pvkitd, xenstored, a guest domain and its platform");
		return 1;
	}
	tenv_start_blkback(&env, false);
	if (argc == 5)
		run_blockdev_cases(argv[3], argv[4]);
	else
		run_cases(env.xs0, env.xsg, env.guest, env.dom);
	tenv_teardown(&env);
	return failed ? 1 : 0;
}

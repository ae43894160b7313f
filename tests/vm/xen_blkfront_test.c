/* SPDX-License-Identifier: MIT */
/*
 * pv-xen-blkfront-test: pvkit's blkfront (include/pvkit/blkfront.h) on the
 * xen platform against whatever backend serves the vbd, in the Xen test VM
 * against Linux's xen-blkback exporting a loop device
 * (tests/vm/xen-tests/80-blkfront-linux-blkback.sh).
 *
 *   pv-xen-blkfront-test FE_PATH BLOCKDEV
 *
 * FE_PATH is the vbd's frontend directory; BLOCKDEV is what the backend
 * exports (read and written here directly with O_DIRECT to check what went
 * through the frontend). Checks: both ends Connected, the features the
 * backend offers are the ones in use, patterns written through blkfront
 * are on BLOCKDEV and the other way round (many requests in flight, 4 KiB
 * to 1 MiB), flush, discard, out-of-range requests refused, a clean close
 * (both ends Closed) and a second connection to the same backend.
 * Prints "ok - X" / "not ok - X" lines; exit status 1 on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pvkit/blkfront.h"
#include "pvkit/platform.h"
#include "pvkit/xenbus.h"

#define MIB (1024u * 1024u)

static int failed;

static void check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", cond ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!cond)
		failed++;
}

struct ctx {
	struct pv_platform *plat;
	struct pv_xs *xs;
	struct pv_blkfront *bf;
	char fe[128], be[128];
	int dev;           /* BLOCKDEV, O_DIRECT */
};

static uint64_t node_uint(struct ctx *c, const char *dir, const char *key, uint64_t def)
{
	uint64_t v = def;

	if (pv_xs_read_uint(c->xs, PV_XS_NO_TXN, dir, key, UINT32_MAX, def, &v))
		v = def;
	return v;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the event loop until nothing is pending (or @ms pass). 0, or -ETIMEDOUT. */
static int drain(struct ctx *c, int ms)
{
	int64_t end = now_ms() + ms;

	while (pv_blkfront_pending(c->bf)) {
		struct pollfd p[2] = {{.fd = pv_blkfront_fd(c->bf), .events = POLLIN},
				      {.fd = pv_xs_fd(c->xs), .events = POLLIN}};

		if (now_ms() > end)
			return -ETIMEDOUT;
		poll(p, 2, 100);
		if (p[1].revents)
			pv_xs_dispatch(c->xs, 16);
		pv_blkfront_poll(c->bf);
	}
	return 0;
}

struct result {
	int status, done;
};

static void on_done(void *opaque, int status)
{
	struct result *r = opaque;

	r->status = status;
	r->done = 1;
}

/* One request, waited for. Returns its status (or a submit error). */
static int io(struct ctx *c, enum pv_blkfront_op op, uint64_t off, uint32_t len, void *buf)
{
	struct result r = {0, 0};
	int rc = pv_blkfront_submit(c->bf, op, off, len, buf, on_done, &r);

	if (rc)
		return rc;
	pv_blkfront_kick(c->bf);
	if (drain(c, 30000))
		return -ETIMEDOUT;
	return r.done ? r.status : -EIO;
}

/*
 * @len bytes at @off through blkfront in pieces of varied sizes (4 KiB up
 * to 1 MiB: direct and indirect requests), all in flight at once. Returns
 * 0 or the first error.
 */
static int io_many(struct ctx *c, enum pv_blkfront_op op, uint64_t off, uint32_t len,
		   unsigned char *buf)
{
	static const uint32_t sizes[] = {4096, 45056, 8192, 1048576, 61440, 262144, 4096, 131072};
	struct result *r = calloc(len / 4096 + 1, sizeof(*r));
	unsigned int n = 0;
	uint32_t done = 0;
	int rc = 0;

	if (!r)
		return -ENOMEM;
	while (done < len && !rc) {
		uint32_t sz = sizes[n % (sizeof(sizes) / sizeof(sizes[0]))];

		if (sz > len - done)
			sz = len - done;
		rc = pv_blkfront_submit(c->bf, op, off + done, sz, buf + done, on_done, &r[n]);
		done += sz;
		n++;
	}
	pv_blkfront_kick(c->bf);
	if (drain(c, 60000))
		rc = rc ? rc : -ETIMEDOUT;
	for (unsigned int i = 0; i < n && !rc; i++)
		rc = !r[i].done ? -EIO : r[i].status;
	free(r);
	return rc;
}

static void pattern(unsigned char *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

	for (size_t i = 0; i < len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(buf + i, &x, 8);
	}
}

static int dev_pread(struct ctx *c, void *buf, size_t len, uint64_t off)
{
	return pread(c->dev, buf, len, (off_t)off) == (ssize_t)len ? 0 : -1;
}

static int dev_pwrite(struct ctx *c, const void *buf, size_t len, uint64_t off)
{
	if (pwrite(c->dev, buf, len, (off_t)off) != (ssize_t)len)
		return -1;
	return fdatasync(c->dev);
}

static int all_zero(const unsigned char *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i])
			return 0;
	return 1;
}

static int open_front(struct ctx *c, const char *what)
{
	/* TCG on a loaded host is slow: give the handshake a minute, not 10 s. */
	struct pv_blkfront_opts o = {.timeout_ms = 60000};
	int64_t t0 = now_ms();
	int rc = pv_blkfront_open(c->plat, c->xs, c->fe, &o, &c->bf);

	check(rc == 0, "%s: pv_blkfront_open (%s after %lld ms)", what,
	      rc ? strerror(-rc) : "connected", (long long)(now_ms() - t0));
	if (rc) {
		char *err = NULL;
		char path[200];

		snprintf(path, sizeof(path), "/local/domain/0/error%s", c->be + strlen("/local/domain/0"));
		pv_xs_read(c->xs, PV_XS_NO_TXN, path, "error", &err);
		printf("# frontend state %d, backend state %d, backend error: %s\n",
		       (int)pv_xenbus_read_state(c->xs, c->fe), (int)pv_xenbus_read_state(c->xs, c->be),
		       err ? err : "(none)");
		free(err);
		return rc;
	}
	check(pv_xenbus_read_state(c->xs, c->fe) == PV_XENBUS_STATE_CONNECTED &&
		      pv_xenbus_read_state(c->xs, c->be) == PV_XENBUS_STATE_CONNECTED,
	      "%s: frontend and backend are Connected (fe %d, be %d)", what,
	      (int)pv_xenbus_read_state(c->xs, c->fe), (int)pv_xenbus_read_state(c->xs, c->be));
	return 0;
}

/* What the backend offered, against what blkfront uses. */
static void check_features(struct ctx *c)
{
	const struct pv_blkfront_info *i = pv_blkfront_info(c->bf);
	uint64_t order = node_uint(c, c->be, "max-ring-page-order", 0);
	uint64_t queues = node_uint(c, c->be, "multi-queue-max-queues", 1);
	uint64_t ind = node_uint(c, c->be, "feature-max-indirect-segments", 0);
	uint64_t sectors = node_uint(c, c->be, "sectors", 0);
	unsigned int want_pages = 1u << (order > 4 ? 4 : order);
	unsigned int want_queues = queues > PV_BLKFRONT_MAX_QUEUES ? PV_BLKFRONT_MAX_QUEUES
								  : queues ? (unsigned int)queues : 1;
	unsigned int want_segs = ind > 256 ? 256 : ind > 11 ? (unsigned int)ind : 11;
	char dir[160];

	printf("# backend offers: max-ring-page-order %" PRIu64 ", multi-queue-max-queues %" PRIu64
	       ", feature-max-indirect-segments %" PRIu64 ", feature-persistent %" PRIu64
	       ", feature-flush-cache %" PRIu64 ", feature-discard %" PRIu64 "\n",
	       order, queues, ind, node_uint(c, c->be, "feature-persistent", 0),
	       node_uint(c, c->be, "feature-flush-cache", 0), node_uint(c, c->be, "feature-discard", 0));
	printf("# blkfront uses: %u queue(s) of %u page(s), %u segments, persistent %d, flush %d, "
	       "discard %d (granularity %u)\n",
	       i->queues, i->ring_pages, i->max_segments, i->persistent, i->flush, i->discard,
	       i->discard_granularity);
	check(sectors > 0 && i->sectors * i->sector_size == sectors * 512,
	      "disk size from the backend: %" PRIu64 " sectors of %u bytes", i->sectors,
	      i->sector_size);
	check(!i->read_only, "the disk is writable (mode w)");
	check(order >= 1 && i->ring_pages == want_pages,
	      "multi-page ring: backend max-ring-page-order %" PRIu64 ", %u ring pages in use", order,
	      i->ring_pages);
	check(i->queues == want_queues, "queues: backend offers %" PRIu64 ", %u in use", queues,
	      i->queues);
	if (i->queues > 1) {
		snprintf(dir, sizeof(dir), "%s/queue-1", c->fe);
		check(node_uint(c, c->fe, "multi-queue-num-queues", 0) == i->queues &&
			      node_uint(c, dir, "event-channel", 0) > 0,
		      "multi-queue nodes written (multi-queue-num-queues, queue-N/)");
	}
	check(ind > 11 && i->max_segments == want_segs,
	      "indirect descriptors: backend offers %" PRIu64 " segments, %u per request in use", ind,
	      i->max_segments);
	check(node_uint(c, c->be, "feature-persistent", 0) == 1 && i->persistent &&
		      node_uint(c, c->fe, "feature-persistent", 0) == 1,
	      "persistent grants negotiated (both ends say feature-persistent = 1)");
	check(i->flush && node_uint(c, c->be, "feature-flush-cache", 0) == 1,
	      "flush offered (feature-flush-cache) and in use");
	check(i->discard && node_uint(c, c->be, "feature-discard", 0) == 1,
	      "discard offered (feature-discard: the loop device supports it) and in use");
}

/* Writes through blkfront land on the device; the device's contents read back through blkfront. */
static void check_data(struct ctx *c, unsigned char *a, unsigned char *b, uint32_t len)
{
	int rc;

	pattern(a, len, 1);
	rc = io_many(c, PV_BLKFRONT_WRITE, 1 * MIB, len, a);
	check(rc == 0, "write %u KiB through blkfront, 4 KiB to 1 MiB per request, all in flight (%s)",
	      len / 1024, rc ? strerror(-rc) : "ok");
	rc = io(c, PV_BLKFRONT_FLUSH, 0, 0, NULL);
	check(rc == 0, "flush (%s)", rc ? strerror(-rc) : "ok");
	memset(b, 0, len);
	check(dev_pread(c, b, len, 1 * MIB) == 0 && memcmp(a, b, len) == 0,
	      "the device holds what was written through blkfront");
	memset(b, 0, len);
	rc = io_many(c, PV_BLKFRONT_READ, 1 * MIB, len, b);
	check(rc == 0 && memcmp(a, b, len) == 0, "reading it back through blkfront gives the same bytes");

	pattern(a, len, 2);
	check(dev_pwrite(c, a, len, 9 * MIB) == 0, "write a second pattern on the device directly");
	memset(b, 0, len);
	rc = io_many(c, PV_BLKFRONT_READ, 9 * MIB, len, b);
	check(rc == 0 && memcmp(a, b, len) == 0,
	      "reading it through blkfront gives the device's bytes (%s)", rc ? strerror(-rc) : "ok");

	/* One sector at the end of the disk, and one past it. */
	{
		const struct pv_blkfront_info *i = pv_blkfront_info(c->bf);
		uint64_t end = i->sectors * i->sector_size;
		struct result r = {0, 0};

		pattern(a, 4096, 3);
		rc = io(c, PV_BLKFRONT_WRITE, end - 4096, 4096, a);
		check(rc == 0 && dev_pread(c, b, 4096, end - 4096) == 0 && !memcmp(a, b, 4096),
		      "the last 4 KiB of the disk written through blkfront");
		rc = pv_blkfront_submit(c->bf, PV_BLKFRONT_READ, end, 4096, b, on_done, &r);
		check(rc == -EINVAL, "a read past the end is refused (%s)", strerror(-rc));
		drain(c, 30000);
	}
}

static void check_discard(struct ctx *c, unsigned char *a, unsigned char *b)
{
	int rc;

	pattern(a, MIB, 4);
	rc = io(c, PV_BLKFRONT_WRITE, 4 * MIB, MIB, a);
	rc = rc ?: io(c, PV_BLKFRONT_DISCARD, 4 * MIB, MIB, NULL);
	check(rc == 0, "discard 1 MiB (%s)", rc ? strerror(-rc) : "ok");
	check(dev_pread(c, b, MIB, 4 * MIB) == 0 && all_zero(b, MIB),
	      "the discarded range reads as zeros on the device");
	memset(b, 0xff, MIB);
	rc = io(c, PV_BLKFRONT_READ, 4 * MIB, MIB, b);
	check(rc == 0 && all_zero(b, MIB), "and through blkfront");
}

static void close_front(struct ctx *c, const char *what)
{
	int64_t end;
	int be;

	pv_blkfront_close(c->bf);
	c->bf = NULL;
	end = now_ms() + 10000;
	while ((be = pv_xenbus_read_state(c->xs, c->be)) != PV_XENBUS_STATE_CLOSED && now_ms() < end)
		usleep(20000);
	check(pv_xenbus_read_state(c->xs, c->fe) == PV_XENBUS_STATE_CLOSED &&
		      be == PV_XENBUS_STATE_CLOSED,
	      "%s: both ends Closed after close (fe %d, be %d)", what,
	      (int)pv_xenbus_read_state(c->xs, c->fe), be);
}

static int read_be_path(struct ctx *c)
{
	char *be = NULL;

	if (pv_xs_read(c->xs, PV_XS_NO_TXN, c->fe, "backend", &be) || strlen(be) >= sizeof(c->be)) {
		free(be);
		return -1;
	}
	snprintf(c->be, sizeof(c->be), "%s", be);
	free(be);
	return 0;
}

int main(int argc, char **argv)
{
	struct pv_platform_opts po = {.name = getenv("PVKIT_PLATFORM") ? NULL : "xen"};
	struct ctx c = {.dev = -1};
	const uint32_t len = 6 * MIB;
	unsigned char *a = NULL, *b = NULL;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: pv-xen-blkfront-test FE_PATH BLOCKDEV\n");
		return 2;
	}
	snprintf(c.fe, sizeof(c.fe), "%s", argv[1]);
	rc = pv_platform_open(&c.plat, &po);
	check(rc == 0, "open the %s platform (%s)", po.name ? po.name : "default",
	      rc ? strerror(-rc) : "ok");
	if (rc)
		return 1;
	rc = pv_xs_open(&c.xs, NULL);
	check(rc == 0 && read_be_path(&c) == 0, "xenstore: %s/backend", c.fe);
	c.dev = open(argv[2], O_RDWR | O_DIRECT);
	check(c.dev >= 0, "open %s with O_DIRECT", argv[2]);
	if (posix_memalign((void **)&a, 4096, len) || posix_memalign((void **)&b, 4096, len))
		return 1;
	if (rc || c.dev < 0 || open_front(&c, "first connection"))
		return 1;
	check_features(&c);
	check_data(&c, a, b, len);
	if (pv_blkfront_info(c.bf)->discard)
		check_discard(&c, a, b);
	close_front(&c, "first connection");

	/* The backend waits again once we go Initialising: a second connection. */
	if (!open_front(&c, "second connection")) {
		memset(b, 0, MIB);
		pattern(a, MIB, 1);
		rc = io_many(&c, PV_BLKFRONT_READ, 1 * MIB, MIB, b);
		check(rc == 0 && !memcmp(a, b, MIB), "second connection: the first pattern reads back");
		close_front(&c, "second connection");
	}
	pv_xs_close(c.xs);
	pv_platform_close(c.plat);
	close(c.dev);
	free(a);
	free(b);
	return failed ? 1 : 0;
}

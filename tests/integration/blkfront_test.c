/* SPDX-License-Identifier: MIT */
/*
 * blkfront-test: the toolstack's and the guest's part for blkfront tests
 * and benchmarks on the local platform (pvkitd, pvkit-xenstored, blkback).
 *   blkfront-test mkdomain RUNDIR NAME MEM_MIB        prints the new domid
 *   blkfront-test addvbd RUNDIR DOMID DEVID IMAGE r|w [SECTOR-SIZE]
 *       writes both halves' nodes (SECTOR-SIZE: blkback's sector-size hint)
 *   blkfront-test serve RUNDIR DOMID DEVID SOCKET [OPTS]
 *       blkfront in this process exported over NBD until SIGTERM; OPTS:
 *       --queues N --ring-order N --no-persistent --no-indirect --pool N
 *       --single-page-ring --io-timeout MS --busypoll NS
 *   blkfront-test bench RUNDIR DOMID DEVID SECONDS [OPTS]
 *       in-process 4 KiB random reads at queue depth 32 into buffers from
 *       the granted pool (no bounce copy; --bounce: ordinary memory);
 *       prints IOPS. The thread does nothing else: with PVKIT_BUSYPOLL_NS
 *       set it busy-polls the rings up to that long (opts.busypoll_ns =
 *       PV_BUSYPOLL_DEFAULT); --busypoll NS says so too (0: off)
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#include "pvkit/blkfront.h"
#include "pvkit/local.h"
#include "pvkit/nbd.h"
#include "pvkit/xenbus.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static struct pv_xs *xs_for(const char *rundir, unsigned int domid)
{
	struct pv_xs *xs = NULL;
	char path[4200];

	if (pv_xs_local_path(path, sizeof(path), rundir, (pv_domid_t)domid) ||
	    pv_xs_open(&xs, path)) {
		fprintf(stderr, "blkfront-test: no xenstore for domain %u under %s\n", domid, rundir);
		return NULL;
	}
	return xs;
}

static int mkdomain(const char *rundir, const char *name, unsigned int mib)
{
	struct pv_local *l = NULL;
	struct pv_xs *xs = xs_for(rundir, 0);
	char dir[64];
	pv_domid_t dom;
	int rc = xs ? pv_local_open(&l, rundir) : -ENOENT;

	if (!rc)
		rc = pv_local_domain_create(l, name, (uint64_t)mib << 20, &dom);
	if (rc) {
		fprintf(stderr, "blkfront-test: cannot create domain %s: %s\n", name, strerror(-rc));
		return 1;
	}
	snprintf(dir, sizeof(dir), "/local/domain/%u", (unsigned int)dom);
	if (!xs_introduce_domain(pv_xs_handle(xs), dom, 0, 0) ||
	    pv_xs_printf(xs, 0, dir, "domid", "%u", (unsigned int)dom) ||
	    pv_xs_write(xs, 0, dir, "name", name) ||
	    pv_xs_set_perms(xs, 0, dir, dom, 'n', 0, NULL, NULL)) {
		fprintf(stderr, "blkfront-test: cannot introduce domain %u\n", (unsigned int)dom);
		return 1;
	}
	printf("%u\n", (unsigned int)dom);
	pv_local_close(l);
	pv_xs_close(xs);
	return 0;
}

struct vbd_nodes {
	char fe[96], be[96];
	unsigned int dom, devid;
	const char *image, *mode;
	const char *sector_size; /* toolstack hint for blkback, or NULL */
};

/* Write @dir/@key = @val owned by @owner, readable by @reader (as libxl does). */
static int mk(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *key, const char *val,
	      unsigned int owner, unsigned int reader)
{
	char path[200];
	pv_domid_t r = (pv_domid_t)reader;

	snprintf(path, sizeof(path), "%s%s%s", dir, key ? "/" : "", key ? key : "");
	if (pv_xs_write(xs, t, path, NULL, val))
		return -EIO;
	return pv_xs_set_perms(xs, t, path, (pv_domid_t)owner, 'n', 1, &r, "r");
}

static int addvbd_txn(struct pv_xs *xs, pv_xs_txn_t t, void *opaque)
{
	struct vbd_nodes *n = opaque;
	char id[16], be_id[16];
	int rc = 0;

	snprintf(id, sizeof(id), "%u", n->dom);
	snprintf(be_id, sizeof(be_id), "%u", n->devid);
	rc |= mk(xs, t, n->fe, NULL, "", n->dom, 0);
	rc |= mk(xs, t, n->fe, "backend", n->be, n->dom, 0);
	rc |= mk(xs, t, n->fe, "backend-id", "0", n->dom, 0);
	rc |= mk(xs, t, n->fe, "virtual-device", be_id, n->dom, 0);
	rc |= mk(xs, t, n->fe, "device-type", "disk", n->dom, 0);
	rc |= mk(xs, t, n->fe, "state", "1", n->dom, 0);
	rc |= mk(xs, t, n->be, NULL, "", 0, n->dom);
	rc |= mk(xs, t, n->be, "frontend", n->fe, 0, n->dom);
	rc |= mk(xs, t, n->be, "frontend-id", id, 0, n->dom);
	rc |= mk(xs, t, n->be, "params", n->image, 0, n->dom);
	rc |= mk(xs, t, n->be, "type", "file", 0, n->dom);
	rc |= mk(xs, t, n->be, "mode", n->mode, 0, n->dom);
	rc |= mk(xs, t, n->be, "state", "1", 0, n->dom);
	if (n->sector_size)
		rc |= mk(xs, t, n->be, "sector-size", n->sector_size, 0, n->dom);
	return rc ? -EIO : 0;
}

static int addvbd(const char *rundir, struct vbd_nodes *n)
{
	struct pv_xs *xs = xs_for(rundir, 0);
	int rc;

	if (!xs)
		return 1;
	snprintf(n->fe, sizeof(n->fe), "/local/domain/%u/device/vbd/%u", n->dom, n->devid);
	snprintf(n->be, sizeof(n->be), "/local/domain/0/backend/vbd/%u/%u", n->dom, n->devid);
	rc = pv_xs_transaction(xs, addvbd_txn, n, 0);
	pv_xs_close(xs);
	if (rc)
		fprintf(stderr, "blkfront-test: writing vbd nodes: %s\n", strerror(-rc));
	return rc ? 1 : 0;
}

/* bench --bounce: ordinary buffers (a copy per read) instead of pool ones. */
static bool bench_bounce;

static int parse_opts(int argc, char **argv, struct pv_blkfront_opts *o)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--no-persistent"))
			o->no_persistent = 1;
		else if (!strcmp(argv[i], "--no-indirect"))
			o->no_indirect = 1;
		else if (!strcmp(argv[i], "--queues") && i + 1 < argc)
			o->max_queues = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--ring-order") && i + 1 < argc)
			o->max_ring_order = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--single-page-ring"))
			o->single_page_ring = 1;
		else if (!strcmp(argv[i], "--io-timeout") && i + 1 < argc)
			o->io_timeout_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--pool") && i + 1 < argc)
			o->pool_pages = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--bounce"))
			bench_bounce = true;
		else if (!strcmp(argv[i], "--busypoll") && i + 1 < argc)
			o->busypoll_ns = atoi(argv[++i]);
		else
			return -EINVAL;
	}
	return 0;
}

struct guest {
	struct pv_platform *plat;
	struct pv_xs *xs;
	struct pv_blkfront *bf;
};

static int guest_open(struct guest *g, const char *rundir, unsigned int dom, unsigned int devid,
		      const struct pv_blkfront_opts *o)
{
	struct pv_platform_opts po = {.rundir = rundir, .domid = (int)dom, .domid_set = 1};
	char fe[96];
	int rc = pv_platform_open(&g->plat, &po);

	g->xs = rc ? NULL : xs_for(rundir, dom);
	if (!g->xs) {
		fprintf(stderr, "blkfront-test: cannot act as domain %u\n", dom);
		return -ENOENT;
	}
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/vbd/%u", dom, devid);
	rc = pv_blkfront_open(g->plat, g->xs, fe, o, &g->bf);
	if (rc)
		fprintf(stderr, "blkfront-test: opening %s: %s\n", fe, strerror(-rc));
	return rc;
}

static void guest_close(struct guest *g)
{
	pv_blkfront_close(g->bf);
	pv_xs_close(g->xs);
	pv_platform_close(g->plat);
}

static int serve(struct guest *g, const char *sock)
{
	struct pv_nbd_server *srv;
	int rc = pv_blkfront_nbd_export(g->bf, sock, "", &srv);
	const struct pv_blkfront_info *i = pv_blkfront_info(g->bf);

	if (rc) {
		fprintf(stderr, "blkfront-test: exporting on %s: %s\n", sock, strerror(-rc));
		return 1;
	}
	printf("queues=%u ring_pages=%u persistent=%d max_segments=%u read_only=%d\n", i->queues,
	       i->ring_pages, i->persistent, i->max_segments, i->read_only);
	fflush(stdout);
	while (rc == 0) {
		struct pollfd p[2] = {{.fd = pv_nbd_server_fd(srv), .events = POLLIN},
				      {.fd = pv_xs_fd(g->xs), .events = POLLIN}};

		if (stop) {
			stop = 0;
			pv_nbd_server_stop(srv);
		}
		if (poll(p, 2, 200) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			pv_xs_dispatch(g->xs, 64);
		rc = pv_nbd_server_dispatch(srv);
	}
	pv_nbd_server_free(srv);
	printf("reconnects=%u\n", pv_blkfront_reconnects(g->bf));
	return rc < 0 ? 1 : 0;
}

/* ---- the in-process benchmark ------------------------------------------------------ */

#define BENCH_DEPTH 32

struct bench {
	struct pv_blkfront *bf;
	uint64_t blocks, done;
	int errors;
	unsigned char *buf[BENCH_DEPTH]; /* zero-copy pool buffers where there are some */
	bool pooled[BENCH_DEPTH];
	unsigned char fallback[BENCH_DEPTH][4096];
	uint64_t seed;
};

static struct bench the_bench;
static void bench_submit(struct bench *b, unsigned int slot);

static void bench_done(void *opaque, int status)
{
	struct bench *b = &the_bench;

	b->errors += status != 0;
	b->done++;
	if (!stop)
		bench_submit(b, (unsigned int)(uintptr_t)opaque);
}

static void bench_submit(struct bench *b, unsigned int slot)
{
	uint64_t blk;

	b->seed = b->seed * 6364136223846793005ull + 1442695040888963407ull;
	blk = (b->seed >> 17) % b->blocks;
	if (pv_blkfront_submit(b->bf, PV_BLKFRONT_READ, blk * 4096, 4096, b->buf[slot], bench_done,
			       (void *)(uintptr_t)slot))
		b->errors++;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * BENCH_DEPTH 4 KiB random reads always in flight for @seconds, in
 * buffers from blkfront's granted pool (pv_blkfront_buf_alloc(): no
 * bounce copy), as an application that cares would; --bounce uses
 * ordinary memory instead.
 */
static int bench(struct guest *g, double seconds, bool bounce)
{
	struct bench *b = &the_bench;
	unsigned int pooled = 0;
	double t0, t;

	b->bf = g->bf;
	b->seed = 42;
	b->blocks = pv_blkfront_info(g->bf)->sectors * pv_blkfront_info(g->bf)->sector_size / 4096;
	for (unsigned int i = 0; i < BENCH_DEPTH; i++) {
		b->buf[i] = bounce ? NULL : pv_blkfront_buf_alloc(g->bf, 4096);
		b->pooled[i] = b->buf[i] != NULL;
		pooled += b->pooled[i];
		if (!b->buf[i])
			b->buf[i] = b->fallback[i];
	}
	for (unsigned int i = 0; i < BENCH_DEPTH; i++)
		bench_submit(b, i);
	pv_blkfront_kick(g->bf);
	t0 = now_s();
	while ((t = now_s()) - t0 < seconds || pv_blkfront_pending(g->bf)) {
		struct pollfd p = {.fd = pv_blkfront_fd(g->bf), .events = POLLIN};

		if (t - t0 >= seconds)
			stop = 1;
		poll(&p, 1, 100);
		pv_blkfront_poll(g->bf);
	}
	printf("iops=%.0f errors=%d zero_copy=%u/%u\n", b->done / (now_s() - t0), b->errors, pooled,
	       BENCH_DEPTH);
	for (unsigned int i = 0; i < BENCH_DEPTH; i++)
		if (b->pooled[i])
			pv_blkfront_buf_free(g->bf, b->buf[i], 4096);
	return b->errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct pv_blkfront_opts o = {0};
	struct guest g = {0};
	int rc;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if (argc == 5 && !strcmp(argv[1], "mkdomain"))
		return mkdomain(argv[2], argv[3], (unsigned int)atoi(argv[4]));
	if ((argc == 7 || argc == 8) && !strcmp(argv[1], "addvbd")) {
		struct vbd_nodes n = {.dom = (unsigned int)atoi(argv[3]),
				      .devid = (unsigned int)atoi(argv[4]),
				      .image = argv[5], .mode = argv[6],
				      .sector_size = argc == 8 ? argv[7] : NULL};
		return addvbd(argv[2], &n);
	}
	if (argc >= 6 && (!strcmp(argv[1], "serve") || !strcmp(argv[1], "bench"))) {
		if (!strcmp(argv[1], "bench") && getenv("PVKIT_BUSYPOLL_NS"))
			o.busypoll_ns = PV_BUSYPOLL_DEFAULT;
		if (parse_opts(argc - 6, argv + 6, &o))
			return 2;
		if (guest_open(&g, argv[2], (unsigned int)atoi(argv[3]), (unsigned int)atoi(argv[4]),
			       &o))
			return 1;
		rc = !strcmp(argv[1], "serve") ? serve(&g, argv[5])
						 : bench(&g, atof(argv[5]), bench_bounce);
		guest_close(&g);
		return rc;
	}
	fprintf(stderr, "usage: blkfront-test mkdomain|addvbd|serve|bench ... (see the source)\n");
	return 2;
}

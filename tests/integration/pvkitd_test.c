/* SPDX-License-Identifier: MIT */
/*
 * pvkit-test-platform: grant rules through the public platform API, each
 * with its negative case. The peer domid is a parameter so the same checks
 * run on the xen platform (self-grants to domain 0).
 *
 *   pvkit-test-platform [--peer DOMID] [--rundir DIR] [TEST...]
 * TEST: grants copy evtchn domains hostile xenstore (default: all).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvkit/arch.h"
#include "pvkit/log.h"
#include "pvkitd_test.h"

static int passed, failed, skipped;

void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		passed++;
	else
		failed++;
}

void skip(const char *what)
{
	printf("skip - %s\n", what);
	skipped++;
}

struct pv_platform *open_as(struct tctx *t, pv_domid_t domid)
{
	struct pv_platform_opts o = {
	    .name = t->platform, .rundir = t->rundir, .domid = domid, .domid_set = 1};
	struct pv_platform *p = NULL;
	int rc = pv_platform_open(&p, &o);

	if (rc)
		fprintf(stderr, "cannot open platform as domain %u: %s\n", domid, strerror(-rc));
	return rc ? NULL : p;
}

static void fill(void *addr, unsigned int pages, unsigned char seed)
{
	for (size_t i = 0; i < (size_t)pages * PV_PAGE_SIZE; i++)
		((unsigned char *)addr)[i] = (unsigned char)(seed + i * 7);
}

static int same(const void *a, const void *b, unsigned int pages)
{
	return memcmp(a, b, (size_t)pages * PV_PAGE_SIZE) == 0;
}

static void grant_map_write_read(struct tctx *t)
{
	pv_grant_ref_t refs[4];
	unsigned char *g = pv_gnt_share_pages(t->g, t->peer, 4, refs, 1), *m;
	int zero = 1;

	CHECK(g != NULL, "share 4 writable pages to domain %u", t->peer);
	if (!g)
		return;
	for (size_t i = 0; i < 4 * PV_PAGE_SIZE; i++)
		zero &= g[i] == 0;
	CHECK(zero, "shared pages start zeroed");
	m = pv_gnt_map(t->m, t->self, 4, refs, 1);
	CHECK(m != NULL, "peer maps them writable (errno %d)", m ? 0 : errno);
	if (m) {
		fill(m, 4, 3);
		CHECK(same(g, m, 4), "what the peer writes, the granter reads");
		fill(g, 4, 9);
		CHECK(same(g, m, 4), "what the granter writes, the peer reads");
		/* platform.h: on xen the kernel defers the release, so 0 there. */
		CHECK(pv_gnt_unshare(t->g, g, 4) == (t->local ? -EBUSY : 0),
		      "ending access while mapped: %s", t->local ? "-EBUSY" : "deferred (xen)");
		CHECK(pv_gnt_unmap(t->m, m, 4) == 0, "unmap");
	}
	CHECK(pv_gnt_unshare(t->g, g, 4) == 0, "ending access after the unmap works");
}

static void grant_wrong_domid(struct tctx *t)
{
	pv_domid_t other = (pv_domid_t)(t->peer == 0x7fe0 ? 0x7fe1 : 0x7fe0);
	pv_grant_ref_t ref;
	void *g = pv_gnt_share_pages(t->g, other, 1, &ref, 1), *m;

	if (!g) {
		check(0, "share to domain %u", other);
		return;
	}
	m = pv_gnt_map(t->m, t->self, 1, &ref, 0);
	CHECK(!m && errno == EPERM, "a grant to another domain cannot be mapped (errno %d)", errno);
	if (m)
		pv_gnt_unmap(t->m, m, 1);
	CHECK(pv_gnt_unshare(t->g, g, 1) == 0, "and it was never marked in use");
}

static void grant_readonly(struct tctx *t)
{
	pv_grant_ref_t ref;
	unsigned char *g = pv_gnt_share_pages(t->g, t->peer, 1, &ref, 0), *m;

	if (!g) {
		check(0, "share one read-only page");
		return;
	}
	g[100] = 0x5a;
	m = pv_gnt_map(t->m, t->self, 1, &ref, 1);
	CHECK(!m && errno == EACCES, "writable map of a read-only grant refused (errno %d)", errno);
	if (m)
		pv_gnt_unmap(t->m, m, 1);
	m = pv_gnt_map(t->m, t->self, 1, &ref, 0);
	CHECK(m && m[100] == 0x5a, "read-only map of it works and reads the data");
	if (m)
		pv_gnt_unmap(t->m, m, 1);
	CHECK(pv_gnt_unshare(t->g, g, 1) == 0, "unshare the read-only page");
}

static void grant_revoked_and_range(struct tctx *t)
{
	pv_grant_ref_t ref, bad[3] = {1u << 20, 0xfffffff0u, PV_GRANT_INVALID};
	void *g = pv_gnt_share_pages(t->g, t->peer, 1, &ref, 1), *m;

	if (!g) {
		check(0, "share one page");
		return;
	}
	CHECK(pv_gnt_unshare(t->g, g, 1) == 0, "revoke a grant");
	m = pv_gnt_map(t->m, t->self, 1, &ref, 0);
	CHECK(m == NULL, "a revoked grant cannot be mapped (errno %d)", errno);
	for (int i = 0; i < 3; i++) {
		m = pv_gnt_map(t->m, t->self, 1, &bad[i], 0);
		CHECK(m == NULL, "reference %#x out of range refused (errno %d)", bad[i], errno);
	}
	m = pv_gnt_map(t->m, t->self, PV_GNT_MAX_BATCH + 1, bad, 0);
	CHECK(m == NULL && errno == EINVAL, "a batch over PV_GNT_MAX_BATCH refused");
}

/* XSA-361: one bad element leaves nothing mapped and no GTF bit set. */
static void grant_batch_all_or_nothing(struct tctx *t)
{
	pv_grant_ref_t refs[4], batch[5];
	void *g = pv_gnt_share_pages(t->g, t->peer, 4, refs, 1), *m;

	if (!g) {
		check(0, "share 4 pages");
		return;
	}
	memcpy(batch, refs, 2 * sizeof(refs[0]));
	batch[2] = 1u << 20;
	memcpy(batch + 3, refs + 2, 2 * sizeof(refs[0]));
	m = pv_gnt_map(t->m, t->self, 5, batch, 1);
	CHECK(m == NULL, "a batch with one bad reference fails");
	CHECK(pv_gnt_unshare(t->g, g, 4) == 0, "and leaves none of the good ones in use");
}

static void grant_concurrent_maps(struct tctx *t)
{
	pv_grant_ref_t ref;
	void *g = pv_gnt_share_pages(t->g, t->peer, 1, &ref, 1), *m1, *m2;

	if (!g) {
		check(0, "share one page");
		return;
	}
	m1 = pv_gnt_map(t->m, t->self, 1, &ref, 1);
	m2 = pv_gnt_map(t->m, t->self, 1, &ref, 0);
	CHECK(m1 && m2 && m1 != m2, "one grant mapped twice (writable and read-only)");
	if (m1)
		pv_gnt_unmap(t->m, m1, 1);
	CHECK(pv_gnt_unshare(t->g, g, 1) == (t->local ? -EBUSY : 0),
	      "still in use after the first unmap: %s", t->local ? "-EBUSY" : "deferred (xen)");
	if (m2)
		pv_gnt_unmap(t->m, m2, 1);
	CHECK(pv_gnt_unshare(t->g, g, 1) == 0, "free after the last unmap");
	if (t->peer == t->self) {
		g = pv_gnt_share_pages(t->g, t->self, 1, &ref, 1);
		m1 = g ? pv_gnt_map(t->g, PV_DOMID_SELF, 1, &ref, 1) : NULL;
		CHECK(m1 != NULL, "a self-grant maps through PV_DOMID_SELF");
		if (m1)
			pv_gnt_unmap(t->g, m1, 1);
		if (g)
			pv_gnt_unshare(t->g, g, 1);
	}
	CHECK(pv_gnt_unmap(t->m, g, 1) == -EINVAL, "unmap of something never mapped: -EINVAL");
}

static void grant_many(struct tctx *t)
{
	pv_grant_ref_t *refs = calloc(PV_GNT_MAX_BATCH, sizeof(*refs));
	unsigned char *g, *m;

	g = refs ? pv_gnt_share_pages(t->g, t->peer, PV_GNT_MAX_BATCH, refs, 1) : NULL;
	CHECK(g != NULL, "share %u pages at once", PV_GNT_MAX_BATCH);
	if (!g) {
		free(refs);
		return;
	}
	fill(g, PV_GNT_MAX_BATCH, 1);
	m = pv_gnt_map(t->m, t->self, PV_GNT_MAX_BATCH, refs, 0);
	CHECK(m && same(g, m, PV_GNT_MAX_BATCH), "map a full batch contiguously, same bytes");
	if (m)
		pv_gnt_unmap(t->m, m, PV_GNT_MAX_BATCH);
	CHECK(pv_gnt_unshare(t->g, g, PV_GNT_MAX_BATCH) == 0, "unshare the full batch");
	free(refs);
}

#define THREADS       4
#define THREAD_ROUNDS 200

/* One thread: share, map, compare, unmap, unshare, again and again. */
static void *grant_worker(void *arg)
{
	struct tctx *t = arg;
	intptr_t bad = 0;

	for (int i = 0; i < THREAD_ROUNDS; i++) {
		pv_grant_ref_t refs[2];
		unsigned char *g = pv_gnt_share_pages(t->g, t->peer, 2, refs, 1), *m;

		if (!g)
			return (void *)1;
		fill(g, 2, (unsigned char)i);
		m = pv_gnt_map(t->m, t->self, 2, refs, 0);
		bad += !m || !same(g, m, 2);
		if (m)
			pv_gnt_unmap(t->m, m, 2);
		bad += pv_gnt_unshare(t->g, g, 2) != 0;
	}
	return (void *)bad;
}

/* Grant operations on one platform handle from several threads at once. */
static void grant_threads(struct tctx *t)
{
	pthread_t th[THREADS];
	intptr_t bad = 0;
	int started = 0;

	for (; started < THREADS; started++)
		if (pthread_create(&th[started], NULL, grant_worker, t))
			break;
	for (int i = 0; i < started; i++) {
		void *r;

		pthread_join(th[i], &r);
		bad += (intptr_t)r;
	}
	CHECK(started == THREADS && bad == 0, "%d threads x %d share/map/unmap/unshare: %ld bad",
	      THREADS, THREAD_ROUNDS, (long)bad);
}

void test_grants(struct tctx *t)
{
	grant_threads(t);
	grant_map_write_read(t);
	grant_wrong_domid(t);
	grant_readonly(t);
	grant_revoked_and_range(t);
	grant_batch_all_or_nothing(t);
	grant_concurrent_maps(t);
	grant_many(t);
}

static int setup_local(struct tctx *t)
{
	int rc = pv_local_open(&t->admin, t->rundir);

	if (rc) {
		fprintf(stderr, "cannot reach pvkitd under %s: %s\n", t->rundir, strerror(-rc));
		return rc;
	}
	rc = pv_local_domain_create(t->admin, "pvtest-peer", 16u << 20, &t->peer);
	if (rc)
		fprintf(stderr, "cannot create the peer domain: %s\n", strerror(-rc));
	return rc;
}

static int run(struct tctx *t, const char *name)
{
	static const struct {
		const char *name;
		void (*fn)(struct tctx *t);
		int local_only;
	} tests[] = {
	    {"grants", test_grants, 0},           {"copy", test_copy, 0},
	    {"evtchn", test_evtchn, 0},           {"domains", test_domains, 1},
	    {"hostile", test_hostile_clients, 1}, {"xenstore", test_xenstore, 1},
	};

	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (name && strcmp(name, tests[i].name))
			continue;
		printf("# %s\n", tests[i].name);
		if (tests[i].local_only && !t->local)
			skip(tests[i].name);
		else
			tests[i].fn(t);
		if (name)
			return 0;
	}
	return name ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct tctx t = {.platform = getenv("PVKIT_PLATFORM"), .peer = PV_DOMID_INVALID};
	int o;

	if (!t.platform || !*t.platform)
		t.platform = "local";
	t.local = !strcmp(t.platform, "local");
	t.rundir = pv_local_default_rundir();
	while ((o = getopt(argc, argv, "p:r:")) != -1) {
		if (o == 'p')
			t.peer = (pv_domid_t)atoi(optarg);
		else if (o == 'r')
			t.rundir = optarg;
		else
			return 2;
	}
	if (t.local && t.peer == PV_DOMID_INVALID && setup_local(&t))
		return 1;
	if (t.peer == PV_DOMID_INVALID)
		t.peer = 0;
	t.g = open_as(&t, 0);
	t.m = open_as(&t, t.peer);
	if (!t.g || !t.m)
		return 1;
	t.self = pv_platform_domid(t.g);
	if (optind == argc)
		run(&t, NULL);
	for (int i = optind; i < argc; i++)
		if (run(&t, argv[i]) < 0)
			fprintf(stderr, "unknown test %s\n", argv[i]);
	pv_platform_close(t.m);
	pv_platform_close(t.g);
	pv_local_close(t.admin);
	printf("PVTEST passed=%d failed=%d skipped=%d\n", passed, failed, skipped);
	return failed ? 1 : 0;
}

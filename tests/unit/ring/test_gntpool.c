/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ring/gntpool.c over a mock platform (this file defines
 * the four grant calls gntpool uses): pool hand-out and double puts,
 * revoke while mapped (XSA-396), cache bounds, hostile references, and
 * every cached grant released at teardown (XSA-371).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pvkit/arch.h"
#include "pvkit/gntpool.h"
#include "pvkit/log.h"
#include "../../harness/cunit.h"

/* ---- mock platform: one granting domain (FRONT) and its grant table ----------- */

#define FRONT     1
#define BACK      0
#define MOCK_REFS 16384
#define FIRST_REF 8 /* as Xen's reserved entries */

static struct mock_grant {
	unsigned char *page; /* NULL: free entry */
	int writable;
	int mapped;
} grants[MOCK_REFS];

static pv_grant_ref_t next_ref = FIRST_REF;
static int live_grants, live_maps, map_calls, share_fail;
static char platform_storage;
#define PLATFORM ((struct pv_platform *)&platform_storage)

void *pv_gnt_share_pages(struct pv_platform *p, pv_domid_t peer, unsigned int count,
			 pv_grant_ref_t *refs, int writable)
{
	unsigned char *mem;

	(void)p;
	(void)peer;
	if (share_fail || next_ref + count > MOCK_REFS) {
		errno = ENOSPC;
		return NULL;
	}
	mem = aligned_alloc(PV_PAGE_SIZE, (size_t)count * PV_PAGE_SIZE);
	if (!mem)
		return NULL;
	memset(mem, 0, (size_t)count * PV_PAGE_SIZE);
	for (unsigned int i = 0; i < count; i++) {
		refs[i] = next_ref++;
		grants[refs[i]] = (struct mock_grant){mem + (size_t)i * PV_PAGE_SIZE, writable, 0};
		live_grants++;
	}
	return mem;
}

static pv_grant_ref_t ref_of(const void *addr)
{
	for (pv_grant_ref_t r = FIRST_REF; r < next_ref; r++)
		if (grants[r].page == addr)
			return r;
	return PV_GRANT_INVALID;
}

int pv_gnt_unshare(struct pv_platform *p, void *addr, unsigned int count)
{
	pv_grant_ref_t first = ref_of(addr);

	(void)p;
	if (first == PV_GRANT_INVALID)
		return -EINVAL;
	for (unsigned int i = 0; i < count; i++)
		if (grants[first + i].mapped)
			return -EBUSY;
	for (unsigned int i = 0; i < count; i++) {
		grants[first + i].page = NULL;
		live_grants--;
	}
	free(addr);
	return 0;
}

/* "Maps" by handing out the granted page itself, after Xen's checks. */
void *pv_gnt_map(struct pv_platform *p, pv_domid_t domid, unsigned int count,
		 const pv_grant_ref_t *refs, int writable)
{
	struct mock_grant *g;

	(void)p;
	map_calls++;
	if (count != 1 || domid != FRONT || refs[0] >= MOCK_REFS || !grants[refs[0]].page) {
		errno = EINVAL;
		return NULL;
	}
	g = &grants[refs[0]];
	if (writable && !g->writable) {
		errno = EACCES;
		return NULL;
	}
	g->mapped++;
	live_maps++;
	return g->page;
}

int pv_gnt_unmap(struct pv_platform *p, void *addr, unsigned int count)
{
	pv_grant_ref_t r = ref_of(addr);

	(void)p;
	if (count != 1 || r == PV_GRANT_INVALID || !grants[r].mapped)
		return -EINVAL;
	grants[r].mapped--;
	live_maps--;
	return 0;
}

static void quiet(enum pv_log_level level, const char *line, void *opaque)
{
	(void)level;
	(void)line;
	(void)opaque;
}

static int setup(void)
{
	pv_log_set_sink(quiet, NULL);
	return 0;
}

/* ---- pool ---------------------------------------------------------------------- */

static void test_pool_hand_out(void)
{
	struct pv_gnt_pool *pool;
	struct pv_gnt_page pg[16], extra;
	int base = live_grants;

	CU_ASSERT_EQUAL_FATAL(pv_gnt_pool_create(PLATFORM, BACK, 16, 1, &pool), 0);
	CU_ASSERT_EQUAL(live_grants, base + 16);
	CU_ASSERT_EQUAL(pv_gnt_pool_avail(pool), 16);
	for (int i = 0; i < 16; i++) {
		CU_ASSERT_EQUAL_FATAL(pv_gnt_pool_get(pool, &pg[i]), 0);
		CU_ASSERT_PTR_EQUAL(grants[pg[i].ref].page, pg[i].addr);
		CU_ASSERT_EQUAL((uintptr_t)pg[i].addr % PV_PAGE_SIZE, 0);
		for (int j = 0; j < i; j++)
			CU_ASSERT(pg[j].ref != pg[i].ref && pg[j].index != pg[i].index);
	}
	CU_ASSERT_EQUAL(pv_gnt_pool_get(pool, &extra), -ENOSPC);
	/* Cannot be torn down with pages out. */
	CU_ASSERT_EQUAL(pv_gnt_pool_destroy(pool), -EBUSY);
	CU_ASSERT_EQUAL(pv_gnt_pool_put(pool, 16), -EINVAL);
	CU_ASSERT_EQUAL(pv_gnt_pool_put(pool, pg[3].index), 0);
	CU_ASSERT_EQUAL(pv_gnt_pool_put(pool, pg[3].index), -EINVAL); /* double put */
	CU_ASSERT_EQUAL(pv_gnt_pool_avail(pool), 1);
	CU_ASSERT_EQUAL(pv_gnt_pool_get(pool, &extra), 0);
	CU_ASSERT_EQUAL(extra.ref, pg[3].ref); /* recycled, still granted */
	pg[3] = extra;
	for (int i = 0; i < 16; i++)
		CU_ASSERT_EQUAL(pv_gnt_pool_put(pool, pg[i].index), 0);
	CU_ASSERT_EQUAL(pv_gnt_pool_destroy(pool), 0);
	CU_ASSERT_EQUAL(live_grants, base);
}

static void test_pool_create_rejects(void)
{
	struct pv_gnt_pool *pool = NULL;
	int base = live_grants;

	CU_ASSERT_EQUAL(pv_gnt_pool_create(PLATFORM, BACK, 0, 1, &pool), -EINVAL);
	CU_ASSERT_EQUAL(pv_gnt_pool_create(PLATFORM, BACK, PV_GNT_POOL_MAX_PAGES + 1, 1, &pool),
			-EINVAL);
	share_fail = 1;
	CU_ASSERT_EQUAL(pv_gnt_pool_create(PLATFORM, BACK, 4, 1, &pool), -ENOSPC);
	share_fail = 0;
	CU_ASSERT_PTR_NULL(pool);
	CU_ASSERT_EQUAL(live_grants, base);
}

static void test_pool_revoke_while_mapped(void)
{
	struct pv_gnt_pool *pool;
	struct pv_gnt_page pg;
	unsigned char *peer;

	CU_ASSERT_EQUAL_FATAL(pv_gnt_pool_create(PLATFORM, BACK, 2, 1, &pool), 0);
	CU_ASSERT_EQUAL_FATAL(pv_gnt_pool_get(pool, &pg), 0);
	peer = pv_gnt_map(PLATFORM, FRONT, 1, &pg.ref, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(peer);
	CU_ASSERT_EQUAL(pv_gnt_pool_put(pool, pg.index), 0);
	/* XSA-396: the backend still maps a page; nothing is freed, the pool stays whole. */
	CU_ASSERT_EQUAL(pv_gnt_pool_destroy(pool), -EBUSY);
	CU_ASSERT_EQUAL(pv_gnt_pool_avail(pool), 2);
	CU_ASSERT_EQUAL(pv_gnt_pool_get(pool, &pg), 0);
	memset(pg.addr, 0x5a, PV_PAGE_SIZE); /* still our memory (ASan would object otherwise) */
	CU_ASSERT_EQUAL(pv_gnt_pool_put(pool, pg.index), 0);
	CU_ASSERT_EQUAL(pv_gnt_unmap(PLATFORM, peer, 1), 0);
	CU_ASSERT_EQUAL(pv_gnt_pool_destroy(pool), 0);
}

/* ---- cache ------------------------------------------------------------------------ */

static void test_cache_map_once(void)
{
	struct pv_gnt_pool *pool;
	struct pv_gnt_cache *c;
	struct pv_gnt_page pg;
	unsigned char *a, *b;
	int calls;

	CU_ASSERT_EQUAL_FATAL(pv_gnt_pool_create(PLATFORM, BACK, 4, 1, &pool), 0);
	CU_ASSERT_EQUAL_FATAL(pv_gnt_cache_create(PLATFORM, FRONT, 8, 1, &c), 0);
	CU_ASSERT_EQUAL(pv_gnt_pool_get(pool, &pg), 0);
	CU_ASSERT_PTR_NULL(pv_gnt_cache_lookup(c, pg.ref));
	calls = map_calls;
	a = pv_gnt_cache_map(c, pg.ref);
	b = pv_gnt_cache_map(c, pg.ref);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_EQUAL(a, b);
	CU_ASSERT_EQUAL(map_calls, calls + 1); /* mapped once, then found */
	CU_ASSERT_PTR_EQUAL(pv_gnt_cache_lookup(c, pg.ref), a);
	CU_ASSERT_EQUAL(pv_gnt_cache_count(c), 1);
	/* The data path: the backend writes, the frontend reads its own page. */
	memcpy(a, "persistent", 11);
	CU_ASSERT_STRING_EQUAL((char *)pg.addr, "persistent");
	CU_ASSERT_EQUAL(pv_gnt_cache_destroy(c), 0);
	CU_ASSERT_EQUAL(pv_gnt_pool_put(pool, pg.index), 0);
	CU_ASSERT_EQUAL(pv_gnt_pool_destroy(pool), 0);
}

static void test_cache_bounded_and_hostile(void)
{
	struct pv_gnt_pool *pool, *ro;
	struct pv_gnt_cache *c;
	struct pv_gnt_page pg[6], rop;
	int maps = live_maps;

	CU_ASSERT_EQUAL_FATAL(pv_gnt_pool_create(PLATFORM, BACK, 6, 1, &pool), 0);
	CU_ASSERT_EQUAL_FATAL(pv_gnt_pool_create(PLATFORM, BACK, 1, 0, &ro), 0);
	CU_ASSERT_EQUAL_FATAL(pv_gnt_cache_create(PLATFORM, FRONT, 4, 1, &c), 0);
	for (int i = 0; i < 6; i++)
		pv_gnt_pool_get(pool, &pg[i]);
	pv_gnt_pool_get(ro, &rop);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_PTR_NOT_NULL(pv_gnt_cache_map(c, pg[i].ref));
	errno = 0;
	CU_ASSERT_PTR_NULL(pv_gnt_cache_map(c, pg[4].ref));
	CU_ASSERT_EQUAL(errno, ENOSPC);
	CU_ASSERT_PTR_NOT_NULL(pv_gnt_cache_map(c, pg[2].ref)); /* cached ones still served */
	CU_ASSERT_EQUAL(pv_gnt_cache_count(c), 4);
	CU_ASSERT_EQUAL(live_maps, maps + 4);
	CU_ASSERT_EQUAL(pv_gnt_cache_destroy(c), 0);

	/* Hostile references: unknown, out of range, read-only mapped writable. */
	CU_ASSERT_EQUAL_FATAL(pv_gnt_cache_create(PLATFORM, FRONT, 4, 1, &c), 0);
	errno = 0;
	CU_ASSERT_PTR_NULL(pv_gnt_cache_map(c, MOCK_REFS - 1));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(pv_gnt_cache_map(c, 0xFFFFFFF0u));
	CU_ASSERT_PTR_NULL(pv_gnt_cache_map(c, rop.ref));
	CU_ASSERT_EQUAL(errno, EACCES);
	CU_ASSERT_EQUAL(pv_gnt_cache_count(c), 0);
	CU_ASSERT_PTR_NULL(pv_gnt_cache_lookup(c, rop.ref));
	CU_ASSERT_EQUAL(pv_gnt_cache_destroy(c), 0);
	CU_ASSERT_EQUAL(live_maps, maps);
	for (int i = 0; i < 6; i++)
		pv_gnt_pool_put(pool, pg[i].index);
	pv_gnt_pool_put(ro, rop.index);
	CU_ASSERT_EQUAL(pv_gnt_pool_destroy(pool), 0);
	CU_ASSERT_EQUAL(pv_gnt_pool_destroy(ro), 0);
}

/* XSA-371: a domain torn down with many grants cached releases every one. */
static void test_cache_teardown_releases_all(void)
{
	enum { N = 1500 };
	static struct pv_gnt_page pg[N];
	struct pv_gnt_pool *pool;
	struct pv_gnt_cache *c;
	int maps = live_maps, bad = 0;

	CU_ASSERT_EQUAL_FATAL(pv_gnt_pool_create(PLATFORM, BACK, N, 1, &pool), 0);
	CU_ASSERT_EQUAL_FATAL(pv_gnt_cache_create(PLATFORM, FRONT, N, 1, &c), 0);
	for (int i = 0; i < N; i++) {
		pv_gnt_pool_get(pool, &pg[i]);
		bad += pv_gnt_cache_map(c, pg[i].ref) != pg[i].addr;
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* Every lookup finds its own page, across hash collisions. */
	for (int i = N - 1; i >= 0; i--)
		bad += pv_gnt_cache_lookup(c, pg[i].ref) != pg[i].addr;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(pv_gnt_cache_count(c), N);
	CU_ASSERT_EQUAL(live_maps, maps + N);
	for (int i = 0; i < N; i++)
		pv_gnt_pool_put(pool, pg[i].index);
	/* Mid-I/O teardown: the frontend cannot revoke while the backend maps. */
	CU_ASSERT_EQUAL(pv_gnt_pool_destroy(pool), -EBUSY);
	CU_ASSERT_EQUAL(pv_gnt_cache_destroy(c), 0);
	CU_ASSERT_EQUAL(live_maps, maps);
	CU_ASSERT_EQUAL(pv_gnt_pool_destroy(pool), 0);
}

/* Runs: contiguous pages for zero-copy buffers, single pages kept out of their way. */
static void test_pool_runs(void)
{
	struct pv_gnt_pool *pool;
	struct pv_gnt_page pg, single;
	unsigned int a, b, c, idx;

	CU_ASSERT_EQUAL_FATAL(pv_gnt_pool_create(PLATFORM, BACK, 200, 1, &pool), 0);
	CU_ASSERT_EQUAL(pv_gnt_pool_get_run(pool, 0, &a), -EINVAL);
	CU_ASSERT_EQUAL(pv_gnt_pool_get_run(pool, 201, &a), -ENOSPC);
	CU_ASSERT_EQUAL_FATAL(pv_gnt_pool_get(pool, &single), 0);
	CU_ASSERT_EQUAL(single.index, 199); /* singles from the top */
	CU_ASSERT_EQUAL_FATAL(pv_gnt_pool_get_run(pool, 70, &a), 0);
	CU_ASSERT_EQUAL(a, 0);
	CU_ASSERT_EQUAL_FATAL(pv_gnt_pool_get_run(pool, 70, &b), 0);
	CU_ASSERT_EQUAL(b, 70);
	CU_ASSERT_EQUAL(pv_gnt_pool_avail(pool), 59);
	CU_ASSERT_EQUAL(pv_gnt_pool_get_run(pool, 60, &c), -ENOSPC);
	CU_ASSERT_EQUAL_FATAL(pv_gnt_pool_get_run(pool, 59, &c), 0);
	CU_ASSERT_EQUAL(c, 140);
	/* The run is one range of memory; each page is granted and addressable. */
	for (unsigned int i = 0; i < 70; i++) {
		CU_ASSERT_EQUAL_FATAL(pv_gnt_pool_page(pool, b + i, &pg), 0);
		CU_ASSERT_PTR_EQUAL(grants[pg.ref].page, pg.addr);
		CU_ASSERT_EQUAL(pv_gnt_pool_index(pool, (unsigned char *)pg.addr + 100, &idx), 0);
		CU_ASSERT_EQUAL(idx, b + i);
	}
	CU_ASSERT_EQUAL(pv_gnt_pool_index(pool, &idx, &idx), -ENOENT);
	/* A hole in the middle: only runs that fit it. */
	for (unsigned int i = 10; i < 20; i++)
		CU_ASSERT_EQUAL(pv_gnt_pool_put(pool, b + i), 0);
	CU_ASSERT_EQUAL(pv_gnt_pool_page(pool, b + 10, &pg), -EINVAL); /* free now */
	CU_ASSERT_EQUAL(pv_gnt_pool_get_run(pool, 11, &c), -ENOSPC);
	CU_ASSERT_EQUAL_FATAL(pv_gnt_pool_get_run(pool, 10, &c), 0);
	CU_ASSERT_EQUAL(c, b + 10);
	CU_ASSERT_EQUAL(pv_gnt_pool_put(pool, single.index), 0);
	CU_ASSERT_EQUAL(pv_gnt_pool_put(pool, single.index), -EINVAL);
	for (unsigned int i = 0; i < 199; i++)
		CU_ASSERT_EQUAL(pv_gnt_pool_put(pool, i), 0);
	CU_ASSERT_EQUAL(pv_gnt_pool_avail(pool), 200);
	CU_ASSERT_EQUAL(pv_gnt_pool_destroy(pool), 0);
}

static CU_TestInfo gntpool_tests[] = {
	{"pool runs of contiguous pages", test_pool_runs},
	{"pool hands out each granted page once", test_pool_hand_out},
	{"pool create rejects and cleans up", test_pool_create_rejects},
	{"pool revoke while mapped (XSA-396)", test_pool_revoke_while_mapped},
	{"cache maps once, then looks up", test_cache_map_once},
	{"cache bounded, hostile refs refused", test_cache_bounded_and_hostile},
	{"cache teardown releases every grant (XSA-371)", test_cache_teardown_releases_all},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"gntpool", setup, NULL, NULL, NULL, gntpool_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

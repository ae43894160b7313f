/* SPDX-License-Identifier: MIT */
/*
 * ring/gntpool.c over the real local platform (pvkitd): a guest's pool of
 * pre-granted pages, domain 0's persistent-grant cache of them, revoke
 * while mapped (XSA-396), and a domain destroyed mid-I/O whose grants are
 * all released by the cache's teardown (XSA-371).
 *
 *   pvkit-test-gntpool RUNDIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvkit/arch.h"
#include "pvkit/gntpool.h"
#include "pvkit/local.h"
#include "pvkit/platform.h"

#define POOL_PAGES 32
#define CACHE_MAX  24

static int passed, failed;
static const char *rundir;

static void check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (ok)
		passed++;
	else
		failed++;
}

static struct pv_platform *open_as(pv_domid_t domid)
{
	struct pv_platform_opts o = {.name = "local", .rundir = rundir, .domid = domid, .domid_set = 1};
	struct pv_platform *p = NULL;
	int rc = pv_platform_open(&p, &o);

	if (rc)
		fprintf(stderr, "cannot open the platform as domain %u: %s\n", domid, strerror(-rc));
	return rc ? NULL : p;
}

static int domain_state(struct pv_local *admin, pv_domid_t domid)
{
	struct pv_local_domain_info *list;
	int n = pv_local_domain_list(admin, &list), state = 0;

	for (int i = 0; i < n; i++)
		if (list[i].domid == domid)
			state = list[i].state;
	if (n >= 0)
		free(list);
	return state;
}

/* Map every pool page through the cache; the data path works both ways. */
static void map_all(struct pv_gnt_cache *c, struct pv_gnt_page *pg, int n, int *mapped, int *full)
{
	*mapped = *full = 0;
	for (int i = 0; i < n; i++) {
		char *m;

		snprintf(pg[i].addr, 64, "request %d", i);
		errno = 0;
		m = pv_gnt_cache_map(c, pg[i].ref);
		if (!m) {
			*full += errno == ENOSPC;
			continue;
		}
		if (strcmp(m, pg[i].addr) == 0)
			(*mapped)++;
		snprintf(m + 2048, 64, "response %d", i);
	}
}

static void test_pool_and_cache(struct pv_platform *guest, struct pv_platform *dom0, pv_domid_t g)
{
	struct pv_gnt_pool *pool;
	struct pv_gnt_cache *c;
	struct pv_gnt_page pg[POOL_PAGES];
	int mapped, full, hits = 0, replies = 0;

	check(pv_gnt_pool_create(guest, 0, POOL_PAGES, 1, &pool) == 0, "guest grants a pool of 32 pages");
	check(pv_gnt_cache_create(dom0, g, CACHE_MAX, 1, &c) == 0, "domain 0 makes a cache of 24");
	errno = 0;
	check(!pv_gnt_cache_map(c, 4000) && errno && errno != ENOSPC && !pv_gnt_cache_count(c),
	      "a reference the guest never granted is refused, nothing cached");
	for (int i = 0; i < POOL_PAGES; i++)
		pv_gnt_pool_get(pool, &pg[i]);
	map_all(c, pg, POOL_PAGES, &mapped, &full);
	check(mapped == CACHE_MAX && full == POOL_PAGES - CACHE_MAX,
	      "24 grants mapped and read, the other 8 refused with ENOSPC");
	for (int i = 0; i < CACHE_MAX; i++) {
		char want[64];

		snprintf(want, sizeof(want), "response %d", i);
		replies += strcmp((char *)pg[i].addr + 2048, want) == 0;
		hits += pv_gnt_cache_map(c, pg[i].ref) == pv_gnt_cache_lookup(c, pg[i].ref);
	}
	check(replies == CACHE_MAX, "the guest reads every backend reply in its own pages");
	check(hits == CACHE_MAX && pv_gnt_cache_count(c) == CACHE_MAX, "second maps are cache hits");
	for (int i = 0; i < POOL_PAGES; i++)
		pv_gnt_pool_put(pool, pg[i].index);
	check(pv_gnt_pool_destroy(pool) == -EBUSY, "the guest cannot revoke pages domain 0 maps (XSA-396)");
	check(pv_gnt_cache_destroy(c) == 0, "domain 0 tears its cache down");
	check(pv_gnt_pool_destroy(pool) == 0, "now the guest revokes and frees its pool");
}

/* XSA-371: destroy the guest with grants cached; the teardown releases them all. */
static void test_destroy_mid_io(struct pv_local *admin, struct pv_platform *dom0)
{
	struct pv_platform *guest;
	struct pv_gnt_pool *pool = NULL;
	struct pv_gnt_cache *c = NULL;
	struct pv_gnt_page pg[16];
	pv_domid_t g;
	int mapped, full;

	if (pv_local_domain_create(admin, "gntpool-dying", 1u << 20, &g) || !(guest = open_as(g))) {
		check(0, "create a second guest");
		return;
	}
	if (pv_gnt_pool_create(guest, 0, 16, 1, &pool) || pv_gnt_cache_create(dom0, g, 16, 1, &c)) {
		check(0, "pool and cache for the second guest");
		return;
	}
	for (int i = 0; i < 16; i++)
		pv_gnt_pool_get(pool, &pg[i]);
	map_all(c, pg, 16, &mapped, &full);
	check(mapped == 16, "16 persistent grants mapped");
	check(pv_local_domain_destroy(admin, g) == 0, "destroy the guest mid-I/O");
	check(domain_state(admin, g) == PV_LOCAL_DYING, "it stays dying while domain 0 maps its pages");
	check(pv_gnt_cache_destroy(c) == 0, "the cache teardown unmaps every grant");
	check(domain_state(admin, g) == 0, "after it the domain is gone: nothing was leaked");
	pv_gnt_pool_abandon(pool); /* its domain is dead: nothing left to revoke */
	pv_platform_close(guest);
}

int main(int argc, char **argv)
{
	struct pv_local *admin;
	struct pv_platform *guest, *dom0;
	pv_domid_t g;

	if (argc != 2) {
		fprintf(stderr, "usage: %s RUNDIR\n", argv[0]);
		return 2;
	}
	rundir = argv[1];
	if (pv_local_open(&admin, rundir) || pv_local_domain_create(admin, "gntpool-guest", 4u << 20, &g)) {
		fprintf(stderr, "cannot reach pvkitd under %s or create a guest\n", rundir);
		return 1;
	}
	guest = open_as(g);
	dom0 = open_as(0);
	if (!guest || !dom0)
		return 1;
	test_pool_and_cache(guest, dom0, g);
	test_destroy_mid_io(admin, dom0);
	pv_platform_close(guest);
	pv_platform_close(dom0);
	pv_local_domain_destroy(admin, g);
	pv_local_close(admin);
	printf("PVTEST passed=%d failed=%d\n", passed, failed);
	return failed ? 1 : 0;
}

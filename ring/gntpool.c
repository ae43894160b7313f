/* SPDX-License-Identifier: MIT */
/*
 * Persistent grants (include/pvkit/gntpool.h): a frontend pool of pages
 * granted once, and a backend cache of mapped grants released at teardown.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "pvkit/arch.h"
#include "pvkit/gntpool.h"
#include "pvkit/log.h"

/* ---- frontend pool ------------------------------------------------------------ */

struct pv_gnt_pool {
	struct pv_platform *platform;
	unsigned char *base;      /* npages contiguous pages from pv_gnt_share_pages() */
	unsigned int npages;
	pv_grant_ref_t *refs;     /* refs[i] grants page i */
	uint64_t *free_map;       /* bit i set: page i is free (catches double puts) */
	unsigned int nwords;
	unsigned int hi;          /* no word above this one has a free bit */
	unsigned int nfree;
};

#define POOL_WORD(i) ((i) / 64)
#define POOL_BIT(i) ((uint64_t)1 << ((i) % 64))

static void pool_free_bookkeeping(struct pv_gnt_pool *pool)
{
	free(pool->free_map);
	free(pool->refs);
	free(pool);
}

static bool page_free(const struct pv_gnt_pool *pool, unsigned int i)
{
	return pool->free_map[POOL_WORD(i)] & POOL_BIT(i);
}

static void take(struct pv_gnt_pool *pool, unsigned int i)
{
	pool->free_map[POOL_WORD(i)] &= ~POOL_BIT(i);
	pool->nfree--;
}

int pv_gnt_pool_create(struct pv_platform *p, pv_domid_t backend, unsigned int npages, int writable,
		       struct pv_gnt_pool **out)
{
	struct pv_gnt_pool *pool;
	int rc = -ENOMEM;

	if (!p || !out || npages < 1 || npages > PV_GNT_POOL_MAX_PAGES)
		return -EINVAL;
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	pool->platform = p;
	pool->npages = npages;
	pool->refs = calloc(npages, sizeof(*pool->refs));
	pool->nwords = (npages + 63) / 64;
	pool->free_map = calloc(pool->nwords, sizeof(*pool->free_map));
	if (!pool->refs || !pool->free_map)
		goto out_free_pool;
	pool->base = pv_gnt_share_pages(p, backend, npages, pool->refs, writable);
	if (!pool->base) {
		rc = errno ? -errno : -ENOMEM;
		/* Out of grants is the caller's to handle (blkfront retries smaller). */
		pv_log(rc == -ENOSPC ? PV_LOG_DEBUG : PV_LOG_ERR, NULL, -rc,
		       "grant pool: cannot grant %u pages to domain %u", npages, backend);
		goto out_free_pool;
	}
	for (unsigned int i = 0; i < npages; i++)
		pool->free_map[POOL_WORD(i)] |= POOL_BIT(i);
	pool->nfree = npages;
	pool->hi = pool->nwords - 1;
	*out = pool;
	return 0;

out_free_pool:
	pool_free_bookkeeping(pool);
	return rc;
}

static void fill_page(const struct pv_gnt_pool *pool, unsigned int i, struct pv_gnt_page *page)
{
	page->index = i;
	page->ref = pool->refs[i];
	page->addr = pool->base + (size_t)i * PV_PAGE_SIZE;
}

/* Single pages come from the top of the pool, runs from the bottom: runs stay possible. */
int pv_gnt_pool_get(struct pv_gnt_pool *pool, struct pv_gnt_page *page)
{
	unsigned int w = pool->hi, i;

	if (!pool->nfree)
		return -ENOSPC;
	while (!pool->free_map[w])
		w--; /* nfree > 0: some word at or below hi has a free bit */
	pool->hi = w;
	i = w * 64 + 63 - (unsigned int)__builtin_clzll(pool->free_map[w]);
	take(pool, i);
	fill_page(pool, i, page);
	return 0;
}

int pv_gnt_pool_put(struct pv_gnt_pool *pool, unsigned int index)
{
	if (index >= pool->npages || page_free(pool, index))
		return -EINVAL;
	pool->free_map[POOL_WORD(index)] |= POOL_BIT(index);
	pool->nfree++;
	if (POOL_WORD(index) > pool->hi)
		pool->hi = POOL_WORD(index);
	return 0;
}

int pv_gnt_pool_get_run(struct pv_gnt_pool *pool, unsigned int n, unsigned int *first)
{
	unsigned int start = 0, len = 0;

	if (n == 0 || n > pool->nfree)
		return n ? -ENOSPC : -EINVAL;
	for (unsigned int i = 0; i < pool->npages; i++) {
		if (len == 0 && i % 64 == 0 && !pool->free_map[POOL_WORD(i)]) {
			i += 63; /* a word with no free page */
			continue;
		}
		if (!page_free(pool, i)) {
			len = 0;
			continue;
		}
		if (len++ == 0)
			start = i;
		if (len == n) {
			for (unsigned int k = start; k < start + n; k++)
				take(pool, k);
			*first = start;
			return 0;
		}
	}
	return -ENOSPC;
}

int pv_gnt_pool_page(const struct pv_gnt_pool *pool, unsigned int index, struct pv_gnt_page *page)
{
	if (index >= pool->npages || page_free(pool, index))
		return -EINVAL;
	fill_page(pool, index, page);
	return 0;
}

int pv_gnt_pool_index(const struct pv_gnt_pool *pool, const void *addr, unsigned int *index)
{
	uintptr_t a = (uintptr_t)addr, base = (uintptr_t)pool->base;

	if (a < base || a - base >= (uintptr_t)pool->npages * PV_PAGE_SIZE)
		return -ENOENT;
	*index = (unsigned int)((a - base) / PV_PAGE_SIZE);
	return 0;
}

unsigned int pv_gnt_pool_avail(const struct pv_gnt_pool *pool)
{
	return pool->nfree;
}

int pv_gnt_pool_destroy(struct pv_gnt_pool *pool)
{
	int rc;

	if (!pool)
		return 0;
	if (pool->nfree != pool->npages)
		return -EBUSY;
	rc = pv_gnt_unshare(pool->platform, pool->base, pool->npages);
	if (rc) {
		/* XSA-396: the backend still maps a page; keep everything as it is. */
		pv_warn_errno(rc, "grant pool: cannot end access to %u pages", pool->npages);
		return rc;
	}
	pool_free_bookkeeping(pool);
	return 0;
}

void pv_gnt_pool_abandon(struct pv_gnt_pool *pool)
{
	if (!pool)
		return;
	pv_warn("grant pool: abandoning %u granted pages at %p for good", pool->npages,
		(void *)pool->base);
	pool_free_bookkeeping(pool);
}

/* ---- backend cache -------------------------------------------------------------- */

struct cache_entry {
	pv_grant_ref_t ref;
	void *addr; /* NULL: empty slot */
};

struct pv_gnt_cache {
	struct pv_platform *platform;
	pv_domid_t domid;
	int writable;
	unsigned int max;        /* at most this many mappings */
	unsigned int count;
	uint32_t mask;           /* table size - 1; the table is at least twice max */
	struct cache_entry *table;
};

int pv_gnt_cache_create(struct pv_platform *p, pv_domid_t frontend, unsigned int max, int writable,
			struct pv_gnt_cache **out)
{
	struct pv_gnt_cache *c;
	uint32_t size = 1;

	if (!p || !out || max < 1 || max > PV_GNT_POOL_MAX_PAGES)
		return -EINVAL;
	while (size < 2 * max)
		size <<= 1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->table = calloc(size, sizeof(*c->table));
	if (!c->table) {
		free(c);
		return -ENOMEM;
	}
	c->platform = p;
	c->domid = frontend;
	c->writable = writable;
	c->max = max;
	c->mask = size - 1;
	*out = c;
	return 0;
}

/*
 * The slot holding @ref, or the empty slot where it would go. Linear
 * probing; the table is never more than half full, so this ends.
 */
static struct cache_entry *cache_slot(const struct pv_gnt_cache *c, pv_grant_ref_t ref)
{
	uint32_t i = (ref * 0x9e3779b1u) & c->mask;

	while (c->table[i].addr && c->table[i].ref != ref)
		i = (i + 1) & c->mask;
	return &c->table[i];
}

void *pv_gnt_cache_lookup(const struct pv_gnt_cache *c, pv_grant_ref_t ref)
{
	return cache_slot(c, ref)->addr;
}

void *pv_gnt_cache_map(struct pv_gnt_cache *c, pv_grant_ref_t ref)
{
	struct cache_entry *e = cache_slot(c, ref);
	void *addr;

	if (e->addr)
		return e->addr;
	if (c->count >= c->max) {
		errno = ENOSPC;
		return NULL;
	}
	addr = pv_gnt_map(c->platform, c->domid, 1, &ref, c->writable);
	if (!addr)
		return NULL; /* errno from the platform; the peer's bad ref is the caller's to report */
	e->ref = ref;
	e->addr = addr;
	c->count++;
	return addr;
}

unsigned int pv_gnt_cache_count(const struct pv_gnt_cache *c)
{
	return c->count;
}

int pv_gnt_cache_destroy(struct pv_gnt_cache *c)
{
	int rc = 0, err;

	if (!c)
		return 0;
	for (uint32_t i = 0; i <= c->mask; i++) {
		if (!c->table[i].addr)
			continue;
		err = pv_gnt_unmap(c->platform, c->table[i].addr, 1);
		if (err) {
			pv_err_errno(err, "grant cache: cannot unmap grant %u of domain %u",
				     c->table[i].ref, c->domid);
			rc = rc ? rc : err;
		}
	}
	free(c->table);
	free(c);
	return rc;
}

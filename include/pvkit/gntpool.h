/* SPDX-License-Identifier: MIT */
/*
 * Persistent grants, both halves. A frontend keeps a pool of pages granted
 * once to its backend and bounces all I/O data through them; a backend
 * keeps a bounded cache of the frontend's grants it has mapped, looked up
 * by reference, all unmapped at teardown (XSA-371).
 *
 * Built only on include/pvkit/platform.h (pv_gnt_share_pages/unshare and
 * pv_gnt_map/unmap). Threading: a pool or a cache belongs to one thread at
 * a time (one per ring); the caller serialises.
 */
#ifndef PVKIT_GNTPOOL_H
#define PVKIT_GNTPOOL_H

#include "pvkit/platform.h"

/* ---- frontend: a pool of pre-granted pages ------------------------------------ */

#define PV_GNT_POOL_MAX_PAGES 4096u

struct pv_gnt_pool;

/* One page of a pool, as handed out by pv_gnt_pool_get(). */
struct pv_gnt_page {
	unsigned int index;  /* give this back to pv_gnt_pool_put() */
	pv_grant_ref_t ref;  /* the grant the backend knows the page by */
	void *addr;          /* the page, PV_PAGE_SIZE bytes, in our memory */
};

/*
 * Allocate @npages (1..PV_GNT_POOL_MAX_PAGES) zeroed pages and grant each
 * to @backend, writable by it if @writable. The grants stay in place
 * until pv_gnt_pool_destroy(). Returns 0 and sets *@out, or -EINVAL, or
 * the platform's -errno (-ENOSPC: grant table or memory exhausted).
 */
int pv_gnt_pool_create(struct pv_platform *p, pv_domid_t backend, unsigned int npages, int writable,
		       struct pv_gnt_pool **out);

/*
 * Take a free page. Its contents are whatever this pool's backend last
 * saw or wrote; the page never held data meant for anyone else (XSA-403).
 * Returns 0 and fills *@page, or -ENOSPC when every page is in use.
 */
int pv_gnt_pool_get(struct pv_gnt_pool *pool, struct pv_gnt_page *page);

/*
 * Give page @index back. Returns 0, or -EINVAL for an index outside the
 * pool or a page that is not in use (a double put), leaving the pool as
 * it was.
 */
int pv_gnt_pool_put(struct pv_gnt_pool *pool, unsigned int index);

/*
 * Take @n (>= 1) free pages with consecutive indices, hence one contiguous
 * range of memory: a buffer the caller fills in place (zero copy). Sets
 * *@first to the first index; give each page back with pv_gnt_pool_put().
 * Returns 0, -ENOSPC when no free run is that long, or -EINVAL for n 0.
 */
int pv_gnt_pool_get_run(struct pv_gnt_pool *pool, unsigned int n, unsigned int *first);

/* Fill *@page for page @index, which must be handed out: 0, or -EINVAL. */
int pv_gnt_pool_page(const struct pv_gnt_pool *pool, unsigned int index, struct pv_gnt_page *page);

/* The index of the pool page holding @addr: 0, or -ENOENT when it is not pool memory. */
int pv_gnt_pool_index(const struct pv_gnt_pool *pool, const void *addr, unsigned int *index);

/* Free pages. */
unsigned int pv_gnt_pool_avail(const struct pv_gnt_pool *pool);

/*
 * End the backend's access to every page and free the pool. Returns 0,
 * -EBUSY when pages are still handed out (put them back first), or the
 * platform's -EBUSY when the backend still maps a page: then nothing is
 * freed and the pool stays usable; retry later, or give up with
 * pv_gnt_pool_abandon() (never reuse a page whose revoke failed: XSA-396).
 */
int pv_gnt_pool_destroy(struct pv_gnt_pool *pool);

/*
 * Free the pool's bookkeeping but leave its pages granted and allocated
 * for good: the last resort when the backend never lets go of them.
 */
void pv_gnt_pool_abandon(struct pv_gnt_pool *pool);

/* ---- backend: a bounded cache of persistently mapped grants ----------------------- */

struct pv_gnt_cache;

/*
 * A cache of at most @max (1..PV_GNT_POOL_MAX_PAGES) grants of domain
 * @frontend, mapped writable if @writable (for reads into them) else
 * read-only. Returns 0 and sets *@out, or -EINVAL / -ENOMEM.
 */
int pv_gnt_cache_create(struct pv_platform *p, pv_domid_t frontend, unsigned int max, int writable,
			struct pv_gnt_cache **out);

/*
 * The mapping of grant @ref: from the cache, or mapped now and kept.
 * @ref comes from the peer and is hostile: mapping checks it. Returns the
 * page address, or NULL with errno set: ENOSPC when the cache is full and
 * @ref is not in it (map it for this request only, or fail the request),
 * or the platform's errno when the map failed (EACCES, EPERM, EINVAL).
 */
void *pv_gnt_cache_map(struct pv_gnt_cache *c, pv_grant_ref_t ref);

/* The mapping of @ref if cached, else NULL (nothing is mapped). */
void *pv_gnt_cache_lookup(const struct pv_gnt_cache *c, pv_grant_ref_t ref);

/* Grants mapped now. */
unsigned int pv_gnt_cache_count(const struct pv_gnt_cache *c);

/*
 * Unmap every cached grant and free the cache: call at disconnect, on
 * every path (XSA-371). Returns 0, or the first unmap error (every grant
 * is still attempted and the cache is freed either way).
 */
int pv_gnt_cache_destroy(struct pv_gnt_cache *c);

#endif

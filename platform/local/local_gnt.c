/* SPDX-License-Identifier: MIT */
/*
 * Local platform grants, client side: sharing pages out of the domain's
 * memfd (pages and references leased from pvkitd in chunks), and mapping
 * or copying the grants of others once pvkitd has pinned them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pvkit/arch.h"
#include "pvkit/log.h"
#include "client.h"
#include "gntcheck.h"

#define PAGE_LEASE 256 /* pages asked of pvkitd at a time */
#define REF_LEASE  64  /* references asked of pvkitd at a time */

static struct pvl_plat *plat(struct pv_platform *p)
{
	return p->priv;
}

/* Lease @want (or at least @need) more items from pvkitd into @b. */
static int lease(struct pvl_plat *l, uint32_t op, struct pvl_bitmap *b, uint32_t need,
                 uint32_t want)
{
	struct pvkitd_lease req = {.count = want}, rep;
	int rc = pvl_call(l->sock, op, 0, &req, sizeof(req), l->buf, NULL, NULL, NULL, NULL);

	if (rc == -ENOSPC && want > need) {
		req.count = need;
		rc = pvl_call(l->sock, op, 0, &req, sizeof(req), l->buf, NULL, NULL, NULL, NULL);
	}
	if (rc < 0)
		return rc;
	if (rc != sizeof(rep))
		return -EPROTO;
	memcpy(&rep, pvl_payload(l->buf), sizeof(rep));
	return pvl_bitmap_mark(b, rep.first, req.count, 0);
}

static int64_t alloc_pages(struct pvl_plat *l, uint32_t count)
{
	int64_t first = pvl_bitmap_alloc(&l->pages, count);
	int rc;

	if (first >= 0)
		return first;
	rc =
	    lease(l, PVKITD_LEASE_PAGES, &l->pages, count, count > PAGE_LEASE ? count : PAGE_LEASE);
	return rc ? rc : pvl_bitmap_alloc(&l->pages, count);
}

static int alloc_refs(struct pvl_plat *l, unsigned int count, pv_grant_ref_t *refs)
{
	for (unsigned int i = 0; i < count; i++) {
		int64_t r = pvl_bitmap_alloc(&l->refs, 1);

		if (r < 0 && lease(l, PVKITD_LEASE_REFS, &l->refs, count - i,
		                   count - i > REF_LEASE ? count - i : REF_LEASE) == 0)
			r = pvl_bitmap_alloc(&l->refs, 1);
		if (r < 0) {
			while (i--)
				pvl_bitmap_mark(&l->refs, refs[i], 1, 0);
			return -ENOSPC;
		}
		refs[i] = (pv_grant_ref_t)r;
	}
	return 0;
}

void *pvl_share_pages(struct pv_platform *p, pv_domid_t peer, unsigned int count,
                      pv_grant_ref_t *refs, int writable)
{
	struct pvl_plat *l = plat(p);
	int64_t first;
	int rc;

	if (!count || count > l->mem_pages || peer >= PV_DOMID_SELF || !refs) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&l->lock);
	rc = alloc_refs(l, count, refs);
	if (rc)
		goto out_unlock;
	first = alloc_pages(l, count);
	if (first < 0) {
		for (unsigned int i = 0; i < count; i++)
			pvl_bitmap_mark(&l->refs, refs[i], 1, 0);
		rc = -ENOSPC;
		goto out_unlock;
	}
	for (unsigned int i = 0; i < count; i++) {
		pvl_gnt_grant(&l->gt[refs[i]], peer, (uint32_t)first + i, writable);
		l->page_ref[first + i] = refs[i];
	}
	pthread_mutex_unlock(&l->lock);
	return l->mem + (size_t)first * PV_PAGE_SIZE;
out_unlock:
	pthread_mutex_unlock(&l->lock);
	errno = -rc;
	return NULL;
}

/* The first page of [addr, addr + count pages) in own memory, or -EINVAL. */
static int64_t own_page(struct pvl_plat *l, void *addr, unsigned int count)
{
	uintptr_t off = (uintptr_t)addr - (uintptr_t)l->mem;

	if ((unsigned char *)addr < l->mem || off % PV_PAGE_SIZE || !count ||
	    off / PV_PAGE_SIZE + count > l->mem_pages)
		return -EINVAL;
	return (int64_t)(off / PV_PAGE_SIZE);
}

int pvl_unshare(struct pv_platform *p, void *addr, unsigned int count)
{
	struct pvl_plat *l = plat(p);
	int64_t first = own_page(l, addr, count);
	int busy = 0;

	if (first < 0)
		return -EINVAL;
	pthread_mutex_lock(&l->lock);
	for (unsigned int i = 0; i < count; i++) {
		if (l->page_ref[first + i] == PV_GRANT_INVALID) {
			pthread_mutex_unlock(&l->lock);
			return -EINVAL;
		}
	}
	/* End every entry we can; if any is still mapped, free nothing (XSA-396). */
	for (unsigned int i = 0; i < count; i++)
		if (pvl_gnt_end(&l->gt[l->page_ref[first + i]]) == -EBUSY)
			busy = 1;
	if (!busy) {
		for (unsigned int i = 0; i < count; i++) {
			pvl_bitmap_mark(&l->refs, l->page_ref[first + i], 1, 0);
			l->page_ref[first + i] = PV_GRANT_INVALID;
		}
		/* Freed pages read as zeroes when shared again. */
		if (fallocate(l->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		              first * PV_PAGE_SIZE, (off_t)count * PV_PAGE_SIZE) < 0)
			memset(addr, 0, (size_t)count * PV_PAGE_SIZE);
		pvl_bitmap_mark(&l->pages, (uint32_t)first, count, 0);
	}
	pthread_mutex_unlock(&l->lock);
	return busy ? -EBUSY : 0;
}

/* ---- memory for device DMA ------------------------------------------------------- */

void *pvl_dma_alloc(struct pv_platform *p, unsigned int count, uint64_t *gpa)
{
	struct pvl_plat *l = plat(p);
	int64_t first;

	if (count > l->mem_pages) {
		errno = ENOSPC;
		return NULL;
	}
	pthread_mutex_lock(&l->lock);
	first = alloc_pages(l, count);
	pthread_mutex_unlock(&l->lock);
	if (first < 0) {
		errno = ENOSPC;
		return NULL;
	}
	/* Leased pages were punched (zero) when last freed, by us or by pvkitd. */
	*gpa = (uint64_t)first * PV_PAGE_SIZE;
	return l->mem + (size_t)first * PV_PAGE_SIZE;
}

int pvl_dma_free(struct pv_platform *p, void *addr, unsigned int count)
{
	struct pvl_plat *l = plat(p);
	int64_t first = own_page(l, addr, count);
	int rc = 0;

	if (first < 0)
		return -EINVAL;
	pthread_mutex_lock(&l->lock);
	/* Taken and granted to nobody: pages from pv_dma_alloc(). */
	if (pvl_bitmap_all_taken(&l->pages, (uint32_t)first, count) != 1)
		rc = -EINVAL;
	for (unsigned int i = 0; rc == 0 && i < count; i++)
		if (l->page_ref[first + i] != PV_GRANT_INVALID)
			rc = -EINVAL;
	if (rc == 0) {
		if (fallocate(l->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		              first * PV_PAGE_SIZE, (off_t)count * PV_PAGE_SIZE) < 0)
			memset(addr, 0, (size_t)count * PV_PAGE_SIZE);
		pvl_bitmap_mark(&l->pages, (uint32_t)first, count, 0);
	}
	pthread_mutex_unlock(&l->lock);
	return rc;
}

int pvl_dma_phys(struct pv_platform *p, const void *addr, uint64_t *gpa)
{
	struct pvl_plat *l = plat(p);
	const unsigned char *a = addr;

	if (a < l->mem || (uint64_t)(a - l->mem) >= (uint64_t)l->mem_pages * PV_PAGE_SIZE)
		return -EINVAL;
	*gpa = (uint64_t)(a - l->mem);
	return 0;
}

int pvl_dma_mem_fd(struct pv_platform *p, uint64_t *bytes)
{
	struct pvl_plat *l = plat(p);
	int fd = fcntl(l->memfd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	*bytes = (uint64_t)l->mem_pages * PV_PAGE_SIZE;
	return fd;
}

int pvl_foreign_mem_fd(struct pv_platform *p, pv_domid_t domid, uint64_t *bytes)
{
	struct pvl_plat *l = plat(p);
	struct pvkitd_domid req = {.domid = domid};
	struct pvkitd_mem_rep rep;
	unsigned int nfds = 1;
	int fd = -1, rc;

	pthread_mutex_lock(&l->lock);
	rc = pvl_call(l->sock, PVKITD_DOM_MEM, 0, &req, sizeof(req), l->buf, &fd, &nfds, NULL, NULL);
	if (rc >= 0 && (rc != sizeof(rep) || nfds != 1))
		rc = -EPROTO;
	if (rc >= 0)
		memcpy(&rep, pvl_payload(l->buf), sizeof(rep));
	pthread_mutex_unlock(&l->lock);
	if (rc < 0) {
		if (nfds == 1 && fd >= 0)
			close(fd);
		return rc;
	}
	*bytes = (uint64_t)rep.mem_pages * PV_PAGE_SIZE;
	return fd;
}

/* ---- the mapping side -------------------------------------------------------- */

struct pvl_peer *pvl_peer_mem(struct pvl_plat *l, pv_domid_t domid, uint64_t gen, int *err)
{
	struct pvkitd_mem_req req = {.domid = domid, .gen = gen};
	struct pvkitd_mem_rep rep;
	struct pvl_peer **pp, *peer;
	int fd = -1, rc;
	unsigned int nfds = 1;

	for (pp = &l->peers; *pp; pp = &(*pp)->next)
		if ((*pp)->domid == domid)
			break;
	if (*pp && (*pp)->gen == gen)
		return *pp;
	rc =
	    pvl_call(l->sock, PVKITD_GET_MEM, 0, &req, sizeof(req), l->buf, &fd, &nfds, NULL, NULL);
	if (rc >= 0 && (rc != sizeof(rep) || nfds != 1))
		rc = -EPROTO;
	if (rc < 0) {
		if (nfds == 1 && fd >= 0)
			close(fd);
		*err = rc;
		return NULL;
	}
	memcpy(&rep, pvl_payload(l->buf), sizeof(rep));
	peer = *pp;
	if (!peer) {
		peer = calloc(1, sizeof(*peer));
		if (!peer) {
			close(fd);
			*err = -ENOMEM;
			return NULL;
		}
		peer->next = l->peers;
		l->peers = peer;
	} else {
		close(
		    peer->memfd); /* an older incarnation: its mappings keep their own reference */
	}
	*peer = (struct pvl_peer){domid, rep.gen, fd, rep.mem_pages, peer->maps, peer->next};
	return peer;
}

void pvl_peer_trim(struct pvl_plat *l)
{
	struct pvl_peer **pp = &l->peers;

	while (*pp) {
		struct pvl_peer *peer = *pp;

		if (peer->maps) {
			pp = &peer->next;
			continue;
		}
		*pp = peer->next;
		close(peer->memfd);
		free(peer);
	}
}

int pvl_send_unmap(struct pvl_plat *l, const uint32_t *handles, unsigned int n)
{
	int rc = pvl_call(l->sock, PVKITD_UNMAP, 0, handles, n * (uint32_t)sizeof(uint32_t), l->buf,
	                  NULL, NULL, NULL, NULL);

	return rc < 0 ? rc : 0;
}

/* Reserve one range, then place each pinned frame in it. */
static void *place_frames(struct pvl_peer *peer, const struct pvkitd_map_res *res,
                          unsigned int count, int writable)
{
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	size_t size = (size_t)count * PV_PAGE_SIZE;
	unsigned char *base = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (base == MAP_FAILED)
		return NULL;
	for (unsigned int i = 0; i < count; i++) {
		if (res[i].frame >= peer->mem_pages ||
		    mmap(base + (size_t)i * PV_PAGE_SIZE, PV_PAGE_SIZE, prot,
		         MAP_SHARED | MAP_FIXED, peer->memfd,
		         (off_t)res[i].frame * PV_PAGE_SIZE) == MAP_FAILED) {
			munmap(base, size);
			errno = EINVAL;
			return NULL;
		}
	}
	return base;
}

static struct pvl_mapping *new_mapping(const struct pvkitd_map_res *res, unsigned int count)
{
	struct pvl_mapping *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->handles = malloc(count * sizeof(uint32_t));
	if (!m->handles) {
		free(m);
		return NULL;
	}
	for (unsigned int i = 0; i < count; i++)
		m->handles[i] = res[i].handle;
	m->count = count;
	return m;
}

int pvl_pin_batch(struct pvl_plat *l, uint32_t flags, const struct pvkitd_map_item *items,
                  unsigned int count, struct pvkitd_map_res *res)
{
	int rc = pvl_call(l->sock, PVKITD_MAP, flags, items, count * (uint32_t)sizeof(*items),
	                  l->buf, NULL, NULL, NULL, NULL);

	if (rc < 0)
		return rc;
	if ((unsigned int)rc != count * sizeof(*res))
		return -EPROTO;
	memcpy(res, pvl_payload(l->buf), count * sizeof(*res));
	return 0;
}

static void *map_locked(struct pvl_plat *l, pv_domid_t domid, unsigned int count,
                        const pv_grant_ref_t *refs, int writable, struct pvkitd_map_res *res)
{
	struct pvkitd_map_item items[PV_GNT_MAX_BATCH];
	uint32_t handles[PV_GNT_MAX_BATCH];
	struct pvl_mapping *m = NULL;
	struct pvl_peer *peer;
	void *addr = NULL;
	int rc;

	for (unsigned int i = 0; i < count; i++)
		items[i] = (struct pvkitd_map_item){refs[i], domid, (uint16_t) !!writable};
	rc = pvl_pin_batch(l, PVKITD_MAP_ALL, items, count, res);
	if (rc)
		goto out_err;
	peer = pvl_peer_mem(l, domid, res[0].gen, &rc);
	m = peer ? new_mapping(res, count) : NULL;
	if (!m) {
		rc = peer ? -ENOMEM : rc;
		goto out_unpin;
	}
	addr = place_frames(peer, res, count, writable);
	if (!addr) {
		rc = -errno;
		goto out_unpin;
	}
	m->addr = addr;
	m->peer = peer;
	peer->maps++;
	m->next = l->maps;
	l->maps = m;
	return addr;
out_unpin:
	free(m ? m->handles : NULL);
	free(m);
	pvl_peer_trim(l);
	for (unsigned int i = 0; i < count; i++)
		handles[i] = res[i].handle;
	pvl_send_unmap(l, handles, count);
out_err:
	errno = -rc;
	return NULL;
}

void *pvl_map(struct pv_platform *p, pv_domid_t domid, unsigned int count,
              const pv_grant_ref_t *refs, int writable)
{
	static __thread struct pvkitd_map_res res[PV_GNT_MAX_BATCH];
	struct pvl_plat *l = plat(p);
	void *addr;

	if (!count || count > PV_GNT_MAX_BATCH || !refs) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&l->lock);
	addr = map_locked(l, domid, count, refs, writable, res);
	pthread_mutex_unlock(&l->lock);
	return addr;
}

int pvl_unmap(struct pv_platform *p, void *addr, unsigned int count)
{
	struct pvl_plat *l = plat(p);
	struct pvl_mapping **pp, *m;
	int rc;

	pthread_mutex_lock(&l->lock);
	for (pp = &l->maps; *pp; pp = &(*pp)->next)
		if ((*pp)->addr == addr && (*pp)->count == count)
			break;
	m = *pp;
	if (!m) {
		pthread_mutex_unlock(&l->lock);
		return -EINVAL;
	}
	*pp = m->next;
	/* Gone from our address space before the pins (and GTF bits) go. */
	munmap(addr, (size_t)count * PV_PAGE_SIZE);
	rc = pvl_send_unmap(l, m->handles, count);
	m->peer->maps--;
	pvl_peer_trim(l);
	pthread_mutex_unlock(&l->lock);
	free(m->handles);
	free(m);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * pvkitd grants: pvkitd is the one place that pins grant entries, so it
 * holds the authoritative pin counts per reference and per connection, and
 * a connection that dies releases its pins.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pvkit/log.h"
#include "gntcheck.h"
#include "pvkitd.h"

#define NO_SLOT UINT32_MAX

static int maps_grow(struct conn *c)
{
	uint32_t cap = c->maps_cap ? c->maps_cap * 2 : 64;
	struct maprec *m;

	if (c->maps_cap >= PVKITD_MAX_MAPS)
		return -ENOSPC;
	if (cap > PVKITD_MAX_MAPS)
		cap = PVKITD_MAX_MAPS;
	m = realloc(c->maps, cap * sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (uint32_t i = c->maps_cap; i < cap; i++)
		m[i] = (struct maprec){.d = NULL, .ref = i + 1 < cap ? i + 1 : NO_SLOT};
	c->maps_free = c->maps_cap;
	c->maps = m;
	c->maps_cap = cap;
	return 0;
}

/* Pin one grant for @c; returns the handle or -errno. */
static int64_t pin_one(struct conn *c, struct domain *d, uint32_t ref, int writable,
                       uint32_t *frame)
{
	uint32_t slot;
	int rc;

	if (ref >= d->nr_refs)
		return -EINVAL;
	if (c->maps_used == c->maps_cap && (rc = maps_grow(c)) < 0)
		return rc;
	rc = pvl_gnt_pin(&d->gt[ref], c->d->domid, writable, d->mem_pages, d->rd_pins[ref],
	                 d->wr_pins[ref], frame);
	if (rc)
		return rc;
	if (writable)
		d->wr_pins[ref]++;
	else
		d->rd_pins[ref]++;
	d->pins++;
	slot = c->maps_free;
	c->maps_free = c->maps[slot].ref;
	c->maps[slot] = (struct maprec){.d = d, .ref = ref, .writable = (uint32_t) !!writable};
	c->maps_used++;
	return slot;
}

static int unpin_one(struct pvkitd *k, struct conn *c, uint32_t handle)
{
	struct maprec *m;
	struct domain *d;

	if (handle >= c->maps_cap || !c->maps[handle].d)
		return -EINVAL;
	m = &c->maps[handle];
	d = m->d;
	if (m->writable)
		d->wr_pins[m->ref]--;
	else
		d->rd_pins[m->ref]--;
	pvl_gnt_unpin(&d->gt[m->ref], d->rd_pins[m->ref], d->wr_pins[m->ref]);
	dom_put_pins(k, d, 1);
	*m = (struct maprec){.d = NULL, .ref = c->maps_free};
	c->maps_free = handle;
	c->maps_used--;
	return 0;
}

static struct pv_ratelimit map_rl = PV_RATELIMIT_INIT;

/* Pin every item; with PVKITD_MAP_ALL, one failure undoes the whole batch (XSA-361). */
static int do_map(struct pvkitd *k, struct conn *c, const struct pvkitd_hdr *h, const void *p,
                  struct reply *r)
{
	uint32_t n = h->len / sizeof(struct pvkitd_map_item);
	struct pvkitd_map_res *res = (struct pvkitd_map_res *)r->buf;
	int all = h->flags & PVKITD_MAP_ALL;

	if (h->len % sizeof(struct pvkitd_map_item) || !n || n > PV_GNT_MAX_BATCH)
		return -EPROTO;
	for (uint32_t i = 0; i < n; i++) {
		struct pvkitd_map_item it;
		struct domain *d;
		int64_t rc;

		memcpy(&it, (const char *)p + i * sizeof(it), sizeof(it));
		res[i] = (struct pvkitd_map_res){.status = 0};
		d = dom_find(k, it.domid == PV_DOMID_SELF ? c->d->domid : it.domid);
		rc = d ? pin_one(c, d, it.ref, it.writable, &res[i].frame) : -ESRCH;
		if (rc >= 0) {
			res[i].handle = (uint32_t)rc;
			res[i].gen = d->gen;
			continue;
		}
		res[i].status = (int32_t)rc;
		pv_dev_warn_rl(&map_rl, c->name, "grant %u of domain %u not mapped: %s", it.ref,
		               it.domid, strerror((int)-rc));
		if (all) {
			while (i--)
				unpin_one(k, c, res[i].handle);
			return (int)rc;
		}
	}
	r->len = n * (uint32_t)sizeof(*res);
	return 0;
}

static int do_unmap(struct pvkitd *k, struct conn *c, const struct pvkitd_hdr *h, const void *p)
{
	uint32_t n = h->len / sizeof(uint32_t);
	int rc = 0;

	if (h->len % sizeof(uint32_t) || !n || n > 2 * PV_GNT_MAX_BATCH)
		return -EPROTO;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t handle;

		memcpy(&handle, (const char *)p + i * sizeof(handle), sizeof(handle));
		if (unpin_one(k, c, handle) < 0)
			rc = -EINVAL;
	}
	return rc;
}

/* The memfd of a domain the caller pins a grant of (and only then). */
static int do_get_mem(struct pvkitd *k, struct conn *c, const struct pvkitd_hdr *h, const void *p,
                      struct reply *r)
{
	struct pvkitd_mem_req req;
	struct pvkitd_mem_rep rep = {0};
	struct domain *d = NULL;

	if (h->len != sizeof(req))
		return -EPROTO;
	memcpy(&req, p, sizeof(req));
	if (req.domid == PV_DOMID_SELF)
		req.domid = c->d->domid;
	for (struct domain *o = k->domains; o; o = o->next)
		if (o->domid == req.domid && o->gen == req.gen)
			d = o;
	if (!d)
		return -ESRCH;
	for (uint32_t i = 0; i < c->maps_cap; i++) {
		if (c->maps[i].d != d)
			continue;
		rep.gen = d->gen;
		rep.mem_pages = d->mem_pages;
		memcpy(r->buf, &rep, sizeof(rep));
		r->len = sizeof(rep);
		r->fds[0] = d->memfd;
		r->nfds = 1;
		return 0;
	}
	return -EPERM;
}

int handle_gnt(struct pvkitd *k, struct conn *c, const struct pvkitd_hdr *h, const void *p,
               struct reply *r)
{
	switch (h->op) {
	case PVKITD_MAP:
		return do_map(k, c, h, p, r);
	case PVKITD_UNMAP:
		return do_unmap(k, c, h, p);
	case PVKITD_GET_MEM:
		return do_get_mem(k, c, h, p, r);
	}
	return -EPROTO;
}

void gnt_conn_gone(struct pvkitd *k, struct conn *c)
{
	for (uint32_t i = 0; i < c->maps_cap; i++)
		if (c->maps[i].d)
			unpin_one(k, c, i);
}

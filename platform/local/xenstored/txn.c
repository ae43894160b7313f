/* SPDX-License-Identifier: MIT */
/*
 * pvkit-xenstored: views (the committed tree, or a transaction's overlay of
 * it) and optimistic transactions that commit only if nothing they saw moved.
 *
 * A transaction records, for each path it reads or writes, the generation
 * the committed node had when it first looked (0 for "absent"). Its writes
 * go to private copies. The commit checks every recorded generation against
 * the committed tree: any difference is a conflict (EAGAIN, the client
 * retries); otherwise the copies replace the committed nodes and the
 * transaction's watch events fire. Conflicts are per node, not global.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xenstored.h"

static unsigned int owner_of(const struct xsd_node *n)
{
	return n->nperms ? n->perms[0].dom : 0;
}

static void count_node(struct xsd *x, unsigned int dom, int delta)
{
	struct xsd_domain *d = xsd_domain_get(x, dom);

	if (d)
		d->nnodes = (uint32_t)((int64_t)d->nnodes + delta);
}

/* A transaction may hold only so much for an unprivileged domain. */
static int tx_full(struct xsd_view *v)
{
	if (v->dom == 0 || v->tx->overlay.count < XSD_TX_MAX_ENTRIES)
		return 0;
	v->err = -XSD_EQUOTA;
	return 1;
}

/* Remember that the transaction saw @path as @n (NULL: absent). */
static struct xsd_node *record_read(struct xsd_view *v, const char *path,
				    const struct xsd_node *n)
{
	struct xsd_node *e;

	if (tx_full(v))
		return NULL;
	e = xsd_node_new(path);
	if (!e || xsd_store_put(&v->tx->overlay, e) < 0) {
		xsd_node_free(e);
		v->tx->doomed = true;
		return NULL;
	}
	e->tx_state = XSD_TX_READ;
	e->base_gen = n ? n->gen : 0;
	return e;
}

const struct xsd_node *xsd_view_get(struct xsd_view *v, const char *path)
{
	struct xsd_node *n = xsd_store_get(&v->x->store, path);
	struct xsd_node *e;

	if (!v->tx)
		return n;
	e = xsd_store_get(&v->tx->overlay, path);
	if (!e) {
		if (!record_read(v, path, n) && v->err)
			return NULL;
		return n;
	}
	if (e->tx_state == XSD_TX_WRITTEN)
		return e;
	if (e->tx_state == XSD_TX_DELETED)
		return NULL;
	return n;
}

/* Replace the overlay entry for @c->path (if any) by @c, keeping its base. */
static void overlay_replace(struct xsd_txn *t, struct xsd_node *c, uint64_t base)
{
	struct xsd_node *old = xsd_store_take(&t->overlay, c->path);

	c->base_gen = old ? old->base_gen : base;
	xsd_node_free(old);
	xsd_store_put(&t->overlay, c); /* the path was just freed: cannot collide */
}

/* A node that exists in the view, ready to modify (NULL if it does not). */
struct xsd_node *xsd_view_edit(struct xsd_view *v, const char *path)
{
	struct xsd_node *n = xsd_store_get(&v->x->store, path);
	struct xsd_node *e, *c;

	if (!v->tx) {
		if (n)
			n->gen = ++v->x->gen;
		return n;
	}
	e = xsd_store_get(&v->tx->overlay, path);
	if (e && e->tx_state == XSD_TX_WRITTEN)
		return e;
	if ((e && e->tx_state == XSD_TX_DELETED) || !n)
		return NULL;
	if (!e && tx_full(v))
		return NULL;
	c = xsd_node_clone(n);
	if (!c) {
		v->err = -ENOMEM;
		return NULL;
	}
	c->tx_state = XSD_TX_WRITTEN;
	overlay_replace(v->tx, c, n->gen);
	return c;
}

/* Add @n (absent in the view; its parent's child list is the caller's). */
int xsd_view_create(struct xsd_view *v, struct xsd_node *n)
{
	unsigned int owner = owner_of(n);

	if (!v->tx) {
		int rc;

		n->gen = ++v->x->gen;
		rc = xsd_store_put(&v->x->store, n);
		if (rc < 0)
			return rc;
		count_node(v->x, owner, 1);
		return 0;
	}
	if (!xsd_store_get(&v->tx->overlay, n->path) && tx_full(v))
		return v->err;
	n->tx_state = XSD_TX_WRITTEN;
	/* Never seen: the commit requires the committed node to be still absent. */
	overlay_replace(v->tx, n, 0);
	if (owner == v->dom)
		v->tx->node_delta++;
	return 0;
}

/* Remove one node (not its children: the caller walks the subtree). */
int xsd_view_delete(struct xsd_view *v, const char *path)
{
	const struct xsd_node *cur = xsd_view_get(v, path);
	struct xsd_node *gone;
	unsigned int owner;

	if (!cur)
		return v->err ? v->err : -ENOENT;
	owner = owner_of(cur);
	if (!v->tx) {
		gone = xsd_store_take(&v->x->store, path);
		count_node(v->x, owner, -1);
		xsd_node_free(gone);
		return 0;
	}
	gone = xsd_node_new(path);
	if (!gone)
		return -ENOMEM;
	gone->tx_state = XSD_TX_DELETED;
	overlay_replace(v->tx, gone, cur->gen);
	if (owner == v->dom)
		v->tx->node_delta--;
	return 0;
}

void xsd_view_chown(struct xsd_view *v, unsigned int from, unsigned int to)
{
	if (from == to)
		return;
	if (!v->tx) {
		count_node(v->x, from, -1);
		count_node(v->x, to, 1);
		return;
	}
	if (from == v->dom)
		v->tx->node_delta--;
	if (to == v->dom)
		v->tx->node_delta++;
}

int64_t xsd_view_owned(struct xsd_view *v)
{
	struct xsd_domain *d = xsd_domain_get(v->x, v->dom);
	int64_t owned = d ? d->nnodes : 0;

	return owned + (v->tx ? v->tx->node_delta : 0);
}

void xsd_event_clear(struct xsd_event *e)
{
	free(e->path);
	free(e->perms);
	memset(e, 0, sizeof(*e));
}

static int event_fill(struct xsd_event *e, const char *path, const struct xsd_node *n,
		      bool recurse)
{
	e->path = strdup(path);
	e->nperms = n ? n->nperms : 0;
	e->perms = calloc(e->nperms ? e->nperms : 1, sizeof(*e->perms));
	e->recurse = recurse;
	if (!e->path || !e->perms) {
		xsd_event_clear(e);
		return -ENOMEM;
	}
	if (e->nperms)
		memcpy(e->perms, n->perms, e->nperms * sizeof(*e->perms));
	return 0;
}

/* @path changed (@n: the node, for who may read it). Fires now or on commit. */
void xsd_view_event(struct xsd_view *v, const char *path, const struct xsd_node *n, bool recurse)
{
	struct xsd_txn *t = v->tx;
	struct xsd_event e;

	if (event_fill(&e, path, n, recurse) < 0) {
		if (t)
			t->doomed = true;
		return;
	}
	if (!t) {
		xsd_watch_fire(v->x, &e);
		xsd_event_clear(&e);
		return;
	}
	if (t->nevents == t->evcap) {
		uint32_t cap = t->evcap ? t->evcap * 2 : 8;
		struct xsd_event *ev = NULL;

		if (v->dom == 0 || cap <= XSD_TX_MAX_ENTRIES)
			ev = realloc(t->events, cap * sizeof(*ev));
		if (!ev) {
			v->err = -XSD_EQUOTA;
			xsd_event_clear(&e);
			return;
		}
		t->events = ev;
		t->evcap = cap;
	}
	t->events[t->nevents++] = e;
}

struct xsd_txn *xsd_txn_new(uint32_t id)
{
	struct xsd_txn *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (xsd_store_init(&t->overlay) < 0) {
		free(t);
		return NULL;
	}
	t->id = id;
	return t;
}

void xsd_txn_free(struct xsd_txn *t)
{
	if (!t)
		return;
	xsd_store_free(&t->overlay);
	for (uint32_t i = 0; i < t->nevents; i++)
		xsd_event_clear(&t->events[i]);
	free(t->events);
	free(t);
}

struct check_ctx {
	const struct xsd_store *committed;
	int conflicts;
};

static void check_one(struct xsd_node *e, void *arg)
{
	struct check_ctx *cc = arg;
	const struct xsd_node *n = xsd_store_get(cc->committed, e->path);

	if ((n ? n->gen : 0) != e->base_gen)
		cc->conflicts++;
}

/* Move one overlay entry into the committed tree. */
static void apply_one(struct xsd_node *e, void *arg)
{
	struct xsd *x = arg;
	struct xsd_node *old;

	if (e->tx_state == XSD_TX_READ) {
		xsd_node_free(e);
		return;
	}
	old = xsd_store_take(&x->store, e->path);
	if (old) {
		count_node(x, owner_of(old), -1);
		xsd_node_free(old);
	}
	if (e->tx_state == XSD_TX_DELETED) {
		xsd_node_free(e);
		return;
	}
	e->gen = ++x->gen;
	e->base_gen = 0;
	e->tx_state = XSD_TX_READ;
	xsd_store_put(&x->store, e); /* its path was just taken out */
	count_node(x, owner_of(e), 1);
}

int xsd_txn_commit(struct xsd *x, struct xsd_txn *t, unsigned int dom)
{
	struct check_ctx cc = {.committed = &x->store};
	struct xsd_domain *d = xsd_domain_get(x, dom);

	if (t->doomed)
		return -EAGAIN;
	xsd_store_each(&t->overlay, check_one, &cc);
	if (cc.conflicts)
		return -EAGAIN;
	if (dom != 0 && t->node_delta > 0 && d &&
	    (int64_t)d->nnodes + t->node_delta > (int64_t)x->quota.nodes)
		return -XSD_EQUOTA;
	xsd_store_drain(&t->overlay, apply_one, x);
	for (uint32_t i = 0; i < t->nevents; i++)
		xsd_watch_fire(x, &t->events[i]);
	return 0;
}

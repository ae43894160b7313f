/* SPDX-License-Identifier: MIT */
/*
 * pvkit-xenstored: the daemon state shared by every request: the initial
 * tree, the per-domain table, and forgetting a released domain (XSA-322).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xenstored.h"

struct xsd_domain *xsd_domain_get(struct xsd *x, unsigned int dom)
{
	struct xsd_domain *d;

	if (dom >= XSD_DOMID_LIMIT)
		return NULL;
	if (x->doms[dom])
		return x->doms[dom];
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->listen_fd = -1;
	d->pe.kind = XSD_POLL_LISTEN;
	d->pe.dom = dom;
	x->doms[dom] = d;
	return d;
}

/*
 * xenstore.txt's SET_TARGET: a domain targeting T has full access to what
 * T owns and every right granted to T, besides its own.
 */
unsigned int xsd_access(struct xsd *x, const struct xsd_perm *p, uint32_t np, unsigned int dom)
{
	unsigned int a = xsd_perm_access(p, np, dom);
	const struct xsd_domain *d = dom < XSD_DOMID_LIMIT ? x->doms[dom] : NULL;

	if (d && d->has_target)
		a |= xsd_perm_access(p, np, d->target);
	return a;
}

int xsd_owns(struct xsd *x, unsigned int owner, unsigned int dom)
{
	const struct xsd_domain *d = dom < XSD_DOMID_LIMIT ? x->doms[dom] : NULL;

	return dom == 0 || owner == dom || (d && d->has_target && d->target == owner);
}

/* The tree xenstored starts with: /, /local, /local/domain, /local/domain/0, all "n0". */
static int add_initial(struct xsd *x, const char *path)
{
	static const struct xsd_perm dom0_only = {.dom = 0, .mode = XSD_PERM_NONE};
	struct xsd_view v = {.x = x};
	struct xsd_node *n = xsd_node_new(path);
	char parent[32];
	int rc;

	if (!n)
		return -ENOMEM;
	rc = xsd_node_set_value(n, "", 0);
	if (rc == 0)
		rc = xsd_node_set_perms(n, &dom0_only, 1);
	if (rc == 0)
		rc = xsd_view_create(&v, n);
	if (rc < 0) {
		xsd_node_free(n);
		return rc;
	}
	if (xsd_path_parent(path, parent, sizeof(parent)) == 0)
		rc = xsd_node_kid_add(xsd_view_edit(&v, parent), xsd_path_base(path));
	return rc;
}

static const char *const special_names[2] = {"@introduceDomain", "@releaseDomain"};

struct xsd_node *xsd_special(struct xsd *x, const char *name)
{
	for (int i = 0; i < 2; i++)
		if (x->special[i] && strcmp(name, special_names[i]) == 0)
			return x->special[i];
	return NULL;
}

/* Special watches have permissions too: domain 0's, readable by nobody else. */
static int add_specials(struct xsd *x)
{
	static const struct xsd_perm dom0_only = {.dom = 0, .mode = XSD_PERM_NONE};

	for (int i = 0; i < 2; i++) {
		x->special[i] = xsd_node_new(special_names[i]);
		if (!x->special[i] || xsd_node_set_value(x->special[i], "", 0) < 0 ||
		    xsd_node_set_perms(x->special[i], &dom0_only, 1) < 0)
			return -ENOMEM;
	}
	return 0;
}

int xsd_init(struct xsd *x)
{
	static const char *const initial[] = {"/", "/local", "/local/domain", "/local/domain/0"};
	struct xsd_domain *d0;
	int rc;

	x->epfd = -1;
	x->rl = (struct pv_ratelimit)PV_RATELIMIT_INIT;
	rc = xsd_store_init(&x->store);
	if (rc < 0)
		return rc;
	d0 = xsd_domain_get(x, 0);
	if (!d0)
		return -ENOMEM;
	d0->introduced = true;
	rc = add_specials(x);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < sizeof(initial) / sizeof(initial[0]); i++) {
		rc = add_initial(x, initial[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void xsd_fini(struct xsd *x)
{
	while (x->conns) {
		xsd_conn_close(x, x->conns, NULL);
		xsd_conn_reap(x);
	}
	xsd_store_free(&x->store);
	for (int i = 0; i < 2; i++) {
		xsd_node_free(x->special[i]);
		x->special[i] = NULL;
	}
	for (unsigned int i = 0; i < XSD_DOMID_LIMIT; i++) {
		if (!x->doms[i])
			continue;
		free(x->doms[i]);
		x->doms[i] = NULL;
	}
}

struct forget_ctx {
	struct xsd *x;
	unsigned int dom;
};

/* Drop every mention of the dead domain from one node's permissions. */
static void forget_in_node(struct xsd_node *n, void *arg)
{
	struct forget_ctx *fc = arg;
	uint32_t kept = 1;
	bool changed = false;

	if (!n->nperms)
		return;
	if (n->perms[0].dom == fc->dom) {
		n->perms[0].dom = 0;
		changed = true;
		xsd_domain_get(fc->x, 0)->nnodes++;
	}
	for (uint32_t i = 1; i < n->nperms; i++) {
		if (n->perms[i].dom == fc->dom) {
			changed = true;
			continue;
		}
		n->perms[kept++] = n->perms[i];
	}
	n->nperms = kept;
	if (changed)
		n->gen = ++fc->x->gen; /* open transactions that saw it conflict */
}

/*
 * XSA-322: a released domain's id can be handed out again. Nodes it owned
 * pass to domain 0 and permission entries naming it are dropped, so a new
 * domain with the same id inherits nothing of the old one.
 */
void xsd_forget_domain_perms(struct xsd *x, unsigned int dom)
{
	struct forget_ctx fc = {.x = x, .dom = dom};
	struct xsd_domain *d = xsd_domain_get(x, dom);

	if (dom == 0)
		return;
	xsd_store_each(&x->store, forget_in_node, &fc);
	for (int i = 0; i < 2; i++)
		if (x->special[i])
			forget_in_node(x->special[i], &fc);
	if (d)
		d->nnodes = 0;
}

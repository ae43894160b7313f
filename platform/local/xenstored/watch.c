/* SPDX-License-Identifier: MIT */
/*
 * pvkit-xenstored: watches. Every change is matched against the watches in
 * registration order; a watch fires once per change, and only for nodes its
 * domain may read (XSA-115).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenstored.h"

static struct xsd_watch *find(struct xsd *x, struct xsd_conn *c, const char *path,
			      const char *token)
{
	for (struct xsd_watch *w = x->watches; w; w = w->next)
		if (w->conn == c && strcmp(w->path, path) == 0 && strcmp(w->token, token) == 0)
			return w;
	return NULL;
}

/* Register; 0, -EEXIST for a duplicate, -E2BIG over the domain's quota. */
int xsd_watch_add(struct xsd_conn *c, struct xsd *x, const char *path, const char *token, bool rel)
{
	struct xsd_domain *d = xsd_domain_get(x, c->dom);
	struct xsd_watch *w;

	if (!d)
		return -ENOMEM;
	if (find(x, c, path, token))
		return -EEXIST;
	if (c->dom != 0 && d->nwatches >= x->quota.watches)
		return -E2BIG;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->path = strdup(path);
	w->token = strdup(token);
	if (!w->path || !w->token) {
		free(w->path);
		free(w->token);
		free(w);
		return -ENOMEM;
	}
	w->conn = c;
	w->relative = rel;
	w->prev = x->watches_tail;
	if (x->watches_tail)
		x->watches_tail->next = w;
	else
		x->watches = w;
	x->watches_tail = w;
	d->nwatches++;
	return 0;
}

static void unlink_free(struct xsd *x, struct xsd_watch *w)
{
	struct xsd_domain *d = xsd_domain_get(x, w->conn->dom);

	if (w->prev)
		w->prev->next = w->next;
	else
		x->watches = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		x->watches_tail = w->prev;
	if (d && d->nwatches)
		d->nwatches--;
	free(w->path);
	free(w->token);
	free(w);
}

int xsd_watch_del(struct xsd_conn *c, struct xsd *x, const char *path, const char *token)
{
	struct xsd_watch *w = find(x, c, path, token);

	if (!w)
		return -ENOENT;
	unlink_free(x, w);
	return 0;
}

void xsd_watch_drop_conn(struct xsd *x, struct xsd_conn *c)
{
	struct xsd_watch *w = x->watches;

	while (w) {
		struct xsd_watch *next = w->next;

		if (w->conn == c)
			unlink_free(x, w);
		w = next;
	}
}

/* Send one event, relative to the domain's home if the watch was. */
void xsd_watch_send(struct xsd *x, struct xsd_watch *w, const char *epath)
{
	char home[32];
	int hl = snprintf(home, sizeof(home), "/local/domain/%u/", w->conn->dom);

	if (w->relative && strncmp(epath, home, (size_t)hl) == 0)
		epath += hl;
	xsd_conn_event(x, w->conn, epath, w->token);
}

void xsd_watch_fire(struct xsd *x, const struct xsd_event *e)
{
	for (struct xsd_watch *w = x->watches; w; w = w->next) {
		const char *epath;

		if (w->conn->dead || w->path[0] == '@')
			continue;
		if (xsd_path_is_child(e->path, w->path))
			epath = e->path;
		else if (e->recurse && xsd_path_is_child(w->path, e->path))
			epath = w->path; /* a parent of the watched path was removed */
		else
			continue;
		if (!(xsd_access(x, e->perms, e->nperms, w->conn->dom) & XSD_PERM_READ))
			continue;
		xsd_watch_send(x, w, epath);
	}
}

/* @introduceDomain / @releaseDomain: heard by domains that may read the special node. */
void xsd_watch_fire_special(struct xsd *x, const char *name)
{
	const struct xsd_node *sp = xsd_special(x, name);

	for (struct xsd_watch *w = x->watches; w; w = w->next) {
		if (w->conn->dead || strcmp(w->path, name) != 0)
			continue;
		if (sp && (xsd_access(x, sp->perms, sp->nperms, w->conn->dom) & XSD_PERM_READ))
			xsd_watch_send(x, w, name);
	}
}

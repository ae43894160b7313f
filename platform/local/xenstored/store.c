/* SPDX-License-Identifier: MIT */
/*
 * pvkit-xenstored: nodes, a hash of nodes by path, permission entries and
 * path helpers. No policy here: ops.c and txn.c decide what may change.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenstored.h"

#define MIN_BUCKETS 64u

static uint64_t hash_path(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	while (*s) {
		h ^= (uint8_t)*s++;
		h *= 1099511628211ull;
	}
	return h;
}

int xsd_store_init(struct xsd_store *st)
{
	st->buckets = calloc(MIN_BUCKETS, sizeof(*st->buckets));
	if (!st->buckets)
		return -ENOMEM;
	st->nbuckets = MIN_BUCKETS;
	st->count = 0;
	return 0;
}

void xsd_store_free(struct xsd_store *st)
{
	for (size_t i = 0; i < st->nbuckets; i++) {
		struct xsd_node *n = st->buckets[i];

		while (n) {
			struct xsd_node *next = n->hnext;

			xsd_node_free(n);
			n = next;
		}
	}
	free(st->buckets);
	st->buckets = NULL;
	st->nbuckets = st->count = 0;
}

static struct xsd_node **slot_of(const struct xsd_store *st, const char *path)
{
	struct xsd_node **pp = &st->buckets[hash_path(path) & (st->nbuckets - 1)];

	while (*pp && strcmp((*pp)->path, path) != 0)
		pp = &(*pp)->hnext;
	return pp;
}

struct xsd_node *xsd_store_get(const struct xsd_store *st, const char *path)
{
	return *slot_of(st, path);
}

/* Double the table when the load passes one node per bucket. */
static void grow(struct xsd_store *st)
{
	size_t nb = st->nbuckets * 2;
	struct xsd_node **b = calloc(nb, sizeof(*b));

	if (!b)
		return; /* keep working with longer chains */
	for (size_t i = 0; i < st->nbuckets; i++) {
		struct xsd_node *n = st->buckets[i];

		while (n) {
			struct xsd_node *next = n->hnext;
			size_t k = hash_path(n->path) & (nb - 1);

			n->hnext = b[k];
			b[k] = n;
			n = next;
		}
	}
	free(st->buckets);
	st->buckets = b;
	st->nbuckets = nb;
}

/* Insert @n (whose path must be absent); the store owns it. */
int xsd_store_put(struct xsd_store *st, struct xsd_node *n)
{
	struct xsd_node **pp = slot_of(st, n->path);

	if (*pp)
		return -EEXIST;
	n->hnext = NULL;
	*pp = n;
	st->count++;
	if (st->count > st->nbuckets)
		grow(st);
	return 0;
}

/* Unlink the node at @path and hand it to the caller (NULL if absent). */
struct xsd_node *xsd_store_take(struct xsd_store *st, const char *path)
{
	struct xsd_node **pp = slot_of(st, path);
	struct xsd_node *n = *pp;

	if (!n)
		return NULL;
	*pp = n->hnext;
	n->hnext = NULL;
	st->count--;
	return n;
}

void xsd_store_each(struct xsd_store *st, void (*fn)(struct xsd_node *n, void *arg), void *arg)
{
	for (size_t i = 0; i < st->nbuckets; i++)
		for (struct xsd_node *n = st->buckets[i]; n; n = n->hnext)
			fn(n, arg);
}

struct xsd_node *xsd_node_new(const char *path)
{
	struct xsd_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->path = strdup(path);
	if (!n->path) {
		free(n);
		return NULL;
	}
	return n;
}

void xsd_node_free(struct xsd_node *n)
{
	if (!n)
		return;
	for (uint32_t i = 0; i < n->nkids; i++)
		free(n->kids[i]);
	free(n->kids);
	free(n->perms);
	free(n->value);
	free(n->path);
	free(n);
}

static int clone_kids(struct xsd_node *c, const struct xsd_node *n)
{
	if (!n->nkids)
		return 0;
	c->kids = calloc(n->nkids, sizeof(*c->kids));
	if (!c->kids)
		return -ENOMEM;
	c->kcap = n->nkids;
	for (; c->nkids < n->nkids; c->nkids++) {
		c->kids[c->nkids] = strdup(n->kids[c->nkids]);
		if (!c->kids[c->nkids])
			return -ENOMEM;
	}
	return 0;
}

/* A deep copy of @n (value, permissions, children, gen; not the tx state). */
struct xsd_node *xsd_node_clone(const struct xsd_node *n)
{
	struct xsd_node *c = xsd_node_new(n->path);

	if (!c)
		return NULL;
	c->gen = n->gen;
	if (xsd_node_set_value(c, n->value, n->vlen) < 0 ||
	    xsd_node_set_perms(c, n->perms, n->nperms) < 0 || clone_kids(c, n) < 0) {
		xsd_node_free(c);
		return NULL;
	}
	return c;
}

int xsd_node_set_value(struct xsd_node *n, const void *value, uint32_t len)
{
	char *v = malloc(len + 1u);

	if (!v)
		return -ENOMEM;
	if (len)
		memcpy(v, value, len);
	v[len] = 0;
	free(n->value);
	n->value = v;
	n->vlen = len;
	return 0;
}

int xsd_node_set_perms(struct xsd_node *n, const struct xsd_perm *p, uint32_t np)
{
	struct xsd_perm *c = calloc(np ? np : 1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	memcpy(c, p, np * sizeof(*c));
	free(n->perms);
	n->perms = c;
	n->nperms = np;
	return 0;
}

int xsd_node_kid_add(struct xsd_node *n, const char *name)
{
	char *s;

	if (n->nkids == n->kcap) {
		uint32_t cap = n->kcap ? n->kcap * 2 : 4;
		char **k = realloc(n->kids, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		n->kids = k;
		n->kcap = cap;
	}
	s = strdup(name);
	if (!s)
		return -ENOMEM;
	n->kids[n->nkids++] = s;
	return 0;
}

/* Remove @name from the children, keeping the others in creation order. */
void xsd_node_kid_del(struct xsd_node *n, const char *name)
{
	for (uint32_t i = 0; i < n->nkids; i++) {
		if (strcmp(n->kids[i], name) != 0)
			continue;
		free(n->kids[i]);
		memmove(&n->kids[i], &n->kids[i + 1], (n->nkids - i - 1) * sizeof(*n->kids));
		n->nkids--;
		return;
	}
}

/*
 * Xen's rule: domain 0 may do anything; the owner (entry 0) may do
 * anything; otherwise the entry naming @dom applies, else entry 0's mode.
 */
unsigned int xsd_perm_access(const struct xsd_perm *p, uint32_t np, unsigned int dom)
{
	if (dom == 0)
		return XSD_PERM_BOTH;
	if (!np)
		return XSD_PERM_NONE;
	if (p[0].dom == dom)
		return XSD_PERM_BOTH;
	for (uint32_t i = 1; i < np; i++)
		if (p[i].dom == dom)
			return p[i].mode;
	return p[0].mode;
}

int xsd_perm_parse(const char *s, struct xsd_perm *out)
{
	unsigned long v = 0;
	const char *d = s + 1;

	switch (s[0]) {
	case 'n': out->mode = XSD_PERM_NONE; break;
	case 'r': out->mode = XSD_PERM_READ; break;
	case 'w': out->mode = XSD_PERM_WRITE; break;
	case 'b': out->mode = XSD_PERM_BOTH; break;
	default: return -EINVAL;
	}
	if (!*d || strlen(d) > 5)
		return -EINVAL;
	for (; *d; d++) {
		if (*d < '0' || *d > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*d - '0');
	}
	if (v >= XSD_DOMID_LIMIT)
		return -EINVAL;
	out->dom = (uint16_t)v;
	return 0;
}

int xsd_perm_format(const struct xsd_perm *p, char *buf)
{
	static const char modes[] = "nrwb";

	return sprintf(buf, "%c%u", modes[p->mode & 3], p->dom);
}

int xsd_path_parent(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t len;

	if (!slash || strcmp(path, "/") == 0)
		return -EINVAL;
	len = slash == path ? 1 : (size_t)(slash - path);
	if (len >= size)
		return -E2BIG;
	memcpy(buf, path, len);
	buf[len] = 0;
	return 0;
}

const char *xsd_path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int xsd_path_is_child(const char *child, const char *parent)
{
	size_t pl = strlen(parent);

	if (strcmp(parent, "/") == 0)
		return child[0] == '/';
	return strncmp(child, parent, pl) == 0 && (child[pl] == 0 || child[pl] == '/');
}

void xsd_store_drain(struct xsd_store *st, void (*fn)(struct xsd_node *n, void *arg), void *arg)
{
	for (size_t i = 0; i < st->nbuckets; i++) {
		struct xsd_node *n = st->buckets[i];

		st->buckets[i] = NULL;
		while (n) {
			struct xsd_node *next = n->hnext;

			n->hnext = NULL;
			fn(n, arg);
			n = next;
		}
	}
	st->count = 0;
}

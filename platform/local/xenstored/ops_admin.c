/* SPDX-License-Identifier: MIT */
/*
 * pvkit-xenstored: the requests that are not about node contents: watches,
 * transactions and domain management (INTRODUCE / RELEASE are dom0's).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

#define WATCH_PATH_MAX (PV_XS_PAYLOAD_MAX + 32)

/* The watched path as stored: absolute, or "@special" as given. */
static int watch_path(struct xsd_req *q, const char *in, char *out, bool *rel)
{
	*rel = false;
	if (in[0] == '@') {
		if (strlen(in) > PV_XS_REL_PATH_MAX)
			return -EINVAL;
		strcpy(out, in);
		return 0;
	}
	*rel = in[0] != '/';
	return xsd_canon(q->c->dom, in, out, WATCH_PATH_MAX);
}

/* WATCH and UNWATCH: <wpath>|<token>|. */
static int watch_args(struct xsd_req *q, char *path, const char **token, bool *rel)
{
	const char *argv[2];
	int rc;

	if (xsd_args(q, argv, 2) != 2)
		return -EINVAL;
	rc = watch_path(q, argv[0], path, rel);
	*token = argv[1];
	return rc;
}

int xsd_do_watch(struct xsd_req *q)
{
	char path[WATCH_PATH_MAX];
	const char *token;
	bool rel;
	int rc = watch_args(q, path, &token, &rel);

	if (rc == 0)
		rc = xsd_watch_add(q->c, q->x, path, token, rel);
	if (rc < 0)
		return rc;
	/* xenstored fires every new watch once, right after the reply. */
	q->new_watch = q->x->watches_tail;
	return xsd_reply_ok(q);
}

int xsd_do_unwatch(struct xsd_req *q)
{
	char path[WATCH_PATH_MAX];
	const char *token;
	bool rel;
	int rc = watch_args(q, path, &token, &rel);

	if (rc == 0)
		rc = xsd_watch_del(q->c, q->x, path, token);
	return rc < 0 ? rc : xsd_reply_ok(q);
}

int xsd_do_txn_start(struct xsd_req *q)
{
	struct xsd_conn *c = q->c;
	struct xsd_txn *t;
	char id[16];

	if (q->h->tx_id)
		return -EBUSY; /* no nesting */
	struct xsd_domain *d = xsd_domain_get(q->x, c->dom);

	if (!d)
		return -ENOMEM;
	if (c->dom != 0 && d->ntxns >= q->x->quota.transactions)
		return -XSD_EQUOTA;
	while (c->next_txid == 0 || xsd_conn_txn(c, c->next_txid))
		c->next_txid++;
	t = xsd_txn_new(c->next_txid++);
	if (!t)
		return -ENOMEM;
	t->next = c->txns;
	c->txns = t;
	c->ntxns++;
	d->ntxns++;
	snprintf(id, sizeof(id), "%u", t->id);
	memcpy(q->rbuf, id, strlen(id) + 1);
	q->rlen = strlen(id) + 1;
	return 0;
}

int xsd_do_txn_end(struct xsd_req *q)
{
	const char *arg = xsd_onearg(q);
	struct xsd_txn *t = q->v.tx, **pp;
	int rc = 0;

	if (!t)
		return -ENOENT;
	if (!arg || (strcmp(arg, "T") != 0 && strcmp(arg, "F") != 0))
		return -EINVAL;
	for (pp = &q->c->txns; *pp != t; pp = &(*pp)->next)
		;
	*pp = t->next;
	q->c->ntxns--;
	xsd_domain_get(q->x, q->c->dom)->ntxns--; /* exists: it counted this one */
	q->v.tx = NULL;
	if (arg[0] == 'T')
		rc = xsd_txn_commit(q->x, t, q->c->dom);
	xsd_txn_free(t);
	return rc < 0 ? rc : xsd_reply_ok(q);
}

/* A decimal domid of a real domain (1 .. 0x7fef), or -EINVAL. */
static int parse_domid(const char *s, bool allow_zero)
{
	char *end;
	unsigned long v;

	if (!s || !*s || strlen(s) > 5 || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (*end || v >= XSD_DOMID_LIMIT || (!allow_zero && v == 0))
		return -EINVAL;
	return (int)v;
}

int xsd_do_introduce(struct xsd_req *q)
{
	const char *argv[3];
	int dom, rc;

	if (q->c->dom != 0)
		return -EACCES;
	if (xsd_args(q, argv, 3) != 3)
		return -EINVAL;
	dom = parse_domid(argv[0], false);
	if (dom < 0)
		return dom;
	rc = xsd_introduce(q->x, (unsigned int)dom);
	return rc < 0 ? rc : xsd_reply_ok(q);
}

int xsd_do_release(struct xsd_req *q)
{
	int dom, rc;

	if (q->c->dom != 0)
		return -EACCES;
	dom = parse_domid(xsd_onearg(q), false);
	if (dom < 0)
		return dom;
	rc = xsd_release(q->x, (unsigned int)dom);
	return rc < 0 ? rc : xsd_reply_ok(q);
}

int xsd_do_get_domain_path(struct xsd_req *q)
{
	int dom = parse_domid(xsd_onearg(q), true);

	if (dom < 0)
		return dom;
	q->rlen = (size_t)snprintf(q->rbuf, PV_XS_PAYLOAD_MAX, "/local/domain/%d", dom) + 1;
	return 0;
}

int xsd_do_is_introduced(struct xsd_req *q)
{
	int dom = parse_domid(xsd_onearg(q), true);
	struct xsd_domain *d;

	if (dom < 0)
		return dom;
	d = q->x->doms[dom];
	memcpy(q->rbuf, d && d->introduced ? "T" : "F", 2);
	q->rlen = 2;
	return 0;
}

int xsd_do_reset_watches(struct xsd_req *q)
{
	xsd_watch_drop_conn(q->x, q->c);
	xsd_conn_txn_drop_all(q->c);
	return xsd_reply_ok(q);
}

/* SET_TARGET domid|tdomid|: dom0 lets @domid act for @tdomid (a stub domain). */
int xsd_do_set_target(struct xsd_req *q)
{
	const char *argv[2];
	struct xsd_domain *d;
	int dom, target;

	if (q->c->dom != 0)
		return -EACCES;
	if (xsd_args(q, argv, 2) != 2)
		return -EINVAL;
	dom = parse_domid(argv[0], false);
	target = parse_domid(argv[1], false);
	if (dom < 0 || target < 0)
		return -EINVAL;
	d = q->x->doms[dom];
	if (!d || !d->introduced)
		return -ENOENT;
	d->has_target = true;
	d->target = (uint16_t)target;
	return xsd_reply_ok(q);
}

/* RESUME domid|: nothing to re-arm here (@releaseDomain comes from RELEASE). */
int xsd_do_resume(struct xsd_req *q)
{
	int dom;

	if (q->c->dom != 0)
		return -EACCES;
	dom = parse_domid(xsd_onearg(q), false);
	if (dom < 0)
		return dom;
	return q->x->doms[dom] && q->x->doms[dom]->introduced ? xsd_reply_ok(q) : -ENOENT;
}

/* CONTROL's commands are implementation-specific; none is offered. */
int xsd_do_unsupported(struct xsd_req *q)
{
	(void)q;
	return -ENOSYS;
}

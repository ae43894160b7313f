/* SPDX-License-Identifier: MIT */
/*
 * pvkit-xenstored: the database requests (READ, WRITE, MKDIR, RM,
 * DIRECTORY, DIRECTORY_PART, GET_PERMS, SET_PERMS) and the dispatcher.
 * Payload syntax as in Xen's docs/misc/xenstore.txt; every request is
 * checked against the sender's permissions before it touches anything.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

/* Longest canonical path we build: a relative path can be a whole payload. */
#define CANON_MAX (PV_XS_PAYLOAD_MAX + 32)

static int reply_str(struct xsd_req *q, const char *s)
{
	size_t len = strlen(s) + 1;

	if (q->rlen + len > PV_XS_PAYLOAD_MAX)
		return -E2BIG;
	memcpy(q->rbuf + q->rlen, s, len);
	q->rlen += len;
	return 0;
}

int xsd_reply_ok(struct xsd_req *q)
{
	return reply_str(q, "OK");
}

/* The payload must be exactly one NUL-terminated string. */
const char *xsd_onearg(const struct xsd_req *q)
{
	if (q->len == 0 || strlen(q->p) + 1 != q->len)
		return NULL;
	return q->p;
}

/* Split the payload into NUL-terminated strings; returns how many (up to @max). */
int xsd_args(const struct xsd_req *q, const char **argv, int max)
{
	size_t off = 0;
	int n = 0;

	while (off < q->len && n < max) {
		size_t l = strlen(q->p + off);

		if (off + l >= q->len)
			break; /* the last piece has no terminator */
		argv[n++] = q->p + off;
		off += l + 1;
	}
	return n;
}

static int valid_chars(const char *p)
{
	for (; *p; p++) {
		char ch = *p;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
			continue;
		if (ch == '-' || ch == '/' || ch == '_' || ch == '@')
			continue;
		return 0;
	}
	return 1;
}

/*
 * Canonical absolute path of @in as domain @dom names it. Relative paths
 * are under /local/domain/<dom>. Lengths follow XSA-323: 3072 bytes at
 * most; an unprivileged domain gets 2048 below its home, 2048 elsewhere.
 */
int xsd_canon(unsigned int dom, const char *in, char *out, size_t size)
{
	char home[32];
	size_t hl = (size_t)snprintf(home, sizeof(home), "/local/domain/%u/", dom);
	size_t len = strlen(in), total = in[0] == '/' ? len : hl + len;

	if (len == 0 || !valid_chars(in) || strstr(in, "//"))
		return -EINVAL;
	if (len > 1 && in[len - 1] == '/')
		return -EINVAL;
	if (in[0] != '/' && in[0] == '@')
		return -EINVAL;
	if (total > PV_XS_ABS_PATH_MAX || total >= size)
		return -E2BIG;
	snprintf(out, size, "%s%s", in[0] == '/' ? "" : home, in);
	if (dom != 0) {
		size_t base = strncmp(out, home, hl) == 0 ? hl : 0;

		if (total - base > PV_XS_REL_PATH_MAX)
			return -E2BIG;
	}
	return 0;
}

static int canon_arg(struct xsd_req *q, const char *in, char *out)
{
	return xsd_canon(q->c->dom, in, out, CANON_MAX);
}

static int may(const struct xsd_req *q, const struct xsd_node *n, unsigned int what)
{
	return (xsd_access(q->x, n->perms, n->nperms, q->c->dom) & what) == what;
}

/* Look up @path for @what access: -ENOENT, -EACCES, or 0 with *out set. */
static int lookup(struct xsd_req *q, const char *path, unsigned int what,
		  const struct xsd_node **out)
{
	const struct xsd_node *n = xsd_view_get(&q->v, path);

	if (!n)
		return q->v.err ? q->v.err : -ENOENT;
	if (!may(q, n, what))
		return -EACCES;
	*out = n;
	return 0;
}

/* The request's one path argument, canonical in @path, looked up for @what. */
static int path_lookup(struct xsd_req *q, char *path, unsigned int what,
		       const struct xsd_node **out)
{
	const char *arg = xsd_onearg(q);
	int rc;

	if (!arg)
		return -EINVAL;
	rc = canon_arg(q, arg, path);
	return rc < 0 ? rc : lookup(q, path, what, out);
}

static int do_read(struct xsd_req *q)
{
	char path[CANON_MAX];
	const struct xsd_node *n;
	int rc = path_lookup(q, path, XSD_PERM_READ, &n);

	if (rc < 0)
		return rc;
	memcpy(q->rbuf, n->value, n->vlen);
	q->rlen = n->vlen;
	return 0;
}

/* New node @path under @parent: the parent's permissions, owned by its creator. */
static int create_one(struct xsd_req *q, const char *path, const void *val, uint32_t vlen)
{
	char ppath[CANON_MAX];
	const struct xsd_node *parent;
	struct xsd_node *n, *pe;
	int rc;

	if (xsd_path_parent(path, ppath, sizeof(ppath)) < 0)
		return -EINVAL;
	parent = xsd_view_get(&q->v, ppath);
	if (!parent)
		return q->v.err ? q->v.err : -ENOENT;
	n = xsd_node_new(path);
	if (!n)
		return -ENOMEM;
	rc = xsd_node_set_value(n, val, vlen);
	if (rc == 0)
		rc = xsd_node_set_perms(n, parent->perms, parent->nperms);
	if (rc == 0 && q->c->dom != 0 && n->nperms)
		n->perms[0].dom = (uint16_t)q->c->dom;
	if (rc == 0)
		rc = xsd_view_create(&q->v, n);
	if (rc < 0) {
		xsd_node_free(n);
		return rc;
	}
	pe = xsd_view_edit(&q->v, ppath);
	if (!pe)
		return q->v.err ? q->v.err : -ENOENT;
	return xsd_node_kid_add(pe, xsd_path_base(path));
}

/* Length of the nearest existing ancestor of @path; counts the missing nodes. */
static size_t existing_ancestor(struct xsd_req *q, char *buf, const char *path, int *missing)
{
	size_t len = strlen(path);

	memcpy(buf, path, len + 1);
	*missing = 0;
	for (;;) {
		char *slash = strrchr(buf, '/');

		(*missing)++;
		len = slash == buf ? 1 : (size_t)(slash - buf);
		buf[len] = 0;
		if (len == 1 || xsd_view_get(&q->v, buf) || q->v.err)
			return len;
	}
}

/* Create @path and any missing parents; the last gets @val. */
static int create_path(struct xsd_req *q, const char *path, const void *val, uint32_t vlen)
{
	char buf[CANON_MAX];
	const struct xsd_node *anc;
	int missing, rc;
	size_t alen = existing_ancestor(q, buf, path, &missing);

	if (q->v.err)
		return q->v.err;
	rc = lookup(q, buf, XSD_PERM_WRITE, &anc);
	if (rc < 0)
		return rc;
	if (q->c->dom != 0 && xsd_view_owned(&q->v) + missing > q->x->quota.nodes)
		return -XSD_EQUOTA;
	memcpy(buf, path, strlen(path) + 1);
	for (size_t i = alen + 1; buf[i]; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = 0;
		rc = create_one(q, buf, "", 0);
		buf[i] = '/';
		if (rc < 0)
			return rc;
	}
	return create_one(q, path, val, vlen);
}

/* WRITE (and MKDIR with @mkdir: an existing node is left as it is). */
static int write_node(struct xsd_req *q, const char *path, const void *val, uint32_t vlen,
		      bool mkdir)
{
	const struct xsd_node *n = xsd_view_get(&q->v, path);
	struct xsd_node *e;
	int rc;

	if (q->v.err)
		return q->v.err;
	if (n && mkdir)
		return xsd_reply_ok(q);
	if (n) {
		if (!may(q, n, XSD_PERM_WRITE))
			return -EACCES;
		e = xsd_view_edit(&q->v, path);
		if (!e)
			return q->v.err ? q->v.err : -ENOMEM;
		rc = xsd_node_set_value(e, val, vlen);
	} else {
		rc = create_path(q, path, val, vlen);
	}
	if (rc < 0)
		return rc;
	xsd_view_event(&q->v, path, xsd_view_get(&q->v, path), false);
	return xsd_reply_ok(q);
}

static int do_write(struct xsd_req *q)
{
	size_t plen = strnlen(q->p, q->len);
	char path[CANON_MAX];
	uint32_t vlen;
	int rc;

	if (plen >= q->len)
		return -EINVAL; /* the path has no terminator */
	vlen = (uint32_t)(q->len - plen - 1);
	if (q->c->dom != 0 && vlen > q->x->quota.node_size)
		return -E2BIG;
	rc = canon_arg(q, q->p, path);
	if (rc < 0)
		return rc;
	return write_node(q, path, q->p + plen + 1, vlen, false);
}

static int do_mkdir(struct xsd_req *q)
{
	const char *arg = xsd_onearg(q);
	char path[CANON_MAX];
	int rc;

	if (!arg)
		return -EINVAL;
	rc = canon_arg(q, arg, path);
	if (rc < 0)
		return rc;
	return write_node(q, path, "", 0, true);
}

/* Delete @root and everything below it without recursion (deep trees). */
static int delete_tree(struct xsd_req *q, const char *root)
{
	char **stack = NULL;
	size_t depth = 0, cap = 0;
	int rc = 0;

	stack = malloc(sizeof(*stack) * 16);
	if (!stack || !(stack[0] = strdup(root))) {
		free(stack);
		return -ENOMEM;
	}
	cap = 16;
	depth = 1;
	while (depth) {
		char *p = stack[--depth];
		const struct xsd_node *n = xsd_view_get(&q->v, p);

		for (uint32_t i = 0; n && rc == 0 && i < n->nkids; i++) {
			if (depth == cap) {
				char **s = realloc(stack, sizeof(*s) * cap * 2);

				if (!s) {
					rc = -ENOMEM;
					break;
				}
				stack = s;
				cap *= 2;
			}
			if (asprintf(&stack[depth], "%s/%s", p, n->kids[i]) < 0) {
				rc = -ENOMEM;
				break;
			}
			depth++;
		}
		if (n && rc == 0)
			rc = xsd_view_delete(&q->v, p);
		free(p);
	}
	free(stack);
	return rc;
}

static int do_rm(struct xsd_req *q)
{
	const char *arg = xsd_onearg(q);
	char path[CANON_MAX], ppath[CANON_MAX];
	const struct xsd_node *n;
	struct xsd_node *pe;
	int rc;

	if (!arg)
		return -EINVAL;
	rc = canon_arg(q, arg, path);
	if (rc < 0)
		return rc;
	if (xsd_path_parent(path, ppath, sizeof(ppath)) < 0)
		return -EINVAL; /* never "/" */
	n = xsd_view_get(&q->v, path);
	if (!n) {
		if (q->v.err)
			return q->v.err;
		/* Not an error if the node is already gone but its parent exists. */
		return xsd_view_get(&q->v, ppath) ? xsd_reply_ok(q) : -ENOENT;
	}
	if (!may(q, n, XSD_PERM_WRITE))
		return -EACCES;
	xsd_view_event(&q->v, path, n, true);
	rc = delete_tree(q, path);
	if (rc < 0)
		return rc;
	pe = xsd_view_edit(&q->v, ppath);
	if (pe)
		xsd_node_kid_del(pe, xsd_path_base(path));
	return xsd_reply_ok(q);
}

static int do_directory(struct xsd_req *q)
{
	char path[CANON_MAX];
	const struct xsd_node *n;
	int rc = path_lookup(q, path, XSD_PERM_READ, &n);

	for (uint32_t i = 0; rc == 0 && i < n->nkids; i++)
		rc = reply_str(q, n->kids[i]);
	return rc;
}

/* DIRECTORY_PART path|offset|: gen|, whole names from @offset, "" at the end. */
static int do_directory_part(struct xsd_req *q)
{
	const char *argv[2];
	char path[CANON_MAX], gen[24], *end;
	const struct xsd_node *n;
	unsigned long off, at = 0;
	uint32_t i = 0;
	int rc;

	if (xsd_args(q, argv, 2) != 2)
		return -EINVAL;
	off = strtoul(argv[1], &end, 10);
	if (!argv[1][0] || *end)
		return -EINVAL;
	rc = canon_arg(q, argv[0], path);
	if (rc == 0)
		rc = lookup(q, path, XSD_PERM_READ, &n);
	if (rc < 0)
		return rc;
	for (; i < n->nkids && at < off; i++)
		at += strlen(n->kids[i]) + 1;
	if (at != off)
		return -EINVAL; /* not the start of a name */
	snprintf(gen, sizeof(gen), "%" PRIu64, n->gen);
	reply_str(q, gen);
	for (; i < n->nkids; i++)
		if (q->rlen + strlen(n->kids[i]) + 2 > PV_XS_PAYLOAD_MAX || reply_str(q, n->kids[i]))
			return 0; /* more to come: the client asks again */
	return reply_str(q, "");
}

/* A node for GET/SET_PERMS: a path, or a special watch node ("@releaseDomain"). */
static int perms_lookup(struct xsd_req *q, const char *arg, char *path, unsigned int what,
			const struct xsd_node **out)
{
	const struct xsd_node *n;
	int rc;

	if (arg[0] != '@') {
		rc = canon_arg(q, arg, path);
		return rc < 0 ? rc : lookup(q, path, what, out);
	}
	n = xsd_special(q->x, arg);
	if (!n)
		return -ENOENT;
	if (!may(q, n, what))
		return -EACCES;
	strcpy(path, arg);
	*out = n;
	return 0;
}

static int do_get_perms(struct xsd_req *q)
{
	const char *arg = xsd_onearg(q);
	char path[CANON_MAX], one[16];
	const struct xsd_node *n;
	int rc = arg ? perms_lookup(q, arg, path, XSD_PERM_READ, &n) : -EINVAL;

	for (uint32_t i = 0; rc == 0 && i < n->nperms; i++) {
		xsd_perm_format(&n->perms[i], one);
		rc = reply_str(q, one);
	}
	return rc;
}

/* SET_PERMS path|perm|+ : only the owner (or domain 0); the owner stays unless dom0. */
static int do_set_perms(struct xsd_req *q)
{
	const char *argv[PV_XS_PAYLOAD_MAX / 2];
	struct xsd_perm perms[PV_XS_PAYLOAD_MAX / 2];
	char path[CANON_MAX];
	const struct xsd_node *n;
	struct xsd_node *e;
	int argc = xsd_args(q, argv, PV_XS_PAYLOAD_MAX / 2), rc;
	unsigned int old_owner;

	if (argc < 2 || q->p[q->len - 1] != 0)
		return -EINVAL;
	for (int i = 1; i < argc; i++)
		if (xsd_perm_parse(argv[i], &perms[i - 1]) < 0)
			return -EINVAL;
	rc = perms_lookup(q, argv[0], path, 0, &n);
	if (rc < 0)
		return rc;
	old_owner = n->nperms ? n->perms[0].dom : 0;
	if (!xsd_owns(q->x, old_owner, q->c->dom))
		return -EACCES;
	if (q->c->dom != 0 && perms[0].dom != old_owner)
		return -EPERM;
	if (path[0] == '@') /* no transaction, no event: it only gates the special watch */
		return xsd_node_set_perms(xsd_special(q->x, path), perms, (uint32_t)argc - 1) < 0
			       ? -ENOMEM : xsd_reply_ok(q);
	e = xsd_view_edit(&q->v, path);
	if (!e)
		return q->v.err ? q->v.err : -ENOMEM;
	rc = xsd_node_set_perms(e, perms, (uint32_t)argc - 1);
	if (rc < 0)
		return rc;
	xsd_view_chown(&q->v, old_owner, perms[0].dom);
	xsd_view_event(&q->v, path, e, false);
	return xsd_reply_ok(q);
}

typedef int (*handler_fn)(struct xsd_req *q);

static const struct {
	handler_fn fn;
	bool in_txn; /* honours tx_id (others ignore it) */
	const char *name;
} handlers[PV_XS_TYPE_COUNT] = {
	[PV_XS_READ] = {do_read, true, "READ"},
	[PV_XS_WRITE] = {do_write, true, "WRITE"},
	[PV_XS_MKDIR] = {do_mkdir, true, "MKDIR"},
	[PV_XS_RM] = {do_rm, true, "RM"},
	[PV_XS_DIRECTORY] = {do_directory, true, "DIRECTORY"},
	[PV_XS_DIRECTORY_PART] = {do_directory_part, true, "DIRECTORY_PART"},
	[PV_XS_GET_PERMS] = {do_get_perms, true, "GET_PERMS"},
	[PV_XS_SET_PERMS] = {do_set_perms, true, "SET_PERMS"},
	[PV_XS_WATCH] = {xsd_do_watch, false, "WATCH"},
	[PV_XS_UNWATCH] = {xsd_do_unwatch, false, "UNWATCH"},
	[PV_XS_TRANSACTION_START] = {xsd_do_txn_start, false, "TRANSACTION_START"},
	[PV_XS_TRANSACTION_END] = {xsd_do_txn_end, true, "TRANSACTION_END"},
	[PV_XS_INTRODUCE] = {xsd_do_introduce, false, "INTRODUCE"},
	[PV_XS_RELEASE] = {xsd_do_release, false, "RELEASE"},
	[PV_XS_GET_DOMAIN_PATH] = {xsd_do_get_domain_path, false, "GET_DOMAIN_PATH"},
	[PV_XS_IS_DOMAIN_INTRODUCED] = {xsd_do_is_introduced, false, "IS_DOMAIN_INTRODUCED"},
	[PV_XS_RESET_WATCHES] = {xsd_do_reset_watches, false, "RESET_WATCHES"},
	[PV_XS_SET_TARGET] = {xsd_do_set_target, false, "SET_TARGET"},
	[PV_XS_RESUME] = {xsd_do_resume, false, "RESUME"},
	[PV_XS_CONTROL] = {xsd_do_unsupported, false, "CONTROL"},
};

/* --debug: one line per request, its first argument and the outcome. */
static void trace(const struct xsd_conn *c, const struct pv_xs_msg_hdr *h, const char *arg, int rc)
{
	if (pv_log_get_level() < PV_LOG_DEBUG)
		return;
	pv_dev_debug(c->name, "%s tx %u '%.64s': %s", handlers[h->type].name, h->tx_id, arg,
		     rc < 0 ? xsd_errname(rc) : "ok");
}

void xsd_handle(struct xsd *x, struct xsd_conn *c, const struct pv_xs_msg_hdr *h,
		const char *payload, size_t len)
{
	static char rbuf[PV_XS_PAYLOAD_MAX + 1];
	struct xsd_req q = {.x = x, .c = c, .h = h, .p = payload, .len = len, .rbuf = rbuf};
	int rc;

	q.v.x = x;
	q.v.dom = c->dom;
	if (h->type >= PV_XS_TYPE_COUNT || !handlers[h->type].fn) {
		pv_dev_warn_rl(&c->rl, c->name, "unknown request type %u", h->type);
		xsd_conn_error(c, h, -EINVAL);
		return;
	}
	if (h->tx_id && handlers[h->type].in_txn) {
		q.v.tx = xsd_conn_txn(c, h->tx_id);
		if (!q.v.tx) {
			xsd_conn_error(c, h, -ENOENT);
			return;
		}
	}
	rc = handlers[h->type].fn(&q);
	if (rc == 0 && q.v.err)
		rc = q.v.err;
	trace(c, h, payload, rc);
	if (rc < 0)
		xsd_conn_error(c, h, rc);
	else
		xsd_conn_reply(c, h, h->type, rbuf, q.rlen);
	if (rc == 0 && q.new_watch)
		xsd_watch_send(x, q.new_watch, q.new_watch->path);
}

/* SPDX-License-Identifier: MIT */
/*
 * xenbus: the xenstore connection, typed node helpers, transactions with
 * retry and watch dispatch, on top of libxenstore (include/pvkit/xenbus.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenstore.h>

#include "pvkit/log.h"
#include "pvkit/xenbus.h"
#include "private.h"

#define TOKEN_PREFIX "pvw"

int pv_xs_local_path(char *buf, size_t len, const char *rundir, pv_domid_t domid)
{
	int n;

	if (!rundir)
		rundir = getenv("PVKIT_RUNDIR");
	if (!rundir || !*rundir)
		rundir = "/run/pvkit";
	if (domid == 0)
		n = snprintf(buf, len, "%s/xenstored.sock", rundir);
	else
		n = snprintf(buf, len, "%s/dom/%u/xenstored.sock", rundir, (unsigned int)domid);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The socket to use when the caller named none; NULL: libxenstore's default. */
static int default_path(char *buf, size_t len)
{
	const char *env = getenv("XENSTORED_PATH");
	const char *dom = getenv("PVKIT_DOMID");
	unsigned long domid = 0;

	if (env && *env) {
		if (strlen(env) >= len)
			return -ENAMETOOLONG;
		strcpy(buf, env);
		return 0;
	}
	if (access("/dev/xen/privcmd", F_OK) == 0 && !getenv("PVKIT_RUNDIR"))
		return -ENOENT; /* a real Xen host: libxenstore knows best */
	if (dom && *dom)
		domid = strtoul(dom, NULL, 10);
	return pv_xs_local_path(buf, len, NULL, (pv_domid_t)domid);
}

static void read_own_domid(struct pv_xs *xs)
{
	const char *env = getenv("PVKIT_DOMID");
	uint64_t v;

	if (pv_xs_read_uint(xs, PV_XS_NO_TXN, "domid", NULL, 0x7fef, UINT64_MAX, &v) == 0 &&
	    v != UINT64_MAX) {
		xs->domid = (pv_domid_t)v;
		return;
	}
	xs->domid = env && *env ? (pv_domid_t)strtoul(env, NULL, 10) : 0;
}

/*
 * libxenstore reads the socket path from the environment only: set it for
 * the call and put back what was there, so one open does not steer the next.
 */
static struct xs_handle *open_at(const char *path)
{
	const char *env = getenv("XENSTORED_PATH");
	char *saved = env ? strdup(env) : NULL;
	struct xs_handle *h;
	int err;

	if (path && setenv("XENSTORED_PATH", path, 1) < 0) {
		free(saved);
		return NULL;
	}
	errno = 0;
	h = xs_open(0);
	err = errno;
	if (saved)
		setenv("XENSTORED_PATH", saved, 1);
	else
		unsetenv("XENSTORED_PATH");
	free(saved);
	errno = err;
	return h;
}

int pv_xs_open(struct pv_xs **out, const char *path)
{
	char buf[PATH_MAX];
	struct pv_xs *xs;
	int rc;

	xs = calloc(1, sizeof(*xs));
	if (!xs)
		return -ENOMEM;
	if (!path && default_path(buf, sizeof(buf)) == 0)
		path = buf;
	xs->h = open_at(path);
	if (!xs->h) {
		rc = errno ? -errno : -ENOENT;
		pv_err_errno(rc, "cannot connect to xenstore at %s", path ? path : "(default)");
		goto out_free;
	}
	/* Sets up libxenstore's watch pipe; it must exist before any watch. */
	xs->fd = xs_fileno(xs->h);
	if (xs->fd < 0) {
		rc = errno ? -errno : -EIO;
		goto out_close;
	}
	read_own_domid(xs);
	*out = xs;
	return 0;

out_close:
	xs_close(xs->h);
out_free:
	free(xs);
	return rc;
}

void pv_xs_close(struct pv_xs *xs)
{
	if (!xs)
		return;
	xs_close(xs->h);
	free(xs->watches);
	free(xs);
}

pv_domid_t pv_xs_domid(struct pv_xs *xs)
{
	return xs->domid;
}

struct xs_handle *pv_xs_handle(struct pv_xs *xs)
{
	return xs->h;
}

/* Join @dir and @node into a malloc()ed path ("" or NULL node: @dir). */
char *pv_xs_join(const char *dir, const char *node)
{
	char *p;

	if (!node || !*node)
		return strdup(dir);
	if (!dir || !*dir)
		return strdup(node);
	if (asprintf(&p, "%s/%s", dir, node) < 0)
		return NULL;
	return p;
}

/*
 * libxenstore reports failures in errno; make sure it is a real one. A
 * request sent as xenstored goes away fails with EPIPE; once libxenstore's
 * reader thread has noticed, it closes the socket and every request fails
 * on the closed fd (EBADF): both are the lost connection, -ECONNRESET as
 * pv_xs_dispatch() says.
 */
static int xs_errno(void)
{
	if (errno == EBADF || errno == EPIPE)
		return -ECONNRESET;
	return errno ? -errno : -EIO;
}

int pv_xs_read(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *node, char **val)
{
	char *path = pv_xs_join(dir, node);
	unsigned int len;
	char *v;

	if (!path)
		return -ENOMEM;
	errno = 0;
	v = xs_read(xs->h, t, path, &len);
	free(path);
	if (!v)
		return xs_errno();
	*val = v; /* libxenstore NUL-terminates what it returns */
	return 0;
}

int pv_xs_write(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *node,
		const char *val)
{
	char *path = pv_xs_join(dir, node);
	bool ok;

	if (!path)
		return -ENOMEM;
	errno = 0;
	ok = xs_write(xs->h, t, path, val, strlen(val));
	free(path);
	return ok ? 0 : xs_errno();
}

int pv_xs_printf(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *node,
		 const char *fmt, ...)
{
	va_list ap;
	char *val;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&val, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	rc = pv_xs_write(xs, t, dir, node, val);
	free(val);
	return rc;
}

int pv_xs_scanf(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *node,
		const char *fmt, ...)
{
	va_list ap;
	char *val;
	int rc;

	rc = pv_xs_read(xs, t, dir, node, &val);
	if (rc < 0)
		return rc;
	va_start(ap, fmt);
	rc = vsscanf(val, fmt, ap);
	va_end(ap);
	free(val);
	return rc > 0 ? rc : -EINVAL;
}

int pv_xs_read_uint(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *node,
		    uint64_t max, uint64_t def, uint64_t *out)
{
	unsigned long long v;
	char *val, *end;
	int rc;

	rc = pv_xs_read(xs, t, dir, node, &val);
	if (rc == -ENOENT) {
		*out = def;
		return 0;
	}
	if (rc < 0)
		return rc;
	errno = 0;
	v = strtoull(val, &end, 10);
	rc = (val[0] < '0' || val[0] > '9' || *end || errno || v > max) ? -EINVAL : 0;
	free(val);
	if (rc == 0)
		*out = v;
	return rc;
}

int pv_xs_rm(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *node)
{
	char *path = pv_xs_join(dir, node);
	bool ok;

	if (!path)
		return -ENOMEM;
	errno = 0;
	ok = xs_rm(xs->h, t, path);
	free(path);
	if (!ok && errno == ENOENT)
		return 0;
	return ok ? 0 : xs_errno();
}

int pv_xs_mkdir(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *node)
{
	char *path = pv_xs_join(dir, node);
	bool ok;

	if (!path)
		return -ENOMEM;
	errno = 0;
	ok = xs_mkdir(xs->h, t, path);
	free(path);
	return ok ? 0 : xs_errno();
}

int pv_xs_exists(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *node)
{
	char *val;
	int rc = pv_xs_read(xs, t, dir, node, &val);

	if (rc == 0) {
		free(val);
		return 1;
	}
	return rc == -ENOENT ? 0 : rc;
}

int pv_xs_directory(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *node,
		    char ***names)
{
	char *path = pv_xs_join(dir, node);
	unsigned int num;
	char **v;

	if (!path)
		return -ENOMEM;
	errno = 0;
	v = xs_directory(xs->h, t, path, &num);
	free(path);
	if (!v)
		return xs_errno();
	*names = v;
	return (int)num;
}

int pv_xs_set_perms(struct pv_xs *xs, pv_xs_txn_t t, const char *path, pv_domid_t owner,
		    char others_perm, unsigned int count, const pv_domid_t *domids,
		    const char *perms)
{
	struct xs_permissions *p;
	bool ok;

	p = calloc(count + 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p[0].id = owner;
	if (!xs_strings_to_perms(&p[0], 1, (char[]){others_perm, '0', 0})) {
		free(p);
		return -EINVAL;
	}
	p[0].id = owner;
	for (unsigned int i = 0; i < count; i++) {
		char s[2 + 8];

		snprintf(s, sizeof(s), "%c%u", perms[i], (unsigned int)domids[i]);
		if (!xs_strings_to_perms(&p[i + 1], 1, s)) {
			free(p);
			return -EINVAL;
		}
	}
	errno = 0;
	ok = xs_set_permissions(xs->h, t, path, p, count + 1);
	free(p);
	return ok ? 0 : xs_errno();
}

int pv_xs_transaction(struct pv_xs *xs, pv_xs_txn_fn fn, void *opaque, unsigned int max_tries)
{
	xs_transaction_t t;
	int rc;

	if (!max_tries)
		max_tries = 100;
	for (unsigned int i = 0; i < max_tries; i++) {
		errno = 0;
		t = xs_transaction_start(xs->h);
		if (t == XBT_NULL)
			return xs_errno();
		rc = fn(xs, t, opaque);
		if (rc < 0) {
			xs_transaction_end(xs->h, t, true);
			return rc;
		}
		errno = 0;
		if (xs_transaction_end(xs->h, t, false))
			return 0;
		if (errno != EAGAIN)
			return xs_errno();
		/* Another writer committed first: run the whole body again. */
	}
	return -EAGAIN;
}

static struct pv_xs_watch *find_watch(struct pv_xs *xs, int id)
{
	for (unsigned int i = 0; i < xs->nr_watches; i++)
		if (xs->watches[i].id == id && xs->watches[i].fn)
			return &xs->watches[i];
	return NULL;
}

int pv_xs_watch(struct pv_xs *xs, const char *path, pv_xs_watch_fn fn, void *opaque)
{
	struct pv_xs_watch *w = NULL, *grown;
	char token[32];

	for (unsigned int i = 0; i < xs->nr_watches && !w; i++)
		if (!xs->watches[i].fn)
			w = &xs->watches[i];
	if (!w) {
		grown = realloc(xs->watches, (xs->nr_watches + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		xs->watches = grown;
		w = &xs->watches[xs->nr_watches++];
	}
	w->id = ++xs->last_watch_id;
	snprintf(token, sizeof(token), TOKEN_PREFIX "%d", w->id);
	errno = 0;
	if (!xs_watch(xs->h, path, token)) {
		int rc = xs_errno();

		w->fn = NULL;
		pv_warn_errno(rc, "cannot watch %s", path);
		return rc;
	}
	w->fn = fn;
	w->opaque = opaque;
	snprintf(w->path, sizeof(w->path), "%s", path);
	return w->id;
}

int pv_xs_unwatch(struct pv_xs *xs, int id)
{
	struct pv_xs_watch *w = find_watch(xs, id);
	char token[32];

	if (!w)
		return -ENOENT;
	snprintf(token, sizeof(token), TOKEN_PREFIX "%d", id);
	w->fn = NULL; /* queued events for it are now dropped by dispatch */
	errno = 0;
	return xs_unwatch(xs->h, w->path, token) ? 0 : xs_errno();
}

int pv_xs_fd(struct pv_xs *xs)
{
	return xs->fd;
}

/* Run the callback of one event; events for removed watches are dropped. */
static void deliver(struct pv_xs *xs, char **vec)
{
	const char *token = vec[XS_WATCH_TOKEN];
	struct pv_xs_watch *w;
	char *end;
	long id;

	if (strncmp(token, TOKEN_PREFIX, strlen(TOKEN_PREFIX)))
		return;
	id = strtol(token + strlen(TOKEN_PREFIX), &end, 10);
	if (*end || id <= 0 || id > INT_MAX)
		return;
	w = find_watch(xs, (int)id);
	if (w)
		w->fn(xs, vec[XS_WATCH_PATH], w->opaque);
}

/* The same watch firing for the same path: one callback run serves both. */
static int same_event(char **a, char **b)
{
	return !strcmp(a[XS_WATCH_TOKEN], b[XS_WATCH_TOKEN]) &&
	       !strcmp(a[XS_WATCH_PATH], b[XS_WATCH_PATH]);
}

/*
 * Events queued back to back for the same watch and path run the callback
 * once (it reads the current value anyway): taking them from libxenstore
 * costs no round trip to xenstored, so a peer rewriting a node in a loop
 * (XSA-349) cannot queue work faster than we drain it. At most
 * DISPATCH_PULL events are taken per callback run allowed by @max.
 */
#define DISPATCH_PULL 64

int pv_xs_dispatch(struct pv_xs *xs, unsigned int max)
{
	unsigned int n = 0, pulled = 0;
	char **vec, **held = NULL;
	int rc = 0;

	while (!max || (n + !!held < max && pulled < max * DISPATCH_PULL)) {
		errno = 0;
		vec = xs_check_watch(xs->h);
		if (!vec) {
			if (errno != EAGAIN && errno != 0)
				rc = errno == EINVAL ? -ECONNRESET : -errno;
			break;
		}
		pulled++;
		if (held && same_event(held, vec)) {
			free(vec);
			continue;
		}
		if (held) {
			deliver(xs, held);
			free(held);
			n++;
		}
		held = vec;
	}
	if (held) {
		deliver(xs, held);
		free(held);
		n++;
	}
	return rc < 0 ? rc : (int)n;
}

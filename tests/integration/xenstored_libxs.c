/* SPDX-License-Identifier: MIT */
/*
 * pvkit-xenstored through Debian's libxenstore, as three domains: every
 * operation, permissions, transactions, watches, quotas and domain life.
 * Run by xenstored-libxs.sh, which starts the daemon with small quotas.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenstore.h>

#include "../harness/cunit.h"

/* Quotas the script starts the daemon with. */
#define Q_NODES     40
#define Q_WATCHES   8
#define Q_TXNS      4
#define Q_NODE_SIZE 512

static const char *rundir;
static struct xs_handle *h0, *h1, *h2;

/* A libxenstore handle speaking as domain @dom (its socket is its identity). */
static struct xs_handle *open_dom(unsigned int dom)
{
	char path[512];

	if (dom == 0)
		snprintf(path, sizeof(path), "%s/xenstored.sock", rundir);
	else
		snprintf(path, sizeof(path), "%s/dom/%u/xenstored.sock", rundir, dom);
	setenv("XENSTORED_PATH", path, 1);
	return xs_open(0);
}

static bool wr(struct xs_handle *h, const char *path, const char *val)
{
	return xs_write(h, XBT_NULL, path, val, (unsigned int)strlen(val));
}

/* Read as a string; NULL (errno set) on failure. Caller frees. */
static char *rd(struct xs_handle *h, const char *path)
{
	unsigned int len;

	return xs_read(h, XBT_NULL, path, &len);
}

static int rd_errno(struct xs_handle *h, const char *path)
{
	char *v = rd(h, path);

	if (v) {
		free(v);
		return 0;
	}
	return errno;
}

static bool set_perms_t(struct xs_handle *h, xs_transaction_t t, const char *path,
			const char *spec)
{
	struct xs_permissions p[8];
	unsigned int n = 0;
	const char *s = spec;

	while (*s && n < 8) {
		p[n].perms = *s == 'r' ? XS_PERM_READ : *s == 'w' ? XS_PERM_WRITE
				: *s == 'b' ? XS_PERM_READ | XS_PERM_WRITE : XS_PERM_NONE;
		p[n].id = (unsigned int)strtoul(s + 1, (char **)&s, 10);
		n++;
		if (*s == ',')
			s++;
	}
	return xs_set_permissions(h, t, path, p, n);
}

static bool set_perms(struct xs_handle *h, const char *path, const char *spec)
{
	return set_perms_t(h, XBT_NULL, path, spec);
}

/* The next watch event within @ms, as "path|token" in @buf; 0 or -ETIMEDOUT. */
static int next_event(struct xs_handle *h, int ms, char *buf, size_t size)
{
	struct pollfd pfd = {.fd = xs_fileno(h), .events = POLLIN};
	unsigned int num;
	char **ev;

	if (poll(&pfd, 1, ms) <= 0)
		return -ETIMEDOUT;
	ev = xs_read_watch(h, &num);
	if (!ev)
		return -EIO;
	snprintf(buf, size, "%s|%s", ev[XS_WATCH_PATH], ev[XS_WATCH_TOKEN]);
	free(ev);
	return 0;
}

static int setup_domains(void)
{
	rundir = getenv("PVKIT_RUNDIR");
	if (!rundir || !(h0 = open_dom(0)))
		return 1;
	for (unsigned int d = 1; d <= 2; d++) {
		char home[64], perm[8];

		if (!xs_introduce_domain(h0, d, 0, 0))
			return 1;
		snprintf(home, sizeof(home), "/local/domain/%u", d);
		snprintf(perm, sizeof(perm), "n%u", d);
		if (!xs_mkdir(h0, XBT_NULL, home) || !set_perms(h0, home, perm))
			return 1;
	}
	h1 = open_dom(1);
	h2 = open_dom(2);
	return h1 && h2 ? 0 : 1;
}

static int teardown_domains(void)
{
	xs_close(h2);
	xs_close(h1);
	xs_close(h0);
	return 0;
}

static void test_basic_ops(void)
{
	char **dir, *v, *p;
	unsigned int n;

	CU_ASSERT_TRUE(wr(h0, "/ops/a", "1"));
	CU_ASSERT_TRUE(xs_mkdir(h0, XBT_NULL, "/ops/b"));
	CU_ASSERT_TRUE(xs_mkdir(h0, XBT_NULL, "/ops/a")); /* exists: value kept */
	v = rd(h0, "/ops/a");
	CU_ASSERT_STRING_EQUAL(v ? v : "", "1");
	free(v);
	dir = xs_directory(h0, XBT_NULL, "/ops", &n);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(dir[0], "a");
	CU_ASSERT_STRING_EQUAL(dir[1], "b");
	free(dir);
	CU_ASSERT_TRUE(xs_write(h0, XBT_NULL, "/ops/bin", "x\0y", 3));
	v = xs_read(h0, XBT_NULL, "/ops/bin", &n);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT(v && memcmp(v, "x\0y", 3) == 0);
	free(v);
	CU_ASSERT_TRUE(xs_rm(h0, XBT_NULL, "/ops"));
	CU_ASSERT_EQUAL(rd_errno(h0, "/ops/a"), ENOENT);
	CU_ASSERT_FALSE(xs_rm(h0, XBT_NULL, "/"));
	p = xs_get_domain_path(h0, 7);
	CU_ASSERT_STRING_EQUAL(p ? p : "", "/local/domain/7");
	free(p);
	CU_ASSERT_TRUE(xs_is_domain_introduced(h0, 0));
	CU_ASSERT_TRUE(xs_is_domain_introduced(h0, 1));
	CU_ASSERT_FALSE(xs_is_domain_introduced(h0, 9));
}

static void test_get_set_perms(void)
{
	struct xs_permissions *p;
	unsigned int n;

	CU_ASSERT_TRUE(wr(h0, "/perm/x", "v"));
	CU_ASSERT_TRUE(set_perms(h0, "/perm/x", "w3,r1,b2"));
	p = xs_get_permissions(h0, XBT_NULL, "/perm/x", &n);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(p[0].id, 3);
	CU_ASSERT_EQUAL(p[0].perms, XS_PERM_WRITE);
	CU_ASSERT_EQUAL(p[1].id, 1);
	CU_ASSERT_EQUAL(p[1].perms, XS_PERM_READ);
	CU_ASSERT_EQUAL(p[2].perms, XS_PERM_READ | XS_PERM_WRITE);
	free(p);
	CU_ASSERT_TRUE(xs_rm(h0, XBT_NULL, "/perm"));
}

static void test_guest_isolation(void)
{
	char *v;

	/* A guest writes under its home with relative paths and owns what it makes. */
	CU_ASSERT_TRUE(wr(h1, "data/x", "one"));
	v = rd(h0, "/local/domain/1/data/x");
	CU_ASSERT_STRING_EQUAL(v ? v : "", "one");
	free(v);
	CU_ASSERT_EQUAL(rd_errno(h2, "/local/domain/1/data/x"), EACCES);
	CU_ASSERT_EQUAL(rd_errno(h1, "/"), EACCES);
	CU_ASSERT_EQUAL(rd_errno(h1, "/local/domain/0"), EACCES);
	CU_ASSERT_FALSE(wr(h2, "/local/domain/1/data/evil", "x"));
	CU_ASSERT_EQUAL(errno, EACCES);
	CU_ASSERT_FALSE(wr(h1, "/toplevel", "x"));
	CU_ASSERT_EQUAL(errno, EACCES);
	/* Domain management is domain 0's. */
	CU_ASSERT_FALSE(xs_introduce_domain(h1, 5, 0, 0));
	CU_ASSERT_EQUAL(errno, EACCES);
	CU_ASSERT_FALSE(xs_release_domain(h1, 2));
	CU_ASSERT_EQUAL(errno, EACCES);
}

static void test_grants_and_owner(void)
{
	struct xs_permissions *p;
	unsigned int n;
	char *v;

	CU_ASSERT_TRUE(wr(h2, "shared/ro", "r"));
	CU_ASSERT_TRUE(wr(h2, "shared/rw", "w"));
	CU_ASSERT_TRUE(set_perms(h2, "shared/ro", "n2,r1"));
	CU_ASSERT_TRUE(set_perms(h2, "shared/rw", "n2,b1"));
	v = rd(h1, "/local/domain/2/shared/ro");
	CU_ASSERT_STRING_EQUAL(v ? v : "", "r");
	free(v);
	CU_ASSERT_FALSE(wr(h1, "/local/domain/2/shared/ro", "no"));
	CU_ASSERT_EQUAL(errno, EACCES);
	CU_ASSERT_TRUE(wr(h1, "/local/domain/2/shared/rw", "yes"));
	/* Only the owner changes permissions, and a guest cannot give a node away. */
	CU_ASSERT_FALSE(set_perms(h1, "/local/domain/2/shared/rw", "b1"));
	CU_ASSERT_EQUAL(errno, EACCES);
	CU_ASSERT_FALSE(set_perms(h2, "shared/rw", "n1"));
	CU_ASSERT_EQUAL(errno, EPERM);
	/* Creation inherits the parent's entries, with the creator as owner. */
	CU_ASSERT_TRUE(set_perms(h2, "shared", "r2,r1"));
	CU_ASSERT_TRUE(wr(h2, "shared/new", "n"));
	p = xs_get_permissions(h2, XBT_NULL, "shared/new", &n);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(p[0].id, 2);
	CU_ASSERT_EQUAL(p[0].perms, XS_PERM_READ);
	CU_ASSERT_EQUAL(p[1].id, 1);
	free(p);
	/* The default (entry 0's mode) applies to a domain with no entry: r2 lets dom1 read. */
	CU_ASSERT_EQUAL(rd_errno(h1, "/local/domain/2/shared/new"), 0);
	CU_ASSERT_TRUE(xs_rm(h2, XBT_NULL, "shared"));
}

static void test_watch_visibility(void)
{
	char ev[256];

	CU_ASSERT_TRUE(wr(h2, "vis/open", "0"));
	CU_ASSERT_TRUE(set_perms(h2, "vis/open", "n2,r1"));
	CU_ASSERT_TRUE(xs_watch(h1, "/local/domain/2/vis", "tk"));
	CU_ASSERT_EQUAL(next_event(h1, 2000, ev, sizeof(ev)), 0);
	CU_ASSERT_STRING_EQUAL(ev, "/local/domain/2/vis|tk");
	/* XSA-115: no event for a node dom1 cannot read; events stay in order. */
	CU_ASSERT_TRUE(wr(h2, "vis/secret", "s"));
	CU_ASSERT_TRUE(wr(h2, "vis/open", "1"));
	CU_ASSERT_EQUAL(next_event(h1, 2000, ev, sizeof(ev)), 0);
	CU_ASSERT_STRING_EQUAL(ev, "/local/domain/2/vis/open|tk");
	CU_ASSERT_TRUE(xs_unwatch(h1, "/local/domain/2/vis", "tk"));
	CU_ASSERT_TRUE(xs_rm(h2, XBT_NULL, "vis"));
}

static void test_watch_events(void)
{
	char ev[256];

	CU_ASSERT_TRUE(xs_watch(h0, "/wt", "a"));
	CU_ASSERT_FALSE(xs_watch(h0, "/wt", "a"));
	CU_ASSERT_EQUAL(errno, EEXIST);
	CU_ASSERT_TRUE(xs_watch(h0, "/wt/deep/node", "b"));
	CU_ASSERT_EQUAL(next_event(h0, 2000, ev, sizeof(ev)), 0);
	CU_ASSERT_STRING_EQUAL(ev, "/wt|a");
	CU_ASSERT_EQUAL(next_event(h0, 2000, ev, sizeof(ev)), 0);
	CU_ASSERT_STRING_EQUAL(ev, "/wt/deep/node|b");
	CU_ASSERT_TRUE(wr(h0, "/wt/deep/node/leaf", "1"));
	CU_ASSERT_EQUAL(next_event(h0, 2000, ev, sizeof(ev)), 0);
	CU_ASSERT_STRING_EQUAL(ev, "/wt/deep/node/leaf|a");
	CU_ASSERT_EQUAL(next_event(h0, 2000, ev, sizeof(ev)), 0);
	CU_ASSERT_STRING_EQUAL(ev, "/wt/deep/node/leaf|b");
	/* Removing a parent fires the deeper watch with its own path. */
	CU_ASSERT_TRUE(xs_rm(h0, XBT_NULL, "/wt/deep"));
	CU_ASSERT_EQUAL(next_event(h0, 2000, ev, sizeof(ev)), 0);
	CU_ASSERT_STRING_EQUAL(ev, "/wt/deep|a");
	CU_ASSERT_EQUAL(next_event(h0, 2000, ev, sizeof(ev)), 0);
	CU_ASSERT_STRING_EQUAL(ev, "/wt/deep/node|b");
	CU_ASSERT_TRUE(xs_unwatch(h0, "/wt/deep/node", "b"));
	CU_ASSERT_FALSE(xs_unwatch(h0, "/wt/deep/node", "b"));
	CU_ASSERT_TRUE(xs_unwatch(h0, "/wt", "a"));
	CU_ASSERT_TRUE(wr(h0, "/wt/after", "1"));
	CU_ASSERT_EQUAL(next_event(h0, 200, ev, sizeof(ev)), -ETIMEDOUT);
	CU_ASSERT_TRUE(xs_rm(h0, XBT_NULL, "/wt"));
}

static void test_relative_watch(void)
{
	char ev[256];

	CU_ASSERT_TRUE(xs_watch(h1, "rel", "r"));
	CU_ASSERT_EQUAL(next_event(h1, 2000, ev, sizeof(ev)), 0);
	CU_ASSERT_STRING_EQUAL(ev, "rel|r");
	CU_ASSERT_TRUE(wr(h1, "rel/x", "1"));
	CU_ASSERT_EQUAL(next_event(h1, 2000, ev, sizeof(ev)), 0);
	CU_ASSERT_STRING_EQUAL(ev, "rel/x|r");
	CU_ASSERT_TRUE(xs_unwatch(h1, "rel", "r"));
	CU_ASSERT_TRUE(xs_rm(h1, XBT_NULL, "rel"));
}

static void test_txn_isolation_and_commit(void)
{
	xs_transaction_t t = xs_transaction_start(h0);
	char ev[256], *v;
	unsigned int len;

	CU_ASSERT_NOT_EQUAL_FATAL(t, XBT_NULL);
	CU_ASSERT_TRUE(xs_mkdir(h0, XBT_NULL, "/local/domain/1/txw/m"));
	CU_ASSERT_TRUE(xs_watch(h1, "txw", "t"));
	CU_ASSERT_EQUAL(next_event(h1, 2000, ev, sizeof(ev)), 0);
	CU_ASSERT_TRUE(xs_write(h0, t, "/local/domain/1/txw/a", "in", 2));
	v = xs_read(h0, t, "/local/domain/1/txw/a", &len);
	CU_ASSERT_STRING_EQUAL(v ? v : "", "in");
	free(v);
	CU_ASSERT_EQUAL(rd_errno(h0, "/local/domain/1/txw/a"), ENOENT);
	/* The marker's event comes first: the transaction's is held until commit. */
	CU_ASSERT_TRUE(wr(h0, "/local/domain/1/txw/m", "m"));
	CU_ASSERT_TRUE(xs_transaction_end(h0, t, false));
	CU_ASSERT_EQUAL(next_event(h1, 2000, ev, sizeof(ev)), 0);
	CU_ASSERT_STRING_EQUAL(ev, "txw/m|t");
	CU_ASSERT_EQUAL(next_event(h1, 2000, ev, sizeof(ev)), 0);
	CU_ASSERT_STRING_EQUAL(ev, "txw/a|t");
	CU_ASSERT_EQUAL(rd_errno(h0, "/local/domain/1/txw/a"), 0);
	CU_ASSERT_TRUE(xs_unwatch(h1, "txw", "t"));
	/* Aborted: nothing happened. */
	t = xs_transaction_start(h0);
	CU_ASSERT_TRUE(xs_write(h0, t, "/local/domain/1/txw/b", "x", 1));
	CU_ASSERT_TRUE(xs_transaction_end(h0, t, true));
	CU_ASSERT_EQUAL(rd_errno(h0, "/local/domain/1/txw/b"), ENOENT);
	CU_ASSERT_TRUE(xs_rm(h0, XBT_NULL, "/local/domain/1/txw"));
}

static void test_txn_conflict(void)
{
	struct xs_handle *hb = open_dom(0);
	xs_transaction_t t1, t2;
	unsigned int len;
	char *v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(hb);
	CU_ASSERT_TRUE(wr(h0, "/tx/k", "0"));
	t1 = xs_transaction_start(h0);
	v = xs_read(h0, t1, "/tx/k", &len);
	free(v);
	CU_ASSERT_TRUE(wr(hb, "/tx/k", "other"));
	CU_ASSERT_TRUE(xs_write(h0, t1, "/tx/k2", "mine", 4));
	CU_ASSERT_FALSE(xs_transaction_end(h0, t1, false));
	CU_ASSERT_EQUAL(errno, EAGAIN);
	CU_ASSERT_EQUAL(rd_errno(h0, "/tx/k2"), ENOENT);
	/* Disjoint nodes: both commit (creating siblings would both change /tx). */
	CU_ASSERT_TRUE(wr(h0, "/tx/one", ""));
	CU_ASSERT_TRUE(wr(h0, "/tx/two", ""));
	t1 = xs_transaction_start(h0);
	t2 = xs_transaction_start(hb);
	CU_ASSERT_TRUE(xs_write(h0, t1, "/tx/one", "1", 1));
	CU_ASSERT_TRUE(xs_write(hb, t2, "/tx/two", "2", 1));
	CU_ASSERT_TRUE(xs_transaction_end(h0, t1, false));
	CU_ASSERT_TRUE(xs_transaction_end(hb, t2, false));
	/* Both created the same node: the second commit conflicts. */
	t1 = xs_transaction_start(h0);
	t2 = xs_transaction_start(hb);
	CU_ASSERT_TRUE(xs_write(h0, t1, "/tx/same", "1", 1));
	CU_ASSERT_TRUE(xs_write(hb, t2, "/tx/same", "2", 1));
	CU_ASSERT_TRUE(xs_transaction_end(h0, t1, false));
	CU_ASSERT_FALSE(xs_transaction_end(hb, t2, false));
	CU_ASSERT_EQUAL(errno, EAGAIN);
	v = rd(h0, "/tx/same");
	CU_ASSERT_STRING_EQUAL(v ? v : "", "1");
	free(v);
	CU_ASSERT_TRUE(xs_rm(h0, XBT_NULL, "/tx"));
	xs_close(hb);
}

/* Every node request inside a transaction sees the transaction's own view. */
static void test_txn_all_ops(void)
{
	struct xs_permissions *p;
	xs_transaction_t t;
	unsigned int n;
	char **dir;
	int tries = 0;

	CU_ASSERT_TRUE(wr(h0, "/txo/old/a", "1"));
	do {
		t = xs_transaction_start(h0);
		CU_ASSERT_TRUE(xs_mkdir(h0, t, "/txo/new"));
		CU_ASSERT_TRUE(xs_write(h0, t, "/txo/new/x", "2", 1));
		CU_ASSERT_TRUE(xs_rm(h0, t, "/txo/old"));
		dir = xs_directory(h0, t, "/txo", &n);
		CU_ASSERT(dir && n == 1 && strcmp(dir[0], "new") == 0);
		free(dir);
		CU_ASSERT_TRUE(set_perms_t(h0, t, "/txo/new/x", "n0,r1"));
		p = xs_get_permissions(h0, t, "/txo/new/x", &n);
		CU_ASSERT(p && n == 2 && p[1].id == 1);
		free(p);
		/* Outside, nothing moved yet. */
		CU_ASSERT_EQUAL(rd_errno(h0, "/txo/old/a"), 0);
		CU_ASSERT_EQUAL(rd_errno(h0, "/txo/new"), ENOENT);
		if (tries++ == 0) /* a conflicting change: the retry must succeed */
			CU_ASSERT_TRUE(wr(h0, "/txo/old/a", "changed"));
	} while (!xs_transaction_end(h0, t, false) && errno == EAGAIN && tries < 5);
	CU_ASSERT_EQUAL(tries, 2);
	CU_ASSERT_EQUAL(rd_errno(h0, "/txo/old/a"), ENOENT);
	CU_ASSERT_EQUAL(rd_errno(h1, "/txo/new/x"), 0);
	CU_ASSERT_TRUE(xs_rm(h0, XBT_NULL, "/txo"));
}

static void test_quota_txns(void)
{
	xs_transaction_t t[Q_TXNS + 1];

	for (int i = 0; i < Q_TXNS; i++) {
		t[i] = xs_transaction_start(h1);
		CU_ASSERT_NOT_EQUAL(t[i], XBT_NULL);
	}
	t[Q_TXNS] = xs_transaction_start(h1);
	CU_ASSERT_EQUAL(t[Q_TXNS], XBT_NULL);
	CU_ASSERT_EQUAL(errno, ENOSPC);
	for (int i = 0; i < Q_TXNS; i++)
		CU_ASSERT_TRUE(xs_transaction_end(h1, t[i], true));
}

static void test_quota_nodes_and_size(void)
{
	char big[Q_NODE_SIZE + 1], path[64];
	int made = 0;

	memset(big, 'x', sizeof(big));
	CU_ASSERT_FALSE(xs_write(h1, XBT_NULL, "q/big", big, sizeof(big)));
	CU_ASSERT_EQUAL(errno, E2BIG);
	CU_ASSERT_TRUE(xs_write(h1, XBT_NULL, "q/fits", big, sizeof(big) - 1));
	for (int i = 0; i < Q_NODES + 5; i++) {
		snprintf(path, sizeof(path), "q/n%d", i);
		if (!wr(h1, path, "1"))
			break;
		made++;
	}
	CU_ASSERT(made < Q_NODES);
	CU_ASSERT_EQUAL(errno, ENOSPC);
	/* Domain 0 is not held to guest quotas, and dom1 is fine once it tidies up. */
	for (int i = 0; i < Q_NODES + 5; i++) {
		snprintf(path, sizeof(path), "/q0/n%d", i);
		CU_ASSERT_TRUE(wr(h0, path, "1"));
	}
	CU_ASSERT_TRUE(xs_rm(h0, XBT_NULL, "/q0"));
	CU_ASSERT_TRUE(xs_rm(h1, XBT_NULL, "q"));
	CU_ASSERT_TRUE(wr(h1, "q/again", "1"));
	CU_ASSERT_TRUE(xs_rm(h1, XBT_NULL, "q"));
}

static void test_quota_watches(void)
{
	char path[32];
	int ok = 0;

	for (int i = 0; i < Q_WATCHES + 2; i++) {
		snprintf(path, sizeof(path), "w%d", i);
		if (xs_watch(h2, path, "q"))
			ok++;
		else
			CU_ASSERT_EQUAL(errno, E2BIG);
	}
	CU_ASSERT_EQUAL(ok, Q_WATCHES);
	for (int i = 0; i < ok; i++) {
		snprintf(path, sizeof(path), "w%d", i);
		CU_ASSERT_TRUE(xs_unwatch(h2, path, "q"));
	}
}

static void test_path_lengths(void)
{
	char rel[2048 + 2];

	/* XSA-323: a guest's relative path may have 2048 bytes, not more. */
	memset(rel, 'a', sizeof(rel) - 1);
	rel[sizeof(rel) - 1] = 0;
	for (size_t i = 100; i < sizeof(rel) - 2; i += 100)
		rel[i] = '/';
	CU_ASSERT_FALSE(wr(h1, rel, "1"));
	CU_ASSERT_EQUAL(errno, E2BIG);
	rel[sizeof(rel) - 2] = 0; /* 2048 */
	CU_ASSERT_TRUE(wr(h1, rel, "1"));
	rel[100] = 0;
	CU_ASSERT_TRUE(xs_rm(h1, XBT_NULL, rel));
}

/* A 3072-byte path is 1536 levels deep: removing it must not recurse. */
static void test_deep_tree(void)
{
	char path[3073];

	for (size_t i = 0; i < sizeof(path) - 1; i += 2) {
		path[i] = '/';
		path[i + 1] = 'd';
	}
	path[sizeof(path) - 1] = 0;
	CU_ASSERT_TRUE(wr(h0, path, "deep"));
	CU_ASSERT_TRUE(xs_rm(h0, XBT_NULL, "/d"));
	CU_ASSERT_EQUAL(rd_errno(h0, "/d"), ENOENT);
	CU_ASSERT_TRUE(wr(h0, "/alive", "1"));
	CU_ASSERT_TRUE(xs_rm(h0, XBT_NULL, "/alive"));
}

/* Introduce, special watches, release drops connections, XSA-322 on domid reuse. */
static void test_domain_life(void)
{
	struct xs_handle *h3;
	char ev[256], sock[512];

	CU_ASSERT_TRUE(xs_watch(h0, "@introduceDomain", "in"));
	CU_ASSERT_TRUE(xs_watch(h0, "@releaseDomain", "out"));
	CU_ASSERT_EQUAL(next_event(h0, 2000, ev, sizeof(ev)), 0);
	CU_ASSERT_EQUAL(next_event(h0, 2000, ev, sizeof(ev)), 0);
	CU_ASSERT_TRUE(xs_introduce_domain(h0, 3, 0, 0));
	CU_ASSERT_EQUAL(next_event(h0, 2000, ev, sizeof(ev)), 0);
	CU_ASSERT_STRING_EQUAL(ev, "@introduceDomain|in");
	CU_ASSERT_TRUE(xs_mkdir(h0, XBT_NULL, "/local/domain/3"));
	CU_ASSERT_TRUE(set_perms(h0, "/local/domain/3", "n3"));
	h3 = open_dom(3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h3);
	CU_ASSERT_TRUE(wr(h3, "secret", "old"));
	CU_ASSERT_TRUE(xs_release_domain(h0, 3));
	CU_ASSERT_EQUAL(next_event(h0, 2000, ev, sizeof(ev)), 0);
	CU_ASSERT_STRING_EQUAL(ev, "@releaseDomain|out");
	CU_ASSERT_FALSE(xs_is_domain_introduced(h0, 3));
	snprintf(sock, sizeof(sock), "%s/dom/3/xenstored.sock", rundir);
	CU_ASSERT_EQUAL(access(sock, F_OK), -1);
	CU_ASSERT_NOT_EQUAL(rd_errno(h3, "secret"), 0); /* its connection was dropped */
	xs_close(h3);
	CU_ASSERT_FALSE(xs_release_domain(h0, 3));
	CU_ASSERT_EQUAL(errno, ENOENT);
	/* A new domain 3 inherits nothing of the old one's nodes. */
	CU_ASSERT_TRUE(xs_introduce_domain(h0, 3, 0, 0));
	h3 = open_dom(3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h3);
	CU_ASSERT_EQUAL(rd_errno(h3, "/local/domain/3/secret"), EACCES);
	xs_close(h3);
	CU_ASSERT_TRUE(xs_release_domain(h0, 3));
	CU_ASSERT_TRUE(xs_unwatch(h0, "@introduceDomain", "in"));
	CU_ASSERT_TRUE(xs_unwatch(h0, "@releaseDomain", "out"));
	CU_ASSERT_TRUE(xs_rm(h0, XBT_NULL, "/local/domain/3"));
}

static CU_TestInfo ops_tests[] = {
	{"read write mkdir rm directory, domain path", test_basic_ops},
	{"get and set permissions", test_get_set_perms},
	{"guests see only what they may", test_guest_isolation},
	{"grants, owner rights, inheritance", test_grants_and_owner},
	{"no watch events for unreadable nodes", test_watch_visibility},
	{"watch events: registration, children, removal", test_watch_events},
	{"relative watch, relative events", test_relative_watch},
	{"transaction isolation, commit events, abort", test_txn_isolation_and_commit},
	{"conflicting transactions get EAGAIN", test_txn_conflict},
	{"every request inside a transaction, retried on EAGAIN", test_txn_all_ops},
	{"transaction quota", test_quota_txns},
	{"node count and node size quotas", test_quota_nodes_and_size},
	{"watch quota", test_quota_watches},
	{"path length limits", test_path_lengths},
	{"deep tree removal", test_deep_tree},
	{"introduce, release, domid reuse", test_domain_life},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"xenstored via libxenstore", setup_domains, teardown_domains, NULL, NULL, ops_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

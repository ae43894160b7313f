/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for platform/local/xenstored/txn.c: direct and transactional
 * views, conflict detection, node accounting and the overlay bound.
 */
#include <stdio.h>

#include "xsd_test.h"
#include "../../../../harness/cunit.h"

static void test_direct_view(void)
{
	struct xsd *x = xt_daemon();
	struct xsd_view v = {.x = x, .dom = 1};
	uint64_t gen;

	CU_ASSERT_EQUAL(xsd_view_create(&v, xt_node("/a", 1)), 0);
	CU_ASSERT_EQUAL(x->doms[1]->nnodes, 1);
	CU_ASSERT_EQUAL(xsd_view_owned(&v), 1);
	gen = xsd_view_get(&v, "/a")->gen;
	CU_ASSERT(xsd_view_edit(&v, "/a")->gen > gen);
	xsd_view_chown(&v, 1, 2);
	CU_ASSERT_EQUAL(x->doms[1]->nnodes, 0);
	CU_ASSERT_EQUAL(x->doms[2]->nnodes, 1);
	xsd_view_chown(&v, 2, 1);
	CU_ASSERT_EQUAL(xsd_view_delete(&v, "/a"), 0);
	CU_ASSERT_EQUAL(x->doms[1]->nnodes, 0);
	CU_ASSERT_EQUAL(xsd_view_delete(&v, "/a"), -ENOENT);
	xt_daemon_free(x);
}

static void test_txn_isolated_then_committed(void)
{
	struct xsd *x = xt_daemon();
	struct xsd_txn *t = xsd_txn_new(1);
	struct xsd_view tv = {.x = x, .tx = t, .dom = 1}, dv = {.x = x, .dom = 1};

	CU_ASSERT_EQUAL(xsd_view_create(&tv, xt_node("/t", 1)), 0);
	CU_ASSERT_PTR_NOT_NULL(xsd_view_get(&tv, "/t"));
	CU_ASSERT_PTR_NULL(xsd_view_get(&dv, "/t"));
	CU_ASSERT_EQUAL(xsd_view_owned(&tv), 1);
	CU_ASSERT_EQUAL(xsd_view_owned(&dv), 0);
	CU_ASSERT_EQUAL(xsd_txn_commit(x, t, 1), 0);
	xsd_txn_free(t);
	CU_ASSERT_PTR_NOT_NULL(xsd_view_get(&dv, "/t"));
	CU_ASSERT_EQUAL(x->doms[1]->nnodes, 1);
	xt_daemon_free(x);
}

static void test_txn_conflicts(void)
{
	struct xsd *x = xt_daemon();
	struct xsd_view dv = {.x = x, .dom = 0};
	struct xsd_txn *t = xsd_txn_new(1);
	struct xsd_view tv = {.x = x, .tx = t, .dom = 0};

	xsd_view_create(&dv, xt_node("/k", 0));
	xsd_view_create(&dv, xt_node("/other", 0));
	CU_ASSERT_PTR_NOT_NULL(xsd_view_get(&tv, "/k")); /* read: recorded */
	xsd_view_edit(&dv, "/other");                   /* not seen by t: no conflict */
	CU_ASSERT_EQUAL(xsd_txn_commit(x, t, 0), 0);
	xsd_txn_free(t);

	t = xsd_txn_new(2);
	tv.tx = t;
	CU_ASSERT_PTR_NOT_NULL(xsd_view_get(&tv, "/k"));
	xsd_view_edit(&dv, "/k");
	CU_ASSERT_EQUAL(xsd_txn_commit(x, t, 0), -EAGAIN);
	xsd_txn_free(t);

	/* Seen absent, created meanwhile: conflict. */
	t = xsd_txn_new(3);
	tv.tx = t;
	CU_ASSERT_PTR_NULL(xsd_view_get(&tv, "/late"));
	xsd_view_create(&dv, xt_node("/late", 0));
	CU_ASSERT_EQUAL(xsd_txn_commit(x, t, 0), -EAGAIN);
	xsd_txn_free(t);

	/* Deleted in the transaction, then committed. */
	t = xsd_txn_new(4);
	tv.tx = t;
	CU_ASSERT_EQUAL(xsd_view_delete(&tv, "/late"), 0);
	CU_ASSERT_PTR_NULL(xsd_view_get(&tv, "/late"));
	CU_ASSERT_PTR_NULL(xsd_view_edit(&tv, "/late"));
	CU_ASSERT_PTR_NOT_NULL(xsd_view_get(&dv, "/late"));
	CU_ASSERT_EQUAL(xsd_txn_commit(x, t, 0), 0);
	xsd_txn_free(t);
	CU_ASSERT_PTR_NULL(xsd_view_get(&dv, "/late"));
	xt_daemon_free(x);
}

static void test_txn_quota_at_commit(void)
{
	struct xsd *x = xt_daemon();
	struct xsd_txn *a = xsd_txn_new(1), *b = xsd_txn_new(2);
	struct xsd_view va = {.x = x, .tx = a, .dom = 3}, vb = {.x = x, .tx = b, .dom = 3};
	char path[16];

	x->quota.nodes = 10;
	for (int i = 0; i < 6; i++) {
		snprintf(path, sizeof(path), "/a%d", i);
		xsd_view_create(&va, xt_node(path, 3));
		snprintf(path, sizeof(path), "/b%d", i);
		xsd_view_create(&vb, xt_node(path, 3));
	}
	CU_ASSERT_EQUAL(xsd_txn_commit(x, a, 3), 0);
	CU_ASSERT_EQUAL(xsd_txn_commit(x, b, 3), -XSD_EQUOTA); /* 12 > 10 */
	CU_ASSERT_EQUAL(x->doms[3]->nnodes, 6);
	xsd_txn_free(a);
	xsd_txn_free(b);
	xt_daemon_free(x);
}

static void test_txn_overlay_bound(void)
{
	struct xsd *x = xt_daemon();
	struct xsd_txn *t = xsd_txn_new(1);
	struct xsd_view v = {.x = x, .tx = t, .dom = 4};
	char path[32];

	for (unsigned int i = 0; i <= XSD_TX_MAX_ENTRIES && !v.err; i++) {
		snprintf(path, sizeof(path), "/probe/%u", i);
		xsd_view_get(&v, path);
	}
	CU_ASSERT_EQUAL(v.err, -XSD_EQUOTA);
	CU_ASSERT_EQUAL(t->overlay.count, XSD_TX_MAX_ENTRIES);
	xsd_txn_free(t);
	xt_daemon_free(x);
}

static CU_TestInfo txn_tests[] = {
	{"direct view and node counts", test_direct_view},
	{"transaction isolated, then committed", test_txn_isolated_then_committed},
	{"conflicts per node", test_txn_conflicts},
	{"node quota checked at commit", test_txn_quota_at_commit},
	{"overlay bounded for guests", test_txn_overlay_bound},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"xenstored transactions", NULL, NULL, NULL, NULL, txn_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for platform/local/xenstored/tree.c: the initial tree,
 * SET_TARGET access and forgetting a released domain (XSA-322).
 */
#include <stdio.h>
#include <sys/stat.h>

#include "xsd_test.h"
#include "../../../../harness/cunit.h"

static char buf[PV_XS_PAYLOAD_MAX + 1];

/* The tree xenstored starts with, all domain 0's. */
static void test_initial_tree(void)
{
	struct xsd *x = xt_daemon();
	struct xsd_view v = {.x = x};
	static const char *const paths[] = {"/", "/local", "/local/domain", "/local/domain/0"};

	for (int i = 0; i < 4; i++) {
		const struct xsd_node *n = xsd_view_get(&v, paths[i]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(n);
		CU_ASSERT_EQUAL(n->nperms, 1);
		CU_ASSERT_EQUAL(n->perms[0].dom, 0);
		CU_ASSERT_EQUAL(n->perms[0].mode, XSD_PERM_NONE);
		CU_ASSERT_EQUAL(n->nkids, i < 3 ? 1 : 0);
	}
	CU_ASSERT_EQUAL(x->doms[0]->nnodes, 4);
	CU_ASSERT_TRUE(x->doms[0]->introduced);
	CU_ASSERT_PTR_NOT_NULL(xsd_special(x, "@releaseDomain"));
	CU_ASSERT_PTR_NULL(xsd_special(x, "@other"));
	xt_daemon_free(x);
}

static void test_forget_domain(void)
{
	struct xsd *x = xt_daemon();
	struct xsd_view v = {.x = x, .dom = 0};
	struct xsd_perm p[3] = {{5, XSD_PERM_READ}, {6, XSD_PERM_BOTH}, {5, XSD_PERM_WRITE}};
	struct xsd_node *n = xt_node("/f", 5);
	const struct xsd_node *after;

	xsd_node_set_perms(n, p, 3);
	xsd_view_create(&v, n);
	CU_ASSERT_EQUAL(x->doms[5]->nnodes, 1);
	xsd_forget_domain_perms(x, 5);
	after = xsd_view_get(&v, "/f");
	CU_ASSERT_EQUAL(after->nperms, 2);
	CU_ASSERT_EQUAL(after->perms[0].dom, 0);
	CU_ASSERT_EQUAL(after->perms[0].mode, XSD_PERM_READ);
	CU_ASSERT_EQUAL(after->perms[1].dom, 6);
	CU_ASSERT_EQUAL(x->doms[5]->nnodes, 0);
	xt_daemon_free(x);
}

/* A stub domain (5) targeting its guest (6) acts for it. */
static void test_set_target(void)
{
	struct xsd *x = xt_daemon();
	struct xsd_conn *c0 = xsd_conn_new(x, -1, 0), *c5;

	xt_req(x, c0, PV_XS_INTRODUCE, 0, "5\0" "0\0" "0", 6, buf);
	CU_ASSERT_EQUAL(xt_req(x, c0, PV_XS_SET_TARGET, 0, "9\0" "6", 4, buf), PV_XS_ERROR);
	CU_ASSERT_STRING_EQUAL(buf, "ENOENT"); /* 9 was never introduced */
	CU_ASSERT_EQUAL(xt_req(x, c0, PV_XS_SET_TARGET, 0, "5\0" "6", 4, buf), PV_XS_SET_TARGET);
	xt_req(x, c0, PV_XS_WRITE, 0, "/g/own\0v", 9, buf);
	xt_req(x, c0, PV_XS_SET_PERMS, 0, XT_S("/g/own\0n6"), buf);
	xt_req(x, c0, PV_XS_WRITE, 0, "/g/granted\0v", 13, buf);
	xt_req(x, c0, PV_XS_SET_PERMS, 0, XT_S("/g/granted\0n0\0r6"), buf);
	xt_req(x, c0, PV_XS_WRITE, 0, "/g/other\0v", 11, buf);
	c5 = xsd_conn_new(x, -1, 5);
	CU_ASSERT_EQUAL(xt_req(x, c5, PV_XS_WRITE, 0, "/g/own\0w", 9, buf), PV_XS_WRITE);
	CU_ASSERT_EQUAL(xt_req(x, c5, PV_XS_SET_PERMS, 0, XT_S("/g/own\0n6\0r5"), buf),
			PV_XS_SET_PERMS);
	CU_ASSERT_EQUAL(xt_req(x, c5, PV_XS_READ, 0, XT_S("/g/granted"), buf), PV_XS_READ);
	CU_ASSERT_EQUAL(xt_req(x, c5, PV_XS_WRITE, 0, "/g/granted\0w", 13, buf), PV_XS_ERROR);
	CU_ASSERT_EQUAL(xt_req(x, c5, PV_XS_READ, 0, XT_S("/g/other"), buf), PV_XS_ERROR);
	CU_ASSERT_STRING_EQUAL(buf, "EACCES");
	CU_ASSERT_EQUAL(xt_req(x, c5, PV_XS_SET_TARGET, 0, "5\0" "7", 4, buf), PV_XS_ERROR);
	CU_ASSERT_STRING_EQUAL(buf, "EACCES");
	CU_ASSERT_EQUAL(xt_req(x, c0, PV_XS_RESUME, 0, XT_S("5"), buf), PV_XS_RESUME);
	CU_ASSERT_EQUAL(xt_req(x, c0, PV_XS_RESUME, 0, XT_S("8"), buf), PV_XS_ERROR);
	xt_daemon_free(x);
}

static CU_TestInfo tests[] = {
	{"initial tree", test_initial_tree},
	{"released domain forgotten (XSA-322)", test_forget_domain},
	{"SET_TARGET and RESUME", test_set_target},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"xenstored tree", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for platform/local/xenstored/watch.c: firing order and scope,
 * duplicates, the per-domain quota and special watch permissions.
 */
#include <stdio.h>
#include <sys/stat.h>

#include "xsd_test.h"
#include "../../../../harness/cunit.h"

static char buf[PV_XS_PAYLOAD_MAX + 1];

static void test_watch_order_and_scope(void)
{
	struct xsd *x = xt_daemon();
	struct xsd_conn *c = xsd_conn_new(x, -1, 0);
	size_t len;

	xt_req(x, c, PV_XS_WATCH, 0, "/s\0one", 7, buf);
	CU_ASSERT_EQUAL(xt_recv(c, buf, &len), PV_XS_WATCH_EVENT);
	xt_req(x, c, PV_XS_WATCH, 0, "/s/x\0two", 9, buf);
	CU_ASSERT_EQUAL(xt_recv(c, buf, &len), PV_XS_WATCH_EVENT);
	CU_ASSERT_STRING_EQUAL(buf, "/s/x");
	CU_ASSERT_STRING_EQUAL(buf + 5, "two");
	/* The writer's own events are queued before its reply (as xenstored does). */
	xt_send(x, c, PV_XS_WRITE, 0, "/s/x/y\0v", 8);
	CU_ASSERT_EQUAL(xt_recv(c, buf, &len), PV_XS_WATCH_EVENT);
	CU_ASSERT_STRING_EQUAL(buf + 7, "one");
	CU_ASSERT_EQUAL(xt_recv(c, buf, &len), PV_XS_WATCH_EVENT);
	CU_ASSERT_STRING_EQUAL(buf + 7, "two");
	CU_ASSERT_EQUAL(xt_recv(c, buf, &len), PV_XS_WRITE);
	CU_ASSERT_EQUAL(xt_recv(c, buf, &len), -1); /* exactly once each */
	CU_ASSERT_EQUAL(xt_req(x, c, PV_XS_WRITE, 0, "/sibling\0v", 10, buf), PV_XS_WRITE);
	CU_ASSERT_EQUAL(xt_recv(c, buf, &len), -1);
	CU_ASSERT_EQUAL(xt_req(x, c, PV_XS_WATCH, 0, "/s\0one", 7, buf), PV_XS_ERROR);
	CU_ASSERT_STRING_EQUAL(buf, "EEXIST");
	CU_ASSERT_EQUAL(xt_req(x, c, PV_XS_UNWATCH, 0, "/s\0nope", 8, buf), PV_XS_ERROR);
	CU_ASSERT_STRING_EQUAL(buf, "ENOENT");
	xt_daemon_free(x);
}

static void test_watch_quota(void)
{
	struct xsd *x = xt_daemon();
	struct xsd_conn *a = xsd_conn_new(x, -1, 4), *b = xsd_conn_new(x, -1, 4);
	char req[16];
	size_t len;
	int n;

	for (int i = 0; i < 4; i++) {
		n = snprintf(req, sizeof(req), "w%d%ct", i, 0);
		CU_ASSERT_EQUAL(xt_req(x, i % 2 ? a : b, PV_XS_WATCH, 0, req, (size_t)n + 1, buf),
				PV_XS_WATCH);
		xt_recv(i % 2 ? a : b, buf, &len);
	}
	/* The quota is the domain's, across its connections. */
	CU_ASSERT_EQUAL(xt_req(x, a, PV_XS_WATCH, 0, "w9\0t", 5, buf), PV_XS_ERROR);
	CU_ASSERT_STRING_EQUAL(buf, "E2BIG");
	xsd_conn_close(x, b, NULL);
	CU_ASSERT_EQUAL(xt_req(x, a, PV_XS_WATCH, 0, "w9\0t", 5, buf), PV_XS_WATCH);
	xt_daemon_free(x);
}

/* @releaseDomain reaches a guest only once domain 0 grants it read access. */
static void test_special_watch_perms(void)
{
	struct xsd *x = xt_daemon();
	struct xsd_conn *c0 = xsd_conn_new(x, -1, 0), *c4;
	size_t len;

	xt_req(x, c0, PV_XS_INTRODUCE, 0, "4\0" "0\0" "0", 6, buf);
	xt_req(x, c0, PV_XS_INTRODUCE, 0, "3\0" "0\0" "0", 6, buf);
	c4 = xsd_conn_new(x, -1, 4);
	CU_ASSERT_EQUAL(xt_req(x, c4, PV_XS_WATCH, 0, "@releaseDomain\0r", 17, buf), PV_XS_WATCH);
	CU_ASSERT_EQUAL(xt_recv(c4, buf, &len), PV_XS_WATCH_EVENT); /* registration */
	CU_ASSERT_EQUAL(xt_req(x, c4, PV_XS_GET_PERMS, 0, XT_S("@releaseDomain"), buf), PV_XS_ERROR);
	CU_ASSERT_STRING_EQUAL(buf, "EACCES");
	xt_req(x, c0, PV_XS_RELEASE, 0, XT_S("3"), buf);
	CU_ASSERT_EQUAL(xt_recv(c4, buf, &len), -1);
	CU_ASSERT_EQUAL(xt_req(x, c0, PV_XS_SET_PERMS, 0, XT_S("@releaseDomain\0n0\0r4"), buf),
			PV_XS_SET_PERMS);
	CU_ASSERT_EQUAL(xt_req(x, c4, PV_XS_GET_PERMS, 0, XT_S("@releaseDomain"), buf),
			PV_XS_GET_PERMS);
	CU_ASSERT_STRING_EQUAL(buf, "n0");
	CU_ASSERT_EQUAL(xt_req(x, c0, PV_XS_INTRODUCE, 0, "3\0" "0\0" "0", 6, buf), PV_XS_INTRODUCE);
	xt_req(x, c0, PV_XS_RELEASE, 0, XT_S("3"), buf);
	CU_ASSERT_EQUAL(xt_recv(c4, buf, &len), PV_XS_WATCH_EVENT);
	CU_ASSERT_STRING_EQUAL(buf, "@releaseDomain");
	CU_ASSERT_EQUAL(xt_req(x, c4, PV_XS_SET_PERMS, 0, XT_S("@releaseDomain\0b4"), buf),
			PV_XS_ERROR);
	CU_ASSERT_STRING_EQUAL(buf, "EACCES");
	CU_ASSERT_EQUAL(xt_req(x, c0, PV_XS_GET_PERMS, 0, XT_S("@nope"), buf), PV_XS_ERROR);
	CU_ASSERT_STRING_EQUAL(buf, "ENOENT");
	xt_daemon_free(x);
}

static CU_TestInfo tests[] = {
	{"watch order, scope and duplicates", test_watch_order_and_scope},
	{"watch quota per domain", test_watch_quota},
	{"special watch permissions", test_special_watch_perms},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"xenstored watches", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

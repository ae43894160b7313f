/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for platform/local/xenstored/ops.c: path
 * rules, DIRECTORY_PART paging, permissions, quotas and domain requests,
 * driven through in-memory connections.
 */
#include <stdio.h>

#include "xsd_test.h"
#include "../../../../harness/cunit.h"

static char buf[PV_XS_PAYLOAD_MAX + 1];

static void test_canon(void)
{
	char out[PV_XS_PAYLOAD_MAX + 64], rel[2100];

	CU_ASSERT_EQUAL(xsd_canon(3, "x/y", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "/local/domain/3/x/y");
	CU_ASSERT_EQUAL(xsd_canon(0, "/", out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(xsd_canon(0, "", out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(xsd_canon(0, "/a//b", out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(xsd_canon(0, "/a/", out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(xsd_canon(0, "/a b", out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(xsd_canon(0, "/a.b", out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(xsd_canon(0, "@x", out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(xsd_canon(0, "/ok-_@9", out, sizeof(out)), 0);
	memset(rel, 'a', sizeof(rel));
	rel[0] = '/';
	rel[2049] = 0; /* absolute, 2049 bytes: fine for dom0, too long for a guest */
	CU_ASSERT_EQUAL(xsd_canon(0, rel, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(xsd_canon(1, rel, out, sizeof(out)), -E2BIG);
	rel[0] = 'a'; /* relative, 2049 bytes */
	CU_ASSERT_EQUAL(xsd_canon(1, rel, out, sizeof(out)), -E2BIG);
	rel[2048] = 0;
	CU_ASSERT_EQUAL(xsd_canon(1, rel, out, sizeof(out)), 0);
}

static void test_directory_part_paging(void)
{
	struct xsd *x = xt_daemon();
	struct xsd_conn *c = xsd_conn_new(x, -1, 0);
	char req[128], all[16384];
	size_t off = 0;
	int n, pages = 0;

	for (int i = 0; i < 200; i++) {
		n = snprintf(req, sizeof(req), "/big/a-fairly-long-child-name-%03d%cv", i, 0);
		CU_ASSERT_EQUAL(xt_req(x, c, PV_XS_WRITE, 0, req, (size_t)n, buf), PV_XS_WRITE);
	}
	CU_ASSERT_EQUAL(xt_req(x, c, PV_XS_DIRECTORY, 0, XT_S("/big"), buf), PV_XS_ERROR);
	CU_ASSERT_STRING_EQUAL(buf, "E2BIG");
	for (;;) {
		size_t len = 0;

		n = snprintf(req, sizeof(req), "/big%c%zu", 0, off);
		xt_send(x, c, PV_XS_DIRECTORY_PART, 0, req, (size_t)n + 1);
		CU_ASSERT_EQUAL_FATAL(xt_recv(c, buf, &len), PV_XS_DIRECTORY_PART);
		pages++;
		size_t gl = strlen(buf) + 1, piece; /* the generation comes first */

		if (len < gl || len - gl > sizeof(all) - off) {
			CU_FAIL("DIRECTORY_PART reply malformed");
			break;
		}
		piece = len - gl;
		memcpy(all + off, buf + gl, piece);
		len = piece;
		off += len;
		if (len <= 1 || all[off - 2] == 0)
			break;
	}
	CU_ASSERT(pages >= 2);
	CU_ASSERT_STRING_EQUAL(all, "a-fairly-long-child-name-000");
	CU_ASSERT_STRING_EQUAL(all + off - 1 - 29, "a-fairly-long-child-name-199");
	xt_daemon_free(x);
}

static void test_guest_rules(void)
{
	struct xsd *x = xt_daemon();
	struct xsd_conn *c0 = xsd_conn_new(x, -1, 0), *c1;
	char big[80];

	CU_ASSERT_EQUAL(xt_req(x, c0, PV_XS_INTRODUCE, 0, "1\0" "0\0" "0", 6, buf), PV_XS_INTRODUCE);
	CU_ASSERT_EQUAL(xt_req(x, c0, PV_XS_MKDIR, 0, XT_S("/local/domain/1"), buf), PV_XS_MKDIR);
	CU_ASSERT_EQUAL(xt_req(x, c0, PV_XS_SET_PERMS, 0, XT_S("/local/domain/1\0n1"), buf),
			PV_XS_SET_PERMS);
	c1 = xsd_conn_new(x, -1, 1);
	CU_ASSERT_EQUAL(xt_req(x, c1, PV_XS_WRITE, 0, "a\0v", 3, buf), PV_XS_WRITE);
	CU_ASSERT_EQUAL(xt_req(x, c1, PV_XS_GET_PERMS, 0, XT_S("a"), buf), PV_XS_GET_PERMS);
	CU_ASSERT_STRING_EQUAL(buf, "n1");
	CU_ASSERT_EQUAL(xt_req(x, c1, PV_XS_READ, 0, XT_S("/local"), buf), PV_XS_ERROR);
	CU_ASSERT_STRING_EQUAL(buf, "EACCES");
	memset(big, 'x', sizeof(big));
	memcpy(big, "b\0", 2);
	CU_ASSERT_EQUAL(xt_req(x, c1, PV_XS_WRITE, 0, big, sizeof(big), buf), PV_XS_ERROR);
	CU_ASSERT_STRING_EQUAL(buf, "E2BIG"); /* node size quota 64 */
	CU_ASSERT_EQUAL(xt_req(x, c1, PV_XS_INTRODUCE, 0, "2\0" "0\0" "0", 6, buf), PV_XS_ERROR);
	CU_ASSERT_STRING_EQUAL(buf, "EACCES");
	CU_ASSERT_EQUAL(xt_req(x, c1, PV_XS_IS_DOMAIN_INTRODUCED, 0, XT_S("1"), buf),
			PV_XS_IS_DOMAIN_INTRODUCED);
	CU_ASSERT_STRING_EQUAL(buf, "T");
	CU_ASSERT_EQUAL(xt_req(x, c1, PV_XS_GET_DOMAIN_PATH, 0, XT_S("12"), buf),
			PV_XS_GET_DOMAIN_PATH);
	CU_ASSERT_STRING_EQUAL(buf, "/local/domain/12");
	/* Release drops the guest's connection and forgets its ownership. */
	CU_ASSERT_EQUAL(xt_req(x, c0, PV_XS_RELEASE, 0, XT_S("1"), buf), PV_XS_RELEASE);
	CU_ASSERT_TRUE(c1->dead);
	CU_ASSERT_EQUAL(xt_req(x, c0, PV_XS_GET_PERMS, 0, XT_S("/local/domain/1/a"), buf),
			PV_XS_GET_PERMS);
	CU_ASSERT_STRING_EQUAL(buf, "n0");
	xt_daemon_free(x);
}

static CU_TestInfo ops_tests[] = {
	{"path rules and XSA-323 lengths", test_canon},
	{"DIRECTORY E2BIG, DIRECTORY_PART pages", test_directory_part_paging},
	{"guest permissions, quota, introduce, release", test_guest_rules},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"xenstored requests", NULL, NULL, NULL, NULL, ops_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

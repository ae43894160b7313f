/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for platform/local/xenstored/ops_admin.c: transaction
 * requests and their quota, RESET_WATCHES.
 */
#include <stdio.h>
#include <sys/stat.h>

#include "xsd_test.h"
#include "../../../../harness/cunit.h"

static char buf[PV_XS_PAYLOAD_MAX + 1];

static void test_txn_requests(void)
{
	struct xsd *x = xt_daemon();
	struct xsd_conn *c = xsd_conn_new(x, -1, 2);
	unsigned long id[3];

	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(xt_req(x, c, PV_XS_TRANSACTION_START, 0, XT_S(""), buf),
				PV_XS_TRANSACTION_START);
		id[i] = strtoul(buf, NULL, 10);
		CU_ASSERT(id[i] > 0);
	}
	CU_ASSERT_NOT_EQUAL(id[0], id[1]);
	CU_ASSERT_EQUAL(xt_req(x, c, PV_XS_TRANSACTION_START, 0, XT_S(""), buf), PV_XS_ERROR);
	CU_ASSERT_STRING_EQUAL(buf, "ENOSPC"); /* quota 2 */
	CU_ASSERT_EQUAL(xt_req(x, c, PV_XS_TRANSACTION_END, (uint32_t)id[0], XT_S("X"), buf),
			PV_XS_ERROR);
	CU_ASSERT_STRING_EQUAL(buf, "EINVAL");
	CU_ASSERT_EQUAL(xt_req(x, c, PV_XS_TRANSACTION_END, (uint32_t)id[0], XT_S("F"), buf),
			PV_XS_TRANSACTION_END);
	CU_ASSERT_EQUAL(xt_req(x, c, PV_XS_TRANSACTION_END, (uint32_t)id[0], XT_S("F"), buf),
			PV_XS_ERROR);
	CU_ASSERT_STRING_EQUAL(buf, "ENOENT");
	CU_ASSERT_EQUAL(xt_req(x, c, PV_XS_RESET_WATCHES, 0, XT_S(""), buf), PV_XS_RESET_WATCHES);
	CU_ASSERT_EQUAL(c->ntxns, 0);
	xt_daemon_free(x);
}

/* The transaction quota is the domain's, whichever connection asks. */
static void test_txn_quota_per_domain(void)
{
	struct xsd *x = xt_daemon();
	struct xsd_conn *a = xsd_conn_new(x, -1, 3), *b = xsd_conn_new(x, -1, 3);

	CU_ASSERT_EQUAL(xt_req(x, a, PV_XS_TRANSACTION_START, 0, XT_S(""), buf),
			PV_XS_TRANSACTION_START);
	CU_ASSERT_EQUAL(xt_req(x, b, PV_XS_TRANSACTION_START, 0, XT_S(""), buf),
			PV_XS_TRANSACTION_START);
	CU_ASSERT_EQUAL(xt_req(x, b, PV_XS_TRANSACTION_START, 0, XT_S(""), buf), PV_XS_ERROR);
	CU_ASSERT_STRING_EQUAL(buf, "ENOSPC");
	xsd_conn_close(x, a, NULL); /* its transaction goes with it */
	CU_ASSERT_EQUAL(x->doms[3]->ntxns, 1);
	CU_ASSERT_EQUAL(xt_req(x, b, PV_XS_TRANSACTION_START, 0, XT_S(""), buf),
			PV_XS_TRANSACTION_START);
	xt_daemon_free(x);
}

static CU_TestInfo tests[] = {
	{"transaction quota per domain", test_txn_quota_per_domain},
	{"transaction requests", test_txn_requests},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"xenstored admin requests", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

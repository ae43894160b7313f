/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for platform/local/ports.c: bounded allocation, lookups of
 * hostile port numbers, and Xen's rule for binding an unbound port.
 */
#include <errno.h>

#include "../../../../platform/local/ports.h"
#include "../../../harness/cunit.h"

static void test_alloc_bounded(void)
{
	struct pvl_port_table t;
	int owner;

	CU_ASSERT_EQUAL_FATAL(pvl_ports_init(&t, 4), 0);
	CU_ASSERT_EQUAL(pvl_ports_alloc(&t, &owner, 1), 1);
	CU_ASSERT_EQUAL(pvl_ports_alloc(&t, &owner, 1), 2);
	CU_ASSERT_EQUAL(pvl_ports_alloc(&t, &owner, 1), 3);
	CU_ASSERT_EQUAL(pvl_ports_alloc(&t, &owner, 1), -ENOSPC);
	pvl_ports_free(&t, 2);
	CU_ASSERT_EQUAL(t.used, 2);
	CU_ASSERT_EQUAL(pvl_ports_alloc(&t, &owner, 1), 2);
	pvl_ports_fini(&t);
	CU_ASSERT_EQUAL(pvl_ports_init(&t, PVL_MAX_PORTS + 1), -EINVAL);
}

static void test_lookup_hostile(void)
{
	struct pvl_port_table t;
	int owner;

	CU_ASSERT_EQUAL_FATAL(pvl_ports_init(&t, 8), 0);
	CU_ASSERT_PTR_NULL(pvl_ports_get(&t, 0));
	CU_ASSERT_PTR_NULL(pvl_ports_get(&t, 1)); /* free */
	CU_ASSERT_PTR_NULL(pvl_ports_get(&t, 8));
	CU_ASSERT_PTR_NULL(pvl_ports_get(&t, 0xffffffffu));
	CU_ASSERT_EQUAL(pvl_ports_alloc(&t, &owner, 1), 1);
	CU_ASSERT_PTR_NOT_NULL(pvl_ports_get(&t, 1));
	pvl_ports_free(&t, 7); /* freeing a free port is harmless */
	CU_ASSERT_EQUAL(t.used, 1);
	pvl_ports_fini(&t);
}

static void test_bind_rule(void)
{
	struct pvl_port_table t;
	int owner;

	CU_ASSERT_EQUAL_FATAL(pvl_ports_init(&t, 8), 0);
	CU_ASSERT_EQUAL(pvl_ports_alloc(&t, &owner, 5), 1);
	CU_ASSERT_EQUAL(pvl_ports_check_bind(&t, 1, 5), 0);
	CU_ASSERT_EQUAL(pvl_ports_check_bind(&t, 1, 6), -EINVAL);
	CU_ASSERT_EQUAL(pvl_ports_check_bind(&t, 2, 5), -EINVAL);
	pvl_ports_get(&t, 1)->state = PVL_PORT_BOUND;
	CU_ASSERT_EQUAL(pvl_ports_check_bind(&t, 1, 5), -EINVAL);
	pvl_ports_fini(&t);
}

static CU_TestInfo tests[] = {
    {"allocation is bounded", test_alloc_bounded},
    {"lookups of hostile numbers", test_lookup_hostile},
    {"bind rule of an unbound port", test_bind_rule},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"ports", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for platform/local/bitmap.c: first-fit runs, exhaustion,
 * freeing, and range checks on every entry point.
 */
#include <errno.h>

#include "../../../../platform/local/bitmap.h"
#include "../../../harness/cunit.h"

static void test_alloc_runs(void)
{
	struct pvl_bitmap b;

	CU_ASSERT_EQUAL_FATAL(pvl_bitmap_init(&b, 200, 0), 0);
	CU_ASSERT_EQUAL(pvl_bitmap_alloc(&b, 3), 0);
	CU_ASSERT_EQUAL(pvl_bitmap_alloc(&b, 100), 3);
	CU_ASSERT_EQUAL(pvl_bitmap_alloc(&b, 97), 103);
	CU_ASSERT_EQUAL(pvl_bitmap_alloc(&b, 1), -ENOSPC);
	CU_ASSERT_EQUAL(pvl_bitmap_mark(&b, 10, 5, 0), 0);
	CU_ASSERT_EQUAL(pvl_bitmap_alloc(&b, 6), -ENOSPC);
	CU_ASSERT_EQUAL(pvl_bitmap_alloc(&b, 5), 10);
	pvl_bitmap_fini(&b);
}

static void test_all_taken_init_and_lease(void)
{
	struct pvl_bitmap b;

	CU_ASSERT_EQUAL_FATAL(pvl_bitmap_init(&b, 130, 1), 0);
	CU_ASSERT_EQUAL(pvl_bitmap_alloc(&b, 1), -ENOSPC);
	CU_ASSERT_EQUAL(pvl_bitmap_mark(&b, 120, 10, 0), 0);
	CU_ASSERT_EQUAL(pvl_bitmap_alloc(&b, 10), 120);
	CU_ASSERT_EQUAL(pvl_bitmap_all_taken(&b, 0, 130), 1);
	pvl_bitmap_fini(&b);
}

static void test_range_checks(void)
{
	struct pvl_bitmap b;

	CU_ASSERT_EQUAL_FATAL(pvl_bitmap_init(&b, 64, 0), 0);
	CU_ASSERT_EQUAL(pvl_bitmap_alloc(&b, 0), -EINVAL);
	CU_ASSERT_EQUAL(pvl_bitmap_alloc(&b, 65), -ENOSPC);
	CU_ASSERT_EQUAL(pvl_bitmap_mark(&b, 60, 5, 1), -EINVAL);
	CU_ASSERT_EQUAL(pvl_bitmap_mark(&b, 0xffffffffu, 2, 1), -EINVAL);
	CU_ASSERT_EQUAL(pvl_bitmap_all_taken(&b, 64, 1), -EINVAL);
	CU_ASSERT_EQUAL(pvl_bitmap_all_taken(&b, 0, 64), 0);
	CU_ASSERT_EQUAL(pvl_bitmap_alloc(&b, 64), 0);
	CU_ASSERT_EQUAL(pvl_bitmap_all_taken(&b, 0, 64), 1);
	pvl_bitmap_fini(&b);
}

static CU_TestInfo tests[] = {
    {"first-fit runs", test_alloc_runs},
    {"all-taken start, then a lease", test_all_taken_init_and_lease},
    {"range checks", test_range_checks},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"bitmap", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

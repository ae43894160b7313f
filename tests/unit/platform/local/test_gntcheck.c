/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for platform/local/gntcheck.c: every rule a grant entry must
 * pass before it is pinned, and the flag updates of both ends.
 */
#include <errno.h>

#include "../../../../platform/local/gntcheck.h"
#include "../../../harness/cunit.h"

static struct pv_grant_entry_v1 e;
static uint32_t frame;

static void grant(pv_domid_t peer, uint32_t f, int writable)
{
	e = (struct pv_grant_entry_v1){0};
	pvl_gnt_grant(&e, peer, f, writable);
}

static void test_grant_fields(void)
{
	grant(5, 77, 0);
	CU_ASSERT_EQUAL(e.flags, PV_GTF_permit_access | PV_GTF_readonly);
	CU_ASSERT_EQUAL(e.domid, 5);
	CU_ASSERT_EQUAL(e.frame, 77);
	grant(5, 77, 1);
	CU_ASSERT_EQUAL(e.flags, PV_GTF_permit_access);
}

static void test_pin_ok_sets_bits(void)
{
	grant(3, 9, 1);
	CU_ASSERT_EQUAL(pvl_gnt_pin(&e, 3, 1, 16, 0, 0, &frame), 0);
	CU_ASSERT_EQUAL(frame, 9);
	CU_ASSERT_EQUAL(e.flags, PV_GTF_permit_access | PV_GTF_reading | PV_GTF_writing);
	grant(3, 9, 0);
	CU_ASSERT_EQUAL(pvl_gnt_pin(&e, 3, 0, 16, 0, 0, &frame), 0);
	CU_ASSERT_EQUAL(e.flags, PV_GTF_permit_access | PV_GTF_readonly | PV_GTF_reading);
}

static void test_pin_wrong_domid(void)
{
	grant(3, 9, 1);
	CU_ASSERT_EQUAL(pvl_gnt_pin(&e, 4, 0, 16, 0, 0, &frame), -EPERM);
	CU_ASSERT_EQUAL(e.flags, PV_GTF_permit_access);
}

static void test_pin_write_readonly(void)
{
	grant(3, 9, 0);
	CU_ASSERT_EQUAL(pvl_gnt_pin(&e, 3, 1, 16, 0, 0, &frame), -EACCES);
	CU_ASSERT_EQUAL(e.flags, PV_GTF_permit_access | PV_GTF_readonly);
}

static void test_pin_revoked_or_other_type(void)
{
	grant(3, 9, 1);
	CU_ASSERT_EQUAL(pvl_gnt_end(&e), 0);
	CU_ASSERT_EQUAL(pvl_gnt_pin(&e, 3, 0, 16, 0, 0, &frame), -EACCES);
	e.flags = PV_GTF_accept_transfer;
	CU_ASSERT_EQUAL(pvl_gnt_pin(&e, 3, 0, 16, 0, 0, &frame), -EACCES);
	e.flags = PV_GTF_transitive;
	CU_ASSERT_EQUAL(pvl_gnt_pin(&e, 3, 0, 16, 0, 0, &frame), -EACCES);
}

static void test_pin_bad_frame_undone(void)
{
	grant(3, 16, 1);
	CU_ASSERT_EQUAL(pvl_gnt_pin(&e, 3, 1, 16, 0, 0, &frame), -EINVAL);
	CU_ASSERT_EQUAL(e.flags, PV_GTF_permit_access);
	/* With a pin already held, a failing second pin keeps the first one's bits. */
	grant(3, 1, 1);
	CU_ASSERT_EQUAL(pvl_gnt_pin(&e, 3, 0, 16, 0, 0, &frame), 0);
	e.frame = 99;
	CU_ASSERT_EQUAL(pvl_gnt_pin(&e, 3, 1, 16, 1, 0, &frame), -EINVAL);
	CU_ASSERT_EQUAL(e.flags, PV_GTF_permit_access | PV_GTF_reading);
}

static void test_unpin_counts(void)
{
	grant(3, 1, 1);
	CU_ASSERT_EQUAL(pvl_gnt_pin(&e, 3, 1, 16, 0, 0, &frame), 0);
	CU_ASSERT_EQUAL(pvl_gnt_pin(&e, 3, 0, 16, 0, 1, &frame), 0);
	pvl_gnt_unpin(&e, 1, 0); /* the writable pin went, a read pin remains */
	CU_ASSERT_EQUAL(e.flags, PV_GTF_permit_access | PV_GTF_reading);
	pvl_gnt_unpin(&e, 0, 0);
	CU_ASSERT_EQUAL(e.flags, PV_GTF_permit_access);
}

static void test_end_busy(void)
{
	grant(3, 1, 1);
	CU_ASSERT_EQUAL(pvl_gnt_pin(&e, 3, 0, 16, 0, 0, &frame), 0);
	CU_ASSERT_EQUAL(pvl_gnt_end(&e), -EBUSY);
	CU_ASSERT_EQUAL(e.flags, PV_GTF_permit_access | PV_GTF_reading);
	pvl_gnt_unpin(&e, 0, 0);
	CU_ASSERT_EQUAL(pvl_gnt_end(&e), 0);
	CU_ASSERT_EQUAL(e.flags, 0);
	CU_ASSERT_EQUAL(pvl_gnt_end(&e), 0);
}

static CU_TestInfo tests[] = {
    {"grant fills the entry", test_grant_fields},
    {"pin sets reading/writing", test_pin_ok_sets_bits},
    {"pin refuses another domain", test_pin_wrong_domid},
    {"pin refuses writes to read-only", test_pin_write_readonly},
    {"pin refuses revoked entries", test_pin_revoked_or_other_type},
    {"pin refuses a bad frame and undoes", test_pin_bad_frame_undone},
    {"unpin follows the counts", test_unpin_counts},
    {"end access fails while mapped", test_end_busy},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"gntcheck", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

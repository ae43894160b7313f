/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for platform/xen/copy.c: GNTST_* statuses as errnos, segment
 * translation to libxengnttab's layout, and per-segment rejection of bad
 * segments before anything reaches Xen.
 */
#include <errno.h>
#include <string.h>

#include "../../../../platform/xen/xen.h"
#include "../../../harness/cunit.h"

static void test_gntst_errno(void)
{
	CU_ASSERT_EQUAL(pv_xen_gntst_errno(GNTST_okay), 0);
	CU_ASSERT_EQUAL(pv_xen_gntst_errno(GNTST_bad_gntref), -EINVAL);
	CU_ASSERT_EQUAL(pv_xen_gntst_errno(GNTST_bad_domain), -ESRCH);
	CU_ASSERT_EQUAL(pv_xen_gntst_errno(GNTST_permission_denied), -EPERM);
	CU_ASSERT_EQUAL(pv_xen_gntst_errno(GNTST_bad_copy_arg), -EINVAL);
	CU_ASSERT_EQUAL(pv_xen_gntst_errno(GNTST_eagain), -EAGAIN);
	CU_ASSERT_EQUAL(pv_xen_gntst_errno(GNTST_general_error), -EIO);
	CU_ASSERT_EQUAL(pv_xen_gntst_errno(-100), -EIO);
}

static void gref(struct pv_gnt_copy_ptr *p, pv_grant_ref_t ref, uint16_t offset)
{
	memset(p, 0, sizeof(*p));
	p->is_gref = 1;
	p->domid = 3;
	p->ref = ref;
	p->offset = offset;
}

static void test_seg_to_xen(void)
{
	struct pv_gnt_copy_seg seg = {0};
	xengnttab_grant_copy_segment_t x;
	char buf[16];

	seg.source.virt = buf;
	gref(&seg.dest, 42, 4096 - 16);
	seg.len = 16;
	CU_ASSERT_EQUAL(pv_xen_copy_seg_to_xen(&seg, 0, &x), 0);
	CU_ASSERT_EQUAL(x.flags, GNTCOPY_dest_gref);
	CU_ASSERT_PTR_EQUAL(x.source.virt, buf);
	CU_ASSERT_EQUAL(x.dest.foreign.ref, 42);
	CU_ASSERT_EQUAL(x.dest.foreign.domid, 3);
	CU_ASSERT_EQUAL(x.dest.foreign.offset, 4096 - 16);
	CU_ASSERT_EQUAL(x.len, 16);

	gref(&seg.source, 7, 0);
	seg.source.domid = PV_DOMID_SELF;
	CU_ASSERT_EQUAL(pv_xen_copy_seg_to_xen(&seg, 5, &x), 0);
	CU_ASSERT_EQUAL(x.flags, GNTCOPY_source_gref | GNTCOPY_dest_gref);
	CU_ASSERT_EQUAL(x.source.foreign.domid, 5); /* DOMID_SELF named by number */
	CU_ASSERT_EQUAL(x.dest.foreign.domid, 3);
}

static void test_seg_rejected(void)
{
	struct pv_gnt_copy_seg seg = {0};
	xengnttab_grant_copy_segment_t x;
	char a[8], b[8];

	seg.source.virt = a; /* neither side a grant */
	seg.dest.virt = b;
	seg.len = 8;
	CU_ASSERT_EQUAL(pv_xen_copy_seg_to_xen(&seg, 0, &x), -EINVAL);
	gref(&seg.dest, 1, 4096 - 7); /* one byte past the page */
	CU_ASSERT_EQUAL(pv_xen_copy_seg_to_xen(&seg, 0, &x), -EINVAL);
	gref(&seg.source, 1, 65535);
	seg.dest.is_gref = 0;
	CU_ASSERT_EQUAL(pv_xen_copy_seg_to_xen(&seg, 0, &x), -EINVAL);
}

/* Only bad segments: each gets -EINVAL and Xen is never called (NULL handle). */
static void test_chunk_all_bad(void)
{
	struct pv_gnt_copy_seg segs[3];
	char a[8];

	memset(segs, 0, sizeof(segs));
	for (int i = 0; i < 3; i++) {
		segs[i].source.virt = a;
		gref(&segs[i].dest, 1, 4090);
		segs[i].len = 8;
		segs[i].status = 99;
	}
	CU_ASSERT_EQUAL(pv_xen_copy_chunk(NULL, 0, segs, 3), 0);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(segs[i].status, -EINVAL);
	CU_ASSERT_EQUAL(pv_xen_copy_chunk(NULL, 0, segs, PV_XEN_COPY_CHUNK + 1), -EINVAL);
}

static CU_TestInfo tests[] = {
	{"GNTST statuses as errnos", test_gntst_errno},
	{"segment translation", test_seg_to_xen},
	{"bad segments rejected", test_seg_rejected},
	{"a chunk of bad segments never reaches Xen", test_chunk_all_bad},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"platform/xen/copy", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

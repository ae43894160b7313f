/* SPDX-License-Identifier: MIT */
/*
 * ABI test: include/pvkit/proto/ring.h and grant_table.h against Xen's
 * io/ring.h (the shared ring header, measured on blkif's ring) and
 * grant_table.h.
 */
#include "abi_xen.h"

#include <stdio.h>

#include <xen/grant_table.h>
#include <xen/io/blkif.h>

#include "pvkit/proto/grant_table.h"
#include "pvkit/proto/ring.h"
#include "abi_check.h"

static void test_sring_header(void)
{
	typedef struct pv_sring_hdr O;
	typedef struct blkif_sring T;

	ABI_SIZE(pv_ring_idx_t, RING_IDX);
	ABI_EQ("sizeof(struct pv_sring_hdr) vs offsetof(struct blkif_sring, ring)", sizeof(O),
	       offsetof(T, ring));
	ABI_CONST(PV_RING_HEADER_SIZE, offsetof(T, ring));
	ABI_FIELD(O, T, req_prod);
	ABI_FIELD(O, T, req_event);
	ABI_FIELD(O, T, rsp_prod);
	ABI_FIELD(O, T, rsp_event);
	ABI_FIELD(O, T, pvt);
	ABI_FIELD(O, T, pvt.netif.smartpoll_active);
	ABI_FIELD(O, T, pvt.tapif_user.msg);
	ABI_FIELD(O, T, pvt.pvt_pad);
	ABI_FIELD2(O, pad, T, __pad);
}

/* PV_RING_SIZE for slot sizes Xen's rings do not use, against __RD32. */
static void test_ring_size_rounding(void)
{
	static const unsigned int slots[] = {1, 3, 7, 12, 24, 100, 112, 4032, 4033};
	char what[128];

	for (unsigned int i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		for (unsigned int pages = 1; pages <= 16; pages *= 2) {
			unsigned int n = (pages * 4096 - 64) / slots[i];

			snprintf(what, sizeof(what), "PV_RING_SIZE(%u, %u) vs __RD32", pages,
			         slots[i]);
			ABI_EQ(what, PV_RING_SIZE(pages, slots[i]), __RD32(n));
		}
	}
}

static void test_grant_entry(void)
{
	ABI_SIZE(pv_grant_ref_t, grant_ref_t);
	ABI_SIZE(struct pv_grant_entry_v1, struct grant_entry_v1);
	ABI_FIELD(struct pv_grant_entry_v1, struct grant_entry_v1, flags);
	ABI_FIELD(struct pv_grant_entry_v1, struct grant_entry_v1, domid);
	ABI_FIELD(struct pv_grant_entry_v1, struct grant_entry_v1, frame);
	ABI_CONST(PV_GRANT_ENTRIES_PER_FRAME, 4096 / sizeof(grant_entry_v1_t));
	ABI_CONST(PV_GNTTAB_NR_RESERVED_ENTRIES, GNTTAB_NR_RESERVED_ENTRIES);
	ABI_CONST(PV_GNTTAB_RESERVED_CONSOLE, GNTTAB_RESERVED_CONSOLE);
	ABI_CONST(PV_GNTTAB_RESERVED_XENSTORE, GNTTAB_RESERVED_XENSTORE);
}

static void test_grant_flags(void)
{
	ABI_CONST(PV_GTF_invalid, GTF_invalid);
	ABI_CONST(PV_GTF_permit_access, GTF_permit_access);
	ABI_CONST(PV_GTF_accept_transfer, GTF_accept_transfer);
	ABI_CONST(PV_GTF_transitive, GTF_transitive);
	ABI_CONST(PV_GTF_type_mask, GTF_type_mask);
	ABI_CONST(PV_GTF_readonly, GTF_readonly);
	ABI_CONST(PV_GTF_reading, GTF_reading);
	ABI_CONST(PV_GTF_writing, GTF_writing);
	ABI_CONST(PV_GTF_PWT, GTF_PWT);
	ABI_CONST(PV_GTF_PCD, GTF_PCD);
	ABI_CONST(PV_GTF_PAT, GTF_PAT);
	ABI_CONST(PV_GTF_sub_page, GTF_sub_page);
	ABI_CONST(PV_GTF_transfer_committed, GTF_transfer_committed);
	ABI_CONST(PV_GTF_transfer_completed, GTF_transfer_completed);
	ABI_CONST(PV_GNTCOPY_source_gref, GNTCOPY_source_gref);
	ABI_CONST(PV_GNTCOPY_dest_gref, GNTCOPY_dest_gref);
}

static void test_grant_status(void)
{
	ABI_CONST(PV_GNTST_okay, GNTST_okay);
	ABI_CONST(PV_GNTST_general_error, GNTST_general_error);
	ABI_CONST(PV_GNTST_bad_domain, GNTST_bad_domain);
	ABI_CONST(PV_GNTST_bad_gntref, GNTST_bad_gntref);
	ABI_CONST(PV_GNTST_bad_handle, GNTST_bad_handle);
	ABI_CONST(PV_GNTST_bad_virt_addr, GNTST_bad_virt_addr);
	ABI_CONST(PV_GNTST_bad_dev_addr, GNTST_bad_dev_addr);
	ABI_CONST(PV_GNTST_no_device_space, GNTST_no_device_space);
	ABI_CONST(PV_GNTST_permission_denied, GNTST_permission_denied);
	ABI_CONST(PV_GNTST_bad_page, GNTST_bad_page);
	ABI_CONST(PV_GNTST_bad_copy_arg, GNTST_bad_copy_arg);
	ABI_CONST(PV_GNTST_address_too_big, GNTST_address_too_big);
	ABI_CONST(PV_GNTST_eagain, GNTST_eagain);
	ABI_CONST(PV_GNTST_no_space, GNTST_no_space);
}

CU_TestInfo abi_ring_tests[] = {
    {"shared ring header", test_sring_header}, {"ring size rounding", test_ring_size_rounding},
    {"grant entry v1", test_grant_entry},      {"grant flags", test_grant_flags},
    {"grant status codes", test_grant_status}, CU_TEST_INFO_NULL,
};

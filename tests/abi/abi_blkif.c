/* SPDX-License-Identifier: MIT */
/*
 * ABI test: include/pvkit/proto/blkif.h against Xen's io/blkif.h and
 * io/protocols.h, including the x86_32 and x86_64 guest layouts.
 */
#include "abi_xen.h"

#include <xen/io/blkif.h>
#include <xen/io/protocols.h>

#include "pvkit/proto/blkif.h"
#include "abi_check.h"

#define SEG_FIELDS(X, O, T) X(O, T, gref) X(O, T, first_sect) X(O, T, last_sect)
#define REQ_FIELDS(X, O, T)                                                                        \
	X(O, T, operation)                                                                         \
	X(O, T, nr_segments)                                                                       \
	X(O, T, handle) X(O, T, id) X(O, T, sector_number) X(O, T, seg) X(O, T, seg[1].gref)
#define DISCARD_FIELDS(X, O, T)                                                                    \
	X(O, T, operation)                                                                         \
	X(O, T, flag) X(O, T, handle) X(O, T, id) X(O, T, sector_number) X(O, T, nr_sectors)
#define INDIRECT_FIELDS(X, O, T)                                                                   \
	X(O, T, operation)                                                                         \
	X(O, T, indirect_op)                                                                       \
	X(O, T, nr_segments)                                                                       \
	X(O, T, id) X(O, T, sector_number) X(O, T, handle) X(O, T, indirect_grefs)
#define RSP_FIELDS(X, O, T) X(O, T, id) X(O, T, operation) X(O, T, status)

static void test_native_structs(void)
{
	ABI_SIZE(pv_blkif_vdev_t, blkif_vdev_t);
	ABI_SIZE(pv_blkif_sector_t, blkif_sector_t);
	ABI_SIZE(pv_grant_ref_t, grant_ref_t);
	ABI_SIZE(struct pv_blkif_request_segment, struct blkif_request_segment);
	SEG_FIELDS(ABI_F, struct pv_blkif_request_segment, struct blkif_request_segment)
	ABI_SIZE(struct pv_blkif_request, struct blkif_request);
	REQ_FIELDS(ABI_F, struct pv_blkif_request, struct blkif_request)
	ABI_SIZE(struct pv_blkif_request_discard, struct blkif_request_discard);
	DISCARD_FIELDS(ABI_F, struct pv_blkif_request_discard, struct blkif_request_discard)
	ABI_SIZE(struct pv_blkif_request_indirect, struct blkif_request_indirect);
	INDIRECT_FIELDS(ABI_F, struct pv_blkif_request_indirect, struct blkif_request_indirect)
	ABI_SIZE(struct pv_blkif_response, struct blkif_response);
	RSP_FIELDS(ABI_F, struct pv_blkif_response, struct blkif_response)
	/* Xen has no "other" request: its id must sit where every request's does. */
	ABI_FIELD(struct pv_blkif_request_other, struct blkif_request, operation);
	ABI_FIELD(struct pv_blkif_request_other, struct blkif_request, id);
	ABI_FIELD2(struct pv_blkif_request_other, _pad2, struct blkif_request, handle);
	ABI_SIZE(union pv_blkif_request_any, struct blkif_request);
	ABI_SIZE(union pv_blkif_sring_entry, union blkif_sring_entry);
	ABI_FIELD2(union pv_blkif_sring_entry, req, union blkif_sring_entry, req);
	ABI_FIELD2(union pv_blkif_sring_entry, rsp, union blkif_sring_entry, rsp);
	/* An indirect page is an array of ordinary segments. */
	ABI_EQ("PV_BLKIF_SEGS_PER_INDIRECT_FRAME vs 4096 / sizeof(struct blkif_request_segment)",
	       PV_BLKIF_SEGS_PER_INDIRECT_FRAME, 4096 / sizeof(struct blkif_request_segment));
	ABI_EQ("sizeof(struct pv_blkif_indirect_page) vs 4096",
	       sizeof(struct pv_blkif_indirect_page), 4096);
}

static void test_constants(void)
{
	ABI_CONST(PV_BLKIF_OP_READ, BLKIF_OP_READ);
	ABI_CONST(PV_BLKIF_OP_WRITE, BLKIF_OP_WRITE);
	ABI_CONST(PV_BLKIF_OP_WRITE_BARRIER, BLKIF_OP_WRITE_BARRIER);
	ABI_CONST(PV_BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_FLUSH_DISKCACHE);
	ABI_CONST(PV_BLKIF_OP_RESERVED_1, BLKIF_OP_RESERVED_1);
	ABI_CONST(PV_BLKIF_OP_DISCARD, BLKIF_OP_DISCARD);
	ABI_CONST(PV_BLKIF_OP_INDIRECT, BLKIF_OP_INDIRECT);
	ABI_CONST(PV_BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_EOPNOTSUPP);
	ABI_CONST(PV_BLKIF_RSP_ERROR, BLKIF_RSP_ERROR);
	ABI_CONST(PV_BLKIF_RSP_OKAY, BLKIF_RSP_OKAY);
	ABI_CONST(PV_BLKIF_MAX_SEGMENTS_PER_REQUEST, BLKIF_MAX_SEGMENTS_PER_REQUEST);
	ABI_CONST(PV_BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST, BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST);
	ABI_CONST(PV_BLKIF_DISCARD_SECURE, BLKIF_DISCARD_SECURE);
	ABI_CONST(PV_VDISK_CDROM, VDISK_CDROM);
	ABI_CONST(PV_VDISK_REMOVABLE, VDISK_REMOVABLE);
	ABI_CONST(PV_VDISK_READONLY, VDISK_READONLY);
	/* Xen's blkif.h: sector quantities are in 512-byte units by default. */
	ABI_EQ("PV_BLKIF_SECTOR_SIZE vs 512 (blkif.h)", PV_BLKIF_SECTOR_SIZE, 512);
	ABI_STR(PV_IO_PROTO_ABI_X86_32, XEN_IO_PROTO_ABI_X86_32);
	ABI_STR(PV_IO_PROTO_ABI_X86_64, XEN_IO_PROTO_ABI_X86_64);
	ABI_STR(PV_IO_PROTO_ABI_ARM, XEN_IO_PROTO_ABI_ARM);
	ABI_STR(PV_IO_PROTO_ABI_NATIVE, XEN_IO_PROTO_ABI_NATIVE);
}

static void test_ring_sizes(void)
{
	ABI_RING(PV_BLKIF_RING_SIZE, blkif);
}

/*
 * The fixed guest layouts. On a host of that width Xen's native structs are
 * the reference; elsewhere the numbers of the i386 / x86_64 SysV ABI are
 * (the i386 cross build of this program checks the x86_32 ones for real).
 * On a host of width V our native structs must also equal the V layout.
 */
#define VARIANT_VS_XEN(V)                                                                          \
	do {                                                                                       \
		ABI_SIZE(struct pv_blkif_##V##_request, struct blkif_request);                     \
		REQ_FIELDS(ABI_F, struct pv_blkif_##V##_request, struct blkif_request)             \
		ABI_SIZE(struct pv_blkif_##V##_request_discard, struct blkif_request_discard);     \
		DISCARD_FIELDS(ABI_F, struct pv_blkif_##V##_request_discard,                       \
		               struct blkif_request_discard)                                       \
		ABI_SIZE(struct pv_blkif_##V##_request_indirect, struct blkif_request_indirect);   \
		INDIRECT_FIELDS(ABI_F, struct pv_blkif_##V##_request_indirect,                     \
		                struct blkif_request_indirect)                                     \
		ABI_SIZE(struct pv_blkif_##V##_response, struct blkif_response);                   \
		RSP_FIELDS(ABI_F, struct pv_blkif_##V##_response, struct blkif_response)           \
		ABI_FIELD(struct pv_blkif_##V##_request_other, struct blkif_request, id);          \
		ABI_SIZE(union pv_blkif_##V##_sring_entry, union blkif_sring_entry);               \
		ABI_SIZE(struct pv_blkif_request, struct pv_blkif_##V##_request);                  \
		REQ_FIELDS(ABI_F, struct pv_blkif_request, struct pv_blkif_##V##_request)          \
		INDIRECT_FIELDS(ABI_F, struct pv_blkif_request_indirect,                           \
		                struct pv_blkif_##V##_request_indirect)                            \
	} while (0)

static void test_x86_32_layout(void)
{
#if defined(__i386__)
	VARIANT_VS_XEN(x86_32);
	ABI_RING(PV_BLKIF_X86_32_RING_SIZE, blkif);
#else
	ABI_EQ("sizeof(struct pv_blkif_x86_32_request) vs i386 ABI",
	       sizeof(struct pv_blkif_x86_32_request), 108);
	ABI_OFFSET_IS(struct pv_blkif_x86_32_request, nr_segments, 1);
	ABI_OFFSET_IS(struct pv_blkif_x86_32_request, handle, 2);
	ABI_OFFSET_IS(struct pv_blkif_x86_32_request, id, 4);
	ABI_OFFSET_IS(struct pv_blkif_x86_32_request, sector_number, 12);
	ABI_OFFSET_IS(struct pv_blkif_x86_32_request, seg, 20);
	ABI_EQ("sizeof(struct pv_blkif_x86_32_request_discard) vs i386 ABI",
	       sizeof(struct pv_blkif_x86_32_request_discard), 28);
	ABI_OFFSET_IS(struct pv_blkif_x86_32_request_discard, id, 4);
	ABI_OFFSET_IS(struct pv_blkif_x86_32_request_discard, sector_number, 12);
	ABI_OFFSET_IS(struct pv_blkif_x86_32_request_discard, nr_sectors, 20);
	ABI_EQ("sizeof(struct pv_blkif_x86_32_request_indirect) vs i386 ABI",
	       sizeof(struct pv_blkif_x86_32_request_indirect), 64);
	ABI_OFFSET_IS(struct pv_blkif_x86_32_request_indirect, nr_segments, 2);
	ABI_OFFSET_IS(struct pv_blkif_x86_32_request_indirect, id, 4);
	ABI_OFFSET_IS(struct pv_blkif_x86_32_request_indirect, sector_number, 12);
	ABI_OFFSET_IS(struct pv_blkif_x86_32_request_indirect, handle, 20);
	ABI_OFFSET_IS(struct pv_blkif_x86_32_request_indirect, indirect_grefs, 24);
	ABI_OFFSET_IS(struct pv_blkif_x86_32_request_other, id, 4);
	ABI_EQ("sizeof(struct pv_blkif_x86_32_response) vs i386 ABI",
	       sizeof(struct pv_blkif_x86_32_response), 12);
	ABI_OFFSET_IS(struct pv_blkif_x86_32_response, operation, 8);
	ABI_OFFSET_IS(struct pv_blkif_x86_32_response, status, 10);
	ABI_EQ("PV_BLKIF_X86_32_RING_SIZE(1) vs 32", PV_BLKIF_X86_32_RING_SIZE(1), 32);
#endif
}

static void test_x86_64_layout(void)
{
#if defined(__x86_64__)
	VARIANT_VS_XEN(x86_64);
	ABI_RING(PV_BLKIF_X86_64_RING_SIZE, blkif);
#else
	ABI_EQ("sizeof(struct pv_blkif_x86_64_request) vs x86_64 ABI",
	       sizeof(struct pv_blkif_x86_64_request), 112);
	ABI_OFFSET_IS(struct pv_blkif_x86_64_request, id, 8);
	ABI_OFFSET_IS(struct pv_blkif_x86_64_request, sector_number, 16);
	ABI_OFFSET_IS(struct pv_blkif_x86_64_request, seg, 24);
	ABI_OFFSET_IS(struct pv_blkif_x86_64_request_discard, nr_sectors, 24);
	ABI_OFFSET_IS(struct pv_blkif_x86_64_request_indirect, handle, 24);
	ABI_OFFSET_IS(struct pv_blkif_x86_64_request_indirect, indirect_grefs, 28);
	ABI_OFFSET_IS(struct pv_blkif_x86_64_request_other, id, 8);
	ABI_EQ("sizeof(struct pv_blkif_x86_64_response) vs x86_64 ABI",
	       sizeof(struct pv_blkif_x86_64_response), 16);
	ABI_OFFSET_IS(struct pv_blkif_x86_64_response, status, 10);
	ABI_EQ("PV_BLKIF_X86_64_RING_SIZE(1) vs 32", PV_BLKIF_X86_64_RING_SIZE(1), 32);
#endif
}

CU_TestInfo abi_blkif_tests[] = {
    {"native structs and fields", test_native_structs},
    {"constants and protocol names", test_constants},
    {"ring sizes 1-16 pages", test_ring_sizes},
    {"x86_32 guest layout", test_x86_32_layout},
    {"x86_64 guest layout", test_x86_64_layout},
    CU_TEST_INFO_NULL,
};

/* SPDX-License-Identifier: MIT */
/*
 * ABI test: include/pvkit/proto/xs_wire.h against Xen's io/xs_wire.h:
 * message types, header and ring layouts, limits, and the error table.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <xen/io/xs_wire.h>

#include "pvkit/proto/xs_wire.h"
#include "../harness/cunit.h"

static void test_types(void)
{
	CU_ASSERT_EQUAL(PV_XS_CONTROL, XS_CONTROL);
	CU_ASSERT_EQUAL(PV_XS_DIRECTORY, XS_DIRECTORY);
	CU_ASSERT_EQUAL(PV_XS_READ, XS_READ);
	CU_ASSERT_EQUAL(PV_XS_GET_PERMS, XS_GET_PERMS);
	CU_ASSERT_EQUAL(PV_XS_WATCH, XS_WATCH);
	CU_ASSERT_EQUAL(PV_XS_UNWATCH, XS_UNWATCH);
	CU_ASSERT_EQUAL(PV_XS_TRANSACTION_START, XS_TRANSACTION_START);
	CU_ASSERT_EQUAL(PV_XS_TRANSACTION_END, XS_TRANSACTION_END);
	CU_ASSERT_EQUAL(PV_XS_INTRODUCE, XS_INTRODUCE);
	CU_ASSERT_EQUAL(PV_XS_RELEASE, XS_RELEASE);
	CU_ASSERT_EQUAL(PV_XS_GET_DOMAIN_PATH, XS_GET_DOMAIN_PATH);
	CU_ASSERT_EQUAL(PV_XS_WRITE, XS_WRITE);
	CU_ASSERT_EQUAL(PV_XS_MKDIR, XS_MKDIR);
	CU_ASSERT_EQUAL(PV_XS_RM, XS_RM);
	CU_ASSERT_EQUAL(PV_XS_SET_PERMS, XS_SET_PERMS);
	CU_ASSERT_EQUAL(PV_XS_WATCH_EVENT, XS_WATCH_EVENT);
	CU_ASSERT_EQUAL(PV_XS_ERROR, XS_ERROR);
	CU_ASSERT_EQUAL(PV_XS_IS_DOMAIN_INTRODUCED, XS_IS_DOMAIN_INTRODUCED);
	CU_ASSERT_EQUAL(PV_XS_RESUME, XS_RESUME);
	CU_ASSERT_EQUAL(PV_XS_SET_TARGET, XS_SET_TARGET);
	CU_ASSERT_EQUAL(PV_XS_RESET_WATCHES, XS_RESET_WATCHES);
	CU_ASSERT_EQUAL(PV_XS_DIRECTORY_PART, XS_DIRECTORY_PART);
	CU_ASSERT_EQUAL(PV_XS_TYPE_COUNT, XS_TYPE_COUNT);
	CU_ASSERT_EQUAL(PV_XS_INVALID, XS_INVALID);
	CU_ASSERT_EQUAL(PV_XS_WATCH_PATH, XS_WATCH_PATH);
	CU_ASSERT_EQUAL(PV_XS_WATCH_TOKEN, XS_WATCH_TOKEN);
	CU_ASSERT_STRING_EQUAL(PV_XS_WRITE_NONE, XS_WRITE_NONE);
	CU_ASSERT_STRING_EQUAL(PV_XS_WRITE_CREATE, XS_WRITE_CREATE);
	CU_ASSERT_STRING_EQUAL(PV_XS_WRITE_CREATE_EXCL, XS_WRITE_CREATE_EXCL);
}

#define SAME_FIELD(ours, theirs, f)                                                                \
	do {                                                                                       \
		CU_ASSERT_EQUAL(offsetof(ours, f), offsetof(theirs, f));                           \
		CU_ASSERT_EQUAL(sizeof(((ours *)0)->f), sizeof(((theirs *)0)->f));                 \
	} while (0)

static void test_header(void)
{
	CU_ASSERT_EQUAL(sizeof(struct pv_xs_msg_hdr), sizeof(struct xsd_sockmsg));
	CU_ASSERT_EQUAL(sizeof(struct pv_xs_msg_hdr), 16);
	SAME_FIELD(struct pv_xs_msg_hdr, struct xsd_sockmsg, type);
	SAME_FIELD(struct pv_xs_msg_hdr, struct xsd_sockmsg, req_id);
	SAME_FIELD(struct pv_xs_msg_hdr, struct xsd_sockmsg, tx_id);
	SAME_FIELD(struct pv_xs_msg_hdr, struct xsd_sockmsg, len);
}

static void test_ring(void)
{
	typedef struct pv_xs_domain_interface ours;
	typedef struct xenstore_domain_interface theirs;

	CU_ASSERT_EQUAL(sizeof(ours), sizeof(theirs));
	SAME_FIELD(ours, theirs, req);
	SAME_FIELD(ours, theirs, rsp);
	SAME_FIELD(ours, theirs, req_cons);
	SAME_FIELD(ours, theirs, req_prod);
	SAME_FIELD(ours, theirs, rsp_cons);
	SAME_FIELD(ours, theirs, rsp_prod);
	SAME_FIELD(ours, theirs, server_features);
	SAME_FIELD(ours, theirs, connection);
	SAME_FIELD(ours, theirs, error);
	CU_ASSERT_EQUAL(PV_XS_RING_SIZE, XENSTORE_RING_SIZE);
	CU_ASSERT_EQUAL(PV_XS_MASK_IDX(1025u), MASK_XENSTORE_IDX(1025u));
	CU_ASSERT_EQUAL(PV_XS_SERVER_FEATURE_RECONNECTION, XENSTORE_SERVER_FEATURE_RECONNECTION);
	CU_ASSERT_EQUAL(PV_XS_SERVER_FEATURE_ERROR, XENSTORE_SERVER_FEATURE_ERROR);
	CU_ASSERT_EQUAL(PV_XS_CONNECTED, XENSTORE_CONNECTED);
	CU_ASSERT_EQUAL(PV_XS_RECONNECT, XENSTORE_RECONNECT);
	CU_ASSERT_EQUAL(PV_XS_ERROR_NONE, XENSTORE_ERROR_NONE);
	CU_ASSERT_EQUAL(PV_XS_ERROR_COMM, XENSTORE_ERROR_COMM);
	CU_ASSERT_EQUAL(PV_XS_ERROR_RINGIDX, XENSTORE_ERROR_RINGIDX);
	CU_ASSERT_EQUAL(PV_XS_ERROR_PROTO, XENSTORE_ERROR_PROTO);
}

static void test_limits(void)
{
	CU_ASSERT_EQUAL(PV_XS_PAYLOAD_MAX, XENSTORE_PAYLOAD_MAX);
	CU_ASSERT_EQUAL(PV_XS_ABS_PATH_MAX, XENSTORE_ABS_PATH_MAX);
	CU_ASSERT_EQUAL(PV_XS_REL_PATH_MAX, XENSTORE_REL_PATH_MAX);
}

/* Same errors, same names, same order. */
static void test_errors(void)
{
#define PV_XS_ERR_ENTRY(e) {e, #e},
	static const struct {
		int num;
		const char *name;
	} ours[] = {PV_XS_ERRORS(PV_XS_ERR_ENTRY)};
#undef PV_XS_ERR_ENTRY
	size_t n = sizeof(xsd_errors) / sizeof(xsd_errors[0]);

	CU_ASSERT_EQUAL_FATAL(sizeof(ours) / sizeof(ours[0]), n);
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(ours[i].num, xsd_errors[i].errnum);
		CU_ASSERT_STRING_EQUAL(ours[i].name, xsd_errors[i].errstring);
	}
}

static CU_TestInfo abi_tests[] = {
	{"message types", test_types},
	{"message header layout", test_header},
	{"ring interface layout", test_ring},
	{"limits", test_limits},
	{"error table", test_errors},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"xs_wire abi", NULL, NULL, NULL, NULL, abi_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

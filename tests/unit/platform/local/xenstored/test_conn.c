/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for platform/local/xenstored/conn.c: framing of a byte stream,
 * error replies and the watch-event bound.
 */
#include <stdio.h>

#include "xsd_test.h"
#include "../../../../harness/cunit.h"

static char buf[PV_XS_PAYLOAD_MAX + 1];

static void test_framing(void)
{
	struct xsd *x = xt_daemon();
	struct xsd_conn *c = xsd_conn_new(x, -1, 0);
	struct pv_xs_msg_hdr h = {.type = PV_XS_READ, .req_id = 5, .len = 7};
	size_t len;

	/* Half a header, then the rest with the payload: one reply. */
	memcpy(c->in, &h, 10);
	c->in_len = 10;
	CU_ASSERT_EQUAL(xsd_conn_process(x, c), 0);
	CU_ASSERT_EQUAL(xt_recv(c, buf, &len), -1);
	memcpy(c->in + 10, (char *)&h + 10, sizeof(h) - 10);
	memcpy(c->in + sizeof(h), "/local", 7);
	c->in_len = sizeof(h) + 7;
	CU_ASSERT_EQUAL(xsd_conn_process(x, c), 0);
	CU_ASSERT_EQUAL(xt_recv(c, buf, &len), PV_XS_READ);
	CU_ASSERT_EQUAL(c->in_len, 0);
	/* Two requests in one read: two replies, in order. */
	xt_send(x, c, 77, 0, "", 0);
	CU_ASSERT_EQUAL(xt_recv(c, buf, &len), PV_XS_ERROR);
	CU_ASSERT_STRING_EQUAL(buf, "EINVAL");
	/* A length over the limit is a protocol error: the caller closes. */
	h.len = PV_XS_PAYLOAD_MAX + 1;
	memcpy(c->in, &h, sizeof(h));
	c->in_len = sizeof(h);
	CU_ASSERT_EQUAL(xsd_conn_process(x, c), -EPROTO);
	xt_daemon_free(x);
}

static void test_event_bound(void)
{
	struct xsd *x = xt_daemon();
	struct xsd_conn *w = xsd_conn_new(x, -1, 0), *c = xsd_conn_new(x, -1, 0);
	char req[64];
	size_t len;

	CU_ASSERT_EQUAL(xt_req(x, w, PV_XS_WATCH, 0, "/e\0tok", 7, buf), PV_XS_WATCH);
	CU_ASSERT_EQUAL(xt_recv(w, buf, &len), PV_XS_WATCH_EVENT);
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(req, sizeof(req), "/e/n%d%c1", i, 0);

		CU_ASSERT_EQUAL(xt_req(x, c, PV_XS_WRITE, 0, req, (size_t)n, buf), PV_XS_WRITE);
	}
	CU_ASSERT(xsd_conn_queued(w) <= x->quota.output + 64);
	CU_ASSERT(w->dropped_events > 0);
	xt_daemon_free(x);
}

static CU_TestInfo conn_tests[] = {
	{"framing", test_framing},
	{"watch events bounded per connection", test_event_bound},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"xenstored connections", NULL, NULL, NULL, NULL, conn_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for frontends/net/rspcheck.c: netfront's checks of rx and tx
 * responses from a backend that may be hostile (wrong ids, error statuses,
 * offsets and sizes past the page, overlong chains, bad or unknown extras).
 */
#include <string.h>

#include "../../../../frontends/net/rspcheck.h"
#include "../../../harness/cunit.h"

static struct pv_netif_rx_response rsp(uint16_t id, uint16_t off, int16_t status, uint16_t flags)
{
	return (struct pv_netif_rx_response){.id = id, .offset = off, .status = status, .flags = flags};
}

static struct pv_netif_rx_response extra(uint8_t type, uint8_t gso_type, uint16_t size, uint8_t flags)
{
	struct pv_netif_extra_info x = {.type = type, .flags = flags};
	struct pv_netif_rx_response r;

	x.u.gso.type = gso_type;
	x.u.gso.size = size;
	memset(&r, 0, sizeof(r));
	memcpy(&r, &x, sizeof(x));
	return r;
}

/* Feed @r at slot @idx; check what comes back. */
static int add(struct netfront_rxpkt *p, struct pv_netif_rx_response r, unsigned int idx,
	       const char **bad)
{
	return netfront_rx_add(p, &r, idx, bad);
}

static void test_one_slot(void)
{
	struct netfront_rxpkt p;
	const char *bad;

	netfront_rx_reset(&p);
	CU_ASSERT_EQUAL(add(&p, rsp(3, 0, 1514, PV_NETRXF_DATA_VALIDATED), 3, &bad), 1);
	CU_ASSERT_PTR_NULL(bad);
	CU_ASSERT(netfront_rx_done(&p));
	CU_ASSERT(!p.bad);
	CU_ASSERT_EQUAL(p.nseg, 1);
	CU_ASSERT_EQUAL(p.len, 1514);
	CU_ASSERT(p.meta.data_validated);
	CU_ASSERT(!p.meta.csum_blank);
	/* The same with the last byte of the page. */
	netfront_rx_reset(&p);
	CU_ASSERT_EQUAL(add(&p, rsp(0, 2582, 1514, 0), 0, &bad), 1);
	CU_ASSERT(!p.bad && netfront_rx_done(&p));
}

static void test_chain_and_gso(void)
{
	struct netfront_rxpkt p;
	const char *bad;

	netfront_rx_reset(&p);
	CU_ASSERT_EQUAL(add(&p, rsp(10, 0, 4096, PV_NETRXF_CSUM_BLANK | PV_NETRXF_EXTRA_INFO |
					      PV_NETRXF_MORE_DATA), 10, &bad), 1);
	CU_ASSERT(!netfront_rx_done(&p));
	CU_ASSERT(p.extras);
	CU_ASSERT_EQUAL(add(&p, extra(PV_NETIF_EXTRA_TYPE_GSO, PV_NETIF_GSO_TYPE_TCPV4, 1448, 0), 11,
			    &bad), 0); /* the extra's page goes back */
	CU_ASSERT_PTR_NULL(bad);
	CU_ASSERT(!netfront_rx_done(&p));
	CU_ASSERT_EQUAL(add(&p, rsp(12, 0, 4096, PV_NETRXF_MORE_DATA), 12, &bad), 1);
	CU_ASSERT_EQUAL(add(&p, rsp(13, 0, 100, 0), 13, &bad), 1);
	CU_ASSERT(netfront_rx_done(&p));
	CU_ASSERT(!p.bad);
	CU_ASSERT_EQUAL(p.nseg, 3);
	CU_ASSERT_EQUAL(p.len, 4096 + 4096 + 100);
	CU_ASSERT_EQUAL(p.meta.gso_type, PV_NETIF_GSO_TYPE_TCPV4);
	CU_ASSERT_EQUAL(p.meta.gso_size, 1448);
	CU_ASSERT(p.meta.csum_blank && p.meta.data_validated);
}

static void test_bad_id(void)
{
	struct netfront_rxpkt p;
	const char *bad;

	netfront_rx_reset(&p);
	CU_ASSERT_EQUAL(add(&p, rsp(4, 0, 60, 0), 5, &bad), 0);
	CU_ASSERT_PTR_NOT_NULL(bad);
	CU_ASSERT(p.bad);
	CU_ASSERT(netfront_rx_done(&p));
	/* Inside a chain: the packet is dropped at its end, the good slots still kept for the pool. */
	netfront_rx_reset(&p);
	CU_ASSERT_EQUAL(add(&p, rsp(0, 0, 4096, PV_NETRXF_MORE_DATA), 0, &bad), 1);
	CU_ASSERT_EQUAL(add(&p, rsp(7, 0, 4096, PV_NETRXF_MORE_DATA), 1, &bad), 0);
	CU_ASSERT_PTR_NOT_NULL(bad);
	CU_ASSERT_EQUAL(add(&p, rsp(2, 0, 10, 0), 2, &bad), 1);
	CU_ASSERT(p.bad && netfront_rx_done(&p));
	CU_ASSERT_EQUAL(p.nseg, 2);
}

static void test_bad_status(void)
{
	struct netfront_rxpkt p;
	const char *bad;

	/* An error the backend reports: the packet is dropped, the response is not malformed. */
	netfront_rx_reset(&p);
	CU_ASSERT_EQUAL(add(&p, rsp(1, 0, PV_NETIF_RSP_ERROR, 0), 1, &bad), 0);
	CU_ASSERT_PTR_NULL(bad);
	CU_ASSERT(p.bad && netfront_rx_done(&p));
	/* Zero bytes in a data slot is no packet either. */
	netfront_rx_reset(&p);
	CU_ASSERT_EQUAL(add(&p, rsp(1, 0, 0, 0), 1, &bad), 0);
	CU_ASSERT(p.bad);
	/* An error in the middle of a chain still ends where the chain ends. */
	netfront_rx_reset(&p);
	CU_ASSERT_EQUAL(add(&p, rsp(1, 0, PV_NETIF_RSP_DROPPED, PV_NETRXF_MORE_DATA), 1, &bad), 0);
	CU_ASSERT(!netfront_rx_done(&p));
	CU_ASSERT_EQUAL(add(&p, rsp(2, 0, 100, 0), 2, &bad), 1);
	CU_ASSERT(p.bad && netfront_rx_done(&p));
}

static void test_bad_offsets(void)
{
	struct netfront_rxpkt p;
	const char *bad;

	netfront_rx_reset(&p);
	CU_ASSERT_EQUAL(add(&p, rsp(0, 4000, 200, 0), 0, &bad), 0); /* past the page */
	CU_ASSERT_PTR_NOT_NULL(bad);
	CU_ASSERT(p.bad);
	netfront_rx_reset(&p);
	CU_ASSERT_EQUAL(add(&p, rsp(0, 0, 4097, 0), 0, &bad), 0); /* larger than a page */
	CU_ASSERT_PTR_NOT_NULL(bad);
	netfront_rx_reset(&p);
	CU_ASSERT_EQUAL(add(&p, rsp(0, 0xffff, 1, 0), 0, &bad), 0); /* offset beyond the page */
	CU_ASSERT(p.bad);
	CU_ASSERT_EQUAL(p.nseg, 0);
	CU_ASSERT_EQUAL(p.len, 0);
}

static void test_overlong_chain(void)
{
	struct netfront_rxpkt p;
	const char *bad = NULL;
	unsigned int i;

	netfront_rx_reset(&p);
	for (i = 0; i < NETFRONT_MAX_SLOTS; i++)
		CU_ASSERT_EQUAL(add(&p, rsp((uint16_t)i, 0, 4096, PV_NETRXF_MORE_DATA), i, &bad), 1);
	CU_ASSERT(!p.bad);
	CU_ASSERT_EQUAL(add(&p, rsp((uint16_t)i, 0, 4096, PV_NETRXF_MORE_DATA), i, &bad), 0);
	CU_ASSERT(p.bad);
	CU_ASSERT_EQUAL(p.nseg, NETFRONT_MAX_SLOTS); /* never past the array */
	CU_ASSERT_EQUAL(add(&p, rsp((uint16_t)(i + 1), 0, 4, 0), i + 1, &bad), 0);
	CU_ASSERT(netfront_rx_done(&p));
}

static void test_bad_extras(void)
{
	struct netfront_rxpkt p;
	const char *bad;

	/* GSO of a kind netif does not carry, or with no size. */
	netfront_rx_reset(&p);
	add(&p, rsp(0, 0, 1000, PV_NETRXF_EXTRA_INFO), 0, &bad);
	CU_ASSERT_EQUAL(add(&p, extra(PV_NETIF_EXTRA_TYPE_GSO, 7, 1448, 0), 1, &bad), 0);
	CU_ASSERT_PTR_NOT_NULL(bad);
	CU_ASSERT(p.bad && netfront_rx_done(&p));
	netfront_rx_reset(&p);
	add(&p, rsp(0, 0, 1000, PV_NETRXF_EXTRA_INFO), 0, &bad);
	add(&p, extra(PV_NETIF_EXTRA_TYPE_GSO, PV_NETIF_GSO_TYPE_TCPV6, 0, 0), 1, &bad);
	CU_ASSERT_PTR_NOT_NULL(bad);
	CU_ASSERT(p.bad);
	/* Unknown and NONE extra types. */
	netfront_rx_reset(&p);
	add(&p, rsp(0, 0, 1000, PV_NETRXF_EXTRA_INFO), 0, &bad);
	add(&p, extra(PV_NETIF_EXTRA_TYPE_MAX, 0, 0, 0), 1, &bad);
	CU_ASSERT_PTR_NOT_NULL(bad);
	CU_ASSERT(p.bad);
	netfront_rx_reset(&p);
	add(&p, rsp(0, 0, 1000, PV_NETRXF_EXTRA_INFO), 0, &bad);
	add(&p, extra(PV_NETIF_EXTRA_TYPE_NONE, 0, 0, 0), 1, &bad);
	CU_ASSERT(p.bad);
	/* A chain of extras: the one flagged MORE is followed by another, then the packet ends. */
	netfront_rx_reset(&p);
	add(&p, rsp(0, 0, 1000, PV_NETRXF_EXTRA_INFO), 0, &bad);
	CU_ASSERT_EQUAL(add(&p, extra(PV_NETIF_EXTRA_TYPE_MCAST_ADD, 0, 0, PV_NETIF_EXTRA_FLAG_MORE), 1,
			    &bad), 0);
	CU_ASSERT_PTR_NULL(bad);
	CU_ASSERT(!netfront_rx_done(&p));
	CU_ASSERT_EQUAL(add(&p, extra(PV_NETIF_EXTRA_TYPE_GSO, PV_NETIF_GSO_TYPE_TCPV4, 1448, 0), 2,
			    &bad), 0);
	CU_ASSERT(netfront_rx_done(&p));
	CU_ASSERT(!p.bad);
	CU_ASSERT_EQUAL(p.len, 1000);
}

static void test_tx(void)
{
	uint8_t busy[8] = {0, 1, 0, 0, 0, 0, 0, 1};
	struct pv_netif_tx_response r = {.id = 1, .status = PV_NETIF_RSP_OKAY};
	const char *bad;

	CU_ASSERT_EQUAL(netfront_tx_check(&r, busy, 8, &bad), 1);
	CU_ASSERT_PTR_NULL(bad);
	r = (struct pv_netif_tx_response){.id = 7, .status = PV_NETIF_RSP_ERROR};
	CU_ASSERT_EQUAL(netfront_tx_check(&r, busy, 8, &bad), 7); /* an error still frees the slot */
	r = (struct pv_netif_tx_response){.id = 2, .status = PV_NETIF_RSP_OKAY};
	CU_ASSERT_EQUAL(netfront_tx_check(&r, busy, 8, &bad), -2); /* not in flight */
	CU_ASSERT_PTR_NOT_NULL(bad);
	r = (struct pv_netif_tx_response){.id = 8, .status = PV_NETIF_RSP_OKAY};
	CU_ASSERT_EQUAL(netfront_tx_check(&r, busy, 8, &bad), -2); /* out of range */
	r = (struct pv_netif_tx_response){.id = 0xffff, .status = PV_NETIF_RSP_NULL};
	CU_ASSERT_EQUAL(netfront_tx_check(&r, busy, 8, &bad), -1); /* an extra's slot */
	CU_ASSERT_PTR_NULL(bad);
}

static CU_TestInfo tests[] = {
	{"one-slot packet", test_one_slot},
	{"GSO packet over three data slots", test_chain_and_gso},
	{"response id is not its slot's request", test_bad_id},
	{"error and zero statuses", test_bad_status},
	{"offsets and sizes past the page", test_bad_offsets},
	{"chain longer than a packet may be", test_overlong_chain},
	{"bad, unknown and chained extras", test_bad_extras},
	{"tx responses", test_tx},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"netfront response checks", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

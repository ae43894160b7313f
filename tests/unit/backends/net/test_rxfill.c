/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for backends/net/rxfill.c: slot counts, the layout of a packet
 * over posted buffers, the GSO extra, fully defined responses.
 */
#include <string.h>

#include "../../../../backends/net/datapath.h"
#include "../../../harness/cunit.h"

static const struct netback_rx_caps all = {.sg = 1, .gso_tcpv4 = 1, .gso_tcpv6 = 1};
static const struct netback_rx_caps nosg = {0};

static void test_slots(void)
{
	struct netpkt_meta plain = {0}, gso4 = {.gso_type = PV_NETIF_GSO_TYPE_TCPV4, .gso_size = 1448};
	struct netpkt_meta gso6 = {.gso_type = PV_NETIF_GSO_TYPE_TCPV6, .gso_size = 1428};
	struct netback_rx_caps only4 = {.sg = 1, .gso_tcpv4 = 1};

	CU_ASSERT_EQUAL(netback_rx_slots(60, &plain, &nosg), 1);
	CU_ASSERT_EQUAL(netback_rx_slots(4096, &plain, &nosg), 1);
	CU_ASSERT_EQUAL(netback_rx_slots(4097, &plain, &nosg), 0);
	CU_ASSERT_EQUAL(netback_rx_slots(9014, &plain, &all), 3);
	CU_ASSERT_EQUAL(netback_rx_slots(65000, &gso4, &all), 16 + 1);
	CU_ASSERT_EQUAL(netback_rx_slots(65000, &gso6, &only4), 0);
	CU_ASSERT_EQUAL(netback_rx_slots(0, &plain, &all), 0);
	CU_ASSERT_EQUAL(netback_rx_slots(NETPKT_MAX_LEN + 1, &plain, &all), 0);
}

static void test_build_gso(void)
{
	struct netpkt_meta m = {.gso_type = PV_NETIF_GSO_TYPE_TCPV4, .gso_size = 1448,
				.csum_blank = 1, .data_validated = 1};
	struct pv_netif_rx_request reqs[4];
	struct pv_netif_rx_response rsps[4];
	struct pv_gnt_copy_seg segs[4];
	struct pv_netif_extra_info x;
	static uint8_t data[10000];

	for (unsigned int i = 0; i < 4; i++)
		reqs[i] = (struct pv_netif_rx_request){.id = (uint16_t)(40 + i), .gref = 500 + i};
	memset(rsps, 0xee, sizeof(rsps));
	CU_ASSERT_EQUAL(netback_rx_slots(10000, &m, &all), 4);
	CU_ASSERT_EQUAL(netback_rx_build(data, 10000, &m, reqs, 4, 5, segs, rsps), 3);
	CU_ASSERT_EQUAL(rsps[0].id, 40);
	CU_ASSERT_EQUAL(rsps[0].status, 4096);
	CU_ASSERT_EQUAL(rsps[0].offset, 0);
	CU_ASSERT_EQUAL(rsps[0].flags, PV_NETRXF_MORE_DATA | PV_NETRXF_EXTRA_INFO |
					       PV_NETRXF_CSUM_BLANK | PV_NETRXF_DATA_VALIDATED);
	memcpy(&x, &rsps[1], sizeof(x));
	CU_ASSERT_EQUAL(x.type, PV_NETIF_EXTRA_TYPE_GSO);
	CU_ASSERT_EQUAL(x.flags, 0);
	CU_ASSERT_EQUAL(x.u.gso.size, 1448);
	CU_ASSERT_EQUAL(x.u.gso.type, PV_NETIF_GSO_TYPE_TCPV4);
	CU_ASSERT_EQUAL(x.u.gso.features, 0);
	CU_ASSERT_EQUAL(rsps[2].id, 42);
	CU_ASSERT_EQUAL(rsps[2].flags, PV_NETRXF_MORE_DATA);
	CU_ASSERT_EQUAL(rsps[3].status, 10000 - 8192);
	CU_ASSERT_EQUAL(rsps[3].flags, 0);
	CU_ASSERT_EQUAL(segs[1].dest.ref, 502);
	CU_ASSERT_EQUAL(segs[1].dest.domid, 5);
	CU_ASSERT_PTR_EQUAL(segs[2].source.virt, data + 8192);
	CU_ASSERT_EQUAL(segs[2].len, 10000 - 8192);
	netback_rx_fail(rsps, 4, &m);
	CU_ASSERT_EQUAL(rsps[0].status, PV_NETIF_RSP_ERROR);
	CU_ASSERT_EQUAL(rsps[3].status, PV_NETIF_RSP_ERROR);
	memcpy(&x, &rsps[1], sizeof(x));
	CU_ASSERT_EQUAL(x.type, PV_NETIF_EXTRA_TYPE_GSO);
}

static void test_build_plain(void)
{
	struct netpkt_meta m = {.data_validated = 1};
	struct pv_netif_rx_request req = {.id = 9, .gref = 77};
	struct pv_netif_rx_response rsp;
	struct pv_gnt_copy_seg seg;
	static uint8_t data[1500];

	memset(&rsp, 0xff, sizeof(rsp));
	CU_ASSERT_EQUAL(netback_rx_build(data, 1500, &m, &req, 1, 5, &seg, &rsp), 1);
	CU_ASSERT_EQUAL(rsp.id, 9);
	CU_ASSERT_EQUAL(rsp.offset, 0);
	CU_ASSERT_EQUAL(rsp.status, 1500);
	CU_ASSERT_EQUAL(rsp.flags, PV_NETRXF_DATA_VALIDATED);
}

static CU_TestInfo tests[] = {
	{"slots per packet", test_slots},
	{"GSO packet over four buffers", test_build_gso},
	{"one-slot packet", test_build_plain},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"netback rxfill", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

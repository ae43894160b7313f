/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for backends/net/netpkt.c: header walk bounds, virtio-net
 * header translation both ways, software checksum completion.
 */
#include <errno.h>
#include <string.h>

#include <linux/if_tun.h>
#include <netinet/in.h>

#include "pvkit/proto/netif.h"
#include "../../../../backends/net/netpkt.h"
#include "../../../harness/cunit.h"

/* Ethernet + IPv4 (20) + TCP (20, doff 5) + payload. */
static size_t tcp4(uint8_t *p, size_t payload)
{
	memset(p, 0, 54 + payload);
	p[12] = 0x08;
	p[14] = 0x45;
	p[23] = IPPROTO_TCP;
	p[14 + 20 + 12] = 5 << 4;
	return 54 + payload;
}

static size_t tcp6(uint8_t *p, size_t payload)
{
	memset(p, 0, 74 + payload);
	p[12] = 0x86;
	p[13] = 0xdd;
	p[14] = 0x60;
	p[14 + 6] = IPPROTO_TCP;
	p[14 + 40 + 12] = 8 << 4; /* 32-byte TCP header */
	return 74 + 12 + payload;
}

static void test_parse(void)
{
	static uint8_t p[2000];
	struct netpkt_l4 l4;
	size_t n = tcp4(p, 100);

	CU_ASSERT_EQUAL(netpkt_parse(p, n, &l4), 0);
	CU_ASSERT_EQUAL(l4.l4_off, 34);
	CU_ASSERT_EQUAL(l4.hdr_len, 54);
	CU_ASSERT_EQUAL(l4.l4_proto, IPPROTO_TCP);
	/* Truncated anywhere in the headers: refused, never read past. */
	for (size_t cut = 0; cut < 54; cut++)
		CU_ASSERT_EQUAL(netpkt_parse(p, cut, &l4), -EINVAL);
	p[14] = 0x4f; /* ihl 60 bytes: the TCP header no longer fits in 100 + 20 */
	CU_ASSERT_EQUAL(netpkt_parse(p, 54, &l4), -EINVAL);
	tcp4(p, 100);
	p[14 + 6] = 0x00;
	p[14 + 7] = 0x10; /* a later fragment */
	CU_ASSERT_EQUAL(netpkt_parse(p, n, &l4), -EINVAL);
	n = tcp6(p, 10);
	CU_ASSERT_EQUAL(netpkt_parse(p, n, &l4), 0);
	CU_ASSERT_EQUAL(l4.l4_off, 54);
	CU_ASSERT_EQUAL(l4.hdr_len, 86);
	p[14 + 6] = 60; /* a destination-options header claiming 2 KiB */
	p[54] = IPPROTO_TCP;
	p[55] = 255;
	CU_ASSERT_EQUAL(netpkt_parse(p, n, &l4), -EINVAL);
	p[12] = 0x88; /* not IP */
	CU_ASSERT_EQUAL(netpkt_parse(p, n, &l4), -EINVAL);
}

static void test_to_vnet(void)
{
	static uint8_t p[2000];
	struct netpkt_meta m = {.csum_blank = 1, .gso_type = PV_NETIF_GSO_TYPE_TCPV4, .gso_size = 1000};
	struct virtio_net_hdr h;
	size_t n = tcp4(p, 1500);

	CU_ASSERT_EQUAL(netpkt_to_vnet(p, n, &m, &h), 0);
	CU_ASSERT_EQUAL(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CU_ASSERT_EQUAL(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	CU_ASSERT_EQUAL(h.gso_size, 1000);
	CU_ASSERT_EQUAL(h.hdr_len, 54);
	CU_ASSERT_EQUAL(h.csum_start, 34);
	CU_ASSERT_EQUAL(h.csum_offset, 16);
	m.gso_type = PV_NETIF_GSO_TYPE_TCPV6; /* does not match an IPv4 packet */
	CU_ASSERT_EQUAL(netpkt_to_vnet(p, n, &m, &h), -EINVAL);
	m = (struct netpkt_meta){.data_validated = 1};
	CU_ASSERT_EQUAL(netpkt_to_vnet(p, 10, &m, &h), 0);
	CU_ASSERT_EQUAL(h.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	m.csum_blank = 1;
	CU_ASSERT_EQUAL(netpkt_to_vnet(p, 10, &m, &h), -EINVAL);
}

static void test_from_vnet(void)
{
	struct virtio_net_hdr h = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				   .gso_type = VIRTIO_NET_HDR_GSO_TCPV6, .gso_size = 1400};
	struct netpkt_meta m;

	CU_ASSERT_EQUAL(netpkt_from_vnet(&h, &m), 0);
	CU_ASSERT(m.csum_blank && m.data_validated);
	CU_ASSERT_EQUAL(m.gso_type, PV_NETIF_GSO_TYPE_TCPV6);
	CU_ASSERT_EQUAL(m.gso_size, 1400);
	h.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	CU_ASSERT_EQUAL(netpkt_from_vnet(&h, &m), -EOPNOTSUPP);
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN;
	CU_ASSERT_EQUAL(netpkt_from_vnet(&h, &m), -EOPNOTSUPP);
	h = (struct virtio_net_hdr){.flags = VIRTIO_NET_HDR_F_DATA_VALID};
	CU_ASSERT_EQUAL(netpkt_from_vnet(&h, &m), 0);
	CU_ASSERT(!m.csum_blank && m.data_validated);
}

static void test_csum_finish(void)
{
	/* RFC 1071's example words: sum 0xddf2, checksum 0x220d. */
	uint8_t p[10] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7, 0, 0};

	CU_ASSERT_EQUAL(netpkt_csum_finish(p, 10, 0, 8), 0);
	CU_ASSERT_EQUAL(p[8], 0x22);
	CU_ASSERT_EQUAL(p[9], 0x0d);
	CU_ASSERT_EQUAL(netpkt_csum_finish(p, 10, 4, 5), -EINVAL);
}

static void test_tap_offloads(void)
{
	CU_ASSERT_EQUAL(netpkt_tap_offloads(0, 1, 1, 1), 0);
	CU_ASSERT_EQUAL(netpkt_tap_offloads(1, 0, 0, 0), TUN_F_CSUM);
	CU_ASSERT_EQUAL(netpkt_tap_offloads(1, 1, 1, 1), TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
	/* TCPv6 GSO without IPv6 checksum offload: its packets could only be dropped. */
	CU_ASSERT_EQUAL(netpkt_tap_offloads(1, 0, 1, 1), TUN_F_CSUM | TUN_F_TSO4);
	CU_ASSERT_EQUAL(netpkt_tap_offloads(1, 1, 0, 1), TUN_F_CSUM | TUN_F_TSO6);
}

static CU_TestInfo tests[] = {
	{"bounded header walk", test_parse},
	{"netif to virtio-net header", test_to_vnet},
	{"virtio-net header to netif", test_from_vnet},
	{"software checksum", test_csum_finish},
	{"TAP offloads follow the checksum features", test_tap_offloads},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"netpkt", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

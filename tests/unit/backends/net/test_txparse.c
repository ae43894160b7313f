/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for backends/net/txparse.c: every tx packet shape a guest can
 * send (XSA-423/432/448 among them) ends READY, DROP or FATAL in bounds.
 */
#include <string.h>

#include "../../../../backends/net/datapath.h"
#include "../../../harness/cunit.h"

static struct pv_netif_tx_request slot(uint16_t id, uint16_t off, uint16_t size, uint16_t flags)
{
	return (struct pv_netif_tx_request){.gref = 100u + id, .offset = off, .flags = flags,
					    .id = id, .size = size};
}

static struct pv_netif_tx_request extra(uint8_t type, uint8_t flags, uint16_t mss, uint8_t gso)
{
	struct pv_netif_extra_info x;
	struct pv_netif_tx_request r;

	memset(&x, 0, sizeof(x));
	memset(&r, 0, sizeof(r));
	x.type = type;
	x.flags = flags;
	x.u.gso.size = mss;
	x.u.gso.type = gso;
	memcpy(&r, &x, sizeof(x));
	return r;
}

/* Feed @n slots; returns the last verdict, checking every earlier one is MORE. */
static enum netback_txp_verdict feed(struct netback_txpkt *p, const struct pv_netif_tx_request *s,
				     unsigned int n, int gso_ok)
{
	enum netback_txp_verdict v = NETBACK_TXP_MORE;

	netback_txp_reset(p);
	for (unsigned int i = 0; i < n; i++) {
		v = netback_txp_add(p, &s[i], gso_ok);
		if (i + 1 < n)
			CU_ASSERT_EQUAL(v, NETBACK_TXP_MORE);
	}
	return v;
}

static void test_single_slot(void)
{
	struct netback_txpkt p;
	struct pv_netif_tx_request s[] = {slot(7, 100, 60, PV_NETTXF_CSUM_BLANK)};
	struct pv_gnt_copy_seg segs[NETBACK_TX_MAX_SLOTS];
	static uint8_t buf[NETPKT_MAX_LEN];

	CU_ASSERT_EQUAL(feed(&p, s, 1, 1), NETBACK_TXP_READY);
	CU_ASSERT_EQUAL(p.size, 60);
	CU_ASSERT_EQUAL(p.first_len, 60);
	CU_ASSERT_EQUAL(p.nconsumed, 1);
	CU_ASSERT_EQUAL(p.ids[0], 7);
	CU_ASSERT(p.meta.csum_blank);
	CU_ASSERT_EQUAL(netback_txp_segs(&p, 3, buf, segs), 1);
	CU_ASSERT_EQUAL(segs[0].source.ref, 107);
	CU_ASSERT_EQUAL(segs[0].source.offset, 100);
	CU_ASSERT_EQUAL(segs[0].len, 60);
	CU_ASSERT_PTR_EQUAL(segs[0].dest.virt, buf);
}

static void test_multi_slot_with_gso(void)
{
	struct netback_txpkt p;
	struct pv_netif_tx_request s[] = {
		slot(1, 0, 9000, PV_NETTXF_EXTRA_INFO | PV_NETTXF_MORE_DATA),
		extra(PV_NETIF_EXTRA_TYPE_GSO, 0, 1448, PV_NETIF_GSO_TYPE_TCPV4),
		slot(2, 0, 4096, PV_NETTXF_MORE_DATA),
		slot(3, 0, 0, PV_NETTXF_MORE_DATA), /* zero-length fragment (XSA-448) */
		slot(4, 8, 808, 0),
	};
	struct pv_gnt_copy_seg segs[NETBACK_TX_MAX_SLOTS];
	static uint8_t buf[NETPKT_MAX_LEN];

	CU_ASSERT_EQUAL(feed(&p, s, 5, 1), NETBACK_TXP_READY);
	CU_ASSERT_EQUAL(p.first_len, 9000 - 4096 - 808);
	CU_ASSERT_EQUAL(p.nconsumed, 5);
	CU_ASSERT(p.is_extra[1]);
	CU_ASSERT(!p.is_extra[2]);
	CU_ASSERT_EQUAL(p.meta.gso_type, PV_NETIF_GSO_TYPE_TCPV4);
	CU_ASSERT_EQUAL(p.meta.gso_size, 1448);
	CU_ASSERT_EQUAL(netback_txp_segs(&p, 3, buf, segs), 3);
	CU_ASSERT_EQUAL(segs[2].len, 808);
	CU_ASSERT_PTR_EQUAL(segs[2].dest.virt, buf + 9000 - 808);
}

static void test_header_split_across_slots(void)
{
	/* XSA-423: the first slot holds fewer bytes than the headers; we linearise. */
	struct netback_txpkt p;
	struct pv_netif_tx_request s[] = {slot(1, 0, 80, PV_NETTXF_MORE_DATA),
					  slot(2, 0, 74, PV_NETTXF_MORE_DATA), slot(3, 0, 0, 0)};

	CU_ASSERT_EQUAL(feed(&p, s, 3, 1), NETBACK_TXP_READY);
	CU_ASSERT_EQUAL(p.first_len, 6);
}

static void test_drops(void)
{
	struct netback_txpkt p;
	struct pv_netif_tx_request runt[] = {slot(1, 0, 10, 0)};
	struct pv_netif_tx_request cross[] = {slot(1, 4000, 200, 0)};
	struct pv_netif_tx_request cross2[] = {slot(1, 0, 300, PV_NETTXF_MORE_DATA),
					       slot(2, 4090, 100, 0)};
	struct pv_netif_tx_request over[] = {slot(1, 0, 100, PV_NETTXF_MORE_DATA),
					     slot(2, 0, 200, 0)};
	struct pv_netif_tx_request badoff[] = {slot(1, 4096, 60, 0)};

	CU_ASSERT_EQUAL(feed(&p, runt, 1, 1), NETBACK_TXP_DROP);
	CU_ASSERT_EQUAL(feed(&p, cross, 1, 1), NETBACK_TXP_DROP);
	CU_ASSERT_EQUAL(feed(&p, cross2, 2, 1), NETBACK_TXP_DROP);
	CU_ASSERT_EQUAL(p.nconsumed, 2);
	CU_ASSERT_EQUAL(feed(&p, over, 2, 1), NETBACK_TXP_DROP);
	CU_ASSERT_EQUAL(feed(&p, badoff, 1, 1), NETBACK_TXP_DROP);
	CU_ASSERT_PTR_NOT_NULL(p.why);
}

static void test_too_many_slots(void)
{
	/* XSA-432 shape: many tiny pieces. 18 data slots pass, 19 drop, 64+ are fatal. */
	struct pv_netif_tx_request s[NETBACK_TX_FATAL_SLOTS + 1];
	struct netback_txpkt p;
	unsigned int i;

	for (i = 0; i < NETBACK_TX_FATAL_SLOTS + 1; i++)
		s[i] = slot((uint16_t)i, 0, 1, PV_NETTXF_MORE_DATA);
	s[0].size = 60;
	s[NETBACK_TX_MAX_SLOTS - 1].flags = 0;
	CU_ASSERT_EQUAL(feed(&p, s, NETBACK_TX_MAX_SLOTS, 1), NETBACK_TXP_READY);
	CU_ASSERT_EQUAL(p.first_len, 60 - (NETBACK_TX_MAX_SLOTS - 1));
	s[NETBACK_TX_MAX_SLOTS - 1].flags = PV_NETTXF_MORE_DATA;
	s[NETBACK_TX_MAX_SLOTS].flags = 0;
	CU_ASSERT_EQUAL(feed(&p, s, NETBACK_TX_MAX_SLOTS + 1, 1), NETBACK_TXP_DROP);
	CU_ASSERT_EQUAL(p.nconsumed, NETBACK_TX_MAX_SLOTS + 1);
	s[NETBACK_TX_MAX_SLOTS].flags = PV_NETTXF_MORE_DATA;
	CU_ASSERT_EQUAL(feed(&p, s, NETBACK_TX_FATAL_SLOTS + 1, 1), NETBACK_TXP_FATAL);
}

static void test_extras(void)
{
	struct netback_txpkt p;
	struct pv_netif_tx_request unknown[] = {slot(1, 0, 60, PV_NETTXF_EXTRA_INFO),
						extra(PV_NETIF_EXTRA_TYPE_MAX, 0, 0, 0)};
	struct pv_netif_tx_request none[] = {slot(1, 0, 60, PV_NETTXF_EXTRA_INFO),
					     extra(PV_NETIF_EXTRA_TYPE_NONE, 0, 0, 0)};
	struct pv_netif_tx_request dup[] = {
		slot(1, 0, 60, PV_NETTXF_EXTRA_INFO),
		extra(PV_NETIF_EXTRA_TYPE_GSO, PV_NETIF_EXTRA_FLAG_MORE, 1000, 1),
		extra(PV_NETIF_EXTRA_TYPE_GSO, 0, 1000, 1)};
	struct pv_netif_tx_request badgso[] = {slot(1, 0, 60, PV_NETTXF_EXTRA_INFO),
					       extra(PV_NETIF_EXTRA_TYPE_GSO, 0, 0, 1)};
	struct pv_netif_tx_request badtype[] = {slot(1, 0, 60, PV_NETTXF_EXTRA_INFO),
						extra(PV_NETIF_EXTRA_TYPE_GSO, 0, 1000, 9)};
	struct pv_netif_tx_request mcast[] = {
		slot(1, 0, 60, PV_NETTXF_EXTRA_INFO),
		extra(PV_NETIF_EXTRA_TYPE_MCAST_ADD, PV_NETIF_EXTRA_FLAG_MORE, 0, 0),
		extra(PV_NETIF_EXTRA_TYPE_HASH, 0, 0, 0)};
	struct pv_netif_tx_request endless[NETBACK_TX_FATAL_SLOTS + 1];

	CU_ASSERT_EQUAL(feed(&p, unknown, 2, 1), NETBACK_TXP_FATAL);
	CU_ASSERT_EQUAL(feed(&p, none, 2, 1), NETBACK_TXP_FATAL);
	CU_ASSERT_EQUAL(feed(&p, dup, 3, 1), NETBACK_TXP_DROP);
	CU_ASSERT_EQUAL(feed(&p, badgso, 2, 1), NETBACK_TXP_DROP);
	CU_ASSERT_EQUAL(feed(&p, badtype, 2, 1), NETBACK_TXP_DROP);
	CU_ASSERT_EQUAL(feed(&p, dup + 0, 2, 0), NETBACK_TXP_MORE); /* MORE flag set */
	CU_ASSERT_EQUAL(feed(&p, mcast, 3, 1), NETBACK_TXP_READY);
	CU_ASSERT(p.is_extra[1] && p.is_extra[2]);
	/* GSO when not negotiated is dropped. */
	{
		struct pv_netif_tx_request g[] = {slot(1, 0, 60, PV_NETTXF_EXTRA_INFO),
						  extra(PV_NETIF_EXTRA_TYPE_GSO, 0, 1000, 1)};
		CU_ASSERT_EQUAL(feed(&p, g, 2, 0), NETBACK_TXP_DROP);
	}
	/* Extras that never end: the slot bound makes it fatal. */
	endless[0] = slot(1, 0, 60, PV_NETTXF_EXTRA_INFO);
	for (unsigned int i = 1; i <= NETBACK_TX_FATAL_SLOTS; i++)
		endless[i] = extra(PV_NETIF_EXTRA_TYPE_MCAST_ADD, PV_NETIF_EXTRA_FLAG_MORE, 0, 0);
	CU_ASSERT_EQUAL(feed(&p, endless, NETBACK_TX_FATAL_SLOTS + 1, 1), NETBACK_TXP_FATAL);
}

static CU_TestInfo tests[] = {
	{"single slot", test_single_slot},
	{"multi-slot with GSO and a zero-length fragment", test_multi_slot_with_gso},
	{"header split across slots", test_header_split_across_slots},
	{"bad sizes and offsets dropped", test_drops},
	{"slot count limits", test_too_many_slots},
	{"extra-info slots", test_extras},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"netback txparse", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

/* SPDX-License-Identifier: MIT */
/*
 * ABI test: include/pvkit/proto/netif.h against Xen's io/netif.h.
 */
#include "abi_xen.h"

#include <xen/io/netif.h>

#include "pvkit/proto/netif.h"
#include "abi_check.h"

static void test_tx_rx(void)
{
	ABI_SIZE(struct pv_netif_tx_request, struct netif_tx_request);
	ABI_FIELD(struct pv_netif_tx_request, struct netif_tx_request, gref);
	ABI_FIELD(struct pv_netif_tx_request, struct netif_tx_request, offset);
	ABI_FIELD(struct pv_netif_tx_request, struct netif_tx_request, flags);
	ABI_FIELD(struct pv_netif_tx_request, struct netif_tx_request, id);
	ABI_FIELD(struct pv_netif_tx_request, struct netif_tx_request, size);
	ABI_SIZE(struct pv_netif_tx_response, struct netif_tx_response);
	ABI_FIELD(struct pv_netif_tx_response, struct netif_tx_response, id);
	ABI_FIELD(struct pv_netif_tx_response, struct netif_tx_response, status);
	ABI_SIZE(struct pv_netif_rx_request, struct netif_rx_request);
	ABI_FIELD(struct pv_netif_rx_request, struct netif_rx_request, id);
	ABI_FIELD2(struct pv_netif_rx_request, _pad, struct netif_rx_request, pad);
	ABI_FIELD(struct pv_netif_rx_request, struct netif_rx_request, gref);
	ABI_SIZE(struct pv_netif_rx_response, struct netif_rx_response);
	ABI_FIELD(struct pv_netif_rx_response, struct netif_rx_response, id);
	ABI_FIELD(struct pv_netif_rx_response, struct netif_rx_response, offset);
	ABI_FIELD(struct pv_netif_rx_response, struct netif_rx_response, flags);
	ABI_FIELD(struct pv_netif_rx_response, struct netif_rx_response, status);
	ABI_SIZE(union pv_netif_tx_sring_entry, union netif_tx_sring_entry);
	ABI_SIZE(union pv_netif_rx_sring_entry, union netif_rx_sring_entry);
}

static void test_extra_info(void)
{
	typedef struct pv_netif_extra_info O;
	typedef struct netif_extra_info T;

	ABI_SIZE(O, T);
	ABI_FIELD(O, T, type);
	ABI_FIELD(O, T, flags);
	ABI_FIELD(O, T, u);
	ABI_FIELD(O, T, u.gso.size);
	ABI_FIELD(O, T, u.gso.type);
	ABI_FIELD2(O, u.gso._pad, T, u.gso.pad);
	ABI_FIELD(O, T, u.gso.features);
	ABI_FIELD(O, T, u.mcast.addr);
	ABI_FIELD(O, T, u.hash.type);
	ABI_FIELD(O, T, u.hash.algorithm);
	ABI_FIELD(O, T, u.hash.value);
	ABI_FIELD2(O, u._pad, T, u.pad);
	/* It overlays both a tx request and an rx response slot. */
	ABI_EQ("sizeof(struct pv_netif_extra_info) <= rx response slot",
	       sizeof(O) <= sizeof(struct pv_netif_rx_response), 1);
}

static void test_ctrl(void)
{
	ABI_SIZE(struct pv_netif_ctrl_request, struct xen_netif_ctrl_request);
	ABI_FIELD(struct pv_netif_ctrl_request, struct xen_netif_ctrl_request, id);
	ABI_FIELD(struct pv_netif_ctrl_request, struct xen_netif_ctrl_request, type);
	ABI_FIELD(struct pv_netif_ctrl_request, struct xen_netif_ctrl_request, data);
	ABI_SIZE(struct pv_netif_ctrl_response, struct xen_netif_ctrl_response);
	ABI_FIELD(struct pv_netif_ctrl_response, struct xen_netif_ctrl_response, id);
	ABI_FIELD(struct pv_netif_ctrl_response, struct xen_netif_ctrl_response, type);
	ABI_FIELD(struct pv_netif_ctrl_response, struct xen_netif_ctrl_response, status);
	ABI_FIELD(struct pv_netif_ctrl_response, struct xen_netif_ctrl_response, data);
	ABI_SIZE(struct pv_netif_gref, struct xen_netif_gref);
	ABI_FIELD(struct pv_netif_gref, struct xen_netif_gref, ref);
	ABI_FIELD(struct pv_netif_gref, struct xen_netif_gref, flags);
	ABI_FIELD(struct pv_netif_gref, struct xen_netif_gref, status);
	ABI_SIZE(union pv_netif_ctrl_sring_entry, union xen_netif_ctrl_sring_entry);
}

static void test_flags(void)
{
	ABI_CONST(PV_NETIF_NR_SLOTS_MIN, XEN_NETIF_NR_SLOTS_MIN);
	ABI_CONST(PV_NETIF_MAX_TX_SIZE, XEN_NETIF_MAX_TX_SIZE);
	ABI_CONST(PV_NETTXF_CSUM_BLANK, NETTXF_csum_blank);
	ABI_CONST(PV_NETTXF_DATA_VALIDATED, NETTXF_data_validated);
	ABI_CONST(PV_NETTXF_MORE_DATA, NETTXF_more_data);
	ABI_CONST(PV_NETTXF_EXTRA_INFO, NETTXF_extra_info);
	ABI_CONST(PV_NETRXF_DATA_VALIDATED, NETRXF_data_validated);
	ABI_CONST(PV_NETRXF_CSUM_BLANK, NETRXF_csum_blank);
	ABI_CONST(PV_NETRXF_MORE_DATA, NETRXF_more_data);
	ABI_CONST(PV_NETRXF_EXTRA_INFO, NETRXF_extra_info);
	ABI_CONST(PV_NETRXF_GSO_PREFIX, NETRXF_gso_prefix);
	ABI_CONST(PV_NETIF_RSP_DROPPED, NETIF_RSP_DROPPED);
	ABI_CONST(PV_NETIF_RSP_ERROR, NETIF_RSP_ERROR);
	ABI_CONST(PV_NETIF_RSP_OKAY, NETIF_RSP_OKAY);
	ABI_CONST(PV_NETIF_RSP_NULL, NETIF_RSP_NULL);
	ABI_CONST(PV_NETIF_EXTRA_TYPE_NONE, XEN_NETIF_EXTRA_TYPE_NONE);
	ABI_CONST(PV_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_TYPE_GSO);
	ABI_CONST(PV_NETIF_EXTRA_TYPE_MCAST_ADD, XEN_NETIF_EXTRA_TYPE_MCAST_ADD);
	ABI_CONST(PV_NETIF_EXTRA_TYPE_MCAST_DEL, XEN_NETIF_EXTRA_TYPE_MCAST_DEL);
	ABI_CONST(PV_NETIF_EXTRA_TYPE_HASH, XEN_NETIF_EXTRA_TYPE_HASH);
	ABI_CONST(PV_NETIF_EXTRA_TYPE_MAX, XEN_NETIF_EXTRA_TYPE_MAX);
	ABI_CONST(PV_NETIF_EXTRA_FLAG_MORE, XEN_NETIF_EXTRA_FLAG_MORE);
	ABI_CONST(PV_NETIF_GSO_TYPE_NONE, XEN_NETIF_GSO_TYPE_NONE);
	ABI_CONST(PV_NETIF_GSO_TYPE_TCPV4, XEN_NETIF_GSO_TYPE_TCPV4);
	ABI_CONST(PV_NETIF_GSO_TYPE_TCPV6, XEN_NETIF_GSO_TYPE_TCPV6);
}

static void test_ctrl_constants(void)
{
	ABI_CONST(PV_NETIF_CTRL_HASH_TYPE_IPV4_BIT, _XEN_NETIF_CTRL_HASH_TYPE_IPV4);
	ABI_CONST(PV_NETIF_CTRL_HASH_TYPE_IPV4_TCP_BIT, _XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP);
	ABI_CONST(PV_NETIF_CTRL_HASH_TYPE_IPV6_BIT, _XEN_NETIF_CTRL_HASH_TYPE_IPV6);
	ABI_CONST(PV_NETIF_CTRL_HASH_TYPE_IPV6_TCP_BIT, _XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP);
	ABI_CONST(PV_NETIF_CTRL_HASH_TYPE_IPV4, XEN_NETIF_CTRL_HASH_TYPE_IPV4);
	ABI_CONST(PV_NETIF_CTRL_HASH_TYPE_IPV4_TCP, XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP);
	ABI_CONST(PV_NETIF_CTRL_HASH_TYPE_IPV6, XEN_NETIF_CTRL_HASH_TYPE_IPV6);
	ABI_CONST(PV_NETIF_CTRL_HASH_TYPE_IPV6_TCP, XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP);
	ABI_CONST(PV_NETIF_CTRL_HASH_ALGORITHM_NONE, XEN_NETIF_CTRL_HASH_ALGORITHM_NONE);
	ABI_CONST(PV_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ, XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ);
	ABI_CONST(PV_NETIF_CTRL_TYPE_INVALID, XEN_NETIF_CTRL_TYPE_INVALID);
	ABI_CONST(PV_NETIF_CTRL_TYPE_GET_HASH_FLAGS, XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS);
	ABI_CONST(PV_NETIF_CTRL_TYPE_SET_HASH_FLAGS, XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS);
	ABI_CONST(PV_NETIF_CTRL_TYPE_SET_HASH_KEY, XEN_NETIF_CTRL_TYPE_SET_HASH_KEY);
	ABI_CONST(PV_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE,
	          XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE);
	ABI_CONST(PV_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE,
	          XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE);
	ABI_CONST(PV_NETIF_CTRL_TYPE_SET_HASH_MAPPING, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING);
	ABI_CONST(PV_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM, XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM);
	ABI_CONST(PV_NETIF_CTRL_TYPE_GET_GREF_MAPPING_SIZE,
	          XEN_NETIF_CTRL_TYPE_GET_GREF_MAPPING_SIZE);
	ABI_CONST(PV_NETIF_CTRL_TYPE_ADD_GREF_MAPPING, XEN_NETIF_CTRL_TYPE_ADD_GREF_MAPPING);
	ABI_CONST(PV_NETIF_CTRL_TYPE_DEL_GREF_MAPPING, XEN_NETIF_CTRL_TYPE_DEL_GREF_MAPPING);
	ABI_CONST(PV_NETIF_CTRL_STATUS_SUCCESS, XEN_NETIF_CTRL_STATUS_SUCCESS);
	ABI_CONST(PV_NETIF_CTRL_STATUS_NOT_SUPPORTED, XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED);
	ABI_CONST(PV_NETIF_CTRL_STATUS_INVALID_PARAMETER, XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER);
	ABI_CONST(PV_NETIF_CTRL_STATUS_BUFFER_OVERFLOW, XEN_NETIF_CTRL_STATUS_BUFFER_OVERFLOW);
	ABI_CONST(PV_NETIF_CTRLF_GREF_READONLY, XEN_NETIF_CTRLF_GREF_readonly);
}

static void test_ring_sizes(void)
{
	ABI_RING(PV_NETIF_TX_RING_SIZE, netif_tx);
	ABI_RING(PV_NETIF_RX_RING_SIZE, netif_rx);
	ABI_RING(PV_NETIF_CTRL_RING_SIZE, xen_netif_ctrl);
}

CU_TestInfo abi_netif_tests[] = {
    {"tx and rx structs", test_tx_rx},
    {"extra info", test_extra_info},
    {"control ring structs", test_ctrl},
    {"flags, types and status", test_flags},
    {"control ring constants", test_ctrl_constants},
    {"ring sizes 1-16 pages", test_ring_sizes},
    CU_TEST_INFO_NULL,
};

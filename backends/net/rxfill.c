/* SPDX-License-Identifier: MIT */
/*
 * pvkit-netback: laying a received packet out over the rx buffers the
 * frontend posted: one page per slot from offset 0, the GSO extra in the
 * second slot, every response byte defined.
 */
#include <string.h>

#include "datapath.h"

static int gso_allowed(const struct netpkt_meta *m, const struct netback_rx_caps *caps)
{
	switch (m->gso_type) {
	case PV_NETIF_GSO_TYPE_NONE:
		return 1;
	case PV_NETIF_GSO_TYPE_TCPV4:
		return caps->gso_tcpv4 && m->gso_size;
	case PV_NETIF_GSO_TYPE_TCPV6:
		return caps->gso_tcpv6 && m->gso_size;
	default:
		return 0;
	}
}

unsigned int netback_rx_slots(size_t len, const struct netpkt_meta *m,
			      const struct netback_rx_caps *caps)
{
	size_t data = (len + NETBACK_PAGE_SIZE - 1) / NETBACK_PAGE_SIZE;

	if (!len || len > NETPKT_MAX_LEN || data > NETBACK_RX_MAX_SLOTS || !gso_allowed(m, caps))
		return 0;
	if (data > 1 && !caps->sg)
		return 0;
	return (unsigned int)data + (m->gso_type != PV_NETIF_GSO_TYPE_NONE);
}

static void put_extra(struct pv_netif_rx_response *slot, const struct netpkt_meta *m)
{
	struct pv_netif_extra_info x;

	memset(&x, 0, sizeof(x));
	x.type = PV_NETIF_EXTRA_TYPE_GSO;
	x.u.gso.size = m->gso_size;
	x.u.gso.type = m->gso_type;
	memcpy(slot, &x, sizeof(x));
}

unsigned int netback_rx_build(const uint8_t *data, size_t len, const struct netpkt_meta *m,
			      const struct pv_netif_rx_request *reqs, unsigned int n,
			      pv_domid_t fe, struct pv_gnt_copy_seg *segs,
			      struct pv_netif_rx_response *rsps)
{
	unsigned int nseg = 0;
	size_t at = 0;

	memset(rsps, 0, n * sizeof(*rsps));
	for (unsigned int i = 0; i < n; i++) {
		uint16_t chunk;

		if (i == 1 && m->gso_type != PV_NETIF_GSO_TYPE_NONE) {
			put_extra(&rsps[i], m);
			continue;
		}
		chunk = (uint16_t)(len - at < NETBACK_PAGE_SIZE ? len - at : NETBACK_PAGE_SIZE);
		segs[nseg++] = (struct pv_gnt_copy_seg){
			.source = {.virt = (void *)(data + at)},
			.dest = {.is_gref = 1, .domid = fe, .ref = reqs[i].gref},
			.len = chunk,
		};
		at += chunk;
		rsps[i].id = reqs[i].id;
		rsps[i].status = (int16_t)chunk;
		if (at < len)
			rsps[i].flags |= PV_NETRXF_MORE_DATA;
	}
	if (m->csum_blank)
		rsps[0].flags |= PV_NETRXF_CSUM_BLANK | PV_NETRXF_DATA_VALIDATED;
	else if (m->data_validated)
		rsps[0].flags |= PV_NETRXF_DATA_VALIDATED;
	if (m->gso_type != PV_NETIF_GSO_TYPE_NONE)
		rsps[0].flags |= PV_NETRXF_EXTRA_INFO;
	return nseg;
}

void netback_rx_fail(struct pv_netif_rx_response *rsps, unsigned int n, const struct netpkt_meta *m)
{
	for (unsigned int i = 0; i < n; i++)
		if (!(i == 1 && m->gso_type != PV_NETIF_GSO_TYPE_NONE))
			rsps[i].status = PV_NETIF_RSP_ERROR;
}

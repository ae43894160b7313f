/* SPDX-License-Identifier: MIT */
/*
 * netfront's response checks: every rx slot must answer the request posted
 * in its own ring slot, with a status that fits the page from its offset;
 * a packet spans at most NETFRONT_MAX_SLOTS data slots; the only extra we
 * take is a TCP GSO one with a size. Anything else drops the packet.
 */
#include <string.h>

#include "rspcheck.h"

void netfront_rx_reset(struct netfront_rxpkt *p)
{
	memset(p, 0, sizeof(*p));
}

static int rx_extra(struct netfront_rxpkt *p, const struct pv_netif_rx_response *rsp,
		    const char **bad)
{
	struct pv_netif_extra_info x;

	memcpy(&x, rsp, sizeof(x));
	if (x.type == PV_NETIF_EXTRA_TYPE_GSO) {
		if ((x.u.gso.type != PV_NETIF_GSO_TYPE_TCPV4 && x.u.gso.type != PV_NETIF_GSO_TYPE_TCPV6) ||
		    !x.u.gso.size) {
			*bad = "GSO extra";
			p->bad = 1;
		}
		p->meta.gso_type = x.u.gso.type;
		p->meta.gso_size = x.u.gso.size;
	} else if (x.type == PV_NETIF_EXTRA_TYPE_NONE || x.type >= PV_NETIF_EXTRA_TYPE_MAX) {
		*bad = "extra type";
		p->bad = 1;
	}
	p->extras = !!(x.flags & PV_NETIF_EXTRA_FLAG_MORE);
	return 0;
}

int netfront_rx_add(struct netfront_rxpkt *p, const struct pv_netif_rx_response *rsp,
		    unsigned int idx, const char **bad)
{
	int first = !p->nseg && !p->bad && !p->more, kept = 0;

	*bad = NULL;
	if (p->extras)
		return rx_extra(p, rsp, bad);
	if (rsp->id != idx || rsp->status <= 0 ||
	    (uint32_t)rsp->offset + (uint16_t)rsp->status > NETFRONT_PAGE ||
	    p->nseg >= NETFRONT_MAX_SLOTS) {
		if (rsp->status > 0 || rsp->id != idx)
			*bad = "rx slot";
		p->bad = 1;
	} else {
		p->off[p->nseg] = rsp->offset;
		p->cnt[p->nseg++] = (uint16_t)rsp->status;
		p->len += (uint16_t)rsp->status;
		kept = 1;
	}
	if (first) {
		p->meta.csum_blank = !!(rsp->flags & PV_NETRXF_CSUM_BLANK);
		p->meta.data_validated = !!(rsp->flags & (PV_NETRXF_DATA_VALIDATED | PV_NETRXF_CSUM_BLANK));
		p->extras = !!(rsp->flags & PV_NETRXF_EXTRA_INFO);
	}
	p->more = !!(rsp->flags & PV_NETRXF_MORE_DATA);
	return kept;
}

int netfront_tx_check(const struct pv_netif_tx_response *rsp, const uint8_t *busy, unsigned int n,
		      const char **bad)
{
	*bad = NULL;
	if (rsp->status == PV_NETIF_RSP_NULL)
		return -1;
	if (rsp->id >= n || !busy[rsp->id]) {
		*bad = "tx id not in flight";
		return -2;
	}
	return rsp->id;
}

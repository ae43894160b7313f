/* SPDX-License-Identifier: MIT */
/*
 * pvkit-netback: tx slot parsing. Each consumed slot is a private copy;
 * a packet is a first slot, its extra-info slots, then data slots while
 * NETTXF_MORE_DATA is set. Every shape a guest can send ends in READY,
 * DROP (its slots answered with errors) or FATAL, never out of bounds.
 */
#include <string.h>

#include "datapath.h"

void netback_txp_reset(struct netback_txpkt *p)
{
	memset(p, 0, sizeof(*p));
}

static void mark_drop(struct netback_txpkt *p, const char *why)
{
	if (!p->why)
		p->why = why;
}

static enum netback_txp_verdict finish(struct netback_txpkt *p)
{
	p->first_len = p->remaining;
	if (!p->why && (uint32_t)p->slots[0].offset + p->first_len > NETBACK_PAGE_SIZE)
		mark_drop(p, "first slot crosses its page");
	return p->why ? NETBACK_TXP_DROP : NETBACK_TXP_READY;
}

static enum netback_txp_verdict after_first(struct netback_txpkt *p)
{
	if (p->first_flags & PV_NETTXF_MORE_DATA) {
		p->stage = 2;
		return NETBACK_TXP_MORE;
	}
	return finish(p);
}

static enum netback_txp_verdict first_slot(struct netback_txpkt *p,
					   const struct pv_netif_tx_request *req)
{
	p->slots[0] = *req;
	p->nslots = 1;
	p->size = p->remaining = req->size;
	p->first_flags = req->flags;
	p->meta.csum_blank = !!(req->flags & PV_NETTXF_CSUM_BLANK);
	p->meta.data_validated = !!(req->flags & (PV_NETTXF_DATA_VALIDATED | PV_NETTXF_CSUM_BLANK));
	if (req->size < NETPKT_ETH_HLEN)
		mark_drop(p, "packet shorter than an Ethernet header");
	if (req->offset >= NETBACK_PAGE_SIZE)
		mark_drop(p, "first slot's offset outside its page");
	if (req->flags & PV_NETTXF_EXTRA_INFO) {
		p->stage = 1;
		return NETBACK_TXP_MORE;
	}
	return after_first(p);
}

static enum netback_txp_verdict extra_slot(struct netback_txpkt *p,
					   const struct pv_netif_tx_request *req, int gso_ok)
{
	struct pv_netif_extra_info x;

	_Static_assert(sizeof(x) <= sizeof(*req), "an extra fits a tx slot");
	memcpy(&x, req, sizeof(x));
	p->is_extra[p->nconsumed - 1] = 1;
	if (x.type == PV_NETIF_EXTRA_TYPE_NONE || x.type >= PV_NETIF_EXTRA_TYPE_MAX) {
		p->why = "unknown extra-info type";
		return NETBACK_TXP_FATAL;
	}
	if (p->extra_types & (1u << x.type))
		mark_drop(p, "extra-info type repeated");
	p->extra_types |= 1u << x.type;
	if (x.type == PV_NETIF_EXTRA_TYPE_GSO) {
		if (!gso_ok || !x.u.gso.size ||
		    (x.u.gso.type != PV_NETIF_GSO_TYPE_TCPV4 && x.u.gso.type != PV_NETIF_GSO_TYPE_TCPV6))
			mark_drop(p, "bad GSO extra");
		p->meta.gso_type = x.u.gso.type;
		p->meta.gso_size = x.u.gso.size;
	}
	/* MCAST and HASH extras carry nothing we act on: consumed and ignored. */
	if (x.flags & PV_NETIF_EXTRA_FLAG_MORE)
		return NETBACK_TXP_MORE;
	return after_first(p);
}

static enum netback_txp_verdict data_slot(struct netback_txpkt *p,
					  const struct pv_netif_tx_request *req)
{
	if (req->size > p->remaining)
		mark_drop(p, "slots larger than the packet");
	else
		p->remaining = (uint16_t)(p->remaining - req->size);
	if ((uint32_t)req->offset + req->size > NETBACK_PAGE_SIZE)
		mark_drop(p, "slot crosses its page");
	if (p->nslots < NETBACK_TX_MAX_SLOTS)
		p->slots[p->nslots++] = *req;
	else
		mark_drop(p, "too many slots in one packet");
	if (req->flags & PV_NETTXF_MORE_DATA)
		return NETBACK_TXP_MORE;
	return finish(p);
}

enum netback_txp_verdict netback_txp_add(struct netback_txpkt *p,
					 const struct pv_netif_tx_request *req, int gso_ok)
{
	if (p->nconsumed >= NETBACK_TX_FATAL_SLOTS) {
		p->why = "packet spans too many slots";
		return NETBACK_TXP_FATAL;
	}
	p->ids[p->nconsumed] = req->id;
	p->is_extra[p->nconsumed] = 0;
	p->nconsumed++;
	switch (p->stage) {
	case 0:
		return first_slot(p, req);
	case 1:
		return extra_slot(p, req, gso_ok);
	default:
		return data_slot(p, req);
	}
}

unsigned int netback_txp_segs(const struct netback_txpkt *p, pv_domid_t fe, uint8_t *buf,
			      struct pv_gnt_copy_seg *segs)
{
	unsigned int n = 0;
	size_t at = 0;

	for (unsigned int i = 0; i < p->nslots; i++) {
		uint16_t len = i ? p->slots[i].size : p->first_len;

		if (!len)
			continue; /* zero-length fragments are legal and carry nothing */
		segs[n++] = (struct pv_gnt_copy_seg){
			.source = {.is_gref = 1, .domid = fe, .ref = p->slots[i].gref,
				   .offset = p->slots[i].offset},
			.dest = {.virt = buf + at},
			.len = len,
		};
		at += len;
	}
	return n;
}

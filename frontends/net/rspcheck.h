/* SPDX-License-Identifier: MIT */
/*
 * Private to frontends/net/: netfront's checks of the backend's responses,
 * free of pools, rings and devices so the unit tests drive them directly.
 * An rx packet is assembled from the responses of consecutive ring slots
 * (data slots, GSO extras); tx responses name the request they answer.
 */
#ifndef PVKIT_NETFRONT_RSPCHECK_H
#define PVKIT_NETFRONT_RSPCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "pvkit/proto/netif.h"
#include "../../backends/net/netpkt.h"

#define NETFRONT_PAGE 4096u
#define NETFRONT_MAX_SLOTS PV_NETIF_NR_SLOTS_MIN /* data slots per packet */

/* The rx packet being assembled: where its bytes lie in the slots kept so far. */
struct netfront_rxpkt {
	uint16_t off[NETFRONT_MAX_SLOTS], cnt[NETFRONT_MAX_SLOTS];
	unsigned int nseg;    /* data slots kept (their pages hold the packet) */
	size_t len;
	struct netpkt_meta meta;
	int bad;              /* the packet is dropped at its end */
	int extras;           /* an extra-info slot comes next */
	int more;             /* another data slot comes next */
};

/* Forget the packet (the caller gives the kept slots' pages back). */
void netfront_rx_reset(struct netfront_rxpkt *p);

/*
 * Feed the response found in ring slot @idx (a private copy). Returns 1
 * when the slot's page now holds data of the packet (kept as segment
 * nseg - 1), 0 when the page goes back to the pool (an extra, or a slot
 * that failed). *@bad names a malformed response (to count and log), NULL
 * otherwise; an error status the backend reported is not malformed, but
 * the packet is dropped either way.
 */
int netfront_rx_add(struct netfront_rxpkt *p, const struct pv_netif_rx_response *rsp,
		    unsigned int idx, const char **bad);

/* The packet's last slot came: deliver it (unless p->bad) or drop it, then reset. */
static inline int netfront_rx_done(const struct netfront_rxpkt *p)
{
	return !p->extras && !p->more;
}

/*
 * Check a tx response against the @n ids in flight (@busy[id] set).
 * Returns the id it frees, -1 for an extra's slot (PV_NETIF_RSP_NULL,
 * nothing to free), -2 when malformed (*@bad says why).
 */
int netfront_tx_check(const struct pv_netif_tx_response *rsp, const uint8_t *busy, unsigned int n,
		      const char **bad);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Private to backends/net/: the pure parts of the netif datapath, free of
 * threads and devices so the unit tests drive them directly. txparse.c
 * turns copied tx requests into packets (or drops), rxfill.c lays a
 * received packet out over the rx buffers a frontend posted.
 */
#ifndef PVKIT_NETBACK_DATAPATH_H
#define PVKIT_NETBACK_DATAPATH_H

#include <stdint.h>

#include "pvkit/platform.h"
#include "pvkit/proto/netif.h"
#include "netpkt.h"

#define NETBACK_PAGE_SIZE 4096u
/* Data slots one tx packet may use (what every backend must accept). */
#define NETBACK_TX_MAX_SLOTS PV_NETIF_NR_SLOTS_MIN
/* Slots of one packet, extras included, beyond which the frontend is broken. */
#define NETBACK_TX_FATAL_SLOTS 64
/* Data slots one rx packet may use: a 64 KiB packet and its slack. */
#define NETBACK_RX_MAX_SLOTS (PV_NETIF_NR_SLOTS_MIN - 1)

enum netback_txp_verdict {
	NETBACK_TXP_MORE,  /* the packet continues in the next slot */
	NETBACK_TXP_READY, /* a valid packet: copy it in */
	NETBACK_TXP_DROP,  /* every slot consumed, answer them with errors */
	NETBACK_TXP_FATAL, /* the frontend broke the protocol: disable the vif */
};

/* One tx packet being assembled from consumed slots (our private copies). */
struct netback_txpkt {
	struct pv_netif_tx_request slots[NETBACK_TX_MAX_SLOTS]; /* data slots kept */
	unsigned int nslots;
	uint16_t first_len;   /* bytes in slots[0] (size minus the later slots) */
	uint16_t size;        /* the whole packet, from the first slot */
	uint16_t first_flags; /* PV_NETTXF_* of the first slot */
	struct netpkt_meta meta;
	/* Every consumed slot, in ring order, for the responses. */
	uint16_t ids[NETBACK_TX_FATAL_SLOTS];
	uint8_t is_extra[NETBACK_TX_FATAL_SLOTS]; /* answered with PV_NETIF_RSP_NULL */
	unsigned int nconsumed;
	/* private to the parser */
	int stage;            /* 0: first slot next, 1: extras, 2: data */
	uint16_t remaining;   /* packet bytes not claimed by later slots */
	unsigned int extra_types; /* bit per extra type seen */
	const char *why;      /* why the packet is dropped or fatal, for the log */
};

/* Forget any packet in progress. */
void netback_txp_reset(struct netback_txpkt *p);
/*
 * Feed the next consumed tx slot @req (a private copy). @gso_ok: GSO
 * extras are acceptable. Returns a verdict; after READY, DROP or FATAL the
 * caller answers p->nconsumed slots and calls netback_txp_reset().
 */
enum netback_txp_verdict netback_txp_add(struct netback_txpkt *p,
					 const struct pv_netif_tx_request *req, int gso_ok);
/*
 * Copy segments for a READY packet into @buf (NETPKT_MAX_LEN bytes) from
 * frontend @fe: at most NETBACK_TX_MAX_SLOTS written to @segs, zero-length
 * slots skipped. Returns the number of segments.
 */
unsigned int netback_txp_segs(const struct netback_txpkt *p, pv_domid_t fe, uint8_t *buf,
			      struct pv_gnt_copy_seg *segs);

/* What the frontend accepts on rx. */
struct netback_rx_caps {
	int sg;                /* feature-sg: packets over several slots */
	int gso_tcpv4, gso_tcpv6;
};

/*
 * Rx slots (data plus the GSO extra) a packet of @len bytes with @m takes,
 * or 0 when the frontend cannot take it (too large without sg, a GSO kind
 * it did not ask for, empty or over NETPKT_MAX_LEN).
 */
unsigned int netback_rx_slots(size_t len, const struct netpkt_meta *m,
			      const struct netback_rx_caps *caps);

/*
 * Lay out one packet (@data, @len bytes) over @n posted rx requests @reqs
 * (private copies; @n from netback_rx_slots()). Writes one copy segment
 * per data slot to @segs (returns how many) and @n responses to @rsps,
 * every byte defined; the GSO extra, when there is one, is the second.
 */
unsigned int netback_rx_build(const uint8_t *data, size_t len, const struct netpkt_meta *m,
			      const struct pv_netif_rx_request *reqs, unsigned int n,
			      pv_domid_t fe, struct pv_gnt_copy_seg *segs,
			      struct pv_netif_rx_response *rsps);
/* After the copy: a failed segment turns every data response of the packet into an error. */
void netback_rx_fail(struct pv_netif_rx_response *rsps, unsigned int n, const struct netpkt_meta *m);

#endif

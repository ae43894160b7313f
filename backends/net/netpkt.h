/* SPDX-License-Identifier: MIT */
/*
 * Packet metadata shared by pvkit-netback and netfront: translating between
 * the netif flags/GSO extra and the virtio-net header a TAP speaks, and the
 * bounded Ethernet/IP/TCP/UDP header walk that finds where a checksum goes.
 */
#ifndef PVKIT_NETPKT_H
#define PVKIT_NETPKT_H

#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_net.h>

#define NETPKT_ETH_HLEN 14
/* The largest packet either half handles (IP's limit plus an Ethernet and VLAN header). */
#define NETPKT_MAX_LEN (65535 + 18)

/* What travels beside a packet on the netif rings. */
struct netpkt_meta {
	uint8_t gso_type;      /* PV_NETIF_GSO_TYPE_* */
	uint16_t gso_size;     /* MSS when gso_type != NONE */
	uint8_t csum_blank;    /* the L4 checksum holds only the pseudo-header sum */
	uint8_t data_validated; /* checksums were already checked */
};

/* Where the L4 header starts and what it is; filled by netpkt_parse(). */
struct netpkt_l4 {
	uint16_t l3_proto;  /* ETH_P_IP or ETH_P_IPV6 */
	uint8_t l4_proto;   /* IPPROTO_TCP, IPPROTO_UDP or other */
	uint16_t l4_off;    /* offset of the L4 header */
	uint16_t hdr_len;   /* l4_off + the TCP/UDP header */
};

/*
 * Walk the headers of @pkt (@len bytes, our own copy): Ethernet, one
 * optional VLAN tag, IPv4 (not a later fragment) or IPv6 (with up to four
 * hop-by-hop/routing/destination option headers), TCP or UDP. Every read
 * is bounded by @len. Returns 0, or -EINVAL when the headers are truncated
 * or not ones we can place a checksum in.
 */
int netpkt_parse(const uint8_t *pkt, size_t len, struct netpkt_l4 *l4);

/*
 * The virtio-net header for sending @pkt with @m (guest tx to a TAP, or rx
 * into a guest's TAP). Returns 0, or -EINVAL when csum_blank or GSO needs a
 * header walk that fails, or the GSO type does not match the packet.
 */
int netpkt_to_vnet(const uint8_t *pkt, size_t len, const struct netpkt_meta *m,
		   struct virtio_net_hdr *h);

/*
 * The netif metadata of a packet read from a TAP with header @h. Returns 0,
 * or -EOPNOTSUPP for GSO kinds netif cannot carry (UDP, ECN).
 */
int netpkt_from_vnet(const struct virtio_net_hdr *h, struct netpkt_meta *m);

/*
 * Finish a partial checksum in software: sum @pkt from @start to the end
 * (the field at @start + @off holds the pseudo-header seed) and store the
 * result there. Returns 0 or -EINVAL when the field lies outside @len.
 */
int netpkt_csum_finish(uint8_t *pkt, size_t len, uint16_t start, uint16_t off);

/*
 * TUNSETOFFLOAD flags for a TAP whose packets go to a peer that takes
 * partial checksums (@csum; @ipv6_csum: for IPv6 too) and TCP segmentation
 * offload (@tso4, @tso6). Segmentation needs its family's checksum offload,
 * as Linux's netdev core insists (no TSO6 without IPv6 checksum offload):
 * a GSO packet with a partial checksum cannot be finished in software.
 */
unsigned int netpkt_tap_offloads(int csum, int ipv6_csum, int tso4, int tso6);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Packet metadata shared by pvkit-netback and netfront: netif flags and GSO
 * extras to and from virtio-net headers, a bounded header walk, checksums.
 */
#include <errno.h>
#include <string.h>

#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <netinet/in.h>

#include "pvkit/proto/netif.h"
#include "netpkt.h"

#define IPV6_HLEN 40
#define MAX_IPV6_EXT 4

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int parse_ipv4(const uint8_t *p, size_t len, size_t off, struct netpkt_l4 *l4)
{
	size_t ihl;

	if (len < off + 20 || (p[off] >> 4) != 4)
		return -EINVAL;
	ihl = (size_t)(p[off] & 0xf) * 4;
	if (ihl < 20 || len < off + ihl)
		return -EINVAL;
	if (get16(p + off + 6) & 0x1fff)
		return -EINVAL; /* a later fragment carries no L4 header */
	l4->l4_proto = p[off + 9];
	l4->l4_off = (uint16_t)(off + ihl);
	return 0;
}

static int parse_ipv6(const uint8_t *p, size_t len, size_t off, struct netpkt_l4 *l4)
{
	uint8_t next;

	if (len < off + IPV6_HLEN || (p[off] >> 4) != 6)
		return -EINVAL;
	next = p[off + 6];
	off += IPV6_HLEN;
	for (int i = 0; i < MAX_IPV6_EXT; i++) {
		if (next != 0 && next != 43 && next != 60)
			break; /* not hop-by-hop, routing or destination options */
		if (len < off + 8)
			return -EINVAL;
		next = p[off];
		off += ((size_t)p[off + 1] + 1) * 8;
	}
	if (off > len)
		return -EINVAL;
	l4->l4_proto = next;
	l4->l4_off = (uint16_t)off;
	return 0;
}

int netpkt_parse(const uint8_t *pkt, size_t len, struct netpkt_l4 *l4)
{
	size_t off = NETPKT_ETH_HLEN, l4len;
	uint16_t proto;
	int rc;

	memset(l4, 0, sizeof(*l4));
	if (len < NETPKT_ETH_HLEN || len > NETPKT_MAX_LEN)
		return -EINVAL;
	proto = get16(pkt + 12);
	if (proto == ETH_P_8021Q) {
		if (len < off + 4)
			return -EINVAL;
		proto = get16(pkt + 16);
		off += 4;
	}
	if (proto == ETH_P_IP)
		rc = parse_ipv4(pkt, len, off, l4);
	else if (proto == ETH_P_IPV6)
		rc = parse_ipv6(pkt, len, off, l4);
	else
		rc = -EINVAL;
	if (rc < 0)
		return rc;
	l4->l3_proto = proto;
	if (l4->l4_proto == IPPROTO_TCP) {
		if (len < (size_t)l4->l4_off + 20)
			return -EINVAL;
		l4len = (size_t)(pkt[l4->l4_off + 12] >> 4) * 4;
		if (l4len < 20)
			return -EINVAL;
	} else if (l4->l4_proto == IPPROTO_UDP) {
		l4len = 8;
	} else {
		return -EINVAL;
	}
	if (len < (size_t)l4->l4_off + l4len)
		return -EINVAL;
	l4->hdr_len = (uint16_t)(l4->l4_off + l4len);
	return 0;
}

static int gso_to_vnet(const struct netpkt_meta *m, const struct netpkt_l4 *l4,
		       struct virtio_net_hdr *h)
{
	if (l4->l4_proto != IPPROTO_TCP || !m->gso_size)
		return -EINVAL;
	if (m->gso_type == PV_NETIF_GSO_TYPE_TCPV4 && l4->l3_proto == ETH_P_IP)
		h->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	else if (m->gso_type == PV_NETIF_GSO_TYPE_TCPV6 && l4->l3_proto == ETH_P_IPV6)
		h->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	else
		return -EINVAL;
	h->gso_size = m->gso_size;
	h->hdr_len = l4->hdr_len;
	return 0;
}

int netpkt_to_vnet(const uint8_t *pkt, size_t len, const struct netpkt_meta *m,
		   struct virtio_net_hdr *h)
{
	struct netpkt_l4 l4;
	int rc;

	memset(h, 0, sizeof(*h));
	if (!m->csum_blank && m->gso_type == PV_NETIF_GSO_TYPE_NONE) {
		if (m->data_validated)
			h->flags = VIRTIO_NET_HDR_F_DATA_VALID;
		return 0;
	}
	/* GSO needs the checksum set up too: segments get their own checksums. */
	rc = netpkt_parse(pkt, len, &l4);
	if (rc < 0)
		return rc;
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = l4.l4_off;
	h->csum_offset = l4.l4_proto == IPPROTO_TCP ? 16 : 6;
	if (m->gso_type != PV_NETIF_GSO_TYPE_NONE)
		return gso_to_vnet(m, &l4, h);
	return 0;
}

int netpkt_from_vnet(const struct virtio_net_hdr *h, struct netpkt_meta *m)
{
	memset(m, 0, sizeof(*m));
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		m->csum_blank = m->data_validated = 1;
	else if (h->flags & VIRTIO_NET_HDR_F_DATA_VALID)
		m->data_validated = 1;
	switch (h->gso_type) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return 0;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		m->gso_type = PV_NETIF_GSO_TYPE_TCPV4;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		m->gso_type = PV_NETIF_GSO_TYPE_TCPV6;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (!h->gso_size)
		return -EOPNOTSUPP;
	m->gso_size = h->gso_size;
	return 0;
}

int netpkt_csum_finish(uint8_t *pkt, size_t len, uint16_t start, uint16_t off)
{
	uint64_t sum = 0;
	size_t i;
	uint16_t c;

	if ((size_t)start + off + 2 > len)
		return -EINVAL;
	for (i = start; i + 1 < len; i += 2)
		sum += get16(pkt + i);
	if (i < len)
		sum += (uint32_t)pkt[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	c = (uint16_t)~sum;
	pkt[start + off] = (uint8_t)(c >> 8);
	pkt[start + off + 1] = (uint8_t)c;
	return 0;
}

unsigned int netpkt_tap_offloads(int csum, int ipv6_csum, int tso4, int tso6)
{
	unsigned int f;

	if (!csum)
		return 0;
	f = TUN_F_CSUM;
	if (tso4)
		f |= TUN_F_TSO4;
	if (tso6 && ipv6_csum)
		f |= TUN_F_TSO6;
	return f;
}

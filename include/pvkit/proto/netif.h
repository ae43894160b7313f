/* SPDX-License-Identifier: MIT */
/*
 * Wire ABI: the para-virtual network protocol (the layout of Xen's
 * io/netif.h): tx and rx rings, extra-info slots, the control ring, keys.
 *
 * A vif has two rings. On the tx ring the frontend (guest) posts packets it
 * sends: each slot names a granted buffer; the backend copies them out and
 * answers with a tx response. On the rx ring the frontend posts empty
 * granted pages; the backend copies received packets into them and answers
 * with an rx response carrying offset, size and flags. All messages are
 * made of 8- or 12-byte slots with no 64-bit fields, so one layout serves
 * every guest width.
 *
 * Xenstore keys
 * =============
 * "B" keys are under /local/domain/<be>/backend/vif/<fe>/<id>/, "F" keys
 * under /local/domain/<fe>/device/vif/<id>/. Booleans are "0" or "1".
 *
 * Backend keys
 *   key                                values        default  notes
 *   handle                             uint32        -        vif number (toolstack)
 *   mac                                "xx:..:xx"    -        the guest's MAC (toolstack)
 *   bridge / script / ip               strings       -        for the hotplug script
 *   feature-sg                         0 | 1         0        accepts multi-slot packets
 *   feature-gso-tcpv4                  0 | 1         0        accepts TCPv4 GSO extras
 *   feature-gso-tcpv6                  0 | 1         0        accepts TCPv6 GSO extras
 *   feature-ipv6-csum-offload          0 | 1         0        IPv6 checksum offload
 *   feature-rx-copy                    0 | 1         0        fills rx pages by copy
 *   feature-rx-flip                    0 | 1         0        page flipping (obsolete)
 *   feature-multicast-control          0 | 1         0        accepts MCAST extras
 *   feature-dynamic-multicast-control  0 | 1         0        may be toggled while connected
 *   feature-split-event-channels       0 | 1         0        separate tx and rx channels
 *   feature-ctrl-ring                  0 | 1         0        a control ring may be set up
 *   multi-queue-max-queues             uint32        1        queue pairs offered
 *   hotplug-status                     "connected"   -        hotplug script is done
 *
 * Frontend keys
 *   key                         values      default  notes
 *   tx-ring-ref / rx-ring-ref   grant ref   -        one page each
 *   event-channel               port        -        both rings on one channel
 *   event-channel-tx / -rx      port        -        with feature-split-event-channels
 *   multi-queue-num-queues      uint32      1        when > 1 the ring and channel
 *                                                    keys move under queue-<N>/
 *   ctrl-ring-ref               grant ref   -        with feature-ctrl-ring
 *   event-channel-ctrl          port        -        the control ring's channel
 *   request-rx-copy             0 | 1       0        must be 1 for rx-copy backends
 *   feature-rx-notify           0 | 1       0        frontend kicks after posting rx
 *   feature-sg                  0 | 1       0        accepts multi-slot rx packets
 *   feature-gso-tcpv4 / -tcpv6  0 | 1       0        accepts GSO extras on rx
 *   feature-gso-tcpv4-prefix    0 | 1       0        GSO info in a prefix slot (old)
 *   feature-no-csum-offload     0 | 1       0        1: send full checksums
 *   feature-ipv6-csum-offload   0 | 1       0        handles partial IPv6 checksums
 *   request-multicast-control   0 | 1       0        backend filters by MCAST extras
 *   mtu                         uint32      1500     (toolstack; advice only)
 *   trusted                     0 | 1       1        0: guard against this backend
 *
 * A packet uses at most PV_NETIF_NR_SLOTS_MIN slots unless the peers agree
 * otherwise; a backend must accept that many.
 *
 * Slot layouts (octets)
 *
 *   tx request (12)   0 gref(4)  4 offset(2)  6 flags(2) NETTXF_*
 *                     8 id(2)   10 size(2)   first slot: whole packet size
 *   tx response (4)   0 id(2)    2 status(2) PV_NETIF_RSP_*
 *   rx request (8)    0 id(2)    2 pad(2)    4 gref(4)
 *   rx response (8)   0 id(2)    2 offset(2) 4 flags(2) NETRXF_*
 *                     6 status(2) > 0: bytes received, else PV_NETIF_RSP_*
 *   extra info (8)    0 type(1)  1 flags(1)  2 type-specific(6)
 *     GSO             2 size(2) MSS  4 gso type(1)  5 pad  6 features(2)
 *     MCAST_ADD/DEL   2 addr[6]
 *     HASH            2 hash type(1)  3 algorithm(1)  4 value[4]
 *
 * A first tx slot with NETTXF_EXTRA_INFO is followed by extra-info slots
 * (each with PV_NETIF_EXTRA_FLAG_MORE but the last), then by the packet's
 * further slots while NETTXF_MORE_DATA is set. rx works the same with
 * NETRXF_*; an extra-info slot on rx takes the slot of a consumed request,
 * so responses must stay in their request's slot.
 *
 * Control ring (feature-ctrl-ring): 16-byte requests (id, type, data[3]),
 * 12-byte responses (id, type, status, data), one page.
 */
#ifndef PVKIT_PROTO_NETIF_H
#define PVKIT_PROTO_NETIF_H

#include <stddef.h>
#include <stdint.h>

#include "grant_table.h"
#include "ring.h"

/* Slots a backend must accept for one packet. */
#define PV_NETIF_NR_SLOTS_MIN 18
/* Largest tx packet (size is 16 bits). */
#define PV_NETIF_MAX_TX_SIZE 0xFFFF

/* tx request flags. */
#define PV_NETTXF_CSUM_BLANK     (1u << 0) /* checksum to be filled in */
#define PV_NETTXF_DATA_VALIDATED (1u << 1) /* checksum already checked */
#define PV_NETTXF_MORE_DATA      (1u << 2) /* another slot follows */
#define PV_NETTXF_EXTRA_INFO     (1u << 3) /* extra-info slots follow */

/* rx response flags. */
#define PV_NETRXF_DATA_VALIDATED (1u << 0)
#define PV_NETRXF_CSUM_BLANK     (1u << 1)
#define PV_NETRXF_MORE_DATA      (1u << 2)
#define PV_NETRXF_EXTRA_INFO     (1u << 3)
#define PV_NETRXF_GSO_PREFIX     (1u << 4) /* GSO info in a prefix slot (old) */

/* Response status. */
#define PV_NETIF_RSP_DROPPED (-2)
#define PV_NETIF_RSP_ERROR   (-1)
#define PV_NETIF_RSP_OKAY    0
#define PV_NETIF_RSP_NULL    1 /* no response: a slot used by an extra */

/* Extra-info types and flags. */
#define PV_NETIF_EXTRA_TYPE_NONE      0 /* never valid */
#define PV_NETIF_EXTRA_TYPE_GSO       1
#define PV_NETIF_EXTRA_TYPE_MCAST_ADD 2
#define PV_NETIF_EXTRA_TYPE_MCAST_DEL 3
#define PV_NETIF_EXTRA_TYPE_HASH      4
#define PV_NETIF_EXTRA_TYPE_MAX       5
#define PV_NETIF_EXTRA_FLAG_MORE      (1u << 0)

/* GSO types. */
#define PV_NETIF_GSO_TYPE_NONE  0
#define PV_NETIF_GSO_TYPE_TCPV4 1
#define PV_NETIF_GSO_TYPE_TCPV6 2

/* Hash types (bit numbers and masks) and algorithms of the control ring. */
#define PV_NETIF_CTRL_HASH_TYPE_IPV4_BIT     0
#define PV_NETIF_CTRL_HASH_TYPE_IPV4_TCP_BIT 1
#define PV_NETIF_CTRL_HASH_TYPE_IPV6_BIT     2
#define PV_NETIF_CTRL_HASH_TYPE_IPV6_TCP_BIT 3
#define PV_NETIF_CTRL_HASH_TYPE_IPV4         (1u << PV_NETIF_CTRL_HASH_TYPE_IPV4_BIT)
#define PV_NETIF_CTRL_HASH_TYPE_IPV4_TCP     (1u << PV_NETIF_CTRL_HASH_TYPE_IPV4_TCP_BIT)
#define PV_NETIF_CTRL_HASH_TYPE_IPV6         (1u << PV_NETIF_CTRL_HASH_TYPE_IPV6_BIT)
#define PV_NETIF_CTRL_HASH_TYPE_IPV6_TCP     (1u << PV_NETIF_CTRL_HASH_TYPE_IPV6_TCP_BIT)

#define PV_NETIF_CTRL_HASH_ALGORITHM_NONE     0
#define PV_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ 1

/* Control ring message types. */
#define PV_NETIF_CTRL_TYPE_INVALID               0
#define PV_NETIF_CTRL_TYPE_GET_HASH_FLAGS        1
#define PV_NETIF_CTRL_TYPE_SET_HASH_FLAGS        2
#define PV_NETIF_CTRL_TYPE_SET_HASH_KEY          3
#define PV_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE 4
#define PV_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE 5
#define PV_NETIF_CTRL_TYPE_SET_HASH_MAPPING      6
#define PV_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM    7
#define PV_NETIF_CTRL_TYPE_GET_GREF_MAPPING_SIZE 8
#define PV_NETIF_CTRL_TYPE_ADD_GREF_MAPPING      9
#define PV_NETIF_CTRL_TYPE_DEL_GREF_MAPPING      10

/* Control ring response status. */
#define PV_NETIF_CTRL_STATUS_SUCCESS           0
#define PV_NETIF_CTRL_STATUS_NOT_SUPPORTED     1
#define PV_NETIF_CTRL_STATUS_INVALID_PARAMETER 2
#define PV_NETIF_CTRL_STATUS_BUFFER_OVERFLOW   3

/* struct pv_netif_gref.flags */
#define PV_NETIF_CTRLF_GREF_READONLY (1u << 0)

struct pv_netif_tx_request {
	pv_grant_ref_t gref; /* the buffer's page */
	uint16_t offset;     /* of the data in that page */
	uint16_t flags;      /* PV_NETTXF_* */
	uint16_t id;         /* echoed in the response */
	uint16_t size;       /* first slot: packet size; others: slot size */
};

struct pv_netif_tx_response {
	uint16_t id;
	int16_t status; /* PV_NETIF_RSP_* */
};

struct pv_netif_rx_request {
	uint16_t id; /* echoed in the response */
	uint16_t _pad;
	pv_grant_ref_t gref; /* an empty page for the backend to fill */
};

struct pv_netif_rx_response {
	uint16_t id;
	uint16_t offset; /* of the data in the page */
	uint16_t flags;  /* PV_NETRXF_* */
	int16_t status;  /* > 0: bytes; <= 0: PV_NETIF_RSP_* */
};

/* Overlays a tx request or rx response slot; fits in 8 bytes. */
struct pv_netif_extra_info {
	uint8_t type;  /* PV_NETIF_EXTRA_TYPE_* */
	uint8_t flags; /* PV_NETIF_EXTRA_FLAG_* */
	union {
		struct {
			uint16_t size; /* MSS */
			uint8_t type;  /* PV_NETIF_GSO_TYPE_* */
			uint8_t _pad;
			uint16_t features;
		} gso;
		struct {
			uint8_t addr[6];
		} mcast;
		struct {
			uint8_t type;      /* PV_NETIF_CTRL_HASH_TYPE_* bit number */
			uint8_t algorithm; /* PV_NETIF_CTRL_HASH_ALGORITHM_* */
			uint8_t value[4];
		} hash;
		uint16_t _pad[3];
	} u;
};

struct pv_netif_ctrl_request {
	uint16_t id;
	uint16_t type; /* PV_NETIF_CTRL_TYPE_* */
	uint32_t data[3];
};

struct pv_netif_ctrl_response {
	uint16_t id;
	uint16_t type;
	uint32_t status; /* PV_NETIF_CTRL_STATUS_* */
	uint32_t data;
};

/* An entry of the page granted with ADD/DEL_GREF_MAPPING. */
struct pv_netif_gref {
	pv_grant_ref_t ref;
	uint16_t flags;  /* PV_NETIF_CTRLF_GREF_* */
	uint16_t status; /* PV_NETIF_CTRL_STATUS_* */
};

union pv_netif_tx_sring_entry {
	struct pv_netif_tx_request req;
	struct pv_netif_tx_response rsp;
};

union pv_netif_rx_sring_entry {
	struct pv_netif_rx_request req;
	struct pv_netif_rx_response rsp;
};

union pv_netif_ctrl_sring_entry {
	struct pv_netif_ctrl_request req;
	struct pv_netif_ctrl_response rsp;
};

/* Slots per ring of @pages pages (one page: tx 256, rx 256, ctrl 128). */
#define PV_NETIF_TX_RING_SIZE(pages) PV_RING_SIZE((pages), sizeof(union pv_netif_tx_sring_entry))
#define PV_NETIF_RX_RING_SIZE(pages) PV_RING_SIZE((pages), sizeof(union pv_netif_rx_sring_entry))
#define PV_NETIF_CTRL_RING_SIZE(pages)                                                             \
	PV_RING_SIZE((pages), sizeof(union pv_netif_ctrl_sring_entry))

_Static_assert(sizeof(struct pv_netif_tx_request) == 12, "netif tx request");
_Static_assert(sizeof(struct pv_netif_tx_response) == 4, "netif tx response");
_Static_assert(sizeof(struct pv_netif_rx_request) == 8, "netif rx request");
_Static_assert(sizeof(struct pv_netif_rx_response) == 8, "netif rx response");
_Static_assert(sizeof(struct pv_netif_extra_info) == 8, "netif extra info");
_Static_assert(sizeof(struct pv_netif_ctrl_request) == 16, "netif ctrl request");
_Static_assert(sizeof(struct pv_netif_ctrl_response) == 12, "netif ctrl response");
_Static_assert(sizeof(struct pv_netif_gref) == 8, "netif gref");

#endif

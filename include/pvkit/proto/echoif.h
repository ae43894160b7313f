/* SPDX-License-Identifier: MIT */
/*
 * Wire ABI: echoif, pvkit's template device class. A frontend sends
 * requests naming data in a granted page; the backend transforms the data
 * in place and answers. It exists to show, in the smallest complete form,
 * what every class driver does: a shared ring, grants, an event channel
 * and the XenbusState handshake. Block, net and console follow its shape.
 *
 * Xenstore (frontend directory /local/domain/<F>/device/echo/<devid>)
 *   key           values          default  notes
 *   ring-ref      grant reference  -       the one ring page, granted to the backend
 *   event-channel port             -       allocated unbound for the backend
 *   state         XenbusState      -
 * Xenstore (backend directory /local/domain/<B>/backend/echo/<F>/<devid>)
 *   key           values          default  notes
 *   max-len       1..4096         4096     longest data a request may name
 *   state         XenbusState      -
 *
 * Handshake: backend InitWait; frontend shares the ring, allocates the
 * channel, writes ring-ref and event-channel, Initialised; backend maps and
 * binds, Connected; frontend Connected. A backend that restarts writes
 * InitWait again: a connected frontend then tears its ring down, sets up a
 * new one and re-issues every request not yet answered.
 *
 * Request (24 octets)            Response (16 octets)
 *   0   id      u64                0   id      u64  the request's id
 *   8   gref    u32 data page      8   status  i16  PV_ECHOIF_RSP_*
 *   12  offset  u16 in the page    10  len     u16  bytes transformed
 *   14  len     u16 1..max-len     12  sum     u32  sum of the bytes before
 *   16  op      u8  PV_ECHOIF_OP_*
 *   17  key     u8  XOR key
 *   18  pad[6]  zero
 * offset + len must not pass the end of the page.
 */
#ifndef PVKIT_PROTO_ECHOIF_H
#define PVKIT_PROTO_ECHOIF_H

#include <stdint.h>

#include "pvkit/proto/ring.h"

#define PV_ECHOIF_OP_XOR 1 /* data[i] ^= key, in place (page granted writable) */
#define PV_ECHOIF_OP_SUM 2 /* only sum the data (page may be read-only) */

#define PV_ECHOIF_RSP_OKAY  0
#define PV_ECHOIF_RSP_ERROR (-1)
#define PV_ECHOIF_RSP_EOPNOTSUPP (-2)

#define PV_ECHOIF_MAX_LEN 4096u

struct pv_echoif_request {
	uint64_t id;
	uint32_t gref;
	uint16_t offset;
	uint16_t len;
	uint8_t op;
	uint8_t key;
	uint8_t pad[6];
};

struct pv_echoif_response {
	uint64_t id;
	int16_t status;
	uint16_t len;
	uint32_t sum;
};

_Static_assert(sizeof(struct pv_echoif_request) == 24, "echoif request is 24 octets");
_Static_assert(sizeof(struct pv_echoif_response) == 16, "echoif response is 16 octets");

union pv_echoif_sring_entry {
	struct pv_echoif_request req;
	struct pv_echoif_response rsp;
};

#define PV_ECHOIF_RING_SIZE(pages) PV_RING_SIZE((pages), sizeof(union pv_echoif_sring_entry))

#endif

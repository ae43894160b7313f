/* SPDX-License-Identifier: MIT */
/*
 * Wire ABI: the para-virtual console page (the layout of Xen's io/console.h):
 * two byte rings, guest input and guest output, in one shared page.
 *
 * The page is one 4096-byte frame the guest shares with the console
 * backend. "in" carries bytes typed by the user to the guest (backend
 * produces, guest consumes); "out" carries the guest's output (guest
 * produces, backend consumes). Indices are free-running 32-bit counters;
 * byte i of a ring is ring[i & (size - 1)]. A producer writes bytes, then a
 * write barrier, then its *_prod; a consumer reads *_prod, a read barrier,
 * the bytes, then a full barrier before publishing *_cons. A peer's prod
 * more than the ring size ahead of cons is a protocol error.
 *
 *   offset  size  field
 *   0       1024  in[]       user -> guest
 *   1024    2048  out[]      guest -> user
 *   3072    4     in_cons    written by the guest
 *   3076    4     in_prod    written by the backend
 *   3080    4     out_cons   written by the backend
 *   3084    4     out_prod   written by the guest
 *
 * Xenstore keys
 * =============
 * The first console of a domain lives at /local/domain/<fe>/console/ (its
 * page and port are set up by the domain builder); further ones are
 * ordinary devices under device/console/<id>/ with a backend at
 * /local/domain/<be>/backend/console/<fe>/<id>/.
 *
 * Frontend keys
 *   key            values              default  notes
 *   ring-ref       frame | grant ref   -        first console: the page's frame
 *                                               number; others: a grant ref
 *   port           port                -        the console's event channel
 *   limit          uint32              -        bytes the backend logs (toolstack)
 *   type           "xenconsoled","ioemu" -      which backend serves it
 *   output         "pty", "file:..."   "pty"    where output goes (ioemu)
 *   tty            path                -        written by the backend: the pty
 *
 * Backend keys (consoles after the first)
 *   key            values     default  notes
 *   frontend-id    domid      -        the guest
 *   protocol       "vt100"    -        terminal type (advice)
 */
#ifndef PVKIT_PROTO_CONSOLE_H
#define PVKIT_PROTO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#define PV_XENCONS_IN_SIZE  1024u
#define PV_XENCONS_OUT_SIZE 2048u

typedef uint32_t pv_xencons_idx_t;

struct pv_xencons_interface {
	uint8_t in[PV_XENCONS_IN_SIZE];
	uint8_t out[PV_XENCONS_OUT_SIZE];
	pv_xencons_idx_t in_cons, in_prod;
	pv_xencons_idx_t out_cons, out_prod;
};

/* Position of index @idx in ring @ring (an array member of the interface). */
#define PV_XENCONS_MASK(idx, ring) ((idx) & (sizeof(ring) - 1))

_Static_assert(sizeof(struct pv_xencons_interface) == 3088, "console interface is 3088 bytes");
_Static_assert(offsetof(struct pv_xencons_interface, out_prod) == 3084, "out_prod at 3084");

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Wire ABI: the shared ring page(s) used by every split driver (Xen's
 * io/ring.h layout). One or more contiguous pages hold a 64-byte header and
 * an array of slots; each slot is a union of the class's request and
 * response. Indices are free-running 32-bit counters; a slot is
 * ring[idx & (nr_ents - 1)].
 *
 *   offset  size  field
 *   0       4     req_prod   requests produced by the frontend
 *   4       4     req_event  frontend: notify me when req_prod passes this
 *   8       4     rsp_prod   responses produced by the backend
 *   12      4     rsp_event  backend: notify me when rsp_prod passes this
 *   16      4     pvt        class-private (netif: smartpoll_active)
 *   20      44    pad
 *   64      ...   ring[nr_ents]
 *
 * nr_ents is the largest power of two such that nr_ents slots fit in the
 * pages after the header: PV_RING_SIZE(pages, slot_size).
 *
 * Event suppression: a producer notifies its peer only when the new
 * producer index passes the peer's *_event (see ring/ for the exact rule).
 */
#ifndef PVKIT_PROTO_RING_H
#define PVKIT_PROTO_RING_H

#include <stdint.h>

typedef uint32_t pv_ring_idx_t;

#define PV_RING_HEADER_SIZE 64u

/* The header of a shared ring; the slots follow at offset 64. */
struct pv_sring_hdr {
	pv_ring_idx_t req_prod;
	pv_ring_idx_t req_event;
	pv_ring_idx_t rsp_prod;
	pv_ring_idx_t rsp_event;
	union {
		struct {
			uint8_t smartpoll_active;
		} netif;
		struct {
			uint8_t msg;
		} tapif_user;
		uint8_t pvt_pad[4];
	} pvt;
	uint8_t pad[44];
};

_Static_assert(sizeof(struct pv_sring_hdr) == PV_RING_HEADER_SIZE, "sring header is 64 bytes");

/* Largest power of two not above @x (0 for 0). */
static inline uint32_t pv_ring_rounddown_pow2(uint32_t x)
{
	uint32_t r = 1;

	if (!x)
		return 0;
	while (r <= x / 2)
		r <<= 1;
	return r;
}

/* Slots in a ring of @bytes (pages * 4096) whose slot is @slot_size bytes. */
static inline uint32_t pv_ring_size_bytes(uint32_t bytes, uint32_t slot_size)
{
	if (bytes <= PV_RING_HEADER_SIZE || !slot_size)
		return 0;
	return pv_ring_rounddown_pow2((bytes - PV_RING_HEADER_SIZE) / slot_size);
}

#define PV_RING_SIZE(pages, slot_size) pv_ring_size_bytes((uint32_t)(pages) * 4096u, (slot_size))

/* Maximum ring-page-order a pvkit driver offers or accepts (16 pages). */
#define PV_RING_MAX_PAGE_ORDER 4
#define PV_RING_MAX_PAGES      (1u << PV_RING_MAX_PAGE_ORDER)

#endif

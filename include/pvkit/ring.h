/* SPDX-License-Identifier: MIT */
/*
 * Typed shared rings for both halves of a split driver, wire-compatible
 * with Xen's io/ring.h (layout in pvkit/proto/ring.h, same index rules).
 *
 * A ring is one to PV_RING_MAX_PAGES contiguous pages: a 64-byte header
 * (req_prod, req_event, rsp_prod, rsp_event) and nr_ents slots, each the
 * size of the union of the class's request and response. The frontend
 * produces requests and consumes responses; the backend consumes requests
 * and produces responses into the slots those requests occupied. Indices
 * are free-running 32-bit counters (they wrap at 2^32); slot i is
 * ring[i & (nr_ents - 1)].
 *
 * Rules this module enforces, so that drivers cannot forget them:
 *  - Consumption hands out private copies, never pointers into shared
 *    memory: validate the copy, never the slot (XSA-155).
 *  - A peer's producer index is bounded before use: a frontend whose
 *    req_prod claims more requests than fit, or a backend whose rsp_prod
 *    claims more responses than requests outstanding (ahead or behind),
 *    is a protocol error: -EPROTO, sticky for the life of the ring.
 *  - A produced slot is fully defined: bytes past the message in a slot
 *    are zeroed (XSA-216).
 *  - Event suppression is Xen's: a producer notifies when the new
 *    producer index passes the peer's *_event; a consumer about to sleep
 *    re-arms its *_event at cons + 1 and checks once more.
 *
 * Threading: a struct pv_ring_front or pv_ring_back is owned by one thread
 * at a time (the caller serialises); the two halves run concurrently, in
 * different threads, processes or domains.
 *
 * Typical frontend loop:
 *     while (have work && pv_ring_front_free(r))  pv_ring_front_put(r, &req);
 *     if (pv_ring_front_push(r) > 0)               notify the backend;
 *     ...on an event: while ((n = pv_ring_front_get_response(r, &rsp)) > 0) handle(&rsp);
 *     then pv_ring_front_final_check(r): > 0 means loop again, 0 means sleep.
 * The backend is the mirror image (get_request / put / push / final_check).
 */
#ifndef PVKIT_RING_H
#define PVKIT_RING_H

#include <stddef.h>
#include <stdint.h>

#include "pvkit/proto/ring.h"

/*
 * The sizes a ring is built from: the slot (sizeof the request/response
 * union) and the two messages. PV_RING_SHAPE(req_t, rsp_t) fills it in.
 */
struct pv_ring_shape {
	uint32_t slot_size;
	uint32_t req_size;
	uint32_t rsp_size;
};

#define PV_RING_SHAPE(req_type, rsp_type)                                                          \
	((struct pv_ring_shape){                                                                   \
		.slot_size = sizeof(union {                                                        \
			req_type req;                                                              \
			rsp_type rsp;                                                              \
		}),                                                                                \
		.req_size = sizeof(req_type),                                                      \
		.rsp_size = sizeof(rsp_type),                                                      \
	})

/*
 * One half's private view of a ring (Xen: front_ring_t / back_ring_t).
 * The fields are private to that half; read them through the functions
 * below. Wrapped as pv_ring_front and pv_ring_back so the halves cannot be
 * mixed up.
 */
struct pv_ring_view {
	struct pv_sring_hdr *sring;  /* the shared header */
	unsigned char *slots;        /* the shared slots, right after the header */
	struct pv_ring_shape shape;
	uint32_t nr_ents;            /* power of two */
	pv_ring_idx_t prod_pvt;      /* ours produced, not all pushed (req_prod_pvt / rsp_prod_pvt) */
	pv_ring_idx_t prod_pushed;   /* the producer index we last published */
	pv_ring_idx_t cons;          /* the peer's consumed (rsp_cons / req_cons) */
	int error;                   /* 0, or -EPROTO once the peer misbehaved */
};

/* The frontend: produces requests, consumes responses. */
struct pv_ring_front {
	struct pv_ring_view v;
};

/* The backend: consumes requests, produces responses. */
struct pv_ring_back {
	struct pv_ring_view v;
};

/* ---- set-up ---------------------------------------------------------------- */

/*
 * Slots in a ring of @pages pages for @shape, or 0 when @pages is outside
 * 1..PV_RING_MAX_PAGES or the shape is invalid (a message larger than the
 * slot, or no room for one slot).
 */
uint32_t pv_ring_nr_ents(unsigned int pages, const struct pv_ring_shape *shape);

/*
 * Initialise a new shared ring and the frontend's view of it (Xen:
 * XEN_FRONT_RING_INIT). @shared: @pages contiguous pages the caller has
 * mapped writable (at least 4-byte aligned); every byte is zeroed, then
 * req_event = rsp_event = 1. The caller keeps ownership of the memory.
 * Returns 0, or -EINVAL for a NULL/misaligned @shared, @pages outside
 * 1..PV_RING_MAX_PAGES, or a shape that does not fit. Call before the
 * backend can see the pages.
 */
int pv_ring_front_init(struct pv_ring_front *r, void *shared, unsigned int pages,
		       const struct pv_ring_shape *shape);

/*
 * Attach a frontend view to an existing ring without touching it, with
 * both private indices at @idx (Xen: FRONT_RING_ATTACH). Returns 0 or
 * -EINVAL as pv_ring_front_init().
 */
int pv_ring_front_attach(struct pv_ring_front *r, void *shared, unsigned int pages,
			 const struct pv_ring_shape *shape, pv_ring_idx_t idx);

/*
 * Attach the backend's view to a ring the frontend initialised (Xen:
 * BACK_RING_INIT when @idx is 0, BACK_RING_ATTACH otherwise). The shared
 * memory is not written. Returns 0 or -EINVAL as pv_ring_front_init().
 */
int pv_ring_back_attach(struct pv_ring_back *r, void *shared, unsigned int pages,
			const struct pv_ring_shape *shape, pv_ring_idx_t idx);

/* ---- frontend ---------------------------------------------------------------- */

/* Ring size in slots. */
static inline uint32_t pv_ring_front_size(const struct pv_ring_front *r)
{
	return r->v.nr_ents;
}

/*
 * Request slots free for production (Xen: RING_FREE_REQUESTS): slots not
 * holding a request or an unconsumed response; 0 once the ring is broken.
 * Reads private state only.
 */
uint32_t pv_ring_front_free(const struct pv_ring_front *r);

/*
 * The next free request slot in shared memory, zeroed, for the caller to
 * fill in place; NULL when the ring is full or broken. Only write to it
 * (the backend may read it at any time after the push); then call
 * pv_ring_front_produce(). Prefer pv_ring_front_put().
 */
void *pv_ring_front_slot(struct pv_ring_front *r);

/* Count the slot from pv_ring_front_slot() as produced (not yet pushed); no-op when full. */
void pv_ring_front_produce(struct pv_ring_front *r);

/*
 * Copy the request @req (shape.req_size bytes) into the next free slot,
 * zero the rest of the slot, and count it as produced; it becomes visible
 * at the next push. Returns 0, -ENOSPC when full, -EPROTO when broken.
 */
int pv_ring_front_put(struct pv_ring_front *r, const void *req);

/*
 * Publish every produced request (Xen: RING_PUSH_REQUESTS_AND_CHECK_NOTIFY).
 * Returns 1 when the backend asked to be notified (req_event lies in the
 * newly published range: send an event), 0 when not, -EPROTO when broken.
 */
int pv_ring_front_push(struct pv_ring_front *r);

/*
 * Responses published by the backend and not consumed yet, bounded: the
 * backend may not answer more requests than we have produced. Returns the
 * count, or -EPROTO (and marks the ring broken) when rsp_prod is ahead of
 * that or behind rsp_cons. Never reads a slot.
 */
int pv_ring_front_unconsumed(struct pv_ring_front *r);

/*
 * Copy the next response into @rsp (shape.rsp_size bytes, private memory)
 * and consume its slot. Returns 1, 0 when none is pending, or -EPROTO.
 * Validate the copy; the shared slot may change under you.
 */
int pv_ring_front_get_response(struct pv_ring_front *r, void *rsp);

/*
 * Call before sleeping (Xen: RING_FINAL_CHECK_FOR_RESPONSES): if nothing
 * is pending, re-arm rsp_event at rsp_cons + 1 so the backend notifies on
 * its next response, then check again. Returns the number of pending
 * responses (> 0: do not sleep, consume), 0 (sleep until the event) or
 * -EPROTO.
 */
int pv_ring_front_final_check(struct pv_ring_front *r);

/* ---- backend ------------------------------------------------------------------ */

static inline uint32_t pv_ring_back_size(const struct pv_ring_back *r)
{
	return r->v.nr_ents;
}

/*
 * Requests published by the frontend and not consumed yet, bounded
 * (Xen: RING_HAS_UNCONSUMED_REQUESTS plus RING_REQUEST_PROD_OVERFLOW):
 * returns the count, or -EPROTO (ring marked broken) when req_prod claims
 * more than a ring of requests beyond our responses, or moved backwards.
 */
int pv_ring_back_unconsumed(struct pv_ring_back *r);

/*
 * Copy the next request into @req (shape.req_size bytes of private memory)
 * and consume its slot. Returns 1, 0 when none is pending, or -EPROTO.
 * Validate the copy only (XSA-155).
 */
int pv_ring_back_get_request(struct pv_ring_back *r, void *req);

/* Requests consumed but not answered yet (response slots we may produce); 0 once broken. */
uint32_t pv_ring_back_owed(const struct pv_ring_back *r);

/*
 * The next response slot in shared memory, zeroed, to fill in place; NULL
 * when no consumed request is waiting for an answer or the ring is broken.
 * Then call pv_ring_back_produce(). Prefer pv_ring_back_put().
 */
void *pv_ring_back_slot(struct pv_ring_back *r);

/* Count the slot from pv_ring_back_slot() as produced (not yet pushed); no-op when nothing is owed. */
void pv_ring_back_produce(struct pv_ring_back *r);

/*
 * Copy the response @rsp (shape.rsp_size bytes) into the next response
 * slot, zero the rest of the slot, count it as produced. Returns 0,
 * -ENOSPC when every consumed request is already answered, -EPROTO.
 * The caller must have initialised every byte of @rsp, padding included
 * (start from a zeroed struct).
 */
int pv_ring_back_put(struct pv_ring_back *r, const void *rsp);

/*
 * Publish every produced response (Xen: RING_PUSH_RESPONSES_AND_CHECK_NOTIFY).
 * Returns 1 when the frontend must be notified, 0 when not, -EPROTO.
 */
int pv_ring_back_push(struct pv_ring_back *r);

/*
 * Call before sleeping (Xen: RING_FINAL_CHECK_FOR_REQUESTS): re-arm
 * req_event at req_cons + 1 when idle and check again. Returns the number
 * of pending requests, 0 (sleep) or -EPROTO.
 */
int pv_ring_back_final_check(struct pv_ring_back *r);

/* ---- typed wrappers ---------------------------------------------------------- */

/*
 * PV_RING_DEFINE(name, req_type, rsp_type) declares, for one class:
 *   union name##_sring_entry         the slot (as Xen's name##_sring_entry)
 *   struct name##_front_ring,        views wrapping pv_ring_front / _back
 *   struct name##_back_ring
 *   name##_ring_shape()              the pv_ring_shape
 *   name##_front_init(r, shared, pages), name##_front_put(r, const req_type *),
 *   name##_front_push(r), name##_front_get_response(r, rsp_type *),
 *   name##_front_final_check(r), name##_front_free(r), name##_front_slot(r)
 *   name##_back_attach(r, shared, pages), name##_back_get_request(r, req_type *),
 *   name##_back_put(r, const rsp_type *), name##_back_push(r),
 *   name##_back_final_check(r), name##_back_owed(r)
 * with the same contracts as the generic functions above.
 * Example: PV_RING_DEFINE(blkif, struct pv_blkif_request, struct pv_blkif_response)
 */
#define PV_RING_DEFINE(name, req_type, rsp_type)                                                   \
	union name##_sring_entry {                                                                 \
		req_type req;                                                                      \
		rsp_type rsp;                                                                      \
	};                                                                                         \
	struct name##_front_ring {                                                                 \
		struct pv_ring_front core;                                                         \
	};                                                                                         \
	struct name##_back_ring {                                                                  \
		struct pv_ring_back core;                                                          \
	};                                                                                         \
	static inline struct pv_ring_shape name##_ring_shape(void)                                 \
	{                                                                                          \
		return PV_RING_SHAPE(req_type, rsp_type);                                          \
	}                                                                                          \
	static inline int name##_front_init(struct name##_front_ring *r, void *shared,             \
					    unsigned int pages)                                    \
	{                                                                                          \
		struct pv_ring_shape s = name##_ring_shape();                                      \
		return pv_ring_front_init(&r->core, shared, pages, &s);                            \
	}                                                                                          \
	static inline uint32_t name##_front_free(const struct name##_front_ring *r)                \
	{                                                                                          \
		return pv_ring_front_free(&r->core);                                               \
	}                                                                                          \
	static inline req_type *name##_front_slot(struct name##_front_ring *r)                     \
	{                                                                                          \
		return (req_type *)pv_ring_front_slot(&r->core);                                   \
	}                                                                                          \
	static inline int name##_front_put(struct name##_front_ring *r, const req_type *req)       \
	{                                                                                          \
		return pv_ring_front_put(&r->core, req);                                           \
	}                                                                                          \
	static inline int name##_front_push(struct name##_front_ring *r)                           \
	{                                                                                          \
		return pv_ring_front_push(&r->core);                                               \
	}                                                                                          \
	static inline int name##_front_get_response(struct name##_front_ring *r, rsp_type *rsp)    \
	{                                                                                          \
		return pv_ring_front_get_response(&r->core, rsp);                                  \
	}                                                                                          \
	static inline int name##_front_final_check(struct name##_front_ring *r)                    \
	{                                                                                          \
		return pv_ring_front_final_check(&r->core);                                        \
	}                                                                                          \
	static inline int name##_back_attach(struct name##_back_ring *r, void *shared,             \
					     unsigned int pages)                                   \
	{                                                                                          \
		struct pv_ring_shape s = name##_ring_shape();                                      \
		return pv_ring_back_attach(&r->core, shared, pages, &s, 0);                        \
	}                                                                                          \
	static inline int name##_back_get_request(struct name##_back_ring *r, req_type *req)       \
	{                                                                                          \
		return pv_ring_back_get_request(&r->core, req);                                    \
	}                                                                                          \
	static inline uint32_t name##_back_owed(const struct name##_back_ring *r)                  \
	{                                                                                          \
		return pv_ring_back_owed(&r->core);                                                \
	}                                                                                          \
	static inline int name##_back_put(struct name##_back_ring *r, const rsp_type *rsp)         \
	{                                                                                          \
		return pv_ring_back_put(&r->core, rsp);                                            \
	}                                                                                          \
	static inline int name##_back_push(struct name##_back_ring *r)                             \
	{                                                                                          \
		return pv_ring_back_push(&r->core);                                                \
	}                                                                                          \
	static inline int name##_back_final_check(struct name##_back_ring *r)                      \
	{                                                                                          \
		return pv_ring_back_final_check(&r->core);                                         \
	}                                                                                          \
	struct name##_ring_define_end /* so the macro use ends with a semicolon */

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The generic shared-ring core behind include/pvkit/ring.h: index
 * arithmetic, hostile-index bounds, copy-out, and Xen's event suppression.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "pvkit/arch.h"
#include "pvkit/ring.h"

/*
 * The shared indices are plain uint32_t in the wire header (their layout
 * is the ABI). We access them as C11 atomics through a cast, which is
 * sound where a lock-free 32-bit atomic has the plain type's size and
 * representation: true on every target pvkit builds for.
 */
typedef _Atomic pv_ring_idx_t atomic_idx_t;
_Static_assert(sizeof(atomic_idx_t) == sizeof(pv_ring_idx_t), "atomic index is plain-sized");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics are lock-free (shared across processes)");

static inline atomic_idx_t *shared_idx(pv_ring_idx_t *field)
{
	return (atomic_idx_t *)field;
}

/* Read a peer's producer index; acquire orders it before our reads of the slots it covers. */
static inline pv_ring_idx_t load_prod(pv_ring_idx_t *field)
{
	return atomic_load_explicit(shared_idx(field), memory_order_acquire);
}

/*
 * Publish our producer index; release orders our writes of the slots
 * before it (Xen's wmb() before the store), so the peer never sees the
 * index without the messages.
 */
static inline void store_prod(pv_ring_idx_t *field, pv_ring_idx_t val)
{
	atomic_store_explicit(shared_idx(field), val, memory_order_release);
}

/*
 * Full barrier (Xen's mb()): orders a store to one index before a load of
 * the other. Producer: req_prod store before req_event load. Consumer:
 * req_event store before req_prod load. With both sides fenced, at least
 * one of them sees the other's store, so a wake-up is never lost.
 */
static inline void full_fence(void)
{
	atomic_thread_fence(memory_order_seq_cst);
}

/* ---- set-up ---------------------------------------------------------------- */

uint32_t pv_ring_nr_ents(unsigned int pages, const struct pv_ring_shape *shape)
{
	if (!shape || pages < 1 || pages > PV_RING_MAX_PAGES)
		return 0;
	if (!shape->req_size || !shape->rsp_size || shape->req_size > shape->slot_size ||
	    shape->rsp_size > shape->slot_size)
		return 0;
	return PV_RING_SIZE(pages, shape->slot_size);
}

/* Common checks and pointers for every init/attach. Returns nr_ents or 0. */
static uint32_t ring_geometry(void *shared, unsigned int pages, const struct pv_ring_shape *shape)
{
	if (!shared || ((uintptr_t)shared % alignof(struct pv_sring_hdr)) != 0)
		return 0;
	return pv_ring_nr_ents(pages, shape);
}

/* Point @v at the ring; private indices at @idx. Shared memory untouched. */
static int view_attach(struct pv_ring_view *v, void *shared, unsigned int pages,
		       const struct pv_ring_shape *shape, pv_ring_idx_t idx)
{
	uint32_t n = ring_geometry(shared, pages, shape);

	if (!n)
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	v->sring = shared;
	v->slots = (unsigned char *)shared + PV_RING_HEADER_SIZE;
	v->shape = *shape;
	v->nr_ents = n;
	v->prod_pvt = idx;
	v->prod_pushed = idx;
	v->cons = idx;
	return 0;
}

int pv_ring_front_attach(struct pv_ring_front *r, void *shared, unsigned int pages,
			 const struct pv_ring_shape *shape, pv_ring_idx_t idx)
{
	return view_attach(&r->v, shared, pages, shape, idx);
}

int pv_ring_front_init(struct pv_ring_front *r, void *shared, unsigned int pages,
		       const struct pv_ring_shape *shape)
{
	int rc = view_attach(&r->v, shared, pages, shape, 0);

	if (rc)
		return rc;
	/*
	 * Zero everything (header, pad, stale slot contents), then ask for an
	 * event on the first message each way, as Xen's SHARED_RING_INIT.
	 * The backend cannot see the pages yet, so no ordering is needed;
	 * granting them to it is the publication.
	 */
	memset(shared, 0, (size_t)pages * PV_PAGE_SIZE);
	r->v.sring->req_event = 1;
	r->v.sring->rsp_event = 1;
	return 0;
}

int pv_ring_back_attach(struct pv_ring_back *r, void *shared, unsigned int pages,
			const struct pv_ring_shape *shape, pv_ring_idx_t idx)
{
	return view_attach(&r->v, shared, pages, shape, idx);
}

/* ---- the mechanics both halves share ------------------------------------------------ */

static inline unsigned char *slot_at(const struct pv_ring_view *v, pv_ring_idx_t idx)
{
	return v->slots + (size_t)(idx & (v->nr_ents - 1)) * v->shape.slot_size;
}

/*
 * Xen's notification rule: notify iff the peer's event index lies in the
 * range (old, new] just published, computed modulo 2^32.
 */
static inline int need_notify(pv_ring_idx_t old, pv_ring_idx_t new_prod, pv_ring_idx_t event)
{
	return (pv_ring_idx_t)(new_prod - event) < (pv_ring_idx_t)(new_prod - old);
}

/*
 * Messages the peer has published and we have not consumed, with its
 * producer index @prod_field bounded: measured from @base, the peer may be
 * at most @max_ahead in front and never behind what we consumed. Anything
 * else marks the ring broken (-EPROTO), before any slot is read.
 */
static int view_unconsumed(struct pv_ring_view *v, pv_ring_idx_t *prod_field, pv_ring_idx_t base,
			   uint32_t max_ahead)
{
	pv_ring_idx_t ahead, consumed;

	if (v->error)
		return v->error;
	ahead = load_prod(prod_field) - base;
	consumed = v->cons - base;
	if (ahead > max_ahead || ahead < consumed) {
		v->error = -EPROTO;
		return v->error;
	}
	return (int)(ahead - consumed);
}

/*
 * Copy the next message into private memory and consume it; @avail is
 * view_unconsumed()'s answer. The compiler barrier after the copy forbids
 * re-reading the slot in place of @out later (the double fetch of
 * XSA-155): everything the caller reads comes from @out.
 */
static int view_get(struct pv_ring_view *v, int avail, void *out, size_t len)
{
	if (avail <= 0)
		return avail;
	memcpy(out, slot_at(v, v->cons), len);
	atomic_signal_fence(memory_order_seq_cst);
	v->cons++;
	return 1;
}

/* The next slot to produce into, zeroed, when @room > 0; NULL otherwise. */
static void *view_slot(struct pv_ring_view *v, uint32_t room)
{
	unsigned char *slot;

	if (!room)
		return NULL;
	slot = slot_at(v, v->prod_pvt);
	memset(slot, 0, v->shape.slot_size);
	return slot;
}

/* Fill the next slot from @msg and zero its tail, so every byte the peer reads is defined. */
static int view_put(struct pv_ring_view *v, uint32_t room, const void *msg, size_t len)
{
	unsigned char *slot;

	if (v->error)
		return v->error;
	if (!room)
		return -ENOSPC;
	slot = slot_at(v, v->prod_pvt);
	memcpy(slot, msg, len);
	if (v->shape.slot_size > len)
		memset(slot + len, 0, v->shape.slot_size - len);
	v->prod_pvt++;
	return 0;
}

/* Publish prod_pvt in @prod_field; 1 when the peer's @event_field asks for a notify. */
static int view_push(struct pv_ring_view *v, pv_ring_idx_t *prod_field, pv_ring_idx_t *event_field)
{
	pv_ring_idx_t old = v->prod_pushed, new_prod = v->prod_pvt, event;

	if (v->error)
		return v->error;
	/* Release: the peer sees the messages before the new producer index. */
	store_prod(prod_field, new_prod);
	v->prod_pushed = new_prod;
	/* Full fence: our producer store before the event load (pairs with view_rearm). */
	full_fence();
	event = atomic_load_explicit(shared_idx(event_field), memory_order_relaxed);
	return need_notify(old, new_prod, event);
}

/* Ask for an event on the peer's next message: *@event_field = cons + 1. */
static void view_rearm(struct pv_ring_view *v, pv_ring_idx_t *event_field)
{
	atomic_store_explicit(shared_idx(event_field), v->cons + 1, memory_order_relaxed);
	/* Full fence: the event store before the caller re-loads the producer (pairs with view_push). */
	full_fence();
}

/* ---- frontend ---------------------------------------------------------------- */

uint32_t pv_ring_front_free(const struct pv_ring_front *r)
{
	if (r->v.error)
		return 0;
	return r->v.nr_ents - (pv_ring_idx_t)(r->v.prod_pvt - r->v.cons);
}

void *pv_ring_front_slot(struct pv_ring_front *r)
{
	return view_slot(&r->v, pv_ring_front_free(r));
}

void pv_ring_front_produce(struct pv_ring_front *r)
{
	if (pv_ring_front_free(r))
		r->v.prod_pvt++;
}

int pv_ring_front_put(struct pv_ring_front *r, const void *req)
{
	return view_put(&r->v, pv_ring_front_free(r), req, r->v.shape.req_size);
}

int pv_ring_front_push(struct pv_ring_front *r)
{
	return view_push(&r->v, &r->v.sring->req_prod, &r->v.sring->req_event);
}

int pv_ring_front_unconsumed(struct pv_ring_front *r)
{
	/* At most one response per request we published; behind rsp_cons wraps huge. */
	return view_unconsumed(&r->v, &r->v.sring->rsp_prod, r->v.cons,
			       r->v.prod_pushed - r->v.cons);
}

int pv_ring_front_get_response(struct pv_ring_front *r, void *rsp)
{
	return view_get(&r->v, pv_ring_front_unconsumed(r), rsp, r->v.shape.rsp_size);
}

int pv_ring_front_final_check(struct pv_ring_front *r)
{
	int n = pv_ring_front_unconsumed(r);

	if (n != 0)
		return n;
	view_rearm(&r->v, &r->v.sring->rsp_event);
	return pv_ring_front_unconsumed(r);
}

/* ---- backend ------------------------------------------------------------------ */

int pv_ring_back_unconsumed(struct pv_ring_back *r)
{
	/*
	 * Measured from our response producer: the frontend cannot have more
	 * than a ring of requests beyond it, nor take back requests we
	 * consumed (Xen's RING_REQUEST_PROD_OVERFLOW, plus going backwards).
	 */
	return view_unconsumed(&r->v, &r->v.sring->req_prod, r->v.prod_pvt, r->v.nr_ents);
}

int pv_ring_back_get_request(struct pv_ring_back *r, void *req)
{
	return view_get(&r->v, pv_ring_back_unconsumed(r), req, r->v.shape.req_size);
}

uint32_t pv_ring_back_owed(const struct pv_ring_back *r)
{
	if (r->v.error)
		return 0;
	return r->v.cons - r->v.prod_pvt;
}

void *pv_ring_back_slot(struct pv_ring_back *r)
{
	return view_slot(&r->v, pv_ring_back_owed(r));
}

void pv_ring_back_produce(struct pv_ring_back *r)
{
	if (pv_ring_back_owed(r))
		r->v.prod_pvt++;
}

int pv_ring_back_put(struct pv_ring_back *r, const void *rsp)
{
	return view_put(&r->v, pv_ring_back_owed(r), rsp, r->v.shape.rsp_size);
}

int pv_ring_back_push(struct pv_ring_back *r)
{
	return view_push(&r->v, &r->v.sring->rsp_prod, &r->v.sring->rsp_event);
}

int pv_ring_back_final_check(struct pv_ring_back *r)
{
	int n = pv_ring_back_unconsumed(r);

	if (n != 0)
		return n;
	view_rearm(&r->v, &r->v.sring->req_event);
	return pv_ring_back_unconsumed(r);
}

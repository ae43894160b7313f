/* SPDX-License-Identifier: MIT */
/*
 * The console byte rings (Xen's io/console.h semantics) for both halves:
 * bounded peer indices, private own indices, and C11 barriers.
 */
#include <errno.h>
#include <string.h>

#include "pvkit/console.h"
#include "pvkit/proto/console.h"

_Static_assert(PV_CONS_IN_SIZE == PV_XENCONS_IN_SIZE, "in[] size matches the wire ABI");
_Static_assert(PV_CONS_OUT_SIZE == PV_XENCONS_OUT_SIZE, "out[] size matches the wire ABI");

static void ring_setup(struct pv_cons_ring *r, volatile uint8_t *buf, uint32_t size,
		       volatile uint32_t *own_p, volatile uint32_t *peer_p, int reader)
{
	r->buf = buf;
	r->size = size;
	r->own_p = own_p;
	r->peer_p = peer_p;
	r->reader = reader;
	/* A restarted side resumes from what it last published. */
	r->own = __atomic_load_n(own_p, __ATOMIC_RELAXED);
}

void pv_cons_ring_init_back(struct pv_cons_ring *out, struct pv_cons_ring *in, void *page)
{
	struct pv_xencons_interface *pg = page;

	ring_setup(out, pg->out, sizeof(pg->out), &pg->out_cons, &pg->out_prod, 1);
	ring_setup(in, pg->in, sizeof(pg->in), &pg->in_prod, &pg->in_cons, 0);
}

void pv_cons_ring_init_front(struct pv_cons_ring *out, struct pv_cons_ring *in, void *page)
{
	struct pv_xencons_interface *pg = page;

	ring_setup(out, pg->out, sizeof(pg->out), &pg->out_prod, &pg->out_cons, 0);
	ring_setup(in, pg->in, sizeof(pg->in), &pg->in_cons, &pg->in_prod, 1);
}

/*
 * Fill level (producer - consumer) from one read of the peer's index, or
 * -EPROTO. The acquire load orders it before our later accesses to the ring
 * bytes: a reader sees the bytes the producer wrote before publishing prod
 * (Xen's rmb() after reading prod); a writer does not overwrite bytes
 * before it has seen the consumer release them (Xen's mb() after cons).
 */
static ssize_t ring_fill(const struct pv_cons_ring *r)
{
	uint32_t peer = __atomic_load_n(r->peer_p, __ATOMIC_ACQUIRE);
	uint32_t fill = r->reader ? peer - r->own : r->own - peer;

	if (fill > r->size)
		return -EPROTO;
	return fill;
}

ssize_t pv_cons_ring_avail(const struct pv_cons_ring *r)
{
	ssize_t fill = ring_fill(r);

	if (fill < 0 || r->reader)
		return fill;
	return r->size - fill;
}

/* Copy @n bytes between the ring (from index @idx on) and @mem, wrapping. */
static void ring_copy(const struct pv_cons_ring *r, uint32_t idx, void *mem, size_t n, int to_ring)
{
	uint8_t *m = mem;

	for (size_t done = 0; done < n;) {
		uint32_t off = (idx + (uint32_t)done) & (r->size - 1);
		size_t chunk = r->size - off;

		if (chunk > n - done)
			chunk = n - done;
		if (to_ring)
			memcpy((uint8_t *)r->buf + off, m + done, chunk);
		else
			memcpy(m + done, (const uint8_t *)r->buf + off, chunk);
		done += chunk;
	}
}

/*
 * Publish our index. The release store orders every ring access before it:
 * a reader's copies complete before the producer may reuse the bytes (Xen's
 * mb() before writing cons); a writer's bytes are visible before the
 * consumer sees the new prod (Xen's wmb() before writing prod).
 */
static void ring_publish(struct pv_cons_ring *r, size_t n)
{
	r->own += (uint32_t)n;
	__atomic_store_n(r->own_p, r->own, __ATOMIC_RELEASE);
}

ssize_t pv_cons_ring_read(struct pv_cons_ring *r, void *dst, size_t len)
{
	ssize_t avail;

	if (!r->reader)
		return -EINVAL;
	avail = ring_fill(r);
	if (avail <= 0)
		return avail;
	if ((size_t)avail > len)
		avail = (ssize_t)len;
	ring_copy(r, r->own, dst, (size_t)avail, 0);
	ring_publish(r, (size_t)avail);
	return avail;
}

ssize_t pv_cons_ring_write(struct pv_cons_ring *r, const void *src, size_t len)
{
	ssize_t space;

	if (r->reader)
		return -EINVAL;
	space = pv_cons_ring_avail(r);
	if (space <= 0)
		return space;
	if ((size_t)space > len)
		space = (ssize_t)len;
	ring_copy(r, r->own, (void *)src, (size_t)space, 1);
	ring_publish(r, (size_t)space);
	return space;
}

/* SPDX-License-Identifier: MIT */
/*
 * Wire compatibility of ring/ring.c with Xen's io/ring.h macros: the same
 * random sequence of operations runs on four rings (pvkit front + pvkit
 * back, Xen + Xen, Xen front + pvkit back, pvkit front + Xen back); every
 * answer (notify, work to do, message) and every shared byte must agree.
 */
#define __XEN_TOOLS__ 1

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xen/xen.h>

/* What Xen's ring.h expects from its includer: full, read and write barriers. */
#define xen_mb()  atomic_thread_fence(memory_order_seq_cst)
#define xen_rmb() atomic_thread_fence(memory_order_acquire)
#define xen_wmb() atomic_thread_fence(memory_order_release)
#include <xen/io/ring.h>

#include "pvkit/arch.h"
#include "pvkit/ring.h"
#include "../../harness/cunit.h"

struct xreq {
	uint64_t id;
	uint32_t seq;
	uint32_t pad;
	uint64_t data[3];
};

struct xrsp {
	uint64_t id;
	int32_t status;
	uint32_t pad;
};

DEFINE_RING_TYPES(xt, struct xreq, struct xrsp);
PV_RING_DEFINE(pt, struct xreq, struct xrsp);

#define PAGES 2

/* One ring, each half driven either by pvkit or by Xen's macros. */
struct combo {
	void *mem;
	int xen_front, xen_back;
	struct pt_front_ring pf;
	struct pt_back_ring pb;
	xt_front_ring_t xf;
	xt_back_ring_t xb;
	uint32_t next_seq;
};

static void combo_open(struct combo *c, int xen_front, int xen_back, RING_IDX start)
{
	struct xt_sring *s;
	struct pv_ring_shape shape = pt_ring_shape();

	memset(c, 0, sizeof(*c));
	c->xen_front = xen_front;
	c->xen_back = xen_back;
	c->mem = aligned_alloc(PV_PAGE_SIZE, PAGES * PV_PAGE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c->mem);
	memset(c->mem, 0, PAGES * PV_PAGE_SIZE);
	s = c->mem;
	if (xen_front) {
		XEN_FRONT_RING_INIT(&c->xf, s, PAGES * PV_PAGE_SIZE);
		FRONT_RING_ATTACH(&c->xf, s, start, PAGES * PV_PAGE_SIZE);
	} else {
		CU_ASSERT_EQUAL_FATAL(pt_front_init(&c->pf, c->mem, PAGES), 0);
		CU_ASSERT_EQUAL_FATAL(pv_ring_front_attach(&c->pf.core, c->mem, PAGES, &shape, start), 0);
	}
	s->req_prod = s->rsp_prod = start;
	s->req_event = s->rsp_event = start + 1;
	if (xen_back)
		BACK_RING_ATTACH(&c->xb, s, start, PAGES * PV_PAGE_SIZE);
	else
		CU_ASSERT_EQUAL_FATAL(pv_ring_back_attach(&c->pb.core, c->mem, PAGES, &shape, start), 0);
}

static uint32_t front_free(struct combo *c)
{
	return c->xen_front ? RING_FREE_REQUESTS(&c->xf) : pt_front_free(&c->pf);
}

static void front_put(struct combo *c)
{
	struct xreq q;

	memset(&q, 0, sizeof(q));
	q.seq = c->next_seq++;
	q.id = 0x1000 + q.seq;
	q.data[2] = ~(uint64_t)q.seq;
	if (!c->xen_front) {
		CU_ASSERT_EQUAL(pt_front_put(&c->pf, &q), 0);
		return;
	}
	/* A careful Xen frontend: clear the whole slot, then write the request. */
	memset(RING_GET_REQUEST(&c->xf, c->xf.req_prod_pvt), 0, sizeof(union xt_sring_entry));
	*RING_GET_REQUEST(&c->xf, c->xf.req_prod_pvt) = q;
	c->xf.req_prod_pvt++;
}

static int front_push(struct combo *c)
{
	int notify;

	if (!c->xen_front)
		return pt_front_push(&c->pf);
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&c->xf, notify);
	return notify;
}

/* Consume one response into @r: 1, or 0 when none. */
static int front_get(struct combo *c, struct xrsp *r)
{
	if (!c->xen_front)
		return pt_front_get_response(&c->pf, r);
	if (!RING_HAS_UNCONSUMED_RESPONSES(&c->xf))
		return 0;
	RING_COPY_RESPONSE(&c->xf, c->xf.rsp_cons, r);
	c->xf.rsp_cons++;
	return 1;
}

static int front_final(struct combo *c)
{
	int work;

	if (!c->xen_front)
		return pt_front_final_check(&c->pf);
	RING_FINAL_CHECK_FOR_RESPONSES(&c->xf, work);
	return work;
}

/* Consume one request and answer it (unpushed): 1, or 0 when none. */
static int back_serve(struct combo *c, struct xreq *q)
{
	struct xrsp r;

	if (!c->xen_back) {
		if (pt_back_get_request(&c->pb, q) != 1)
			return 0;
	} else {
		if (!RING_HAS_UNCONSUMED_REQUESTS(&c->xb))
			return 0;
		RING_COPY_REQUEST(&c->xb, c->xb.req_cons, q);
		c->xb.req_cons++;
	}
	memset(&r, 0, sizeof(r));
	r.id = q->id;
	r.status = (int32_t)(q->seq % 7) - 3;
	if (!c->xen_back)
		return pt_back_put(&c->pb, &r) == 0;
	memset(RING_GET_RESPONSE(&c->xb, c->xb.rsp_prod_pvt), 0, sizeof(union xt_sring_entry));
	*RING_GET_RESPONSE(&c->xb, c->xb.rsp_prod_pvt) = r;
	c->xb.rsp_prod_pvt++;
	return 1;
}

static int back_push(struct combo *c)
{
	int notify;

	if (!c->xen_back)
		return pt_back_push(&c->pb);
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&c->xb, notify);
	return notify;
}

static int back_final(struct combo *c)
{
	int work;

	if (!c->xen_back)
		return pt_back_final_check(&c->pb);
	RING_FINAL_CHECK_FOR_REQUESTS(&c->xb, work);
	return work;
}

/* One random step on every combo; all answers and all shared bytes must agree. */
static void step(struct combo *c, int n, unsigned int op, unsigned int k)
{
	int res[4], i;
	uint64_t msg[4] = {0};

	for (i = 0; i < n; i++) {
		struct xreq q;
		struct xrsp r;

		memset(&q, 0, sizeof(q));
		memset(&r, 0, sizeof(r));
		switch (op) {
		case 0:
			res[i] = 0;
			for (unsigned int j = 0; j < k && front_free(&c[i]); j++, res[i]++)
				front_put(&c[i]);
			break;
		case 1: res[i] = front_push(&c[i]); break;
		case 2: res[i] = front_final(&c[i]); break;
		case 3:
			res[i] = 0;
			while ((unsigned int)res[i] < k && front_get(&c[i], &r) == 1) {
				res[i]++;
				msg[i] = msg[i] * 31 + r.id + (uint64_t)(uint32_t)r.status;
			}
			break;
		case 4:
			res[i] = 0;
			while ((unsigned int)res[i] < k && back_serve(&c[i], &q) == 1) {
				res[i]++;
				msg[i] = msg[i] * 31 + q.id + q.data[2];
			}
			break;
		case 5: res[i] = back_push(&c[i]); break;
		default: res[i] = back_final(&c[i]); break;
		}
	}
	for (i = 1; i < n; i++) {
		CU_ASSERT_EQUAL(res[i], res[0]);
		CU_ASSERT_EQUAL(msg[i], msg[0]);
		CU_ASSERT_EQUAL(memcmp(c[i].mem, c[0].mem, PAGES * PV_PAGE_SIZE), 0);
	}
}

static void run_lockstep(RING_IDX start, unsigned int steps, uint32_t seed)
{
	struct combo c[4];

	combo_open(&c[0], 0, 0, start);
	combo_open(&c[1], 1, 1, start);
	combo_open(&c[2], 1, 0, start);
	combo_open(&c[3], 0, 1, start);
	/* Fresh-ring header, as each side initialised it. */
	for (int i = 1; i < 4; i++)
		CU_ASSERT_EQUAL(memcmp(c[i].mem, c[0].mem, PV_RING_HEADER_SIZE), 0);
	for (unsigned int s = 0; s < steps; s++) {
		seed = seed * 1103515245u + 12345u;
		step(c, 4, (seed >> 8) % 7, 1 + (seed >> 16) % 40);
	}
	for (int i = 0; i < 4; i++)
		free(c[i].mem);
}

static void test_sizes_match_xen(void)
{
	struct combo c;

	for (unsigned int pages = 1; pages <= PV_RING_MAX_PAGES; pages++) {
		struct pv_ring_shape shape = pt_ring_shape();

		CU_ASSERT_EQUAL(pv_ring_nr_ents(pages, &shape),
				__CONST_RING_SIZE(xt, pages * PV_PAGE_SIZE));
	}
	combo_open(&c, 1, 0, 0);
	CU_ASSERT_EQUAL(RING_SIZE(&c.xf), pv_ring_back_size(&c.pb.core));
	free(c.mem);
}

static void test_lockstep_from_zero(void)
{
	run_lockstep(0, 20000, 1);
}

static void test_lockstep_across_wrap(void)
{
	run_lockstep(0xFFFFFF00u, 20000, 7);
}

static CU_TestInfo xen_tests[] = {
	{"ring sizes equal __CONST_RING_SIZE for 1..16 pages", test_sizes_match_xen},
	{"pvkit and Xen macros agree step by step", test_lockstep_from_zero},
	{"pvkit and Xen macros agree across the 2^32 wrap", test_lockstep_across_wrap},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"ring-xen", NULL, NULL, NULL, NULL, xen_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ring/ring.c: sizes, index wrap-around, batching, the
 * notification rule, final-check re-arm, hostile indices, copy-out.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "pvkit/arch.h"
#include "pvkit/ring.h"
#include "../../harness/cunit.h"

/* A request/response pair shaped like a small block protocol. */
struct treq {
	uint64_t id;
	uint32_t seq;
	uint8_t op;
	uint8_t nr_segments;
	uint16_t pad;
	uint64_t sector;
	uint64_t data[2];
};

struct trsp {
	uint64_t id;
	int16_t status;
	uint8_t pad[6];
};

PV_RING_DEFINE(tring, struct treq, struct trsp);

#define MAX_SEGS 11

static void *pages_alloc(unsigned int pages)
{
	void *p = aligned_alloc(PV_PAGE_SIZE, (size_t)pages * PV_PAGE_SIZE);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(p, 0xAA, (size_t)pages * PV_PAGE_SIZE);
	return p;
}

/* A connected front/back pair over @pages fresh pages, both at index @idx. */
struct pair {
	void *mem;
	struct pv_sring_hdr *s;
	struct tring_front_ring f;
	struct tring_back_ring b;
};

static void pair_open(struct pair *p, unsigned int pages, pv_ring_idx_t idx)
{
	struct pv_ring_shape shape = tring_ring_shape();

	p->mem = pages_alloc(pages);
	p->s = p->mem;
	CU_ASSERT_EQUAL_FATAL(tring_front_init(&p->f, p->mem, pages), 0);
	if (idx) {
		p->s->req_prod = p->s->rsp_prod = idx;
		p->s->req_event = p->s->rsp_event = idx + 1;
		CU_ASSERT_EQUAL_FATAL(pv_ring_front_attach(&p->f.core, p->mem, pages, &shape, idx), 0);
	}
	CU_ASSERT_EQUAL_FATAL(pv_ring_back_attach(&p->b.core, p->mem, pages, &shape, idx), 0);
}

static void pair_close(struct pair *p)
{
	free(p->mem);
}

static struct treq mkreq(uint32_t seq)
{
	struct treq q;

	memset(&q, 0, sizeof(q));
	q.id = 1000 + seq;
	q.seq = seq;
	q.op = 1;
	q.nr_segments = 1;
	q.sector = (uint64_t)seq * 8;
	return q;
}

static struct trsp mkrsp(uint64_t id)
{
	struct trsp r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.status = 0;
	return r;
}

/* Backend answers every pending request; returns how many, or -EPROTO. */
static int back_serve(struct pair *p)
{
	struct treq q;
	struct trsp r;
	int n = 0, rc;

	while ((rc = tring_back_get_request(&p->b, &q)) > 0) {
		r = mkrsp(q.id);
		CU_ASSERT_EQUAL(tring_back_put(&p->b, &r), 0);
		n++;
	}
	return rc < 0 ? rc : n;
}

/* ---- sizes and init ------------------------------------------------------------- */

static void test_sizes(void)
{
	struct pv_ring_shape s64 = {64, 64, 64}, st = tring_ring_shape();

	CU_ASSERT_EQUAL(st.slot_size, sizeof(struct treq));
	for (unsigned int pages = 1; pages <= PV_RING_MAX_PAGES; pages++) {
		uint32_t room = (pages * 4096 - 64) / 64, want = 1;

		while (want * 2 <= room)
			want *= 2;
		CU_ASSERT_EQUAL(pv_ring_nr_ents(pages, &s64), want);
		room = (pages * 4096 - 64) / st.slot_size;
		CU_ASSERT_EQUAL(pv_ring_nr_ents(pages, &st), PV_RING_SIZE(pages, st.slot_size));
		CU_ASSERT(pv_ring_nr_ents(pages, &st) <= room);
		CU_ASSERT(pv_ring_nr_ents(pages, &st) * 2 > room);
	}
	CU_ASSERT_EQUAL(pv_ring_nr_ents(1, &s64), 32);
	CU_ASSERT_EQUAL(pv_ring_nr_ents(16, &s64), 512);
	CU_ASSERT_EQUAL(pv_ring_nr_ents(0, &s64), 0);
	CU_ASSERT_EQUAL(pv_ring_nr_ents(17, &s64), 0);
}

static void test_init_rejects(void)
{
	struct pv_ring_front f;
	struct pv_ring_back b;
	struct pv_ring_shape ok = {64, 64, 32}, big = {64, 65, 32}, huge = {8192, 8192, 8192};
	unsigned char *mem = pages_alloc(2);

	CU_ASSERT_EQUAL(pv_ring_front_init(&f, NULL, 1, &ok), -EINVAL);
	CU_ASSERT_EQUAL(pv_ring_front_init(&f, mem + 1, 1, &ok), -EINVAL);
	CU_ASSERT_EQUAL(pv_ring_front_init(&f, mem, 0, &ok), -EINVAL);
	CU_ASSERT_EQUAL(pv_ring_front_init(&f, mem, 17, &ok), -EINVAL);
	CU_ASSERT_EQUAL(pv_ring_front_init(&f, mem, 1, &big), -EINVAL);
	CU_ASSERT_EQUAL(pv_ring_front_init(&f, mem, 1, &huge), -EINVAL);
	CU_ASSERT_EQUAL(pv_ring_back_attach(&b, mem, 1, &big, 0), -EINVAL);
	CU_ASSERT_EQUAL(pv_ring_back_attach(&b, mem, 2, &ok, 0), 0);
	free(mem);
}

static void test_front_init_zeroes(void)
{
	struct pair p;
	unsigned char *m;
	int dirty = 0;

	pair_open(&p, 2, 0);
	m = p.mem;
	CU_ASSERT_EQUAL(p.s->req_prod, 0);
	CU_ASSERT_EQUAL(p.s->rsp_prod, 0);
	CU_ASSERT_EQUAL(p.s->req_event, 1);
	CU_ASSERT_EQUAL(p.s->rsp_event, 1);
	for (size_t i = 16; i < 2 * PV_PAGE_SIZE; i++)
		dirty += m[i] != 0;
	CU_ASSERT_EQUAL(dirty, 0);
	CU_ASSERT_EQUAL(tring_front_free(&p.f), pv_ring_front_size(&p.f.core));
	CU_ASSERT_EQUAL(pv_ring_back_unconsumed(&p.b.core), 0);
	pair_close(&p);
}

/* ---- round trips, batching, wrap-around ------------------------------------------------ */

/* Send @total requests in batches of @batch and check every response. */
static void run_batches(struct pair *p, uint32_t total, uint32_t batch)
{
	uint32_t sent = 0, got = 0;
	struct treq q;
	struct trsp r;

	while (got < total) {
		uint32_t n = 0;

		while (n < batch && sent < total && tring_front_free(&p->f)) {
			q = mkreq(sent++);
			CU_ASSERT_EQUAL(tring_front_put(&p->f, &q), 0);
			n++;
		}
		/* Nothing is visible before the push. */
		CU_ASSERT_EQUAL(pv_ring_back_unconsumed(&p->b.core), 0);
		CU_ASSERT(tring_front_push(&p->f) >= 0);
		CU_ASSERT_EQUAL(back_serve(p), (int)n);
		CU_ASSERT(tring_back_push(&p->b) >= 0);
		while (tring_front_get_response(&p->f, &r) > 0) {
			CU_ASSERT_EQUAL(r.id, 1000 + got);
			got++;
		}
		CU_ASSERT_EQUAL_FATAL(got, sent);
	}
}

static void test_round_trip(void)
{
	struct pair p;

	pair_open(&p, 1, 0);
	run_batches(&p, 1000, 7);
	CU_ASSERT_EQUAL(p.s->req_prod, 1000);
	CU_ASSERT_EQUAL(p.s->rsp_prod, 1000);
	pair_close(&p);
}

static void test_wrap_2_32(void)
{
	struct pair p;
	pv_ring_idx_t start = 0xFFFFFFF0u;

	pair_open(&p, 1, start);
	run_batches(&p, 300, 5);
	CU_ASSERT_EQUAL(p.s->req_prod, (pv_ring_idx_t)(start + 300));
	CU_ASSERT_EQUAL(p.s->rsp_prod, (pv_ring_idx_t)(start + 300));
	CU_ASSERT(p.s->req_prod < start); /* it did wrap */
	pair_close(&p);
	/* A full ring straddling the wrap. */
	pair_open(&p, 1, 0xFFFFFFFFu - 3);
	run_batches(&p, 2 * pv_ring_front_size(&p.f.core), pv_ring_front_size(&p.f.core));
	pair_close(&p);
}

static void test_batching_and_full(void)
{
	struct pair p;
	uint32_t size;
	struct treq q = mkreq(0);
	struct trsp r = mkrsp(0);

	pair_open(&p, 1, 0);
	size = pv_ring_front_size(&p.f.core);
	for (uint32_t i = 0; i < size; i++) {
		CU_ASSERT_EQUAL(tring_front_free(&p.f), size - i);
		CU_ASSERT_EQUAL(tring_front_put(&p.f, &q), 0);
	}
	CU_ASSERT_EQUAL(tring_front_free(&p.f), 0);
	CU_ASSERT_EQUAL(tring_front_put(&p.f, &q), -ENOSPC);
	CU_ASSERT_PTR_NULL(tring_front_slot(&p.f));
	CU_ASSERT_EQUAL(tring_front_push(&p.f), 1);
	CU_ASSERT_EQUAL(pv_ring_back_unconsumed(&p.b.core), (int)size);
	/* The backend cannot answer requests it has not consumed. */
	CU_ASSERT_EQUAL(tring_back_put(&p.b, &r), -ENOSPC);
	CU_ASSERT_EQUAL(tring_back_get_request(&p.b, &q), 1);
	CU_ASSERT_EQUAL(tring_back_owed(&p.b), 1);
	CU_ASSERT_EQUAL(tring_back_put(&p.b, &r), 0);
	CU_ASSERT_EQUAL(tring_back_owed(&p.b), 0);
	/* A slot frees only when its response is consumed. */
	CU_ASSERT_EQUAL(tring_front_free(&p.f), 0);
	tring_back_push(&p.b);
	CU_ASSERT_EQUAL(tring_front_get_response(&p.f, &r), 1);
	CU_ASSERT_EQUAL(tring_front_free(&p.f), 1);
	pair_close(&p);
}

static void test_in_place_slots(void)
{
	struct pair p;
	struct treq *slot, q;
	struct trsp *rs, r;

	pair_open(&p, 1, 0);
	slot = tring_front_slot(&p.f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(slot);
	CU_ASSERT_EQUAL(slot->id, 0); /* handed out zeroed */
	slot->id = 77;
	pv_ring_front_produce(&p.f.core);
	tring_front_push(&p.f);
	CU_ASSERT_EQUAL(tring_back_get_request(&p.b, &q), 1);
	CU_ASSERT_EQUAL(q.id, 77);
	rs = pv_ring_back_slot(&p.b.core);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rs);
	rs->id = 78;
	pv_ring_back_produce(&p.b.core);
	CU_ASSERT_PTR_NULL(pv_ring_back_slot(&p.b.core));
	tring_back_push(&p.b);
	CU_ASSERT_EQUAL(tring_front_get_response(&p.f, &r), 1);
	CU_ASSERT_EQUAL(r.id, 78);
	pair_close(&p);
}

/* ---- notification rule ------------------------------------------------------------------- */

/*
 * From pushed index @old, produce @k requests with req_event = @event and
 * push: the result must be Xen's (new - event) < (new - old).
 */
static int front_notify(pv_ring_idx_t old, uint32_t k, pv_ring_idx_t event)
{
	struct pair p;
	struct treq q = mkreq(0);
	int rc;

	pair_open(&p, 1, old);
	for (uint32_t i = 0; i < k; i++)
		tring_front_put(&p.f, &q);
	p.s->req_event = event;
	rc = tring_front_push(&p.f);
	pair_close(&p);
	return rc;
}

static int back_notify(pv_ring_idx_t old, uint32_t k, pv_ring_idx_t event)
{
	struct pair p;
	struct treq q = mkreq(0);
	struct trsp r = mkrsp(0);
	int rc;

	pair_open(&p, 1, old);
	for (uint32_t i = 0; i < k; i++)
		tring_front_put(&p.f, &q);
	tring_front_push(&p.f);
	for (uint32_t i = 0; i < k; i++) {
		tring_back_get_request(&p.b, &q);
		tring_back_put(&p.b, &r);
	}
	p.s->rsp_event = event;
	rc = tring_back_push(&p.b);
	pair_close(&p);
	return rc;
}

static void test_notify_truth_table(void)
{
	static const struct {
		pv_ring_idx_t old;
		uint32_t k;
		pv_ring_idx_t event;
		int notify;
	} t[] = {
		{0, 1, 1, 1},                     /* peer waits for the first message */
		{0, 4, 1, 1},                     /* event inside the batch */
		{0, 4, 4, 1},                     /* event at the new index */
		{0, 4, 5, 0},                     /* event beyond: peer still busy */
		{10, 4, 10, 0},                   /* event already passed before */
		{10, 4, 3, 0},                    /* stale event long behind */
		{10, 0, 11, 0},                   /* empty push never notifies */
		{0xFFFFFFFEu, 4, 0, 1},           /* event across the wrap */
		{0xFFFFFFFEu, 4, 0xFFFFFFFFu, 1}, /* first new index */
		{0xFFFFFFFEu, 4, 3, 0},           /* just beyond after wrap */
		{0xFFFFFFFEu, 4, 0xFFFFFFFEu, 0}, /* the old index itself */
		{5, 8, 0x80000000u, 0},           /* far away */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CU_ASSERT_EQUAL(front_notify(t[i].old, t[i].k, t[i].event), t[i].notify);
		CU_ASSERT_EQUAL(back_notify(t[i].old, t[i].k, t[i].event), t[i].notify);
	}
}

/* ---- final check ------------------------------------------------------------------------ */

static void test_final_check_rearm(void)
{
	struct pair p;
	struct treq q = mkreq(0);
	struct trsp r;

	pair_open(&p, 1, 0);
	/* Idle backend re-arms req_event at req_cons + 1 and says sleep. */
	CU_ASSERT_EQUAL(tring_back_final_check(&p.b), 0);
	CU_ASSERT_EQUAL(p.s->req_event, 1);
	tring_front_put(&p.f, &q);
	tring_front_put(&p.f, &q);
	CU_ASSERT_EQUAL(tring_front_push(&p.f), 1);
	/* Busy backend: work pending, event left alone, so no more notifies. */
	CU_ASSERT_EQUAL(tring_back_final_check(&p.b), 2);
	CU_ASSERT_EQUAL(p.s->req_event, 1);
	tring_front_put(&p.f, &q);
	CU_ASSERT_EQUAL(tring_front_push(&p.f), 0);
	CU_ASSERT_EQUAL(back_serve(&p), 3);
	/* Drained: re-arm past the consumed requests. */
	CU_ASSERT_EQUAL(tring_back_final_check(&p.b), 0);
	CU_ASSERT_EQUAL(p.s->req_event, 4);
	/* The frontend had not re-armed rsp_event past 1: the push notifies once. */
	CU_ASSERT_EQUAL(tring_back_push(&p.b), 1);
	CU_ASSERT_EQUAL(tring_front_final_check(&p.f), 3);
	while (tring_front_get_response(&p.f, &r) > 0)
		;
	CU_ASSERT_EQUAL(tring_front_final_check(&p.f), 0);
	CU_ASSERT_EQUAL(p.s->rsp_event, 4);
	/* Next request notifies again; its response too. */
	tring_front_put(&p.f, &q);
	CU_ASSERT_EQUAL(tring_front_push(&p.f), 1);
	CU_ASSERT_EQUAL(back_serve(&p), 1);
	CU_ASSERT_EQUAL(tring_back_push(&p.b), 1);
	pair_close(&p);
}

/* ---- hostile indices ------------------------------------------------------------------------ */

static void test_hostile_req_prod(void)
{
	struct pair p;
	struct treq q = mkreq(0);
	struct trsp r = mkrsp(0);
	uint32_t size;

	pair_open(&p, 1, 0);
	size = pv_ring_back_size(&p.b.core);
	p.s->req_prod = size; /* exactly a ring: legal */
	CU_ASSERT_EQUAL(pv_ring_back_unconsumed(&p.b.core), (int)size);
	p.s->req_prod = size + 1;
	CU_ASSERT_EQUAL(tring_back_get_request(&p.b, &q), -EPROTO);
	/* Sticky: even a repaired index does not revive the ring. */
	p.s->req_prod = 1;
	CU_ASSERT_EQUAL(tring_back_get_request(&p.b, &q), -EPROTO);
	CU_ASSERT_EQUAL(tring_back_final_check(&p.b), -EPROTO);
	CU_ASSERT_EQUAL(tring_back_push(&p.b), -EPROTO);
	CU_ASSERT_EQUAL(tring_back_put(&p.b, &r), -EPROTO);
	pair_close(&p);

	/* Far ahead across the wrap. */
	pair_open(&p, 1, 0xFFFFFFF0u);
	p.s->req_prod = 0x80000000u;
	CU_ASSERT_EQUAL(tring_back_final_check(&p.b), -EPROTO);
	pair_close(&p);
}

static void test_hostile_req_prod_backwards(void)
{
	struct pair p;
	struct treq q = mkreq(0);

	pair_open(&p, 1, 0);
	for (int i = 0; i < 4; i++)
		tring_front_put(&p.f, &q);
	tring_front_push(&p.f);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(tring_back_get_request(&p.b, &q), 1);
	/* Taking back two requests the backend already consumed (unanswered). */
	p.s->req_prod = 2;
	CU_ASSERT_EQUAL(pv_ring_back_unconsumed(&p.b.core), -EPROTO);
	pair_close(&p);
}

static void test_hostile_rsp_prod(void)
{
	struct pair p;
	struct treq q = mkreq(0);
	struct trsp r;

	/* Ahead: more responses than requests pushed. */
	pair_open(&p, 1, 0);
	tring_front_put(&p.f, &q);
	tring_front_put(&p.f, &q);
	tring_front_push(&p.f);
	tring_front_put(&p.f, &q); /* produced, not pushed: cannot be answered */
	p.s->rsp_prod = 3;
	CU_ASSERT_EQUAL(tring_front_get_response(&p.f, &r), -EPROTO);
	CU_ASSERT_EQUAL(tring_front_put(&p.f, &q), -EPROTO);
	CU_ASSERT_EQUAL(tring_front_push(&p.f), -EPROTO);
	CU_ASSERT_EQUAL(tring_front_free(&p.f), 0);
	pair_close(&p);

	/* Behind: rsp_prod moves back below rsp_cons. */
	pair_open(&p, 1, 100);
	tring_front_put(&p.f, &q);
	tring_front_push(&p.f);
	CU_ASSERT_EQUAL(back_serve(&p), 1);
	tring_back_push(&p.b);
	CU_ASSERT_EQUAL(tring_front_get_response(&p.f, &r), 1);
	p.s->rsp_prod = 99;
	CU_ASSERT_EQUAL(tring_front_final_check(&p.f), -EPROTO);
	pair_close(&p);

	/* A lone backend response with no request at all. */
	pair_open(&p, 1, 0);
	p.s->rsp_prod = 1;
	CU_ASSERT_EQUAL(tring_front_final_check(&p.f), -EPROTO);
	pair_close(&p);
}

struct scribbler {
	pv_ring_idx_t *field;
	atomic_int stop;
	atomic_int started;
	uint32_t seed;
};

/* A hostile peer rewriting one shared index with random values, non-stop. */
static void *scribble_index(void *arg)
{
	struct scribbler *s = arg;

	atomic_store(&s->started, 1);
	while (!atomic_load(&s->stop)) {
		s->seed = s->seed * 1103515245u + 12345u;
		atomic_store_explicit((_Atomic pv_ring_idx_t *)s->field, s->seed % 3 ? s->seed >> 20 : s->seed,
				      memory_order_relaxed);
	}
	return NULL;
}

static void test_indices_rewritten_between_reads(void)
{
	struct pair p;
	struct scribbler sc = {.seed = 42};
	pthread_t th;
	struct treq q;
	struct trsp r;
	uint32_t size;

	pair_open(&p, 1, 0);
	size = pv_ring_back_size(&p.b.core);
	sc.field = &p.s->req_prod;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, scribble_index, &sc), 0);
	while (!atomic_load(&sc.started))
		pv_cpu_relax();
	/* Each round: consume whatever is claimed, answer it. Never more than a ring in flight. */
	for (int round = 0; round < 10000000 && !p.b.core.v.error; round++) {
		int rc, n = 0;

		while ((rc = tring_back_get_request(&p.b, &q)) > 0) {
			n++;
			CU_ASSERT_FATAL(tring_back_owed(&p.b) <= size);
		}
		CU_ASSERT(rc == 0 || rc == -EPROTO);
		CU_ASSERT(n <= (int)size);
		/* A batch cut short by -EPROTO leaves a broken ring: answers are refused. */
		for (int i = 0; i < n; i++) {
			r = mkrsp(i);
			CU_ASSERT_EQUAL(tring_back_put(&p.b, &r), rc == 0 ? 0 : -EPROTO);
		}
		tring_back_push(&p.b);
	}
	atomic_store(&sc.stop, 1);
	pthread_join(th, NULL);
	/* Random 32-bit values are almost all garbage: the ring must have been declared broken. */
	CU_ASSERT_EQUAL(p.b.core.v.error, -EPROTO);
	pair_close(&p);
}

/*
 * A random schedule of honest operations on both halves mixed with a
 * hostile peer overwriting any shared index. Whatever happens: no half
 * ever holds more than a ring of work, no call returns more than one
 * message, and a broken ring stays broken. ASan checks every slot access.
 */
static void random_step(struct pair *p, uint32_t r, uint32_t size)
{
	struct treq q = mkreq(r);
	struct trsp rs = mkrsp(r);
	pv_ring_idx_t *idx[] = {&p->s->req_prod, &p->s->rsp_prod, &p->s->req_event, &p->s->rsp_event};

	switch (r % 9) {
	case 0: tring_front_put(&p->f, &q); break;
	case 1: tring_front_push(&p->f); break;
	case 2: CU_ASSERT(tring_front_get_response(&p->f, &rs) <= 1); break;
	case 3: CU_ASSERT(tring_back_get_request(&p->b, &q) <= 1); break;
	case 4: tring_back_put(&p->b, &rs); break;
	case 5: tring_back_push(&p->b); break;
	case 6: CU_ASSERT(tring_front_final_check(&p->f) <= (int)size); break;
	case 7: CU_ASSERT(tring_back_final_check(&p->b) <= (int)size); break;
	default:
		/* The hostile peer: a near value most of the time, garbage sometimes. */
		*idx[(r >> 8) % 4] += (r >> 16) % 8 == 0 ? r : (r >> 12) % 5 - 2;
		break;
	}
}

static void test_random_hostile_schedule(void)
{
	uint32_t seed = 12345, size, broken = 0;
	struct pair p;

	pair_open(&p, 1, 0xFFFFFF00u);
	size = pv_ring_front_size(&p.f.core);
	for (int step = 0; step < 200000; step++) {
		int fe = p.f.core.v.error, be = p.b.core.v.error;

		seed = seed * 1103515245u + 12345u;
		random_step(&p, seed, size);
		CU_ASSERT(tring_front_free(&p.f) <= size);
		CU_ASSERT(tring_back_owed(&p.b) <= size);
		CU_ASSERT(!fe || p.f.core.v.error == fe);
		CU_ASSERT(!be || p.b.core.v.error == be);
		if (p.f.core.v.error && p.b.core.v.error) {
			broken++;
			pair_close(&p);
			pair_open(&p, 1, seed);
		}
	}
	CU_ASSERT(broken > 0); /* the hostile peer was caught, many times */
	pair_close(&p);
}

/* ---- copy-out (XSA-155) ------------------------------------------------------------------- */

struct slot_scribbler {
	unsigned char *slots;
	size_t bytes;
	atomic_int stop;
};

/* A hostile frontend rewriting nr_segments in every published slot. */
static void *scribble_slots(void *arg)
{
	struct slot_scribbler *s = arg;
	uint8_t v = 0;

	while (!atomic_load(&s->stop)) {
		for (size_t off = 0; off + sizeof(struct treq) <= s->bytes; off += sizeof(struct treq)) {
			struct treq *q = (struct treq *)(s->slots + off);

			__atomic_store_n(&q->nr_segments, v & 1 ? 200 : 1, __ATOMIC_RELAXED);
		}
		v++;
	}
	return NULL;
}

static void test_copy_out_double_fetch(void)
{
	struct pair p;
	struct slot_scribbler sc;
	pthread_t th;
	struct treq q = mkreq(0);
	int accepted = 0, rejected = 0, misused = 0;
	uint64_t private_table[MAX_SEGS];

	pair_open(&p, 1, 0);
	sc.slots = p.f.core.v.slots;
	sc.bytes = (size_t)pv_ring_front_size(&p.f.core) * sizeof(struct treq);
	atomic_init(&sc.stop, 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, scribble_slots, &sc), 0);
	for (int i = 0; i < 20000; i++) {
		struct treq copy;
		struct trsp r = mkrsp(0);

		tring_front_put(&p.f, &q);
		tring_front_push(&p.f);
		CU_ASSERT_EQUAL_FATAL(tring_back_get_request(&p.b, &copy), 1);
		if (copy.nr_segments > MAX_SEGS) {
			rejected++;
		} else {
			/* Act on the validated copy, after giving the scribbler time to change the slot. */
			for (volatile int spin = 0; spin < 50; spin++)
				;
			for (unsigned int s = 0; s < copy.nr_segments; s++)
				private_table[s] = copy.sector + s;
			misused += copy.nr_segments > MAX_SEGS;
			accepted++;
		}
		tring_back_put(&p.b, &r);
		tring_back_push(&p.b);
		CU_ASSERT_EQUAL(tring_front_get_response(&p.f, &r), 1);
	}
	atomic_store(&sc.stop, 1);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(misused, 0);
	CU_ASSERT_EQUAL(accepted + rejected, 20000);
	CU_ASSERT(private_table[0] == 0);
	pair_close(&p);
}

/* ---- every byte of a produced slot is defined (XSA-216) ------------------------------------- */

static void test_slots_fully_defined(void)
{
	struct pair p;
	struct treq q = mkreq(3);
	struct trsp r = mkrsp(1003);
	const unsigned char *slot;
	size_t canaries = 0;

	pair_open(&p, 1, 0);
	/* Stale bytes everywhere in the slot area, as a reused page would hold. */
	memset(p.f.core.v.slots, 0xAA, pv_ring_front_size(&p.f.core) * sizeof(struct treq));
	tring_front_put(&p.f, &q);
	tring_front_push(&p.f);
	CU_ASSERT_EQUAL(tring_back_get_request(&p.b, &q), 1);
	CU_ASSERT_EQUAL(tring_back_put(&p.b, &r), 0);
	tring_back_push(&p.b);
	/* The response occupies slot 0: its bytes, then zeroes up to the slot size. */
	slot = p.b.core.v.slots;
	CU_ASSERT_EQUAL(memcmp(slot, &r, sizeof(r)), 0);
	for (size_t i = sizeof(r); i < sizeof(struct treq); i++)
		canaries += slot[i] != 0;
	CU_ASSERT_EQUAL(canaries, 0);
	pair_close(&p);
}

static void test_request_tail_defined(void)
{
	/* A response larger than the request (netif rx): the request slot's tail is zeroed. */
	struct pv_ring_shape shape = {32, 8, 32};
	struct pv_ring_front f;
	unsigned char *mem = pages_alloc(1);
	uint64_t req = 0x0102030405060708ull;
	size_t bad = 0;

	CU_ASSERT_EQUAL_FATAL(pv_ring_front_init(&f, mem, 1, &shape), 0);
	memset(f.v.slots, 0xAA, 32);
	CU_ASSERT_EQUAL(pv_ring_front_put(&f, &req), 0);
	CU_ASSERT_EQUAL(memcmp(f.v.slots, &req, 8), 0);
	for (size_t i = 8; i < 32; i++)
		bad += f.v.slots[i] != 0;
	CU_ASSERT_EQUAL(bad, 0);
	free(mem);
}

static CU_TestInfo ring_tests[] = {
	{"sizes for 1..16 pages", test_sizes},
	{"init rejects bad arguments", test_init_rejects},
	{"front init zeroes the ring", test_front_init_zeroes},
	{"round trip", test_round_trip},
	{"index wrap at 2^32", test_wrap_2_32},
	{"batching and a full ring", test_batching_and_full},
	{"in-place slots", test_in_place_slots},
	{"notify truth table", test_notify_truth_table},
	{"final check re-arms the event", test_final_check_rearm},
	{"hostile req_prod ahead", test_hostile_req_prod},
	{"hostile req_prod backwards", test_hostile_req_prod_backwards},
	{"hostile rsp_prod ahead and behind", test_hostile_rsp_prod},
	{"indices rewritten between reads", test_indices_rewritten_between_reads},
	{"random schedule with a hostile peer", test_random_hostile_schedule},
	{"copy-out under a rewriting peer (XSA-155)", test_copy_out_double_fetch},
	{"response slots fully defined (XSA-216)", test_slots_fully_defined},
	{"request slot tail defined", test_request_tail_defined},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"ring", NULL, NULL, NULL, NULL, ring_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

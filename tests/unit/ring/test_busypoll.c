/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ring/busypoll.c: the adaptive window (grow, keep, shrink
 * to zero, preemption, a contended CPU), the cap and its environment knob,
 * counters. A fake clock and a fake count of involuntary context switches
 * make every step deterministic; nothing asserts a time.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pvkit/busypoll.h"
#include "../../harness/cunit.h"

/* A clock that moves @step ns per read, and once by @jump at read number @jump_at. */
struct fake_clock {
	uint64_t t;
	uint64_t step;
	unsigned int reads;
	unsigned int jump_at; /* 0: never */
	uint64_t jump;
};

static uint64_t fake_now(void *arg)
{
	struct fake_clock *c = arg;
	uint64_t t = c->t;

	c->reads++;
	c->t += c->step;
	if (c->jump_at && c->reads == c->jump_at)
		c->t += c->jump;
	return t;
}

/* Ready after @after calls (0: never), or always @rc once that many calls passed. */
struct fake_ring {
	unsigned int calls;
	unsigned int after;
	int rc;
};

static int fake_ready(void *arg)
{
	struct fake_ring *r = arg;

	r->calls++;
	return r->after && r->calls >= r->after ? r->rc : 0;
}

/* Involuntary context switches the fake scheduler reports. */
static uint64_t fake_nivcsw;

static uint64_t fake_preempts(void *arg)
{
	(void)arg;
	return fake_nivcsw;
}

static void setup_bp(struct pv_busypoll *bp, struct fake_clock *c, uint32_t max_ns)
{
	pv_busypoll_init(bp, max_ns);
	bp->clock = fake_now;
	bp->clock_arg = c;
	bp->preempts = fake_preempts;
	fake_nivcsw = 1000; /* whatever the thread had before: the first look is the baseline */
}

/* A wait the window misses, then a sleep of @sleep_ns: one full cycle. */
static void miss_and_sleep(struct pv_busypoll *bp, struct fake_clock *c, uint64_t sleep_ns)
{
	struct fake_ring r = {0};

	CU_ASSERT_EQUAL(pv_busypoll_spin(bp, fake_ready, &r), 0);
	c->t += sleep_ns;
	pv_busypoll_woke(bp);
}

static void test_init_and_env(void)
{
	struct pv_busypoll bp;

	unsetenv("PVKIT_BUSYPOLL_NS");
	pv_busypoll_init(&bp, PV_BUSYPOLL_DEFAULT);
	CU_ASSERT_EQUAL(bp.max_ns, PV_BUSYPOLL_DEFAULT_NS);
	CU_ASSERT_EQUAL(bp.window_ns, 0);
	CU_ASSERT_EQUAL(bp.hits + bp.misses, 0);
	setenv("PVKIT_BUSYPOLL_NS", "0", 1);
	pv_busypoll_init(&bp, PV_BUSYPOLL_DEFAULT);
	CU_ASSERT_EQUAL(bp.max_ns, 0);
	setenv("PVKIT_BUSYPOLL_NS", "20000", 1);
	CU_ASSERT_EQUAL(pv_busypoll_default_ns(), 20000);
	setenv("PVKIT_BUSYPOLL_NS", "99999999999", 1);
	CU_ASSERT_EQUAL(pv_busypoll_default_ns(), PV_BUSYPOLL_MAX_NS);
	setenv("PVKIT_BUSYPOLL_NS", "12us", 1);
	CU_ASSERT_EQUAL(pv_busypoll_default_ns(), PV_BUSYPOLL_DEFAULT_NS);
	setenv("PVKIT_BUSYPOLL_NS", "-5", 1);
	CU_ASSERT_EQUAL(pv_busypoll_default_ns(), PV_BUSYPOLL_DEFAULT_NS);
	unsetenv("PVKIT_BUSYPOLL_NS");
	/* An explicit cap wins over the environment; clamped. */
	pv_busypoll_init(&bp, 7000);
	CU_ASSERT_EQUAL(bp.max_ns, 7000);
	pv_busypoll_init(&bp, 5000000000ll);
	CU_ASSERT_EQUAL(bp.max_ns, PV_BUSYPOLL_MAX_NS);
}

static void test_off(void)
{
	struct fake_clock c = {.step = 1000};
	struct fake_ring r = {.after = 1, .rc = 1};
	struct pv_busypoll bp;

	setup_bp(&bp, &c, 0);
	for (int i = 0; i < 10; i++) {
		CU_ASSERT_EQUAL(pv_busypoll_spin(&bp, fake_ready, &r), 0);
		pv_busypoll_woke(&bp);
	}
	CU_ASSERT_EQUAL(r.calls, 0);
	CU_ASSERT_EQUAL(c.reads, 0);
	CU_ASSERT_EQUAL(bp.window_ns, 0);
	CU_ASSERT_EQUAL(bp.hits + bp.misses, 0);
}

/* Short waits grow the window from 0: START, then doubling, up to the cap. */
static void test_grow_to_cap(void)
{
	struct fake_clock c = {.step = 1000};
	struct fake_ring r = {.after = 1, .rc = 1};
	struct pv_busypoll bp;

	setup_bp(&bp, &c, 50000);
	/* Window 0: no poll at all, only the wait is timed. */
	CU_ASSERT_EQUAL(pv_busypoll_spin(&bp, fake_ready, &r), 0);
	CU_ASSERT_EQUAL(r.calls, 0);
	CU_ASSERT_EQUAL(bp.misses, 0);
	c.t += 3000;
	pv_busypoll_woke(&bp);
	CU_ASSERT_EQUAL(bp.window_ns, PV_BUSYPOLL_START_NS);
	miss_and_sleep(&bp, &c, 2000);
	CU_ASSERT_EQUAL(bp.window_ns, 20000);
	miss_and_sleep(&bp, &c, 2000);
	CU_ASSERT_EQUAL(bp.window_ns, 40000);
	miss_and_sleep(&bp, &c, 2000);
	CU_ASSERT_EQUAL(bp.window_ns, 50000);
	/* The cap holds; the wait (50 us polled + 2 us) is past it now: shrink. */
	miss_and_sleep(&bp, &c, 2000);
	CU_ASSERT_EQUAL(bp.window_ns, 25000);
	CU_ASSERT_EQUAL(bp.misses, 4);
	CU_ASSERT_EQUAL(bp.hits, 0);
	/* woke() twice for one wait adapts once. */
	pv_busypoll_woke(&bp);
	CU_ASSERT_EQUAL(bp.window_ns, 25000);
}

/* Long waits shrink the window by halves, to zero below START, and it stays there. */
static void test_shrink_to_zero(void)
{
	struct fake_clock c = {.step = 1000};
	struct pv_busypoll bp;

	setup_bp(&bp, &c, 100000);
	for (int i = 0; i < 5; i++)
		miss_and_sleep(&bp, &c, 500);
	CU_ASSERT_EQUAL(bp.window_ns, 100000);
	miss_and_sleep(&bp, &c, 1000000);
	CU_ASSERT_EQUAL(bp.window_ns, 50000);
	miss_and_sleep(&bp, &c, 1000000);
	CU_ASSERT_EQUAL(bp.window_ns, 25000);
	miss_and_sleep(&bp, &c, 1000000);
	CU_ASSERT_EQUAL(bp.window_ns, 12500);
	miss_and_sleep(&bp, &c, 1000000);
	CU_ASSERT_EQUAL(bp.window_ns, 0);
	/* At zero an idle device costs no polling: ready() is never called. */
	for (int i = 0; i < 3; i++) {
		struct fake_ring r = {0};
		uint64_t misses = bp.misses;

		CU_ASSERT_EQUAL(pv_busypoll_spin(&bp, fake_ready, &r), 0);
		CU_ASSERT_EQUAL(r.calls, 0);
		CU_ASSERT_EQUAL(bp.misses, misses);
		c.t += 1000000;
		pv_busypoll_woke(&bp);
		CU_ASSERT_EQUAL(bp.window_ns, 0);
	}
}

/* Work inside the window: returned, counted as a hit, window kept, no woke() owed. */
static void test_hit_keeps_window(void)
{
	struct fake_clock c = {.step = 1000};
	struct fake_ring r = {.after = 3, .rc = 2};
	struct pv_busypoll bp;

	setup_bp(&bp, &c, 50000);
	miss_and_sleep(&bp, &c, 100);
	miss_and_sleep(&bp, &c, 100);
	CU_ASSERT_EQUAL(bp.window_ns, 20000);
	CU_ASSERT_EQUAL(pv_busypoll_spin(&bp, fake_ready, &r), 2);
	CU_ASSERT_EQUAL(r.calls, 3);
	CU_ASSERT_EQUAL(bp.hits, 1);
	CU_ASSERT_EQUAL(bp.window_ns, 20000);
	c.t += 1000000;
	pv_busypoll_woke(&bp); /* nothing open: no shrink */
	CU_ASSERT_EQUAL(bp.window_ns, 20000);
}

/* The window bounds the spin: with 1 us per clock read, a 20 us window polls about 20 times. */
static void test_window_bounds_spin(void)
{
	struct fake_clock c = {.step = 1000};
	struct fake_ring r = {0};
	struct pv_busypoll bp;

	setup_bp(&bp, &c, 50000);
	miss_and_sleep(&bp, &c, 100);
	miss_and_sleep(&bp, &c, 100);
	CU_ASSERT_EQUAL(bp.window_ns, 20000);
	CU_ASSERT_EQUAL(pv_busypoll_spin(&bp, fake_ready, &r), 0);
	CU_ASSERT(r.calls >= 19 && r.calls <= 21);
	CU_ASSERT_EQUAL(bp.misses, 2);
}

/* Descheduled mid-poll: stop, halve now, and the wait that follows does not grow it. */
static void test_preempted(void)
{
	struct fake_clock c = {.step = 1000};
	struct fake_ring r = {0};
	struct pv_busypoll bp;

	setup_bp(&bp, &c, 50000);
	for (int i = 0; i < 4; i++)
		miss_and_sleep(&bp, &c, 100);
	CU_ASSERT_EQUAL(bp.window_ns, 50000);
	c.jump_at = c.reads + 5;
	c.jump = PV_BUSYPOLL_PREEMPT_NS + 1000;
	CU_ASSERT_EQUAL(pv_busypoll_spin(&bp, fake_ready, &r), 0);
	CU_ASSERT(r.calls <= 6);
	CU_ASSERT_EQUAL(bp.preempted, 1);
	CU_ASSERT_EQUAL(bp.window_ns, 25000);
	c.t += 100;
	pv_busypoll_woke(&bp);
	CU_ASSERT_EQUAL(bp.window_ns, 25000);
	/* The next short wait grows it again. */
	c.jump_at = 0;
	miss_and_sleep(&bp, &c, 100);
	CU_ASSERT_EQUAL(bp.window_ns, 50000);
}

/*
 * A contended CPU (involuntary switches between two looks): the window goes
 * to 0 and short waits do not grow it until a look finds the CPU free again.
 */
static void test_contended(void)
{
	struct fake_clock c = {.step = 1000};
	struct pv_busypoll bp;

	setup_bp(&bp, &c, 50000);
	for (int i = 0; i < 4; i++)
		miss_and_sleep(&bp, &c, 100);
	CU_ASSERT_EQUAL(bp.window_ns, 50000);
	CU_ASSERT_EQUAL(bp.contended, 0);
	/* Preempted twice, then the next look is due. */
	fake_nivcsw += PV_BUSYPOLL_CONTENDED;
	c.t += PV_BUSYPOLL_CHECK_NS;
	miss_and_sleep(&bp, &c, 100);
	CU_ASSERT_EQUAL(bp.contended, 1);
	CU_ASSERT_EQUAL(bp.contended_looks, 1);
	CU_ASSERT_EQUAL(bp.window_ns, 0);
	for (int i = 0; i < 5; i++)
		miss_and_sleep(&bp, &c, 100);
	CU_ASSERT_EQUAL(bp.window_ns, 0);
	/* Once per check interval only: more switches before it change nothing yet. */
	fake_nivcsw += 1;
	c.t += PV_BUSYPOLL_CHECK_NS;
	miss_and_sleep(&bp, &c, 100); /* one switch since the last look: free */
	CU_ASSERT_EQUAL(bp.contended, 0);
	CU_ASSERT_EQUAL(bp.window_ns, PV_BUSYPOLL_START_NS);
	miss_and_sleep(&bp, &c, 100);
	CU_ASSERT_EQUAL(bp.window_ns, 20000);
	CU_ASSERT_EQUAL(bp.contended_looks, 1);
}

/* The first look takes the thread's count as it is: no contention from a history. */
static void test_first_look_is_baseline(void)
{
	struct fake_clock c = {.step = 1000};
	struct pv_busypoll bp;

	setup_bp(&bp, &c, 50000);
	fake_nivcsw = 123456;
	miss_and_sleep(&bp, &c, 100);
	CU_ASSERT_EQUAL(bp.contended, 0);
	CU_ASSERT_EQUAL(bp.window_ns, PV_BUSYPOLL_START_NS);
	CU_ASSERT_EQUAL(bp.nivcsw, 123456);
}

/* An error from ready() stops the poll, is returned, and is counted as neither. */
static void test_error(void)
{
	struct fake_clock c = {.step = 1000};
	struct fake_ring r = {.after = 2, .rc = -EPROTO};
	struct pv_busypoll bp;

	setup_bp(&bp, &c, 50000);
	miss_and_sleep(&bp, &c, 100);
	CU_ASSERT_EQUAL(pv_busypoll_spin(&bp, fake_ready, &r), -EPROTO);
	CU_ASSERT_EQUAL(bp.hits, 0);
	CU_ASSERT_EQUAL(bp.misses, 0);
	pv_busypoll_woke(&bp);
	CU_ASSERT_EQUAL(bp.window_ns, PV_BUSYPOLL_START_NS);
}

/* A cap below START: the window is 0 or the cap. */
static void test_small_cap(void)
{
	struct fake_clock c = {.step = 1000};
	struct pv_busypoll bp;

	setup_bp(&bp, &c, 4000);
	miss_and_sleep(&bp, &c, 100);
	CU_ASSERT_EQUAL(bp.window_ns, 4000);
	miss_and_sleep(&bp, &c, 100000);
	CU_ASSERT_EQUAL(bp.window_ns, 0);
}

/* The real clock: a ring with work is a hit at the first look. */
static void test_real_clock(void)
{
	struct fake_ring r = {.after = 1, .rc = 1};
	struct pv_busypoll bp;

	pv_busypoll_init(&bp, 50000);
	bp.window_ns = 50000;
	CU_ASSERT_EQUAL(pv_busypoll_spin(&bp, fake_ready, &r), 1);
	CU_ASSERT_EQUAL(bp.hits, 1);
	CU_ASSERT_EQUAL(r.calls, 1);
}

/*
 * pv_busypoll_epoll_wait() on an eventfd: with the window at 0 it is a
 * plain wait (a miss grows the window); with it open a ready fd is a hit
 * without sleeping; a window that passes falls back to the timed wait.
 */
static void test_epoll_wait(void)
{
	struct fake_clock c = {.step = 1000};
	struct epoll_event ev = {.events = EPOLLIN}, out[2];
	struct pv_busypoll bp;
	uint64_t one = 1;
	int ep = epoll_create1(0), efd = eventfd(0, EFD_NONBLOCK);

	CU_ASSERT_FATAL(ep >= 0 && efd >= 0);
	CU_ASSERT_FATAL(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == 0);
	setup_bp(&bp, &c, 50000);
	CU_ASSERT_EQUAL(pv_busypoll_epoll_wait(&bp, ep, out, 2, 0), 0);
	CU_ASSERT_EQUAL(bp.window_ns, PV_BUSYPOLL_START_NS); /* a short wait: grown */
	CU_ASSERT_EQUAL(write(efd, &one, sizeof(one)), (ssize_t)sizeof(one));
	CU_ASSERT_EQUAL(pv_busypoll_epoll_wait(&bp, ep, out, 2, -1), 1);
	CU_ASSERT_EQUAL(bp.hits, 1);
	CU_ASSERT_EQUAL(bp.misses, 0);
	CU_ASSERT_EQUAL(read(efd, &one, sizeof(one)), (ssize_t)sizeof(one));
	CU_ASSERT_EQUAL(pv_busypoll_epoll_wait(&bp, ep, out, 2, 0), 0); /* the window passes */
	CU_ASSERT_EQUAL(bp.misses, 1);
	close(efd);
	close(ep);
}

static CU_TestInfo busypoll_tests[] = {
	{"cap from init and PVKIT_BUSYPOLL_NS", test_init_and_env},
	{"cap 0: no poll, no clock", test_off},
	{"short waits grow the window to the cap", test_grow_to_cap},
	{"long waits shrink it to zero", test_shrink_to_zero},
	{"a hit keeps the window", test_hit_keeps_window},
	{"the window bounds the spin", test_window_bounds_spin},
	{"preempted while polling", test_preempted},
	{"a contended CPU stops polling", test_contended},
	{"the first contention look is a baseline", test_first_look_is_baseline},
	{"an error from ready()", test_error},
	{"a cap below the start window", test_small_cap},
	{"the real clock", test_real_clock},
	{"an epoll set polled, then waited on", test_epoll_wait},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"busypoll", NULL, NULL, NULL, NULL, busypoll_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

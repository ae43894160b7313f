/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ring/evstorm.c: spurious wake-ups counted, the back-off
 * after a run of them (doubling to its cap), work ending it, and the held
 * ports (masked until released, duplicates once, extras never held). The
 * event channel is a fake: a queue of pending ports and a record of unmasks.
 */
#include <errno.h>
#include <string.h>

#include "pvkit/evstorm.h"
#include "../../harness/cunit.h"

/* ---- a fake event channel ------------------------------------------------------ */

static int pend[64];
static unsigned int npend, next_pend;
static pv_evtchn_port_t unmasked[64];
static unsigned int nunmasked;

int pv_evtchn_pending(struct pv_evtchn *e)
{
	(void)e;
	return next_pend < npend ? pend[next_pend++] : -EAGAIN;
}

int pv_evtchn_unmask(struct pv_evtchn *e, pv_evtchn_port_t port)
{
	(void)e;
	if (nunmasked < 64)
		unmasked[nunmasked++] = port;
	return 0;
}

static void pending(unsigned int n, const int *ports)
{
	if (n)
		memcpy(pend, ports, n * sizeof(*ports));
	npend = n;
	next_pend = 0;
	nunmasked = 0;
}

#define EV ((struct pv_evtchn *)pend)

/* ---- tests ----------------------------------------------------------------------- */

static void test_counts_and_backs_off(void)
{
	struct pv_evstorm s = {0};
	uint32_t hold = 0;

	/* A notification with work: nothing spurious, never held. */
	CU_ASSERT_EQUAL(pv_evstorm_wake(&s, 1, 1), 0);
	CU_ASSERT_EQUAL(s.spurious, 0);
	for (unsigned int i = 1; i < PV_EVSTORM_RUN; i++)
		CU_ASSERT_EQUAL(pv_evstorm_wake(&s, 1, 0), 0);
	CU_ASSERT_EQUAL(s.spurious, PV_EVSTORM_RUN - 1);
	/* The run's last one begins the back-off. */
	hold = pv_evstorm_wake(&s, 1, 0);
	CU_ASSERT_EQUAL(hold, PV_EVSTORM_MIN_NS);
	CU_ASSERT(pv_evstorm_began(&s));
	CU_ASSERT_EQUAL(s.backoffs, 1);
	/* Each further spurious wake-up doubles it, up to the cap. */
	for (uint32_t want = 2 * PV_EVSTORM_MIN_NS; want <= PV_EVSTORM_MAX_NS; want *= 2) {
		CU_ASSERT_EQUAL(pv_evstorm_wake(&s, 1, 0), want);
		CU_ASSERT(!pv_evstorm_began(&s));
	}
	CU_ASSERT_EQUAL(pv_evstorm_wake(&s, 1, 0), PV_EVSTORM_MAX_NS);
	/* A timeout (no notification) never holds, and keeps the run. */
	CU_ASSERT_EQUAL(pv_evstorm_wake(&s, 0, 0), 0);
	CU_ASSERT_EQUAL(pv_evstorm_wake(&s, 1, 0), PV_EVSTORM_MAX_NS);
	/* Work ends the storm: a fresh run before the next back-off, from the start. */
	CU_ASSERT_EQUAL(pv_evstorm_wake(&s, 1, 1), 0);
	CU_ASSERT_EQUAL(s.run, 0);
	for (unsigned int i = 1; i < PV_EVSTORM_RUN; i++)
		CU_ASSERT_EQUAL(pv_evstorm_wake(&s, 1, 0), 0);
	CU_ASSERT_EQUAL(pv_evstorm_wake(&s, 1, 0), PV_EVSTORM_MIN_NS);
	CU_ASSERT(pv_evstorm_began(&s));
}

/* A storm of N notifications costs about N / RUN wake-ups that hold, never more than N. */
static void test_bounded_wakeups(void)
{
	struct pv_evstorm s = {0};
	unsigned int unheld = 0;

	for (unsigned int i = 0; i < 100000; i++)
		unheld += pv_evstorm_wake(&s, 1, 0) == 0;
	CU_ASSERT_EQUAL(unheld, PV_EVSTORM_RUN - 1);
	CU_ASSERT_EQUAL(s.spurious, 100000);
}

static void test_held_ports(void)
{
	struct pv_evstorm s = {0};

	/* Nothing pending: no notification. */
	pending(0, NULL);
	CU_ASSERT_EQUAL(pv_evstorm_take(&s, EV), 0);
	CU_ASSERT_EQUAL(s.nheld, 0);
	/* A port reported twice is held once; held ports stay masked until released. */
	pending(3, (int[]){7, 9, 7});
	CU_ASSERT_EQUAL(pv_evstorm_take(&s, EV), 3);
	CU_ASSERT_EQUAL(s.nheld, 2);
	CU_ASSERT_EQUAL(nunmasked, 0);
	pv_evstorm_release(&s, EV);
	CU_ASSERT_EQUAL(nunmasked, 2);
	CU_ASSERT(unmasked[0] == 7 && unmasked[1] == 9);
	CU_ASSERT_EQUAL(s.nheld, 0);
	/* More distinct ports than we hold: the extras are unmasked at once. */
	pending(6, (int[]){1, 2, 3, 4, 5, 6});
	CU_ASSERT_EQUAL(pv_evstorm_take(&s, EV), 6);
	CU_ASSERT_EQUAL(s.nheld, PV_EVSTORM_PORTS);
	CU_ASSERT_EQUAL(nunmasked, 6 - PV_EVSTORM_PORTS);
	CU_ASSERT_EQUAL(unmasked[0], 5);
	pv_evstorm_release(&s, EV);
	CU_ASSERT_EQUAL(nunmasked, 6);
}

static CU_TestInfo evstorm_tests[] = {
	{"spurious wake-ups counted, back-off doubles to its cap, work ends it",
	 test_counts_and_backs_off},
	{"a storm of 100000 notifications: RUN - 1 wake-ups unheld", test_bounded_wakeups},
	{"held ports: once each, masked until released, extras unmasked", test_held_ports},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"evstorm", NULL, NULL, NULL, NULL, evstorm_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

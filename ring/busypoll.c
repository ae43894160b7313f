/* SPDX-License-Identifier: MIT */
/*
 * Adaptive poll-before-sleep (include/pvkit/busypoll.h): the window, its
 * KVM-style growth and shrinking, and the spin itself.
 */
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>

#include "pvkit/arch.h"
#include "pvkit/busypoll.h"

static uint64_t now_ns(const struct pv_busypoll *bp)
{
	struct timespec ts;

	if (bp->clock)
		return bp->clock(bp->clock_arg);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t preempts(const struct pv_busypoll *bp)
{
	struct rusage ru;

	if (bp->preempts)
		return bp->preempts(bp->preempts_arg);
	if (getrusage(RUSAGE_THREAD, &ru) < 0)
		return 0;
	return (uint64_t)ru.ru_nivcsw;
}

uint32_t pv_busypoll_default_ns(void)
{
	const char *env = getenv("PVKIT_BUSYPOLL_NS");
	unsigned long long v;
	char *end;

	if (!env || !*env)
		return PV_BUSYPOLL_DEFAULT_NS;
	v = strtoull(env, &end, 10);
	if (*end || *env == '-')
		return PV_BUSYPOLL_DEFAULT_NS;
	return v > PV_BUSYPOLL_MAX_NS ? PV_BUSYPOLL_MAX_NS : (uint32_t)v;
}

void pv_busypoll_init(struct pv_busypoll *bp, int64_t max_ns)
{
	*bp = (struct pv_busypoll){0};
	if (max_ns < 0)
		bp->max_ns = pv_busypoll_default_ns();
	else
		bp->max_ns = max_ns > PV_BUSYPOLL_MAX_NS ? PV_BUSYPOLL_MAX_NS : (uint32_t)max_ns;
}

/* A short wait the window just missed: 0 -> START, then double, never past the cap. */
static void grow(struct pv_busypoll *bp)
{
	uint64_t w = bp->window_ns ? (uint64_t)bp->window_ns * 2 : PV_BUSYPOLL_START_NS;

	bp->window_ns = w > bp->max_ns ? bp->max_ns : (uint32_t)w;
}

/* Polling was wasted: halve, and stop polling below START. */
static void shrink(struct pv_busypoll *bp)
{
	bp->window_ns /= 2;
	if (bp->window_ns < PV_BUSYPOLL_START_NS)
		bp->window_ns = 0;
}

/*
 * Every PV_BUSYPOLL_CHECK_NS: were we preempted (involuntary switches)
 * often enough since the last look to call the CPU contended?
 */
static void look_for_contention(struct pv_busypoll *bp, uint64_t now)
{
	uint64_t n;

	if (bp->check_at && now < bp->check_at)
		return;
	n = preempts(bp);
	/* The first look only takes the count: it is this thread's, whatever came before. */
	bp->contended = bp->check_at && n - bp->nivcsw >= PV_BUSYPOLL_CONTENDED;
	bp->nivcsw = n;
	bp->check_at = now + PV_BUSYPOLL_CHECK_NS;
	if (bp->contended) {
		bp->window_ns = 0;
		bp->contended_looks++;
	}
}

int pv_busypoll_spin(struct pv_busypoll *bp, pv_busypoll_ready_fn ready, void *arg)
{
	uint64_t start, last, now;
	int rc;

	bp->waiting = 0;
	if (!bp->max_ns)
		return 0;
	start = last = now_ns(bp);
	bp->wait_start = start;
	bp->waiting = 1;
	bp->preempted = 0;
	look_for_contention(bp, start);
	if (!bp->window_ns)
		return 0;
	for (;;) {
		rc = ready(arg);
		if (rc) {
			bp->waiting = 0;
			bp->hits += rc > 0;
			return rc;
		}
		now = now_ns(bp);
		if (now - last > PV_BUSYPOLL_PREEMPT_NS) {
			/* Descheduled mid-poll: the CPU is wanted, maybe by our peer. */
			bp->preempted = 1;
			shrink(bp);
			break;
		}
		if (now - start >= bp->window_ns)
			break;
		last = now;
		pv_cpu_relax();
	}
	bp->misses++;
	return 0;
}

void pv_busypoll_woke(struct pv_busypoll *bp)
{
	uint64_t waited;

	if (!bp->waiting)
		return;
	bp->waiting = 0;
	if (bp->preempted || bp->contended)
		return; /* already shrunk, or the CPU is wanted: do not grow */
	waited = now_ns(bp) - bp->wait_start;
	if (waited > bp->max_ns)
		shrink(bp);
	else if (bp->window_ns < bp->max_ns)
		grow(bp);
}

/* One look at an epoll set without sleeping (pv_busypoll_spin()'s ready()). */
struct epoll_look {
	int epfd;
	struct epoll_event *evs;
	int max;
	int n;
};

static int epoll_ready(void *arg)
{
	struct epoll_look *l = arg;

	l->n = epoll_wait(l->epfd, l->evs, l->max, 0);
	return l->n;
}

int pv_busypoll_epoll_wait(struct pv_busypoll *bp, int epfd, struct epoll_event *evs, int max,
			   int timeout_ms)
{
	struct epoll_look l = {epfd, evs, max, 0};
	int n;

	if (pv_busypoll_spin(bp, epoll_ready, &l) > 0)
		return l.n;
	n = epoll_wait(epfd, evs, max, timeout_ms);
	pv_busypoll_woke(bp);
	return n;
}

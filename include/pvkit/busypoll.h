/* SPDX-License-Identifier: MIT */
/*
 * Adaptive poll-before-sleep for ring consumers: before a thread sleeps on
 * its event channel it polls the ring for a short window, so a peer that
 * answers within microseconds costs neither side a notification nor a
 * wake-up. The window adapts as KVM's halt-polling does.
 *
 * Use, in a consumer's loop (the window is polled *before* the final check
 * re-arms the event index, so a peer that produces during the window does
 * not notify at all):
 *
 *     n = pv_busypoll_spin(&bp, ready, arg);   // ready(): pv_ring_*_unconsumed() > 0, ...
 *     if (n != 0)                              // work (> 0), or an error from ready() (< 0)
 *             continue;
 *     if (pv_ring_back_final_check(r) > 0) {   // Xen's re-arm and check again
 *             pv_busypoll_woke(&bp);
 *             continue;
 *     }
 *     sleep on the event channel;
 *     pv_busypoll_woke(&bp);
 *
 * How the window adapts (KVM's halt_poll_ns rules, with its defaults:
 * grow x2 from PV_BUSYPOLL_START_NS, shrink /2 down to zero):
 *  - work arrived inside the window (a hit): the window stays.
 *  - the window passed without work and the wait, polling included, ended
 *    before the cap (pv_busypoll_woke()): a longer window would have caught
 *    it, so the window grows (from 0 to PV_BUSYPOLL_START_NS, then doubles,
 *    never past the cap).
 *  - the wait lasted longer than the cap: polling was wasted, so the
 *    window halves, to 0 once it is below PV_BUSYPOLL_START_NS. An idle
 *    device therefore stops polling after a few waits.
 *  - the poller was descheduled while polling (two clock reads more than
 *    PV_BUSYPOLL_PREEMPT_NS apart): the CPU is wanted elsewhere (on a small
 *    or loaded machine, quite possibly by the very peer we wait for), so
 *    polling stops at once and the window halves; that wait does not grow it.
 *  - the CPU is contended: at most every PV_BUSYPOLL_CHECK_NS a wait looks
 *    at the thread's involuntary context switches (getrusage(RUSAGE_THREAD),
 *    one system call); PV_BUSYPOLL_CONTENDED or more since the last look
 *    mean other runnable threads (another process, or our own peer) keep
 *    taking our CPU: the window drops to 0 and stays there until a look
 *    finds fewer. A spinning thread is charged for its spin by the
 *    scheduler, so on a loaded host it would lose its turn exactly when it
 *    has work; KVM can leave this to the host scheduler, a process cannot.
 * On a loaded machine the window therefore goes to zero and costs two clock
 * reads per sleep (and a getrusage() every 20 ms); on an idle one it
 * removes the wake-ups of a busy ring.
 *
 * Knobs: the cap is given at init (a daemon option); PV_BUSYPOLL_DEFAULT
 * takes it from the environment variable PVKIT_BUSYPOLL_NS (nanoseconds,
 * 0 turns polling off), else PV_BUSYPOLL_DEFAULT_NS. The cap is clamped
 * to PV_BUSYPOLL_MAX_NS.
 *
 * Threading: a struct pv_busypoll belongs to the one thread that waits;
 * nothing here takes a lock, and the only system call is the contention
 * look (the clock is CLOCK_MONOTONIC through the vDSO, or the injected one).
 */
#ifndef PVKIT_BUSYPOLL_H
#define PVKIT_BUSYPOLL_H

#include <stdint.h>

/* The cap when neither the caller nor PVKIT_BUSYPOLL_NS says otherwise. */
#define PV_BUSYPOLL_DEFAULT_NS 50000u
/* The largest cap accepted: polling longer than this is no longer "before sleeping". */
#define PV_BUSYPOLL_MAX_NS 1000000u
/* The first window when growing from zero (KVM's halt_poll_ns_grow_start). */
#define PV_BUSYPOLL_START_NS 10000u
/* A gap this long between two clock reads while polling means we were descheduled. */
#define PV_BUSYPOLL_PREEMPT_NS 20000u
/* How often a wait looks for CPU contention, and how many involuntary switches mean it. */
#define PV_BUSYPOLL_CHECK_NS 20000000u
#define PV_BUSYPOLL_CONTENDED 2u
/* pv_busypoll_init()'s @max_ns: take the cap from PVKIT_BUSYPOLL_NS, else the default. */
#define PV_BUSYPOLL_DEFAULT (-1)

/* Nanoseconds from an arbitrary origin, never decreasing (the injectable clock). */
typedef uint64_t (*pv_busypoll_clock_fn)(void *arg);

/* The calling thread's involuntary context switches so far (the injectable contention probe). */
typedef uint64_t (*pv_busypoll_preempts_fn)(void *arg);

/* Returns > 0 when there is work, 0 when not, < 0 for an error (polling stops). */
typedef int (*pv_busypoll_ready_fn)(void *arg);

/*
 * One waiter's state. Read the fields freely; change them only through the
 * functions below (tests may set clock/clock_arg after init).
 */
struct pv_busypoll {
	uint32_t window_ns;          /* the current window, 0..max_ns */
	uint32_t max_ns;             /* the cap; 0: never poll */
	uint64_t wait_start;         /* clock at the start of the current wait */
	int waiting;                 /* a spin returned 0 and woke() is owed */
	int preempted;               /* that spin ended because we were descheduled */
	int contended;               /* the last contention look found the CPU taken: no polling */
	uint64_t check_at;           /* clock of the next contention look */
	uint64_t nivcsw;             /* involuntary switches at the last look */
	uint64_t hits;               /* waits that ended inside the window (no sleep) */
	uint64_t misses;             /* windows that passed without work (then slept) */
	uint64_t contended_looks;    /* looks that found the CPU contended */
	pv_busypoll_clock_fn clock;  /* NULL: CLOCK_MONOTONIC */
	void *clock_arg;
	pv_busypoll_preempts_fn preempts; /* NULL: getrusage(RUSAGE_THREAD).ru_nivcsw */
	void *preempts_arg;
};

/*
 * Set up @bp with a cap of @max_ns nanoseconds (0: off; PV_BUSYPOLL_DEFAULT:
 * PVKIT_BUSYPOLL_NS or PV_BUSYPOLL_DEFAULT_NS; clamped to
 * PV_BUSYPOLL_MAX_NS). The window starts at 0 and grows with the first
 * short waits. Counters start at 0.
 */
void pv_busypoll_init(struct pv_busypoll *bp, int64_t max_ns);

/*
 * The cap PV_BUSYPOLL_DEFAULT stands for: PVKIT_BUSYPOLL_NS when it is a
 * number (0 turns polling off; larger than PV_BUSYPOLL_MAX_NS is clamped),
 * else PV_BUSYPOLL_DEFAULT_NS.
 */
uint32_t pv_busypoll_default_ns(void);

/*
 * Start a wait: call @ready(@arg) until it returns non-zero or the window
 * has passed. Returns what @ready returned: > 0 (a hit; the wait is over,
 * no pv_busypoll_woke() owed), < 0 (polling stopped, nothing counted), or
 * 0 when the window passed, was 0 (@ready is not called then: the
 * caller's final check is the one look), or we were descheduled: then
 * re-arm, check once more, sleep, and call pv_busypoll_woke() when awake.
 * With a cap of 0 this returns 0 at once and reads no clock.
 */
int pv_busypoll_spin(struct pv_busypoll *bp, pv_busypoll_ready_fn ready, void *arg);

/*
 * The wait begun by the last pv_busypoll_spin() that returned 0 is over
 * (the final check found work, or the sleep ended): adapt the window to
 * how long it took. A no-op when no such wait is open.
 */
void pv_busypoll_woke(struct pv_busypoll *bp);

struct epoll_event;

/*
 * epoll_wait(@epfd, @evs, @max, @timeout_ms), polled first: while @bp's
 * window is open the set is looked at without sleeping (epoll_wait with
 * timeout 0) until an event comes or the window passes; then it sleeps as
 * epoll_wait does and adapts the window to how long the wait took. For a
 * thread whose every wake-up source is in one epoll set. Returns what
 * epoll_wait returns.
 */
int pv_busypoll_epoll_wait(struct pv_busypoll *bp, int epfd, struct epoll_event *evs, int max,
			   int timeout_ms);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Event storms (XSA-332, XSA-391): a peer that notifies in a tight loop
 * with nothing new on its rings costs the consumer one wake-up per
 * notification. This is the policy every ring consumer in pvkit shares,
 * backends and frontends alike:
 *
 *  - a wake-up is spurious when a notification came and the peer's
 *    producer index (req_prod for a backend, rsp_prod for a frontend) did
 *    not move since the last wake-up; each one is counted;
 *  - after PV_EVSTORM_RUN spurious wake-ups in a row the channel's ports
 *    are left masked for a back-off of PV_EVSTORM_MIN_NS, doubling with
 *    each further storm up to PV_EVSTORM_MAX_NS: a peer notifying in a
 *    tight loop then costs one wake-up per back-off;
 *  - any work (the producer index moved) ends the storm: the run and the
 *    back-off start again from zero.
 *
 * The caller owns the waiting: pv_evstorm_take() collects the pending
 * ports (held masked), pv_evstorm_wake() says whether and how long to
 * keep them masked, and when that time is up (an epoll or io_uring
 * timeout, a timerfd) or at once, pv_evstorm_release() unmasks them.
 *
 * Threading: a struct pv_evstorm belongs to the one thread that consumes
 * the channel. Zero-initialise it.
 */
#ifndef PVKIT_EVSTORM_H
#define PVKIT_EVSTORM_H

#include <stdint.h>

#include "pvkit/platform.h"

/* Spurious wake-ups in a row before the first back-off. */
#define PV_EVSTORM_RUN 64u
/* The first back-off, and the longest: how long a storm's ports stay masked. */
#define PV_EVSTORM_MIN_NS 1000000u
#define PV_EVSTORM_MAX_NS 32000000u
/* Ports one consumer holds masked (tx and rx, or one per queue); others are unmasked at once. */
#define PV_EVSTORM_PORTS 4

struct pv_evstorm {
	uint64_t spurious;        /* wake-ups by a notification that found no work */
	uint64_t backoffs;        /* back-offs begun */
	uint32_t run;             /* spurious wake-ups in a row */
	uint32_t hold_ns;         /* the current back-off; 0 since the last work */
	pv_evtchn_port_t held[PV_EVSTORM_PORTS]; /* pending ports taken, still masked */
	unsigned int nheld;
};

/*
 * Take every pending port of @e: up to PV_EVSTORM_PORTS distinct ones are
 * held (left masked, as a pending port is) until pv_evstorm_release(),
 * any other is unmasked at once. Returns the number of events taken
 * (0: no notification came).
 */
unsigned int pv_evstorm_take(struct pv_evstorm *s, struct pv_evtchn *e);

/*
 * Account one wake-up: @notified when pv_evstorm_take() found events,
 * @work when the peer's producer index moved since the last call. Returns
 * 0 when the held ports are to be unmasked now, else how long (ns) to
 * keep them masked before pv_evstorm_release(). A wake-up without a
 * notification (a timeout, another fd) never holds.
 */
uint32_t pv_evstorm_wake(struct pv_evstorm *s, int notified, int work);

/* After a non-zero pv_evstorm_wake(): was it a storm's first back-off (log it, rate-limited)? */
static inline int pv_evstorm_began(const struct pv_evstorm *s)
{
	return s->hold_ns == PV_EVSTORM_MIN_NS;
}

/* Unmask every held port of @e. */
void pv_evstorm_release(struct pv_evstorm *s, struct pv_evtchn *e);

#endif

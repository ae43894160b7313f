/* SPDX-License-Identifier: MIT */
/*
 * Two processes over one pvkit ring: a memfd-backed shared ring, eventfds
 * as event channels, and an echo backend in a forked child. Shared by the
 * ring stress test and the ring benchmark.
 */
#ifndef PVKIT_TESTS_RINGPAIR_H
#define PVKIT_TESTS_RINGPAIR_H

#include <stdint.h>
#include <sys/types.h>

#include "pvkit/ring.h"

/* One 64-byte message each way. */
struct rp_msg {
	uint64_t seq;       /* request: sequence number; response: the request's */
	uint64_t sum;       /* request: checksum of payload; response: backend's checksum of it */
	uint32_t flags;     /* RP_STOP asks the backend to exit after answering */
	uint32_t count;     /* response: requests the backend had seen, this one included, minus one */
	uint8_t payload[40];
};
_Static_assert(sizeof(struct rp_msg) == 64, "64-byte messages");

#define RP_STOP 1u

PV_RING_DEFINE(rp, struct rp_msg, struct rp_msg);

struct ringpair {
	void *mem;              /* the shared ring pages (MAP_SHARED memfd) */
	unsigned int pages;
	int req_efd;            /* frontend -> backend events */
	int rsp_efd;            /* backend -> frontend events */
	pid_t child;            /* the backend process */
	unsigned int spin;      /* polls of the ring before sleeping on the eventfd */
	uint64_t hostile_after; /* 0, or the backend turns hostile after this many requests */
	struct rp_front_ring front;
	uint64_t events_sent;   /* eventfd writes by the frontend */
	uint64_t sleeps;        /* times the frontend slept on its eventfd */
};

/*
 * Create the ring (@pages pages), the eventfds, and fork the echo backend.
 * The backend answers every request with {seq, checksum(payload), flags,
 * count} and exits 0 after an RP_STOP request, 1 on a protocol error,
 * a sequence gap or a bad checksum. With @hostile_after > 0 it answers
 * that many requests, then publishes an rsp_prod far beyond them, notifies
 * and exits 0. Returns 0 or -errno.
 */
int ringpair_start(struct ringpair *rp, unsigned int pages, unsigned int spin,
		   uint64_t hostile_after);

/* Push what the frontend produced and notify the backend if it asked. 0 or -errno. */
int ringpair_push(struct ringpair *rp);

/*
 * Wait until at least one response is pending: poll the ring @spin times,
 * then re-arm rsp_event and sleep on the eventfd. Returns the number
 * pending or -errno (-EPROTO). No timeout: callers set an alarm().
 */
int ringpair_wait(struct ringpair *rp);

/*
 * Send RP_STOP as request @next_seq (the number of requests sent before),
 * wait for its response, reap the child. Needs one free slot. Returns the
 * child's exit status (0: it saw no error), or -errno.
 */
int ringpair_stop(struct ringpair *rp, uint64_t next_seq);

/* Wait for the backend to exit; its exit status, or -errno. */
int ringpair_reap(struct ringpair *rp);

/* Release the ring and the eventfds (after ringpair_stop, or to abort: kills the child). */
void ringpair_close(struct ringpair *rp);

/* Checksum of a payload, the one both sides compute. */
uint64_t rp_checksum(const uint8_t *p, size_t len);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Two processes over one pvkit ring (see ringpair.h): memfd ring pages,
 * eventfd notifications with Xen event suppression, a forked echo backend.
 */
#include <errno.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pvkit/arch.h"
#include "ringpair.h"

uint64_t rp_checksum(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* Send one event (the eventfd counter never loses one). */
static int efd_notify(int efd)
{
	uint64_t one = 1;

	return write(efd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

/* Sleep until at least one event arrived since the last read. */
static int efd_sleep(int efd)
{
	uint64_t n;

	while (read(efd, &n, sizeof(n)) != sizeof(n))
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* Half-agnostic wait: poll @spin times, then re-arm and sleep until work shows up. */
struct waiter {
	int (*pending)(void *ring);
	int (*final_check)(void *ring);
	void *ring;
	int efd;
	unsigned int spin;
	uint64_t *sleeps;
};

static int wait_work(const struct waiter *w)
{
	int n;

	for (;;) {
		for (unsigned int i = 0; i < w->spin; i++) {
			n = w->pending(w->ring);
			if (n != 0)
				return n;
			pv_cpu_relax();
		}
		n = w->final_check(w->ring);
		if (n != 0)
			return n;
		n = efd_sleep(w->efd);
		if (n < 0)
			return n;
		if (w->sleeps)
			(*w->sleeps)++;
	}
}

static int back_pending(void *r)
{
	return pv_ring_back_unconsumed(r);
}

static int back_final(void *r)
{
	return pv_ring_back_final_check(r);
}

static int front_pending(void *r)
{
	return pv_ring_front_unconsumed(r);
}

static int front_final(void *r)
{
	return pv_ring_front_final_check(r);
}

/* Answer one request; returns 1 when it was the last, -1 when it was wrong. */
static int echo_one(struct rp_back_ring *b, const struct rp_msg *q, uint64_t *expect)
{
	struct rp_msg r;
	int bad = 0;

	memset(&r, 0, sizeof(r));
	r.seq = q->seq;
	r.sum = rp_checksum(q->payload, sizeof(q->payload));
	r.flags = q->flags;
	r.count = (uint32_t)*expect;
	if (q->seq != *expect || r.sum != q->sum) {
		fprintf(stderr, "backend: request seq %llu (expected %llu), checksum %s\n",
			(unsigned long long)q->seq, (unsigned long long)*expect,
			r.sum == q->sum ? "ok" : "BAD");
		bad = 1;
	}
	(*expect)++;
	if (rp_back_put(b, &r) < 0)
		return -1;
	return bad ? -1 : (q->flags & RP_STOP) ? 1 : 0;
}

/*
 * A hostile backend: publish what it answered, then claim a ring and a
 * half more responses than there are requests, and notify.
 */
static int turn_hostile(struct ringpair *rp, struct rp_back_ring *b)
{
	rp_back_push(b);
	atomic_store_explicit((_Atomic pv_ring_idx_t *)&b->core.v.sring->rsp_prod,
			      b->core.v.prod_pushed + b->core.v.nr_ents * 3 / 2, memory_order_release);
	return efd_notify(rp->rsp_efd) ? 2 : 0;
}

/* The child: echo requests until RP_STOP. Exit status 0 when all was well. */
static int backend_main(struct ringpair *rp)
{
	struct rp_back_ring b;
	struct waiter w = {back_pending, back_final, &b.core, rp->req_efd, rp->spin, NULL};
	struct rp_msg q;
	uint64_t expect = 0;
	int rc, stop = 0, bad = 0;

	if (rp_back_attach(&b, rp->mem, rp->pages) < 0)
		return 3;
	for (;;) {
		while (!stop && (rc = rp_back_get_request(&b, &q)) > 0) {
			rc = echo_one(&b, &q, &expect);
			stop = rc == 1;
			bad |= rc < 0;
			if (rp->hostile_after && expect == rp->hostile_after)
				return turn_hostile(rp, &b);
		}
		if (pv_ring_back_unconsumed(&b.core) < 0) {
			fprintf(stderr, "backend: protocol error on the ring\n");
			return 1;
		}
		if (rp_back_push(&b) > 0 && efd_notify(rp->rsp_efd) < 0)
			return 2;
		if (stop)
			return bad;
		if (wait_work(&w) < 0)
			return 1;
	}
}

int ringpair_start(struct ringpair *rp, unsigned int pages, unsigned int spin,
		   uint64_t hostile_after)
{
	size_t len = (size_t)pages * PV_PAGE_SIZE;
	int fd, rc;

	memset(rp, 0, sizeof(*rp));
	rp->pages = pages;
	rp->spin = spin;
	rp->hostile_after = hostile_after;
	rp->req_efd = rp->rsp_efd = -1;
	fd = memfd_create("pvkit-ringpair", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = ftruncate(fd, (off_t)len) ? -errno : 0;
	if (!rc) {
		rp->mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		rc = rp->mem == MAP_FAILED ? -errno : 0;
	}
	close(fd);
	if (rc)
		goto out_clear;
	rc = rp_front_init(&rp->front, rp->mem, pages);
	if (rc)
		goto out_unmap;
	rp->req_efd = eventfd(0, EFD_CLOEXEC);
	rp->rsp_efd = eventfd(0, EFD_CLOEXEC);
	if (rp->req_efd < 0 || rp->rsp_efd < 0) {
		rc = -errno;
		goto out_close_efds;
	}
	rp->child = fork();
	if (rp->child < 0) {
		rc = -errno;
		goto out_close_efds;
	}
	if (rp->child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(backend_main(rp));
	}
	return 0;

out_close_efds:
	if (rp->req_efd >= 0)
		close(rp->req_efd);
	if (rp->rsp_efd >= 0)
		close(rp->rsp_efd);
out_unmap:
	munmap(rp->mem, len);
out_clear:
	rp->mem = NULL;
	return rc;
}

int ringpair_push(struct ringpair *rp)
{
	int rc = rp_front_push(&rp->front);

	if (rc <= 0)
		return rc;
	rp->events_sent++;
	return efd_notify(rp->req_efd);
}

int ringpair_wait(struct ringpair *rp)
{
	struct waiter w = {front_pending, front_final, &rp->front.core, rp->rsp_efd, rp->spin,
			   &rp->sleeps};

	return wait_work(&w);
}

int ringpair_stop(struct ringpair *rp, uint64_t next_seq)
{
	struct rp_msg q, r;
	int rc;

	memset(&q, 0, sizeof(q));
	q.seq = next_seq;
	q.sum = rp_checksum(q.payload, sizeof(q.payload));
	q.flags = RP_STOP;
	rc = rp_front_put(&rp->front, &q);
	if (!rc)
		rc = ringpair_push(rp);
	/* Discard any response still pending until the stop's own comes back. */
	while (rc >= 0) {
		rc = ringpair_wait(rp);
		while (rc > 0 && (rc = rp_front_get_response(&rp->front, &r)) > 0)
			if (r.flags & RP_STOP)
				goto reap;
	}
	return rc;

reap:
	return ringpair_reap(rp);
}

int ringpair_reap(struct ringpair *rp)
{
	int status;

	if (waitpid(rp->child, &status, 0) < 0)
		return -errno;
	rp->child = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void ringpair_close(struct ringpair *rp)
{
	if (rp->child > 0) {
		kill(rp->child, SIGKILL);
		waitpid(rp->child, NULL, 0);
		rp->child = 0;
	}
	if (rp->req_efd >= 0)
		close(rp->req_efd);
	if (rp->rsp_efd >= 0)
		close(rp->rsp_efd);
	if (rp->mem)
		munmap(rp->mem, (size_t)rp->pages * PV_PAGE_SIZE);
	rp->mem = NULL;
	rp->req_efd = rp->rsp_efd = -1;
}

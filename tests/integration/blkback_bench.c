/* SPDX-License-Identifier: MIT */
/*
 * pvkit-blkback's datapath speed, seen from a frontend on the wire
 * protocol: 4 KiB random reads at queue depth 32 and 1 MiB sequential reads
 * (indirect, 256 segments) at depth 8, persistent grants on, for about two
 * seconds each. Prints "<figure> <value>" lines for bench/blkback-bench.sh.
 * Usage: blkback-bench RUNDIR BLKBACK IMAGE
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blkback_front.h"

#define IND_PAGE 280 /* indirect pages 280..287; data pages 0..255 */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A 1 MiB read at @sector through indirect page @slot. */
static struct pv_blkif_x86_64_request big_read(struct tfront *f, uint64_t sector, unsigned int slot)
{
	struct pv_blkif_x86_64_request q;
	struct pv_blkif_x86_64_request_indirect *ind = (void *)&q;
	struct pv_blkif_indirect_page *page = (void *)tf_page(f, IND_PAGE + slot);

	for (unsigned int i = 0; i < 256; i++) {
		page->seg[i].gref = f->data_refs[i];
		page->seg[i].first_sect = 0;
		page->seg[i].last_sect = 7;
	}
	memset(&q, 0, sizeof(q));
	ind->operation = PV_BLKIF_OP_INDIRECT;
	ind->indirect_op = PV_BLKIF_OP_READ;
	ind->nr_segments = 256;
	ind->id = slot;
	ind->sector_number = sector;
	ind->indirect_grefs[0] = f->data_refs[IND_PAGE + slot];
	return q;
}

/* Keep @depth requests in flight for @seconds; returns completed requests or -1 on an error. */
static long run(struct tfront *f, unsigned int depth, bool big, double seconds)
{
	struct tqueue *q = &f->q[0];
	struct pollfd pfd = {.fd = pv_evtchn_fd(q->ev), .events = POLLIN};
	struct pv_blkif_x86_64_response rsp;
	struct pv_blkif_x86_64_request req;
	uint64_t rnd = 88172645463325252ull, chunks = f->sectors / (big ? 2048 : 8);
	unsigned int inflight = 0, slot = 0;
	double end = now() + seconds;
	long done = 0;
	int rc, port;

	while (now() < end || inflight) {
		while (inflight < depth && now() < end) {
			rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
			if (big)
				req = big_read(f, (uint64_t)(done + inflight) % chunks * 2048, slot++ % depth);
			else
				req = tf_req(f, PV_BLKIF_OP_READ, rnd % chunks * 8, 1, inflight % 256);
			pv_ring_front_put(&q->front, &req);
			inflight++;
		}
		if (pv_ring_front_push(&q->front) > 0)
			pv_evtchn_notify(q->ev, (pv_evtchn_port_t)q->port);
		while ((rc = pv_ring_front_get_response(&q->front, &rsp)) > 0) {
			if (rsp.status != PV_BLKIF_RSP_OKAY)
				return -1;
			inflight--;
			done++;
		}
		if (rc < 0)
			return -1;
		if (inflight < depth && now() < end)
			continue; /* room to post more first */
		if (inflight && pv_ring_front_final_check(&q->front) == 0) {
			poll(&pfd, 1, 1000);
			while ((port = pv_evtchn_pending(q->ev)) >= 0)
				pv_evtchn_unmask(q->ev, (pv_evtchn_port_t)port);
		}
	}
	return done;
}

int main(int argc, char **argv)
{
	static struct tfront f;
	struct tenv env;
	double t0;
	long n;

	if (argc != 4) {
		fprintf(stderr, "usage: blkback-bench RUNDIR BLKBACK IMAGE\n");
		return 2;
	}
	if (tenv_setup(&env, argv[1], argv[2])) {
		fprintf(stderr, "blkback-bench: cannot set up the guest domain\n");
		return 1;
	}
	tenv_start_blkback(&env, false);
	f.plat = env.guest;
	f.xs = env.xsg;
	f.domid = env.dom;
	f.devid = 51712;
	f.ring_order = 3;
	f.persistent = true;
	if (tf_init(&f))
		return 1;
	tenv_add_vbd(&env, &f, argv[3], true, NULL);
	if (tf_connect(&f)) {
		fprintf(stderr, "blkback-bench: the disk does not connect\n");
		tenv_teardown(&env);
		return 1;
	}
	run(&f, 32, false, 0.3); /* warm up: map the persistent grants */
	t0 = now();
	n = run(&f, 32, false, 2.0);
	printf("randread_4k_qd32_iops %.0f\n", n < 0 ? 0.0 : (double)n / (now() - t0));
	t0 = now();
	n = run(&f, 8, true, 2.0);
	printf("seqread_1m_qd8_mibs %.1f\n", n < 0 ? 0.0 : (double)n / (now() - t0));
	tenv_teardown(&env);
	return 0;
}

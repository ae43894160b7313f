/* SPDX-License-Identifier: MIT */
/*
 * Ring benchmark: 64-byte request/response streaming rate and ping-pong
 * round-trip time between two processes through a pvkit ring with eventfd
 * notifications, each beside the same messages over a UNIX socketpair.
 *
 *   ring-bench [--count N] [--pingpong N] [--pages P] [--spin S]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "../tests/harness/ringpair.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_msg(struct rp_msg *q, uint64_t seq)
{
	memset(q, 0, sizeof(*q));
	q->seq = seq;
	memset(q->payload, (int)(seq & 0xff), sizeof(q->payload));
	q->sum = rp_checksum(q->payload, sizeof(q->payload));
}

/* ---- pvkit ring ---------------------------------------------------------------- */

/*
 * Send @count requests keeping up to @window in flight, consume every
 * response. Returns the elapsed seconds, or a negative value on error.
 */
static double ring_run(unsigned int pages, unsigned int spin, uint64_t count, uint32_t window)
{
	struct ringpair rp;
	struct rp_msg q, r;
	uint64_t sent = 0, got = 0;
	double t0, t;
	int rc;

	if (ringpair_start(&rp, pages, spin, 0) < 0)
		return -1;
	t0 = now_s();
	while (got < count) {
		uint32_t before = (uint32_t)sent;

		while (sent < count && sent - got < window && rp_front_free(&rp.front)) {
			make_msg(&q, sent++);
			rp_front_put(&rp.front, &q);
		}
		if ((uint32_t)sent != before && ringpair_push(&rp) < 0)
			break;
		rc = ringpair_wait(&rp);
		while (rc > 0 && (rc = rp_front_get_response(&rp.front, &r)) > 0)
			got += r.seq == got;
		if (rc < 0)
			break;
	}
	t = now_s() - t0;
	rc = got == count ? ringpair_stop(&rp, sent) : -EIO;
	ringpair_close(&rp);
	return rc == 0 ? t : -1;
}

/* ---- socketpair baseline --------------------------------------------------------- */

/* The echo server: one read and one write per 64-byte message, until EOF. */
static void sock_echo(int fd)
{
	struct rp_msg m;
	ssize_t n;

	while ((n = read(fd, &m, sizeof(m))) == sizeof(m)) {
		m.sum = rp_checksum(m.payload, sizeof(m.payload));
		if (write(fd, &m, sizeof(m)) != sizeof(m))
			_exit(1);
	}
	_exit(n == 0 ? 0 : 1);
}

static double sock_run(uint64_t count, uint32_t window)
{
	struct rp_msg q, r;
	uint64_t sent = 0, got = 0;
	int sv[2], status;
	double t0, t;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	child = fork();
	if (child < 0)
		return -1;
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sv[0]);
		sock_echo(sv[1]);
	}
	close(sv[1]);
	t0 = now_s();
	while (got < count) {
		while (sent < count && sent - got < window) {
			make_msg(&q, sent++);
			if (write(sv[0], &q, sizeof(q)) != sizeof(q))
				goto out;
		}
		if (read(sv[0], &r, sizeof(r)) != sizeof(r))
			goto out;
		got += r.seq == got;
	}
out:
	t = now_s() - t0;
	close(sv[0]);
	waitpid(child, &status, 0);
	return got == count ? t : -1;
}

/* ---- report ---------------------------------------------------------------------- */

static void report(const char *name, double v, const char *unit, const char *base, double bv,
		   double ratio)
{
	printf("BENCH name=%s value=%.1f unit=%s baseline=%s baseline_value=%.1f ratio=%.2f\n", name,
	       v, unit, base, bv, ratio);
}

/* Streaming: messages per second with a ring's worth in flight. */
static int bench_stream(const char *name, unsigned int pages, unsigned int spin, uint64_t count,
			double *sock_rate)
{
	struct pv_ring_shape shape = PV_RING_SHAPE(struct rp_msg, struct rp_msg);
	uint32_t window = pv_ring_nr_ents(pages, &shape);
	double tr = ring_run(pages, spin, count, window), ts;

	/* The same window; a tenth of the messages, since the socketpair is the slow one. */
	if (*sock_rate <= 0) {
		ts = sock_run(count / 10, window);
		if (ts <= 0)
			return -1;
		*sock_rate = (double)(count / 10) / ts;
	}
	if (tr <= 0)
		return -1;
	report(name, (double)count / tr, "msg/s", "socketpair_stream_64B", *sock_rate,
	       ((double)count / tr) / *sock_rate);
	return 0;
}

/* Ping-pong: round-trip time of one message; ratio = socketpair / ring (> 1: ring faster). */
static int bench_pingpong(const char *name, unsigned int spin, uint64_t count, double *sock_ns)
{
	double tr = ring_run(1, spin, count, 1), ts;

	if (*sock_ns <= 0) {
		ts = sock_run(count, 1);
		if (ts <= 0)
			return -1;
		*sock_ns = ts / (double)count * 1e9;
	}
	if (tr <= 0)
		return -1;
	report(name, tr / (double)count * 1e9, "ns", "socketpair_pingpong_rtt", *sock_ns,
	       *sock_ns / (tr / (double)count * 1e9));
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t count = 2000000, pings = 100000;
	unsigned int pages = 4, spin = 0;
	double sock_rate = 0, sock_ns = 0;
	int opt, bad = 0;

	static const struct option opts[] = {
		{"count", required_argument, NULL, 'n'}, {"pingpong", required_argument, NULL, 'q'},
		{"pages", required_argument, NULL, 'p'}, {"spin", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': count = strtoull(optarg, NULL, 0); break;
		case 'q': pings = strtoull(optarg, NULL, 0); break;
		case 'p': pages = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 's': spin = (unsigned int)strtoul(optarg, NULL, 0); break;
		default: fprintf(stderr, "usage: %s [--count N] [--pingpong N] [--pages P] [--spin S]\n", argv[0]); return 2;
		}
	}
	alarm(300);
	printf("# 64-byte messages, 2 processes, %u-page ring, eventfd events with Xen event suppression, no pinning\n",
	       pages);
	printf("# stream: ratio = ring rate / socketpair rate; pingpong: ratio = socketpair rtt / ring rtt (> 1: ring faster)\n");
	bad |= bench_stream("ring_stream_64B", pages, 0, count, &sock_rate);
	bad |= bench_pingpong("ring_pingpong_rtt", 0, pings, &sock_ns);
	/* Polling before sleeping only pays on idle cores; measured on request. */
	if (spin) {
		printf("# _spin: poll the ring %u times before sleeping on the eventfd\n", spin);
		bad |= bench_stream("ring_stream_64B_spin", pages, spin, count, &sock_rate);
		bad |= bench_pingpong("ring_pingpong_rtt_spin", spin, pings, &sock_ns);
	}
	if (bad)
		fprintf(stderr, "ring-bench: a run failed\n");
	return bad ? 1 : 0;
}

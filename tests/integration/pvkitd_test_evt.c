/* SPDX-License-Identifier: MIT */
/*
 * pvkit-test-platform: event channels between the two sides, in one
 * process and across processes: binding rules, masking, a notification
 * storm with nothing lost, unbind and peer death seen by the survivor.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pvkitd_test.h"

#define ROUNDS 2000

/* Wait for @port to be pending on @e: 1 when it is, 0 after 5 s. */
static int wait_port(struct pv_evtchn *e, int port)
{
	struct pollfd pfd = {.fd = pv_evtchn_fd(e), .events = POLLIN};

	for (int i = 0; i < 500; i++) {
		int p = pv_evtchn_pending(e);

		if (p == port)
			return 1;
		if (p >= 0)
			pv_evtchn_unmask(e, (pv_evtchn_port_t)p);
		else
			poll(&pfd, 1, 10);
	}
	return 0;
}

static void evt_basic(struct tctx *t)
{
	struct pv_evtchn *a = NULL, *b = NULL;
	int pa, pb;

	if (pv_evtchn_open(t->g, &a) || pv_evtchn_open(t->m, &b)) {
		check(0, "open two event-channel handles");
		goto out;
	}
	pa = pv_evtchn_alloc_unbound(a, t->peer);
	CHECK(pa > 0, "allocate an unbound port for domain %u (%d)", t->peer, pa);
	pb = pv_evtchn_bind_interdomain(b, t->self, (pv_evtchn_port_t)pa);
	CHECK(pb > 0, "the peer binds it (%d)", pb);
	if (pa <= 0 || pb <= 0)
		goto out;
	CHECK(pv_evtchn_bind_interdomain(b, t->self, (pv_evtchn_port_t)pa) < 0,
	      "a bound port cannot be bound twice");
	CHECK(pv_evtchn_pending(a) == -EAGAIN, "nothing pending at first");
	CHECK(pv_evtchn_notify(b, (pv_evtchn_port_t)pb) == 0, "peer notifies");
	CHECK(wait_port(a, pa), "the event arrives on the allocating side");
	CHECK(pv_evtchn_notify(b, (pv_evtchn_port_t)pb) == 0 && pv_evtchn_pending(a) == -EAGAIN,
	      "a masked port stays quiet");
	CHECK(pv_evtchn_unmask(a, (pv_evtchn_port_t)pa) == 0 && wait_port(a, pa),
	      "an event sent while masked arrives at unmask");
	pv_evtchn_unmask(a, (pv_evtchn_port_t)pa);
	CHECK(pv_evtchn_notify(a, (pv_evtchn_port_t)pa) == 0 && wait_port(b, pb),
	      "and back the other way");
	pv_evtchn_unmask(b, (pv_evtchn_port_t)pb);
	CHECK(pv_evtchn_notify(a, 999999) == -EINVAL, "notify on a port we do not have: -EINVAL");
	CHECK(pv_evtchn_unbind(a, (pv_evtchn_port_t)pa) == 0, "unbind one end");
	if (t->local) {
		CHECK(wait_port(b, pb), "the other end sees its port reported");
		CHECK(pv_evtchn_notify(b, (pv_evtchn_port_t)pb) == -ENOTCONN,
		      "notify after the peer unbound: -ENOTCONN");
	}
	CHECK(pv_evtchn_unbind(b, (pv_evtchn_port_t)pb) == 0, "unbind the other end");
out:
	pv_evtchn_close(a);
	pv_evtchn_close(b);
}

/* Is @e's fd readable now? */
static int readable(struct pv_evtchn *e)
{
	struct pollfd pfd = {.fd = pv_evtchn_fd(e), .events = POLLIN};

	return poll(&pfd, 1, 0) > 0;
}

/*
 * Masking: an event that comes while masked is delivered at unmask, once,
 * whether or not pending was asked meanwhile; a port held masked through a
 * storm leaves the fd quiet (the XSA-332/391 back-off relies on it) while
 * other ports still arrive.
 */
static void evt_masked(struct tctx *t)
{
	struct pv_evtchn *a = NULL, *b = NULL;
	int pa, pb, pa2, pb2, quiet = 1;

	if (pv_evtchn_open(t->g, &a) || pv_evtchn_open(t->m, &b)) {
		check(0, "open two event-channel handles");
		goto out;
	}
	pa = pv_evtchn_alloc_unbound(a, t->peer);
	pb = pa > 0 ? pv_evtchn_bind_interdomain(b, t->self, (pv_evtchn_port_t)pa) : -1;
	pa2 = pv_evtchn_alloc_unbound(a, t->peer);
	pb2 = pa2 > 0 ? pv_evtchn_bind_interdomain(b, t->self, (pv_evtchn_port_t)pa2) : -1;
	if (pb <= 0 || pb2 <= 0) {
		check(0, "bind two channels (%d, %d)", pb, pb2);
		goto out;
	}
	CHECK(pv_evtchn_notify(b, (pv_evtchn_port_t)pb) == 0 && wait_port(a, pa),
	      "an event arrives and masks its port");
	CHECK(pv_evtchn_notify(b, (pv_evtchn_port_t)pb) == 0 &&
	          pv_evtchn_unmask(a, (pv_evtchn_port_t)pa) == 0 && wait_port(a, pa),
	      "masked, notified, unmasked without asking pending between: delivered");
	for (int i = 0; i < 1000; i++)
		pv_evtchn_notify(b, (pv_evtchn_port_t)pb);
	for (int i = 0; i < 3; i++)
		quiet &= pv_evtchn_pending(a) == -EAGAIN;
	CHECK(quiet, "a storm of 1000 on a masked port: nothing pending");
	if (t->local)
		CHECK(!readable(a), "and the fd is not readable while the port is held");
	CHECK(pv_evtchn_notify(b, (pv_evtchn_port_t)pb2) == 0 && wait_port(a, pa2),
	      "another port still arrives while one is held");
	CHECK(pv_evtchn_unmask(a, (pv_evtchn_port_t)pa2) == 0, "unmask it");
	CHECK(pv_evtchn_unmask(a, (pv_evtchn_port_t)pa) == 0 && wait_port(a, pa),
	      "the storm arrives at unmask");
	CHECK(pv_evtchn_pending(a) == -EAGAIN && pv_evtchn_pending(a) == -EAGAIN,
	      "as one event");
	CHECK(pv_evtchn_unmask(a, (pv_evtchn_port_t)pa) == 0 && pv_evtchn_pending(a) == -EAGAIN &&
	          pv_evtchn_pending(a) == -EAGAIN,
	      "and nothing after it");
	if (t->local)
		CHECK(!readable(a), "the fd is quiet again");
out:
	pv_evtchn_close(a);
	pv_evtchn_close(b);
}

static void evt_bind_rules(struct tctx *t)
{
	struct pv_evtchn *a = NULL, *b = NULL;
	int pa;

	if (pv_evtchn_open(t->g, &a) || pv_evtchn_open(t->m, &b)) {
		check(0, "open two event-channel handles");
		goto out;
	}
	pa = pv_evtchn_alloc_unbound(a, (pv_domid_t)(t->peer + 1));
	CHECK(pa > 0 && pv_evtchn_bind_interdomain(b, t->self, (pv_evtchn_port_t)pa) < 0,
	      "a port reserved for another domain cannot be bound");
	CHECK(pv_evtchn_bind_interdomain(b, t->self, 1000000) < 0, "binding a bad port fails");
out:
	pv_evtchn_close(a);
	pv_evtchn_close(b);
}

/* Child: bind, then ping-pong ROUNDS times, then sit until killed. */
static void child_pingpong(struct tctx *t, int port, int ready_fd)
{
	struct pv_platform *p = open_as(t, t->peer);
	struct pv_evtchn *e;
	int lp;

	if (!p || pv_evtchn_open(p, &e))
		_exit(3);
	lp = pv_evtchn_bind_interdomain(e, t->self, (pv_evtchn_port_t)port);
	if (lp < 0)
		_exit(4);
	for (int i = 0; i < ROUNDS; i++) {
		if (pv_evtchn_notify(e, (pv_evtchn_port_t)lp) || !wait_port(e, lp))
			_exit(5);
		pv_evtchn_unmask(e, (pv_evtchn_port_t)lp);
	}
	/* A storm: many notifications, and the last one must still be seen. */
	for (int i = 0; i < 100000; i++)
		pv_evtchn_notify(e, (pv_evtchn_port_t)lp);
	if (write(ready_fd, "x", 1) != 1)
		_exit(6);
	pause();
	_exit(0);
}

static void evt_across_processes(struct tctx *t)
{
	struct pv_evtchn *a;
	int fds[2], port, n = 0, status;
	char c;
	pid_t pid;

	if (pv_evtchn_open(t->g, &a) || pipe(fds)) {
		check(0, "open an event-channel handle");
		return;
	}
	port = pv_evtchn_alloc_unbound(a, t->peer);
	pid = port > 0 ? fork() : -1;
	if (pid == 0)
		child_pingpong(t, port, fds[1]);
	for (; pid > 0 && n < ROUNDS && wait_port(a, port); n++) {
		pv_evtchn_unmask(a, (pv_evtchn_port_t)port);
		pv_evtchn_notify(a, (pv_evtchn_port_t)port);
	}
	CHECK(n == ROUNDS, "%d of %d ping-pong rounds with another process", n, ROUNDS);
	CHECK(pid > 0 && read(fds[0], &c, 1) == 1 && wait_port(a, port),
	      "after a storm of 100000 notifications the event is pending");
	if (pid > 0) {
		pv_evtchn_unmask(a, (pv_evtchn_port_t)port);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (t->local) {
		CHECK(wait_port(a, port), "the peer process died: its port is reported");
		CHECK(pv_evtchn_notify(a, (pv_evtchn_port_t)port) == -ENOTCONN,
		      "notify to a dead peer: -ENOTCONN");
	}
	close(fds[0]);
	close(fds[1]);
	pv_evtchn_close(a);
}

static void evt_bounded(struct tctx *t)
{
	struct pv_evtchn *a;
	int n = 0, rc = 0;

	if (pv_evtchn_open(t->g, &a)) {
		check(0, "open an event-channel handle");
		return;
	}
	while (n < 5000 && (rc = pv_evtchn_alloc_unbound(a, t->peer)) > 0)
		n++;
	CHECK(n < 5000 && rc == -ENOSPC, "ports per domain are capped (%d, then %d)", n, rc);
	pv_evtchn_close(a);
	if (pv_evtchn_open(t->g, &a) == 0) {
		/* pvkitd frees them when it sees the close: give it a moment. */
		for (int i = 0; i < 200 && (rc = pv_evtchn_alloc_unbound(a, t->peer)) < 0; i++)
			usleep(10000);
		CHECK(rc > 0, "closing the handle freed them");
		pv_evtchn_close(a);
	}
}

void test_evtchn(struct tctx *t)
{
	evt_basic(t);
	evt_masked(t);
	evt_bind_rules(t);
	evt_across_processes(t);
	if (t->local)
		evt_bounded(t);
}

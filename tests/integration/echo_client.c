/* SPDX-License-Identifier: MIT */
/*
 * Test driver for the echo template device (tests/integration/echo.sh):
 * plays the toolstack (make a domain, add a device), a client of the
 * guest's echo socket, and a hostile frontend against pvkit-echoback.
 *
 *   echo-client mkdomain RUNDIR NAME           prints the new domid
 *   echo-client adddev RUNDIR DOMID DEVID      writes both halves' nodes
 *   echo-client run SOCKET COUNT               COUNT verified round trips
 *   echo-client hostile RUNDIR DOMID DEVID     hostile requests; prints ok/not ok lines
 *   echo-client serve RUNDIR [STORM]           domain 0's echo backend, on after xenstore's loss;
 *                                              STORM notifications with no response first
 *   echo-client counters FILE                  a counters file's fields (pvkit/stats.h)
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <xenstore.h>

#include "pvkit/local.h"
#include "pvkit/proto/echoif.h"
#include "pvkit/ring.h"
#include "pvkit/stats.h"
#include "pvkit/xenbus.h"
#include "../../backends/echo/common.h"

static int failures;

static void check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	if (!cond)
		failures++;
}

static struct pv_xs *xs_dom0(const char *rundir)
{
	char path[4096];
	struct pv_xs *xs;

	if (pv_xs_local_path(path, sizeof(path), rundir, 0) < 0 || pv_xs_open(&xs, path) < 0) {
		fprintf(stderr, "echo-client: cannot reach xenstored under %s\n", rundir);
		exit(1);
	}
	return xs;
}

static int mkdomain(const char *rundir, const char *name)
{
	struct pv_local *l;
	struct pv_xs *xs;
	pv_domid_t domid;
	char dir[64];
	int rc;

	rc = pv_local_open(&l, rundir);
	if (rc == 0)
		rc = pv_local_domain_create(l, name, 16 << 20, &domid);
	if (rc < 0) {
		fprintf(stderr, "echo-client: cannot create domain %s: %s\n", name, strerror(-rc));
		return 1;
	}
	xs = xs_dom0(rundir);
	snprintf(dir, sizeof(dir), "/local/domain/%u", (unsigned int)domid);
	if (!xs_introduce_domain(pv_xs_handle(xs), domid, 0, 0) ||
	    pv_xs_printf(xs, 0, dir, "domid", "%u", (unsigned int)domid) < 0 ||
	    pv_xs_write(xs, 0, dir, "name", name) < 0 ||
	    pv_xs_set_perms(xs, 0, dir, domid, 'n', 0, NULL, NULL) < 0) {
		fprintf(stderr, "echo-client: cannot introduce domain %u\n", (unsigned int)domid);
		return 1;
	}
	printf("%u\n", (unsigned int)domid);
	pv_xs_close(xs);
	pv_local_close(l);
	return 0;
}

struct devnodes {
	unsigned int domid, devid;
};

static int write_dev(struct pv_xs *xs, pv_xs_txn_t t, void *opaque)
{
	struct devnodes *n = opaque;
	char fe[128], be[128];
	int rc;

	snprintf(fe, sizeof(fe), "/local/domain/%u/device/echo/%u", n->domid, n->devid);
	snprintf(be, sizeof(be), "/local/domain/0/backend/echo/%u/%u", n->domid, n->devid);
	/*
	 * As libxl: make each directory and set its permissions first, so the
	 * nodes written under it inherit them (the frontend owns its directory
	 * and the backend may read it, and the other way round).
	 */
	rc = pv_xs_mkdir(xs, t, fe, NULL);
	rc = rc ?: pv_xs_set_perms(xs, t, fe, (pv_domid_t)n->domid, 'n', 1, (pv_domid_t[]){0}, "r");
	rc = rc ?: pv_xs_mkdir(xs, t, be, NULL);
	rc = rc ?: pv_xs_set_perms(xs, t, be, 0, 'n', 1, (pv_domid_t[]){(pv_domid_t)n->domid}, "r");
	rc = rc ?: pv_xs_write(xs, t, fe, "backend", be);
	rc = rc ?: pv_xs_write(xs, t, fe, "backend-id", "0");
	rc = rc ?: pv_xs_write(xs, t, fe, "state", "1");
	rc = rc ?: pv_xs_write(xs, t, be, "frontend", fe);
	rc = rc ?: pv_xs_printf(xs, t, be, "frontend-id", "%u", n->domid);
	rc = rc ?: pv_xs_write(xs, t, be, "state", "1");
	return rc;
}

static int adddev(const char *rundir, unsigned int domid, unsigned int devid)
{
	struct devnodes n = {domid, devid};
	struct pv_xs *xs = xs_dom0(rundir);
	int rc = pv_xs_transaction(xs, write_dev, &n, 0);

	pv_xs_close(xs);
	if (rc < 0)
		fprintf(stderr, "echo-client: cannot write the device nodes: %s\n", strerror(-rc));
	return rc < 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	struct timeval tv = {.tv_sec = 60}; /* a bound, so a broken device fails the test, not hangs it */

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "echo-client: cannot connect to %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

/* One frame through the guest's echo socket; returns 0 when the answer is right. */
static int round_trip(int fd, unsigned int seq)
{
	uint8_t out[4 + PV_ECHOIF_MAX_LEN], in[8 + PV_ECHOIF_MAX_LEN];
	uint16_t len = (uint16_t)(1 + (rand() % PV_ECHOIF_MAX_LEN));
	uint8_t op = seq % 4 ? PV_ECHOIF_OP_XOR : PV_ECHOIF_OP_SUM, key = (uint8_t)rand();
	uint32_t sum = 0, got_sum;
	int16_t status;

	out[0] = op;
	out[1] = key;
	memcpy(out + 2, &len, 2);
	for (unsigned int i = 0; i < len; i++) {
		out[4 + i] = (uint8_t)rand();
		sum += out[4 + i];
	}
	if (write(fd, out, 4u + len) != 4 + len || recv(fd, in, 8, MSG_WAITALL) != 8)
		return -1;
	memcpy(&status, in, 2);
	memcpy(&got_sum, in + 4, 4);
	if (status != 0 || got_sum != sum || recv(fd, in + 8, len, MSG_WAITALL) != len)
		return -1;
	for (unsigned int i = 0; i < len; i++) {
		uint8_t want = op == PV_ECHOIF_OP_XOR ? out[4 + i] ^ key : out[4 + i];

		if (in[8 + i] != want)
			return -1;
	}
	return 0;
}

static int run(const char *path, unsigned int count)
{
	int fd = connect_to(path);
	unsigned int ok = 0;

	srand(getpid());
	for (unsigned int i = 0; i < count; i++)
		ok += round_trip(fd, i) == 0;
	close(fd);
	printf("%u of %u round trips verified\n", ok, count);
	return ok == count ? 0 : 1;
}

/* ---- the hostile frontend ---------------------------------------------------- */

struct hostile {
	struct pv_platform *p;
	struct pv_xs *xs;
	struct pv_evtchn *evt;
	pv_evtchn_port_t port;
	struct pv_ring_front ring;
	void *ring_page, *data;
	pv_grant_ref_t ring_ref, data_ref;
	char fe[128], be[128];
};

static const struct pv_ring_shape shape = {
	.slot_size = sizeof(union pv_echoif_sring_entry),
	.req_size = sizeof(struct pv_echoif_request),
	.rsp_size = sizeof(struct pv_echoif_response),
};

/* Wait for @dir/state to become @want. */
static int wait_state(struct pv_xs *xs, const char *dir, enum pv_xenbus_state want)
{
	for (int i = 0; i < 500; i++) {
		if (pv_xenbus_read_state(xs, dir) == want)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

static int hostile_connect(struct hostile *h, const char *rundir, unsigned int domid,
			   unsigned int devid)
{
	struct pv_platform_opts po = {.name = "local", .rundir = rundir, .domid = (int)domid,
				      .domid_set = 1};
	char path[4096];

	snprintf(h->fe, sizeof(h->fe), "/local/domain/%u/device/echo/%u", domid, devid);
	snprintf(h->be, sizeof(h->be), "/local/domain/0/backend/echo/%u/%u", domid, devid);
	if (pv_platform_open(&h->p, &po) < 0 || pv_xs_local_path(path, sizeof(path), rundir, (pv_domid_t)domid) < 0 ||
	    pv_xs_open(&h->xs, path) < 0 || wait_state(h->xs, h->be, PV_XENBUS_STATE_INIT_WAIT) < 0)
		return -1;
	h->ring_page = pv_gnt_share_pages(h->p, 0, 1, &h->ring_ref, 1);
	h->data = pv_gnt_share_pages(h->p, 0, 1, &h->data_ref, 1);
	if (!h->ring_page || !h->data || pv_ring_front_init(&h->ring, h->ring_page, 1, &shape) < 0 ||
	    pv_evtchn_open(h->p, &h->evt) < 0)
		return -1;
	h->port = (pv_evtchn_port_t)pv_evtchn_alloc_unbound(h->evt, 0);
	pv_xs_printf(h->xs, 0, h->fe, "ring-ref", "%u", h->ring_ref);
	pv_xs_printf(h->xs, 0, h->fe, "event-channel", "%u", h->port);
	pv_xs_write(h->xs, 0, h->fe, "state", "3");
	return wait_state(h->xs, h->be, PV_XENBUS_STATE_CONNECTED);
}

/* Send one request and wait for its response. */
static int send_one(struct hostile *h, const struct pv_echoif_request *req,
		    struct pv_echoif_response *rsp)
{
	struct pollfd pfd = {.fd = pv_evtchn_fd(h->evt), .events = POLLIN};
	int port;

	pv_ring_front_put(&h->ring, req);
	if (pv_ring_front_push(&h->ring) > 0)
		pv_evtchn_notify(h->evt, h->port);
	for (int i = 0; i < 500; i++) {
		if (pv_ring_front_get_response(&h->ring, rsp) > 0)
			return 0;
		if (poll(&pfd, 1, 10) > 0)
			while ((port = pv_evtchn_pending(h->evt)) >= 0)
				pv_evtchn_unmask(h->evt, (pv_evtchn_port_t)port);
	}
	return -ETIMEDOUT;
}

static void expect(struct hostile *h, struct pv_echoif_request req, int16_t status, const char *what)
{
	struct pv_echoif_response rsp;
	static uint64_t id = 100;

	req.id = ++id;
	check(send_one(h, &req, &rsp) == 0 && rsp.id == id && rsp.status == status, what);
}

static int hostile(const char *rundir, unsigned int domid, unsigned int devid)
{
	struct hostile h = {0};
	char *err = NULL;

	check(hostile_connect(&h, rundir, domid, devid) == 0, "hostile frontend connected");
	if (failures)
		return 1;
	memset(h.data, 7, 4096);
	expect(&h, (struct pv_echoif_request){.gref = h.data_ref, .len = 16, .op = PV_ECHOIF_OP_SUM},
	       PV_ECHOIF_RSP_OKAY, "a good request is answered");
	expect(&h, (struct pv_echoif_request){.gref = h.data_ref, .len = 16, .op = 99},
	       PV_ECHOIF_RSP_EOPNOTSUPP, "unknown op: EOPNOTSUPP");
	expect(&h, (struct pv_echoif_request){.gref = h.data_ref, .len = 0, .op = 1},
	       PV_ECHOIF_RSP_ERROR, "zero length: error");
	expect(&h, (struct pv_echoif_request){.gref = h.data_ref, .len = 4097, .op = 1},
	       PV_ECHOIF_RSP_ERROR, "length past a page: error");
	expect(&h, (struct pv_echoif_request){.gref = h.data_ref, .offset = 4000, .len = 200, .op = 1},
	       PV_ECHOIF_RSP_ERROR, "offset + length across the page end: error");
	expect(&h, (struct pv_echoif_request){.gref = 999999, .len = 16, .op = 1},
	       PV_ECHOIF_RSP_ERROR, "grant reference out of range: error");
	expect(&h, (struct pv_echoif_request){.gref = h.ring_ref + 1000, .len = 16, .op = 1},
	       PV_ECHOIF_RSP_ERROR, "grant never made: error");
	expect(&h, (struct pv_echoif_request){.gref = h.data_ref, .len = 16, .op = PV_ECHOIF_OP_SUM},
	       PV_ECHOIF_RSP_OKAY, "still serving after the bad requests");
	/* Producer index a ring and more ahead: the backend must give the device up. */
	h.ring.v.sring->req_prod += 1000;
	pv_evtchn_notify(h.evt, h.port);
	check(wait_state(h.xs, h.be, PV_XENBUS_STATE_CLOSING) == 0 ||
	      wait_state(h.xs, h.be, PV_XENBUS_STATE_CLOSED) == 0,
	      "producer overflow: backend closes the device");
	check(pv_xs_read(h.xs, 0, h.be, "error", &err) == 0 && err && strstr(err, "out of range"),
	      "producer overflow: the error node says why");
	free(err);
	return failures ? 1 : 0;
}

/* ---- a backend that outlives xenstored ---------------------------------------------- */

/* The device the backend below serves (the last one probed), for its storm. */
static struct echoback_dev *served;

static int serve_probe(struct pv_xenbus_dev *x, void *opaque)
{
	int rc = echoback_probe(x, opaque);

	if (rc == 0)
		served = x->opaque;
	return rc;
}

static void serve_remove(struct pv_xenbus_dev *x, void *opaque)
{
	if (x->opaque == served)
		served = NULL;
	echoback_remove(x, opaque);
}

/*
 * An event storm (XSA-332/391) at the frontend: @n notifications with no
 * new response, once the device is Connected. Prints "storm sent N".
 */
static void storm(unsigned long *n)
{
	unsigned long sent = 0;

	if (!*n || !served || !served->evt || served->xdev->state != PV_XENBUS_STATE_CONNECTED)
		return;
	for (unsigned long i = 0; i < *n; i++)
		sent += pv_evtchn_notify(served->evt, served->port) == 0;
	printf("storm sent %lu\n", sent);
	fflush(stdout);
	*n = 0;
}

/*
 * pvkit-echoback's device code in a loop of our own: unlike the daemon
 * (which exits 1 when xenstore is lost, for its supervisor), it goes on
 * serving the rings it has, as a Xen kernel backend does when xenstored
 * dies. Prints "xenstore lost" when it notices. With @storm, the first
 * device to connect gets that many notifications with no response first.
 * Runs until killed.
 */
static int serve(const char *rundir, unsigned long storm_left)
{
	static const struct pv_xenbus_bus_ops ops = {serve_probe, serve_remove};
	struct pv_platform_opts po = {.name = "local", .rundir = rundir, .domid = 0, .domid_set = 1};
	struct epoll_event ev = {.events = EPOLLIN}, evs[16];
	struct echoback eb = {.epfd = epoll_create1(EPOLL_CLOEXEC)};
	int lost = 0, n;

	if (eb.epfd < 0 || pv_platform_open(&eb.platform, &po) < 0)
		return 1;
	eb.xs = xs_dom0(rundir);
	ev.data.ptr = &eb;
	if (epoll_ctl(eb.epfd, EPOLL_CTL_ADD, pv_xs_fd(eb.xs), &ev) < 0 ||
	    pv_xenbus_bus_open(eb.xs, "echo", 1, &ops, &eb, &eb.bus) < 0)
		return 1;
	pv_xenbus_bus_scan(eb.bus);
	printf("serving\n");
	fflush(stdout);
	for (;;) {
		/* A second at most between xenstore steps: the watch fd says nothing of a loss. */
		n = epoll_wait(eb.epfd, evs, 16, storm_left ? 10 : 1000);
		for (int i = 0; i < n; i++)
			if (evs[i].data.ptr != &eb)
				echoback_event(evs[i].data.ptr);
		storm(&storm_left);
		if (lost || pv_xs_dispatch(eb.xs, 64) != -ECONNRESET)
			continue;
		lost = 1;
		epoll_ctl(eb.epfd, EPOLL_CTL_DEL, pv_xs_fd(eb.xs), NULL);
		printf("xenstore lost\n");
		fflush(stdout);
	}
}

/* Print a counters file's fields, one name=value a line. */
static int counters(const char *path)
{
	struct pv_stats_counters c;

	if (pv_stats_read(path, &c) < 0)
		return 1;
	printf("requests=%llu\nbytes_in=%llu\nbytes_out=%llu\nerrors=%llu\ndrops=%llu\n"
	       "spurious=%llu\n", (unsigned long long)c.requests, (unsigned long long)c.bytes_in,
	       (unsigned long long)c.bytes_out, (unsigned long long)c.errors,
	       (unsigned long long)c.drops, (unsigned long long)c.spurious);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "mkdomain"))
		return mkdomain(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "adddev"))
		return adddev(argv[2], (unsigned int)atoi(argv[3]), (unsigned int)atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "run"))
		return run(argv[2], (unsigned int)atoi(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "hostile"))
		return hostile(argv[2], (unsigned int)atoi(argv[3]), (unsigned int)atoi(argv[4]));
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "serve"))
		return serve(argv[2], argc == 4 ? strtoul(argv[3], NULL, 10) : 0);
	if (argc == 3 && !strcmp(argv[1], "counters"))
		return counters(argv[2]);
	fprintf(stderr, "usage: echo-client mkdomain|adddev|run|hostile|serve|counters ... "
		"(see the source)\n");
	return 2;
}

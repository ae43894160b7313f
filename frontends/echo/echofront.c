/* SPDX-License-Identifier: MIT */
/*
 * echofront: the template frontend driver, run by pvkit-guest. It shares a
 * ring and a pool of data pages with the backend and serves a UNIX socket
 * in the guest's run directory (echo-<devid>.sock): each client frame is
 * sent as one request and answered with the transformed data.
 *
 * Client frame:  u8 op, u8 key, u16 len (host order), len bytes
 * Reply frame:   i16 status, u16 len, u32 sum, len bytes (when status is 0)
 *
 * Event storms (XSA-332/391) are counted and backed off as the other
 * frontends do (pvkit/evstorm.h); what it counts goes to the guest's
 * counters file, <guest dir>/stats/echo-<domid>-<devid> (pvkit/stats.h):
 * requests and their bytes (bytes_in), answered bytes (bytes_out), error
 * answers and bogus responses (errors), spurious notifications.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "pvkit/evstorm.h"
#include "pvkit/guest.h"
#include "pvkit/log.h"
#include "pvkit/proto/echoif.h"
#include "pvkit/ring.h"
#include "pvkit/stats.h"
#include "echofront.h"

#define NSLOTS 32 /* requests in flight, one granted data page each */
#define MAX_CLIENTS 64

struct echofront;

struct client {
	struct echofront *f;
	int fd;
	int slot;                /* the request in flight for it, or -1 */
	uint8_t hdr[4];
	unsigned int hdr_got;
	unsigned int data_got;
};

struct slot {
	int busy;
	uint64_t id;             /* slot index + generation << 16 */
	struct client *client;
	struct pv_echoif_request req;
	uint8_t orig[PV_ECHOIF_MAX_LEN]; /* the client's bytes: re-issued after a reconnect */
	int sent;                /* on the current ring */
};

struct echofront {
	struct pv_guest *g;
	struct pv_xenbus_dev *x;
	void *ring_page;
	pv_grant_ref_t ring_ref;
	struct pv_ring_front ring;
	struct pv_evtchn *evt;
	pv_evtchn_port_t port;
	uint8_t *data;           /* NSLOTS pages granted to the backend */
	pv_grant_ref_t data_refs[NSLOTS];
	struct slot slots[NSLOTS];
	uint64_t generation;
	int listen_fd;
	char sock_path[4200];
	struct client *clients[MAX_CLIENTS];
	struct pv_ratelimit rl;
	struct pv_evstorm storm;  /* spurious notifications, the back-off */
	uint32_t seen_rsp;        /* the backend's rsp_prod at the last notification */
	int backoff_fd;           /* timerfd: the end of a storm's back-off */
	struct pv_stats *stats;   /* the counters file; NULL when it cannot be made */
};

static const struct pv_ring_shape shape = {
	.slot_size = sizeof(union pv_echoif_sring_entry),
	.req_size = sizeof(struct pv_echoif_request),
	.rsp_size = sizeof(struct pv_echoif_response),
};

static void drop_client(struct echofront *f, struct client *c)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (f->clients[i] == c)
			f->clients[i] = NULL;
	if (c->slot >= 0)
		f->slots[c->slot].client = NULL; /* the answer is dropped when it comes */
	pv_guest_del_fd(f->g, c->fd);
	close(c->fd);
	free(c);
}

/* Put every issued, unsent request on the ring and notify. */
static void kick(struct echofront *f)
{
	int put = 0;

	if (!f->ring_page || f->x->state != PV_XENBUS_STATE_CONNECTED)
		return;
	for (int i = 0; i < NSLOTS; i++) {
		struct slot *s = &f->slots[i];

		if (!s->busy || s->sent || !pv_ring_front_free(&f->ring))
			continue;
		/* Fresh bytes every time: a backend that died mid-request may have half-done them. */
		memcpy(f->data + (size_t)i * 4096 + s->req.offset, s->orig, s->req.len);
		if (pv_ring_front_put(&f->ring, &s->req) == 0) {
			s->sent = 1;
			put++;
		}
	}
	if (put && pv_ring_front_push(&f->ring) > 0)
		pv_evtchn_notify(f->evt, f->port);
}

static void reply(struct echofront *f, struct slot *s, const struct pv_echoif_response *rsp)
{
	struct client *c = s->client;
	uint8_t out[8 + PV_ECHOIF_MAX_LEN];
	size_t n = 8;
	int idx = (int)(s - f->slots);

	memset(out, 0, 8);
	memcpy(out, &rsp->status, 2);
	memcpy(out + 2, &rsp->len, 2);
	memcpy(out + 4, &rsp->sum, 4);
	if (rsp->status == PV_ECHOIF_RSP_OKAY) {
		/* Copy out of our own granted page, and only as much as we asked for. */
		memcpy(out + 8, f->data + (size_t)idx * 4096 + s->req.offset, s->req.len);
		n += s->req.len;
	}
	s->busy = 0;
	s->client = NULL;
	if (!c)
		return;
	c->slot = -1;
	if (write(c->fd, out, n) != (ssize_t)n)
		drop_client(f, c);
}

/* Check a response against our table: the id must name a slot in flight. */
static void take_response(struct echofront *f, const struct pv_echoif_response *rsp)
{
	uint64_t idx = rsp->id & 0xffff;
	struct slot *s;

	if (idx >= NSLOTS || !f->slots[idx].busy || !f->slots[idx].sent ||
	    f->slots[idx].id != rsp->id ||
	    (rsp->status == PV_ECHOIF_RSP_OKAY && rsp->len != f->slots[idx].req.len)) {
		PV_STATS_ADD(f->stats, errors, 1);
		pv_dev_warn_rl(&f->rl, f->x->prefix, "bogus response id %llu from the backend",
			       (unsigned long long)rsp->id);
		return;
	}
	s = &f->slots[idx];
	if (rsp->status == PV_ECHOIF_RSP_OKAY)
		PV_STATS_ADD(f->stats, bytes_out, s->req.len);
	else
		PV_STATS_ADD(f->stats, errors, 1);
	reply(f, s, rsp);
}

/* Take every response the backend has published, then put what waits on the ring. */
static void process(struct echofront *f)
{
	struct pv_echoif_response rsp;
	int rc, more;

	do {
		while ((rc = pv_ring_front_get_response(&f->ring, &rsp)) > 0)
			take_response(f, &rsp);
		more = rc < 0 ? rc : pv_ring_front_final_check(&f->ring);
	} while (more > 0);
	if (more < 0) {
		pv_xenbus_dev_fatal(f->x, EPROTO, "backend's response index out of range");
		return;
	}
	kick(f);
}

/*
 * A notification (XSA-332/391, pvkit/evstorm.h): spurious when rsp_prod
 * did not move since the last one; after a run of them the port stays
 * masked for a back-off (backoff_fd), so a backend notifying in a tight
 * loop costs us one wake-up per back-off.
 */
static void on_event(struct pv_guest *g, int fd, uint32_t events, void *opaque)
{
	struct echofront *f = opaque;
	unsigned int notified = pv_evstorm_take(&f->storm, f->evt);
	uint64_t spurious = f->storm.spurious;
	uint32_t prod, ns;

	(void)g;
	(void)fd;
	(void)events;
	if (!notified && f->storm.nheld)
		return; /* a back-off is on: on_backoff() ends it */
	if (!f->ring_page) {
		pv_evstorm_release(&f->storm, f->evt);
		return;
	}
	prod = __atomic_load_n(&f->ring.v.sring->rsp_prod, __ATOMIC_ACQUIRE);
	ns = pv_evstorm_wake(&f->storm, notified > 0, prod != f->seen_rsp);
	f->seen_rsp = prod;
	PV_STATS_ADD(f->stats, spurious, f->storm.spurious - spurious);
	if (ns) {
		struct itimerspec t = {.it_value = {.tv_sec = ns / 1000000000u,
						    .tv_nsec = (long)(ns % 1000000000u)}};

		if (pv_evstorm_began(&f->storm))
			pv_dev_warn_rl(&f->rl, f->x->prefix,
				       "%llu spurious notifications from the backend: backing off",
				       (unsigned long long)f->storm.spurious);
		timerfd_settime(f->backoff_fd, 0, &t, NULL);
		return;
	}
	pv_evstorm_release(&f->storm, f->evt);
	process(f);
}

/* A back-off's end: unmask, and take what came meanwhile. */
static void on_backoff(struct pv_guest *g, int fd, uint32_t events, void *opaque)
{
	struct echofront *f = opaque;
	uint64_t n;

	(void)g;
	(void)events;
	if (read(fd, &n, sizeof(n)) != sizeof(n) || !f->evt)
		return;
	pv_evstorm_release(&f->storm, f->evt);
	if (f->ring_page)
		process(f);
}

/* Turn a complete client frame into a request in a free slot. */
static void issue(struct echofront *f, struct client *c, const uint8_t *data)
{
	struct slot *s = NULL;
	uint16_t len;
	int i;

	for (i = 0; i < NSLOTS && !s; i++)
		if (!f->slots[i].busy)
			s = &f->slots[i];
	if (!s)
		return; /* cannot happen: at most one request per client, NSLOTS >= clients */
	i = (int)(s - f->slots);
	memcpy(&len, c->hdr + 2, 2);
	memset(&s->req, 0, sizeof(s->req));
	s->id = (uint64_t)i | (++f->generation << 16);
	s->req = (struct pv_echoif_request){.id = s->id, .gref = f->data_refs[i], .offset = 0,
					    .len = len, .op = c->hdr[0], .key = c->hdr[1]};
	memcpy(s->orig, data, len);
	PV_STATS_ADD(f->stats, requests, 1);
	PV_STATS_ADD(f->stats, bytes_in, len);
	s->busy = 1;
	s->sent = 0;
	s->client = c;
	c->slot = i;
	kick(f);
}

static void on_client(struct pv_guest *g, int fd, uint32_t events, void *opaque)
{
	struct client *c = opaque;
	struct echofront *f = c->f;
	static uint8_t buf[PV_ECHOIF_MAX_LEN];
	uint16_t len;
	ssize_t n;

	(void)events;
	(void)g;
	if (c->slot >= 0)
		return; /* one request at a time per client; read the next after the answer */
	n = recv(fd, c->hdr, 4, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN))
		return drop_client(f, c);
	if (n < 4)
		return;
	memcpy(&len, c->hdr + 2, 2);
	if (!len || len > PV_ECHOIF_MAX_LEN)
		return drop_client(f, c);
	n = recv(fd, buf, 4, MSG_WAITALL);
	n = n == 4 ? recv(fd, buf, len, MSG_WAITALL) : -1;
	if (n != len)
		return drop_client(f, c);
	issue(f, c, buf);
}

static void on_listen(struct pv_guest *g, int fd, uint32_t events, void *opaque)
{
	struct echofront *f = opaque;
	struct client *c;
	int cfd, i;

	(void)events;
	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	for (i = 0; i < MAX_CLIENTS && f->clients[i]; i++)
		;
	c = i < MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
	if (!c || i >= NSLOTS) {
		free(c);
		close(cfd);
		return;
	}
	c->fd = cfd;
	c->slot = -1;
	c->f = f;
	f->clients[i] = c;
	if (pv_guest_add_fd(g, cfd, EPOLLIN, on_client, c) < 0)
		drop_client(f, c);
}

/* ---- the handshake ---------------------------------------------------------- */

static void teardown_ring(struct echofront *f)
{
	struct itimerspec off = {{0, 0}, {0, 0}};

	if (f->backoff_fd >= 0)
		timerfd_settime(f->backoff_fd, 0, &off, NULL);
	f->storm = (struct pv_evstorm){0}; /* a new channel: nothing held */
	f->seen_rsp = 0;
	if (f->evt) {
		pv_guest_del_fd(f->g, pv_evtchn_fd(f->evt));
		pv_evtchn_close(f->evt);
		f->evt = NULL;
	}
	if (f->ring_page && pv_gnt_unshare(pv_guest_platform(f->g), f->ring_page, 1) < 0)
		/* The backend still maps it: never reuse or free it (XSA-396). */
		pv_dev_warn(f->x->prefix, "ring page still mapped by the backend: leaking it");
	f->ring_page = NULL;
	for (int i = 0; i < NSLOTS; i++)
		f->slots[i].sent = 0; /* re-issued on the next ring */
}

static int setup_ring_nodes(struct pv_xs *xs, pv_xs_txn_t t, void *opaque)
{
	struct echofront *f = opaque;
	int rc;

	rc = pv_xs_printf(xs, t, f->x->nodename, "ring-ref", "%u", f->ring_ref);
	if (rc == 0)
		rc = pv_xs_printf(xs, t, f->x->nodename, "event-channel", "%u", f->port);
	return rc;
}

static int setup_ring(struct echofront *f)
{
	struct pv_platform *p = pv_guest_platform(f->g);
	int rc;

	f->ring_page = pv_gnt_share_pages(p, f->x->otherend_id, 1, &f->ring_ref, 1);
	if (!f->ring_page)
		return -errno;
	rc = pv_ring_front_init(&f->ring, f->ring_page, 1, &shape);
	if (rc == 0)
		rc = pv_evtchn_open(p, &f->evt);
	if (rc == 0) {
		rc = pv_evtchn_alloc_unbound(f->evt, f->x->otherend_id);
		if (rc >= 0)
			f->port = (pv_evtchn_port_t)rc;
	}
	if (rc >= 0)
		rc = pv_guest_add_fd(f->g, pv_evtchn_fd(f->evt), EPOLLIN, on_event, f);
	if (rc >= 0)
		rc = pv_xs_transaction(pv_guest_xs(f->g), setup_ring_nodes, f, 0);
	if (rc < 0) {
		teardown_ring(f);
		return rc;
	}
	return 0;
}

static void backend_changed(struct pv_xenbus_dev *x, enum pv_xenbus_state st)
{
	struct echofront *f = x->opaque;
	int rc;

	pv_dev_debug(x->prefix, "backend %s (we are %s)", pv_xenbus_state_name(st),
		     pv_xenbus_state_name(x->state));
	switch (st) {
	case PV_XENBUS_STATE_INIT_WAIT:
		/* Also after a backend restart while we were connected: start over. */
		teardown_ring(f);
		rc = setup_ring(f);
		if (rc < 0)
			return pv_xenbus_dev_fatal(x, -rc, "setting up the ring");
		pv_xenbus_switch_state(x, PV_XENBUS_STATE_INITIALISED);
		break;
	case PV_XENBUS_STATE_CONNECTED:
		if (x->state != PV_XENBUS_STATE_INITIALISED)
			break;
		pv_xenbus_switch_state(x, PV_XENBUS_STATE_CONNECTED);
		pv_dev_info(x->prefix, "connected");
		kick(f);
		break;
	case PV_XENBUS_STATE_CLOSING:
	case PV_XENBUS_STATE_CLOSED:
		/*
		 * Closed, and stay Closed until the backend is in InitWait again
		 * (pvkit/xenbus.h): Initialising here would undo a removal.
		 */
		teardown_ring(f);
		pv_xenbus_switch_state(x, PV_XENBUS_STATE_CLOSED);
		break;
	default:
		break;
	}
}

static int open_socket(struct echofront *f)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	snprintf(f->sock_path, sizeof(f->sock_path), "%s/echo-%u.sock", pv_guest_dir(f->g),
		 f->x->devid);
	if (strlen(f->sock_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, f->sock_path);
	unlink(f->sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	f->listen_fd = fd;
	return pv_guest_add_fd(f->g, fd, EPOLLIN, on_listen, f);
}

static void echofront_free(void *opaque)
{
	struct echofront *f = opaque;

	for (int i = 0; i < MAX_CLIENTS; i++)
		if (f->clients[i])
			drop_client(f, f->clients[i]);
	if (f->listen_fd >= 0) {
		pv_guest_del_fd(f->g, f->listen_fd);
		close(f->listen_fd);
		unlink(f->sock_path);
	}
	teardown_ring(f);
	if (f->backoff_fd >= 0) {
		pv_guest_del_fd(f->g, f->backoff_fd);
		close(f->backoff_fd);
	}
	if (f->data && pv_gnt_unshare(pv_guest_platform(f->g), f->data, NSLOTS) < 0)
		pv_dev_warn(f->x->prefix, "data pages still mapped by the backend: leaking them");
	pv_stats_close(f->stats);
	free(f);
}

static int echofront_probe(struct pv_guest *g, struct pv_xenbus_dev *x)
{
	struct echofront *f = calloc(1, sizeof(*f));
	int rc;

	if (!f)
		return -ENOMEM;
	f->g = g;
	f->x = x;
	f->listen_fd = -1;
	f->rl = (struct pv_ratelimit)PV_RATELIMIT_INIT;
	x->opaque = f;
	x->otherend_changed = backend_changed;
	f->backoff_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	rc = f->backoff_fd < 0 ? -errno : pv_guest_add_fd(g, f->backoff_fd, EPOLLIN, on_backoff, f);
	if (rc < 0 && f->backoff_fd >= 0) {
		close(f->backoff_fd);
		f->backoff_fd = -1;
	}
	/* The counters are a convenience: the device works without them. */
	if (rc == 0 && pv_stats_open(pv_guest_dir(g), "echo", pv_guest_domid(g), x->devid,
				     &f->stats) < 0)
		pv_dev_debug(x->prefix, "no counters file under %s", pv_guest_dir(g));
	if (rc == 0) {
		f->data = pv_gnt_share_pages(pv_guest_platform(g), x->otherend_id, NSLOTS,
					     f->data_refs, 1);
		rc = f->data ? open_socket(f) : -errno;
	}
	return pv_xenbus_front_start(x, rc, echofront_free);
}

static void echofront_remove(struct pv_guest *g, struct pv_xenbus_dev *x)
{
	(void)g;
	pv_xenbus_front_remove(x, echofront_free);
}

const struct pv_guest_driver pv_echofront_driver = {
	.type = "echo",
	.probe = echofront_probe,
	.remove = echofront_remove,
};

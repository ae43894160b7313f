/* SPDX-License-Identifier: MIT */
/*
 * Local platform event channels, client side: each handle has its own
 * pvkitd connection and an epoll fd over that socket and its ports' wake
 * eventfds; notify is one write() to the peer's eventfd.
 *
 * Masking is lazy: pv_evtchn_pending() marks the port masked in user space
 * only and its eventfd stays in the epoll set. Only when epoll reports a
 * masked port (an event came while masked) is it taken out of epoll's
 * interest (EPOLL_CTL_MOD, events 0) with its count left in the eventfd,
 * and unmask puts it back: level-triggered, the count fires then. So the
 * usual wake-up costs epoll_wait and read, and a port held masked through
 * a storm costs one wake-up, not one per notification.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pvkit/log.h"
#include "client.h"
#include "ports.h"

#define SOCK_TAG UINT64_MAX /* epoll data of the pvkitd socket */
#define EVQ_MAX 16         /* epoll events taken per epoll_wait */

struct evport {
	uint32_t port; /* 0: unused slot */
	int wake, notify;
	uint8_t masked;  /* pending() returned it, unmask() not yet called */
	uint8_t kmasked; /* and out of epoll's interest: an event came while masked */
	uint8_t closed;
};

struct evh {
	int sock, epfd;
	int sock_dead;
	struct evport *ports;
	unsigned int nports;
	uint32_t closed_q[PVL_MAX_PORTS]; /* closed ports still to report once */
	unsigned int nclosed;
	/* What the last epoll_wait returned and pending() has not yet looked at. */
	struct epoll_event evq[EVQ_MAX];
	unsigned int nq, iq;
	int drained; /* that epoll_wait had room to spare: nothing else was ready */
	unsigned char buf[PVKITD_MSG_MAX];
};

static struct evh *evh(struct pv_evtchn *e)
{
	return e->priv;
}

/* Forget the batch and the hint: a port changed under them. */
static void forget_events(struct evh *h)
{
	h->nq = h->iq = 0;
	h->drained = 0;
}

static struct evport *find_port(struct evh *h, uint32_t port)
{
	for (unsigned int i = 0; i < h->nports; i++)
		if (h->ports[i].port == port && port)
			return &h->ports[i];
	return NULL;
}

static void mark_closed(struct evh *h, struct evport *ep)
{
	if (ep->closed)
		return;
	ep->closed = 1;
	epoll_ctl(h->epfd, EPOLL_CTL_DEL, ep->wake, NULL);
	if (h->nclosed < PVL_MAX_PORTS)
		h->closed_q[h->nclosed++] = ep->port;
}

static void on_event(void *opaque, uint32_t op, const void *payload, uint32_t len)
{
	struct evh *h = opaque;
	struct pvkitd_evt_req ev;
	struct evport *ep;

	if (op != PVKITD_EV_PORT_CLOSED || len != sizeof(ev))
		return;
	memcpy(&ev, payload, sizeof(ev));
	ep = find_port(h, ev.port);
	if (ep)
		mark_closed(h, ep);
}

/* pvkitd went away (or our domain died): every channel is closed. */
static void sock_gone(struct evh *h)
{
	if (h->sock_dead)
		return;
	h->sock_dead = 1;
	epoll_ctl(h->epfd, EPOLL_CTL_DEL, h->sock, NULL);
	for (unsigned int i = 0; i < h->nports; i++)
		if (h->ports[i].port)
			mark_closed(h, &h->ports[i]);
}

static int call(struct evh *h, uint32_t op, const struct pvkitd_evt_req *req, int *fds,
                unsigned int *nfds)
{
	int rc;

	if (h->sock_dead)
		return -ENOTCONN;
	rc = pvl_call(h->sock, op, 0, req, sizeof(*req), h->buf, fds, nfds, on_event, h);
	if (rc == -EPIPE || rc == -ECONNRESET)
		sock_gone(h);
	return rc;
}

int pvl_evtchn_open(struct pv_platform *p, struct pv_evtchn *e)
{
	struct pvl_plat *l = p->priv;
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = SOCK_TAG};
	struct evh *h = calloc(1, sizeof(*h));
	int rc;

	if (!h)
		return -ENOMEM;
	h->epfd = -1;
	h->sock = pvl_connect(l->sockpath);
	if (h->sock < 0) {
		rc = h->sock;
		goto out_free;
	}
	rc = pvl_call(h->sock, PVKITD_HELLO, PVKITD_HELLO_NOFDS, NULL, 0, h->buf, NULL, NULL, NULL,
	              NULL);
	if (rc < 0)
		goto out_close_sock;
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0 || epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->sock, &ev) < 0) {
		rc = -errno;
		goto out_close_sock;
	}
	e->priv = h;
	return 0;
out_close_sock:
	if (h->epfd >= 0)
		close(h->epfd);
	close(h->sock);
out_free:
	free(h);
	return rc;
}

void pvl_evtchn_close(struct pv_evtchn *e)
{
	struct evh *h = evh(e);

	for (unsigned int i = 0; i < h->nports; i++) {
		if (!h->ports[i].port)
			continue;
		close(h->ports[i].wake);
		close(h->ports[i].notify);
	}
	close(h->epfd);
	close(h->sock); /* pvkitd unbinds every port of this connection */
	free(h->ports);
	free(h);
	e->priv = NULL;
}

int pvl_evtchn_fd(struct pv_evtchn *e)
{
	return evh(e)->epfd;
}

static int add_port(struct evh *h, uint32_t port, const int *fds)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = port};
	struct evport *slot = find_port(h, 0);

	if (!slot) {
		struct evport *grown = realloc(h->ports, (h->nports + 1) * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		h->ports = grown;
		slot = &h->ports[h->nports++];
	}
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fds[0], &ev) < 0) {
		slot->port = 0;
		return -errno;
	}
	*slot = (struct evport){.port = port, .wake = fds[0], .notify = fds[1]};
	forget_events(h);
	return 0;
}

static int new_port(struct evh *h, uint32_t op, const struct pvkitd_evt_req *req)
{
	struct pvkitd_evt_rep rep;
	int fds[2] = {-1, -1}, rc;
	unsigned int nfds = 2;
	struct pvkitd_evt_req unb = {0};

	rc = call(h, op, req, fds, &nfds);
	if (rc >= 0 && (rc != sizeof(rep) || nfds != 2))
		rc = -EPROTO;
	if (rc < 0)
		goto out_close_fds;
	memcpy(&rep, pvl_payload(h->buf), sizeof(rep));
	rc = add_port(h, rep.port, fds);
	if (rc == 0)
		return (int)rep.port;
	unb.port = rep.port;
	call(h, PVKITD_EVT_UNBIND, &unb, NULL, NULL);
out_close_fds:
	for (unsigned int i = 0; i < nfds && i < 2; i++)
		close(fds[i]);
	return rc;
}

int pvl_alloc_unbound(struct pv_evtchn *e, pv_domid_t remote)
{
	struct pvkitd_evt_req req = {.remote = remote};

	return new_port(evh(e), PVKITD_EVT_ALLOC_UNBOUND, &req);
}

int pvl_bind_interdomain(struct pv_evtchn *e, pv_domid_t remote, pv_evtchn_port_t port)
{
	struct pvkitd_evt_req req = {.remote = remote, .port = port};

	return new_port(evh(e), PVKITD_EVT_BIND, &req);
}

int pvl_notify(struct pv_evtchn *e, pv_evtchn_port_t port)
{
	struct evport *ep = find_port(evh(e), port);
	uint64_t one = 1;

	if (!ep)
		return -EINVAL;
	if (ep->closed)
		return -ENOTCONN;
	/* EAGAIN: the counter is saturated, the peer has an event pending anyway. */
	if (write(ep->notify, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

/* Read what pvkitd sent unasked: closed ports. */
static void drain_sock(struct evh *h)
{
	for (int i = 0; i < 64; i++) {
		int rc = pvkitd_recv(h->sock, h->buf, NULL, NULL, MSG_DONTWAIT);
		struct pvkitd_hdr hdr;

		if (rc == -EAGAIN)
			return;
		if (rc < 0) {
			sock_gone(h);
			return;
		}
		memcpy(&hdr, h->buf, sizeof(hdr));
		on_event(h, hdr.op, pvl_payload(h->buf), hdr.len);
	}
}

static int take_closed(struct evh *h)
{
	uint32_t port = h->closed_q[0];

	memmove(h->closed_q, h->closed_q + 1, --h->nclosed * sizeof(uint32_t));
	return (int)port;
}

/*
 * The next epoll event: from the last batch, or a new epoll_wait. When a
 * batch had room to spare, everything ready then was in it, so the call
 * after its last event answers -EAGAIN without asking the kernel again
 * (once: the next call does ask; binding, unbinding and unmasking a port
 * that epoll stopped reporting forget it). The epoll fd is level-triggered,
 * so an event that came meanwhile keeps it readable and the caller's poll
 * sees it.
 */
static int next_event(struct evh *h, struct epoll_event *ev)
{
	int n;

	if (h->iq == h->nq) {
		if (h->drained) {
			h->drained = 0;
			return 0;
		}
		n = epoll_wait(h->epfd, h->evq, EVQ_MAX, 0);
		if (n <= 0)
			return 0;
		h->nq = (unsigned int)n;
		h->iq = 0;
		h->drained = n < EVQ_MAX;
	}
	*ev = h->evq[h->iq++];
	return 1;
}

int pvl_pending(struct pv_evtchn *e)
{
	struct evh *h = evh(e);

	for (int tries = 0; tries < 128; tries++) {
		struct epoll_event ev;
		struct evport *ep;
		uint64_t count;

		if (h->nclosed)
			return take_closed(h);
		if (!next_event(h, &ev))
			return -EAGAIN;
		if (ev.data.u64 == SOCK_TAG) {
			drain_sock(h);
			continue;
		}
		ep = find_port(h, (uint32_t)ev.data.u64);
		if (!ep || ep->closed || ep->kmasked)
			continue;
		if (ep->masked) {
			/* Came while masked: leave the count in the eventfd for unmask. */
			ev = (struct epoll_event){.events = 0, .data.u64 = ep->port};
			if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, ep->wake, &ev) == 0)
				ep->kmasked = 1;
			continue;
		}
		if (read(ep->wake, &count, sizeof(count)) < 0)
			continue; /* a stale batch entry: nothing there now */
		ep->masked = 1;
		return (int)ep->port;
	}
	return -EAGAIN;
}

int pvl_unmask(struct pv_evtchn *e, pv_evtchn_port_t port)
{
	struct evh *h = evh(e);
	struct evport *ep = find_port(h, port);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = port};

	if (!ep)
		return -EINVAL;
	if (!ep->masked || ep->closed)
		return 0;
	ep->masked = 0;
	/* Still in epoll's interest: an event since pending() is still reported. */
	if (!ep->kmasked)
		return 0;
	ep->kmasked = 0;
	h->drained = 0; /* it may be ready at once */
	/* Level-triggered: the event that came while masked fires now. */
	return epoll_ctl(h->epfd, EPOLL_CTL_MOD, ep->wake, &ev) < 0 ? -errno : 0;
}

int pvl_unbind(struct pv_evtchn *e, pv_evtchn_port_t port)
{
	struct evh *h = evh(e);
	struct evport *ep = find_port(h, port);
	struct pvkitd_evt_req req = {.port = port};

	if (!ep)
		return -EINVAL;
	forget_events(h);
	if (!ep->closed)
		epoll_ctl(h->epfd, EPOLL_CTL_DEL, ep->wake, NULL);
	call(h, PVKITD_EVT_UNBIND, &req, NULL, NULL); /* pvkitd tells the peer */
	close(ep->wake);
	close(ep->notify);
	ep->port = 0;
	for (unsigned int i = 0; i < h->nclosed; i++) {
		if (h->closed_q[i] == port) {
			memmove(h->closed_q + i, h->closed_q + i + 1,
			        (h->nclosed - i - 1) * sizeof(uint32_t));
			h->nclosed--;
			break;
		}
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * pvkitd event channels: ports per domain, an eventfd pair per channel
 * handed to both ends, and a PVKITD_EV_PORT_CLOSED event when a peer goes.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pvkit/log.h"
#include "pvkitd.h"

static pv_domid_t resolve(struct conn *c, uint32_t domid)
{
	return domid == PV_DOMID_SELF ? c->d->domid : (pv_domid_t)domid;
}

static int do_alloc_unbound(struct conn *c, const struct pvkitd_evt_req *req, struct reply *r)
{
	struct pvkitd_evt_rep rep = {0};
	struct pvl_port *p;
	int port, wake, peer_wake;

	if (req->remote >= PV_DOMID_SELF && req->remote != PV_DOMID_SELF)
		return -EINVAL;
	wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (wake < 0)
		return -errno;
	peer_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (peer_wake < 0) {
		close(wake);
		return -errno;
	}
	port = pvl_ports_alloc(&c->d->ports, c, resolve(c, req->remote));
	if (port < 0) {
		close(wake);
		close(peer_wake);
		return port;
	}
	p = pvl_ports_get(&c->d->ports, (uint32_t)port);
	p->wake_fd = wake;
	p->peer_wake_fd = peer_wake;
	rep.port = (uint32_t)port;
	memcpy(r->buf, &rep, sizeof(rep));
	r->len = sizeof(rep);
	r->fds[0] = wake; /* pvkitd keeps both until the peer binds */
	r->fds[1] = peer_wake;
	r->nfds = 2;
	return 0;
}

static int do_bind(struct pvkitd *k, struct conn *c, const struct pvkitd_evt_req *req,
                   struct reply *r)
{
	struct pvkitd_evt_rep rep = {0};
	pv_domid_t remote = resolve(c, req->remote);
	struct domain *rd = remote < PV_DOMID_SELF ? dom_find(k, remote) : NULL;
	struct pvl_port *rp, *lp;
	int rc, port;

	if (!rd)
		return -ESRCH;
	rc = pvl_ports_check_bind(&rd->ports, req->port, c->d->domid);
	if (rc)
		return rc;
	port = pvl_ports_alloc(&c->d->ports, c, remote);
	if (port < 0)
		return port;
	lp = pvl_ports_get(&c->d->ports, (uint32_t)port);
	rp = pvl_ports_get(&rd->ports, req->port);
	lp->state = PVL_PORT_BOUND;
	lp->remote_port = req->port;
	rp->state = PVL_PORT_BOUND;
	rp->remote_dom = c->d->domid;
	rp->remote_port = (uint32_t)port;
	/* The binder is woken by the fd made for it, and notifies the allocator's. */
	r->fds[0] = rp->peer_wake_fd;
	r->fds[1] = rp->wake_fd;
	r->own[0] = r->own[1] = 1;
	r->nfds = 2;
	rp->wake_fd = rp->peer_wake_fd = -1;
	rep.port = (uint32_t)port;
	memcpy(r->buf, &rep, sizeof(rep));
	r->len = sizeof(rep);
	return 0;
}

void evt_close_port(struct pvkitd *k, struct domain *d, uint32_t port)
{
	struct pvl_port *p = pvl_ports_get(&d->ports, port);
	struct domain *rd;
	struct pvl_port *rp;

	if (!p)
		return;
	if (p->state == PVL_PORT_BOUND && (rd = dom_find(k, p->remote_dom)) != NULL) {
		rp = pvl_ports_get(&rd->ports, p->remote_port);
		if (rp && rp->state == PVL_PORT_BOUND && rp->remote_dom == d->domid &&
		    rp->remote_port == port) {
			struct pvkitd_evt_req ev = {.remote = d->domid, .port = p->remote_port};

			rp->state = PVL_PORT_CLOSED;
			conn_event(rp->owner, PVKITD_EV_PORT_CLOSED, &ev, sizeof(ev));
		}
	}
	if (p->wake_fd >= 0)
		close(p->wake_fd);
	if (p->peer_wake_fd >= 0)
		close(p->peer_wake_fd);
	pvl_ports_free(&d->ports, port);
}

static int do_unbind(struct pvkitd *k, struct conn *c, const struct pvkitd_evt_req *req)
{
	struct pvl_port *p = pvl_ports_get(&c->d->ports, req->port);

	if (!p || p->owner != c)
		return -EINVAL;
	evt_close_port(k, c->d, req->port);
	return 0;
}

int handle_evt(struct pvkitd *k, struct conn *c, const struct pvkitd_hdr *h, const void *p,
               struct reply *r)
{
	struct pvkitd_evt_req req;

	if (h->len != sizeof(req))
		return -EPROTO;
	memcpy(&req, p, sizeof(req));
	switch (h->op) {
	case PVKITD_EVT_ALLOC_UNBOUND:
		return do_alloc_unbound(c, &req, r);
	case PVKITD_EVT_BIND:
		return do_bind(k, c, &req, r);
	case PVKITD_EVT_UNBIND:
		return do_unbind(k, c, &req);
	}
	return -EPROTO;
}

void evt_conn_gone(struct pvkitd *k, struct conn *c)
{
	struct pvl_port_table *t = &c->d->ports;

	for (uint32_t port = 1; port < t->nr && t->used; port++)
		if (t->ports[port].state != PVL_PORT_FREE && t->ports[port].owner == c)
			evt_close_port(k, c->d, port);
}

void evt_dom_gone(struct pvkitd *k, struct domain *d)
{
	for (uint32_t port = 1; port < d->ports.nr && d->ports.used; port++)
		evt_close_port(k, d, port);
}

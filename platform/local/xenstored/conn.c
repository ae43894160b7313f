/* SPDX-License-Identifier: MIT */
/*
 * pvkit-xenstored: client connections. Frames requests out of the byte
 * stream (a header over the payload limit closes the connection), queues
 * replies and watch events, and bounds what one client can make us hold.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xenstored.h"

/* Requests read per wake-up before the loop serves the others. */
#define READS_PER_WAKE 16

const char *xsd_errname(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
#define XSD_ERRCASE(e)                                                                             \
	case e:                                                                                    \
		return #e;
		PV_XS_ERRORS(XSD_ERRCASE)
#undef XSD_ERRCASE
	default:
		return "EINVAL";
	}
}

/*
 * Request epoll events matching the connection's state. Queued output is
 * written at the end of each loop iteration; EPOLLOUT is asked for only
 * once the socket refused some, so a plain request costs no epoll_ctl.
 */
static void conn_arm(struct xsd_conn *c)
{
	uint32_t want = (c->rd_blocked ? 0 : EPOLLIN) | (c->wr_blocked ? EPOLLOUT : 0);
	struct epoll_event ev = {.events = want, .data.ptr = &c->pe};

	if (c->dead || c->x->epfd < 0 || want == c->armed)
		return;
	if (epoll_ctl(c->x->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->armed = want;
}

struct xsd_conn *xsd_conn_new(struct xsd *x, int fd, unsigned int dom)
{
	struct xsd_domain *d = xsd_domain_get(x, dom);
	struct xsd_conn *c = d ? calloc(1, sizeof(*c)) : NULL;
	struct epoll_event ev = {.events = EPOLLIN};

	if (!c)
		return NULL;
	c->x = x;
	c->fd = fd;
	c->dom = dom;
	c->next_txid = 1;
	c->rl = (struct pv_ratelimit)PV_RATELIMIT_INIT;
	c->pe.kind = XSD_POLL_CONN;
	c->pe.conn = c;
	snprintf(c->name, sizeof(c->name), "dom%u-fd%d", dom, fd);
	ev.data.ptr = &c->pe;
	if (x->epfd >= 0 && epoll_ctl(x->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(c);
		return NULL;
	}
	c->armed = EPOLLIN;
	d->nconns++;
	pv_dev_debug(c->name, "connected");
	c->next = x->conns;
	if (x->conns)
		x->conns->prev = c;
	x->conns = c;
	return c;
}

struct xsd_txn *xsd_conn_txn(struct xsd_conn *c, uint32_t id)
{
	for (struct xsd_txn *t = c->txns; t; t = t->next)
		if (t->id == id)
			return t;
	return NULL;
}

void xsd_conn_txn_drop_all(struct xsd_conn *c)
{
	struct xsd_domain *d = xsd_domain_get(c->x, c->dom);

	if (d)
		d->ntxns -= c->ntxns;
	while (c->txns) {
		struct xsd_txn *t = c->txns;

		c->txns = t->next;
		xsd_txn_free(t);
	}
	c->ntxns = 0;
}

/* Mark closed and let go of its watches and transactions; freed by reap. */
void xsd_conn_close(struct xsd *x, struct xsd_conn *c, const char *why)
{
	if (c->dead)
		return;
	if (why)
		pv_dev_warn_rl(&x->rl, c->name, "connection closed: %s", why);
	else
		pv_dev_debug(c->name, "disconnected");
	c->dead = true;
	if (x->doms[c->dom] && x->doms[c->dom]->nconns)
		x->doms[c->dom]->nconns--;
	xsd_watch_drop_conn(x, c);
	xsd_conn_txn_drop_all(c);
	if (x->epfd >= 0)
		epoll_ctl(x->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void xsd_conn_reap(struct xsd *x)
{
	struct xsd_conn *c = x->conns;

	while (c) {
		struct xsd_conn *next = c->next;

		if (c->dead) {
			if (c->prev)
				c->prev->next = c->next;
			else
				x->conns = c->next;
			if (c->next)
				c->next->prev = c->prev;
			free(c->out);
			free(c);
		}
		c = next;
	}
}

size_t xsd_conn_queued(const struct xsd_conn *c)
{
	return c->out_len - c->out_off;
}

static int out_reserve(struct xsd_conn *c, size_t more)
{
	uint8_t *p;
	size_t cap;

	if (c->out_off && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + more <= c->out_cap)
		return 0;
	if (c->out_off) { /* slide the unsent bytes to the front first */
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
		if (c->out_len + more <= c->out_cap)
			return 0;
	}
	cap = c->out_cap ? c->out_cap : 4096;
	while (cap < c->out_len + more)
		cap *= 2;
	p = realloc(c->out, cap);
	if (!p)
		return -ENOMEM;
	c->out = p;
	c->out_cap = cap;
	return 0;
}

/* Queue one message of @nparts payload pieces. */
static int queue_msg(struct xsd_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
		     const void *const *parts, const size_t *lens, int nparts)
{
	struct pv_xs_msg_hdr h = {.type = type, .req_id = req_id, .tx_id = tx_id};
	size_t total = 0;

	for (int i = 0; i < nparts; i++)
		total += lens[i];
	if (c->dead || total > PV_XS_PAYLOAD_MAX || out_reserve(c, sizeof(h) + total) < 0)
		return -ENOMEM;
	h.len = (uint32_t)total;
	memcpy(c->out + c->out_len, &h, sizeof(h));
	c->out_len += sizeof(h);
	for (int i = 0; i < nparts; i++) {
		if (lens[i])
			memcpy(c->out + c->out_len, parts[i], lens[i]);
		c->out_len += lens[i];
	}
	return 0;
}

int xsd_conn_reply(struct xsd_conn *c, const struct pv_xs_msg_hdr *req, uint32_t type,
		   const void *payload, size_t len)
{
	const void *parts[] = {payload};
	size_t lens[] = {len};

	return queue_msg(c, type, req->req_id, req->tx_id, parts, lens, 1);
}

int xsd_conn_error(struct xsd_conn *c, const struct pv_xs_msg_hdr *req, int err)
{
	const char *name = xsd_errname(err);

	return xsd_conn_reply(c, req, PV_XS_ERROR, name, strlen(name) + 1);
}

void xsd_conn_event(struct xsd *x, struct xsd_conn *c, const char *path, const char *token)
{
	const void *parts[] = {path, token};
	size_t lens[] = {strlen(path) + 1, strlen(token) + 1};

	if (xsd_conn_queued(c) > x->quota.output ||
	    queue_msg(c, PV_XS_WATCH_EVENT, 0, 0, parts, lens, 2) < 0) {
		if (c->dropped_events++ == 0 || pv_ratelimit_ok(&c->rl))
			pv_dev_warn(c->name, "not reading its watch events: dropped %llu so far",
				    (unsigned long long)c->dropped_events);
		return;
	}
	conn_arm(c);
}

/* Frame and handle every complete request in the input buffer. */
int xsd_conn_process(struct xsd *x, struct xsd_conn *c)
{
	static char payload[PV_XS_PAYLOAD_MAX + 1];
	struct pv_xs_msg_hdr h;
	size_t off = 0;

	while (!c->dead && c->in_len - off >= sizeof(h)) {
		if (xsd_conn_queued(c) > x->quota.output) {
			c->rd_blocked = true; /* resumes when the client reads */
			break;
		}
		memcpy(&h, c->in + off, sizeof(h));
		if (h.len > PV_XS_PAYLOAD_MAX)
			return -EPROTO;
		if (c->in_len - off - sizeof(h) < h.len)
			break;
		/* A private, NUL-terminated copy: string scans never leave it. */
		memcpy(payload, c->in + off + sizeof(h), h.len);
		payload[h.len] = 0;
		off += sizeof(h) + h.len;
		xsd_handle(x, c, &h, payload, h.len);
	}
	if (off) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	conn_arm(c);
	return 0;
}

void xsd_conn_on_input(struct xsd *x, struct xsd_conn *c)
{
	for (int i = 0; i < READS_PER_WAKE && !c->dead && !c->rd_blocked; i++) {
		ssize_t n = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);

		if (n == 0) {
			xsd_conn_close(x, c, NULL);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				xsd_conn_close(x, c, "read failed");
			return;
		}
		c->in_len += (size_t)n;
		if (xsd_conn_process(x, c) < 0) {
			xsd_conn_close(x, c, "message longer than the protocol allows");
			return;
		}
	}
}

void xsd_conn_on_output(struct xsd *x, struct xsd_conn *c)
{
	while (!c->dead && xsd_conn_queued(c)) {
		ssize_t n = send(c->fd, c->out + c->out_off, xsd_conn_queued(c),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				xsd_conn_close(x, c, "write failed");
			break;
		}
		c->out_off += (size_t)n;
	}
	if (c->dead)
		return;
	c->wr_blocked = xsd_conn_queued(c) != 0;
	if (c->rd_blocked && xsd_conn_queued(c) <= x->quota.output / 2) {
		c->rd_blocked = false;
		if (xsd_conn_process(x, c) < 0)
			xsd_conn_close(x, c, "message longer than the protocol allows");
	}
	conn_arm(c);
}

/* SPDX-License-Identifier: MIT */
/*
 * The test blkfront: xenstore handshake, a granted ring in the native or
 * the x86_32 layout, requests and their responses. Wire protocol only.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvkit/proto/xenbus.h"
#include "blkback_front.h"

static int fe_write(struct tfront *f, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fe_write(struct tfront *f, const char *key, const char *fmt, ...)
{
	char path[256], val[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", f->fe, key);
	return xs_write(f->xs, XBT_NULL, path, val, (unsigned int)strlen(val)) ? 0 : -errno;
}

char *tf_be_read(struct tfront *f, const char *key)
{
	char path[256];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", f->be, key);
	return xs_read(f->xs, XBT_NULL, path, &len);
}

int tf_be_state(struct tfront *f)
{
	char *s = tf_be_read(f, "state");
	int st = s ? atoi(s) : 0;

	free(s);
	return st;
}

bool tf_wait_be_state(struct tfront *f, int state, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (tf_be_state(f) == state)
			return true;
		usleep(10000);
	}
	return tf_be_state(f) == state;
}

int tf_init(struct tfront *f)
{
	f->data = pv_gnt_share_pages(f->plat, 0, TF_DATA_PAGES, f->data_refs, 1);
	f->next_id = 1;
	return f->data ? 0 : -errno;
}

static struct pv_ring_shape shape(struct tfront *f)
{
	if (f->x86_32)
		return PV_RING_SHAPE(struct pv_blkif_x86_32_request, struct pv_blkif_x86_32_response);
	return PV_RING_SHAPE(struct pv_blkif_x86_64_request, struct pv_blkif_x86_64_response);
}

/* Write @key (under queue-<qi>/ when several queues) = value. */
static int q_write(struct tfront *f, unsigned int qi, const char *key, unsigned int val)
{
	char k[48];

	if (f->nq > 1)
		snprintf(k, sizeof(k), "queue-%u/%s", qi, key);
	else
		snprintf(k, sizeof(k), "%s", key);
	return fe_write(f, k, "%u", val);
}

static int write_ring_nodes(struct tfront *f)
{
	unsigned int pages = 1u << f->ring_order;
	char key[32];
	int rc = 0;

	/* ring-page-order: one node at the top, also with queue-N/ (blkif.h). */
	if (f->ring_order)
		rc |= fe_write(f, "ring-page-order", "%u", f->ring_order);
	for (unsigned int qi = 0; qi < f->nq; qi++) {
		struct tqueue *q = &f->q[qi];

		if (f->ring_order == 0)
			rc |= q_write(f, qi, "ring-ref", q->ring_refs[0]);
		for (unsigned int i = 0; f->ring_order && i < pages; i++) {
			snprintf(key, sizeof(key), "ring-ref%u", i);
			rc |= q_write(f, qi, key, q->ring_refs[i]);
		}
		rc |= q_write(f, qi, "event-channel", (unsigned int)q->port);
	}
	if (f->nq > 1)
		rc |= fe_write(f, "multi-queue-num-queues", "%u", f->nq);
	rc |= fe_write(f, "protocol", "%s", f->x86_32 ? PV_IO_PROTO_ABI_X86_32 : PV_IO_PROTO_ABI_X86_64);
	rc |= fe_write(f, "feature-persistent", "%d", f->persistent ? 1 : 0);
	return rc ? -EIO : 0;
}

static int queue_setup(struct tfront *f, struct tqueue *q)
{
	unsigned int pages = 1u << f->ring_order;
	struct pv_ring_shape s = shape(f);

	q->ring = pv_gnt_share_pages(f->plat, 0, pages, q->ring_refs, 1);
	if (!q->ring || pv_ring_front_init(&q->front, q->ring, pages, &s))
		return -ENOMEM;
	if (pv_evtchn_open(f->plat, &q->ev))
		return -EIO;
	q->port = pv_evtchn_alloc_unbound(q->ev, 0);
	return q->port < 0 ? -EIO : 0;
}

int tf_connect(struct tfront *f)
{
	char *sec;

	if (!f->nq)
		f->nq = 1;
	if (!tf_wait_be_state(f, PV_XENBUS_STATE_INIT_WAIT, 10000))
		return -ETIMEDOUT;
	for (unsigned int qi = 0; qi < f->nq; qi++)
		if (queue_setup(f, &f->q[qi]))
			return -EIO;
	if (write_ring_nodes(f) || fe_write(f, "state", "%d", PV_XENBUS_STATE_INITIALISED))
		return -EIO;
	if (!tf_wait_be_state(f, PV_XENBUS_STATE_CONNECTED, 10000))
		return -ETIMEDOUT;
	sec = tf_be_read(f, "sectors");
	f->sectors = sec ? strtoull(sec, NULL, 10) : 0;
	free(sec);
	return fe_write(f, "state", "%d", PV_XENBUS_STATE_CONNECTED);
}

int tf_reconnect_prepare(struct tfront *f)
{
	unsigned int pages = 1u << f->ring_order;
	int rc = 0;

	fe_write(f, "state", "%d", PV_XENBUS_STATE_CLOSED);
	if (!tf_wait_be_state(f, PV_XENBUS_STATE_CLOSED, 10000))
		return -ETIMEDOUT;
	for (unsigned int qi = 0; qi < f->nq; qi++) {
		struct tqueue *q = &f->q[qi];

		pv_evtchn_close(q->ev);
		q->ev = NULL;
		/* The backend unmaps before it reports Closed; a ring still mapped is kept (XSA-396). */
		for (int i = 0; (rc = pv_gnt_unshare(f->plat, q->ring, pages)) == -EBUSY && i < 100; i++)
			usleep(10000);
		q->ring = NULL;
		if (rc)
			return rc;
	}
	return fe_write(f, "state", "%d", PV_XENBUS_STATE_INITIALISING);
}

/* Wait for one response; 1 and *@rsp filled (as x86_64 view), or 0 on timeout. */
static int wait_response(struct tqueue *q, struct pv_blkif_x86_64_response *rsp)
{
	struct pollfd pfd = {.fd = pv_evtchn_fd(q->ev), .events = POLLIN};
	unsigned char raw[16];
	int port, rc;

	for (int i = 0; i < 500; i++) {
		memset(raw, 0, sizeof(raw));
		rc = pv_ring_front_get_response(&q->front, raw);
		if (rc < 0)
			return 0;
		if (rc == 1) {
			memset(rsp, 0, sizeof(*rsp));
			memcpy(&rsp->id, raw, 8);
			rsp->operation = raw[8];
			memcpy(&rsp->status, raw + 10, 2);
			return 1;
		}
		poll(&pfd, 1, 10);
		while ((port = pv_evtchn_pending(q->ev)) >= 0)
			pv_evtchn_unmask(q->ev, (pv_evtchn_port_t)port);
	}
	return 0;
}

/* The x86_32 layout of a request given in the x86_64 view. */
static void to_x86_32(const struct pv_blkif_x86_64_request *q, unsigned char *raw)
{
	uint64_t id = q->id, sector = q->sector_number;

	memset(raw, 0, 108);
	raw[0] = q->operation;
	raw[1] = q->nr_segments;
	memcpy(raw + 4, &id, 8);
	memcpy(raw + 12, &sector, 8);
	memcpy(raw + 20, q->seg, sizeof(q->seg));
}

int tf_post(struct tfront *f, unsigned int qi, const struct pv_blkif_x86_64_request *req)
{
	struct tqueue *q = &f->q[qi];
	unsigned char raw[112];
	int rc;

	if (f->x86_32)
		to_x86_32(req, raw);
	else
		memcpy(raw, req, sizeof(*req));
	if (pv_ring_front_put(&q->front, raw))
		return -ENOSPC;
	rc = pv_ring_front_push(&q->front);
	if (rc < 0)
		return rc;
	if (rc > 0)
		pv_evtchn_notify(q->ev, (pv_evtchn_port_t)q->port);
	return 0;
}

int tf_send_on(struct tfront *f, unsigned int qi, const struct pv_blkif_x86_64_request *req)
{
	struct pv_blkif_x86_64_response rsp;

	if (tf_post(f, qi, req))
		return -100;
	if (!wait_response(&f->q[qi], &rsp) || rsp.id != req->id)
		return -100;
	return rsp.status;
}

int tf_send(struct tfront *f, const struct pv_blkif_x86_64_request *req)
{
	return tf_send_on(f, 0, req);
}

struct pv_blkif_x86_64_request tf_req(struct tfront *f, uint8_t op, uint64_t sector,
				      unsigned int nsegs, unsigned int page)
{
	struct pv_blkif_x86_64_request q;

	memset(&q, 0, sizeof(q));
	q.operation = op;
	q.nr_segments = (uint8_t)nsegs;
	q.id = f->next_id++;
	q.sector_number = sector;
	for (unsigned int i = 0; i < nsegs && i < PV_BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) {
		q.seg[i].gref = f->data_refs[page + i];
		q.seg[i].last_sect = 7;
	}
	return q;
}

int tf_rw(struct tfront *f, uint8_t op, uint64_t sector, unsigned int nsegs, unsigned int page)
{
	struct pv_blkif_x86_64_request q = tf_req(f, op, sector, nsegs, page);

	return tf_send(f, &q);
}

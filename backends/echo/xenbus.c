/* SPDX-License-Identifier: MIT */
/*
 * pvkit-echoback xenbus handshake: advertise, wait for the frontend's ring,
 * map it, bind the channel, Connected; tear down on Closing/Closed and
 * start over when the frontend comes back.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "common.h"


void echoback_disconnect(struct echoback_dev *d)
{
	if (d->evt) {
		epoll_ctl(d->eb->epfd, EPOLL_CTL_DEL, pv_evtchn_fd(d->evt), NULL);
		pv_evtchn_close(d->evt); /* unbinds: the frontend sees the channel closed */
		d->evt = NULL;
	}
	if (d->ring_page) {
		pv_gnt_unmap(d->eb->platform, d->ring_page, 1);
		d->ring_page = NULL;
	}
}

/* Read the frontend's ring-ref and event-channel, map and bind. */
static int connect_ring(struct echoback_dev *d)
{
	struct pv_xenbus_dev *x = d->xdev;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = d};
	uint64_t ref, port;
	pv_grant_ref_t gref;
	int rc;

	rc = pv_xs_read_uint(x->xs, 0, x->otherend, "ring-ref", UINT32_MAX - 1, UINT64_MAX, &ref);
	if (rc == 0 && ref == UINT64_MAX)
		rc = -ENOENT;
	if (rc == 0)
		rc = pv_xs_read_uint(x->xs, 0, x->otherend, "event-channel", INT32_MAX, UINT64_MAX,
				     &port);
	if (rc == 0 && port == UINT64_MAX)
		rc = -ENOENT;
	if (rc < 0) {
		pv_xenbus_dev_fatal(x, -rc, "reading %s/ring-ref and event-channel", x->otherend);
		return rc;
	}
	gref = (pv_grant_ref_t)ref;
	d->ring_page = pv_gnt_map(d->eb->platform, x->otherend_id, 1, &gref, 1);
	if (!d->ring_page) {
		rc = -errno;
		pv_xenbus_dev_fatal(x, -rc, "mapping ring-ref %u", gref);
		return rc;
	}
	rc = pv_ring_back_attach(&d->ring, d->ring_page, 1, echoback_shape(), 0);
	if (rc == 0)
		rc = pv_evtchn_open(d->eb->platform, &d->evt);
	if (rc == 0) {
		rc = pv_evtchn_bind_interdomain(d->evt, x->otherend_id, (pv_evtchn_port_t)port);
		if (rc >= 0)
			d->port = (pv_evtchn_port_t)rc;
	}
	if (rc >= 0 && epoll_ctl(d->eb->epfd, EPOLL_CTL_ADD, pv_evtchn_fd(d->evt), &ev) < 0)
		rc = -errno;
	if (rc < 0) {
		pv_xenbus_dev_fatal(x, -rc, "binding event channel %llu", (unsigned long long)port);
		echoback_disconnect(d);
		return rc;
	}
	return 0;
}

static void frontend_changed(struct pv_xenbus_dev *x, enum pv_xenbus_state st)
{
	struct echoback_dev *d = x->opaque;

	pv_dev_debug(x->prefix, "frontend %s (we are %s)", pv_xenbus_state_name(st),
		     pv_xenbus_state_name(x->state));
	switch (st) {
	case PV_XENBUS_STATE_INITIALISED:
		/*
		 * Connect only on Initialised: a frontend still Connected from
		 * before our restart offers a stale ring and will renegotiate.
		 */
		if (x->state != PV_XENBUS_STATE_INIT_WAIT || d->ring_page)
			break;
		if (connect_ring(d) == 0) {
			pv_xenbus_switch_state(x, PV_XENBUS_STATE_CONNECTED);
			pv_dev_info(x->prefix, "connected");
			echoback_process(d);
		}
		break;
	case PV_XENBUS_STATE_CLOSING:
	case PV_XENBUS_STATE_CLOSED:
	case PV_XENBUS_STATE_UNKNOWN:
		echoback_disconnect(d);
		if (x->state != PV_XENBUS_STATE_CLOSED && x->state != PV_XENBUS_STATE_INIT_WAIT)
			pv_xenbus_switch_state(x, PV_XENBUS_STATE_CLOSED);
		break;
	case PV_XENBUS_STATE_INITIALISING:
		/* The frontend starts over (after Closed, or its own restart). */
		echoback_disconnect(d);
		pv_xenbus_switch_state(x, PV_XENBUS_STATE_INIT_WAIT);
		break;
	default:
		break;
	}
}

int echoback_probe(struct pv_xenbus_dev *x, void *opaque)
{
	struct echoback_dev *d = calloc(1, sizeof(*d));
	int rc;

	if (!d)
		return -ENOMEM;
	d->eb = opaque;
	d->xdev = x;
	d->rl = (struct pv_ratelimit)PV_RATELIMIT_INIT;
	x->opaque = d;
	x->otherend_changed = frontend_changed;
	rc = pv_xs_printf(x->xs, 0, x->nodename, "max-len", "%u", PV_ECHOIF_MAX_LEN);
	/* Always (re)start at InitWait: after our own restart this tells the frontend. */
	x->state = PV_XENBUS_STATE_UNKNOWN;
	if (rc == 0)
		rc = pv_xenbus_switch_state(x, PV_XENBUS_STATE_INIT_WAIT);
	if (rc == 0)
		rc = pv_xenbus_dev_start(x);
	if (rc < 0) {
		free(d);
		x->opaque = NULL;
		return rc;
	}
	pv_dev_info(x->prefix, "new device, frontend %s", x->otherend);
	return 0;
}

void echoback_remove(struct pv_xenbus_dev *x, void *opaque)
{
	struct echoback_dev *d = x->opaque;

	(void)opaque;
	if (!d)
		return;
	echoback_disconnect(d);
	pv_dev_info(x->prefix, "removed after %llu requests (%llu refused)",
		    (unsigned long long)d->requests, (unsigned long long)d->errors);
	free(d);
	x->opaque = NULL;
}

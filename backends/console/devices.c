/* SPDX-License-Identifier: MIT */
/*
 * pvkit-consoled's secondary consoles: xenbus devices of type "console"
 * (/local/domain/<self>/backend/console/<F>/<N>, N >= 1), what libxl
 * writes for a guest's channels and extra consoles and what Linux's hvc_xen
 * serves as /dev/hvc<N>. The frontend shares the page (ring-ref) and an
 * unbound event channel (port) under device/console/<N> and says
 * Initialised; we map, bind and say Connected. Each gets a pty and a log
 * like a primary console: <rundir>/console/<F>.<N>.pty, dom<F>.<N>.log,
 * and the pty's name in the frontend's "tty" node (where xl looks).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "pvkit/log.h"
#include "pvkit/xenbus.h"
#include "consoled.h"

/* The frontend's ring-ref and port, mapped and bound; then Connected. */
static void dev_connect(struct consoled *d, struct pv_xenbus_dev *x, struct console *c)
{
	uint64_t ref, port;
	int rc;

	rc = pv_xs_read_uint(x->xs, PV_XS_NO_TXN, x->otherend, "ring-ref", UINT32_MAX - 1,
			     UINT64_MAX, &ref);
	if (rc == 0)
		rc = pv_xs_read_uint(x->xs, PV_XS_NO_TXN, x->otherend, "port", 0xffffff,
				     UINT64_MAX, &port);
	if (rc == 0 && (ref == UINT64_MAX || port == UINT64_MAX))
		rc = -ENOENT;
	if (rc < 0) {
		pv_xenbus_dev_fatal(x, -rc, "reading %s/ring-ref and port", x->otherend);
		return;
	}
	rc = xb_console_connect(d, c, (uint32_t)ref, (uint32_t)port);
	if (rc < 0) {
		pv_xenbus_dev_fatal(x, -rc, "connecting to grant %u, port %u", (unsigned int)ref,
				    (unsigned int)port);
		return;
	}
	pv_xenbus_switch_state(x, PV_XENBUS_STATE_CONNECTED);
}

static void frontend_changed(struct pv_xenbus_dev *x, enum pv_xenbus_state st)
{
	struct console *c = x->opaque;
	struct consoled *d = ((struct cons_binding *)c->binding)->d;

	pv_dev_debug(x->prefix, "frontend %s (we are %s)", pv_xenbus_state_name(st),
		     pv_xenbus_state_name(x->state));
	switch (st) {
	case PV_XENBUS_STATE_INITIALISED:
	case PV_XENBUS_STATE_CONNECTED:
		/*
		 * Connected while we wait: a frontend from before our restart,
		 * still on the page and port it published; serve them again.
		 */
		if (x->state == PV_XENBUS_STATE_INIT_WAIT && !c->page && !c->broken)
			dev_connect(d, x, c);
		break;
	case PV_XENBUS_STATE_CLOSING:
	case PV_XENBUS_STATE_CLOSED:
	case PV_XENBUS_STATE_UNKNOWN:
		if (c->page)
			xb_disconnect(d, c);
		if (x->state != PV_XENBUS_STATE_CLOSED && x->state != PV_XENBUS_STATE_INIT_WAIT)
			pv_xenbus_switch_state(x, PV_XENBUS_STATE_CLOSED);
		break;
	case PV_XENBUS_STATE_INITIALISING:
		if (c->page)
			xb_disconnect(d, c);
		c->broken = 0;
		pv_xenbus_switch_state(x, PV_XENBUS_STATE_INIT_WAIT);
		break;
	default:
		break;
	}
}

static int dev_probe(struct pv_xenbus_dev *x, void *opaque)
{
	struct consoled *d = opaque;
	struct console *c;
	int rc;

	if (x->devid == 0 || x->devid > 0xffff) {
		/* Console 0 is the domain's own, in console/, not a device. */
		pv_xenbus_dev_error(x, EINVAL, "console device %u: 1..65535 expected", x->devid);
		return -EINVAL;
	}
	rc = xb_console_new(d, (int)x->otherend_id, (int)x->devid, &c);
	if (rc < 0) {
		pv_xenbus_dev_error(x, -rc, "creating the pty and log");
		return rc;
	}
	((struct cons_binding *)c->binding)->xdev = x;
	x->opaque = c;
	x->otherend_changed = frontend_changed;
	/* Always (re)start at InitWait: after our own restart this tells the frontend. */
	x->state = PV_XENBUS_STATE_UNKNOWN;
	rc = pv_xenbus_switch_state(x, PV_XENBUS_STATE_INIT_WAIT);
	if (rc == 0)
		rc = pv_xenbus_dev_start(x);
	if (rc < 0) {
		x->opaque = NULL;
		xb_console_destroy(d, c);
		return rc;
	}
	pv_dev_info(c->prefix, "new console device, frontend %s, pty %s", x->otherend, c->pty_path);
	return 0;
}

static void dev_remove(struct pv_xenbus_dev *x, void *opaque)
{
	struct console *c = x->opaque;

	if (c)
		xb_console_destroy(opaque, c);
	x->opaque = NULL;
}

static const struct pv_xenbus_bus_ops dev_ops = {dev_probe, dev_remove};

int dev_open(struct consoled *d)
{
	int rc = pv_xenbus_bus_open(d->xs, "console", 1, &dev_ops, d, &d->bus);

	if (rc < 0)
		pv_err_errno(rc, "cannot watch the console devices (backend/console)");
	return rc;
}

void dev_close(struct consoled *d)
{
	if (d->bus)
		pv_xenbus_bus_close(d->bus);
	d->bus = NULL;
}

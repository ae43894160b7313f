/* SPDX-License-Identifier: MIT */
/*
 * The guest console frontend's xenstore and platform side: share the
 * console page, allocate the event channel, publish ring-ref and port, and
 * publish a fresh port when the backend closed the old one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pvkit/log.h"
#include "pvkit/xenbus.h"
#include "consfront.h"

static int publish(struct pv_consfront *f, const char *key, unsigned int val)
{
	char dir[64];
	int rc;

	snprintf(dir, sizeof(dir), "/local/domain/%u/console", f->self);
	rc = pv_xs_printf(f->xs, PV_XS_NO_TXN, dir, key, "%u", val);
	if (rc < 0)
		pv_err_errno(rc, "console: cannot write %s/%s", dir, key);
	return rc;
}

static int new_port(struct pv_consfront *f)
{
	int port = pv_evtchn_alloc_unbound(f->evtchn, f->backend);

	if (port < 0) {
		pv_err_errno(port, "console: cannot allocate an event channel for domain %u",
			     f->backend);
		return port;
	}
	f->port = port;
	return publish(f, "port", (unsigned int)port);
}

int consfront_connect(struct pv_consfront *f)
{
	int rc;

	if (!f->xs) {
		rc = pv_xs_open(&f->xs, NULL);
		if (rc < 0)
			return rc;
		f->own_xs = 1;
	}
	rc = pv_evtchn_open(f->plat, &f->evtchn);
	if (rc < 0) {
		pv_err_errno(rc, "console: cannot open an event-channel handle");
		return rc;
	}
	f->page = pv_gnt_share_pages(f->plat, f->backend, 1, &f->ref, 1);
	if (!f->page) {
		rc = -errno;
		pv_err_errno(rc, "console: cannot share the console page with domain %u",
			     f->backend);
		return rc;
	}
	pv_cons_ring_init_front(&f->out, &f->in, f->page);
	/* ring-ref first: the backend connects once both are there. */
	rc = publish(f, "ring-ref", f->ref);
	if (rc == 0)
		rc = new_port(f);
	return rc;
}

int consfront_reconnect(struct pv_consfront *f)
{
	pv_info("console: backend closed its end; publishing a new event channel");
	if (f->port >= 0)
		pv_evtchn_unbind(f->evtchn, (pv_evtchn_port_t)f->port);
	f->port = -1;
	return new_port(f);
}

void consfront_notify(struct pv_consfront *f)
{
	if (f->port < 0)
		return;
	if (pv_evtchn_notify(f->evtchn, (pv_evtchn_port_t)f->port) == -ENOTCONN)
		consfront_reconnect(f);
}

void consfront_disconnect(struct pv_consfront *f)
{
	if (f->evtchn) {
		if (f->port >= 0)
			pv_evtchn_unbind(f->evtchn, (pv_evtchn_port_t)f->port);
		pv_evtchn_close(f->evtchn);
	}
	f->evtchn = NULL;
	f->port = -1;
	/* The backend may still map it (XSA-396): then leave the page alone. */
	if (f->page && pv_gnt_unshare(f->plat, f->page, 1) < 0)
		pv_warn("console: backend still maps the console page; not freeing it");
	f->page = NULL;
	if (f->xs && f->own_xs)
		pv_xs_close(f->xs);
	f->xs = NULL;
}

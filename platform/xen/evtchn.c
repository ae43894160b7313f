/* SPDX-License-Identifier: MIT */
/*
 * The xen platform's event channels: one libxenevtchn handle (one open of
 * /dev/xen/evtchn) per struct pv_evtchn, its fd non-blocking.
 */
#include <errno.h>
#include <fcntl.h>

#include <xenevtchn.h>

#include "pvkit/log.h"
#include "xen.h"

static xenevtchn_handle *xce_of(struct pv_evtchn *e)
{
	return e->priv;
}

/* A libxenevtchn result (-1 and errno on failure) as a value or -errno. */
static int result(int ret)
{
	return ret < 0 ? -errno : ret;
}

/*
 * The fd is made non-blocking so that pv_evtchn_pending() returns -EAGAIN
 * when nothing is pending, as platform.h promises, instead of sleeping.
 */
int pv_xen_evtchn_open(struct pv_platform *p, struct pv_evtchn *e)
{
	xenevtchn_handle *xce;
	int fd, flags, ret;

	(void)p;
	xce = xenevtchn_open(NULL, 0);
	if (!xce) {
		ret = -errno;
		pv_err_errno(ret, "xen: opening /dev/xen/evtchn (xenevtchn_open)");
		return ret;
	}
	fd = xenevtchn_fd(xce);
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		ret = -errno;
		pv_err_errno(ret, "xen: making the /dev/xen/evtchn fd non-blocking");
		xenevtchn_close(xce);
		return ret;
	}
	e->priv = xce;
	return 0;
}

/* Closing the handle unbinds every port bound through it (the driver does). */
void pv_xen_evtchn_close(struct pv_evtchn *e)
{
	if (e->priv)
		xenevtchn_close(xce_of(e));
	e->priv = NULL;
}

int pv_xen_evtchn_fd(struct pv_evtchn *e)
{
	return xenevtchn_fd(xce_of(e));
}

int pv_xen_alloc_unbound(struct pv_evtchn *e, pv_domid_t remote)
{
	return result(xenevtchn_bind_unbound_port(xce_of(e), remote));
}

/*
 * Xen raises the new local port once on bind, in case a notification sent
 * to the unbound port was lost: a caller sees one event it may not expect.
 */
int pv_xen_bind_interdomain(struct pv_evtchn *e, pv_domid_t remote, pv_evtchn_port_t port)
{
	return result(xenevtchn_bind_interdomain(xce_of(e), remote, port));
}

/*
 * Xen drops an event sent on a channel whose peer has closed it, so unlike
 * the local platform this cannot report -ENOTCONN; nor does a peer's close
 * raise an event. Callers learn of a departed peer through xenstore. A port
 * this handle does not have is -EINVAL, as on the local platform.
 */
int pv_xen_notify(struct pv_evtchn *e, pv_evtchn_port_t port)
{
	int ret = result(xenevtchn_notify(xce_of(e), port));

	/* The driver says ENOTCONN for a port this handle has not bound. */
	return ret == -ENOTCONN ? -EINVAL : ret;
}

/* The driver masks a port when it reports it; -EAGAIN when none is pending. */
int pv_xen_pending(struct pv_evtchn *e)
{
	xenevtchn_port_or_error_t port = xenevtchn_pending(xce_of(e));

	return port < 0 ? -errno : (int)port;
}

int pv_xen_unmask(struct pv_evtchn *e, pv_evtchn_port_t port)
{
	return result(xenevtchn_unmask(xce_of(e), port));
}

int pv_xen_unbind(struct pv_evtchn *e, pv_evtchn_port_t port)
{
	return result(xenevtchn_unbind(xce_of(e), port));
}

/* SPDX-License-Identifier: MIT */
/*
 * pcifront: the guest's PCI frontend in pvkit-guest (device/pci/0). It
 * grants the one shared page of proto/pciif.h, runs one op at a time over
 * it (as Xen's pcifront), checks every answer, and learns the devices from
 * the backend's dev-N / vdev-N / root-N nodes. The guest's drivers reach
 * it through pcifront_srv.c.
 *
 * A backend that never answers gets the op failed with -ETIMEDOUT after
 * $PVKIT_PCIFRONT_TIMEOUT_MS (default 10 s) and the device closed with the
 * reason in xenstore: a late answer could not be told from the answer to
 * the next op, so the connection is not used again. Garbled answers fail
 * their op with -EPROTO; an event storm is counted and backed off.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "pvkit/pcihost.h"
#include "pcifront.h"

#define MAX_QUEUE 64          /* ops waiting: one per client request, and irq cleanup */
#define DEFAULT_TIMEOUT_MS 10000
#define MAX_NODES 256         /* num_devs / root_num beyond this are garbage */

static void arm(int fd, unsigned int ms)
{
	struct itimerspec t = {.it_value = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000}};

	timerfd_settime(fd, 0, &t, NULL);
}

int pcifront_connected(const struct pcifront *f)
{
	return f->sh && (f->x->state == PV_XENBUS_STATE_CONNECTED ||
			 f->x->state == PV_XENBUS_STATE_RECONFIGURING);
}

/* ---- the op engine ------------------------------------------------------------ */

/* The backend's answer @rsp (our private copy) to @req: 0, its error, or -EPROTO (logged). */
static int check_answer(struct pcifront *f, const struct pv_pci_op *req, const struct pv_pci_op *rsp)
{
	const char *why = NULL;
	int rc = pcifront_check_answer(req, rsp, &why);

	if (why)
		pv_dev_warn_rl(&f->rl, f->x->prefix, "%s (op %#x at %#x; the answer says op %#x, error %d)",
			       why, req->cmd, (unsigned int)req->offset, rsp->cmd, rsp->err);
	return rc;
}

static void send_next(struct pcifront *f);

/* End the op in flight with @err (and the answer when 0), then send the next. */
static void finish(struct pcifront *f, int err, const struct pv_pci_op *rsp)
{
	struct pcifront_op *o = f->inflight;

	f->inflight = NULL;
	arm(f->timer_fd, 0);
	o->done(f, o->ctx, err, err ? NULL : rsp);
	free(o);
	send_next(f);
}

static void send_next(struct pcifront *f)
{
	struct pcifront_op *o = f->queue;

	if (f->inflight || !o || !pcifront_connected(f))
		return;
	f->queue = o->next;
	if (!f->queue)
		f->queue_tail = NULL;
	f->queued--;
	f->inflight = o;
	memcpy(&f->sh->op, &o->op, sizeof(o->op));
	/* Release: the op is in the page before the backend can see the flag. */
	__atomic_fetch_or(&f->sh->flags, PV_PCIF_ACTIVE, __ATOMIC_RELEASE);
	arm(f->timer_fd, f->timeout_ms);
	if (pv_evtchn_notify(f->evt, f->port) < 0) {
		__atomic_fetch_and(&f->sh->flags, ~PV_PCIF_ACTIVE, __ATOMIC_RELEASE);
		finish(f, -ENOTCONN, NULL);
	}
}

/* The op in flight is answered when the backend cleared the flag: 1 if it was. */
static int take_answer(struct pcifront *f)
{
	struct pv_pci_op rsp;

	if (!f->inflight)
		return 0;
	/* Acquire: the answer is read after the flag that says it is there. */
	if (__atomic_load_n(&f->sh->flags, __ATOMIC_ACQUIRE) & PV_PCIF_ACTIVE)
		return 0;
	memcpy(&rsp, &f->sh->op, sizeof(rsp));
	finish(f, check_answer(f, &f->inflight->op, &rsp), &rsp);
	return 1;
}

int pcifront_submit(struct pcifront *f, const struct pcifront_dev *dev, const struct pv_pci_op *op,
		    pcifront_done_fn done, void *ctx)
{
	struct pcifront_op *o;

	if (!pcifront_connected(f) || !dev->present) {
		done(f, ctx, -ENODEV, NULL);
		return 0;
	}
	if (f->queued >= MAX_QUEUE)
		return -EAGAIN;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->op = *op;
	o->op.err = 0;
	o->op.domain = dev->domain;
	o->op.bus = dev->bus;
	o->op.devfn = dev->devfn;
	o->done = done;
	o->ctx = ctx;
	if (f->queue_tail)
		f->queue_tail->next = o;
	else
		f->queue = o;
	f->queue_tail = o;
	f->queued++;
	send_next(f);
	return 0;
}

void pcifront_forget(struct pcifront *f, void *ctx)
{
	if (f->inflight && f->inflight->ctx == ctx)
		f->inflight->ctx = NULL;
	for (struct pcifront_op *o = f->queue; o; o = o->next)
		if (o->ctx == ctx)
			o->ctx = NULL;
}

/* Fail every op (the connection is going away). */
static void fail_all(struct pcifront *f, int err)
{
	if (f->inflight)
		finish(f, err, NULL);
	while (f->queue) {
		struct pcifront_op *o = f->queue;

		f->queue = o->next;
		f->queued--;
		o->done(f, o->ctx, err, NULL);
		free(o);
	}
	f->queue_tail = NULL;
}

static void on_timer(struct pv_guest *g, int fd, uint32_t events, void *opaque)
{
	struct pcifront *f = opaque;
	uint64_t n;
	unsigned int cmd;

	(void)g;
	(void)events;
	if (read(fd, &n, sizeof(n)) != sizeof(n) || !f->inflight || take_answer(f))
		return;
	cmd = f->inflight->op.cmd;
	__atomic_fetch_and(&f->sh->flags, ~PV_PCIF_ACTIVE, __ATOMIC_RELEASE);
	finish(f, -ETIMEDOUT, NULL);
	pv_xenbus_dev_fatal(f->x, ETIMEDOUT, "backend did not answer op %u within %u ms", cmd,
			    f->timeout_ms);
	fail_all(f, -ENODEV);
}

static void on_backoff(struct pv_guest *g, int fd, uint32_t events, void *opaque)
{
	struct pcifront *f = opaque;
	uint64_t n;

	(void)g;
	(void)events;
	if (read(fd, &n, sizeof(n)) != sizeof(n) || !f->evt)
		return;
	pv_evtchn_unmask(f->evt, f->port);
	take_answer(f);
}

/*
 * An event on the op channel: an answer, or a spurious event (XSA-332/391,
 * pvkit/evstorm.h): after a run of them the port stays masked for a
 * back-off (backoff_fd), so a storm costs us one wake-up per back-off.
 */
static void op_event(struct pcifront *f)
{
	int answered = f->inflight && !(__atomic_load_n(&f->sh->flags, __ATOMIC_ACQUIRE) & PV_PCIF_ACTIVE);
	uint32_t ns = pv_evstorm_wake(&f->storm, 1, answered);

	if (!ns) {
		pv_evtchn_unmask(f->evt, f->port);
		take_answer(f);
		return;
	}
	if (pv_evstorm_began(&f->storm))
		pv_dev_warn_rl(&f->rl, f->x->prefix,
			       "event storm from the backend (%llu spurious events): backing off",
			       (unsigned long long)f->storm.spurious);
	arm(f->backoff_fd, ns / 1000000u);
}

static void on_event(struct pv_guest *g, int fd, uint32_t events, void *opaque)
{
	struct pcifront *f = opaque;
	int port, ours = 0;

	(void)g;
	(void)fd;
	(void)events;
	while (f->evt && (port = pv_evtchn_pending(f->evt)) >= 0) {
		if ((pv_evtchn_port_t)port == f->port)
			ours = 1;
		else if (!pcifront_irq_event(f, (uint32_t)port))
			pv_evtchn_unmask(f->evt, (pv_evtchn_port_t)port);
	}
	if (ours && f->sh)
		op_event(f);
}

/* ---- devices: the backend's dev-N / vdev-N / root-N ------------------------------ */

/* Parse "SSSS:BB:DD.F" into @d's address. */
static int parse_vdev(const char *s, struct pcifront_dev *d)
{
	char bdf[PV_PCI_BDF_LEN];
	unsigned int dom, bus, dev, fn;

	if (pv_pci_bdf_normalise(s, bdf) < 0 || sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return -EINVAL;
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	d->domain = dom;
	d->bus = bus;
	d->devfn = dev << 3 | fn;
	return 0;
}

/* Is @d on one of the root buses the backend published (none published: any)? */
static int on_a_root(struct pcifront *f, const struct pcifront_dev *d, unsigned int nroots)
{
	char node[32], *val = NULL;
	unsigned int dom, bus;
	int ok = 0;

	if (!nroots)
		return 1;
	for (unsigned int i = 0; i < nroots && !ok; i++) {
		snprintf(node, sizeof(node), "root-%u", i);
		if (pv_xs_read(f->x->xs, PV_XS_NO_TXN, f->x->otherend, node, &val) < 0)
			continue;
		ok = sscanf(val, "%4x:%2x", &dom, &bus) == 2 && dom == d->domain && bus == d->bus;
		free(val);
		val = NULL;
	}
	return ok;
}

/* Read entry @i: 1 with @d filled, 0 when the entry is absent or leaving, -errno when garbage. */
static int read_entry(struct pcifront *f, unsigned int i, unsigned int nroots, struct pcifront_dev *d)
{
	char node[32], *val = NULL;
	uint64_t st;
	int rc;

	snprintf(node, sizeof(node), "state-%u", i);
	if (pv_xs_read_uint(f->x->xs, PV_XS_NO_TXN, f->x->otherend, node, 16, 0, &st) == 0 &&
	    st != PV_XENBUS_STATE_INITIALISED && st != PV_XENBUS_STATE_CONNECTED)
		return 0; /* not exported yet (1), or being detached (5, 6) */
	snprintf(node, sizeof(node), "vdev-%u", i);
	rc = pv_xs_read(f->x->xs, PV_XS_NO_TXN, f->x->otherend, node, &val);
	if (rc == -ENOENT)
		return 0; /* not exported (yet) */
	if (rc < 0)
		return rc;
	rc = parse_vdev(val, d);
	free(val);
	if (rc == 0 && !on_a_root(f, d, nroots))
		rc = -EINVAL;
	return rc < 0 ? rc : 1;
}

static struct pcifront_dev *find_dev(struct pcifront *f, const char *bdf)
{
	for (unsigned int i = 0; i < PV_PCISOCK_MAX_DEVS; i++)
		if (f->devs[i].present && !strcmp(f->devs[i].bdf, bdf))
			return &f->devs[i];
	return NULL;
}

static void add_dev(struct pcifront *f, const struct pcifront_dev *d)
{
	for (unsigned int i = 0; i < PV_PCISOCK_MAX_DEVS; i++) {
		struct pcifront_dev *s = &f->devs[i];

		if (s->present)
			continue;
		*s = (struct pcifront_dev){.present = 1, .gen = (s->gen + 1) & 0xffffff,
					   .domain = d->domain, .bus = d->bus, .devfn = d->devfn,
					   .irq = {.kind = -1, .efd = -1}};
		snprintf(s->bdf, sizeof(s->bdf), "%s", d->bdf);
		pv_dev_info(f->x->prefix, "device %s attached", s->bdf);
		return;
	}
	pv_dev_warn(f->x->prefix, "more than %d devices: %s ignored", PV_PCISOCK_MAX_DEVS, d->bdf);
}

static void drop_dev(struct pcifront *f, struct pcifront_dev *d)
{
	pv_dev_info(f->x->prefix, "device %s detached", d->bdf);
	pcifront_irq_unbind(f, d); /* the backend drops its side with the device */
	d->present = 0;
}

/*
 * Sync our device list with the backend's directory: drop the devices it
 * no longer exports, and with @add attach the new ones.
 */
static int scan(struct pcifront *f, int add)
{
	struct pcifront_dev seen[PV_PCISOCK_MAX_DEVS], d;
	unsigned int nseen = 0;
	uint64_t ndevs = 0, nroots = 0;
	int rc;

	rc = pv_xs_read_uint(f->x->xs, PV_XS_NO_TXN, f->x->otherend, "num_devs", MAX_NODES, 0, &ndevs);
	if (rc == 0)
		rc = pv_xs_read_uint(f->x->xs, PV_XS_NO_TXN, f->x->otherend, "root_num", MAX_NODES, 0,
				     &nroots);
	if (rc < 0)
		return rc;
	for (unsigned int i = 0; i < ndevs; i++) {
		rc = read_entry(f, i, (unsigned int)nroots, &d);
		if (rc < 0)
			pv_dev_warn(f->x->prefix, "backend entry %u: bad vdev or not on a root bus: ignored", i);
		if (rc <= 0)
			continue;
		if (nseen < PV_PCISOCK_MAX_DEVS)
			seen[nseen++] = d;
	}
	for (unsigned int i = 0; i < PV_PCISOCK_MAX_DEVS; i++) {
		unsigned int j = 0;

		while (j < nseen && strcmp(seen[j].bdf, f->devs[i].bdf))
			j++;
		if (f->devs[i].present && j == nseen)
			drop_dev(f, &f->devs[i]);
	}
	for (unsigned int j = 0; add && j < nseen; j++)
		if (!find_dev(f, seen[j].bdf))
			add_dev(f, &seen[j]);
	return 0;
}

/* ---- the handshake ------------------------------------------------------------- */

static void teardown(struct pcifront *f)
{
	fail_all(f, -ENODEV);
	for (unsigned int i = 0; i < PV_PCISOCK_MAX_DEVS; i++)
		if (f->devs[i].present)
			drop_dev(f, &f->devs[i]);
	arm(f->timer_fd, 0);
	arm(f->backoff_fd, 0);
	if (f->evt) {
		pv_guest_del_fd(f->g, pv_evtchn_fd(f->evt));
		pv_evtchn_close(f->evt);
		f->evt = NULL;
	}
	if (f->sh && pv_gnt_unshare(pv_guest_platform(f->g), f->sh, 1) < 0)
		/* The backend still maps it: never reuse or free it (XSA-396). */
		pv_dev_warn(f->x->prefix, "op page still mapped by the backend: leaking it");
	f->sh = NULL;
}

static int publish_nodes(struct pv_xs *xs, pv_xs_txn_t t, void *opaque)
{
	struct pcifront *f = opaque;
	int rc;

	rc = pv_xs_printf(xs, t, f->x->nodename, "pci-op-ref", "%u", f->ref);
	if (rc == 0)
		rc = pv_xs_printf(xs, t, f->x->nodename, "event-channel", "%u", f->port);
	if (rc == 0)
		rc = pv_xs_write(xs, t, f->x->nodename, "magic", PV_PCI_MAGIC);
	return rc;
}

/* Grant the page, allocate the channel, write our nodes, go Initialised. */
static int publish(struct pcifront *f)
{
	struct pv_platform *p = pv_guest_platform(f->g);
	int rc;

	f->sh = pv_gnt_share_pages(p, f->x->otherend_id, 1, &f->ref, 1);
	if (!f->sh)
		return -errno;
	rc = pv_evtchn_open(p, &f->evt);
	if (rc == 0) {
		rc = pv_evtchn_alloc_unbound(f->evt, f->x->otherend_id);
		if (rc >= 0)
			f->port = (pv_evtchn_port_t)rc;
	}
	if (rc >= 0)
		rc = pv_guest_add_fd(f->g, pv_evtchn_fd(f->evt), EPOLLIN, on_event, f);
	if (rc >= 0)
		rc = pv_xs_transaction(pv_guest_xs(f->g), publish_nodes, f, 0);
	if (rc >= 0)
		rc = pv_xenbus_switch_state(f->x, PV_XENBUS_STATE_INITIALISED);
	if (rc < 0)
		teardown(f);
	return rc < 0 ? rc : 0;
}

/* Read the device list and go (back to) Connected. */
static void bus_connect(struct pcifront *f)
{
	int rc = scan(f, 1);

	if (rc == 0)
		rc = pv_xenbus_switch_state(f->x, PV_XENBUS_STATE_CONNECTED);
	if (rc < 0)
		return pv_xenbus_dev_fatal(f->x, -rc, "reading the backend's device list");
	pv_dev_info(f->x->prefix, "connected");
	send_next(f);
}

static void backend_changed(struct pv_xenbus_dev *x, enum pv_xenbus_state st)
{
	struct pcifront *f = x->opaque;
	int rc;

	pv_dev_debug(x->prefix, "backend %s (we are %s)", pv_xenbus_state_name(st),
		     pv_xenbus_state_name(x->state));
	switch (st) {
	case PV_XENBUS_STATE_INITIALISING:
	case PV_XENBUS_STATE_INIT_WAIT:
	case PV_XENBUS_STATE_INITIALISED:
		if (x->state == PV_XENBUS_STATE_INITIALISED && f->sh)
			break;
		/* First contact, or a backend that restarted: start over. */
		teardown(f);
		rc = publish(f);
		if (rc < 0)
			pv_xenbus_dev_fatal(x, -rc, "granting the op page");
		break;
	case PV_XENBUS_STATE_CONNECTED:
		/*
		 * Initialised: the bus is up. Reconfiguring: the toolstack ended a
		 * reconfiguration we had not finished (pvkit pci-detach -f): the
		 * list as it is now, connected again.
		 */
		if (f->sh && (x->state == PV_XENBUS_STATE_INITIALISED ||
			      x->state == PV_XENBUS_STATE_RECONFIGURING))
			bus_connect(f);
		break;
	case PV_XENBUS_STATE_RECONFIGURING:
		/* pci-attach / pci-detach: let the leaving devices go, then say so. */
		if (x->state != PV_XENBUS_STATE_CONNECTED)
			break;
		if (scan(f, 0) < 0)
			return pv_xenbus_dev_fatal(x, EPROTO, "re-reading the backend's device list");
		pv_xenbus_switch_state(x, PV_XENBUS_STATE_RECONFIGURING);
		break;
	case PV_XENBUS_STATE_RECONFIGURED:
		/* The backend exported the new devices: take them, connected again. */
		if (x->state == PV_XENBUS_STATE_RECONFIGURING && f->sh)
			bus_connect(f);
		break;
	case PV_XENBUS_STATE_CLOSING:
	case PV_XENBUS_STATE_CLOSED:
		/*
		 * Closed, and stay Closed until the backend starts over
		 * (pvkit/xenbus.h; pciif's InitWait or Initialised, above):
		 * Initialising here would undo a removal.
		 */
		teardown(f);
		pv_xenbus_switch_state(x, PV_XENBUS_STATE_CLOSED);
		break;
	default:
		break;
	}
}

/*
 * The backend's num_devs changed. While both sides are Connected the
 * state handler saw no reconfiguration, yet one may have come and gone:
 * pvkit pci-detach -f ends a reconfiguration the guest did not answer
 * (asleep, or too slow) by putting the backend back at Connected, which a
 * state watch cannot tell from no change at all. Let go of the devices
 * the list no longer has; new ones only come with Reconfigured.
 */
static void ndevs_fired(struct pv_xs *xs, const char *path, void *opaque)
{
	struct pcifront *f = opaque;

	(void)path;
	if (!f->sh || f->x->state != PV_XENBUS_STATE_CONNECTED ||
	    pv_xenbus_read_state(xs, f->x->otherend) != PV_XENBUS_STATE_CONNECTED)
		return;
	if (scan(f, 0) < 0)
		pv_xenbus_dev_fatal(f->x, EPROTO, "re-reading the backend's device list");
}

static unsigned int timeout_ms(void)
{
	const char *s = getenv("PVKIT_PCIFRONT_TIMEOUT_MS");
	char *end;
	unsigned long v;

	if (!s || !*s)
		return DEFAULT_TIMEOUT_MS;
	v = strtoul(s, &end, 10);
	return *end || v < 10 || v > 600000 ? DEFAULT_TIMEOUT_MS : (unsigned int)v;
}

static void pcifront_free(void *opaque)
{
	struct pcifront *f = opaque;

	if (f->ndevs_watch >= 0)
		pv_xs_unwatch(f->x->xs, f->ndevs_watch);
	pcifront_srv_close(f);
	teardown(f);
	if (f->timer_fd >= 0) {
		pv_guest_del_fd(f->g, f->timer_fd);
		close(f->timer_fd);
	}
	if (f->backoff_fd >= 0) {
		pv_guest_del_fd(f->g, f->backoff_fd);
		close(f->backoff_fd);
	}
	free(f);
}

static int pcifront_probe(struct pv_guest *g, struct pv_xenbus_dev *x)
{
	struct pcifront *f = calloc(1, sizeof(*f));
	int rc;

	if (!f)
		return -ENOMEM;
	*f = (struct pcifront){.g = g, .x = x, .listen_fd = -1, .rl = PV_RATELIMIT_INIT,
			       .timeout_ms = timeout_ms(), .ndevs_watch = -1};
	x->opaque = f;
	x->otherend_changed = backend_changed;
	f->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	f->backoff_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	rc = f->timer_fd < 0 || f->backoff_fd < 0 ? -errno : 0;
	if (rc == 0)
		rc = pv_guest_add_fd(g, f->timer_fd, EPOLLIN, on_timer, f);
	if (rc == 0)
		rc = pv_guest_add_fd(g, f->backoff_fd, EPOLLIN, on_backoff, f);
	if (rc == 0)
		rc = pcifront_srv_open(f);
	if (rc == 0) {
		char p[512];

		rc = snprintf(p, sizeof(p), "%s/num_devs", x->otherend) < (int)sizeof(p)
			     ? pv_xs_watch(x->xs, p, ndevs_fired, f)
			     : -ENAMETOOLONG;
		if (rc >= 0)
			f->ndevs_watch = rc;
		rc = rc < 0 ? rc : 0;
	}
	return pv_xenbus_front_start(x, rc, pcifront_free);
}

static void pcifront_remove(struct pv_guest *g, struct pv_xenbus_dev *x)
{
	(void)g;
	pv_xenbus_front_remove(x, pcifront_free);
}

const struct pv_guest_driver pv_pcifront_driver = {
	.type = "pci",
	.probe = pcifront_probe,
	.remove = pcifront_remove,
};

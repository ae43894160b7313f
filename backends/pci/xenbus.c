/* SPDX-License-Identifier: MIT */
/*
 * pvkit-pciback's xenbus side, as Linux's xen-pciback does it (facts, not
 * code): export dev-<n> and publish vdev-<n>, state-<n> and the root bus,
 * Initialised; map the frontend's page and bind its channel, Connected;
 * add and remove devices through Reconfiguring/Reconfigured; release
 * everything when the frontend closes, the device goes or the guest dies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common.h"

/* Our own state node as it is now (the toolstack writes Reconfiguring there). */
static enum pv_xenbus_state own_state(struct pv_xenbus_dev *x)
{
	x->state = pv_xenbus_read_state(x->xs, x->nodename);
	return x->state;
}

static struct pciback_pdev *find_bdf(struct pciback_bus *b, const char *bdf)
{
	char norm[PV_PCI_BDF_LEN];

	if (pv_pci_bdf_normalise(bdf, norm) < 0)
		return NULL;
	for (unsigned int i = 0; i < PCIBACK_MAX_DEVS; i++)
		if (b->devs[i] && !strcmp(b->devs[i]->bdf, norm))
			return b->devs[i];
	return NULL;
}

static int read_num_devs(struct pv_xenbus_dev *x, unsigned int *num)
{
	uint64_t n;
	int rc = pv_xs_read_uint(x->xs, 0, x->nodename, "num_devs", 1024, UINT64_MAX, &n);

	if (rc == 0 && n == UINT64_MAX)
		rc = -ENOENT;
	if (rc == 0)
		*num = (unsigned int)n;
	return rc;
}

/* Export dev-<i> (state-<i> 1): publish vdev-<i> and state-<i> 3. */
static int export_one(struct pciback_bus *b, unsigned int i)
{
	struct pv_xenbus_dev *x = b->xdev;
	char key[32], *bdf = NULL, *opts = NULL, err[256] = "";
	struct pciback_pdev *d;
	unsigned int vdevfn;
	int rc;

	snprintf(key, sizeof(key), "dev-%u", i);
	rc = pv_xs_read(x->xs, 0, x->nodename, key, &bdf);
	if (rc < 0) {
		pv_xenbus_dev_fatal(x, -rc, "reading %s/%s", x->nodename, key);
		return rc;
	}
	snprintf(key, sizeof(key), "opts-%u", i);
	if (pv_xs_read(x->xs, 0, x->nodename, key, &opts) < 0)
		opts = NULL;
	snprintf(key, sizeof(key), "vdevfn-%u", i);
	if (pv_xs_scanf(x->xs, 0, x->nodename, key, "%x", &vdevfn) != 1 || vdevfn > 0xff)
		vdevfn = ~0u;
	d = find_bdf(b, bdf);
	rc = d ? 0
	       : pciback_dev_export(b, bdf, pciback_opts_permissive(opts),
				    vdevfn == ~0u ? -1 : (int)vdevfn, &d, err, sizeof(err));
	if (rc < 0) {
		/*
		 * One device that cannot be had fails alone: the error node says
		 * why, state-<i> goes to Closed, the others keep working.
		 */
		pv_xenbus_dev_error(x, -rc, "exporting %s: %s", bdf, err);
		free(bdf);
		free(opts);
		snprintf(key, sizeof(key), "state-%u", i);
		return pv_xs_printf(x->xs, 0, x->nodename, key, "%d", PV_XENBUS_STATE_CLOSED);
	}
	snprintf(key, sizeof(key), "vdev-%u", i);
	/* %02x function: what the wire has always said (xen-pciback). */
	if (rc == 0)
		rc = pv_xs_printf(x->xs, 0, x->nodename, key, "%04x:%02x:%02x.%02x", 0, 0,
				  d->vdevfn >> 3, d->vdevfn & 7);
	snprintf(key, sizeof(key), "state-%u", i);
	if (rc == 0)
		rc = pv_xs_printf(x->xs, 0, x->nodename, key, "%d", PV_XENBUS_STATE_INITIALISED);
	free(bdf);
	free(opts);
	return rc;
}

/* Release dev-<i> (state-<i> 5): interrupts off, unmapped, reset; state-<i> 6. */
static int release_one(struct pciback_bus *b, unsigned int i)
{
	struct pv_xenbus_dev *x = b->xdev;
	char key[32], *bdf = NULL;
	struct pciback_pdev *d;
	int rc;

	snprintf(key, sizeof(key), "dev-%u", i);
	rc = pv_xs_read(x->xs, 0, x->nodename, key, &bdf);
	if (rc == 0 && (d = find_bdf(b, bdf)))
		pciback_dev_release(d);
	free(bdf);
	snprintf(key, sizeof(key), "state-%u", i);
	return pv_xs_printf(x->xs, 0, x->nodename, key, "%d", PV_XENBUS_STATE_CLOSED);
}

/*
 * Act on every state-<i>: 1 exports, 5 releases. @initial (the bus is new
 * to this daemon): 3 exports too, as after a restart of the daemon the
 * devices it had exported are open no more.
 */
static int apply_substates(struct pciback_bus *b, int initial)
{
	struct pv_xenbus_dev *x = b->xdev;
	unsigned int num;
	int rc = read_num_devs(x, &num);

	if (rc < 0) {
		pv_xenbus_dev_fatal(x, -rc, "reading %s/num_devs", x->nodename);
		return rc;
	}
	for (unsigned int i = 0; i < num && rc == 0; i++) {
		char key[32];
		uint64_t st;

		snprintf(key, sizeof(key), "state-%u", i);
		if (pv_xs_read_uint(x->xs, 0, x->nodename, key, 8, PV_XENBUS_STATE_UNKNOWN, &st) < 0)
			continue;
		if (st == PV_XENBUS_STATE_INITIALISING ||
		    (initial && st == PV_XENBUS_STATE_INITIALISED))
			rc = export_one(b, i);
		else if (st == PV_XENBUS_STATE_CLOSING)
			rc = release_one(b, i);
	}
	return rc;
}

/* One root bus, 0000:00, where every device sits (like xen-pciback's vpci). */
static int publish_root(struct pv_xenbus_dev *x)
{
	int rc = pv_xs_write(x->xs, 0, x->nodename, "root-0", "0000:00");

	return rc ? rc : pv_xs_write(x->xs, 0, x->nodename, "root_num", "1");
}

static void disconnect(struct pciback_bus *b)
{
	for (unsigned int i = 0; i < PCIBACK_MAX_DEVS; i++)
		if (b->devs[i])
			pciback_irq_disable(b->devs[i]); /* their ports go with the handle */
	if (b->evt) {
		if (b->pb->epfd >= 0)
			epoll_ctl(b->pb->epfd, EPOLL_CTL_DEL, pv_evtchn_fd(b->evt), NULL);
		pv_evtchn_close(b->evt);
		b->evt = NULL;
	}
	if (b->sh) {
		pv_gnt_unmap(b->pb->platform, b->sh, 1);
		b->sh = NULL;
	}
}

/* Read pci-op-ref, event-channel and magic; map the page and bind the channel. */
static int connect(struct pciback_bus *b)
{
	struct pv_xenbus_dev *x = b->xdev;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &b->ev};
	uint64_t ref, port;
	pv_grant_ref_t gref;
	char *magic = NULL;
	int rc;

	rc = pv_xs_read_uint(x->xs, 0, x->otherend, "pci-op-ref", UINT32_MAX - 1, UINT64_MAX, &ref);
	if (rc == 0)
		rc = pv_xs_read_uint(x->xs, 0, x->otherend, "event-channel", INT32_MAX, UINT64_MAX,
				     &port);
	if (rc == 0 && (ref == UINT64_MAX || port == UINT64_MAX))
		rc = -ENOENT;
	if (rc == 0)
		rc = pv_xs_read(x->xs, 0, x->otherend, "magic", &magic);
	if (rc < 0) {
		pv_xenbus_dev_fatal(x, -rc, "reading %s/pci-op-ref, event-channel and magic",
				    x->otherend);
		return rc;
	}
	if (strcmp(magic, PV_PCI_MAGIC)) {
		pv_xenbus_dev_fatal(x, EPROTO, "version mismatch (%.16s/%s) with the frontend", magic,
				    PV_PCI_MAGIC);
		free(magic);
		return -EPROTO;
	}
	free(magic);
	gref = (pv_grant_ref_t)ref;
	b->sh = pv_gnt_map(b->pb->platform, b->frontend_id, 1, &gref, 1);
	if (!b->sh) {
		rc = -errno;
		pv_xenbus_dev_fatal(x, -rc, "mapping pci-op-ref %u", gref);
		return rc;
	}
	rc = pv_evtchn_open(b->pb->platform, &b->evt);
	if (rc == 0) {
		rc = pv_evtchn_bind_interdomain(b->evt, b->frontend_id, (pv_evtchn_port_t)port);
		if (rc >= 0)
			b->op_port = (pv_evtchn_port_t)rc;
	}
	if (rc >= 0 && b->pb->epfd >= 0 &&
	    epoll_ctl(b->pb->epfd, EPOLL_CTL_ADD, pv_evtchn_fd(b->evt), &ev) < 0)
		rc = -errno;
	if (rc < 0) {
		pv_xenbus_dev_fatal(x, -rc, "binding event channel %llu", (unsigned long long)port);
		disconnect(b);
		return rc;
	}
	return 0;
}

/* The frontend went Reconfiguring after the toolstack set us Reconfiguring. */
static void reconfigure(struct pciback_bus *b)
{
	struct pv_xenbus_dev *x = b->xdev;

	if (own_state(x) != PV_XENBUS_STATE_RECONFIGURING)
		return;
	if (apply_substates(b, 0) == 0)
		pv_xenbus_switch_state(x, PV_XENBUS_STATE_RECONFIGURED);
}

/*
 * Whether dev-0 .. dev-<num_devs - 1> name @d. A key that cannot be read
 * for another reason than its absence (no memory, the connection) counts
 * as naming it: a device is released only when it is surely gone.
 */
static int listed(struct pciback_bus *b, const struct pciback_pdev *d, unsigned int num)
{
	struct pv_xenbus_dev *x = b->xdev;
	char key[32], *bdf = NULL, norm[PV_PCI_BDF_LEN];
	int found = 0, rc;

	for (unsigned int i = 0; i < num && !found; i++) {
		snprintf(key, sizeof(key), "dev-%u", i);
		rc = pv_xs_read(x->xs, 0, x->nodename, key, &bdf);
		if (rc < 0)
			found = rc != -ENOENT;
		else
			found = pv_pci_bdf_normalise(bdf, norm) == 0 && !strcmp(norm, d->bdf);
		free(bdf);
		bdf = NULL;
	}
	return found;
}

/*
 * Devices the toolstack took off the bus without the guest (`pvkit
 * pci-detach -f` after the guest did not answer: their keys are gone and
 * our state rewritten): released as a detach releases them, interrupts
 * off, every mapping gone, reset. The guest's next op on one finds no
 * device.
 */
static void release_orphans(struct pciback_bus *b)
{
	unsigned int num = 0;

	if (read_num_devs(b->xdev, &num) < 0)
		return; /* the directory is going: remove releases everything */
	for (unsigned int i = 0; i < PCIBACK_MAX_DEVS; i++) {
		struct pciback_pdev *d = b->devs[i];

		if (!d || listed(b, d, num))
			continue;
		pv_dev_info(b->prefix, "%s: taken off the bus without the guest (forced detach)",
			    d->bdf);
		pciback_dev_release(d);
	}
}

/*
 * The toolstack wrote our state. Reconfiguring: a connected frontend
 * answers first (frontend_changed); a guest whose bus never connected has
 * nothing to let go, so the devices are added and released at once. Any
 * write: devices no longer listed go (a forced detach).
 */
static void own_state_changed(struct pv_xs *xs, const char *path, void *opaque)
{
	struct pciback_bus *b = opaque;
	struct pv_xenbus_dev *x = b->xdev;
	enum pv_xenbus_state fe;

	(void)xs, (void)path;
	release_orphans(b);
	if (own_state(x) != PV_XENBUS_STATE_RECONFIGURING)
		return;
	fe = pv_xenbus_read_state(x->xs, x->otherend);
	if (b->sh || fe == PV_XENBUS_STATE_CONNECTED || fe == PV_XENBUS_STATE_RECONFIGURING)
		return;
	if (apply_substates(b, 0) == 0)
		pv_xenbus_switch_state(x, PV_XENBUS_STATE_INITIALISED);
}

static void frontend_changed(struct pv_xenbus_dev *x, enum pv_xenbus_state st)
{
	struct pciback_bus *b = x->opaque;
	enum pv_xenbus_state self = own_state(x);

	pv_dev_debug(b->prefix, "frontend %s (we are %s)", pv_xenbus_state_name(st),
		     pv_xenbus_state_name(self));
	switch (st) {
	case PV_XENBUS_STATE_INITIALISED:
		if (self != PV_XENBUS_STATE_INITIALISED || b->sh)
			break;
		if (connect(b) == 0) {
			pv_xenbus_switch_state(x, PV_XENBUS_STATE_CONNECTED);
			pv_dev_info(b->prefix, "connected");
			pciback_op_service(b); /* an op posted before we bound */
		}
		break;
	case PV_XENBUS_STATE_RECONFIGURING:
		reconfigure(b);
		break;
	case PV_XENBUS_STATE_CONNECTED:
		if (self == PV_XENBUS_STATE_RECONFIGURED)
			pv_xenbus_switch_state(x, PV_XENBUS_STATE_CONNECTED);
		break;
	case PV_XENBUS_STATE_INITIALISING:
		/* The frontend starts over: devices back to a clean state, wait for it again. */
		if (self != PV_XENBUS_STATE_CLOSED && self != PV_XENBUS_STATE_CLOSING)
			break;
		disconnect(b);
		for (unsigned int i = 0; i < PCIBACK_MAX_DEVS; i++)
			if (b->devs[i])
				b->pb->hw->reset(b->devs[i]->hw);
		pv_xenbus_switch_state(x, PV_XENBUS_STATE_INITIALISED);
		break;
	case PV_XENBUS_STATE_CLOSING:
	case PV_XENBUS_STATE_CLOSED:
	case PV_XENBUS_STATE_UNKNOWN:
		disconnect(b);
		if (self != PV_XENBUS_STATE_CLOSED)
			pv_xenbus_switch_state(x, st == PV_XENBUS_STATE_CLOSING ? PV_XENBUS_STATE_CLOSING
										: PV_XENBUS_STATE_CLOSED);
		break;
	default:
		break;
	}
}

void pciback_bus_event(struct pciback_bus *b)
{
	/* Bounded: a frontend notifying in a loop cannot hold the daemon here. */
	for (int i = 0; i < 64 && b->evt; i++) {
		int port = pv_evtchn_pending(b->evt);

		if (port < 0)
			return;
		pv_evtchn_unmask(b->evt, (pv_evtchn_port_t)port);
		pciback_op_notified(b, (pv_evtchn_port_t)port);
	}
}

static void bus_free(struct pciback_bus *b)
{
	struct pciback_bus **pp;

	if (b->own_watch > 0)
		pv_xs_unwatch(b->xdev->xs, b->own_watch);
	disconnect(b);
	for (unsigned int i = 0; i < PCIBACK_MAX_DEVS; i++)
		if (b->devs[i])
			pciback_dev_release(b->devs[i]);
	if (b->memfd >= 0)
		close(b->memfd);
	pv_stats_close(b->stats);
	for (pp = &b->pb->buses; *pp; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	free(b);
}

/* The bus's counters for pvkit top: <rundir>/stats/pci-<frontend>-0 (the bus is devid 0). */
static void open_stats(struct pciback_bus *b)
{
	const char *rundir = b->pb->rundir, *env = getenv("PVKIT_RUNDIR");

	if (!rundir)
		rundir = env && *env ? env : "/run/pvkit";
	if (pv_stats_open(rundir, "pci", b->frontend_id, 0, &b->stats) < 0)
		pv_dev_warn(b->prefix, "cannot publish counters under %s/" PV_STATS_DIR, rundir);
}

int pciback_probe(struct pv_xenbus_dev *x, void *opaque)
{
	struct pciback *pb = opaque;
	struct pciback_bus *b;
	unsigned int num = 0;
	int rc;

	/* The toolstack writes the whole directory in one transaction; wait for it. */
	if (read_num_devs(x, &num) < 0)
		return -EAGAIN;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	*b = (struct pciback_bus){.ev = {PCIBACK_EV_OPS}, .pb = pb, .xdev = x,
				  .frontend_id = x->otherend_id, .memfd = -1,
				  .rl = PV_RATELIMIT_INIT, .next = pb->buses};
	snprintf(b->prefix, sizeof(b->prefix), "pci-%u", x->otherend_id);
	open_stats(b);
	pb->buses = b;
	x->opaque = b;
	x->otherend_changed = frontend_changed;
	x->state = PV_XENBUS_STATE_UNKNOWN;
	rc = pv_xenbus_switch_state(x, PV_XENBUS_STATE_INIT_WAIT);
	if (rc == 0 && apply_substates(b, 1) == 0 && publish_root(x) == 0)
		rc = pv_xenbus_switch_state(x, PV_XENBUS_STATE_INITIALISED);
	if (rc == 0)
		rc = pv_xenbus_dev_start(x);
	if (rc == 0) {
		char path[256];

		snprintf(path, sizeof(path), "%s/state", x->nodename);
		b->own_watch = pv_xs_watch(x->xs, path, own_state_changed, b);
		rc = b->own_watch < 0 ? b->own_watch : 0;
	}
	if (rc < 0) {
		x->opaque = NULL;
		bus_free(b);
		return rc;
	}
	pv_dev_info(b->prefix, "new bus with %u device(s), frontend %s", num, x->otherend);
	return 0;
}

void pciback_remove(struct pv_xenbus_dev *x, void *opaque)
{
	struct pciback_bus *b = x->opaque;

	(void)opaque;
	if (!b)
		return;
	pv_dev_info(b->prefix, "removed after %llu ops (%llu refused, %llu spurious events)",
		    (unsigned long long)b->ops, (unsigned long long)b->errors,
		    (unsigned long long)b->spurious);
	bus_free(b);
	x->opaque = NULL;
}

void pciback_domain_died(struct pciback *pb, pv_domid_t domid)
{
	for (struct pciback_bus *b = pb->buses; b; b = b->next) {
		if (b->frontend_id != domid)
			continue;
		pv_dev_info(b->prefix, "domain %u died: releasing its devices", domid);
		disconnect(b);
		for (unsigned int i = 0; i < PCIBACK_MAX_DEVS; i++)
			if (b->devs[i])
				pciback_dev_release(b->devs[i]);
		if (b->memfd >= 0) {
			close(b->memfd);
			b->memfd = -1;
		}
	}
}

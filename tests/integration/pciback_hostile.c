/* SPDX-License-Identifier: MIT */
/*
 * A hostile PCI frontend against the real pvkit-pciback
 * (tests/integration/pciback-hostile.sh): plays the toolstack (a domain
 * and its pci bus, whose one device cannot be opened here) and then the
 * guest: a wrong magic, a grant reference that is not there, ops for no
 * device and unknown ops, an event storm on the op channel, a close and a
 * reconnect. Every step must get an error code or a closed bus, never a
 * dead daemon. Prints ok / not ok lines.
 *
 *   pciback-hostile RUNDIR BDF
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenstore.h>

#include "pvkit/local.h"
#include "pvkit/proto/pciif.h"
#include "pvkit/xenbus.h"

static int failures;

static void check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	if (!cond)
		failures++;
}

struct front {
	const char *rundir;
	pv_domid_t domid;
	struct pv_xs *xs0, *xs;     /* as domain 0 (the toolstack), as the guest */
	struct pv_platform *p;
	struct pv_evtchn *evt;
	pv_evtchn_port_t port;
	struct pv_pci_sharedinfo *sh;
	pv_grant_ref_t ref;
	char fe[96], be[96];
};

static struct pv_xs *xs_as(const char *rundir, pv_domid_t domid)
{
	char path[4096];
	struct pv_xs *xs;

	if (pv_xs_local_path(path, sizeof(path), rundir, domid) < 0 || pv_xs_open(&xs, path) < 0) {
		fprintf(stderr, "pciback-hostile: cannot reach xenstored as domain %u\n", domid);
		exit(1);
	}
	return xs;
}

/* A domain and its pci bus with one device, as the toolstack writes them. */
static int make_guest(struct front *f, const char *bdf)
{
	struct pv_local *l;
	char home[64];
	int rc = pv_local_open(&l, f->rundir);

	if (rc == 0)
		rc = pv_local_domain_create(l, "hostile", 16 << 20, &f->domid);
	if (rc < 0)
		return rc;
	pv_local_close(l);
	f->xs0 = xs_as(f->rundir, 0);
	snprintf(home, sizeof(home), "/local/domain/%u", f->domid);
	snprintf(f->fe, sizeof(f->fe), "%s/device/pci/0", home);
	snprintf(f->be, sizeof(f->be), "/local/domain/0/backend/pci/%u/0", f->domid);
	if (!xs_introduce_domain(pv_xs_handle(f->xs0), f->domid, 0, 0) ||
	    pv_xs_printf(f->xs0, 0, home, "domid", "%u", f->domid) < 0 ||
	    pv_xs_set_perms(f->xs0, 0, home, f->domid, 'n', 0, NULL, NULL) < 0)
		return -EIO;
	rc = pv_xs_mkdir(f->xs0, 0, f->fe, NULL);
	rc = rc ?: pv_xs_set_perms(f->xs0, 0, f->fe, f->domid, 'n', 1, (pv_domid_t[]){0}, "r");
	rc = rc ?: pv_xs_write(f->xs0, 0, f->fe, "backend", f->be);
	rc = rc ?: pv_xs_write(f->xs0, 0, f->fe, "backend-id", "0");
	rc = rc ?: pv_xs_write(f->xs0, 0, f->fe, "state", "1");
	rc = rc ?: pv_xs_mkdir(f->xs0, 0, f->be, NULL);
	rc = rc ?: pv_xs_set_perms(f->xs0, 0, f->be, 0, 'n', 1, &f->domid, "r");
	rc = rc ?: pv_xs_write(f->xs0, 0, f->be, "frontend", f->fe);
	rc = rc ?: pv_xs_printf(f->xs0, 0, f->be, "frontend-id", "%u", f->domid);
	rc = rc ?: pv_xs_write(f->xs0, 0, f->be, "online", "1");
	rc = rc ?: pv_xs_write(f->xs0, 0, f->be, "dev-0", bdf);
	rc = rc ?: pv_xs_write(f->xs0, 0, f->be, "opts-0", "permissive=0");
	rc = rc ?: pv_xs_write(f->xs0, 0, f->be, "state-0", "1");
	rc = rc ?: pv_xs_write(f->xs0, 0, f->be, "state", "1");
	return rc ?: pv_xs_write(f->xs0, 0, f->be, "num_devs", "1");
}

static int wait_state(struct pv_xs *xs, const char *dir, const char *node, int want)
{
	for (int i = 0; i < 1000; i++) {
		uint64_t v;

		if (pv_xs_read_uint(xs, 0, dir, node, 8, 0, &v) == 0 && (int)v == want)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

static int guest_open(struct front *f)
{
	struct pv_platform_opts po = {.name = "local", .rundir = f->rundir, .domid = f->domid,
				      .domid_set = 1};
	int port;

	if (pv_platform_open(&f->p, &po) < 0 || pv_evtchn_open(f->p, &f->evt) < 0)
		return -1;
	f->xs = xs_as(f->rundir, f->domid);
	f->sh = pv_gnt_share_pages(f->p, 0, 1, &f->ref, 1);
	port = pv_evtchn_alloc_unbound(f->evt, 0);
	if (!f->sh || port < 0)
		return -1;
	f->port = (pv_evtchn_port_t)port;
	return 0;
}

/* Publish ring details (@ref, @magic) and go Initialised. */
static void publish(struct front *f, pv_grant_ref_t ref, const char *magic)
{
	pv_xs_printf(f->xs, 0, f->fe, "pci-op-ref", "%u", ref);
	pv_xs_printf(f->xs, 0, f->fe, "event-channel", "%u", f->port);
	pv_xs_write(f->xs, 0, f->fe, "magic", magic);
	pv_xs_write(f->xs, 0, f->fe, "state", "3");
}

/* Closed then Initialising: the backend is back at Initialised, waiting for us. */
static int restart(struct front *f)
{
	pv_xs_write(f->xs, 0, f->fe, "state", "6");
	if (wait_state(f->xs, f->be, "state", PV_XENBUS_STATE_CLOSED) < 0)
		return -1;
	pv_xs_write(f->xs, 0, f->fe, "state", "1");
	return wait_state(f->xs, f->be, "state", PV_XENBUS_STATE_INITIALISED);
}

/* Post @op and wait for the answer (ACTIVE cleared). 0 or -ETIMEDOUT. */
static int do_op(struct front *f, struct pv_pci_op *op)
{
	struct pollfd pfd = {.fd = pv_evtchn_fd(f->evt), .events = POLLIN};

	memcpy(&f->sh->op, op, sizeof(*op));
	__atomic_or_fetch(&f->sh->flags, PV_PCIF_ACTIVE, __ATOMIC_RELEASE);
	pv_evtchn_notify(f->evt, f->port);
	for (int i = 0; i < 500; i++) {
		int p;

		if (!(__atomic_load_n(&f->sh->flags, __ATOMIC_ACQUIRE) & PV_PCIF_ACTIVE)) {
			memcpy(op, &f->sh->op, sizeof(*op));
			return 0;
		}
		if (poll(&pfd, 1, 10) > 0)
			while ((p = pv_evtchn_pending(f->evt)) >= 0)
				pv_evtchn_unmask(f->evt, (pv_evtchn_port_t)p);
	}
	return -ETIMEDOUT;
}

static void ops(struct front *f)
{
	struct pv_pci_op op = {.cmd = PV_PCI_OP_CONF_READ, .size = 4};

	check(do_op(f, &op) == 0 && op.err == PV_PCI_ERR_DEV_NOT_FOUND,
	      "a config read of a device that is not exported: DEV_NOT_FOUND");
	op = (struct pv_pci_op){.cmd = 0xdead};
	check(do_op(f, &op) == 0 && op.err == PV_PCI_ERR_NOT_IMPLEMENTED,
	      "an unknown op: NOT_IMPLEMENTED");
	op = (struct pv_pci_op){.cmd = PV_PCI_OP_ENABLE_MSIX, .value = 100000, .bus = 0xff};
	check(do_op(f, &op) == 0 && op.err == PV_PCI_ERR_DEV_NOT_FOUND,
	      "MSI-X for another bus: DEV_NOT_FOUND");
	op = (struct pv_pci_op){.cmd = PV_PCI_OP_BAR_READ, .size = 8, .devfn = 0xffffffff};
	op.ext.offset = UINT64_MAX;
	check(do_op(f, &op) == 0 && op.err == PV_PCI_ERR_DEV_NOT_FOUND,
	      "a BAR read at a devfn past 0xff: DEV_NOT_FOUND");
	/* An event storm with nothing posted: ignored, counted, the next op still answered. */
	for (int i = 0; i < 20000; i++)
		pv_evtchn_notify(f->evt, f->port);
	op = (struct pv_pci_op){.cmd = PV_PCI_OP_AER_DETECTED};
	check(do_op(f, &op) == 0 && op.err == PV_PCI_ERR_NOT_IMPLEMENTED,
	      "after 20000 empty notifies the backend still answers");
}

int main(int argc, char **argv)
{
	struct front f = {0};
	char *err = NULL;

	if (argc != 3) {
		fprintf(stderr, "usage: pciback-hostile RUNDIR BDF\n");
		return 2;
	}
	f.rundir = argv[1];
	check(make_guest(&f, argv[2]) == 0, "a domain and its pci bus");
	check(wait_state(f.xs0, f.be, "state", PV_XENBUS_STATE_INITIALISED) == 0,
	      "pvkit-pciback reaches Initialised");
	check(wait_state(f.xs0, f.be, "state-0", PV_XENBUS_STATE_CLOSED) == 0,
	      "the device it cannot open: state-0 Closed");
	check(pv_xs_read(f.xs0, 0, f.be, "error", &err) == 0 && strstr(err, argv[2]),
	      "and the error node names it");
	free(err);
	if (guest_open(&f) < 0) {
		check(0, "the guest's platform, page and port");
		return 1;
	}
	publish(&f, f.ref, "6");
	check(wait_state(f.xs, f.be, "state", PV_XENBUS_STATE_CLOSING) == 0,
	      "a wrong magic: the backend closes the bus");
	check(restart(&f) == 0, "the frontend starts over: backend Initialised again");
	publish(&f, 4000, PV_PCI_MAGIC);
	check(wait_state(f.xs, f.be, "state", PV_XENBUS_STATE_CLOSING) == 0,
	      "a grant reference that is not there: the backend closes the bus");
	check(restart(&f) == 0, "and waits for the frontend again");
	pv_xs_write(f.xs, 0, f.fe, "event-channel", "junk");
	pv_xs_printf(f.xs, 0, f.fe, "pci-op-ref", "%u", f.ref);
	pv_xs_write(f.xs, 0, f.fe, "state", "3");
	check(wait_state(f.xs, f.be, "state", PV_XENBUS_STATE_CLOSING) == 0,
	      "an event channel that is not a number: closed");
	check(restart(&f) == 0, "and back");
	publish(&f, f.ref, PV_PCI_MAGIC);
	check(wait_state(f.xs, f.be, "state", PV_XENBUS_STATE_CONNECTED) == 0,
	      "the right page, port and magic: Connected");
	ops(&f);
	check(restart(&f) == 0, "close and reopen while connected");
	/* The backend closed its end of the old channel: a new one, as a real frontend does. */
	pv_evtchn_unbind(f.evt, f.port);
	f.port = (pv_evtchn_port_t)pv_evtchn_alloc_unbound(f.evt, 0);
	publish(&f, f.ref, PV_PCI_MAGIC);
	check(wait_state(f.xs, f.be, "state", PV_XENBUS_STATE_CONNECTED) == 0,
	      "Connected again");
	pv_xs_write(f.xs0, 0, f.be, "state", "7");
	pv_xs_write(f.xs, 0, f.fe, "state", "7");
	check(wait_state(f.xs, f.be, "state", PV_XENBUS_STATE_RECONFIGURED) == 0,
	      "Reconfiguring with nothing to change: Reconfigured");
	pv_xs_write(f.xs, 0, f.fe, "state", "4");
	check(wait_state(f.xs, f.be, "state", PV_XENBUS_STATE_CONNECTED) == 0,
	      "frontend Connected: backend Connected");
	/* The guest dies without its toolstack: pvkitd tells pvkit-pciback at once. */
	{
		struct pv_local *l = NULL;

		check(pv_local_open(&l, f.rundir) == 0 && pv_local_domain_destroy(l, f.domid) == 0,
		      "the guest's domain is destroyed");
		if (l)
			pv_local_close(l);
	}
	printf("domid %u\n", f.domid);
	return failures ? 1 : 0;
}

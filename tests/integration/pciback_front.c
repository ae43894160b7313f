/* SPDX-License-Identifier: MIT */
/*
 * A minimal PCI frontend for testing pvkit-pciback at the protocol level:
 * see pciback_front.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenstore.h>

#include "pvkit/local.h"
#include "pciback_front.h"

int front_failures;

void check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	if (!cond)
		front_failures++;
}

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

int front_make_domain(struct front *f, const char *name, uint64_t mem)
{
	struct pv_local *l;
	char home[64];
	int rc = pv_local_open(&l, f->rundir);

	if (rc == 0)
		rc = pv_local_domain_create(l, name, mem, &f->domid);
	if (rc < 0)
		return rc;
	pv_local_close(l);
	f->xs0 = xs_as(f->rundir, 0);
	snprintf(home, sizeof(home), "/local/domain/%u", f->domid);
	snprintf(f->fe, sizeof(f->fe), "%s/device/pci/0", home);
	snprintf(f->be, sizeof(f->be), "/local/domain/0/backend/pci/%u/0", f->domid);
	if (!xs_introduce_domain(pv_xs_handle(f->xs0), f->domid, 0, 0) ||
	    pv_xs_printf(f->xs0, 0, home, "domid", "%u", f->domid) < 0 ||
	    pv_xs_write(f->xs0, 0, home, "name", name) < 0 ||
	    pv_xs_set_perms(f->xs0, 0, home, f->domid, 'n', 0, NULL, NULL) < 0)
		return -EIO;
	return 0;
}

int front_write_bus(struct front *f, const char *bdf)
{
	int rc = pv_xs_mkdir(f->xs0, 0, f->fe, NULL);

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

int front_wait_state(struct pv_xs *xs, const char *dir, const char *node, int want)
{
	for (int i = 0; i < 1000; i++) {
		uint64_t v;

		if (pv_xs_read_uint(xs, 0, dir, node, 8, 0, &v) == 0 && (int)v == want)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

int front_guest_open(struct front *f)
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
void front_publish(struct front *f, pv_grant_ref_t ref, const char *magic)
{
	pv_xs_printf(f->xs, 0, f->fe, "pci-op-ref", "%u", ref);
	pv_xs_printf(f->xs, 0, f->fe, "event-channel", "%u", f->port);
	pv_xs_write(f->xs, 0, f->fe, "magic", magic);
	pv_xs_write(f->xs, 0, f->fe, "state", "3");
}

/* Closed then Initialising: the backend is back at Initialised, waiting for us. */
int front_restart(struct front *f)
{
	pv_xs_write(f->xs, 0, f->fe, "state", "6");
	if (front_wait_state(f->xs, f->be, "state", PV_XENBUS_STATE_CLOSED) < 0)
		return -1;
	pv_xs_write(f->xs, 0, f->fe, "state", "1");
	return front_wait_state(f->xs, f->be, "state", PV_XENBUS_STATE_INITIALISED);
}

/* Post @op and wait for the answer (ACTIVE cleared). 0 or -ETIMEDOUT. */
int front_op(struct front *f, struct pv_pci_op *op)
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


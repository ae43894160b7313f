/* SPDX-License-Identifier: MIT */
/*
 * test-console-guest: a guest with a console, for the console integration
 * tests. As the toolstack (domain 0) it creates a domain, introduces it to
 * xenstore and creates its console/ directory; then, as the guest, it runs
 * the console frontend with a command, or (--hostile) plays a frontend that
 * publishes a garbage out_prod, or (--storm) one that notifies in a loop. Prints "domid N" once the guest is set up.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenstore.h>

#include "pvkit/console.h"
#include "pvkit/local.h"
#include "pvkit/log.h"
#include "pvkit/platform.h"
#include "pvkit/proto/console.h"
#include "pvkit/xenbus.h"

static const char *rundir;
static struct pv_xs *xs0;
static struct pv_local *admin;
static pv_domid_t domid;

/* Create @path owned by @owner, nobody else may read it (dom0 always may). */
static int xs_mkdir_owned(const char *path, pv_domid_t owner)
{
	int rc = pv_xs_mkdir(xs0, PV_XS_NO_TXN, path, NULL);

	return rc < 0 ? rc : pv_xs_set_perms(xs0, PV_XS_NO_TXN, path, owner, 'n', 0, NULL, NULL);
}

/* The toolstack's part: domain, xenstore introduction, console directory. */
static int make_domain(const char *name)
{
	char path[64], xspath[4200];
	int rc;

	if ((rc = pv_xs_local_path(xspath, sizeof(xspath), rundir, 0)) < 0 ||
	    (rc = pv_xs_open(&xs0, xspath)) < 0)
		return rc;
	if ((rc = pv_local_open(&admin, rundir)) < 0 ||
	    (rc = pv_local_domain_create(admin, name, 1 << 20, &domid)) < 0)
		return rc;
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	if ((rc = xs_mkdir_owned(path, domid)) < 0)
		return rc;
	pv_xs_write(xs0, PV_XS_NO_TXN, path, "name", name);
	snprintf(path, sizeof(path), "/local/domain/%u/console", domid);
	if ((rc = xs_mkdir_owned(path, domid)) < 0)
		return rc;
	if (!xs_introduce_domain(pv_xs_handle(xs0), domid, 0, 0))
		return -errno;
	return 0;
}

static void unmake_domain(void)
{
	char path[64];

	if (xs0 && domid) {
		snprintf(path, sizeof(path), "/local/domain/%u", domid);
		pv_xs_rm(xs0, PV_XS_NO_TXN, path, NULL);
	}
	if (admin && domid)
		pv_local_domain_destroy(admin, domid);
	if (xs0)
		pv_xs_close(xs0);
	if (admin)
		pv_local_close(admin);
}

/*
 * A frontend whose out_prod is 5000 bytes ahead (the backend must close it),
 * or with @storm a valid, empty ring and notifications in a tight loop
 * (XSA-332: the backend must stay responsive to everyone else).
 */
static int run_hostile(struct pv_platform *p, int storm)
{
	struct pv_evtchn *e;
	struct pv_xencons_interface *page;
	pv_grant_ref_t ref;
	char dir[64];
	int port, rc = pv_evtchn_open(p, &e);

	if (rc < 0)
		return rc;
	page = pv_gnt_share_pages(p, 0, 1, &ref, 1);
	port = page ? pv_evtchn_alloc_unbound(e, 0) : -errno;
	if (port < 0)
		return port;
	memcpy(page->out, "hostile", 7);
	if (!storm)
		__atomic_store_n(&page->out_prod, 5000u, __ATOMIC_RELEASE);
	snprintf(dir, sizeof(dir), "/local/domain/%u/console", domid);
	pv_xs_printf(xs0, PV_XS_NO_TXN, dir, "ring-ref", "%u", ref);
	pv_xs_printf(xs0, PV_XS_NO_TXN, dir, "port", "%d", port);
	/* Keep poking until killed. */
	for (;;) {
		pv_evtchn_notify(e, (pv_evtchn_port_t)port);
		if (!storm)
			usleep(50000);
	}
}

static void on_term(int sig)
{
	(void)sig;
	unmake_domain();
	_exit(0);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"rundir", required_argument, NULL, 'r'},
		{"name", required_argument, NULL, 'n'},
		{"hostile", no_argument, NULL, 'H'},
		{"storm", no_argument, NULL, 'S'},
		{NULL, 0, NULL, 0},
	};
	struct pv_platform_opts po = {0};
	struct pv_platform *p;
	struct pv_consfront *f;
	struct pv_consfront_opts fo = {0};
	const char *name = "guest";
	char xspath[4200];
	struct pv_xs *xsg;
	int hostile = 0, storm = 0, opt, rc;

	while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (opt == 'r')
			rundir = optarg;
		else if (opt == 'n')
			name = optarg;
		else if (opt == 'H')
			hostile = 1;
		else if (opt == 'S')
			hostile = storm = 1;
		else
			return 2;
	}
	signal(SIGTERM, on_term);
	rc = make_domain(name);
	if (rc < 0) {
		pv_err_errno(rc, "cannot set up domain %s", name);
		unmake_domain();
		return 1;
	}
	po.rundir = rundir;
	po.domid = domid;
	po.domid_set = 1;
	rc = pv_platform_open(&p, &po);
	if (rc < 0) {
		pv_err_errno(rc, "cannot open the platform as domain %u", domid);
		unmake_domain();
		return 1;
	}
	/* Like a guest runtime: the domain dies with this process. */
	rc = pv_local_hold(p);
	if (rc < 0)
		pv_warn_errno(rc, "cannot hold domain %u", domid);
	printf("domid %u\n", domid);
	fflush(stdout);
	if (hostile)
		return run_hostile(p, storm) < 0;
	/* The guest's own xenstore connection, as its runtime would pass it. */
	if (pv_xs_local_path(xspath, sizeof(xspath), rundir, domid) < 0 ||
	    pv_xs_open(&xsg, xspath) < 0) {
		unmake_domain();
		return 1;
	}
	fo.platform = p;
	fo.xs = xsg;
	fo.argv = optind < argc ? argv + optind : NULL;
	rc = pv_consfront_start(&f, &fo);
	if (rc == 0) {
		rc = pv_consfront_run(f);
		pv_consfront_stop(f);
	}
	pv_xs_close(xsg);
	pv_platform_close(p);
	unmake_domain();
	return rc < 0 ? 1 : (WIFEXITED(rc) ? WEXITSTATUS(rc) : 1);
}

/* SPDX-License-Identifier: MIT */
/*
 * test-console-guest: a guest with a console, for the console integration
 * tests. As the toolstack (domain 0) it creates a domain, introduces it to
 * xenstore and creates its console/ directory; then, as the guest, it runs
 * the console frontend with a command, or (--hostile) plays a frontend that
 * publishes a garbage out_prod. Prints "domid N" once the guest is set up.
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

static const char *rundir;
static struct xs_handle *xs0;
static struct pv_local *admin;
static pv_domid_t domid;

static int xs_mkdir_owned(const char *path, pv_domid_t owner)
{
	struct xs_permissions perm = {.id = owner, .perms = XS_PERM_NONE};

	if (!xs_mkdir(xs0, XBT_NULL, path) || !xs_set_permissions(xs0, XBT_NULL, path, &perm, 1))
		return -errno;
	return 0;
}

/* The toolstack's part: domain, xenstore introduction, console directory. */
static int make_domain(const char *name)
{
	char path[64], xspath[4200];
	int rc;

	snprintf(xspath, sizeof(xspath), "%s/xenstored.sock", rundir);
	setenv("XENSTORED_PATH", xspath, 1);
	if ((rc = pv_local_open(&admin, rundir)) < 0 ||
	    (rc = pv_local_domain_create(admin, name, 1 << 20, &domid)) < 0)
		return rc;
	xs0 = xs_open(0);
	if (!xs0)
		return -errno;
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	if ((rc = xs_mkdir_owned(path, domid)) < 0)
		return rc;
	snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
	xs_write(xs0, XBT_NULL, path, name, strlen(name));
	snprintf(path, sizeof(path), "/local/domain/%u/console", domid);
	if ((rc = xs_mkdir_owned(path, domid)) < 0)
		return rc;
	if (!xs_introduce_domain(xs0, domid, 0, 0))
		return -errno;
	snprintf(xspath, sizeof(xspath), "%s/dom/%u/xenstored.sock", rundir, domid);
	setenv("XENSTORED_PATH", xspath, 1);
	return 0;
}

static void unmake_domain(void)
{
	char path[64];

	if (xs0 && domid) {
		snprintf(path, sizeof(path), "/local/domain/%u", domid);
		xs_rm(xs0, XBT_NULL, path);
	}
	if (admin && domid)
		pv_local_domain_destroy(admin, domid);
	if (xs0)
		xs_close(xs0);
	if (admin)
		pv_local_close(admin);
}

/* A frontend whose out_prod is 5000 bytes ahead: the backend must close it. */
static int run_hostile(struct pv_platform *p)
{
	struct pv_evtchn *e;
	struct pv_xencons_interface *page;
	pv_grant_ref_t ref;
	char path[64], val[16];
	int port, rc = pv_evtchn_open(p, &e);

	if (rc < 0)
		return rc;
	page = pv_gnt_share_pages(p, 0, 1, &ref, 1);
	port = page ? pv_evtchn_alloc_unbound(e, 0) : -errno;
	if (port < 0)
		return port;
	memcpy(page->out, "hostile", 7);
	__atomic_store_n(&page->out_prod, 5000u, __ATOMIC_RELEASE);
	snprintf(path, sizeof(path), "/local/domain/%u/console/ring-ref", domid);
	snprintf(val, sizeof(val), "%u", ref);
	xs_write(xs0, XBT_NULL, path, val, strlen(val));
	snprintf(path, sizeof(path), "/local/domain/%u/console/port", domid);
	snprintf(val, sizeof(val), "%d", port);
	xs_write(xs0, XBT_NULL, path, val, strlen(val));
	/* Keep poking until killed: the daemon must stay closed and alive. */
	for (;;) {
		pv_evtchn_notify(e, (pv_evtchn_port_t)port);
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
		{NULL, 0, NULL, 0},
	};
	struct pv_platform_opts po = {0};
	struct pv_platform *p;
	struct pv_consfront *f;
	struct pv_consfront_opts fo = {0};
	const char *name = "guest";
	int hostile = 0, opt, rc;

	while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (opt == 'r')
			rundir = optarg;
		else if (opt == 'n')
			name = optarg;
		else if (opt == 'H')
			hostile = 1;
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
	printf("domid %u\n", domid);
	fflush(stdout);
	if (hostile)
		return run_hostile(p) < 0;
	fo.platform = p;
	fo.argv = optind < argc ? argv + optind : NULL;
	rc = pv_consfront_start(&f, &fo);
	if (rc == 0) {
		rc = pv_consfront_run(f);
		pv_consfront_stop(f);
	}
	pv_platform_close(p);
	unmake_domain();
	return rc < 0 ? 1 : (WIFEXITED(rc) ? WEXITSTATUS(rc) : 1);
}

/* SPDX-License-Identifier: MIT */
/*
 * pvkit-netback: the network backend daemon. Serves every vif under
 * /local/domain/<self>/backend/vif: xenstore in the main thread, packets in
 * a thread per queue.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common.h"

static const struct pv_xenbus_bus_ops bus_ops = {netback_probe, netback_remove};

static void usage(FILE *f)
{
	fprintf(f, "Usage: pvkit-netback [OPTION]...\n"
		   "Serve the network devices (vif) whose backend is this domain: one TAP\n"
		   "interface vif<domid>.<devid> per vif, on the bridge its config names.\n"
		   "\n"
		   "  --rundir DIR       pvkit's run directory (default $PVKIT_RUNDIR or /run/pvkit)\n"
		   "  --domid N          the backend domain (default $PVKIT_DOMID or 0)\n"
		   "  --platform NAME    local or xen (default: detect)\n"
		   "  --max-queues N     queue pairs offered to each frontend (1..%d, default 2)\n"
		   "  --no-gso           offer no GSO (TCP segmentation offload) features\n"
		   "  --grant-copy       move every byte with grant copy; never keep the\n"
		   "                     frontend's buffer pages mapped (the default on Xen:\n"
		   "                     Linux's netfront disables a vif whose backend still\n"
		   "                     maps a buffer it answered)\n"
		   "  --map-grants       keep the frontend's buffer pages mapped (the default\n"
		   "                     on the local platform; pvkit's netfront allows it)\n"
		   "  --log FILE         also append log lines to FILE\n"
		   "  -h, --help         show this help\n"
		   "\n"
		   "Exits 0 on SIGTERM, 1 when it cannot start, 2 on bad usage.\n",
		NETBACK_MAX_QUEUES);
}

struct options {
	const char *rundir, *platform, *log;
	int domid, max_queues, no_gso, copy_only, map_grants;
};

static int parse(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{"rundir", required_argument, NULL, 'r'}, {"domid", required_argument, NULL, 'd'},
		{"platform", required_argument, NULL, 'p'}, {"log", required_argument, NULL, 'l'},
		{"max-queues", required_argument, NULL, 'q'}, {"no-gso", no_argument, NULL, 'G'},
		{"grant-copy", no_argument, NULL, 'C'}, {"map-grants", no_argument, NULL, 'M'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	const char *env = getenv("PVKIT_DOMID");
	int c;

	*o = (struct options){.domid = env ? atoi(env) : 0, .max_queues = 2};
	while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (c) {
		case 'r': o->rundir = optarg; break;
		case 'd': o->domid = atoi(optarg); break;
		case 'p': o->platform = optarg; break;
		case 'l': o->log = optarg; break;
		case 'q': o->max_queues = atoi(optarg); break;
		case 'G': o->no_gso = 1; break;
		case 'C': o->copy_only = 1; break;
		case 'M': o->map_grants = 1; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc || o->max_queues < 1 || o->max_queues > NETBACK_MAX_QUEUES ||
	    (o->copy_only && o->map_grants)) {
		fprintf(stderr, "pvkit-netback: bad arguments (see --help)\n");
		return -1;
	}
	return 0;
}

static int start(struct netback *nb, const struct options *o)
{
	struct pv_platform_opts po = {.name = o->platform, .rundir = o->rundir,
				      .domid = o->domid, .domid_set = 1};
	char path[4096];
	int rc;

	if (o->rundir)
		setenv("PVKIT_RUNDIR", o->rundir, 1);
	nb->rundir = getenv("PVKIT_RUNDIR") ? getenv("PVKIT_RUNDIR") : "/run/pvkit";
	rc = pv_platform_open(&nb->platform, &po);
	if (rc < 0) {
		pv_err_errno(rc, "cannot open the %s platform", o->platform ? o->platform : "default");
		return rc;
	}
	/*
	 * Linux's netfront ends a buffer's grant as soon as it is answered and
	 * disables the vif ("Grant still in use by backend domain") when we
	 * still map it, so on Xen copy unless told the frontend allows it.
	 */
	if (!o->map_grants && strcmp(pv_platform_name(nb->platform), "xen") == 0)
		nb->copy_only = 1;
	rc = pv_xs_local_path(path, sizeof(path), o->rundir, (pv_domid_t)o->domid);
	if (rc == 0)
		rc = pv_xs_open(&nb->xs, strcmp(pv_platform_name(nb->platform), "local") ? NULL : path);
	if (rc < 0) {
		pv_err_errno(rc, "cannot connect to xenstore");
		return rc;
	}
	nb->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (nb->epfd < 0)
		return -errno;
	return pv_xenbus_bus_open(nb->xs, "vif", 1, &bus_ops, nb, &nb->bus);
}

static void loop(struct netback *nb, int sigfd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, evs[16];
	int n;

	epoll_ctl(nb->epfd, EPOLL_CTL_ADD, sigfd,
		  &(struct epoll_event){.events = EPOLLIN, .data.ptr = &sigfd});
	epoll_ctl(nb->epfd, EPOLL_CTL_ADD, pv_xs_fd(nb->xs), &ev);
	pv_xenbus_bus_scan(nb->bus);
	for (;;) {
		n = epoll_wait(nb->epfd, evs, 16, -1);
		if (n < 0 && errno != EINTR)
			return;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &sigfd)
				return;
			if (evs[i].data.ptr) {
				netback_vif_fatal(evs[i].data.ptr);
				continue;
			}
			if (pv_xs_dispatch(nb->xs, 64) == -ECONNRESET) {
				pv_err("xenstore went away: exiting");
				return;
			}
		}
	}
}

int main(int argc, char **argv)
{
	struct netback nb = {.epfd = -1};
	struct options o;
	sigset_t mask;
	int sigfd, rc;

	if (parse(argc, argv, &o) < 0)
		return 2;
	pv_log_set_ident("pvkit-netback");
	if (o.log)
		pv_log_open_file(o.log);
	nb.max_queues = (unsigned int)o.max_queues;
	nb.no_gso = o.no_gso;
	nb.copy_only = o.copy_only;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	rc = start(&nb, &o);
	if (rc < 0) {
		pv_err_errno(rc, "cannot start");
		return 1;
	}
	pv_info("serving vifs of domain %d (%u queue(s) per vif%s%s)", o.domid, nb.max_queues,
		nb.no_gso ? ", no GSO" : "", nb.copy_only ? ", grant copy only" : "");
	loop(&nb, sigfd);
	/* Removing the devices would delete the vifs; an orderly stop keeps them for our return. */
	pv_xenbus_bus_close(nb.bus);
	pv_xs_close(nb.xs);
	pv_platform_close(nb.platform);
	pv_info("stopped");
	return 0;
}

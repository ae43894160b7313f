/* SPDX-License-Identifier: MIT */
/*
 * pvkit-echoback: the template backend daemon. Serves every echo device
 * under /local/domain/<self>/backend/echo from one event loop.
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

#include "pvkit/local.h"
#include "common.h"

static const struct pv_xenbus_bus_ops bus_ops = {echoback_probe, echoback_remove};

static void usage(FILE *f)
{
	fprintf(f, "Usage: pvkit-echoback [OPTION]...\n"
		   "Serve the echo devices (pvkit's template class) whose backend is this domain.\n"
		   "\n"
		   "  --rundir DIR       pvkit's run directory (default $PVKIT_RUNDIR or /run/pvkit)\n"
		   "  --domid N          the backend domain (default $PVKIT_DOMID or 0)\n"
		   "  --platform NAME    local or xen (default: detect)\n"
		   "  --log FILE         also append log lines to FILE\n"
		   "  -h, --help         show this help\n"
		   "\n"
		   "Exits 0 on SIGTERM, 1 when it cannot start, 2 on bad usage.\n");
}

struct options {
	const char *rundir, *platform, *log;
	int domid;
};

static int parse(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{"rundir", required_argument, NULL, 'r'}, {"domid", required_argument, NULL, 'd'},
		{"platform", required_argument, NULL, 'p'}, {"log", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	const char *env = getenv("PVKIT_DOMID");
	int c;

	*o = (struct options){.domid = env ? atoi(env) : 0};
	while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (c) {
		case 'r': o->rundir = optarg; break;
		case 'd': o->domid = atoi(optarg); break;
		case 'p': o->platform = optarg; break;
		case 'l': o->log = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pvkit-echoback: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static int start(struct echoback *eb, const struct options *o)
{
	struct pv_platform_opts po = {.name = o->platform, .rundir = o->rundir,
				      .domid = o->domid, .domid_set = 1};
	char path[4096];
	int rc;

	if (o->rundir)
		setenv("PVKIT_RUNDIR", o->rundir, 1);
	rc = pv_platform_open(&eb->platform, &po);
	if (rc < 0) {
		pv_err_errno(rc, "cannot open the %s platform", o->platform ? o->platform : "default");
		return rc;
	}
	rc = pv_xs_local_path(path, sizeof(path), o->rundir, (pv_domid_t)o->domid);
	if (rc == 0)
		rc = pv_xs_open(&eb->xs, strcmp(pv_platform_name(eb->platform), "local") ? NULL : path);
	if (rc < 0)
		return rc;
	eb->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (eb->epfd < 0)
		return -errno;
	return pv_xenbus_bus_open(eb->xs, "echo", 1, &bus_ops, eb, &eb->bus);
}

static void loop(struct echoback *eb, int sigfd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, evs[16];
	int xsfd = pv_xs_fd(eb->xs), n;

	epoll_ctl(eb->epfd, EPOLL_CTL_ADD, sigfd, &(struct epoll_event){.events = EPOLLIN, .data.ptr = &sigfd});
	epoll_ctl(eb->epfd, EPOLL_CTL_ADD, xsfd, &ev);
	pv_xenbus_bus_scan(eb->bus);
	for (;;) {
		n = epoll_wait(eb->epfd, evs, 16, -1);
		if (n < 0 && errno != EINTR)
			return;
		int xs_ready = 0;

		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &sigfd)
				return;
			if (!evs[i].data.ptr)
				xs_ready = 1;
			else
				echoback_event(evs[i].data.ptr);
		}
		/*
		 * Xenstore last: its callbacks may disconnect or free a device
		 * whose event-channel event is still in this batch.
		 */
		if (xs_ready && pv_xs_dispatch(eb->xs, 64) == -ECONNRESET) {
			pv_err("xenstore went away: exiting");
			return;
		}
	}
}

int main(int argc, char **argv)
{
	struct echoback eb = {.epfd = -1};
	struct options o;
	sigset_t mask;
	int sigfd, rc;

	if (parse(argc, argv, &o) < 0)
		return 2;
	pv_log_set_ident("pvkit-echoback");
	if (o.log)
		pv_log_open_file(o.log);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	rc = start(&eb, &o);
	if (rc < 0) {
		pv_err_errno(rc, "cannot start");
		return 1;
	}
	pv_info("serving echo devices of domain %d", o.domid);
	loop(&eb, sigfd);
	pv_xenbus_bus_close(eb.bus);
	pv_xs_close(eb.xs);
	pv_platform_close(eb.platform);
	pv_info("stopped");
	return 0;
}

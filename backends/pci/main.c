/* SPDX-License-Identifier: MIT */
/*
 * pvkit-pciback: the PCI backend daemon of domain 0. Serves every guest
 * bus under /local/domain/<self>/backend/pci from one event loop: devices
 * held through VFIO, config space through the filter, interrupts as event
 * channels, DMA confined to the guest's memory; all released when the
 * guest goes.
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

static const struct pv_xenbus_bus_ops bus_ops = {pciback_probe, pciback_remove};

static void usage(FILE *f)
{
	fprintf(f, "Usage: pvkit-pciback [OPTION]...\n"
		   "Pass host PCI devices (bound to vfio-pci) to the guests whose pci backend is\n"
		   "this domain, over Xen's pcifront/pciback protocol.\n"
		   "\n"
		   "  --rundir DIR       pvkit's run directory (default $PVKIT_RUNDIR or /run/pvkit)\n"
		   "  --domid N          the backend domain (default $PVKIT_DOMID or 0)\n"
		   "  --platform NAME    local or xen (default: detect)\n"
		   "  --log FILE         also append log lines to FILE\n"
		   "  -h, --help         show this help\n"
		   "\n"
		   "$PVKIT_SYSFS names another sysfs mount (tests). Exits 0 on SIGTERM, 1 when it\n"
		   "cannot start, 2 on bad usage.\n");
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
		fprintf(stderr, "pvkit-pciback: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static int start(struct pciback *pb, const struct options *o)
{
	struct pv_platform_opts po = {.name = o->platform, .rundir = o->rundir,
				      .domid = o->domid, .domid_set = 1};
	const char *sysfs = getenv("PVKIT_SYSFS");
	char path[4096];
	int rc;

	if (o->rundir)
		setenv("PVKIT_RUNDIR", o->rundir, 1);
	pb->sysfs = sysfs && *sysfs ? sysfs : NULL;
	pb->hw = &pciback_hw_vfio;
	pb->ports = &pciback_ports_platform;
	rc = pv_platform_open(&pb->platform, &po);
	if (rc < 0) {
		pv_err_errno(rc, "cannot open the %s platform", o->platform ? o->platform : "default");
		return rc;
	}
	rc = pv_xs_local_path(path, sizeof(path), o->rundir, (pv_domid_t)o->domid);
	if (rc == 0)
		rc = pv_xs_open(&pb->xs, strcmp(pv_platform_name(pb->platform), "local") ? NULL : path);
	if (rc < 0)
		return rc;
	pb->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (pb->epfd < 0)
		return -errno;
	return pv_xenbus_bus_open(pb->xs, "pci", 1, &bus_ops, pb, &pb->xbus);
}

/*
 * Guest deaths, on the local platform: pvkitd reports them at once, so a
 * guest killed without its toolstack still loses its devices (reset,
 * every mapping gone) before anybody else can get them.
 */
static struct pv_local *watch_deaths(struct pciback *pb, const struct options *o)
{
	struct pv_local *l = NULL;
	int fd;

	if (strcmp(pv_platform_name(pb->platform), "local") || o->domid != 0)
		return NULL;
	if (pv_local_open(&l, o->rundir) < 0)
		return NULL;
	fd = pv_local_death_fd(l);
	if (fd < 0 || epoll_ctl(pb->epfd, EPOLL_CTL_ADD, fd,
				&(struct epoll_event){.events = EPOLLIN, .data.ptr = l}) < 0) {
		pv_warn("cannot watch guest deaths: devices are released when the toolstack says");
		pv_local_close(l);
		return NULL;
	}
	return l;
}

static void deaths(struct pciback *pb, struct pv_local *l)
{
	int domid;

	while ((domid = pv_local_death_next(l)) >= 0)
		pciback_domain_died(pb, (pv_domid_t)domid);
}

static void dispatch(struct pciback *pb, void *ptr)
{
	struct pciback_ev *ev = ptr;

	if (ev->kind == PCIBACK_EV_OPS)
		pciback_bus_event((struct pciback_bus *)ev);
	else if (ev->kind == PCIBACK_EV_IRQ)
		pciback_irq_event((struct pciback_vec *)ev);
	(void)pb;
}

static void loop(struct pciback *pb, int sigfd, struct pv_local *l)
{
	struct epoll_event evs[32];
	int xsfd = pv_xs_fd(pb->xs), n;

	epoll_ctl(pb->epfd, EPOLL_CTL_ADD, sigfd,
		  &(struct epoll_event){.events = EPOLLIN, .data.ptr = &sigfd});
	epoll_ctl(pb->epfd, EPOLL_CTL_ADD, xsfd, &(struct epoll_event){.events = EPOLLIN});
	pv_xenbus_bus_scan(pb->xbus);
	for (;;) {
		int xs_ready = 0, died = 0;

		n = epoll_wait(pb->epfd, evs, 32, -1);
		if (n < 0 && errno != EINTR)
			return;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &sigfd)
				return;
			if (!evs[i].data.ptr)
				xs_ready = 1;
			else if (l && evs[i].data.ptr == l)
				died = 1;
			else
				dispatch(pb, evs[i].data.ptr);
		}
		/* Deaths and xenstore last: they free devices whose events are in this batch. */
		if (died)
			deaths(pb, l);
		if (xs_ready && pv_xs_dispatch(pb->xs, 64) == -ECONNRESET) {
			pv_err("xenstore went away: exiting");
			return;
		}
	}
}

int main(int argc, char **argv)
{
	struct pciback pb = {.epfd = -1};
	struct pv_local *l;
	struct options o;
	sigset_t mask;
	int sigfd, rc;

	if (parse(argc, argv, &o) < 0)
		return 2;
	pv_log_set_ident("pvkit-pciback");
	if (o.log)
		pv_log_open_file(o.log);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	rc = start(&pb, &o);
	if (rc < 0) {
		pv_err_errno(rc, "cannot start");
		return 1;
	}
	l = watch_deaths(&pb, &o);
	pv_info("serving pci buses of domain %d", o.domid);
	loop(&pb, sigfd, l);
	/* Every device reset and unmapped before we go: nothing outlives the daemon. */
	pv_xenbus_bus_close(pb.xbus);
	if (l)
		pv_local_close(l);
	pv_xs_close(pb.xs);
	pv_platform_close(pb.platform);
	pv_info("stopped");
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * pvkit-pciback: the PCI backend daemon of domain 0. Serves every guest
 * bus under /local/domain/<self>/backend/pci from one event loop: devices
 * held through VFIO, config space through the filter, interrupts as event
 * channels, DMA confined to the guest's memory; all released when the
 * guest goes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "pvkit/daemon.h"
#include "pvkit/local.h"
#include "common.h"

static const struct pv_xenbus_bus_ops bus_ops = {pciback_probe, pciback_remove};

static const struct pv_daemon_spec spec = {
	.name = "pvkit-pciback",
	.flags = PV_DAEMON_RUNDIR | PV_DAEMON_DOMID | PV_DAEMON_PLATFORM | PV_DAEMON_LOG |
		 PV_DAEMON_SHORT_HELP,
	.usage = "Usage: pvkit-pciback [OPTION]...\n"
		 "Pass host PCI devices (bound to vfio-pci) to the guests whose pci backend is\n"
		 "this domain, over Xen's pcifront/pciback protocol.\n"
		 "\n"
		 PV_DAEMON_USAGE_RUNDIR
		 PV_DAEMON_USAGE_DOMID
		 PV_DAEMON_USAGE_PLATFORM
		 PV_DAEMON_USAGE_LOG
		 PV_DAEMON_USAGE_HELP
		 "\n"
		 "$PVKIT_SYSFS names another sysfs mount (tests). Exits 0 on SIGTERM, 1 when it\n"
		 "cannot start or loses xenstore, 2 on bad usage.\n",
};

/* The event loop's view: the backend, and pvkitd's death reports. */
struct daemon {
	struct pciback *pb;
	struct pv_local *deaths; /* NULL: not watched */
	int died;                /* a death report is in this batch */
};

static int start(struct pciback *pb, struct pv_daemon *d)
{
	const char *sysfs = getenv("PVKIT_SYSFS");
	int rc;

	pb->sysfs = sysfs && *sysfs ? sysfs : NULL;
	pb->hw = &pciback_hw_vfio;
	pb->ports = &pciback_ports_platform;
	rc = pv_daemon_connect(d, &pb->platform, &pb->xs);
	pb->epfd = d->epfd;
	if (rc < 0)
		return rc;
	return pv_xenbus_bus_open(pb->xs, "pci", 1, &bus_ops, pb, &pb->xbus);
}

/*
 * Guest deaths, on the local platform: pvkitd reports them at once, so a
 * guest killed without its toolstack still loses its devices (reset,
 * every mapping gone) before anybody else can get them.
 */
static struct pv_local *watch_deaths(struct pciback *pb, const struct pv_daemon *d)
{
	struct pv_local *l = NULL;
	int fd;

	if (strcmp(pv_platform_name(pb->platform), "local") || d->domid != 0)
		return NULL;
	if (pv_local_open(&l, d->rundir) < 0)
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

static void event(void *opaque, void *ptr, uint32_t events)
{
	struct daemon *dm = opaque;
	struct pciback_ev *ev = ptr;

	(void)events;
	if (dm->deaths && ptr == dm->deaths)
		dm->died = 1;
	else if (ev->kind == PCIBACK_EV_OPS)
		pciback_bus_event((struct pciback_bus *)ev);
	else if (ev->kind == PCIBACK_EV_IRQ)
		pciback_irq_event((struct pciback_vec *)ev);
}

/* Deaths and xenstore last: they free devices whose events are in this batch. */
static void batch_end(void *opaque)
{
	struct daemon *dm = opaque;
	int domid;

	if (!dm->died)
		return;
	dm->died = 0;
	while ((domid = pv_local_death_next(dm->deaths)) >= 0)
		pciback_domain_died(dm->pb, (pv_domid_t)domid);
}


static const struct pv_daemon_ops ops = {.event = event, .batch_end = batch_end};

int main(int argc, char **argv)
{
	struct pciback pb = {.epfd = -1};
	struct daemon dm = {.pb = &pb};
	struct pv_daemon d;
	int rc;

	rc = pv_daemon_parse(&d, &spec, argc, argv, NULL);
	if (rc >= 0 && rc < argc) {
		fprintf(stderr, "pvkit-pciback: unexpected argument '%s'\n", argv[rc]);
		rc = -1;
	}
	if (rc < 0)
		return 2;
	rc = pv_daemon_init(&d);
	if (rc == 0)
		rc = start(&pb, &d);
	if (rc < 0) {
		pv_err_errno(rc, "cannot start");
		return 1;
	}
	dm.deaths = watch_deaths(&pb, &d);
	pv_info("serving pci buses of domain %d", d.domid);
	pv_xenbus_bus_scan(pb.xbus);
	rc = pv_daemon_run(&d, pv_xs_fd(pb.xs), &ops, &dm);
	/* Every device reset and unmapped before we go: nothing outlives the daemon. */
	pv_xenbus_bus_close(pb.xbus);
	if (dm.deaths)
		pv_local_close(dm.deaths);
	pv_xs_close(pb.xs);
	pv_platform_close(pb.platform);
	pv_daemon_close(&d);
	pv_info("stopped");
	return rc < 0 ? 1 : 0;
}

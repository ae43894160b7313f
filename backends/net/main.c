/* SPDX-License-Identifier: MIT */
/*
 * pvkit-netback: the network backend daemon. Serves every vif under
 * /local/domain/<self>/backend/vif: xenstore in the main thread, packets in
 * a thread per queue.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvkit/busypoll.h"
#include "pvkit/daemon.h"
#include "common.h"

#define STR(x) #x
#define XSTR(x) STR(x)

static const struct pv_xenbus_bus_ops bus_ops = {netback_probe, netback_remove};

/* Our options' getopt values (the common ones are pv_daemon's). */
enum { OPT_QUEUES = 'q', OPT_NO_GSO = 'G', OPT_COPY = 'C', OPT_MAP = 'M', OPT_BUSYPOLL = 'P' };

static const struct option options[] = {
	{"max-queues", required_argument, NULL, OPT_QUEUES}, {"no-gso", no_argument, NULL, OPT_NO_GSO},
	{"grant-copy", no_argument, NULL, OPT_COPY}, {"map-grants", no_argument, NULL, OPT_MAP},
	{"busypoll-ns", required_argument, NULL, OPT_BUSYPOLL}, {NULL, 0, NULL, 0},
};

struct options {
	int max_queues, no_gso, copy_only, map_grants;
	int64_t busypoll_ns; /* PV_BUSYPOLL_DEFAULT unless given */
};

static int option(const struct pv_daemon *d, void *opaque, int val, const char *arg)
{
	struct options *o = opaque;
	uint64_t v;

	switch (val) {
	case OPT_QUEUES:
		if (pv_daemon_number(d, arg, NETBACK_MAX_QUEUES, &v) || v == 0)
			return -EINVAL;
		o->max_queues = (int)v;
		break;
	case OPT_NO_GSO: o->no_gso = 1; break;
	case OPT_COPY: o->copy_only = 1; break;
	case OPT_MAP: o->map_grants = 1; break;
	case OPT_BUSYPOLL:
		if (pv_daemon_number(d, arg, PV_BUSYPOLL_MAX_NS, &v))
			return -EINVAL;
		o->busypoll_ns = (int64_t)v;
		break;
	}
	return 0;
}

static const struct pv_daemon_spec spec = {
	.name = "pvkit-netback",
	.flags = PV_DAEMON_RUNDIR | PV_DAEMON_DOMID | PV_DAEMON_PLATFORM | PV_DAEMON_LOG |
		 PV_DAEMON_SHORT_HELP | PV_DAEMON_SIGHUP | PV_DAEMON_NO_SIGPIPE,
	.usage = "Usage: pvkit-netback [OPTION]...\n"
		 "Serve the network devices (vif) whose backend is this domain: one TAP\n"
		 "interface vif<domid>.<devid> per vif, on the bridge its config names.\n"
		 "\n"
		 PV_DAEMON_USAGE_RUNDIR
		 PV_DAEMON_USAGE_DOMID
		 PV_DAEMON_USAGE_PLATFORM
		 "  --max-queues N     queue pairs offered to each frontend (1.." XSTR(NETBACK_MAX_QUEUES)
		 ", default 2)\n"
		 "  --no-gso           offer no GSO (TCP segmentation offload) features\n"
		 "  --grant-copy       move every byte with grant copy; never keep the\n"
		 "                     frontend's buffer pages mapped (the default on Xen:\n"
		 "                     Linux's netfront disables a vif whose backend still\n"
		 "                     maps a buffer it answered)\n"
		 "  --map-grants       keep the frontend's buffer pages mapped (the default\n"
		 "                     on the local platform; pvkit's netfront allows it)\n"
		 "  --busypoll-ns N    before sleeping, each queue thread polls its event\n"
		 "                     channel and TAP queue up to N ns, adaptively (0: off;\n"
		 "                     default $PVKIT_BUSYPOLL_NS, else 50000; none while\n"
		 "                     the CPU is contended or the vif idle)\n"
		 PV_DAEMON_USAGE_LOG
		 PV_DAEMON_USAGE_HELP
		 "\n"
		 PV_DAEMON_USAGE_EXITS,
	.options = options,
	.option = option,
};

static int start(struct netback *nb, struct pv_daemon *d, const struct options *o)
{
	int rc;

	rc = pv_daemon_connect(d, &nb->platform, &nb->xs);
	nb->rundir = pv_daemon_rundir(d);
	nb->epfd = d->epfd;
	if (rc < 0)
		return rc;
	/*
	 * Linux's netfront ends a buffer's grant as soon as it is answered and
	 * disables the vif ("Grant still in use by backend domain") when we
	 * still map it, so on Xen copy unless told the frontend allows it.
	 */
	if (!o->map_grants && strcmp(pv_platform_name(nb->platform), "xen") == 0)
		nb->copy_only = 1;
	return pv_xenbus_bus_open(nb->xs, "vif", 1, &bus_ops, nb, &nb->bus);
}

static void event(void *opaque, void *ptr, uint32_t events)
{
	(void)opaque;
	(void)events;
	netback_vif_fatal(ptr);
}


static const struct pv_daemon_ops ops = {.event = event};

int main(int argc, char **argv)
{
	struct netback nb = {.epfd = -1};
	struct options o = {.max_queues = 2, .busypoll_ns = PV_BUSYPOLL_DEFAULT};
	struct pv_daemon d;
	int rc;

	rc = pv_daemon_parse(&d, &spec, argc, argv, &o);
	if (rc >= 0 && (rc < argc || o.max_queues < 1 || o.max_queues > NETBACK_MAX_QUEUES ||
			(o.copy_only && o.map_grants))) {
		fprintf(stderr, "pvkit-netback: bad arguments (see --help)\n");
		rc = -1;
	}
	if (rc < 0)
		return 2;
	nb.max_queues = (unsigned int)o.max_queues;
	nb.no_gso = o.no_gso;
	nb.copy_only = o.copy_only;
	nb.busypoll_ns = o.busypoll_ns;
	rc = pv_daemon_init(&d);
	if (rc == 0)
		rc = start(&nb, &d, &o);
	if (rc < 0) {
		pv_err_errno(rc, "cannot start");
		return 1;
	}
	pv_info("serving vifs of domain %d (%u queue(s) per vif%s%s, busy poll up to %u ns)", d.domid,
		nb.max_queues, nb.no_gso ? ", no GSO" : "", nb.copy_only ? ", grant copy only" : "",
		nb.busypoll_ns < 0 ? pv_busypoll_default_ns() : (unsigned int)nb.busypoll_ns);
	pv_xenbus_bus_scan(nb.bus);
	rc = pv_daemon_run(&d, pv_xs_fd(nb.xs), &ops, &nb);
	/*
	 * Closing the bus removes each device: its queues stop and its
	 * mappings go, but an orderly stop (systemctl restart) keeps the
	 * vifs, their bridge ports, addresses and routes for our return, as
	 * a crash does.
	 */
	nb.stopping = 1;
	pv_xenbus_bus_close(nb.bus);
	pv_xs_close(nb.xs);
	pv_platform_close(nb.platform);
	pv_daemon_close(&d);
	pv_info("stopped");
	return rc < 0 ? 1 : 0;
}

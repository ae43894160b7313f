/* SPDX-License-Identifier: MIT */
/*
 * pvkit-echoback: the template backend daemon. Serves every echo device
 * under /local/domain/<self>/backend/echo from one event loop.
 */
#include <stdio.h>

#include "pvkit/daemon.h"
#include "common.h"

static const struct pv_xenbus_bus_ops bus_ops = {echoback_probe, echoback_remove};

static const struct pv_daemon_spec spec = {
	.name = "pvkit-echoback",
	.flags = PV_DAEMON_RUNDIR | PV_DAEMON_DOMID | PV_DAEMON_PLATFORM | PV_DAEMON_LOG |
		 PV_DAEMON_SHORT_HELP,
	.usage = "Usage: pvkit-echoback [OPTION]...\n"
		 "Serve the echo devices (pvkit's template class) whose backend is this domain.\n"
		 "\n"
		 PV_DAEMON_USAGE_RUNDIR
		 PV_DAEMON_USAGE_DOMID
		 PV_DAEMON_USAGE_PLATFORM
		 PV_DAEMON_USAGE_LOG
		 PV_DAEMON_USAGE_HELP
		 "\n"
		 PV_DAEMON_USAGE_EXITS,
};

static void event(void *opaque, void *ptr, uint32_t events)
{
	(void)opaque;
	(void)events;
	echoback_event(ptr);
}


static const struct pv_daemon_ops ops = {.event = event};

int main(int argc, char **argv)
{
	struct echoback eb = {.epfd = -1};
	struct pv_daemon d;
	int rc;

	rc = pv_daemon_parse(&d, &spec, argc, argv, NULL);
	if (rc >= 0 && rc < argc) {
		fprintf(stderr, "pvkit-echoback: unexpected argument '%s'\n", argv[rc]);
		rc = -1;
	}
	if (rc < 0)
		return 2;
	rc = pv_daemon_init(&d);
	if (rc == 0)
		rc = pv_daemon_connect(&d, &eb.platform, &eb.xs);
	eb.epfd = d.epfd;
	if (rc == 0)
		rc = pv_xenbus_bus_open(eb.xs, "echo", 1, &bus_ops, &eb, &eb.bus);
	if (rc < 0) {
		pv_err_errno(rc, "cannot start");
		return 1;
	}
	pv_info("serving echo devices of domain %d", d.domid);
	pv_xenbus_bus_scan(eb.bus);
	rc = pv_daemon_run(&d, pv_xs_fd(eb.xs), &ops, &eb);
	pv_xenbus_bus_close(eb.bus);
	pv_xs_close(eb.xs);
	pv_platform_close(eb.platform);
	pv_daemon_close(&d);
	pv_info("stopped");
	return rc < 0 ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * What the hotplug subcommands share (cmd_device.c, cmd_pcidev.c): their
 * arguments, the guest they work on and the connections to it.
 */
#ifndef PVKIT_TOOLS_HOTPLUG_H
#define PVKIT_TOOLS_HOTPLUG_H

#include "pvkit/local.h"
#include "pvkit/xenbus.h"

/* The guest and the connections one hotplug command works on. */
struct hotplug {
	const char *cmd;
	const char *what;      /* NAME|ID */
	const char *arg;       /* the spec, vdev, devid, MAC or BDF */
	unsigned timeout;      /* 0: the command's default */
	int force;             /* detach: remove the nodes without waiting for the drivers */
	const char *label;     /* detach: "vbd 51728 (xvdb)", for messages */
	struct pv_local *l;
	struct pv_xs *xs;
	struct pv_local_domain_info dom;
};

/* argv = {CMD, [--timeout S] [--rundir DIR], NAME|ID, ARG}. 0 or an exit status. */
int hotplug_parse_args(int argc, char **argv, struct hotplug *h);
/* Connect and find the guest. 0 or an exit status (printed). */
int hotplug_open_guest(struct hotplug *h);
void hotplug_close_guest(struct hotplug *h);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Waiting for devices, for create and hotplug: each device's frontend and
 * backend XenbusState polled from xenstore until both are Connected (or the
 * backend Closed, for a detach), progress printed, stuck devices named.
 */
#ifndef PVKIT_TOOLS_DEVWAIT_H
#define PVKIT_TOOLS_DEVWAIT_H

#include <stddef.h>

#include "devspec.h"
#include "pvkit/xenbus.h"

/* One device to wait for: where its two state nodes are, what we last saw. */
struct dev_wait {
	char label[48]; /* "vbd 51712 (xvda)" */
	char front[96]; /* frontend directory */
	char back[96];  /* backend directory ("" for the console) */
	int fe, be;     /* last states seen (-1: not yet) */
};

void devwait_disk(struct dev_wait *w, const struct diskspec *d, unsigned domid);
void devwait_vif(struct dev_wait *w, const struct vifspec *v, unsigned domid);
/* The guest's PCI bus (device/pci/0, every pci= device on it). */
void devwait_pci(struct dev_wait *w, unsigned domid);
/* The console: frontend Connected once ring-ref and port are there, backend once tty is. */
void devwait_console(struct dev_wait *w, unsigned domid);

/*
 * Poll @w[0..@n) every 20 ms until all are Connected (0), for at most @secs
 * seconds (-ETIMEDOUT: each stuck device is printed as "pvkit @cmd: LABEL did
 * not connect in N s: frontend X, backend Y" with its error nodes). Unless
 * @quiet, a line per state change. @check (may be NULL) runs each round: a
 * negative return stops the wait with that value.
 */
int devwait_run(struct pv_xs *xs, struct dev_wait *w, size_t n, unsigned secs, int quiet,
		const char *cmd, int (*check)(void *opaque), void *opaque);

/* Wait until @dir's state is @state: 0, or -ETIMEDOUT after @ms. */
int devwait_state(struct pv_xs *xs, const char *dir, enum pv_xenbus_state state, int ms);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Private to frontends/guest/: the runtime's state and the driver table.
 */
#ifndef PVKIT_GUEST_RUNTIME_H
#define PVKIT_GUEST_RUNTIME_H

#include "pvkit/guest.h"

struct pv_consfront;

/* The frontend drivers built into pvkit-guest, NULL-terminated (drivers.c). */
extern const struct pv_guest_driver *const pv_guest_drivers[];

struct fdreg {
	int fd;
	pv_guest_fd_fn fn;
	void *opaque;
	int dead;          /* deleted; freed after the current epoll batch */
	struct fdreg *next;
};

struct pv_guest {
	struct pv_platform *platform;
	struct pv_xs *xs;
	pv_domid_t domid;
	char dir[4096];
	int epfd;
	int sigfd;
	struct fdreg *fds;
	struct pv_xenbus_bus **buses; /* one per driver */
	void *bus_ctxs;               /* their callbacks' contexts (guest.c), one per driver */
	struct pv_consfront *console;
	int stopping;      /* SIGTERM seen: init was told, devices close when it is gone */
	int exit_status;
	unsigned preserve; /* PV_GUEST_PRESERVE_*: init ends that way -> keep the domain */
	int preserved;     /* init ended and the domain is kept, devices and all */
	int xs_timer;      /* timerfd: the xenstore step once a second (a lost connection) */
	int xs_lost;       /* xenstore went away: the devices run on, the buses are frozen */
};

#define PV_GUEST_PRESERVE_POWEROFF 1u /* init exited with status 0 */
#define PV_GUEST_PRESERVE_CRASH    2u /* init failed (non-zero status, a signal) */
/* The file under the domain's run directory saying how init ended: "poweroff" or "crash". */
#define PV_GUEST_SHUTDOWN_FILE "shutdown"

#endif

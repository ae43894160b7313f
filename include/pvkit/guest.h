/* SPDX-License-Identifier: MIT */
/*
 * The guest runtime: the local platform's guest "kernel" (pvkit-guest). It
 * registers the domain with pvkitd, probes /local/domain/<self>/device/<type>
 * and binds a frontend driver per device type, like Linux's xenbus
 * probing, and runs every frontend from one event loop.
 *
 * A frontend driver is a struct pv_guest_driver listed in
 * frontends/guest/drivers.c. Its callbacks run in the runtime's thread;
 * a driver that needs its own threads starts them in probe and joins
 * them in remove.
 */
#ifndef PVKIT_GUEST_H
#define PVKIT_GUEST_H

#include <stdint.h>

#include "pvkit/platform.h"
#include "pvkit/xenbus.h"

struct pv_guest;

struct pv_guest_driver {
	const char *type; /* the xenstore device type: "vbd", "vif", "echo" */
	/*
	 * A device of this type appeared (its frontend and backend nodes are
	 * written). Set dev->otherend_changed and call pv_xenbus_dev_start()
	 * to follow the backend; keep per-device state in dev->opaque.
	 * Return 0 to bind, -errno to leave it unbound (probed again on the
	 * next change of its directory).
	 */
	int (*probe)(struct pv_guest *g, struct pv_xenbus_dev *dev);
	/*
	 * The device went away (hot-unplug) or the guest is shutting down:
	 * close it (Closing, Closed), release its grants and channels, free
	 * dev->opaque. The runtime frees @dev itself afterwards.
	 */
	void (*remove)(struct pv_guest *g, struct pv_xenbus_dev *dev);
};

typedef void (*pv_guest_fd_fn)(struct pv_guest *g, int fd, uint32_t events, void *opaque);

/*
 * Run @fn from the event loop when @fd has @events (EPOLLIN, ...).
 * One registration per fd. Returns 0 or -errno.
 */
int pv_guest_add_fd(struct pv_guest *g, int fd, uint32_t events, pv_guest_fd_fn fn,
		    void *opaque);
/* Stop watching @fd (safe from inside its own callback). */
void pv_guest_del_fd(struct pv_guest *g, int fd);

struct pv_platform *pv_guest_platform(struct pv_guest *g);
struct pv_xs *pv_guest_xs(struct pv_guest *g);
pv_domid_t pv_guest_domid(struct pv_guest *g);
/* The guest's own run directory, <rundir>/dom/<domid>: where its sockets go. */
const char *pv_guest_dir(struct pv_guest *g);

#endif

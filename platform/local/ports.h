/* SPDX-License-Identifier: MIT */
/*
 * Event-channel port table of one domain (private to platform/local): the
 * state machine pvkitd keeps per port, bounded, with Xen's bind rules.
 */
#ifndef PVKIT_LOCAL_PORTS_H
#define PVKIT_LOCAL_PORTS_H

#include <stdint.h>

#include "pvkit/platform.h"

/* Ports per domain; port 0 is never allocated (as in Xen). */
#define PVL_MAX_PORTS 1024

enum pvl_port_state {
	PVL_PORT_FREE = 0,
	PVL_PORT_UNBOUND, /* allocated, waiting for remote_dom to bind */
	PVL_PORT_BOUND,   /* connected to (remote_dom, remote_port) */
	PVL_PORT_CLOSED,  /* the peer went away; the owner has yet to unbind */
};

struct pvl_port {
	enum pvl_port_state state;
	pv_domid_t remote_dom;
	uint32_t remote_port;
	void *owner;      /* the connection that allocated or bound it */
	int wake_fd;      /* UNBOUND only: eventfd that wakes this end (-1 else) */
	int peer_wake_fd; /* UNBOUND only: eventfd that will wake the binder (-1 else) */
};

struct pvl_port_table {
	struct pvl_port *ports;
	uint32_t nr;   /* table size, port numbers 1 .. nr - 1 */
	uint32_t used; /* ports not FREE */
};

/* Table of @nr entries (at most PVL_MAX_PORTS). 0 or -ENOMEM/-EINVAL. */
int pvl_ports_init(struct pvl_port_table *t, uint32_t nr);
void pvl_ports_fini(struct pvl_port_table *t);
/* The lowest free port, now UNBOUND for @owner and @remote; or -ENOSPC. */
int pvl_ports_alloc(struct pvl_port_table *t, void *owner, pv_domid_t remote);
/* The port's entry, or NULL when out of range or FREE. */
struct pvl_port *pvl_ports_get(struct pvl_port_table *t, uint32_t port);
/* Mark @port FREE (the caller closed its fds). */
void pvl_ports_free(struct pvl_port_table *t, uint32_t port);
/*
 * May domain @binder bind (this table's domain, @port)? 0, or -EINVAL when
 * the port is not UNBOUND or is reserved for another domain (as Xen).
 */
int pvl_ports_check_bind(struct pvl_port_table *t, uint32_t port, pv_domid_t binder);

#endif

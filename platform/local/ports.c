/* SPDX-License-Identifier: MIT */
/*
 * Event-channel port table: allocation of the lowest free port, lookup
 * bounded by the table size, and the bind rule of an unbound port.
 */
#include <errno.h>
#include <stdlib.h>

#include "ports.h"

int pvl_ports_init(struct pvl_port_table *t, uint32_t nr)
{
	if (nr < 2 || nr > PVL_MAX_PORTS)
		return -EINVAL;
	t->ports = calloc(nr, sizeof(*t->ports));
	if (!t->ports)
		return -ENOMEM;
	t->nr = nr;
	t->used = 0;
	for (uint32_t i = 0; i < nr; i++)
		t->ports[i].wake_fd = t->ports[i].peer_wake_fd = -1;
	return 0;
}

void pvl_ports_fini(struct pvl_port_table *t)
{
	free(t->ports);
	t->ports = NULL;
	t->nr = t->used = 0;
}

int pvl_ports_alloc(struct pvl_port_table *t, void *owner, pv_domid_t remote)
{
	for (uint32_t i = 1; i < t->nr; i++) {
		struct pvl_port *p = &t->ports[i];

		if (p->state != PVL_PORT_FREE)
			continue;
		p->state = PVL_PORT_UNBOUND;
		p->owner = owner;
		p->remote_dom = remote;
		p->remote_port = 0;
		p->wake_fd = p->peer_wake_fd = -1;
		t->used++;
		return (int)i;
	}
	return -ENOSPC;
}

struct pvl_port *pvl_ports_get(struct pvl_port_table *t, uint32_t port)
{
	if (port == 0 || port >= t->nr || t->ports[port].state == PVL_PORT_FREE)
		return NULL;
	return &t->ports[port];
}

void pvl_ports_free(struct pvl_port_table *t, uint32_t port)
{
	struct pvl_port *p = pvl_ports_get(t, port);

	if (!p)
		return;
	*p = (struct pvl_port){.state = PVL_PORT_FREE, .wake_fd = -1, .peer_wake_fd = -1};
	t->used--;
}

int pvl_ports_check_bind(struct pvl_port_table *t, uint32_t port, pv_domid_t binder)
{
	struct pvl_port *p = pvl_ports_get(t, port);

	if (!p || p->state != PVL_PORT_UNBOUND || p->remote_dom != binder)
		return -EINVAL;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The hostile netfront's plumbing, shared by net-tool hostile
 * (net_hostile.c: bad packet shapes) and net-tool xsa (net_xsa.c: the
 * ring, lifecycle and watch classes of THREATS.md): one vif of a guest
 * domain, one-page tx and rx rings, one event channel, one granted data
 * page holding a broadcast frame.
 */
#ifndef PVKIT_TEST_NET_HOSTILE_H
#define PVKIT_TEST_NET_HOSTILE_H

#include "pvkit/platform.h"
#include "pvkit/proto/netif.h"
#include "pvkit/ring.h"
#include "pvkit/xenbus.h"

struct hostile {
	struct pv_platform *p;
	struct pv_xs *xs;
	struct pv_evtchn *evt;
	pv_evtchn_port_t port;
	struct pv_ring_front tx, rx;
	void *tx_page, *rx_page;
	uint8_t *data;
	pv_grant_ref_t tx_ref, rx_ref, data_ref;
	char fe[128], be[128];
};

/* Open the platform as guest @domid, its xenstore, and grant the data page. 0 or -1. */
int hostile_open(struct hostile *h, const char *rundir, const char *domid, const char *devid);
/* Poll @dir's state until it is @want: 0, or -ETIMEDOUT after 5 s. */
int hostile_wait_state(struct pv_xs *xs, const char *dir, enum pv_xenbus_state want);
/*
 * Grant ring pages (unless h->tx_page/rx_page are set: the backend has
 * unmapped them, they are reused), initialise both rings, allocate a fresh
 * event channel (closing the one before).
 */
int hostile_share_rings(struct hostile *h);
/* Write the ring references, channel and features, Initialised; wait for Connected. */
int hostile_publish(struct hostile *h);
/* Push @n tx slots and collect @n statuses; 0 when all came within 5 s. */
int hostile_send_slots(struct hostile *h, const struct pv_netif_tx_request *s, unsigned int n,
		       int16_t *status);

#endif

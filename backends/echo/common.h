/* SPDX-License-Identifier: MIT */
/*
 * Private to backends/echo/: the echo backend's daemon and device state.
 * The template every class backend copies: datapath in echoback.c, the
 * xenbus handshake in xenbus.c, the daemon's loop in main.c.
 */
#ifndef PVKIT_ECHOBACK_COMMON_H
#define PVKIT_ECHOBACK_COMMON_H

#include <stdint.h>

#include "pvkit/log.h"
#include "pvkit/platform.h"
#include "pvkit/proto/echoif.h"
#include "pvkit/ring.h"
#include "pvkit/xenbus.h"

struct echoback {
	struct pv_platform *platform;
	struct pv_xs *xs;
	struct pv_xenbus_bus *bus;
	int epfd;
};

struct echoback_dev {
	struct echoback *eb;
	struct pv_xenbus_dev *xdev;
	struct pv_evtchn *evt;     /* NULL while disconnected */
	pv_evtchn_port_t port;
	void *ring_page;           /* the frontend's ring, mapped; NULL while disconnected */
	struct pv_ring_back ring;
	uint64_t requests;         /* answered, for the log and tests */
	uint64_t errors;           /* answered with an error */
	struct pv_ratelimit rl;    /* for messages the frontend can trigger */
};

/* echoback.c: the datapath. */
/* The echoif ring's shape (slot, request and response sizes). */
const struct pv_ring_shape *echoback_shape(void);
/* Answer every pending request; on a protocol error the device is given up. */
void echoback_process(struct echoback_dev *d);
/* Handle the event channel's fd becoming readable. */
void echoback_event(struct echoback_dev *d);
/* Build the response to one (copied) request. Exposed for unit tests. */
void echoback_handle(struct pv_platform *p, pv_domid_t frontend, const struct pv_echoif_request *req,
		     struct pv_echoif_response *rsp);

/* xenbus.c: the handshake. */
int echoback_probe(struct pv_xenbus_dev *xdev, void *opaque);
void echoback_remove(struct pv_xenbus_dev *xdev, void *opaque);
/* Unmap the ring and unbind the channel (idempotent). */
void echoback_disconnect(struct echoback_dev *d);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Wire ABI: the XenbusState values (Xen's io/xenbus.h) that a frontend and
 * a backend write to their "state" keys, and the handshake they follow.
 *
 * Every split device has two xenstore directories:
 *   frontend  /local/domain/<fe>/device/<class>/<id>/
 *   backend   /local/domain/<be>/backend/<class>/<fe>/<id>/
 * The toolstack creates both and the keys below; each half then owns its
 * own "state" and the class keys (proto/blkif.h, netif.h, ...) in its own
 * directory, and only reads the other's.
 *
 * Keys common to every class
 *   dir   key             values             default  notes
 *   F     backend         backend dir path   -        (toolstack)
 *   F     backend-id      domid              -        (toolstack)
 *   F     state           enum below         Unknown  written by the frontend
 *   B     frontend        frontend dir path  -        (toolstack)
 *   B     frontend-id     domid              -        (toolstack)
 *   B     online          0 | 1              -        0: the toolstack wants it gone
 *   B     state           enum below         Unknown  written by the backend
 *   B     hotplug-status  "connected"|"error" -       written by the hotplug script
 *
 * The handshake (values are decimal strings of enum pv_xenbus_state)
 *
 *      Frontend                                  Backend
 *      --------                                  -------
 *   Initialising                              Initialising
 *        |                                         | write feature-* keys,
 *        |                                         | limits, wait for hotplug
 *        |                                    InitWait (2)
 *        | read backend features                   |
 *        | grant rings, bind event channels,       |
 *        | write ring-ref*, event-channel, ...     |
 *   Initialised (3) ------------------------->     |
 *        |                                         | map rings, bind channels,
 *        |                                         | write device properties
 *        |                     <---------------- Connected (4)
 *        | read device properties                  |
 *   Connected (4)                                  |
 *        |                                         |
 *   ...  I/O flows ...                             |
 *        |                                         |
 *        |   either side (unplug, error, shutdown) |
 *   Closing (5) ------------------------------> Closing (5)
 *        | quiesce, revoke grants                  | drain requests, unmap
 *   Closed (6) <------------------------------> Closed (6)
 *
 * Rules: a side moves only forward through the diagram except to Closing;
 * a backend seeing its frontend at Closed (or the frontend directory gone)
 * releases its resources and, if "online" is 0, lets the toolstack remove
 * the device. A frontend may return from Closed to Initialising to
 * reconnect (e.g. after the backend restarted) once the backend is back at
 * InitWait. Reconfiguring/Reconfigured (7, 8) bracket a change of device
 * set while connected (used by pciif and usbif backends).
 * Unknown (0) is what a missing or unparsable state key reads as.
 */
#ifndef PVKIT_PROTO_XENBUS_H
#define PVKIT_PROTO_XENBUS_H

enum pv_xenbus_state {
	PV_XENBUS_STATE_UNKNOWN = 0,
	PV_XENBUS_STATE_INITIALISING = 1,
	PV_XENBUS_STATE_INIT_WAIT = 2,   /* waiting for the peer or hotplug scripts */
	PV_XENBUS_STATE_INITIALISED = 3, /* waiting for the peer to connect */
	PV_XENBUS_STATE_CONNECTED = 4,
	PV_XENBUS_STATE_CLOSING = 5, /* closing for an error or an unplug */
	PV_XENBUS_STATE_CLOSED = 6,
	PV_XENBUS_STATE_RECONFIGURING = 7,
	PV_XENBUS_STATE_RECONFIGURED = 8,
};

/* One past the largest valid state. */
#define PV_XENBUS_STATE_COUNT 9

/* The state's name as Xen tools print it ("InitWait"), "Invalid" otherwise. */
static inline const char *pv_xenbus_state_name(int state)
{
	static const char *const names[PV_XENBUS_STATE_COUNT] = {
	    "Unknown", "Initialising", "InitWait",      "Initialised",  "Connected",
	    "Closing", "Closed",       "Reconfiguring", "Reconfigured",
	};

	if (state < 0 || state >= PV_XENBUS_STATE_COUNT)
		return "Invalid";
	return names[state];
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Wire ABI: the para-virtual USB protocol "qusb" (the layout of Xen's
 * io/usbif.h): a virtual USB host connector with up to 31 root ports.
 *
 * The frontend (guest host-controller driver) shares two one-page rings
 * and one event channel. On the urb ring it submits URBs (and unlinks of
 * URBs in flight) for the devices on its ports; the backend performs them
 * on the real devices and answers. On the conn ring the frontend posts
 * dummy requests that the backend consumes to report plug and unplug
 * events (speed PV_USBIF_SPEED_NONE = unplugged). Only 16- and 32-bit
 * fields: one layout for every guest width.
 *
 * Xenstore keys
 * =============
 * Frontend: /local/domain/<fe>/device/qusb/<id>/
 * Backend:  /local/domain/<be>/backend/qusb/<fe>/<id>/
 *
 * Backend keys (toolstack-written, read by the backend)
 *   key            values                default  notes
 *   num-ports      1..31                 -        root ports of this connector
 *   usb-ver        1 | 2                 -        USB 1.1 or USB 2.0 connector
 *   port/<1..31>   "<bus>-<port path>"   ""       host device on that port
 *                                                 (e.g. "3-1.5"); "" = empty
 * Frontend keys
 *   key            values          default  notes
 *   urb-ring-ref   grant ref       -        the urb ring (one page)
 *   conn-ring-ref  grant ref       -        the conn ring (one page)
 *   event-channel  port            -        shared by both rings
 *   protocol       PV_IO_PROTO_*   native   (same layout for all)
 *
 * Ports are hot-plugged by rewriting port/<n>; the backend then goes
 * through Reconfiguring/Reconfigured (proto/xenbus.h) and sends a conn
 * event.
 *
 * urb request (struct pv_usbif_urb_request, 148 bytes)
 *   offset size field
 *   0      2    id              echoed in the response
 *   2      2    nr_buffer_segs  segments of the transfer buffer
 *   4      4    pipe            PV_USBIF_PIPE_* bit fields
 *   8      2    transfer_flags  PV_USBIF_SHORT_NOT_OK
 *   10     2    buffer_length   bytes of the transfer
 *   12     8    u               ctrl: setup packet; isoc: interval,
 *                               start_frame, number_of_packets,
 *                               nr_frame_desc_segs; intr: interval;
 *                               unlink: unlink_id
 *   20     8*16 seg[]           gref(4) offset(2) length(2): buffer segments
 *                               first, then iso frame descriptor segments
 * urb response (16 bytes)
 *   0 id(2)  2 start_frame(2)  4 status(4) PV_USBIF_STATUS_*
 *   8 actual_length(4)  12 error_count(4)
 * conn request (2 bytes)   0 id(2)
 * conn response (4 bytes)  0 id(2)  2 portnum(1) 1..31  3 speed(1)
 */
#ifndef PVKIT_PROTO_USBIF_H
#define PVKIT_PROTO_USBIF_H

#include <stddef.h>
#include <stdint.h>

#include "grant_table.h"
#include "ring.h"

/* usb-ver values. */
enum pv_usb_spec_version {
	PV_USB_VER_UNKNOWN = 0,
	PV_USB_VER_USB11 = 1,
	PV_USB_VER_USB20 = 2,
	PV_USB_VER_USB30 = 3, /* not supported by the protocol yet */
};

/*
 * pipe: port bits 0-4, unlink bit 5, direction bit 7 (1 = in, device to
 * host), device address bits 8-14, endpoint bits 15-18, type bits 30-31.
 */
#define PV_USBIF_PIPE_PORT_MASK  0x0000001fu
#define PV_USBIF_PIPE_UNLINK     0x00000020u
#define PV_USBIF_PIPE_DIR        0x00000080u
#define PV_USBIF_PIPE_DEV_MASK   0x0000007fu
#define PV_USBIF_PIPE_DEV_SHIFT  8
#define PV_USBIF_PIPE_EP_MASK    0x0000000fu
#define PV_USBIF_PIPE_EP_SHIFT   15
#define PV_USBIF_PIPE_TYPE_MASK  0x00000003u
#define PV_USBIF_PIPE_TYPE_SHIFT 30
#define PV_USBIF_PIPE_TYPE_ISOC  0
#define PV_USBIF_PIPE_TYPE_INT   1
#define PV_USBIF_PIPE_TYPE_CTRL  2
#define PV_USBIF_PIPE_TYPE_BULK  3

#define PV_USBIF_PIPE_PORT(p)      ((p)&PV_USBIF_PIPE_PORT_MASK)
#define PV_USBIF_PIPE_IS_UNLINK(p) (((p)&PV_USBIF_PIPE_UNLINK) != 0)
#define PV_USBIF_PIPE_IS_IN(p)     (((p)&PV_USBIF_PIPE_DIR) != 0)
#define PV_USBIF_PIPE_DEV(p)       (((p) >> PV_USBIF_PIPE_DEV_SHIFT) & PV_USBIF_PIPE_DEV_MASK)
#define PV_USBIF_PIPE_EP(p)        (((p) >> PV_USBIF_PIPE_EP_SHIFT) & PV_USBIF_PIPE_EP_MASK)
#define PV_USBIF_PIPE_TYPE(p)      (((p) >> PV_USBIF_PIPE_TYPE_SHIFT) & PV_USBIF_PIPE_TYPE_MASK)

#define PV_USBIF_MAX_SEGMENTS_PER_REQUEST 16
#define PV_USBIF_MAX_PORTNR               31
/* Bytes of each ring (one page). */
#define PV_USBIF_RING_SIZE 4096

/* transfer_flags */
#define PV_USBIF_SHORT_NOT_OK 0x0001u

/* urb response status (negative Linux errno values). */
#define PV_USBIF_STATUS_OK       0
#define PV_USBIF_STATUS_NODEV    (-19)
#define PV_USBIF_STATUS_INVAL    (-22)
#define PV_USBIF_STATUS_STALL    (-32)
#define PV_USBIF_STATUS_IOERROR  (-71)
#define PV_USBIF_STATUS_BABBLE   (-75)
#define PV_USBIF_STATUS_SHUTDOWN (-108)

/* conn response speed. */
#define PV_USBIF_SPEED_NONE 0 /* unplugged */
#define PV_USBIF_SPEED_LOW  1
#define PV_USBIF_SPEED_FULL 2
#define PV_USBIF_SPEED_HIGH 3

struct pv_usbif_request_segment {
	pv_grant_ref_t gref;
	uint16_t offset; /* in the page */
	uint16_t length; /* bytes in the page */
};

struct pv_usbif_urb_request {
	uint16_t id;
	uint16_t nr_buffer_segs;
	uint32_t pipe;
	uint16_t transfer_flags;
	uint16_t buffer_length;
	union {
		uint8_t ctrl[8]; /* the setup packet */
		struct {
			uint16_t interval;
			uint16_t start_frame;
			uint16_t number_of_packets;
			uint16_t nr_frame_desc_segs;
		} isoc;
		struct {
			uint16_t interval;
			uint16_t _pad[3];
		} intr;
		struct {
			uint16_t unlink_id; /* id of the request to cancel */
			uint16_t _pad[3];
		} unlink;
	} u;
	struct pv_usbif_request_segment seg[PV_USBIF_MAX_SEGMENTS_PER_REQUEST];
};

struct pv_usbif_urb_response {
	uint16_t id;
	uint16_t start_frame;  /* isochronous only */
	int32_t status;        /* PV_USBIF_STATUS_* */
	int32_t actual_length; /* bytes transferred */
	int32_t error_count;   /* isochronous only */
};

struct pv_usbif_conn_request {
	uint16_t id;
};

struct pv_usbif_conn_response {
	uint16_t id;
	uint8_t portnum; /* 1..PV_USBIF_MAX_PORTNR */
	uint8_t speed;   /* PV_USBIF_SPEED_* */
};

union pv_usbif_urb_sring_entry {
	struct pv_usbif_urb_request req;
	struct pv_usbif_urb_response rsp;
};

union pv_usbif_conn_sring_entry {
	struct pv_usbif_conn_request req;
	struct pv_usbif_conn_response rsp;
};

#define PV_USBIF_URB_RING_SIZE(pages) PV_RING_SIZE((pages), sizeof(union pv_usbif_urb_sring_entry))
#define PV_USBIF_CONN_RING_SIZE(pages)                                                             \
	PV_RING_SIZE((pages), sizeof(union pv_usbif_conn_sring_entry))

_Static_assert(sizeof(struct pv_usbif_request_segment) == 8, "usbif segment");
_Static_assert(sizeof(struct pv_usbif_urb_request) == 148, "usbif urb request");
_Static_assert(sizeof(struct pv_usbif_urb_response) == 16, "usbif urb response");
_Static_assert(sizeof(struct pv_usbif_conn_response) == 4, "usbif conn response");

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Wire ABI: the xenstore protocol (Xen's io/xs_wire.h layout and values),
 * spoken by pvkit-xenstored and every libxenstore client.
 *
 * Each message, in either direction, is a 16-byte header followed by @len
 * payload bytes (at most PV_XS_PAYLOAD_MAX; a peer that announces more is
 * disconnected). All fields are host byte order (sockets and rings never
 * cross an endianness boundary).
 *
 *   offset  size  field
 *   0       4     type    enum pv_xs_type
 *   4       4     req_id  chosen by the client, echoed in the reply
 *   8       4     tx_id   transaction id, 0 outside a transaction
 *   12      4     len     payload bytes that follow
 *
 * Payloads are mostly NUL-terminated strings; see the request table in
 * platform/local/xenstored/ops.c. An error reply has type PV_XS_ERROR and
 * carries the errno's *name* ("ENOENT\0"), never its number.
 */
#ifndef PVKIT_PROTO_XS_WIRE_H
#define PVKIT_PROTO_XS_WIRE_H

#include <stdint.h>

enum pv_xs_type {
	PV_XS_CONTROL = 0, /* formerly DEBUG */
	PV_XS_DIRECTORY = 1,
	PV_XS_READ = 2,
	PV_XS_GET_PERMS = 3,
	PV_XS_WATCH = 4,
	PV_XS_UNWATCH = 5,
	PV_XS_TRANSACTION_START = 6,
	PV_XS_TRANSACTION_END = 7,
	PV_XS_INTRODUCE = 8,
	PV_XS_RELEASE = 9,
	PV_XS_GET_DOMAIN_PATH = 10,
	PV_XS_WRITE = 11,
	PV_XS_MKDIR = 12,
	PV_XS_RM = 13,
	PV_XS_SET_PERMS = 14,
	PV_XS_WATCH_EVENT = 15,
	PV_XS_ERROR = 16,
	PV_XS_IS_DOMAIN_INTRODUCED = 17,
	PV_XS_RESUME = 18,
	PV_XS_SET_TARGET = 19,
	/* 20 was RESTRICT, removed from the protocol */
	PV_XS_RESET_WATCHES = 21,
	PV_XS_DIRECTORY_PART = 22,
	PV_XS_TYPE_COUNT = 23,
	PV_XS_INVALID = 0xffff, /* never a valid type */
};

struct pv_xs_msg_hdr {
	uint32_t type;
	uint32_t req_id;
	uint32_t tx_id;
	uint32_t len;
};

/* Payload limit in both directions. */
#define PV_XS_PAYLOAD_MAX 4096
/* Longest absolute path; a relative path (under /local/domain/<id>) is held to 2048. */
#define PV_XS_ABS_PATH_MAX 3072
#define PV_XS_REL_PATH_MAX 2048

/* Fields of a WATCH_EVENT payload: <path>\0<token>\0 */
enum pv_xs_watch_field {
	PV_XS_WATCH_PATH = 0,
	PV_XS_WATCH_TOKEN = 1,
};

/*
 * The errors that travel on the wire, by name, in the protocol's order
 * (new ones go at the end). X(name) is expanded once per errno name; the
 * user includes <errno.h> to turn names into numbers.
 */
#define PV_XS_ERRORS(X)                                                                            \
	X(EINVAL)                                                                                  \
	X(EACCES)                                                                                  \
	X(EEXIST)                                                                                  \
	X(EISDIR)                                                                                  \
	X(ENOENT)                                                                                  \
	X(ENOMEM)                                                                                  \
	X(ENOSPC)                                                                                  \
	X(EIO)                                                                                     \
	X(ENOTEMPTY)                                                                               \
	X(ENOSYS)                                                                                  \
	X(EROFS)                                                                                   \
	X(EBUSY)                                                                                   \
	X(EAGAIN)                                                                                  \
	X(EISCONN)                                                                                 \
	X(E2BIG)                                                                                   \
	X(EPERM)

/* Modes of WRITE-like requests (historic; sent by no current client). */
#define PV_XS_WRITE_NONE        "NONE"
#define PV_XS_WRITE_CREATE      "CREATE"
#define PV_XS_WRITE_CREATE_EXCL "CREATE|EXCL"

/*
 * The shared-page interface of a domain's xenstore ring (for the xen
 * platform; the local platform uses a UNIX socket per domain instead).
 *
 *   offset  size  field
 *   0       1024  req     requests, client -> daemon
 *   1024    1024  rsp     replies and watch events, daemon -> client
 *   2048    4     req_cons
 *   2052    4     req_prod
 *   2056    4     rsp_cons
 *   2060    4     rsp_prod
 *   2064    4     server_features  PV_XS_SERVER_FEATURE_*
 *   2068    4     connection       PV_XS_CONNECTED / PV_XS_RECONNECT
 *   2072    4     error            PV_XS_ERROR_*
 */
#define PV_XS_RING_SIZE 1024
typedef uint32_t pv_xs_ring_idx_t;
#define PV_XS_MASK_IDX(idx) ((idx) & (PV_XS_RING_SIZE - 1))

struct pv_xs_domain_interface {
	char req[PV_XS_RING_SIZE];
	char rsp[PV_XS_RING_SIZE];
	pv_xs_ring_idx_t req_cons, req_prod;
	pv_xs_ring_idx_t rsp_cons, rsp_prod;
	uint32_t server_features;
	uint32_t connection;
	uint32_t error;
};

#define PV_XS_SERVER_FEATURE_RECONNECTION 1
#define PV_XS_SERVER_FEATURE_ERROR        2
#define PV_XS_CONNECTED                   0
#define PV_XS_RECONNECT                   1
#define PV_XS_ERROR_NONE                  0
#define PV_XS_ERROR_COMM                  1
#define PV_XS_ERROR_RINGIDX               2
#define PV_XS_ERROR_PROTO                 3

#endif

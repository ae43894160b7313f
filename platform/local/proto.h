/* SPDX-License-Identifier: MIT */
/*
 * The pvkitd wire protocol (private to platform/local): one SOCK_SEQPACKET
 * message per request, reply or event, fds passed with SCM_RIGHTS.
 *
 * Every message is a struct pvkitd_hdr followed by exactly @len payload
 * bytes. A client sends one request and waits for the reply with the same
 * @op; pvkitd may interleave events (op >= PVKITD_EV_BASE) on connections
 * that asked for them. The socket a client connected to is its identity:
 * <rundir>/pvkitd.sock is domain 0, <rundir>/dom/<N>/pvkitd.sock domain N.
 * Nothing in a message claims a domid for the sender.
 */
#ifndef PVKIT_LOCAL_PROTO_H
#define PVKIT_LOCAL_PROTO_H

#include <stdint.h>

#define PVKITD_MSG_MAX  (64u * 1024u)
#define PVKITD_MAX_FDS  2
#define PVKITD_NAME_MAX 64

enum pvkitd_op {
	PVKITD_HELLO = 1,         /* -> pvkitd_hello_rep (+ memfd, gntfd if !PVKITD_HELLO_NOFDS) */
	PVKITD_HOLD,              /* this connection holds the domain's life */
	PVKITD_LEASE_PAGES,       /* pvkitd_lease -> pvkitd_lease (first page) */
	PVKITD_LEASE_REFS,        /* pvkitd_lease -> pvkitd_lease (first ref) */
	PVKITD_GET_MEM,           /* pvkitd_mem_req -> pvkitd_mem_rep + memfd */
	PVKITD_MAP,               /* pvkitd_map_item[] -> pvkitd_map_res[] (flags PVKITD_MAP_ALL) */
	PVKITD_UNMAP,             /* pvkitd_unmap_req + handles -> status */
	PVKITD_EVT_ALLOC_UNBOUND, /* pvkitd_evt_req -> pvkitd_evt_rep + wake, notify fds */
	PVKITD_EVT_BIND,          /* pvkitd_evt_req -> pvkitd_evt_rep + wake, notify fds */
	PVKITD_EVT_UNBIND,        /* pvkitd_evt_req (port) -> status */
	PVKITD_DOM_CREATE,        /* domain 0 only: pvkitd_create_req -> pvkitd_domid */
	PVKITD_DOM_DESTROY,       /* domain 0 only: pvkitd_domid -> status */
	PVKITD_DOM_LIST,          /* domain 0 only: -> pvkitd_dom_info[] */
	PVKITD_DOM_WATCH,         /* domain 0 only: send PVKITD_EV_DEATH on this connection */
	PVKITD_DOM_MEM,           /* domain 0 only: pvkitd_domid -> pvkitd_mem_rep + memfd */
	PVKITD_DOM_STATS,         /* domain 0 only: -> pvkitd_dom_stats[] */
	PVKITD_OP_MAX,
	PVKITD_EV_BASE = 0x100,
	PVKITD_EV_PORT_CLOSED = PVKITD_EV_BASE, /* pvkitd_evt_req (local port) */
	PVKITD_EV_DEATH,                        /* pvkitd_domid */
};

struct pvkitd_hdr {
	uint32_t op;
	int32_t status; /* replies: 0 or -errno */
	uint32_t len;   /* payload bytes after this header */
	uint32_t flags; /* op-specific */
};

#define PVKITD_HELLO_NOFDS 1u /* HELLO flags: an event-channel connection */

struct pvkitd_hello_rep {
	uint64_t gen; /* incarnation of this domain (never reused) */
	uint32_t domid;
	uint32_t mem_pages; /* size of the memfd in 4096-byte frames */
	uint32_t nr_refs;   /* grant-table entries */
	uint32_t pad;
};

struct pvkitd_lease {
	uint32_t first; /* reply */
	uint32_t count;
};

struct pvkitd_domid {
	uint32_t domid;
	uint32_t pad;
};

struct pvkitd_mem_rep {
	uint64_t gen;
	uint32_t mem_pages;
	uint32_t pad;
};

#define PVKITD_MAP_ALL 1u /* flags: all or nothing (map); else per item (copy) */

struct pvkitd_map_item {
	uint32_t ref;
	uint16_t domid; /* granting domain */
	uint16_t writable;
};

struct pvkitd_map_res {
	int32_t status;  /* 0 or -errno */
	uint32_t handle; /* pass to PVKITD_UNMAP */
	uint32_t frame;  /* the frame the entry named when it was pinned */
	uint32_t pad;
	uint64_t gen; /* the granting domain's incarnation (for PVKITD_GET_MEM) */
};

/* PVKITD_GET_MEM: allowed only while the caller pins a grant of that incarnation. */
struct pvkitd_mem_req {
	uint32_t domid;
	uint32_t pad;
	uint64_t gen;
};

struct pvkitd_unmap_req {
	uint32_t count;
	uint32_t pad;
	/* uint32_t handles[count] follow */
};

struct pvkitd_evt_req {
	uint32_t remote; /* domid */
	uint32_t port;   /* remote port (bind), own port (unbind, events) */
};

struct pvkitd_evt_rep {
	uint32_t port;
	uint32_t pad;
};

struct pvkitd_create_req {
	uint64_t mem_bytes;
	char name[PVKITD_NAME_MAX];
};

struct pvkitd_dom_info {
	uint64_t mem_bytes;
	int64_t created; /* CLOCK_REALTIME seconds */
	uint32_t domid;
	uint32_t state; /* PV_LOCAL_RUNNING, PV_LOCAL_DYING */
	char name[PVKITD_NAME_MAX];
};

/* What one domain holds (PVKITD_DOM_STATS), for leak checks and `pvkit host status -l`. */
struct pvkitd_dom_stats {
	uint32_t domid;
	uint32_t state;  /* PV_LOCAL_RUNNING, PV_LOCAL_DYING */
	uint64_t pinned; /* pins on this domain's grant entries, by any connection */
	uint64_t maps;   /* grant pins this domain's connections hold on others' entries */
	uint32_t ports;  /* event-channel ports in use (not free) */
	uint32_t conns;  /* connections speaking for this domain */
	uint32_t leases; /* page and reference leases of those connections */
	uint32_t pad;
};

/* Message I/O on a SEQPACKET socket (wire.c). */

/* Send @hdr (len filled from @len) + @payload with up to PVKITD_MAX_FDS fds. 0 or -errno. */
int pvkitd_send(int sock, uint32_t op, int32_t status, uint32_t flags, const void *payload,
                uint32_t len, const int *fds, unsigned int nfds);
/*
 * Receive one message into @buf (PVKITD_MSG_MAX bytes, header first). Returns
 * the payload length or -errno (-EPIPE at end of stream, -EPROTO when the
 * message is truncated or its length field lies). Received fds go to @fds
 * (*@nfds on input is the room, on output the count); extra fds are closed.
 * @flags is passed to recvmsg (MSG_DONTWAIT).
 */
int pvkitd_recv(int sock, void *buf, int *fds, unsigned int *nfds, int flags);

#endif

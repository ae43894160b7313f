/* SPDX-License-Identifier: MIT */
/*
 * Private to the NBD export (frontends/blk/nbd-*.c): the NBD wire constants
 * (values from the NBD protocol, doc/proto.md) and the server's own types.
 */
#ifndef PVKIT_FRONTENDS_BLK_NBD_H
#define PVKIT_FRONTENDS_BLK_NBD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvkit/log.h"
#include "pvkit/nbd.h"

/* ---- wire: handshake (all integers big-endian) ---------------------------- */
#define NBD_MAGIC_INIT      0x4e42444d41474943ull /* "NBDMAGIC" */
#define NBD_MAGIC_OPT       0x49484156454f5054ull /* "IHAVEOPT" */
#define NBD_MAGIC_OPT_REPLY 0x3e889045565a9ull

#define NBD_FLAG_FIXED_NEWSTYLE   (1u << 0) /* handshake flags (server) */
#define NBD_FLAG_NO_ZEROES        (1u << 1)
#define NBD_FLAG_C_FIXED_NEWSTYLE (1u << 0) /* client flags */
#define NBD_FLAG_C_NO_ZEROES      (1u << 1)

#define NBD_OPT_EXPORT_NAME      1
#define NBD_OPT_ABORT            2
#define NBD_OPT_LIST             3
#define NBD_OPT_STARTTLS         5
#define NBD_OPT_INFO             6
#define NBD_OPT_GO               7
#define NBD_OPT_STRUCTURED_REPLY 8

#define NBD_REP_ACK             1u
#define NBD_REP_SERVER          2u
#define NBD_REP_INFO            3u
#define NBD_REP_ERR_UNSUP       (0x80000000u + 1)
#define NBD_REP_ERR_POLICY      (0x80000000u + 2)
#define NBD_REP_ERR_INVALID     (0x80000000u + 3)
#define NBD_REP_ERR_UNKNOWN     (0x80000000u + 6)
#define NBD_REP_ERR_TOO_BIG     (0x80000000u + 9)

#define NBD_INFO_EXPORT      0
#define NBD_INFO_NAME        1
#define NBD_INFO_DESCRIPTION 2
#define NBD_INFO_BLOCK_SIZE  3

/* Transmission flags. */
#define NBD_FLAG_HAS_FLAGS         (1u << 0)
#define NBD_FLAG_READ_ONLY         (1u << 1)
#define NBD_FLAG_SEND_FLUSH        (1u << 2)
#define NBD_FLAG_SEND_FUA          (1u << 3)
#define NBD_FLAG_ROTATIONAL        (1u << 4)
#define NBD_FLAG_SEND_TRIM         (1u << 5)
#define NBD_FLAG_SEND_WRITE_ZEROES (1u << 6)
#define NBD_FLAG_SEND_DF           (1u << 7)
#define NBD_FLAG_CAN_MULTI_CONN    (1u << 8)

/* ---- wire: transmission ----------------------------------------------------- */
#define NBD_MAGIC_REQUEST      0x25609513u
#define NBD_MAGIC_SIMPLE_REPLY 0x67446698u
#define NBD_MAGIC_STRUCT_REPLY 0x668e33efu

#define NBD_REQUEST_SIZE 28 /* magic 4, flags 2, type 2, cookie 8, offset 8, length 4 */
#define NBD_SIMPLE_REPLY_SIZE 16
#define NBD_STRUCT_REPLY_SIZE 20

#define NBD_CMD_READ         0
#define NBD_CMD_WRITE        1
#define NBD_CMD_DISC         2
#define NBD_CMD_FLUSH        3
#define NBD_CMD_TRIM         4
#define NBD_CMD_WRITE_ZEROES 6

#define NBD_CMD_FLAG_FUA       (1u << 0)
#define NBD_CMD_FLAG_NO_HOLE   (1u << 1)
#define NBD_CMD_FLAG_DF        (1u << 2)

#define NBD_REPLY_FLAG_DONE        (1u << 0)
#define NBD_REPLY_TYPE_NONE        0
#define NBD_REPLY_TYPE_OFFSET_DATA 1
#define NBD_REPLY_TYPE_ERROR       ((1u << 15) + 1)

/* NBD error values (a fixed subset of Linux errno numbers). */
#define NBD_EPERM     1
#define NBD_EIO       5
#define NBD_ENOMEM    12
#define NBD_EINVAL    22
#define NBD_ENOSPC    28
#define NBD_EOVERFLOW 75
#define NBD_ENOTSUP   95 /* only for NBD_CMD_FLAG_FAST_ZERO, not offered */
#define NBD_ESHUTDOWN 108

/* ---- server internals ----------------------------------------------------- */
/* Option data larger than this ends the connection (a client denying service). */
#define NBD_OPT_MAX_DATA 8192
/* Options allowed before transmission: a client looping on options is cut off. */
#define NBD_OPT_MAX_COUNT 256
/* Bytes a connection may hold in request buffers (in flight plus unsent replies). */
#define NBD_CONN_BUDGET (64u << 20)
/* Bytes all connections together may hold: past it, every connection pauses. */
#define NBD_SERVER_BUDGET (256u << 20)
/* Requests a connection may have outstanding, replied or not (zero-payload ones included). */
#define NBD_CONN_MAX_IOS 1024
/* Receive buffer: request headers, option data and small write payloads. */
#define NBD_INBUF_SIZE (64u << 10)

struct pv_nbd_server;
struct nbd_conn;

/* One request, from its header to its last reply byte. */
struct pv_nbd_io {
	struct nbd_conn *conn;
	struct pv_nbd_io *next;   /* completion queue, then the reply queue */
	uint64_t cookie;
	uint64_t offset;
	uint32_t len;
	uint16_t cmd;             /* NBD_CMD_* */
	uint16_t flags;           /* NBD_CMD_FLAG_* */
	int status;               /* 0 or -errno from the device */
	bool flush_after;         /* FUA emulated by a flush once the write completes */
	void *buf;                /* READ / WRITE data, len bytes; NULL otherwise */
	bool dev_buf;             /* buf came from the device's buf_alloc() */
	uint8_t hdr[32];          /* reply header (and structured payload prefix) */
	uint32_t hdr_len;
	uint32_t data_len;        /* payload bytes after hdr in the reply */
	uint64_t sent;            /* reply bytes sent so far */
};

enum nbd_conn_state {
	NBD_ST_CLIENT_FLAGS, /* handshake sent, waiting for the client's 32-bit flags */
	NBD_ST_OPTION,       /* option haggling */
	NBD_ST_REQUEST,      /* transmission: waiting for a request header */
	NBD_ST_PAYLOAD,      /* transmission: reading a write payload into io->buf */
	NBD_ST_DISCARD,      /* transmission: dropping the payload of a refused write */
	NBD_ST_CLOSING,      /* DISC, ABORT or error: no more input; close when drained */
};

struct nbd_conn {
	int kind;                       /* NBD_EP_CONN (first: epoll tag) */
	int fd;
	struct pv_nbd_server *srv;
	struct nbd_conn *next_conn;     /* server's connection list */
	struct nbd_conn *next_dirty;    /* connections with replies to send */
	bool dirty;
	bool dead;                      /* socket closed; freed when inflight reaches 0 */
	bool eof;                       /* client hung up: no longer polled */
	enum nbd_conn_state state;
	uint32_t epoll_events;          /* events currently registered */
	bool no_zeroes;
	bool structured;
	unsigned int options;           /* options seen (NBD_OPT_MAX_COUNT) */
	unsigned int inflight;          /* requests at the device */
	uint64_t held;                  /* bytes of request buffers held (NBD_CONN_BUDGET) */
	unsigned int nios;              /* requests from header to last reply byte (NBD_CONN_MAX_IOS) */
	uint8_t *in;                    /* NBD_INBUF_SIZE bytes */
	uint32_t in_start, in_end;      /* unconsumed input in[in_start..in_end) */
	struct pv_nbd_io *cur;          /* request whose payload is being read (or dropped) */
	uint32_t cur_got;               /* payload bytes of cur read so far */
	uint64_t discard;               /* payload bytes still to drop */
	uint32_t cur_err;               /* NBD error owed to cur once its payload is dropped */
	uint8_t *out;                   /* handshake output (bytes) */
	uint32_t out_len, out_sent, out_cap;
	struct pv_nbd_io *rq_head, *rq_tail; /* replies to send, in completion order */
	uint64_t rq_bytes;              /* unsent bytes of those replies */
	char name[24];                  /* log prefix "nbd-<n>" */
};

enum { NBD_EP_LISTEN = 1, NBD_EP_COMPLETIONS, NBD_EP_STOP, NBD_EP_DEVICE, NBD_EP_CONN };

struct pv_nbd_server {
	struct pv_nbd_dev_info info;
	const struct pv_nbd_dev_ops *ops;
	void *opaque;
	char *socket_path;
	char *export_name;
	char *description;
	char *prefix;
	unsigned int max_clients;
	unsigned int nclients;
	unsigned int next_id;
	int epfd;
	int listen_kind, listen_fd;
	int cq_kind, cq_fd;             /* eventfd: the completion queue is non-empty */
	int stop_kind, stop_fd;         /* eventfd: pv_nbd_server_stop() was called */
	bool stopping;
	bool submitted;                 /* kick() owed after this round */
	unsigned int inflight;          /* requests at the device, all connections */
	uint64_t held;                  /* request buffer bytes, all connections (NBD_SERVER_BUDGET) */
	bool unpause;                   /* held fell below the budget: resume paused connections */
	pthread_mutex_t cq_lock;
	struct pv_nbd_io *cq_head, *cq_tail;
	struct pv_nbd_io *lq_head, *lq_tail; /* completed on the loop thread (no lock) */
	int dev_kind, dev_fd;           /* the device's poll_fd(), or -1 */
	struct nbd_conn *conns;
	struct nbd_conn *dirty;
	struct pv_ratelimit rl;         /* peer-triggered warnings */
};

/* nbd-server.c: output and connection helpers used by the handshake. */
int nbd_out_append(struct nbd_conn *c, const void *data, size_t len);
void nbd_conn_close(struct nbd_conn *c);
uint16_t nbd_transmission_flags(const struct nbd_conn *c);

void nbd_io_free(struct pv_nbd_io *io);
/* Give @io's data memory back (budget and device buffer) before @io itself goes. */
void nbd_io_free_buf(struct pv_nbd_io *io);
/* Data memory for @io (io->len bytes): the device's, or malloc'd (zeroed if @zero). */
int nbd_io_buf(struct pv_nbd_io *io, bool zero);
/* Account @len bytes of request buffer to @c (released by nbd_io_free()). */
void nbd_hold(struct nbd_conn *c, uint32_t len);
void nbd_mark_dirty(struct nbd_conn *c);
/* The connection reads input: not closing, not stopping, not over its budget. */
bool nbd_input_wanted(const struct nbd_conn *c);

/* nbd-transmit.c */
/* Device status (0 or -errno) to an NBD error value. */
uint32_t nbd_errno(int status);
/* Build the reply to @io with NBD error @err and queue it. */
void nbd_reply(struct nbd_conn *c, struct pv_nbd_io *io, uint32_t err);
/* Hand a validated request to the device. */
void nbd_submit(struct nbd_conn *c, struct pv_nbd_io *io);
/* Consume buffered transmission input; stops when more input is needed. */
void nbd_transmission_input(struct nbd_conn *c);

/* nbd-handshake.c */
int nbd_handshake_start(struct nbd_conn *c);
/* Consume handshake input; returns 0 (continue), or -errno (close the connection). */
int nbd_handshake_input(struct nbd_conn *c);

/* Big-endian helpers. */
static inline void nbd_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}
static inline void nbd_put32(uint8_t *p, uint32_t v)
{
	nbd_put16(p, v >> 16);
	nbd_put16(p + 2, v);
}
static inline void nbd_put64(uint8_t *p, uint64_t v)
{
	nbd_put32(p, v >> 32);
	nbd_put32(p + 4, v);
}
static inline uint16_t nbd_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t nbd_get32(const uint8_t *p)
{
	return (uint32_t)nbd_get16(p) << 16 | nbd_get16(p + 2);
}
static inline uint64_t nbd_get64(const uint8_t *p)
{
	return (uint64_t)nbd_get32(p) << 32 | nbd_get32(p + 4);
}

#endif

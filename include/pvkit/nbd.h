/* SPDX-License-Identifier: MIT */
/*
 * The guest-facing NBD export: an NBD server on a UNIX socket in front of
 * any block device that implements struct pv_nbd_dev_ops (blkfront, a file).
 *
 * The server speaks fixed newstyle NBD (NBD_OPT_GO / INFO / LIST / ABORT /
 * STRUCTURED_REPLY, the NBD_OPT_EXPORT_NAME fallback) and serves READ,
 * WRITE (FUA), FLUSH, TRIM, WRITE_ZEROES and DISC, with many requests in
 * flight per client and replies in completion order. Clients are hostile:
 * every request is validated before the device sees it.
 *
 * Threading: one event-loop thread runs pv_nbd_server_run() (or calls
 * pv_nbd_server_dispatch()); the device's submit() and kick() are called
 * on that thread. pv_nbd_complete() and pv_nbd_server_stop() may be called
 * from any thread.
 */
#ifndef PVKIT_NBD_H
#define PVKIT_NBD_H

#include <stdint.h>

/* Operations the server asks of the device. */
enum pv_nbd_op {
	PV_NBD_OP_READ = 0,         /* fill buf[0..len) from offset */
	PV_NBD_OP_WRITE = 1,        /* write buf[0..len) at offset */
	PV_NBD_OP_FLUSH = 2,        /* make every completed write durable; offset, len 0 */
	PV_NBD_OP_TRIM = 3,         /* discard [offset, offset+len) (a hint); buf NULL */
	PV_NBD_OP_WRITE_ZEROES = 4, /* [offset, offset+len) reads back zero; buf NULL */
};

/* Per-request flags passed to submit(). */
#define PV_NBD_F_FUA     (1u << 0) /* WRITE / WRITE_ZEROES / TRIM: durable before completion */
#define PV_NBD_F_NO_HOLE (1u << 1) /* WRITE_ZEROES: keep the range allocated (no hole punch) */

/* Device capabilities (struct pv_nbd_dev_info.flags). */
#define PV_NBD_DEV_READ_ONLY    (1u << 0) /* export read-only: writes fail with EPERM */
#define PV_NBD_DEV_FLUSH        (1u << 1) /* PV_NBD_OP_FLUSH works (FUA is emulated by a flush) */
#define PV_NBD_DEV_FUA          (1u << 2) /* submit() honours PV_NBD_F_FUA itself (needs FLUSH) */
#define PV_NBD_DEV_TRIM         (1u << 3) /* PV_NBD_OP_TRIM works */
#define PV_NBD_DEV_WRITE_ZEROES (1u << 4) /* PV_NBD_OP_WRITE_ZEROES works */
#define PV_NBD_DEV_MULTI_CONN   (1u << 5) /* a flush covers writes completed on every connection */
#define PV_NBD_DEV_ROTATIONAL   (1u << 6) /* spinning disk: clients may sort requests */
/*
 * Not told to clients: kick() never completes a request itself (completions
 * come later, through poll_fd()), so the server does not call poll() right
 * after kick() (a device whose poll() costs system calls saves them).
 */
#define PV_NBD_DEV_ASYNC_KICK   (1u << 7)

/* Largest request the server accepts (larger ones get EINVAL). */
#define PV_NBD_MAX_REQUEST (32u << 20)

/* What the server tells clients about the device. */
struct pv_nbd_dev_info {
	uint64_t size;        /* bytes; a multiple of sector_size */
	uint32_t sector_size; /* power of two, 512..65536: the minimum block size */
	uint32_t max_request; /* largest request in bytes (0: PV_NBD_MAX_REQUEST) */
	uint32_t flags;       /* PV_NBD_DEV_* */
};

/* One request in flight: an opaque cookie to hand back to pv_nbd_complete(). */
struct pv_nbd_io;

/*
 * A block device behind the server. @opaque is the pointer given to
 * pv_nbd_server_new().
 */
struct pv_nbd_dev_ops {
	/*
	 * Start one request. The request is already validated: offset and len
	 * are multiples of the sector size, inside the device, len <=
	 * max_request (0 for FLUSH; a TRIM or WRITE_ZEROES may be longer, up
	 * to the device size or 4 GiB - 1), and op is one the device supports. For
	 * READ the device fills every byte of @buf on success; for WRITE it
	 * reads @buf. @buf stays valid until completion.
	 * The device calls pv_nbd_complete(@io, status) exactly once, from any
	 * thread, possibly before submit() returns. Called on the loop thread.
	 */
	void (*submit)(void *opaque, struct pv_nbd_io *io, enum pv_nbd_op op, uint64_t offset,
		       uint32_t len, void *buf, uint32_t flags);
	/*
	 * Optional. Called on the loop thread after a batch of submit() calls:
	 * a device may queue requests in submit() and start them here (one
	 * ring notification, one thread wake-up for the batch). A device that
	 * has it must start every queued request no later than this call.
	 */
	void (*kick)(void *opaque);
	/*
	 * Optional, together: a device that completes requests on the loop
	 * thread (an io_uring, an event channel) gives a file descriptor the
	 * server polls, and poll() reaps completions (calling
	 * pv_nbd_complete(), cheaply, from the loop thread). poll() runs when
	 * the descriptor is readable and after every kick() (unless the device
	 * has PV_NBD_DEV_ASYNC_KICK); it must not block.
	 * poll_fd() is called once, by pv_nbd_server_new().
	 */
	int (*poll_fd)(void *opaque);
	void (*poll)(void *opaque);
	/*
	 * Optional, together: memory for the data of a READ or WRITE of @len
	 * bytes that the device moves without a copy (blkfront's granted
	 * pages). The server receives WRITE payloads into it and sends READ
	 * data out of it; its contents need not be initialised (READ fills
	 * every byte on success; on failure nothing of it is sent). NULL:
	 * the server uses malloc'd memory. Both on the loop thread;
	 * buf_free() gets the @len given to buf_alloc().
	 */
	void *(*buf_alloc)(void *opaque, uint32_t len);
	void (*buf_free)(void *opaque, void *buf, uint32_t len);
};

/*
 * Complete @io with @status: 0, or -errno (-EIO, -ENOSPC, -EPERM, ...: mapped
 * to NBD's error values). Any thread. @io must not be touched afterwards.
 */
void pv_nbd_complete(struct pv_nbd_io *io, int status);

/* Server settings. Zero-initialise, then set what you need. */
struct pv_nbd_server_config {
	const char *socket_path; /* UNIX socket to listen on (required; replaced if stale) */
	const char *export_name; /* advertised by NBD_OPT_LIST; NULL: "" */
	const char *description; /* NBD_INFO_DESCRIPTION; NULL: none */
	const char *log_prefix;  /* prefix of log lines; NULL: "nbd" */
	unsigned int max_clients; /* 0: 64; further clients are refused */
};

struct pv_nbd_server;

/*
 * Create a server and start listening on @cfg->socket_path (the socket
 * exists when this returns). @ops and @opaque must outlive the server.
 * Returns 0 and sets *@out, or -errno (-EINVAL: bad @info or config).
 */
int pv_nbd_server_new(const struct pv_nbd_server_config *cfg, const struct pv_nbd_dev_info *info,
		      const struct pv_nbd_dev_ops *ops, void *opaque, struct pv_nbd_server **out);

/*
 * Run the event loop until pv_nbd_server_stop(). On stop, clients are
 * disconnected and the call returns once every request submitted to the
 * device has completed. Returns 0 or -errno (a failing epoll).
 */
int pv_nbd_server_run(struct pv_nbd_server *srv);

/*
 * For callers with their own loop: a file descriptor that becomes readable
 * when pv_nbd_server_dispatch() has work, and one non-blocking round of
 * that work. dispatch returns 0, 1 once stopped and drained, or -errno.
 */
int pv_nbd_server_fd(const struct pv_nbd_server *srv);
int pv_nbd_server_dispatch(struct pv_nbd_server *srv);

/* Ask the loop to stop. Any thread; async-signal-safe. */
void pv_nbd_server_stop(struct pv_nbd_server *srv);

/*
 * Free the server and remove its socket. The loop must not be running and
 * no request may be in flight (true once pv_nbd_server_run() returned).
 */
void pv_nbd_server_free(struct pv_nbd_server *srv);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * blkfront: the guest half of a para-virtual disk (vbd). Opens a vbd by its
 * xenstore directory, negotiates blkif features with the backend and runs
 * asynchronous read/write/flush/discard requests with completion callbacks.
 *
 * Negotiated as Linux's xen-blkfront does: multi-page rings
 * (ring-page-order, ring-refN), multi-queue (multi-queue-num-queues,
 * queue-N/), persistent grants (feature-persistent), indirect descriptors
 * (feature-max-indirect-segments), flush (feature-flush-cache) and discard
 * (feature-discard); protocol is the native ABI string.
 *
 * Data always moves through the frontend's own pool of granted pages
 * (bounce buffers, or buffers taken from the pool with
 * pv_blkfront_buf_alloc(), which need no copy): the backend never sees the
 * caller's memory nor any neighbouring memory (XSA-403). The backend is not trusted: response ids
 * are bounds-checked indices into a private table, statuses are checked,
 * and a broken backend makes requests fail with -EIO, never a crash or a
 * hang (a backend that answers nothing for io_timeout_ms fails them too). When the backend restarts (it asks for a reconnect with Closing,
 * then offers InitWait again), the frontend reconnects and re-issues every
 * request the old backend did not answer.
 *
 * Threading: a struct pv_blkfront belongs to one thread, the thread that
 * dispatches the struct pv_xs it was opened with. Completion callbacks run
 * from pv_blkfront_poll() (never from pv_blkfront_submit()).
 *
 * Event loop: poll pv_blkfront_fd() for POLLIN and call pv_blkfront_poll();
 * call pv_xs_dispatch() on the pv_xs when its fd is readable (the backend's
 * state watch, for reconnects); call pv_blkfront_kick() after a batch of
 * pv_blkfront_submit() calls.
 */
#ifndef PVKIT_BLKFRONT_H
#define PVKIT_BLKFRONT_H

#include <stddef.h>
#include <stdint.h>

#include "pvkit/busypoll.h" /* PV_BUSYPOLL_DEFAULT for opts.busypoll_ns */
#include "pvkit/platform.h"
#include "pvkit/xenbus.h"

struct pv_blkfront;

/* Options for pv_blkfront_open(). Zero-initialise: zero means "all the backend offers". */
struct pv_blkfront_opts {
	unsigned int max_queues;     /* queues wanted, 1..PV_BLKFRONT_MAX_QUEUES (0: 4) */
	unsigned int max_ring_order; /* cap on ring-page-order (0: 4, i.e. 16 pages) */
	unsigned int pool_pages;     /* granted bounce pages per queue (0: 1056, the persistent
				      * grants a backend keeps per ring; halved while memory lacks) */
	int no_persistent;           /* do not ask for persistent grants */
	int no_indirect;             /* never send INDIRECT requests */
	int single_page_ring;        /* use a 1-page ring (ring-ref) whatever the backend offers */
	int timeout_ms;              /* handshake wait (0: 10000) */
	int io_timeout_ms;           /* fail pending I/O with -EIO after this long without any
				      * completion (a dead backend never restarted; 0: 30000) */
	int busypoll_ns;             /* pv_blkfront_poll() polls the rings up to this long for
				      * the next responses before it returns (adaptive, see
				      * pvkit/busypoll.h). 0: never, the default: a caller with
				      * other fds to serve (the NBD export's sockets) must not be
				      * kept from them while the rings drain. For a thread that
				      * only does this disk's I/O; PV_BUSYPOLL_DEFAULT (-1):
				      * $PVKIT_BUSYPOLL_NS or 50000 */
};

#define PV_BLKFRONT_MAX_QUEUES 4

/* Operations for pv_blkfront_submit(). */
enum pv_blkfront_op {
	PV_BLKFRONT_READ = 0,    /* fill buf[0..len) from byte offset */
	PV_BLKFRONT_WRITE = 1,   /* write buf[0..len) at byte offset */
	PV_BLKFRONT_FLUSH = 2,   /* make every completed write durable (offset, len 0) */
	PV_BLKFRONT_DISCARD = 3, /* discard [offset, offset+len): reads back zeros; buf NULL */
	PV_BLKFRONT_WRITE_ZEROES = 4, /* write zeros to [offset, offset+len) (blkif has no such
				       * operation: WRITE requests of zeroed pages); buf NULL */
};

/* What the backend reported (valid once open returned). */
struct pv_blkfront_info {
	uint64_t sectors;       /* disk size in sector_size units */
	uint32_t sector_size;   /* logical sector size: 512 or 4096 */
	uint32_t physical_sector_size;
	int read_only;          /* mode "r" / info PV_VDISK_READONLY */
	int flush;              /* feature-flush-cache */
	int discard;            /* feature-discard */
	uint32_t discard_granularity; /* bytes */
	unsigned int queues;    /* rings in use */
	unsigned int ring_pages;      /* pages per ring */
	int persistent;         /* persistent grants in use */
	unsigned int max_segments;    /* segments per ring request (11, or the indirect limit) */
	uint32_t max_request;   /* largest request served in one ring request, bytes */
};

/* Completion: @status is 0 or -errno (-EIO: backend error or broken, -EOPNOTSUPP, -EROFS). */
typedef void (*pv_blkfront_done_fn)(void *opaque, int status);

/*
 * Open the vbd whose frontend directory is @fe_path
 * (/local/domain/<self>/device/vbd/<devid>): read backend and backend-id,
 * wait (up to opts->timeout_ms) for the backend's InitWait, grant the
 * pool and the rings, write the frontend nodes, wait for Connected and
 * read the geometry. @p and @xs must outlive the blkfront. Blocks; call
 * from the thread that owns @xs. Returns 0 and sets *@out, or -errno
 * (-ETIMEDOUT: the backend never answered; -ENOENT: no such device).
 */
int pv_blkfront_open(struct pv_platform *p, struct pv_xs *xs, const char *fe_path,
		     const struct pv_blkfront_opts *opts, struct pv_blkfront **out);

/*
 * Close: every request still pending completes with -ESHUTDOWN, the
 * frontend goes Closing then Closed (waiting briefly for the backend),
 * the rings and the pool are revoked (a page the backend still maps is
 * abandoned, never reused: XSA-396), and @bf is freed.
 */
void pv_blkfront_close(struct pv_blkfront *bf);

/* The geometry and features. */
const struct pv_blkfront_info *pv_blkfront_info(const struct pv_blkfront *bf);

/*
 * Queue one request. @offset and @len are bytes, multiples of
 * info.sector_size, inside the disk; @len may be larger than max_request
 * (split into several ring requests). @buf (READ, WRITE) stays valid until
 * @done runs. Returns 0 (@done will run exactly once, from
 * pv_blkfront_poll()), or -EINVAL / -EROFS / -EOPNOTSUPP / -ENOMEM
 * (@done will not run).
 */
int pv_blkfront_submit(struct pv_blkfront *bf, enum pv_blkfront_op op, uint64_t offset,
		       uint32_t len, void *buf, pv_blkfront_done_fn done, void *opaque);

/*
 * Zero-copy buffers: @len bytes (1..info.max_request) of contiguous pages
 * of the granted pool, page-aligned, for READ and WRITE requests that then
 * need no bounce copy. The pages are granted to the backend for as long as
 * the blkfront is open: the backend can read and write them at any time,
 * so put nothing in them but this disk's data (XSA-403: the pool only ever
 * holds data of I/O on this disk). Their contents are undefined (data of
 * earlier I/O). Returns NULL when no pool has a run that long left (each
 * keeps some pages back, so that bounced requests still get through); fall
 * back to ordinary memory then. Free with pv_blkfront_buf_free() (same @len),
 * never while a request using it is pending, and before closing @bf.
 */
void *pv_blkfront_buf_alloc(struct pv_blkfront *bf, uint32_t len);
void pv_blkfront_buf_free(struct pv_blkfront *bf, void *buf, uint32_t len);

/* Put queued requests on the rings and notify the backend once per ring. */
void pv_blkfront_kick(struct pv_blkfront *bf);

/* A file descriptor readable when pv_blkfront_poll() has work. */
int pv_blkfront_fd(const struct pv_blkfront *bf);

/*
 * Reap responses, run completions, refill the rings (requests the
 * completion callbacks submitted included). Never sleeps; with
 * opts.busypoll_ns, while requests are on the rings it polls them for the
 * next responses for a short, adaptive window (at most 1 ms, usually tens
 * of microseconds; zero once waits are long or the CPU is contended) and
 * handles those too, so that a busy disk costs neither side a wake-up.
 */
void pv_blkfront_poll(struct pv_blkfront *bf);

/*
 * Complete every pending request now with @status (their callbacks run
 * before this returns); new requests are still accepted. For a caller
 * that must stop waiting for a backend that does not answer.
 */
void pv_blkfront_fail_pending(struct pv_blkfront *bf, int status);

/* Requests submitted and not completed yet. */
unsigned int pv_blkfront_pending(const struct pv_blkfront *bf);

/* Times the frontend reconnected to a restarted backend. */
unsigned int pv_blkfront_reconnects(const struct pv_blkfront *bf);

/*
 * Wake-ups by a backend's notification that found no new response
 * (XSA-332/391): a run of them holds the channel masked for a back-off
 * (pvkit/evstorm.h), so a backend notifying in a loop costs one wake-up
 * per back-off.
 */
unsigned long long pv_blkfront_spurious(const struct pv_blkfront *bf);

/* ---- the NBD export of a vbd (include/pvkit/nbd.h) ------------------------------ */

struct pv_nbd_server;

/*
 * Serve @bf with an NBD server listening on @socket_path (export name
 * @name, may be NULL): READ, WRITE (FUA emulated by a flush), WRITE_ZEROES
 * (zeros written), FLUSH and TRIM when the backend offers them; read-only
 * when the vbd is. The
 * server completes requests on its own loop thread, which must be the
 * thread that owns @bf (run pv_nbd_server_dispatch() from the loop that
 * also dispatches @bf's pv_xs). Free the server before closing @bf.
 */
int pv_blkfront_nbd_export(struct pv_blkfront *bf, const char *socket_path, const char *name,
			   struct pv_nbd_server **out);

/*
 * The NBD export of vbd @devid in a guest run by pvkit-guest: the disk's
 * name in Xen's xvd numbering ("xvda" for 51712 = 202:0, "xvdb" for
 * 202:16, ...; the extended form 1 << 28 | disk << 8 too), "" for another
 * devid; its socket in the guest's run directory (DIR/dom/<domid>/) is
 * "<name>.sock", or "vbd-<devid>.sock" when the name is "". Truncated to
 * @len - 1 bytes.
 */
void pv_blkfront_disk_name(uint32_t devid, char *buf, size_t len);
void pv_blkfront_export_socket(uint32_t devid, char *buf, size_t len);

#endif

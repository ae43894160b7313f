/* SPDX-License-Identifier: MIT */
/*
 * pvkit-blkback datapath: one thread per queue consumes requests from the
 * shared ring, maps their grants and performs them through io_uring with
 * many requests in flight; completions become responses on the ring.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pvkit/arch.h"
#include "pvkit/gntpool.h"
#include "common.h"

/* io_uring user_data tags of the queue's own polls; requests use their pointer. */
#define TAG_EVTCHN ((uint64_t)2)
#define TAG_STOP   ((uint64_t)4)
#define TAG_BACKOFF ((uint64_t)6)
/*
 * A write to a file in memory longer than this (64 KiB) still goes through
 * io_uring: its worker (one per file) copies while the queue thread goes
 * on; done inline, the queue threads took turns on the file's lock for
 * the whole copy (1 MiB writes through the NBD export: 465-903 MiB/s
 * inline against 711-1604 before, interleaved at load ~10).
 */
#define INLINE_WRITE_SEGS 16
/* Low bit of a request's user_data: the fdatasync after its data. */
#define TAG_SYNC   ((uint64_t)1)

/* One request in flight. */
struct blk_inflight {
	struct blk_req req;
	struct blk_inflight *next_free;
	void *map;          /* one batch mapping of the non-persistent segments */
	unsigned int nmap;
	unsigned int pending; /* CQEs still to come */
	int16_t status;
	uint64_t expect;    /* bytes the read or write must move */
	struct iovec iov[BLK_MAX_INDIRECT_SEGS];
};

static struct io_uring *uring(struct blk_queue *q)
{
	return q->uring;
}

/* ---- persistent grants ---------------------------------------------------- */

/*
 * The page of persistent grant @ref: mapped writable on first use (it
 * serves reads and writes alike) and kept while the cache has room. NULL
 * means "map it with this request only" (cache full, or the grant does
 * not map writable: the batch map decides).
 */
static void *pgrant_get(struct blk_queue *q, pv_grant_ref_t ref)
{
	return pv_gnt_cache_map(q->pgrants, ref);
}

/* ---- responses ---------------------------------------------------------- */

static void io_unmap(struct blk_queue *q, struct blk_inflight *io)
{
	if (io->map)
		pv_gnt_unmap(q->vbd->d->plat, io->map, io->nmap);
	io->map = NULL;
	io->nmap = 0;
}

/*
 * The operation a response carries: an INDIRECT request is answered with
 * the READ or WRITE it carries, as Linux's xen-blkback does; Linux's
 * blkfront disables the disk on "response has wrong operation (6 instead
 * of 0)" otherwise (seen in tests/vm's Xen VM).
 */
static uint8_t rsp_op(const struct blk_req *r)
{
	if (r->wire_op == PV_BLKIF_OP_INDIRECT &&
	    (r->indirect_op == PV_BLKIF_OP_READ || r->indirect_op == PV_BLKIF_OP_WRITE))
		return r->indirect_op;
	return r->wire_op;
}

/* The published counters (pvkit top): errors, bytes moved, one less in flight. */
static void count_completion(struct blk_queue *q, const struct blk_req *r, int16_t status)
{
	struct pv_stats *s = q->vbd->stats;
	uint64_t bytes = blk_unit_bytes(&q->limits, r->nr_sectors);

	if (status != PV_BLKIF_RSP_OKAY)
		PV_STATS_ADD(s, errors, 1);
	else if (r->io == BLK_IO_READ)
		PV_STATS_ADD(s, bytes_out, bytes);
	else if (r->io == BLK_IO_WRITE || (r->io == BLK_IO_FLUSH && r->nr_segs))
		PV_STATS_ADD(s, bytes_in, bytes);
	PV_STATS_SUB(s, inflight, 1);
}

/* Answer @io with @status (a fully built response) and free its slot. */
static void io_complete(struct blk_queue *q, struct blk_inflight *io, int16_t status)
{
	unsigned char rsp[BLK_RSP_MAX];

	io_unmap(q, io);
	if (status != PV_BLKIF_RSP_OKAY)
		q->nr_errors++;
	count_completion(q, &io->req, status);
	blk_rsp_build(q->vbd->abi, io->req.id, rsp_op(&io->req), status, rsp);
	/* Cannot fail: every consumed request is owed exactly one response. */
	pv_ring_back_put(&q->ring, rsp);
	io->next_free = q->free_ios;
	q->free_ios = io;
	q->inflight--;
}

static void push_responses(struct blk_queue *q)
{
	if (pv_ring_back_push(&q->ring) > 0 && q->port >= 0)
		pv_evtchn_notify(q->evtchn, (pv_evtchn_port_t)q->port);
}

/* The frontend broke the protocol: stop consuming, let xenbus.c close the device. */
static void queue_fail(struct blk_queue *q, const char *why)
{
	if (atomic_exchange(&q->failed, 1))
		return;
	pv_dev_err(q->prefix, "%s: closing the device", why);
	blk_kick(q->vbd->d);
}

static void feature_lost(struct blk_queue *q, unsigned int bit)
{
	if (bit == BLK_LOST_FLUSH)
		q->limits.flush = false; /* writes become O_DSYNC from now on */
	else
		q->limits.discard = false;
	if (!(atomic_fetch_or(&q->lost, bit) & bit))
		blk_kick(q->vbd->d);
}

/* ---- submission ------------------------------------------------------------ */

static struct io_uring_sqe *get_sqe(struct blk_queue *q)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(uring(q));

	if (!sqe) { /* sized for every request in flight; submit and retry once */
		io_uring_submit(uring(q));
		sqe = io_uring_get_sqe(uring(q));
	}
	return sqe;
}

/*
 * Copy the segments of an INDIRECT request out of its indirect pages:
 * persistent grants when the cache has them (no map, no unmap: a 1 MiB
 * request costs no round trip to the grant broker), one read-only batch
 * map for the others. Each page is read exactly once either way.
 */
static int load_indirect(struct blk_queue *q, struct blk_inflight *io)
{
	struct blk_vbd *v = q->vbd;
	unsigned int n = io->req.nr_indirect_pages, nmap = 0;
	void *pages[PV_BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	pv_grant_ref_t refs[PV_BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	unsigned int idx[PV_BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	unsigned char *map = NULL;

	for (unsigned int i = 0; i < n; i++) {
		pages[i] = q->pgrants ? pgrant_get(q, io->req.indirect_grefs[i]) : NULL;
		if (!pages[i]) {
			refs[nmap] = io->req.indirect_grefs[i];
			idx[nmap++] = i;
		}
	}
	if (nmap) {
		map = pv_gnt_map(v->d->plat, v->fe_domid, nmap, refs, 0);
		if (!map) {
			pv_dev_warn_rl(&q->rl, q->prefix, "id %llu: indirect pages do not map: %s",
				       (unsigned long long)io->req.id, strerror(errno));
			return PV_BLKIF_RSP_ERROR;
		}
		for (unsigned int k = 0; k < nmap; k++)
			pages[idx[k]] = map + (size_t)k * PV_PAGE_SIZE;
	}
	blk_req_load_indirect(&io->req, pages);
	if (map)
		pv_gnt_unmap(v->d->plat, map, nmap);
	return blk_req_check_segs(&q->limits, &io->req);
}

/* Point io->iov at every segment: persistent grants, then one batch map for the rest. */
static int map_segments(struct blk_queue *q, struct blk_inflight *io)
{
	struct blk_vbd *v = q->vbd;
	struct blk_req *r = &io->req;
	pv_grant_ref_t refs[BLK_MAX_INDIRECT_SEGS];
	uint16_t idx[BLK_MAX_INDIRECT_SEGS];
	unsigned int n = 0, shift = q->limits.unit_shift;

	for (unsigned int i = 0; i < r->nr_segs; i++) {
		io->iov[i].iov_base = q->pgrants ? pgrant_get(q, r->seg[i].gref) : NULL;
		if (!io->iov[i].iov_base) {
			refs[n] = r->seg[i].gref;
			idx[n++] = (uint16_t)i;
		}
	}
	if (n) {
		/* A read writes into the guest's pages. All or nothing. */
		io->map = pv_gnt_map(v->d->plat, v->fe_domid, n, refs, r->io == BLK_IO_READ);
		if (!io->map) {
			pv_dev_warn_rl(&q->rl, q->prefix, "id %llu: %u grants do not map: %s",
				       (unsigned long long)r->id, n, strerror(errno));
			return PV_BLKIF_RSP_ERROR;
		}
		io->nmap = n;
		for (unsigned int k = 0; k < n; k++)
			io->iov[idx[k]].iov_base = (unsigned char *)io->map + (size_t)k * PV_PAGE_SIZE;
	}
	for (unsigned int i = 0; i < r->nr_segs; i++) {
		unsigned int first = r->seg[i].first_sect, last = r->seg[i].last_sect;

		io->iov[i].iov_base = (unsigned char *)io->iov[i].iov_base + ((size_t)first << shift);
		io->iov[i].iov_len = (size_t)(last - first + 1) << shift;
	}
	return PV_BLKIF_RSP_OKAY;
}

/* The status of a read or write of @io that moved @res bytes (or failed with -errno). */
static int16_t rw_status(struct blk_queue *q, struct blk_inflight *io, int64_t res)
{
	if (res >= 0 && (uint64_t)res == io->expect)
		return PV_BLKIF_RSP_OKAY;
	pv_dev_warn_rl(&q->rl, q->prefix, "id %llu: I/O at sector %llu: %s",
		       (unsigned long long)io->req.id, (unsigned long long)io->req.sector,
		       res < 0 ? strerror((int)-res) : "short transfer");
	return PV_BLKIF_RSP_ERROR;
}

/*
 * The data of @io now, in this thread: for a file in memory (tmpfs) a read
 * or write is a copy that io_uring would hand to a worker thread anyway.
 * Returns the status.
 */
static int rw_inline(struct blk_queue *q, struct blk_inflight *io, uint64_t off)
{
	struct blk_req *r = &io->req;
	int fd = q->vbd->target.fd;
	ssize_t n;

	do {
		if (r->io == BLK_IO_READ)
			n = preadv(fd, io->iov, r->nr_segs, (off_t)off);
		else
			n = pwritev2(fd, io->iov, r->nr_segs, (off_t)off,
				     q->limits.flush ? 0 : RWF_DSYNC);
	} while (n < 0 && errno == EINTR);
	return rw_status(q, io, n < 0 ? -errno : n);
}

/* READ, WRITE, and FLUSH (its data first, linked to the fdatasync). */
static int submit_rw(struct blk_queue *q, struct blk_inflight *io)
{
	struct blk_req *r = &io->req;
	int fd = q->vbd->target.fd;
	uint64_t off = blk_unit_bytes(&q->limits, r->sector);
	struct io_uring_sqe *sqe;
	int st;

	if (r->nr_segs) {
		st = map_segments(q, io);
		if (st != PV_BLKIF_RSP_OKAY)
			return st;
		io->expect = blk_unit_bytes(&q->limits, r->nr_sectors);
	}
	if (r->nr_segs && q->vbd->target.memory &&
	    (r->io == BLK_IO_READ || r->nr_segs <= INLINE_WRITE_SEGS)) {
		st = rw_inline(q, io, off);
		if (st != PV_BLKIF_RSP_OKAY || r->io != BLK_IO_FLUSH)
			return st; /* a FLUSH's fdatasync follows its data, as linked */
	} else if (r->nr_segs) {
		sqe = get_sqe(q);
		if (!sqe)
			return PV_BLKIF_RSP_ERROR;
		if (r->io == BLK_IO_READ)
			io_uring_prep_readv(sqe, fd, io->iov, r->nr_segs, off);
		else /* without a usable flush, a write completes only once stable */
			io_uring_prep_writev2(sqe, fd, io->iov, r->nr_segs, off,
					      q->limits.flush ? 0 : RWF_DSYNC);
		io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)io);
		io->pending++;
		if (r->io == BLK_IO_FLUSH)
			sqe->flags |= IOSQE_IO_LINK;
	}
	if (r->io == BLK_IO_FLUSH) {
		sqe = get_sqe(q);
		if (!sqe)
			return PV_BLKIF_RSP_ERROR; /* the data sqe, if any, completes first */
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)io | TAG_SYNC);
		io->pending++;
	}
	return PV_BLKIF_RSP_OKAY;
}

static int submit_discard(struct blk_queue *q, struct blk_inflight *io)
{
	struct blk_target *t = &q->vbd->target;
	uint64_t off = blk_unit_bytes(&q->limits, io->req.sector);
	uint64_t len = blk_unit_bytes(&q->limits, io->req.nr_sectors);
	bool secure = io->req.discard_flag & PV_BLKIF_DISCARD_SECURE;
	struct io_uring_sqe *sqe;
	int rc;

	if (!len)
		return PV_BLKIF_RSP_OKAY;
	if (t->is_blockdev) { /* no io_uring discard here: a short synchronous ioctl */
		rc = blk_target_discard_sync(t, off, len, secure);
	} else {
		sqe = get_sqe(q);
		if (!sqe)
			return PV_BLKIF_RSP_ERROR;
		io_uring_prep_fallocate(sqe, t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					off, len);
		io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)io);
		io->pending++;
		return PV_BLKIF_RSP_OKAY;
	}
	if (rc == -EOPNOTSUPP) {
		if (!secure) /* a device that stops erasing securely still discards */
			feature_lost(q, BLK_LOST_DISCARD);
		return PV_BLKIF_RSP_EOPNOTSUPP;
	}
	return rc ? PV_BLKIF_RSP_ERROR : PV_BLKIF_RSP_OKAY;
}

static void dispatch(struct blk_queue *q, struct blk_inflight *io)
{
	int st = blk_req_check(&q->limits, &io->req);

	io->pending = 0;
	io->status = PV_BLKIF_RSP_OKAY;
	if (st == PV_BLKIF_RSP_OKAY && io->req.wire_op == PV_BLKIF_OP_INDIRECT)
		st = load_indirect(q, io);
	if (st != PV_BLKIF_RSP_OKAY) {
		pv_dev_warn_rl(&q->rl, q->prefix, "id %llu: operation %u refused (%s)",
			       (unsigned long long)io->req.id, io->req.wire_op,
			       st == PV_BLKIF_RSP_EOPNOTSUPP ? "not supported" : "invalid");
	} else if (io->req.io == BLK_IO_DISCARD) {
		st = submit_discard(q, io);
	} else {
		st = submit_rw(q, io);
	}
	if (st != PV_BLKIF_RSP_OKAY)
		io->status = (int16_t)st;
	if (!io->pending)
		io_complete(q, io, io->status);
}

/* Take requests while we have room for them in flight. */
static void consume(struct blk_queue *q)
{
	union {
		struct pv_blkif_x86_64_request r64;
		struct pv_blkif_x86_32_request r32;
	} raw;
	struct blk_inflight *io;
	int rc;

	while (q->free_ios && !atomic_load(&q->failed)) {
		rc = pv_ring_back_get_request(&q->ring, &raw);
		if (rc < 0) {
			queue_fail(q, "request producer index out of range");
			return;
		}
		if (rc == 0)
			return;
		io = q->free_ios;
		q->free_ios = io->next_free;
		q->inflight++;
		q->nr_requests++;
		PV_STATS_ADD(q->vbd->stats, requests, 1);
		PV_STATS_ADD(q->vbd->stats, inflight, 1);
		blk_req_parse(q->vbd->abi, &raw, &io->req);
		dispatch(q, io);
	}
}

/* ---- completion ------------------------------------------------------------ */

static void complete_cqe(struct blk_queue *q, uint64_t ud, int res)
{
	struct blk_inflight *io = (struct blk_inflight *)(uintptr_t)(ud & ~TAG_SYNC);
	int16_t st = PV_BLKIF_RSP_OKAY;

	if (ud & TAG_SYNC) {
		if (res == -EINVAL || res == -EOPNOTSUPP) {
			feature_lost(q, BLK_LOST_FLUSH);
			st = PV_BLKIF_RSP_EOPNOTSUPP;
		} else if (res < 0) {
			st = PV_BLKIF_RSP_ERROR;
		}
	} else if (io->req.io == BLK_IO_DISCARD) {
		if (res == -EOPNOTSUPP) {
			feature_lost(q, BLK_LOST_DISCARD);
			st = PV_BLKIF_RSP_EOPNOTSUPP;
		} else if (res < 0) {
			st = PV_BLKIF_RSP_ERROR;
		}
	} else {
		st = rw_status(q, io, res);
	}
	if (st != PV_BLKIF_RSP_OKAY && io->status == PV_BLKIF_RSP_OKAY)
		io->status = st;
	if (--io->pending == 0)
		io_complete(q, io, io->status);
}

static int arm_poll(struct blk_queue *q, int fd, uint64_t tag)
{
	struct io_uring_sqe *sqe = get_sqe(q);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_add(sqe, fd, POLLIN);
	io_uring_sqe_set_data64(sqe, tag);
	return 0;
}

/* The back-off is over (or never began): unmask and watch the channel again. */
static void resume_events(struct blk_queue *q)
{
	pv_evstorm_release(&q->storm, q->evtchn);
	arm_poll(q, pv_evtchn_fd(q->evtchn), TAG_EVTCHN);
}

/*
 * A notification is spurious when req_prod did not move since the last
 * one (XSA-332/391, pvkit/evstorm.h): counted, and a run of them keeps the
 * port masked for a back-off (an io_uring timeout), so a frontend
 * notifying in a tight loop costs one wake-up per back-off.
 */
static void handle_events(struct blk_queue *q)
{
	uint32_t prod = __atomic_load_n(&q->ring.v.sring->req_prod, __ATOMIC_ACQUIRE);
	unsigned int notified = pv_evstorm_take(&q->storm, q->evtchn);
	uint64_t spurious = q->storm.spurious;
	struct io_uring_sqe *sqe;
	uint32_t ns;

	ns = pv_evstorm_wake(&q->storm, notified > 0, prod != q->seen_prod);
	q->seen_prod = prod;
	PV_STATS_ADD(q->vbd->stats, spurious, q->storm.spurious - spurious);
	if (!ns || !(sqe = get_sqe(q)))
		return resume_events(q);
	if (pv_evstorm_began(&q->storm))
		pv_dev_warn_rl(&q->rl, q->prefix, "spurious notifications: backing off");
	q->backoff = (struct __kernel_timespec){.tv_nsec = ns};
	io_uring_prep_timeout(sqe, &q->backoff, 0, 0);
	io_uring_sqe_set_data64(sqe, TAG_BACKOFF);
}

/* Reap every completion; returns 1 once asked to stop. */
static int reap(struct blk_queue *q)
{
	struct io_uring_cqe *cqe;
	unsigned int head, seen = 0;
	int stop = 0;

	io_uring_for_each_cqe(uring(q), head, cqe) {
		seen++;
		if (cqe->user_data == TAG_EVTCHN)
			handle_events(q);
		else if (cqe->user_data == TAG_BACKOFF)
			resume_events(q);
		else if (cqe->user_data == TAG_STOP)
			stop = 1;
		else
			complete_cqe(q, cqe->user_data, cqe->res);
	}
	io_uring_cq_advance(uring(q), seen);
	return stop;
}

/* Is there a request to take now? Re-arms req_event when idle (Xen's final check). */
static bool more_requests(struct blk_queue *q)
{
	int rc;

	if (!q->free_ios || atomic_load(&q->failed))
		return false;
	rc = pv_ring_back_final_check(&q->ring);
	if (rc < 0)
		queue_fail(q, "request producer index out of range");
	return rc > 0;
}

/* Busy-poll condition: a completion (or a poll's CQE) to reap, or a request we can take. */
static int queue_ready(void *arg)
{
	struct blk_queue *q = arg;

	if (io_uring_cq_ready(uring(q)))
		return 1;
	if (!q->free_ios || atomic_load(&q->failed))
		return 0;
	return pv_ring_back_unconsumed(&q->ring); /* < 0: consume() fails the queue */
}

/*
 * Before re-arming req_event and sleeping, poll the ring and the
 * completion queue for the adaptive window (pvkit/busypoll.h): while we
 * poll, req_event is still behind, so the frontend's pushes do not notify
 * and neither side pays a wake-up. The I/O taken so far is submitted
 * first, so its completions can arrive while we poll. Returns non-zero
 * when there is something to do.
 */
static int poll_ring(struct blk_queue *q)
{
	uint64_t misses = q->bp.misses;
	int rc;

	if (q->bp.window_ns && io_uring_sq_ready(uring(q)))
		io_uring_submit(uring(q));
	rc = pv_busypoll_spin(&q->bp, queue_ready, q);
	if (rc > 0)
		PV_STATS_ADD(q->vbd->stats, poll_hits, 1);
	else if (q->bp.misses != misses)
		PV_STATS_ADD(q->vbd->stats, poll_misses, 1);
	return rc;
}

static void *queue_main(void *arg)
{
	struct blk_queue *q = arg;
	int stopping = 0;

	q->storm = (struct pv_evstorm){0};
	arm_poll(q, pv_evtchn_fd(q->evtchn), TAG_EVTCHN);
	arm_poll(q, q->stop_efd, TAG_STOP);
	for (;;) {
		if (!stopping)
			consume(q);
		push_responses(q);
		if (stopping && q->inflight == 0)
			break;
		if (!stopping && poll_ring(q)) {
			stopping |= reap(q);
			continue;
		}
		if (!stopping && more_requests(q)) {
			pv_busypoll_woke(&q->bp);
			continue;
		}
		io_uring_submit_and_wait(uring(q), 1);
		pv_busypoll_woke(&q->bp);
		stopping |= reap(q);
	}
	return NULL;
}

/* ---- set-up and teardown ----------------------------------------------------- */

static int queue_alloc(struct blk_queue *q)
{
	q->nr_ios = pv_ring_back_size(&q->ring);
	q->ios = calloc(q->nr_ios, sizeof(*q->ios));
	if (!q->ios)
		return -ENOMEM;
	q->free_ios = NULL;
	for (unsigned int i = 0; i < q->nr_ios; i++) {
		q->ios[i].next_free = q->free_ios;
		q->free_ios = &q->ios[i];
	}
	q->inflight = 0;
	if (q->vbd->persistent)
		return pv_gnt_cache_create(q->vbd->d->plat, q->vbd->fe_domid, BLK_MAX_PGRANTS, 1,
					   &q->pgrants);
	return 0;
}

static int queue_map_ring(struct blk_queue *q)
{
	struct blk_vbd *v = q->vbd;
	struct pv_ring_shape shape = blk_abi_shape(v->abi);
	int rc;

	q->ring_mem = pv_gnt_map(v->d->plat, v->fe_domid, q->ring_pages, q->ring_refs, 1);
	if (!q->ring_mem) {
		rc = -errno;
		pv_dev_err(q->prefix, "ring grants do not map: %s", strerror(-rc));
		return rc;
	}
	rc = pv_ring_back_attach(&q->ring, q->ring_mem, q->ring_pages, &shape, 0);
	if (rc) {
		pv_gnt_unmap(v->d->plat, q->ring_mem, q->ring_pages);
		q->ring_mem = NULL;
	}
	return rc;
}

static int queue_bind(struct blk_queue *q)
{
	int rc = pv_evtchn_open(q->vbd->d->plat, &q->evtchn);

	if (rc) {
		q->evtchn = NULL;
		return rc;
	}
	q->port = pv_evtchn_bind_interdomain(q->evtchn, q->vbd->fe_domid, q->remote_port);
	if (q->port < 0) {
		rc = q->port;
		pv_dev_err(q->prefix, "event channel %u does not bind: %s", q->remote_port,
			   strerror(-rc));
		return rc;
	}
	return 0;
}

static void queue_release(struct blk_queue *q)
{
	struct pv_platform *plat = q->vbd->d->plat;

	if (q->uring) {
		io_uring_queue_exit(uring(q));
		free(q->uring);
		q->uring = NULL;
	}
	if (q->pgrants)
		pv_gnt_cache_destroy(q->pgrants); /* every persistent grant unmapped (XSA-371) */
	q->pgrants = NULL;
	free(q->ios);
	q->ios = NULL;
	if (q->evtchn) {
		pv_evtchn_close(q->evtchn); /* unbinds the port */
		q->evtchn = NULL;
	}
	q->port = -1;
	if (q->ring_mem)
		pv_gnt_unmap(plat, q->ring_mem, q->ring_pages);
	q->ring_mem = NULL;
	if (q->stop_efd >= 0)
		close(q->stop_efd);
	q->stop_efd = -1;
}

static int queue_setup(struct blk_queue *q)
{
	int rc;

	q->port = -1;
	q->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->stop_efd < 0)
		return -errno;
	rc = queue_map_ring(q);
	if (!rc)
		rc = queue_bind(q);
	if (!rc)
		rc = queue_alloc(q);
	if (rc)
		return rc;
	q->uring = calloc(1, sizeof(struct io_uring));
	if (!q->uring)
		return -ENOMEM;
	/* Two sqes per request at most (data + fdatasync), plus the two polls. */
	rc = io_uring_queue_init(2 * q->nr_ios + 4, uring(q), 0);
	if (rc) {
		free(q->uring);
		q->uring = NULL;
	}
	return rc;
}

int blk_queue_start(struct blk_queue *q)
{
	int rc;

	atomic_store(&q->failed, 0);
	atomic_store(&q->lost, 0);
	q->rl = (struct pv_ratelimit)PV_RATELIMIT_INIT;
	pv_busypoll_init(&q->bp, q->vbd->d->busypoll_ns);
	rc = queue_setup(q);
	if (!rc)
		rc = -pthread_create(&q->thread, NULL, queue_main, q);
	if (rc) {
		queue_release(q);
		return rc;
	}
	q->started = true;
	return 0;
}

void blk_queue_stop(struct blk_queue *q)
{
	uint64_t one = 1;

	if (!q->started)
		return;
	if (write(q->stop_efd, &one, sizeof(one)) != sizeof(one))
		pv_dev_err(q->prefix, "cannot signal the queue thread: %s", strerror(errno));
	pthread_join(q->thread, NULL);
	q->started = false;
	pv_dev_debug(q->prefix, "stopped after %llu requests (%llu errors, %u persistent grants, "
		     "polls %llu hit / %llu missed)",
		     (unsigned long long)q->nr_requests, (unsigned long long)q->nr_errors,
		     q->pgrants ? pv_gnt_cache_count(q->pgrants) : 0,
		     (unsigned long long)q->bp.hits, (unsigned long long)q->bp.misses);
	queue_release(q);
}

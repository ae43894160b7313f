/* SPDX-License-Identifier: MIT */
/*
 * blkfront datapath: callers' requests split into ring requests over the
 * bounce pool, responses checked against the private shadow table,
 * completions, and re-issue of unanswered requests after a reconnect.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "blkfront-int.h"

/* ---- shadow table ----------------------------------------------------------------- */

int bf_shadow_init(struct pv_blkfront *bf)
{
	bf->shadow = calloc(BF_SHADOWS, sizeof(*bf->shadow));
	if (!bf->shadow)
		return -ENOMEM;
	for (unsigned int i = 0; i < BF_SHADOWS; i++)
		bf->free_shadow[i] = BF_SHADOWS - 1 - i;
	bf->nfree_shadow = BF_SHADOWS;
	return 0;
}

static void shadow_release(struct pv_blkfront *bf, struct bf_shadow *s)
{
	for (unsigned int i = 0; !s->zc && i < s->nseg; i++)
		pv_gnt_pool_put(bf->pool[s->pool_q], s->pages[i].index);
	for (unsigned int i = 0; i < s->nind; i++)
		pv_gnt_pool_put(bf->pool[s->pool_q], s->ind[i].index);
	s->used = false;
	s->resend = false;
	s->zc = false;
	s->nseg = s->nind = 0;
	bf->free_shadow[bf->nfree_shadow++] = (unsigned int)(s - bf->shadow);
}

static void wake(struct pv_blkfront *bf)
{
	uint64_t one = 1;

	bf->efd_set = true;
	if (write(bf->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pv_dev_warn(bf->prefix, "cannot signal local completions");
}

/*
 * Clear the eventfd and the timer only when they may have fired: a
 * wake-up by the backend's event then costs no read that finds nothing.
 */
static void clear_local_events(struct pv_blkfront *bf)
{
	uint64_t v;

	if (bf->efd_set) {
		bf->efd_set = false;
		if (read(bf->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			pv_dev_warn(bf->prefix, "reading the completion eventfd failed");
	}
	/* Its next expiry is no earlier than this: the arming time rounds down. */
	if (bf_now_ms() < bf->tick_base_ms + (int64_t)(bf->ticks + 1) * 1000)
		return;
	if (read(bf->tfd, &v, sizeof(v)) == sizeof(v)) {
		bf->ticks += v;
		bf_check_timeout(bf);
	}
}

void bf_io_finish(struct pv_blkfront *bf, struct bf_io *io)
{
	io->next = NULL;
	if (bf->done_tail)
		bf->done_tail->next = io;
	else
		bf->done_head = io;
	bf->done_tail = io;
}

void bf_run_done(struct pv_blkfront *bf)
{
	struct bf_io *io;

	while ((io = bf->done_head)) {
		bf->done_head = io->next;
		if (!bf->done_head)
			bf->done_tail = NULL;
		bf->pending--;
		bf->last_progress_ms = bf_now_ms();
		io->done(io->opaque, io->status);
		free(io);
	}
}

/* A ring request of @io ended with @status: account it, finish @io when it was the last. */
static void part_done(struct pv_blkfront *bf, struct bf_shadow *s, int status)
{
	struct bf_io *io = s->io;

	if (!status && io->op == PV_BLKFRONT_READ && !s->zc) {
		for (unsigned int i = 0; i < s->nseg; i++) {
			uint32_t n = s->len - i * BF_PAGE < BF_PAGE ? s->len - i * BF_PAGE : BF_PAGE;

			memcpy(io->buf + s->io_off + (size_t)i * BF_PAGE, s->pages[i].addr, n);
		}
	}
	if (status && !io->status)
		io->status = status;
	shadow_release(bf, s);
	if (--io->parts == 0 && io->issued >= io->len && io != bf->wait_head)
		bf_io_finish(bf, io);
}

/* ---- ring requests -------------------------------------------------------------------- */

/* Segments @first.. of @s (at most @max of them) into @seg. */
static void fill_segments(const struct bf_shadow *s, unsigned int first,
			  struct pv_blkif_request_segment *seg, unsigned int max)
{
	for (unsigned int i = first; i < s->nseg && i - first < max; i++) {
		uint32_t n = s->len - i * BF_PAGE < BF_PAGE ? s->len - i * BF_PAGE : BF_PAGE;

		seg[i - first] = (struct pv_blkif_request_segment){
			.gref = s->pages[i].ref,
			.first_sect = 0,
			.last_sect = (uint8_t)(n / PV_BLKIF_SECTOR_SIZE - 1),
		};
	}
}

/* Lay out the ring request of shadow @s (its id is its index). */
static void build_request(struct pv_blkfront *bf, struct bf_shadow *s,
			  union pv_blkif_request_any *r)
{
	uint64_t id = (uint64_t)(s - bf->shadow);

	memset(r, 0, sizeof(*r));
	if (s->ring_op == PV_BLKIF_OP_DISCARD) {
		r->discard = (struct pv_blkif_request_discard){
			.operation = PV_BLKIF_OP_DISCARD, .id = id,
			.sector_number = s->sector, .nr_sectors = s->nr_sectors};
	} else if (s->nind) {
		r->indirect.operation = PV_BLKIF_OP_INDIRECT;
		r->indirect.indirect_op = s->ring_op;
		r->indirect.nr_segments = (uint16_t)s->nseg;
		r->indirect.id = id;
		r->indirect.sector_number = s->sector;
		for (unsigned int i = 0; i < s->nind; i++) {
			unsigned int first = i * PV_BLKIF_SEGS_PER_INDIRECT_FRAME;

			memset(s->ind[i].addr, 0, BF_PAGE);
			fill_segments(s, first, ((struct pv_blkif_indirect_page *)s->ind[i].addr)->seg,
				      PV_BLKIF_SEGS_PER_INDIRECT_FRAME);
			r->indirect.indirect_grefs[i] = s->ind[i].ref;
		}
	} else {
		r->rw.operation = s->ring_op;
		r->rw.nr_segments = (uint8_t)s->nseg;
		r->rw.id = id;
		r->rw.sector_number = s->sector;
		fill_segments(s, 0, r->rw.seg, PV_BLKIF_MAX_SEGMENTS_PER_REQUEST);
	}
}

/* Pool pages a part of @len data bytes takes (data and indirect pages). */
static unsigned int pages_for(uint32_t len)
{
	unsigned int nseg = (len + BF_PAGE - 1) / BF_PAGE;

	return nseg + (nseg > PV_BLKIF_MAX_SEGMENTS_PER_REQUEST ? PV_BLKIF_INDIRECT_PAGES(nseg) : 0);
}

/*
 * A queue with a free slot and @need free pool pages, round robin; -1 when none.
 * @prefer (a re-issued request's old queue) is taken when it has room.
 */
static int pick_queue(struct pv_blkfront *bf, unsigned int need, unsigned int prefer)
{
	if (prefer < bf->nq && pv_ring_front_free(&bf->q[prefer].front))
		return (int)prefer;
	for (unsigned int n = 0; n < bf->nq; n++) {
		unsigned int i = (bf->next_q + n) % bf->nq;

		if (pv_ring_front_free(&bf->q[i].front) &&
		    (!need || pv_gnt_pool_avail(bf->pool[i]) >= need)) {
			bf->next_q = i + 1;
			return (int)i;
		}
	}
	return -1;
}

/* Put shadow @s on ring @qi (which has a free slot). */
static void send_shadow(struct pv_blkfront *bf, struct bf_shadow *s, unsigned int qi)
{
	union pv_blkif_request_any r;
	struct bf_queue *q = &bf->q[qi];

	build_request(bf, s, &r);
	if (pv_ring_front_put(&q->front, &r))
		return; /* broken ring: the backend's next state change sorts it out */
	s->queue = qi;
	s->resend = false;
	q->notify = true;
}

static uint8_t ring_op(enum pv_blkfront_op op)
{
	switch (op) {
	case PV_BLKFRONT_READ:
		return PV_BLKIF_OP_READ;
	case PV_BLKFRONT_WRITE:
	case PV_BLKFRONT_WRITE_ZEROES:
		return PV_BLKIF_OP_WRITE;
	case PV_BLKFRONT_FLUSH:
		return PV_BLKIF_OP_FLUSH_DISKCACHE;
	default:
		return PV_BLKIF_OP_DISCARD;
	}
}

/* Take the pages of a part of @len bytes from pool @qi (pick_queue() checked there are enough). */
static void take_pages(struct pv_blkfront *bf, struct bf_shadow *s, uint32_t len, unsigned int qi)
{
	unsigned int nseg = (len + BF_PAGE - 1) / BF_PAGE;
	unsigned int nind = pages_for(len) - nseg;

	for (unsigned int i = 0; i < nseg; i++)
		pv_gnt_pool_get(bf->pool[qi], &s->pages[i]);
	for (unsigned int i = 0; i < nind; i++)
		pv_gnt_pool_get(bf->pool[qi], &s->ind[i]);
	s->nseg = nseg;
	s->nind = nind;
	s->pool_q = qi;
}

/*
 * The part of zero-copy @io at @io->issued, @len bytes, on the ring of its
 * pool: its data pages are the buffer's own, only indirect pages are taken.
 * Returns the queue, or -1 when that ring or pool is full.
 */
static int take_zc_pages(struct pv_blkfront *bf, struct bf_io *io, uint32_t len,
			 struct bf_shadow *s)
{
	unsigned int qi = (unsigned int)io->zc_pool % bf->nq, first;
	unsigned int nseg = (len + BF_PAGE - 1) / BF_PAGE;
	unsigned int nind = pages_for(len) - nseg;
	struct pv_gnt_pool *own = bf->pool[io->zc_pool];

	if (!pv_ring_front_free(&bf->q[qi].front) || pv_gnt_pool_avail(bf->pool[qi]) < nind ||
	    pv_gnt_pool_index(own, io->buf + io->issued, &first))
		return -1;
	for (unsigned int i = 0; i < nseg; i++)
		pv_gnt_pool_page(own, first + i, &s->pages[i]);
	for (unsigned int i = 0; i < nind; i++)
		pv_gnt_pool_get(bf->pool[qi], &s->ind[i]);
	s->nseg = nseg;
	s->nind = nind;
	s->pool_q = qi;
	s->zc = true;
	return (int)qi;
}

/* Issue the next part of @io. Returns 0, or -ENOSPC when out of slots, pages or shadows. */
static int issue_part(struct pv_blkfront *bf, struct bf_io *io)
{
	bool data = io->op == PV_BLKFRONT_READ || io->op == PV_BLKFRONT_WRITE ||
		    io->op == PV_BLKFRONT_WRITE_ZEROES;
	uint32_t len = io->len - io->issued;
	struct bf_shadow *s;
	int qi;

	if (data && len > bf->info.max_request)
		len = bf->info.max_request;
	/* Bounced beside zero-copy buffers: parts that fit the pools' reserve. */
	if (data && io->zc_pool < 0 && bf->zc_pages && len > (BF_POOL_RESERVE - 1) * BF_PAGE)
		len = (BF_POOL_RESERVE - 1) * BF_PAGE;
	if (!bf->nfree_shadow)
		return -ENOSPC;
	s = &bf->shadow[bf->free_shadow[bf->nfree_shadow - 1]];
	memset(s, 0, offsetof(struct bf_shadow, pages));
	if (io->zc_pool >= 0)
		qi = take_zc_pages(bf, io, len, s);
	else
		qi = pick_queue(bf, data ? pages_for(len) : 0, UINT32_MAX);
	if (qi < 0)
		return -ENOSPC;
	bf->nfree_shadow--;
	if (data && !s->zc) {
		take_pages(bf, s, len, (unsigned int)qi);
		for (unsigned int i = 0; io->op != PV_BLKFRONT_READ && i < s->nseg; i++) {
			uint32_t n = len - i * BF_PAGE < BF_PAGE ? len - i * BF_PAGE : BF_PAGE;

			if (io->op == PV_BLKFRONT_WRITE)
				memcpy(s->pages[i].addr, io->buf + io->issued + (size_t)i * BF_PAGE, n);
			else /* WRITE_ZEROES */
				memset(s->pages[i].addr, 0, n);
		}
	}
	s->used = true;
	s->io = io;
	s->ring_op = ring_op(io->op);
	s->io_off = io->issued;
	s->len = data ? len : 0;
	s->sector = (io->offset + io->issued) >> PV_BLKIF_SECTOR_SHIFT;
	s->nr_sectors = io->op == PV_BLKFRONT_DISCARD ? len >> PV_BLKIF_SECTOR_SHIFT : 0;
	send_shadow(bf, s, (unsigned int)qi);
	io->issued += len;
	io->parts++;
	return 0;
}

/* Fill the rings: re-issued requests first, then waiting ones, in order. */
void bf_pump(struct pv_blkfront *bf)
{
	if (bf->conn != BF_CONNECTED)
		return;
	while (bf->resend_head) {
		struct bf_shadow *s = bf->resend_head;
		int qi = pick_queue(bf, 0, s->queue);

		if (qi < 0)
			return;
		send_shadow(bf, s, (unsigned int)qi);
		bf->resend_head = s->next_resend;
		if (!bf->resend_head)
			bf->resend_tail = NULL;
	}
	while (bf->wait_head) {
		struct bf_io *io = bf->wait_head;

		if (issue_part(bf, io))
			return;
		if (io->issued >= io->len) {
			bf->wait_head = io->next;
			if (!bf->wait_head)
				bf->wait_tail = NULL;
			io->next = NULL;
		}
	}
}

void bf_push_all(struct pv_blkfront *bf)
{
	if (bf->conn != BF_CONNECTED)
		return;
	for (unsigned int i = 0; i < bf->nq; i++) {
		struct bf_queue *q = &bf->q[i];

		if (!q->notify)
			continue;
		q->notify = false;
		/* -ENOTCONN: the backend died; its successor will ask us to reconnect. */
		if (pv_ring_front_push(&q->front) > 0)
			pv_evtchn_notify(bf->ev, (pv_evtchn_port_t)q->port);
	}
}

/* ---- responses ------------------------------------------------------------------------ */

static void backend_broken(struct pv_blkfront *bf, const char *why, uint64_t id)
{
	pv_dev_warn_rl(&bf->rl, bf->prefix, "backend broke the protocol (%s, id %llu): failing I/O",
		       why, (unsigned long long)id);
	bf->conn = BF_BROKEN;
	bf_fail_all(bf, -EIO);
}

static int rsp_status(struct pv_blkfront *bf, int16_t st)
{
	switch (st) {
	case PV_BLKIF_RSP_OKAY:
		return 0;
	case PV_BLKIF_RSP_EOPNOTSUPP:
		return -EOPNOTSUPP;
	case PV_BLKIF_RSP_ERROR:
		return -EIO;
	default:
		pv_dev_warn_rl(&bf->rl, bf->prefix, "unknown response status %d", st);
		return -EIO;
	}
}

/*
 * Consume the responses of queue @qi; with @rearm, re-arm rsp_event when
 * it is empty (the final check: we may sleep after this). False once the
 * backend broke the protocol.
 */
static bool reap_queue(struct pv_blkfront *bf, unsigned int qi, bool rearm)
{
	struct bf_queue *q = &bf->q[qi];
	struct pv_blkif_response rsp;
	int rc;

	do {
		while ((rc = pv_ring_front_get_response(&q->front, &rsp)) == 1) {
			struct bf_shadow *s = rsp.id < BF_SHADOWS ? &bf->shadow[rsp.id] : NULL;

			if (!s || !s->used || s->resend || s->queue != qi) {
				backend_broken(bf, "response to no request of this ring", rsp.id);
				return false;
			}
			/* An INDIRECT request is answered with the READ or WRITE it carries. */
			if (rsp.operation != s->ring_op) {
				backend_broken(bf, "response with another operation", rsp.id);
				return false;
			}
			part_done(bf, s, rsp_status(bf, rsp.status));
		}
		if (rc == 0 && rearm)
			rc = pv_ring_front_final_check(&q->front);
	} while (rc > 0);
	if (rc < 0) {
		backend_broken(bf, "ring indices out of range", 0);
		return false;
	}
	return true;
}

void bf_reap(struct pv_blkfront *bf, bool rearm)
{
	for (unsigned int i = 0; bf->conn == BF_CONNECTED && i < bf->nq; i++)
		if (!reap_queue(bf, i, rearm))
			return;
}

/* ---- reconnect and failure -------------------------------------------------------------- */

void bf_requeue_inflight(struct pv_blkfront *bf)
{
	bf->resend_head = bf->resend_tail = NULL;
	for (unsigned int i = 0; i < BF_SHADOWS; i++) {
		struct bf_shadow *s = &bf->shadow[i];

		if (!s->used)
			continue;
		s->resend = true;
		s->next_resend = NULL;
		if (bf->resend_tail)
			bf->resend_tail->next_resend = s;
		else
			bf->resend_head = s;
		bf->resend_tail = s;
	}
}

void bf_fail_all(struct pv_blkfront *bf, int status)
{
	struct bf_io *io;

	bf->resend_head = bf->resend_tail = NULL;
	/* Detach the wait queue first so part_done() finishes nothing twice. */
	io = bf->wait_head;
	bf->wait_head = bf->wait_tail = NULL;
	for (unsigned int i = 0; bf->shadow && i < BF_SHADOWS; i++)
		if (bf->shadow[i].used)
			part_done(bf, &bf->shadow[i], status);
	while (io) {
		struct bf_io *next = io->next;

		io->status = status;
		io->issued = io->len;
		if (io->parts == 0)
			bf_io_finish(bf, io);
		io = next;
	}
	if (bf->done_head)
		wake(bf);
}

/* ---- event storms ----------------------------------------------------------------------- */

/*
 * Take the pending ports (XSA-332/391, pvkit/evstorm.h): a notification is
 * spurious when no ring's rsp_prod moved since the last one; a run of them
 * holds the ports masked until the hold timer (hfd) fires, so a backend
 * notifying in a tight loop costs one wake-up per back-off.
 */
void bf_take_events(struct pv_blkfront *bf)
{
	unsigned int notified = pv_evstorm_take(&bf->storm, bf->ev);
	bool moved = false;
	uint64_t v;
	uint32_t ns;

	if (bf->storm.nheld && !notified) { /* a back-off is on */
		if (!bf->hold_armed || read(bf->hfd, &v, sizeof(v)) != sizeof(v))
			return; /* woken for something else: it goes on */
		bf->hold_armed = false;
	}
	for (unsigned int i = 0; bf->conn == BF_CONNECTED && i < bf->nq; i++) {
		uint32_t prod = __atomic_load_n(&bf->q[i].front.v.sring->rsp_prod, __ATOMIC_ACQUIRE);

		moved |= prod != bf->q[i].seen_rsp;
		bf->q[i].seen_rsp = prod;
	}
	ns = pv_evstorm_wake(&bf->storm, notified > 0, moved);
	if (!ns && bf->hold_armed) {
		/* Another queue's work ended the back-off early: disarm (a fired hfd stays readable). */
		timerfd_settime(bf->hfd, 0, &(struct itimerspec){{0, 0}, {0, 0}}, NULL);
		bf->hold_armed = false;
	}
	if (!ns)
		return pv_evstorm_release(&bf->storm, bf->ev);
	if (pv_evstorm_began(&bf->storm))
		pv_dev_warn_rl(&bf->rl, bf->prefix, "%llu spurious notifications: backing off",
			       (unsigned long long)bf->storm.spurious);
	if (bf->hfd >= 0) /* -1 only in unit tests, which end the back-off themselves */
		bf->hold_armed = timerfd_settime(bf->hfd, 0, &(struct itimerspec){.it_value = {0, (long)ns}},
						 NULL) == 0;
}

unsigned long long pv_blkfront_spurious(const struct pv_blkfront *bf)
{
	return bf->storm.spurious;
}

/* ---- zero-copy buffers ------------------------------------------------------------------ */

/*
 * The pool whose pages @buf (@len bytes) is, every page handed out
 * (pv_blkfront_buf_alloc()), or -1: then @buf is the caller's memory and
 * goes through bounce pages.
 */
static int buf_pool(const struct pv_blkfront *bf, const void *buf, uint32_t len)
{
	struct pv_gnt_page pg;
	unsigned int first;

	if ((uintptr_t)buf % BF_PAGE)
		return -1;
	for (int i = 0; i < PV_BLKFRONT_MAX_QUEUES; i++) {
		if (!bf->pool[i] || pv_gnt_pool_index(bf->pool[i], buf, &first))
			continue;
		for (unsigned int k = 0; k < (len + BF_PAGE - 1) / BF_PAGE; k++)
			if (pv_gnt_pool_page(bf->pool[i], first + k, &pg))
				return -1; /* free or past the pool's end: not a buffer of ours */
		return i;
	}
	return -1;
}

void *pv_blkfront_buf_alloc(struct pv_blkfront *bf, uint32_t len)
{
	unsigned int n = (len + BF_PAGE - 1) / BF_PAGE, first, need;
	bool tried[PV_BLKFRONT_MAX_QUEUES] = {false};

	if (!len || len > bf->info.max_request)
		return NULL;
	/* The buffer, the indirect pages its request will take, and the reserve. */
	need = pages_for(len) + BF_POOL_RESERVE;
	for (;;) { /* the pool with the most free pages first */
		int best = -1;
		unsigned int most = 0;

		for (int i = 0; i < PV_BLKFRONT_MAX_QUEUES; i++) {
			unsigned int avail = bf->pool[i] ? pv_gnt_pool_avail(bf->pool[i]) : 0;

			if (!tried[i] && avail >= need && avail > most) {
				best = i;
				most = avail;
			}
		}
		if (best < 0)
			return NULL;
		tried[best] = true;
		if (pv_gnt_pool_get_run(bf->pool[best], n, &first) == 0) {
			struct pv_gnt_page pg;

			pv_gnt_pool_page(bf->pool[best], first, &pg);
			bf->zc_pages += n;
			return pg.addr;
		}
	}
}

void pv_blkfront_buf_free(struct pv_blkfront *bf, void *buf, uint32_t len)
{
	int pi = buf ? buf_pool(bf, buf, len) : -1;
	unsigned int first;

	if (pi < 0) {
		if (buf)
			pv_dev_warn(bf->prefix, "freeing a buffer that is not one of ours: ignored");
		return;
	}
	pv_gnt_pool_index(bf->pool[pi], buf, &first);
	for (unsigned int k = 0; k < (len + BF_PAGE - 1) / BF_PAGE; k++)
		pv_gnt_pool_put(bf->pool[pi], first + k);
	bf->zc_pages -= (len + BF_PAGE - 1) / BF_PAGE;
}

/* ---- public --------------------------------------------------------------------------- */

static int check_request(struct pv_blkfront *bf, enum pv_blkfront_op op, uint64_t offset,
			 uint32_t len, const void *buf)
{
	uint64_t size = bf->info.sectors * bf->info.sector_size;

	if (op == PV_BLKFRONT_FLUSH)
		return bf->info.flush ? 0 : -EOPNOTSUPP;
	if (op > PV_BLKFRONT_WRITE_ZEROES || !len || offset % bf->info.sector_size ||
	    len % bf->info.sector_size || offset > size || len > size - offset)
		return -EINVAL;
	if (op != PV_BLKFRONT_READ && bf->info.read_only)
		return -EROFS;
	if (op == PV_BLKFRONT_DISCARD)
		return bf->info.discard ? 0 : -EOPNOTSUPP;
	return buf || op == PV_BLKFRONT_WRITE_ZEROES ? 0 : -EINVAL;
}

int pv_blkfront_submit(struct pv_blkfront *bf, enum pv_blkfront_op op, uint64_t offset,
		       uint32_t len, void *buf, pv_blkfront_done_fn done, void *opaque)
{
	int rc = done ? check_request(bf, op, offset, len, buf) : -EINVAL;
	struct bf_io *io;

	if (rc)
		return rc;
	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	*io = (struct bf_io){.op = op, .offset = offset, .len = op == PV_BLKFRONT_FLUSH ? 0 : len,
			     .buf = buf, .done = done, .opaque = opaque,
			     .zc_pool = op <= PV_BLKFRONT_WRITE ? buf_pool(bf, buf, len) : -1};
	if (bf->pending++ == 0)
		bf->last_progress_ms = bf_now_ms();
	if (bf->conn == BF_BROKEN || bf->conn == BF_SHUTDOWN) {
		io->status = -EIO;
		bf_io_finish(bf, io);
		wake(bf);
		return 0;
	}
	if (bf->wait_tail)
		bf->wait_tail->next = io;
	else
		bf->wait_head = io;
	bf->wait_tail = io;
	return 0;
}

void pv_blkfront_kick(struct pv_blkfront *bf)
{
	bf_pump(bf);
	bf_push_all(bf);
}

void pv_blkfront_fail_pending(struct pv_blkfront *bf, int status)
{
	bf_fail_all(bf, status);
	bf_run_done(bf);
}

/* Nothing completed for io_timeout_ms while requests wait: the backend is dead. */
void bf_check_timeout(struct pv_blkfront *bf)
{
	int64_t limit = bf->opts.io_timeout_ms > 0 ? bf->opts.io_timeout_ms : 30000;

	if (!bf->pending || bf_now_ms() - bf->last_progress_ms < limit)
		return;
	pv_dev_warn(bf->prefix, "backend answered nothing for %lld ms: failing %u request(s)",
		    (long long)limit, bf->pending);
	if (bf->conn == BF_CONNECTED)
		bf->conn = BF_BROKEN; /* until a restarted backend asks for a reconnect */
	bf_fail_all(bf, -EIO);
}

/* Busy-poll condition: responses on any ring (< 0: a broken ring, the next reap says so). */
static int responses_ready(void *arg)
{
	struct pv_blkfront *bf = arg;

	for (unsigned int i = 0; i < bf->nq; i++) {
		int n = pv_ring_front_unconsumed(&bf->q[i].front);

		if (n)
			return n;
	}
	return 0;
}

/* Requests on the rings that the backend has not answered yet. */
static bool awaiting_responses(struct pv_blkfront *bf)
{
	if (bf->conn != BF_CONNECTED)
		return false;
	for (unsigned int i = 0; i < bf->nq; i++)
		if (pv_ring_front_free(&bf->q[i].front) < pv_ring_front_size(&bf->q[i].front))
			return true;
	return false;
}

/*
 * Rounds of reap / complete / resubmit that one pv_blkfront_poll() runs
 * while polling keeps finding responses, before it hands the thread back
 * to the caller's loop (its other fds) with the eventfd set.
 */
#define POLL_ROUNDS 64

void pv_blkfront_poll(struct pv_blkfront *bf)
{
	/* Polling off (the default): one round that re-arms, not a second one. */
	bool polling = bf->bp.max_ns != 0;

	pv_busypoll_woke(&bf->bp); /* the caller's sleep, if our last poll missed, is over */
	clear_local_events(bf);
	bf_take_events(bf);
	for (unsigned int round = 0;; round++) {
		/*
		 * While we poll, rsp_event stays behind: the backend's responses
		 * do not notify. The last round re-arms it (Xen's final check).
		 */
		bf_reap(bf, !polling);
		bf_pump(bf);
		bf_push_all(bf);
		bf_run_done(bf);
		/* Requests the callbacks submitted go out now, not at the next wake-up. */
		if (bf->wait_head) {
			bf_pump(bf);
			bf_push_all(bf);
		}
		if (!polling)
			return;
		if (!awaiting_responses(bf) || pv_busypoll_spin(&bf->bp, responses_ready, bf) == 0) {
			polling = false; /* one more round, with the final check */
		} else if (round + 1 >= POLL_ROUNDS) {
			wake(bf); /* serve the caller's other fds, then come back for these */
			return;
		}
	}
}

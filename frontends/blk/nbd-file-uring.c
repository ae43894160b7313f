/* SPDX-License-Identifier: MIT */
/*
 * A file behind the NBD export through io_uring: submit() queues SQEs,
 * kick() submits the batch in one system call, poll() reaps the CQEs on
 * the server's loop thread (the ring's eventfd is the server's poll_fd).
 */
#include <errno.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <liburing.h>

#include "pvkit/log.h"
#include "nbd-file.h"

#define URING_ENTRIES 256
/* Large copies to or from the page cache go to io-wq workers, off the loop thread. */
#define URING_ASYNC_BYTES (128u << 10)

struct uring_job {
	struct pv_nbd_io *io;
	enum pv_nbd_op op;
	uint64_t off;
	uint32_t len;
	uint32_t done; /* bytes read or written so far (short transfers continue) */
	uint8_t *buf;
	uint32_t flags;
};

struct nbd_uring {
	struct io_uring ring;
	int efd;
};

static struct io_uring_sqe *get_sqe(struct nbd_uring *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe) {
		/* The submission queue is full: hand it to the kernel now. */
		io_uring_submit(&u->ring);
		sqe = io_uring_get_sqe(&u->ring);
	}
	return sqe;
}

static int prep(struct nbd_uring *u, int fd, struct uring_job *j)
{
	struct io_uring_sqe *sqe = get_sqe(u);

	if (!sqe)
		return -EBUSY;
	switch (j->op) {
	case PV_NBD_OP_READ:
		io_uring_prep_read(sqe, fd, j->buf + j->done, j->len - j->done, j->off + j->done);
		if (j->len - j->done >= URING_ASYNC_BYTES)
			sqe->flags |= IOSQE_ASYNC;
		break;
	case PV_NBD_OP_WRITE:
		io_uring_prep_write(sqe, fd, j->buf + j->done, j->len - j->done, j->off + j->done);
		if (j->flags & PV_NBD_F_FUA)
			sqe->rw_flags = RWF_DSYNC;
		if (j->len - j->done >= URING_ASYNC_BYTES)
			sqe->flags |= IOSQE_ASYNC;
		break;
	case PV_NBD_OP_FLUSH:
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		break;
	case PV_NBD_OP_TRIM:
		io_uring_prep_fallocate(sqe, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, j->off,
					j->len);
		break;
	default:
		return -EINVAL;
	}
	io_uring_sqe_set_data(sqe, j);
	return 0;
}

static void finish(struct uring_job *j, int status)
{
	pv_nbd_complete(j->io, status);
	free(j);
}

static void uring_submit(void *opaque, struct pv_nbd_io *io, enum pv_nbd_op op, uint64_t off,
			 uint32_t len, void *buf, uint32_t flags)
{
	struct nbd_file *f = opaque;
	struct uring_job *j;
	int rc;

	if (op == PV_NBD_OP_WRITE_ZEROES) {
		/* Fallbacks (punch, zero range, write zeroes) are simpler inline. */
		pv_nbd_complete(io, nbd_file_run(f->fd, op, off, len, buf, flags));
		return;
	}
	j = malloc(sizeof(*j));
	if (!j) {
		pv_nbd_complete(io, -ENOMEM);
		return;
	}
	*j = (struct uring_job){.io = io, .op = op, .off = off, .len = len, .buf = buf,
				.flags = flags};
	rc = prep(f->uring, f->fd, j);
	if (rc < 0)
		finish(j, rc);
}

static void uring_kick(void *opaque)
{
	struct nbd_file *f = opaque;

	io_uring_submit(&f->uring->ring);
}

/* One CQE: done, or a short transfer to continue (returns 1 then). */
static int reaped(struct nbd_file *f, struct uring_job *j, int res)
{
	if (res < 0) {
		finish(j, j->op == PV_NBD_OP_TRIM && res == -EOPNOTSUPP ? 0 : res);
		return 0;
	}
	if (j->op != PV_NBD_OP_READ && j->op != PV_NBD_OP_WRITE) {
		finish(j, 0);
		return 0;
	}
	if (res == 0) {
		/* End of a file that shrank under us: reads see zeroes, writes fail. */
		if (j->op == PV_NBD_OP_READ)
			memset(j->buf + j->done, 0, j->len - j->done);
		finish(j, j->op == PV_NBD_OP_READ ? 0 : -EIO);
		return 0;
	}
	j->done += res;
	if (j->done >= j->len) {
		finish(j, 0);
		return 0;
	}
	if (prep(f->uring, f->fd, j) < 0) {
		finish(j, -EIO);
		return 0;
	}
	return 1;
}

static void uring_poll(void *opaque)
{
	struct nbd_file *f = opaque;
	struct nbd_uring *u = f->uring;
	struct io_uring_cqe *cqe;
	uint64_t v;
	int again = 0;

	/* Clear the eventfd before reaping, so a CQE posted meanwhile re-arms it. */
	if (read(u->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		pv_warn_errno(errno, "nbd-file: read of the ring's eventfd");
	while (io_uring_peek_cqe(&u->ring, &cqe) == 0) {
		struct uring_job *j = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&u->ring, cqe);
		again |= reaped(f, j, res);
	}
	if (again)
		io_uring_submit(&u->ring);
}

static int uring_poll_fd(void *opaque)
{
	struct nbd_file *f = opaque;

	return f->uring->efd;
}

const struct pv_nbd_dev_ops nbd_uring_ops = {
	.submit = uring_submit,
	.kick = uring_kick,
	.poll_fd = uring_poll_fd,
	.poll = uring_poll,
};

int nbd_uring_open(struct nbd_file *f)
{
	struct nbd_uring *u = calloc(1, sizeof(*u));
	int rc;

	if (!u)
		return -ENOMEM;
	rc = io_uring_queue_init(URING_ENTRIES, &u->ring, 0);
	if (rc < 0)
		goto out_free;
	u->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (u->efd < 0) {
		rc = -errno;
		goto out_ring;
	}
	rc = io_uring_register_eventfd(&u->ring, u->efd);
	if (rc < 0)
		goto out_efd;
	f->uring = u;
	return 0;
out_efd:
	close(u->efd);
out_ring:
	io_uring_queue_exit(&u->ring);
out_free:
	free(u);
	return rc;
}

void nbd_uring_close(struct nbd_file *f)
{
	if (!f->uring)
		return;
	io_uring_queue_exit(&f->uring->ring);
	close(f->uring->efd);
	free(f->uring);
	f->uring = NULL;
}

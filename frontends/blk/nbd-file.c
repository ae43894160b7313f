/* SPDX-License-Identifier: MIT */
/*
 * A file behind the NBD export: the synchronous operations, and the worker
 * pool (requests queue on the loop thread, kick() hands the batch to the
 * workers, which complete from their own threads). io_uring: nbd-file-uring.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pvkit/log.h"
#include "nbd-file.h"

struct file_job {
	struct file_job *next;
	struct pv_nbd_io *io;
	enum pv_nbd_op op;
	uint64_t offset;
	uint32_t len;
	uint32_t flags;
	void *buf;
};

static const uint8_t zero_block[65536];

static int do_read(int fd, uint8_t *buf, uint32_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {
			memset(buf, 0, len); /* past the end of a shrunken file */
			return 0;
		}
		buf += n;
		len -= n;
		off += n;
	}
	return 0;
}

static int do_write(int fd, const uint8_t *buf, uint32_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= n;
		off += n;
	}
	return 0;
}

/* Zeroes by writing: for file systems without ZERO_RANGE (tmpfs). */
static int write_zero_blocks(int fd, uint32_t len, uint64_t off)
{
	while (len) {
		uint32_t n = len < sizeof(zero_block) ? len : sizeof(zero_block);
		int rc = do_write(fd, zero_block, n, off);

		if (rc < 0)
			return rc;
		len -= n;
		off += n;
	}
	return 0;
}

static int do_zero(int fd, uint32_t len, uint64_t off, bool no_hole)
{
	if (!no_hole && fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) == 0)
		return 0;
	if (fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, len) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL)
		return -errno;
	return write_zero_blocks(fd, len, off);
}

int nbd_file_run(int fd, enum pv_nbd_op op, uint64_t off, uint32_t len, void *buf, uint32_t flags)
{
	int rc = 0;

	switch (op) {
	case PV_NBD_OP_READ:
		return do_read(fd, buf, len, off);
	case PV_NBD_OP_WRITE:
		rc = do_write(fd, buf, len, off);
		break;
	case PV_NBD_OP_FLUSH:
		return fdatasync(fd) < 0 ? -errno : 0;
	case PV_NBD_OP_TRIM:
		/* A hint: a file system that cannot punch holes keeps the data. */
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) < 0 &&
		    errno != EOPNOTSUPP)
			rc = -errno;
		break;
	case PV_NBD_OP_WRITE_ZEROES:
		rc = do_zero(fd, len, off, flags & PV_NBD_F_NO_HOLE);
		break;
	default:
		return -EINVAL;
	}
	if (rc == 0 && (flags & PV_NBD_F_FUA) && fdatasync(fd) < 0)
		rc = -errno;
	return rc;
}

static void *worker(void *arg)
{
	struct nbd_file *f = arg;

	for (;;) {
		struct file_job *j;

		pthread_mutex_lock(&f->lock);
		while (!f->head && !f->quit)
			pthread_cond_wait(&f->wake, &f->lock);
		j = f->head;
		if (j) {
			f->head = j->next;
			if (!f->head)
				f->tail = NULL;
		}
		pthread_mutex_unlock(&f->lock);
		if (!j)
			return NULL;
		pv_nbd_complete(j->io, nbd_file_run(f->fd, j->op, j->offset, j->len, j->buf, j->flags));
		free(j);
	}
}

static void file_submit(void *opaque, struct pv_nbd_io *io, enum pv_nbd_op op, uint64_t offset,
			uint32_t len, void *buf, uint32_t flags)
{
	struct nbd_file *f = opaque;
	struct file_job *j = malloc(sizeof(*j));

	if (!j) {
		pv_nbd_complete(io, -ENOMEM);
		return;
	}
	*j = (struct file_job){.io = io, .op = op, .offset = offset, .len = len, .flags = flags,
			       .buf = buf};
	if (f->pend_tail)
		f->pend_tail->next = j;
	else
		f->pend_head = j;
	f->pend_tail = j;
	f->npend++;
}

/* One lock round and as many wake-ups as there are new jobs (at most one per worker). */
static void file_kick(void *opaque)
{
	struct nbd_file *f = opaque;
	unsigned int n = f->npend;

	if (!n)
		return;
	pthread_mutex_lock(&f->lock);
	if (f->tail)
		f->tail->next = f->pend_head;
	else
		f->head = f->pend_head;
	f->tail = f->pend_tail;
	pthread_mutex_unlock(&f->lock);
	f->pend_head = f->pend_tail = NULL;
	f->npend = 0;
	if (n >= f->nthreads)
		pthread_cond_broadcast(&f->wake);
	else
		while (n--)
			pthread_cond_signal(&f->wake);
}

static const struct pv_nbd_dev_ops threads_ops = {
	.submit = file_submit,
	.kick = file_kick,
};

static int file_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*size = st.st_size;
	return 0;
}

static int start_workers(struct nbd_file *f, unsigned int threads)
{
	for (f->nthreads = 0; f->nthreads < threads; f->nthreads++) {
		int rc = pthread_create(&f->threads[f->nthreads], NULL, worker, f);

		if (rc)
			return -rc;
	}
	return 0;
}

static int start_io(struct nbd_file *f, enum nbd_file_io mode, unsigned int threads)
{
	f->mode = mode;
	if (mode == NBD_FILE_URING)
		return nbd_uring_open(f);
	if (threads < 1 || threads > 64)
		return -EINVAL;
	return start_workers(f, threads);
}

int nbd_file_open(const char *path, bool read_only, enum nbd_file_io mode, unsigned int threads,
		  uint32_t sector_size, struct nbd_file **out, struct pv_nbd_dev_info *info,
		  const struct pv_nbd_dev_ops **ops)
{
	struct nbd_file *f = calloc(1, sizeof(*f));
	uint64_t size = 0;
	int rc;

	if (!f)
		return -ENOMEM;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->wake, NULL);
	f->fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (f->fd < 0) {
		rc = -errno;
		pv_err_errno(rc, "nbd-file: open %s", path);
		free(f);
		return rc;
	}
	rc = file_size(f->fd, &size);
	if (rc < 0)
		pv_err_errno(rc, "nbd-file: size of %s", path);
	else if ((rc = start_io(f, mode, threads)) < 0)
		pv_err_errno(rc, "nbd-file: %s for %s", mode == NBD_FILE_URING ? "io_uring" : "workers",
			     path);
	if (rc < 0) {
		nbd_file_close(f);
		return rc;
	}
	*info = (struct pv_nbd_dev_info){
		.size = size - size % sector_size,
		.sector_size = sector_size,
		.flags = PV_NBD_DEV_FLUSH | PV_NBD_DEV_TRIM | PV_NBD_DEV_WRITE_ZEROES |
			 PV_NBD_DEV_MULTI_CONN | (read_only ? PV_NBD_DEV_READ_ONLY : 0),
	};
	*ops = mode == NBD_FILE_URING ? &nbd_uring_ops : &threads_ops;
	*out = f;
	return 0;
}

void nbd_file_close(struct nbd_file *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->quit = true;
	pthread_cond_broadcast(&f->wake);
	pthread_mutex_unlock(&f->lock);
	for (unsigned int i = 0; i < f->nthreads; i++)
		pthread_join(f->threads[i], NULL);
	nbd_uring_close(f);
	close(f->fd);
	pthread_cond_destroy(&f->wake);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

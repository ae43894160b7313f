/* SPDX-License-Identifier: MIT */
/*
 * A regular file (or block device) behind the NBD export: the test seam for
 * the server and its --file benchmark. Two ways to complete requests, so
 * both of the server's completion paths are exercised: an io_uring reaped
 * on the server's loop thread (poll_fd / poll), or a pool of worker threads
 * completing from their own threads.
 */
#ifndef PVKIT_FRONTENDS_BLK_NBD_FILE_H
#define PVKIT_FRONTENDS_BLK_NBD_FILE_H

#include <pthread.h>
#include <stdbool.h>

#include "pvkit/nbd.h"

enum nbd_file_io {
	NBD_FILE_URING,   /* io_uring, completions on the loop thread (default) */
	NBD_FILE_THREADS, /* worker threads, completions from those threads */
};

struct file_job;
struct nbd_uring;

/* Private to nbd-file*.c. */
struct nbd_file {
	int fd;
	enum nbd_file_io mode;
	/* threads */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct file_job *head, *tail;           /* queued for the workers (lock) */
	struct file_job *pend_head, *pend_tail; /* submitted, not yet kicked (loop thread) */
	unsigned int npend;
	bool quit;
	unsigned int nthreads;
	pthread_t threads[64];
	/* io_uring */
	struct nbd_uring *uring;
};

/*
 * Open @path, completing through @mode (@threads workers, 1..64, for
 * NBD_FILE_THREADS). @sector_size becomes the minimum block size; the size
 * is the file's, rounded down to a sector. Fills *@info (flush, trim,
 * write-zeroes, multi-conn; read-only when asked) and *@ops (whose opaque
 * pointer is *@out). Returns 0 or -errno.
 */
int nbd_file_open(const char *path, bool read_only, enum nbd_file_io mode, unsigned int threads,
		  uint32_t sector_size, struct nbd_file **out, struct pv_nbd_dev_info *info,
		  const struct pv_nbd_dev_ops **ops);
/* Stop the workers or the ring and close the file. No request may be in flight. */
void nbd_file_close(struct nbd_file *f);

/* One request done synchronously on @fd: 0 or -errno (nbd-file.c). */
int nbd_file_run(int fd, enum pv_nbd_op op, uint64_t off, uint32_t len, void *buf, uint32_t flags);

/* nbd-file-uring.c */
int nbd_uring_open(struct nbd_file *f);
void nbd_uring_close(struct nbd_file *f);
extern const struct pv_nbd_dev_ops nbd_uring_ops;

#endif

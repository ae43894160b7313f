/* SPDX-License-Identifier: MIT */
/*
 * A regular file (or block device) behind the NBD export, completed by a
 * small thread pool: the test seam for the server and its --file benchmark.
 */
#ifndef PVKIT_FRONTENDS_BLK_NBD_FILE_H
#define PVKIT_FRONTENDS_BLK_NBD_FILE_H

#include <stdbool.h>

#include "pvkit/nbd.h"

struct nbd_file;

/*
 * Open @path with @threads workers (1..64). @sector_size becomes the
 * minimum block size; the size is the file's, rounded down to a sector.
 * Fills *@info (flush, trim, write-zeroes, multi-conn; read-only when asked).
 * Returns 0 or -errno.
 */
int nbd_file_open(const char *path, bool read_only, unsigned int threads, uint32_t sector_size,
		  struct nbd_file **out, struct pv_nbd_dev_info *info);
/* Stop the workers and close the file. No request may be in flight. */
void nbd_file_close(struct nbd_file *f);

/* The device operations; the opaque pointer is the struct nbd_file. */
extern const struct pv_nbd_dev_ops nbd_file_ops;

#endif

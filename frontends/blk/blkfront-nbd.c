/* SPDX-License-Identifier: MIT */
/*
 * The NBD export of a vbd: struct pv_nbd_dev_ops over blkfront, so that
 * stock NBD clients (nbdcopy, qemu-img, fio's nbd engine) reach the disk.
 */
#include <errno.h>
#include <stdio.h>

#include "blkfront-int.h"
#include "pvkit/nbd.h"

static void nbd_done(void *opaque, int status)
{
	pv_nbd_complete(opaque, status);
}

static void nbd_submit(void *opaque, struct pv_nbd_io *io, enum pv_nbd_op op, uint64_t offset,
		       uint32_t len, void *buf, uint32_t flags)
{
	static const enum pv_blkfront_op map[] = {
		[PV_NBD_OP_READ] = PV_BLKFRONT_READ,
		[PV_NBD_OP_WRITE] = PV_BLKFRONT_WRITE,
		[PV_NBD_OP_FLUSH] = PV_BLKFRONT_FLUSH,
		[PV_NBD_OP_TRIM] = PV_BLKFRONT_DISCARD,
		/* Zeros written (NO_HOLE or not): a blkif discard need not read back zero. */
		[PV_NBD_OP_WRITE_ZEROES] = PV_BLKFRONT_WRITE_ZEROES,
	};
	int rc = -EOPNOTSUPP;

	(void)flags; /* FUA is emulated by the server with a flush */
	if ((unsigned int)op < sizeof(map) / sizeof(map[0]))
		rc = pv_blkfront_submit(opaque, map[op], offset, len, buf, nbd_done, io);
	if (rc)
		pv_nbd_complete(io, rc);
}

static void nbd_kick(void *opaque)
{
	pv_blkfront_kick(opaque);
}

static int nbd_poll_fd(void *opaque)
{
	return pv_blkfront_fd(opaque);
}

static void nbd_poll(void *opaque)
{
	pv_blkfront_poll(opaque);
}

/* Data straight in the granted pool: no bounce copy (see pv_blkfront_buf_alloc()). */
static void *nbd_buf_alloc(void *opaque, uint32_t len)
{
	return pv_blkfront_buf_alloc(opaque, len);
}

static void nbd_buf_free(void *opaque, void *buf, uint32_t len)
{
	pv_blkfront_buf_free(opaque, buf, len);
}

static const struct pv_nbd_dev_ops blkfront_nbd_ops = {
	.submit = nbd_submit,
	.kick = nbd_kick,
	.poll_fd = nbd_poll_fd,
	.poll = nbd_poll,
	.buf_alloc = nbd_buf_alloc,
	.buf_free = nbd_buf_free,
};

int pv_blkfront_nbd_export(struct pv_blkfront *bf, const char *socket_path, const char *name,
			   struct pv_nbd_server **out)
{
	const struct pv_blkfront_info *i = pv_blkfront_info(bf);
	struct pv_nbd_dev_info dev = {
		.size = i->sectors * i->sector_size,
		.sector_size = i->sector_size,
		.max_request = 32u << 20,
		/*
		 * blkback flushes the whole target: a flush covers every
		 * connection. Responses come from another domain (and local
		 * failures signal pv_blkfront_fd()): no poll after a kick.
		 */
		.flags = PV_NBD_DEV_MULTI_CONN | PV_NBD_DEV_ASYNC_KICK | PV_NBD_DEV_WRITE_ZEROES,
	};
	struct pv_nbd_server_config cfg = {
		.socket_path = socket_path,
		.export_name = name,
		.description = "pvkit vbd",
		.log_prefix = bf->prefix,
	};

	if (i->read_only)
		dev.flags |= PV_NBD_DEV_READ_ONLY;
	if (i->flush)
		dev.flags |= PV_NBD_DEV_FLUSH;
	if (i->discard)
		dev.flags |= PV_NBD_DEV_TRIM;
	return pv_nbd_server_new(&cfg, &dev, &blkfront_nbd_ops, bf, out);
}

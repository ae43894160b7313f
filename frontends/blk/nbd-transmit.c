/* SPDX-License-Identifier: MIT */
/*
 * NBD export: the transmission phase. Request headers are validated before
 * the device sees them; replies (simple, or structured for reads) are built
 * here and queued for nbd-server.c to send.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nbd.h"

/* Device status (0 or -errno) to an NBD error value. */
uint32_t nbd_errno(int status)
{
	switch (-status) {
	case 0:
		return 0;
	case EPERM:
	case EROFS:
		return NBD_EPERM;
	case ENOMEM:
		return NBD_ENOMEM;
	case EINVAL:
		return NBD_EINVAL;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return NBD_ENOSPC;
	case EOVERFLOW:
		return NBD_EOVERFLOW;
	case ENOTSUP:
		/*
		 * The NBD spec keeps NBD_ENOTSUP for a fast zero that is not
		 * fast (never offered here): a device that cannot do what was
		 * asked failed it.
		 */
		return NBD_EIO;
	case ESHUTDOWN:
		return NBD_ESHUTDOWN;
	default:
		return NBD_EIO;
	}
}

static void reply_queue(struct nbd_conn *c, struct pv_nbd_io *io)
{
	io->next = NULL;
	if (c->rq_tail)
		c->rq_tail->next = io;
	else
		c->rq_head = io;
	c->rq_tail = io;
	nbd_mark_dirty(c);
}

/* Build the reply for @io (NBD error @err) and queue it. */
void nbd_reply(struct nbd_conn *c, struct pv_nbd_io *io, uint32_t err)
{
	/*
	 * Only a successful READ sends its data: any other request gives its
	 * buffer back now, not once the reply is out (a client slow to read
	 * replies would hold the device's buffers, which zero copy needs).
	 */
	if (io->cmd != NBD_CMD_READ || err)
		nbd_io_free_buf(io);
	memset(io->hdr, 0, sizeof(io->hdr));
	io->data_len = 0;
	if (io->cmd == NBD_CMD_READ && c->structured) {
		nbd_put32(io->hdr, NBD_MAGIC_STRUCT_REPLY);
		nbd_put16(io->hdr + 4, NBD_REPLY_FLAG_DONE);
		nbd_put64(io->hdr + 8, io->cookie);
		if (err) {
			/* NBD_REPLY_TYPE_ERROR: error, empty message. */
			nbd_put16(io->hdr + 6, NBD_REPLY_TYPE_ERROR);
			nbd_put32(io->hdr + 16, 6);
			nbd_put32(io->hdr + 20, err);
			io->hdr_len = 26;
		} else {
			nbd_put16(io->hdr + 6, NBD_REPLY_TYPE_OFFSET_DATA);
			nbd_put32(io->hdr + 16, 8 + io->len);
			nbd_put64(io->hdr + 20, io->offset);
			io->hdr_len = 28;
			io->data_len = io->len;
		}
	} else {
		nbd_put32(io->hdr, NBD_MAGIC_SIMPLE_REPLY);
		nbd_put32(io->hdr + 4, err);
		nbd_put64(io->hdr + 8, io->cookie);
		io->hdr_len = 16;
		if (io->cmd == NBD_CMD_READ && !err)
			io->data_len = io->len;
	}
	io->sent = 0;
	c->rq_bytes += io->hdr_len + io->data_len;
	reply_queue(c, io);
}

void nbd_submit(struct nbd_conn *c, struct pv_nbd_io *io)
{
	static const enum pv_nbd_op ops[] = {
		[NBD_CMD_READ] = PV_NBD_OP_READ,
		[NBD_CMD_WRITE] = PV_NBD_OP_WRITE,
		[NBD_CMD_FLUSH] = PV_NBD_OP_FLUSH,
		[NBD_CMD_TRIM] = PV_NBD_OP_TRIM,
		[NBD_CMD_WRITE_ZEROES] = PV_NBD_OP_WRITE_ZEROES,
	};
	struct pv_nbd_server *srv = c->srv;
	uint32_t flags = 0;

	/* FUA means something only where the command writes (READ, FLUSH: ignored). */
	if ((io->flags & NBD_CMD_FLAG_FUA) && io->cmd != NBD_CMD_READ && io->cmd != NBD_CMD_FLUSH) {
		if (srv->info.flags & PV_NBD_DEV_FUA)
			flags |= PV_NBD_F_FUA;
		else
			io->flush_after = true;
	}
	if (io->flags & NBD_CMD_FLAG_NO_HOLE)
		flags |= PV_NBD_F_NO_HOLE;
	c->inflight++;
	srv->inflight++;
	srv->submitted = true;
	srv->ops->submit(srv->opaque, io, ops[io->cmd], io->offset, io->len, io->buf, flags);
}

/*
 * Command flags each command accepts. FUA is valid on every command once
 * NBD_FLAG_SEND_FUA is offered (the NBD spec: the server MUST accept it,
 * clients are known to set it on reads and flushes); it is offered only
 * with flush.
 */
static uint16_t allowed_flags(const struct nbd_conn *c, uint16_t cmd)
{
	uint16_t fua = c->srv->info.flags & PV_NBD_DEV_FLUSH ? NBD_CMD_FLAG_FUA : 0;

	switch (cmd) {
	case NBD_CMD_READ:
		return fua | (c->structured ? NBD_CMD_FLAG_DF : 0);
	case NBD_CMD_WRITE_ZEROES:
		return fua | NBD_CMD_FLAG_NO_HOLE;
	default:
		return fua;
	}
}

static uint32_t dev_flag_for(uint16_t cmd)
{
	switch (cmd) {
	case NBD_CMD_FLUSH:
		return PV_NBD_DEV_FLUSH;
	case NBD_CMD_TRIM:
		return PV_NBD_DEV_TRIM;
	case NBD_CMD_WRITE_ZEROES:
		return PV_NBD_DEV_WRITE_ZEROES;
	default:
		return 0;
	}
}

/* The NBD error for a request header, or 0 when the device may see it. */
static uint32_t validate(const struct nbd_conn *c, const struct pv_nbd_io *io)
{
	const struct pv_nbd_dev_info *info = &c->srv->info;
	bool writes = io->cmd == NBD_CMD_WRITE || io->cmd == NBD_CMD_TRIM ||
		      io->cmd == NBD_CMD_WRITE_ZEROES;

	if (io->cmd > NBD_CMD_WRITE_ZEROES || io->cmd == NBD_CMD_DISC || io->cmd == 5)
		return NBD_EINVAL; /* unknown, CACHE, BLOCK_STATUS (not negotiated) */
	if (io->flags & ~allowed_flags(c, io->cmd))
		return NBD_EINVAL;
	if (writes && (info->flags & PV_NBD_DEV_READ_ONLY))
		return NBD_EPERM;
	if ((dev_flag_for(io->cmd) & info->flags) != dev_flag_for(io->cmd))
		return NBD_EINVAL;
	if (io->cmd == NBD_CMD_FLUSH)
		return io->offset || io->len ? NBD_EINVAL : 0;
	/*
	 * The maximum block size bounds what carries or returns a payload.
	 * A TRIM may be longer (the NBD spec lets clients send one: qemu's
	 * discards go up to 2 GiB, the kernel's further), and so may a
	 * WRITE_ZEROES in practice (nbdcopy zeroes a whole hole of a sparse
	 * image in one request, nbdkit serves it; the spec's "MUST NOT" is
	 * the client's, refusing it broke the copy).
	 */
	if (io->len == 0 || (io->len > info->max_request &&
			     (io->cmd == NBD_CMD_READ || io->cmd == NBD_CMD_WRITE)))
		return NBD_EINVAL;
	if ((io->offset | io->len) & (info->sector_size - 1))
		return NBD_EINVAL;
	if (io->offset > info->size || io->len > info->size - io->offset)
		return io->cmd == NBD_CMD_READ || io->cmd == NBD_CMD_TRIM ? NBD_EINVAL
									    : NBD_ENOSPC;
	return 0;
}

/*
 * A write whose header arrived: read its payload, or drop it after an
 * error. The error reply waits until the payload is dropped: a client
 * still sending it does not expect a reply yet (libnbd calls one "no
 * matching cookie ... a bug in the server" and gives up the connection).
 */
static void start_write(struct nbd_conn *c, struct pv_nbd_io *io, uint32_t err)
{
	if (!err && nbd_io_buf(io, false))
		err = NBD_ENOMEM;
	if (err && !io->len) {
		nbd_reply(c, io, err);
		return;
	}
	if (err) {
		c->cur = io;
		c->cur_err = err;
		c->discard = io->len;
		c->state = NBD_ST_DISCARD;
		return;
	}
	c->cur = io;
	c->cur_got = 0;
	c->state = NBD_ST_PAYLOAD;
}

static void request(struct nbd_conn *c, const uint8_t *p)
{
	struct pv_nbd_io *io = calloc(1, sizeof(*io));
	uint32_t err;

	if (!io) {
		pv_dev_err(c->name, "out of memory for a request: closing");
		nbd_conn_close(c);
		return;
	}
	io->conn = c;
	c->nios++;
	io->flags = nbd_get16(p + 4);
	io->cmd = nbd_get16(p + 6);
	io->cookie = nbd_get64(p + 8);
	io->offset = nbd_get64(p + 16);
	io->len = nbd_get32(p + 24);
	if (io->cmd == NBD_CMD_DISC) {
		nbd_io_free(io);
		c->state = NBD_ST_CLOSING;
		return;
	}
	err = validate(c, io);
	if (err)
		pv_dev_warn_rl(&c->srv->rl, c->name, "command %u offset %llu length %u: error %u",
			       io->cmd, (unsigned long long)io->offset, io->len, err);
	if (io->cmd == NBD_CMD_WRITE) {
		start_write(c, io, err);
		return;
	}
	/* malloc'd memory is zeroed: no stale byte of ours can leave. */
	if (!err && io->cmd == NBD_CMD_READ && nbd_io_buf(io, true))
		err = NBD_ENOMEM;
	if (err)
		nbd_reply(c, io, err);
	else
		nbd_submit(c, io);
}

/* Consume buffered transmission input; stops when more input is needed. */
void nbd_transmission_input(struct nbd_conn *c)
{
	while (!c->dead && nbd_input_wanted(c)) {
		uint32_t avail = c->in_end - c->in_start;
		const uint8_t *p = c->in + c->in_start;

		if (c->state == NBD_ST_REQUEST) {
			if (avail < NBD_REQUEST_SIZE)
				return;
			if (nbd_get32(p) != NBD_MAGIC_REQUEST) {
				pv_dev_warn_rl(&c->srv->rl, c->name, "bad request magic: closing");
				nbd_conn_close(c);
				return;
			}
			c->in_start += NBD_REQUEST_SIZE;
			request(c, p);
		} else if (c->state == NBD_ST_PAYLOAD) {
			uint32_t n = c->cur->len - c->cur_got;

			if (n > avail)
				n = avail;
			memcpy((uint8_t *)c->cur->buf + c->cur_got, p, n);
			c->in_start += n;
			c->cur_got += n;
			if (c->cur_got < c->cur->len)
				return;
			c->state = NBD_ST_REQUEST;
			nbd_submit(c, c->cur);
			c->cur = NULL;
		} else if (c->state == NBD_ST_DISCARD) {
			uint64_t n = c->discard < avail ? c->discard : avail;

			c->in_start += n;
			c->discard -= n;
			if (c->discard)
				return;
			c->state = NBD_ST_REQUEST;
			nbd_reply(c, c->cur, c->cur_err);
			c->cur = NULL;
		} else {
			return;
		}
	}
}

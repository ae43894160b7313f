/* SPDX-License-Identifier: MIT */
/*
 * pcifront's service to the guest's drivers: pci.sock (pcisock.h). Each
 * request is checked (a driver is a guest process), turned into one op
 * and answered when the backend has answered; interrupts a driver enabled
 * and DMA memory it allocated are given back when it disconnects.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "pvkit/arch.h"
#include "pvkit/pcidev.h"
#include "pcifront.h"

#define MAX_CLIENTS 16
#define MAX_DMA 256                /* DMA allocations one driver may hold */

/* Guest memory a driver allocated for DMA: freed when it asks or goes away. */
struct dma_buf {
	void *addr;
	uint64_t gpa;
	unsigned int pages;
};

struct pcifront_client {
	struct pcifront *f;
	int fd;
	int busy;                      /* a request in flight */
	struct pv_pcisock_req req;     /* that request, private copy */
	struct dma_buf dma[MAX_DMA];
	unsigned int ndma;
	uint32_t used;                 /* bit per device slot it sent a request for */
	struct pcifront_client *next;
};

static void drop_client(struct pcifront *f, struct pcifront_client *c);

/* Send @rsp (and @fd when >= 0, which is closed here either way). */
static int send_reply(struct pcifront_client *c, const struct pv_pcisock_rsp *rsp, size_t len, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = (void *)rsp, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	memset(cbuf, 0, sizeof(cbuf));
	if (fd >= 0) {
		struct cmsghdr *cm;

		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	n = sendmsg(c->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (fd >= 0)
		close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* Answer the client's request: @err, @value (@value2), and an fd to pass (or -1). */
static void reply2(struct pcifront *f, struct pcifront_client *c, int err, uint64_t value,
		   uint64_t value2, int fd)
{
	struct pv_pcisock_rsp rsp;

	memset(&rsp, 0, sizeof(rsp));
	rsp.err = err;
	rsp.value = value;
	rsp.value2 = value2;
	c->busy = 0;
	if (send_reply(c, &rsp, offsetof(struct pv_pcisock_rsp, devs), err ? -1 : fd) < 0)
		drop_client(f, c);
}

static void reply(struct pcifront *f, struct pcifront_client *c, int err, uint64_t value, int fd)
{
	reply2(f, c, err, value, 0, fd);
}

/* The device a request names, or NULL (unknown slot, stale generation, detached). */
static struct pcifront_dev *lookup(struct pcifront *f, uint32_t dev_id)
{
	struct pcifront_dev *d;

	if ((dev_id & 0xff) >= PV_PCISOCK_MAX_DEVS)
		return NULL;
	d = &f->devs[dev_id & 0xff];
	return d->present && d->gen == dev_id >> 8 ? d : NULL;
}

static void list(struct pcifront *f, struct pcifront_client *c)
{
	struct pv_pcisock_rsp rsp;

	memset(&rsp, 0, sizeof(rsp));
	c->busy = 0;
	if (!pcifront_connected(f)) {
		rsp.err = -ENODEV;
	} else {
		for (unsigned int i = 0; i < PV_PCISOCK_MAX_DEVS; i++) {
			if (!f->devs[i].present)
				continue;
			rsp.devs[rsp.count].dev_id = i | f->devs[i].gen << 8;
			snprintf(rsp.devs[rsp.count].bdf, sizeof(rsp.devs[0].bdf), "%s", f->devs[i].bdf);
			rsp.count++;
		}
	}
	if (send_reply(c, &rsp, sizeof(rsp), -1) < 0)
		drop_client(f, c);
}

/* ---- ops ------------------------------------------------------------------------ */

static void value_done(struct pcifront *f, void *ctx, int err, const struct pv_pci_op *rsp)
{
	if (ctx)
		reply(f, ctx, err, err ? 0 : rsp->value, -1);
}

static void data_done(struct pcifront *f, void *ctx, int err, const struct pv_pci_op *rsp)
{
	if (ctx)
		reply(f, ctx, err, err ? 0 : rsp->ext.data, -1);
}

static void bar_info_done(struct pcifront *f, void *ctx, int err, const struct pv_pci_op *rsp)
{
	if (ctx)
		reply2(f, ctx, err, err ? 0 : rsp->ext.size, err ? 0 : rsp->ext.flags, -1);
}

static void ignore_done(struct pcifront *f, void *ctx, int err, const struct pv_pci_op *rsp)
{
	(void)f;
	(void)ctx;
	(void)err;
	(void)rsp;
}

static uint32_t disable_cmd(int kind)
{
	return kind == PV_PCIDEV_MSIX ? PV_PCI_OP_DISABLE_MSIX
	       : kind == PV_PCIDEV_MSI ? PV_PCI_OP_DISABLE_MSI : PV_PCI_OP_INTX_DISABLE;
}

static void irq_done(struct pcifront *f, void *ctx, int err, const struct pv_pci_op *rsp)
{
	struct pcifront_client *c = ctx;
	struct pcifront_dev *d;
	int efd = -1;

	if (!c) /* the driver went away meanwhile: nobody to own them */
		return;
	d = lookup(f, c->req.dev);
	if (!err && !d)
		err = -ENODEV;
	if (!err) {
		err = pcifront_irq_bind(f, d, (int)c->req.arg, c->req.len, rsp, c, &efd);
		if (err < 0) {
			/* The backend enabled what we cannot use: turn it off again. */
			struct pv_pci_op off = {.cmd = disable_cmd((int)c->req.arg)};

			pcifront_submit(f, d, &off, ignore_done, NULL);
		}
	}
	reply(f, c, err, err ? 0 : (uint64_t)rsp->value, efd);
}

/* Stop @d's interrupts: unbind here at once, tell the backend; @done for its answer. */
static int irq_off(struct pcifront *f, struct pcifront_dev *d, pcifront_done_fn done, void *ctx)
{
	struct pv_pci_op op = {.cmd = disable_cmd(d->irq.kind)};

	pcifront_irq_unbind(f, d);
	return pcifront_submit(f, d, &op, done, ctx);
}

static int irq_enable(struct pcifront *f, struct pcifront_client *c, struct pcifront_dev *d)
{
	struct pv_pci_op op = {0};
	int rc;

	switch (c->req.arg) {
	case PV_PCIDEV_MSI:
		op.cmd = PV_PCI_OP_ENABLE_MSI;
		break;
	case PV_PCIDEV_MSIX:
		if (!c->req.len || c->req.len > PV_PCI_SH_INFO_MAX_VEC)
			return -EINVAL; /* more than the page carries */
		op.cmd = PV_PCI_OP_ENABLE_MSIX;
		op.value = c->req.len;
		for (unsigned int i = 0; i < c->req.len; i++)
			op.msix_entries[i].entry = c->req.entries[i];
		break;
	case PV_PCIDEV_INTX:
		op.cmd = PV_PCI_OP_INTX_ENABLE;
		break;
	default:
		return -EINVAL;
	}
	if (d->irq.kind >= 0) {
		/* Enabling another kind disables the first. */
		rc = irq_off(f, d, ignore_done, NULL);
		if (rc < 0)
			return rc;
	}
	return pcifront_submit(f, d, &op, irq_done, c);
}

static int check_cfg(const struct pv_pcisock_req *r)
{
	if ((r->len != 1 && r->len != 2 && r->len != 4) || r->offset % r->len || r->offset >= 4096)
		return -EINVAL;
	if (r->op == PV_PCISOCK_CFG_WRITE && r->len < 4 && r->value >> (8 * r->len))
		return -EINVAL;
	return r->value > UINT32_MAX ? -EINVAL : 0;
}

/* A BAR access or BAR_INFO: checked here, bounded by the backend. */
static int bar_op(struct pcifront *f, struct pcifront_client *c, struct pcifront_dev *d)
{
	const struct pv_pcisock_req *r = &c->req;
	struct pv_pci_op op = {.ext = {.bar = r->arg, .offset = r->offset, .data = r->value}};

	if (r->arg > PV_PCI_BAR_ROM)
		return -EINVAL;
	if (r->op == PV_PCISOCK_BAR_INFO) {
		op.cmd = PV_PCI_OP_BAR_INFO;
		op.ext.offset = op.ext.data = 0;
		return pcifront_submit(f, d, &op, bar_info_done, c);
	}
	if ((r->len != 1 && r->len != 2 && r->len != 4 && r->len != 8) || r->offset % r->len)
		return -EINVAL;
	op.size = (int32_t)r->len;
	op.cmd = r->op == PV_PCISOCK_BAR_READ ? PV_PCI_OP_BAR_READ : PV_PCI_OP_BAR_WRITE;
	if (op.cmd == PV_PCI_OP_BAR_READ)
		op.ext.data = 0;
	else if (r->len < 8 && r->value >> (8 * r->len))
		return -EINVAL;
	return pcifront_submit(f, d, &op, op.cmd == PV_PCI_OP_BAR_READ ? data_done : value_done, c);
}

/* Start serving @c's request: 0 when an op was queued (answered later), or -errno. */
static int serve(struct pcifront *f, struct pcifront_client *c)
{
	struct pv_pcisock_req *r = &c->req;
	struct pcifront_dev *d = lookup(f, r->dev);
	struct pv_pci_op op = {0};
	int rc;

	if (!d)
		return -ENODEV;
	c->used |= 1u << (d - f->devs);
	switch (r->op) {
	case PV_PCISOCK_CFG_READ:
	case PV_PCISOCK_CFG_WRITE:
		rc = check_cfg(r);
		if (rc < 0)
			return rc;
		op = (struct pv_pci_op){.cmd = r->op == PV_PCISOCK_CFG_READ ? PV_PCI_OP_CONF_READ
									    : PV_PCI_OP_CONF_WRITE,
					.offset = (int32_t)r->offset, .size = (int32_t)r->len,
					.value = (uint32_t)r->value};
		return pcifront_submit(f, d, &op, value_done, c);
	case PV_PCISOCK_IRQ_ENABLE:
		return irq_enable(f, c, d);
	case PV_PCISOCK_IRQ_DISABLE:
		if (d->irq.kind < 0)
			return 1;
		return irq_off(f, d, value_done, c);
	case PV_PCISOCK_IRQ_ACK:
		if (d->irq.kind != PV_PCIDEV_INTX)
			return d->irq.kind < 0 ? -EINVAL : 1; /* MSI needs no ack */
		op.cmd = PV_PCI_OP_INTX_ACK;
		return pcifront_submit(f, d, &op, value_done, c);
	case PV_PCISOCK_BAR_INFO:
	case PV_PCISOCK_BAR_READ:
	case PV_PCISOCK_BAR_WRITE:
		return bar_op(f, c, d);
	case PV_PCISOCK_RESET:
		op.cmd = PV_PCI_OP_RESET;
		return pcifront_submit(f, d, &op, value_done, c);
	default:
		return -EOPNOTSUPP;
	}
}

/* ---- guest memory for DMA ------------------------------------------------------------ */

/* The guest's memory file, for the driver to map its buffers from (see pcidev.h). */
static void mem(struct pcifront *f, struct pcifront_client *c)
{
	uint64_t bytes = 0;
	int fd = pv_dma_mem_fd(pv_guest_platform(f->g), &bytes);

	reply(f, c, fd < 0 ? fd : 0, bytes, fd);
}

static int dma_alloc(struct pcifront *f, struct pcifront_client *c)
{
	struct dma_buf *b = &c->dma[c->ndma];
	unsigned int pages = c->req.len / PV_PAGE_SIZE;

	if (!pages || c->req.len % PV_PAGE_SIZE)
		return -EINVAL;
	if (c->ndma == MAX_DMA)
		return -ENOSPC;
	b->addr = pv_dma_alloc(pv_guest_platform(f->g), pages, &b->gpa);
	if (!b->addr)
		return errno == ENOSPC ? -ENOMEM : -errno;
	b->pages = pages;
	c->ndma++;
	reply(f, c, 0, b->gpa, -1);
	return 0;
}

static void dma_release(struct pcifront *f, struct pcifront_client *c, unsigned int i)
{
	if (pv_dma_free(pv_guest_platform(f->g), c->dma[i].addr, c->dma[i].pages) < 0)
		pv_dev_warn(f->x->prefix, "freeing DMA pages at %#llx failed: leaking them",
			    (unsigned long long)c->dma[i].gpa);
	c->dma[i] = c->dma[--c->ndma];
}

static int dma_free(struct pcifront *f, struct pcifront_client *c)
{
	for (unsigned int i = 0; i < c->ndma; i++) {
		if (c->dma[i].gpa != c->req.value)
			continue;
		dma_release(f, c, i);
		return 1;
	}
	return -EINVAL; /* not one of this driver's buffers */
}

/*
 * A driver that hangs up may leave a device DMAing into its buffers: the
 * pages go back to the guest only after the command register of every
 * device it drove is written 0 (bus mastering and decoding off, as a
 * release does; the next driver turns them on again).
 */
struct quiesce {
	struct pcifront *f;
	unsigned int pending;   /* writes not answered yet, + 1 while sending */
	unsigned int ndma;
	struct dma_buf dma[MAX_DMA];
};

static void quiesce_done(struct pcifront *f, void *ctx, int err, const struct pv_pci_op *rsp)
{
	struct quiesce *q = ctx;

	(void)err;
	(void)rsp;
	if (--q->pending)
		return;
	for (unsigned int i = 0; i < q->ndma; i++)
		if (pv_dma_free(pv_guest_platform(f->g), q->dma[i].addr, q->dma[i].pages) < 0)
			pv_dev_warn(f->x->prefix, "freeing DMA pages at %#llx failed: leaking them",
				    (unsigned long long)q->dma[i].gpa);
	free(q);
}

/* Take @c's DMA buffers; free them once the devices stopped mastering. */
static void quiesce(struct pcifront *f, struct pcifront_client *c)
{
	struct pv_pci_op off = {.cmd = PV_PCI_OP_CONF_WRITE, .offset = 0x04, .size = 2};
	struct quiesce *q = malloc(sizeof(*q));

	if (!q) {
		while (c->ndma) /* no room to wait: free at once */
			dma_release(f, c, 0);
		return;
	}
	*q = (struct quiesce){.f = f, .pending = 1, .ndma = c->ndma};
	memcpy(q->dma, c->dma, c->ndma * sizeof(c->dma[0]));
	c->ndma = 0;
	for (unsigned int i = 0; i < PV_PCISOCK_MAX_DEVS; i++) {
		if (!f->devs[i].present || !(c->used & (1u << i)))
			continue; /* only the devices this driver drove */
		q->pending++;
		if (pcifront_submit(f, &f->devs[i], &off, quiesce_done, q) < 0)
			q->pending--; /* queue full: not waited for */
	}
	quiesce_done(f, q, 0, NULL); /* the sending guard */
}

/* Requests about the guest's memory, not a device: 1 answered here, 0 not one of them. */
static int serve_mem(struct pcifront *f, struct pcifront_client *c, int *rc)
{
	switch (c->req.op) {
	case PV_PCISOCK_MEM:
		mem(f, c);
		*rc = 0;
		return 1;
	case PV_PCISOCK_DMA_ALLOC:
		*rc = dma_alloc(f, c);
		return 1;
	case PV_PCISOCK_DMA_FREE:
		*rc = dma_free(f, c);
		return 1;
	default:
		return 0;
	}
}

/* ---- clients -------------------------------------------------------------------- */

static void drop_client(struct pcifront *f, struct pcifront_client *c)
{
	struct pcifront_client **pp = &f->clients;

	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (!*pp)
		return; /* already gone */
	*pp = c->next;
	pcifront_forget(f, c);
	for (unsigned int i = 0; i < PV_PCISOCK_MAX_DEVS; i++)
		if (f->devs[i].present && f->devs[i].irq.kind >= 0 && f->devs[i].irq.owner == c)
			irq_off(f, &f->devs[i], ignore_done, NULL);
	if (c->ndma)
		quiesce(f, c);
	pv_guest_del_fd(f->g, c->fd);
	close(c->fd);
	free(c);
}

static void on_client(struct pv_guest *g, int fd, uint32_t events, void *opaque)
{
	struct pcifront_client *c = opaque;
	struct pcifront *f = c->f;
	struct pv_pcisock_req req;
	ssize_t n;
	int rc;

	(void)g;
	(void)events;
	n = recv(fd, &req, sizeof(req), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n != (ssize_t)sizeof(req))
		return drop_client(f, c); /* end of file, error, or not our request layout */
	if (c->busy) {
		/* One request at a time: the answer to this one would be taken for the other. */
		pv_dev_warn_rl(&f->rl, f->x->prefix, "a driver sent a request before its answer: dropped");
		return drop_client(f, c);
	}
	c->req = req;
	c->busy = 1;
	if (req.op == PV_PCISOCK_LIST)
		return list(f, c);
	if (!serve_mem(f, c, &rc))
		rc = serve(f, c);
	if (rc != 0)
		reply(f, c, rc > 0 ? 0 : rc, 0, -1);
}

static void on_listen(struct pv_guest *g, int fd, uint32_t events, void *opaque)
{
	struct pcifront *f = opaque;
	struct pcifront_client *c;
	unsigned int n = 0;
	int cfd;

	(void)events;
	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0)
		return;
	for (c = f->clients; c; c = c->next)
		n++;
	c = n < MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		pv_dev_warn_rl(&f->rl, f->x->prefix, "more than %d drivers: one refused", MAX_CLIENTS);
		close(cfd);
		return;
	}
	*c = (struct pcifront_client){.f = f, .fd = cfd, .next = f->clients};
	if (pv_guest_add_fd(g, cfd, EPOLLIN, on_client, c) < 0) {
		close(cfd);
		free(c);
		return;
	}
	f->clients = c;
}

int pcifront_srv_open(struct pcifront *f)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, rc;

	snprintf(f->sock_path, sizeof(f->sock_path), "%s/" PV_PCISOCK_NAME, pv_guest_dir(f->g));
	if (strlen(f->sock_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, f->sock_path);
	unlink(f->sock_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Only pvkit-guest's user until the guest's admin hands it to a driver's user. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(f->sock_path, 0600) < 0 ||
	    listen(fd, 16) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	f->listen_fd = fd;
	return pv_guest_add_fd(f->g, fd, EPOLLIN, on_listen, f);
}

void pcifront_srv_close(struct pcifront *f)
{
	while (f->clients)
		drop_client(f, f->clients);
	if (f->listen_fd >= 0) {
		pv_guest_del_fd(f->g, f->listen_fd);
		close(f->listen_fd);
		unlink(f->sock_path);
		f->listen_fd = -1;
	}
}

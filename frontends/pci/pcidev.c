/* SPDX-License-Identifier: MIT */
/*
 * The guest's PCI driver API (include/pvkit/pcidev.h). Guest mode: every
 * call is one request to pcifront on pci.sock (pcisock.h), answered once
 * the backend answered; interrupts arrive on an eventfd pcifront passes;
 * DMA buffers are pages of the guest's memory, whose file pcifront passes
 * once. Direct mode lives in pcidev_direct.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pcidev_priv.h"

static int map_guest_memory(struct pv_pcidev_bus *bus);

/* A bound on waiting for pcifront, which answers within its own op timeout. */
#define CALL_TIMEOUT_S 120

/* One request, its answer and the fd it may carry (*@fd, else -1). Returns rsp->err. */
static int call(struct pv_pcidev_bus *bus, struct pv_pcisock_req *req, struct pv_pcisock_rsp *rsp,
		int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = rsp, .iov_len = sizeof(*rsp)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	int got = -1;
	ssize_t n;

	if (send(bus->sock, req, sizeof(*req), MSG_NOSIGNAL) != (ssize_t)sizeof(*req))
		return -EPIPE;
	memset(rsp, 0, sizeof(*rsp));
	n = recvmsg(bus->sock, &m, MSG_CMSG_CLOEXEC);
	cm = n > 0 ? CMSG_FIRSTHDR(&m) : NULL;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&got, CMSG_DATA(cm), sizeof(int));
	if (fd)
		*fd = got;
	else if (got >= 0)
		close(got);
	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	if (n < (ssize_t)offsetof(struct pv_pcisock_rsp, devs))
		return -EPIPE; /* pcifront went away */
	return rsp->err;
}

/* A request for @dev with no answer but its value. */
static int dev_call(struct pv_pcidev *dev, uint32_t op, uint32_t arg, uint32_t len, uint64_t offset,
		    uint64_t value, uint64_t *out)
{
	struct pv_pcisock_req req = {.op = op, .dev = dev->dev_id, .arg = arg, .len = len,
				     .offset = offset, .value = value};
	struct pv_pcisock_rsp rsp;
	int rc = call(dev->bus, &req, &rsp, NULL);

	if (rc == 0 && out)
		*out = rsp.value;
	return rc;
}

static int connect_sock(struct pv_pcidev_bus *bus, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = CALL_TIMEOUT_S};
	const char *rundir = getenv("PVKIT_RUNDIR"), *domid = getenv("PVKIT_DOMID");

	if (path)
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	else if (domid)
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/dom/%s/" PV_PCISOCK_NAME,
			 rundir ? rundir : "/run/pvkit", domid);
	else
		return pcidev_fail(err, errlen, -EINVAL, "no pci.sock given and $PVKIT_DOMID is not set");
	bus->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (bus->sock < 0)
		return pcidev_fail(err, errlen, -errno, "socket: %s", strerror(errno));
	setsockopt(bus->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(bus->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return pcidev_fail(err, errlen, -errno, "cannot reach the guest's PCI frontend at %s: %s",
				   sa.sun_path, strerror(errno));
	return 0;
}

/* Learn one device: its handle from LIST, its IDs from config space. */
static int add_device(struct pv_pcidev_bus *bus, const struct pv_pcisock_devinfo *info, char *err,
		      size_t errlen)
{
	struct pv_pcidev *dev = &bus->dev[bus->ndevs];
	uint32_t id = 0, cls = 0;
	int rc;

	*dev = (struct pv_pcidev){.bus = bus, .dev_id = info->dev_id, .efd = -1};
	memcpy(dev->bdf, info->bdf, sizeof(dev->bdf) - 1);
	rc = pv_pcidev_cfg_read(dev, 0x00, 4, &id);
	if (rc == 0)
		rc = pv_pcidev_cfg_read(dev, 0x08, 4, &cls);
	if (rc < 0)
		return pcidev_fail(err, errlen, rc, "%s: reading its IDs: %s", dev->bdf, strerror(-rc));
	dev->vendor = (uint16_t)id;
	dev->device = (uint16_t)(id >> 16);
	dev->class_code = cls >> 8;
	bus->ndevs++;
	return 0;
}

int pv_pcidev_bus_open(struct pv_pcidev_bus **out, const char *sock, char *err, size_t errlen)
{
	struct pv_pcidev_bus *bus = calloc(1, sizeof(*bus));
	struct pv_pcisock_req req = {.op = PV_PCISOCK_LIST};
	struct pv_pcisock_rsp rsp;
	int rc;

	*out = NULL;
	if (!bus)
		return pcidev_fail(err, errlen, -ENOMEM, "out of memory");
	bus->memfd = -1;
	rc = connect_sock(bus, sock, err, errlen);
	if (rc == 0) {
		rc = call(bus, &req, &rsp, NULL);
		if (rc < 0)
			pcidev_fail(err, errlen, rc, "listing the guest's PCI devices: %s%s", strerror(-rc),
				    rc == -ENODEV ? " (the PCI frontend is not connected)" : "");
	}
	for (unsigned int i = 0; rc == 0 && i < rsp.count && i < PCIDEV_MAX_DEVS; i++)
		rc = add_device(bus, &rsp.devs[i], err, errlen);
	if (rc == 0 && map_guest_memory(bus) < 0)
		bus->mem_size = 0; /* no DMA memory for now: pv_pcidev_dma_alloc() tries again */
	if (rc < 0) {
		pv_pcidev_bus_close(bus);
		return rc;
	}
	*out = bus;
	return 0;
}

void pv_pcidev_bus_close(struct pv_pcidev_bus *bus)
{
	if (!bus)
		return;
	if (bus->sock < 0)
		pcidev_direct_close(bus);
	for (unsigned int i = 0; i < bus->ndevs; i++)
		if (bus->dev[i].efd >= 0)
			close(bus->dev[i].efd);
	/* Guest mode: pcifront disables our interrupts and frees our DMA memory when we hang up. */
	if (bus->sock >= 0)
		close(bus->sock);
	if (bus->mem)
		munmap(bus->mem, (size_t)bus->mem_size);
	if (bus->memfd >= 0)
		close(bus->memfd);
	free(bus);
}

struct pv_pcidev *pv_pcidev_find(struct pv_pcidev_bus *bus, uint16_t vendor, uint16_t device,
				 uint32_t class_code, uint32_t class_mask, unsigned int index)
{
	for (unsigned int i = 0; i < bus->ndevs; i++) {
		struct pv_pcidev *d = &bus->dev[i];

		if ((vendor != PV_PCIDEV_ANY && d->vendor != vendor) ||
		    (device != PV_PCIDEV_ANY && d->device != device) ||
		    (d->class_code & class_mask) != (class_code & class_mask))
			continue;
		if (index-- == 0)
			return d;
	}
	return NULL;
}

const char *pv_pcidev_bdf(const struct pv_pcidev *dev) { return dev->bdf; }
uint16_t pv_pcidev_vendor(const struct pv_pcidev *dev) { return dev->vendor; }
uint16_t pv_pcidev_device(const struct pv_pcidev *dev) { return dev->device; }
uint32_t pv_pcidev_class(const struct pv_pcidev *dev) { return dev->class_code; }

/* ---- config space and BARs -------------------------------------------------------- */

int pv_pcidev_cfg_read(struct pv_pcidev *dev, unsigned int offset, unsigned int size, uint32_t *val)
{
	uint64_t v = 0;
	int rc;

	if (dev->vfio)
		return pcidev_direct_cfg_read(dev, offset, size, val);
	rc = dev_call(dev, PV_PCISOCK_CFG_READ, 0, size, offset, 0, &v);
	if (rc == 0)
		*val = (uint32_t)v;
	return rc;
}

int pv_pcidev_cfg_write(struct pv_pcidev *dev, unsigned int offset, unsigned int size, uint32_t val)
{
	if (dev->vfio)
		return pcidev_direct_cfg_write(dev, offset, size, val);
	return dev_call(dev, PV_PCISOCK_CFG_WRITE, 0, size, offset, val, NULL);
}

uint64_t pv_pcidev_bar_size(struct pv_pcidev *dev, unsigned int bar)
{
	uint64_t size = 0;

	if (dev->vfio)
		return pcidev_direct_bar_size(dev, bar);
	return dev_call(dev, PV_PCISOCK_BAR_INFO, bar, 0, 0, 0, &size) < 0 ? 0 : size;
}

int pv_pcidev_bar_map(struct pv_pcidev *dev, unsigned int bar, volatile void **addr, size_t *len)
{
	if (dev->vfio)
		return pcidev_direct_bar_map(dev, bar, addr, len);
	return -ENOTSUP; /* reached through the backend only */
}

static int bar_access(struct pv_pcidev *dev, unsigned int bar, uint64_t offset, void *val,
		      unsigned int len, int write)
{
	uint64_t v = 0;
	int rc;

	if (dev->vfio)
		return pcidev_direct_bar_access(dev, bar, offset, val, len, write);
	if (write)
		memcpy(&v, val, len);
	rc = dev_call(dev, write ? PV_PCISOCK_BAR_WRITE : PV_PCISOCK_BAR_READ, bar, len, offset, v,
		      write ? NULL : &v);
	if (rc == 0 && !write)
		memcpy(val, &v, len);
	return rc;
}

int pv_pcidev_read32(struct pv_pcidev *dev, unsigned int bar, uint64_t offset, uint32_t *val)
{
	return bar_access(dev, bar, offset, val, 4, 0);
}

int pv_pcidev_write32(struct pv_pcidev *dev, unsigned int bar, uint64_t offset, uint32_t val)
{
	return bar_access(dev, bar, offset, &val, 4, 1);
}

int pv_pcidev_read64(struct pv_pcidev *dev, unsigned int bar, uint64_t offset, uint64_t *val)
{
	return bar_access(dev, bar, offset, val, 8, 0);
}

int pv_pcidev_write64(struct pv_pcidev *dev, unsigned int bar, uint64_t offset, uint64_t val)
{
	return bar_access(dev, bar, offset, &val, 8, 1);
}

/* ---- interrupts ----------------------------------------------------------------- */

/* Ask pcifront for @kind (with @n MSI-X @entries): the eventfd, or -errno. */
static int guest_irq_enable(struct pv_pcidev *dev, enum pv_pcidev_irq_kind kind,
			    const uint16_t *entries, unsigned int n)
{
	struct pv_pcisock_req req = {.op = PV_PCISOCK_IRQ_ENABLE, .dev = dev->dev_id, .arg = kind,
				     .len = n};
	struct pv_pcisock_rsp rsp;
	int fd = -1, rc;

	if (n > PV_PCI_SH_INFO_MAX_VEC)
		return -EINVAL;
	if (n)
		memcpy(req.entries, entries, n * sizeof(*entries));
	rc = call(dev->bus, &req, &rsp, &fd);
	if (rc == 0 && fd < 0)
		rc = -EPROTO;
	if (rc < 0 && fd >= 0)
		close(fd);
	return rc < 0 ? rc : fd;
}

static int irq_enable(struct pv_pcidev *dev, enum pv_pcidev_irq_kind kind, const uint16_t *entries,
		      unsigned int n, pv_pcidev_irq_fn fn, void *opaque)
{
	int efd;

	pv_pcidev_irq_disable(dev);
	efd = dev->vfio ? pcidev_direct_irq_enable(dev, kind) : guest_irq_enable(dev, kind, entries, n);
	if (efd < 0)
		return efd;
	dev->efd = efd;
	dev->kind = kind;
	dev->fn = fn;
	dev->opaque = opaque;
	return efd;
}

int pv_pcidev_irq_enable(struct pv_pcidev *dev, enum pv_pcidev_irq_kind kind,
			 pv_pcidev_irq_fn fn, void *opaque)
{
	if (kind != PV_PCIDEV_INTX && kind != PV_PCIDEV_MSI)
		return -EINVAL;
	return irq_enable(dev, kind, NULL, 0, fn, opaque);
}

int pv_pcidev_msix_enable(struct pv_pcidev *dev, const uint16_t *entries, unsigned int n,
			  pv_pcidev_irq_fn fn, void *opaque)
{
	if (dev->vfio)
		return -ENOTSUP;
	if (!n || n > PV_PCI_SH_INFO_MAX_VEC)
		return -EINVAL;
	return irq_enable(dev, PV_PCIDEV_MSIX, entries, n, fn, opaque);
}

int pv_pcidev_irq_disable(struct pv_pcidev *dev)
{
	int rc;

	if (dev->efd < 0)
		return 0;
	rc = dev->vfio ? pcidev_direct_irq_disable(dev)
		       : dev_call(dev, PV_PCISOCK_IRQ_DISABLE, 0, 0, 0, 0, NULL);
	close(dev->efd);
	dev->efd = -1;
	return rc;
}

int pv_pcidev_irq_ack(struct pv_pcidev *dev)
{
	if (dev->efd < 0)
		return -EINVAL;
	if (dev->vfio)
		return pcidev_direct_irq_ack(dev);
	return dev->kind == PV_PCIDEV_INTX ? dev_call(dev, PV_PCISOCK_IRQ_ACK, 0, 0, 0, 0, NULL) : 0;
}

int pv_pcidev_irq_poll(struct pv_pcidev *dev, int timeout_ms)
{
	struct pollfd p = {.fd = dev->efd, .events = POLLIN};
	uint64_t n;
	int rc;

	if (dev->efd < 0)
		return -EINVAL;
	rc = poll(&p, 1, timeout_ms);
	if (rc < 0)
		return -errno;
	if (rc == 0)
		return 0;
	if (read(dev->efd, &n, sizeof(n)) != sizeof(n))
		return errno == EAGAIN ? 0 : -errno;
	if (dev->fn)
		dev->fn(dev, n, dev->opaque);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

/* ---- DMA memory ----------------------------------------------------------------- */

/* Guest mode: map the guest's memory once (pcifront passes its file). */
static int map_guest_memory(struct pv_pcidev_bus *bus)
{
	struct pv_pcisock_req req = {.op = PV_PCISOCK_MEM};
	struct pv_pcisock_rsp rsp;
	int fd = -1, rc;

	if (bus->mem)
		return 0;
	rc = call(bus, &req, &rsp, &fd);
	if (rc == 0 && (fd < 0 || !rsp.value || rsp.value % PCIDEV_PAGE || rsp.value > SIZE_MAX / 2))
		rc = -EPROTO;
	if (rc == 0) {
		bus->mem = mmap(NULL, (size_t)rsp.value, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (bus->mem == MAP_FAILED) {
			bus->mem = NULL;
			rc = -errno;
		}
	}
	if (rc < 0) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	bus->memfd = fd;
	bus->mem_size = rsp.value;
	return 0;
}

int pv_pcidev_dma_alloc(struct pv_pcidev_bus *bus, size_t size, void **va, uint64_t *bus_addr)
{
	struct pv_pcisock_req req = {.op = PV_PCISOCK_DMA_ALLOC};
	struct pv_pcisock_rsp rsp;
	size_t bytes = (size + PCIDEV_PAGE - 1) / PCIDEV_PAGE * PCIDEV_PAGE;
	int rc;

	if (bus->sock < 0)
		return pcidev_direct_dma_alloc(bus, size, va, bus_addr);
	if (!size || size > UINT32_MAX)
		return -EINVAL;
	rc = map_guest_memory(bus);
	if (rc == 0) {
		req.len = (uint32_t)bytes;
		rc = call(bus, &req, &rsp, NULL);
	}
	if (rc == 0 && (rsp.value % PCIDEV_PAGE || rsp.value > bus->mem_size ||
			bytes > bus->mem_size - rsp.value))
		rc = -EPROTO;
	if (rc < 0)
		return rc;
	*va = bus->mem + rsp.value;
	*bus_addr = rsp.value;
	memset(*va, 0, bytes);
	return 0;
}

void pv_pcidev_dma_free(struct pv_pcidev_bus *bus, void *va, size_t size)
{
	struct pv_pcisock_req req = {.op = PV_PCISOCK_DMA_FREE};
	struct pv_pcisock_rsp rsp;
	uint8_t *p = va;

	if (bus->sock < 0)
		return pcidev_direct_dma_free(bus, va, size);
	if (!p || !bus->mem || p < bus->mem || p >= bus->mem + bus->mem_size)
		return;
	req.value = (uint64_t)(p - bus->mem);
	req.len = (uint32_t)size;
	call(bus, &req, &rsp, NULL);
}

uint64_t pv_pcidev_mem_size(const struct pv_pcidev_bus *bus)
{
	return bus->mem_size;
}

/* SPDX-License-Identifier: MIT */
/*
 * pcifront-hostile RUNDIR DOMID: a hostile PCI backend against a real
 * pcifront (pvkit-guest running domain DOMID). One thread plays domain 0
 * (toolstack nodes, then pciback: maps the op page, answers each op as the
 * current step says: a small fake device, or garbage, or never); the main
 * thread is a driver of the guest using include/pvkit/pcidev.h, plus a
 * hostile driver on pci.sock. Prints "ok - " / "not ok - " lines; the
 * script checks that pvkit-guest survived.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pvkit/pcidev.h"
#include "pvkit/platform.h"
#include "pvkit/proto/pciif.h"
#include "pvkit/xenbus.h"
#include "../../frontends/pci/pcisock.h"

enum mode {
	GOOD,          /* the fake device below */
	BAD_ERR,       /* err is no PV_PCI_ERR_* */
	WIDE_VALUE,    /* a value wider than the access */
	OTHER_CMD,     /* the answer names another op */
	BAD_BAR_SIZE,  /* BAR_INFO: a size that is no power of two */
	PORT_ZERO,     /* ENABLE_MSI: port 0 */
	PORT_UNBOUND,  /* ENABLE_MSI: a port never allocated for the guest */
	MSIX_POSITIVE, /* ENABLE_MSIX: value neither 0 nor -errno */
	STORM,         /* 1000 notifies, spread out, before the (good) answer */
	SILENT,        /* never answer */
};

#define MSIX_TABLE 4 /* entries of the fake device's MSI-X table */

struct back {
	struct pv_platform *p;
	struct pv_xs *xs;
	struct pv_evtchn *evt;
	pv_evtchn_port_t port;
	struct pv_pci_sharedinfo *sh;
	pv_domid_t fe_dom;
	char fe[128], be[128];
	int mode, stop, fire;       /* set by the driver thread (atomics) */
	unsigned int ops;           /* ops received */
	pv_evtchn_port_t irq_port;  /* the last port allocated for the guest */
	uint8_t cfg[256];
	uint32_t live;
};

static int failures;

static void check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	fflush(stdout);
	if (!cond)
		failures++;
}

static int wait_state(struct pv_xs *xs, const char *dir, enum pv_xenbus_state want)
{
	for (int i = 0; i < 1000; i++) {
		if (pv_xenbus_read_state(xs, dir) == want)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/* ---- the backend ---------------------------------------------------------------- */

static int new_port(struct back *b)
{
	int rc = pv_evtchn_alloc_unbound(b->evt, b->fe_dom);

	if (rc > 0)
		__atomic_store_n(&b->irq_port, (pv_evtchn_port_t)rc, __ATOMIC_SEQ_CST);
	return rc;
}

/* The fake device: config space, BAR0 (1 MiB: ID at 0, liveness at 4), MSI, a 4-entry MSI-X. */
static void answer_good(struct back *b, struct pv_pci_op *op)
{
	unsigned int off = (unsigned int)op->offset, size = (unsigned int)op->size;

	switch (op->cmd) {
	case PV_PCI_OP_CONF_READ:
		if (off >= 256 || size > 256 - off)
			op->err = PV_PCI_ERR_INVALID_OFFSET;
		else
			memcpy(&op->value, b->cfg + off, size);
		break;
	case PV_PCI_OP_CONF_WRITE:
		if (off < 0x04)
			op->err = PV_PCI_ERR_ACCESS_DENIED;
		else if (off < 256 && size <= 256 - off)
			memcpy(b->cfg + off, &op->value, size);
		break;
	case PV_PCI_OP_BAR_INFO:
		op->ext.size = op->ext.bar == 0 ? 1u << 20 : 0;
		op->ext.flags = op->ext.bar == 0 ? PV_PCI_BAR_MMIO : 0;
		break;
	case PV_PCI_OP_BAR_READ:
		op->ext.data = op->ext.offset == 0 ? 0x010000ed : op->ext.offset == 4 ? ~b->live : 0;
		break;
	case PV_PCI_OP_BAR_WRITE:
		if (op->ext.offset == 4)
			b->live = (uint32_t)op->ext.data;
		break;
	case PV_PCI_OP_ENABLE_MSI:
	case PV_PCI_OP_INTX_ENABLE:
		op->value = (uint32_t)new_port(b);
		break;
	case PV_PCI_OP_ENABLE_MSIX:
		if (op->value > MSIX_TABLE) {
			op->value = (uint32_t)-EINVAL; /* as Linux's pciback: -errno in value */
			break;
		}
		for (unsigned int i = 0; i < op->value; i++)
			op->msix_entries[i].vector = (uint16_t)new_port(b);
		op->value = 0;
		break;
	case PV_PCI_OP_DISABLE_MSI:
	case PV_PCI_OP_DISABLE_MSIX:
	case PV_PCI_OP_INTX_DISABLE:
	case PV_PCI_OP_INTX_ACK:
		break;
	default:
		op->err = PV_PCI_ERR_NOT_IMPLEMENTED;
	}
}

static void answer(struct back *b, struct pv_pci_op *op, int mode)
{
	answer_good(b, op);
	switch (mode) {
	case BAD_ERR: op->err = 1234; break;
	case WIDE_VALUE: op->value = 0x1ff; op->ext.data = 0x1ffffffffull; break;
	case OTHER_CMD: op->cmd ^= 1; break;
	case BAD_BAR_SIZE: op->ext.size = 3 << 12; break;
	case PORT_ZERO: op->value = 0; break;
	case PORT_UNBOUND: op->value = 999; break;
	case MSIX_POSITIVE: op->value = 7; break;
	case STORM:
		/* Spread out: notifies in a burst coalesce into one event. */
		for (int i = 0; i < 1000; i++) {
			pv_evtchn_notify(b->evt, b->port);
			usleep(300);
		}
		break;
	default: break;
	}
}

static void *backend(void *arg)
{
	struct back *b = arg;
	struct pollfd pf = {.fd = pv_evtchn_fd(b->evt), .events = POLLIN};
	struct pv_pci_op op;
	int port;

	while (!__atomic_load_n(&b->stop, __ATOMIC_SEQ_CST)) {
		poll(&pf, 1, 10);
		while ((port = pv_evtchn_pending(b->evt)) >= 0)
			pv_evtchn_unmask(b->evt, (pv_evtchn_port_t)port);
		if (__atomic_exchange_n(&b->fire, 0, __ATOMIC_SEQ_CST))
			pv_evtchn_notify(b->evt, __atomic_load_n(&b->irq_port, __ATOMIC_SEQ_CST));
		if (!(__atomic_load_n(&b->sh->flags, __ATOMIC_ACQUIRE) & PV_PCIF_ACTIVE))
			continue;
		int mode = __atomic_load_n(&b->mode, __ATOMIC_SEQ_CST);

		if (mode == SILENT)
			continue;
		memcpy(&op, &b->sh->op, sizeof(op)); /* copy out, then look */
		__atomic_fetch_add(&b->ops, 1, __ATOMIC_SEQ_CST);
		answer(b, &op, mode);
		memcpy(&b->sh->op, &op, sizeof(op));
		__atomic_fetch_and(&b->sh->flags, ~PV_PCIF_ACTIVE, __ATOMIC_RELEASE);
		pv_evtchn_notify(b->evt, b->port);
	}
	return NULL;
}

/* ---- domain 0's nodes and the handshake ------------------------------------------ */

/* One backend entry @i: host device, the guest's address, its state. */
static int entry(struct pv_xs *xs, pv_xs_txn_t t, const char *be, unsigned int i, const char *vdev,
		 unsigned int state)
{
	char node[32];
	int rc;

	snprintf(node, sizeof(node), "dev-%u", i);
	rc = pv_xs_write(xs, t, be, node, "0000:00:03.0");
	snprintf(node, sizeof(node), "vdev-%u", i);
	rc = rc ?: pv_xs_write(xs, t, be, node, vdev);
	snprintf(node, sizeof(node), "state-%u", i);
	return rc ?: pv_xs_printf(xs, t, be, node, "%u", state);
}

static int write_nodes(struct pv_xs *xs, pv_xs_txn_t t, void *opaque)
{
	struct back *b = opaque;
	int rc;

	rc = pv_xs_mkdir(xs, t, b->fe, NULL);
	rc = rc ?: pv_xs_set_perms(xs, t, b->fe, b->fe_dom, 'n', 1, (pv_domid_t[]){0}, "r");
	rc = rc ?: pv_xs_mkdir(xs, t, b->be, NULL);
	rc = rc ?: pv_xs_set_perms(xs, t, b->be, 0, 'n', 1, (pv_domid_t[]){b->fe_dom}, "r");
	rc = rc ?: pv_xs_write(xs, t, b->fe, "backend", b->be);
	rc = rc ?: pv_xs_write(xs, t, b->fe, "backend-id", "0");
	rc = rc ?: pv_xs_write(xs, t, b->fe, "state", "1");
	rc = rc ?: pv_xs_write(xs, t, b->be, "frontend", b->fe);
	rc = rc ?: pv_xs_printf(xs, t, b->be, "frontend-id", "%u", b->fe_dom);
	rc = rc ?: pv_xs_write(xs, t, b->be, "num_devs", "3");
	rc = rc ?: pv_xs_write(xs, t, b->be, "root_num", "1");
	rc = rc ?: pv_xs_write(xs, t, b->be, "root-0", "0000:00");
	rc = rc ?: entry(xs, t, b->be, 0, "0000:00:00.00", 3);
	rc = rc ?: entry(xs, t, b->be, 1, "zz:garbage", 3);      /* ignored */
	rc = rc ?: entry(xs, t, b->be, 2, "0000:05:00.00", 3);   /* not on a root bus: ignored */
	return rc ?: pv_xs_write(xs, t, b->be, "state", "2");
}

/* Initialised (pciif), map the frontend's page, bind its channel, Connected. */
static int handshake(struct back *b)
{
	uint64_t ref, port;
	int rc;

	rc = pv_xs_write(b->xs, 0, b->be, "state", "3");
	rc = rc ?: wait_state(b->xs, b->fe, PV_XENBUS_STATE_INITIALISED);
	rc = rc ?: pv_xs_read_uint(b->xs, 0, b->fe, "pci-op-ref", UINT32_MAX, 0, &ref);
	rc = rc ?: pv_xs_read_uint(b->xs, 0, b->fe, "event-channel", INT32_MAX, 0, &port);
	if (rc < 0)
		return rc;
	b->sh = pv_gnt_map(b->p, b->fe_dom, 1, (pv_grant_ref_t[]){(pv_grant_ref_t)ref}, 1);
	if (!b->sh || pv_evtchn_open(b->p, &b->evt) < 0)
		return -EINVAL;
	rc = pv_evtchn_bind_interdomain(b->evt, b->fe_dom, (pv_evtchn_port_t)port);
	if (rc < 0)
		return rc;
	b->port = (pv_evtchn_port_t)rc;
	pv_xs_write(b->xs, 0, b->be, "state", "4");
	return wait_state(b->xs, b->fe, PV_XENBUS_STATE_CONNECTED);
}

static int connect_back(struct back *b)
{
	int rc = pv_xs_transaction(b->xs, write_nodes, b, 0);

	return rc ?: handshake(b);
}

/* ---- the driver's side ----------------------------------------------------------- */

static void set_mode(struct back *b, int mode)
{
	__atomic_store_n(&b->mode, mode, __ATOMIC_SEQ_CST);
}

static void count_irq(struct pv_pcidev *dev, uint64_t n, void *opaque)
{
	(void)dev;
	*(uint64_t *)opaque += n;
}

static void good_device(struct back *b, struct pv_pcidev_bus *bus, struct pv_pcidev *dev)
{
	uint32_t v = 0;
	uint64_t seen = 0;

	(void)bus;
	check(pv_pcidev_cfg_read(dev, 0x2c, 4, &v) == 0 && v == 0x11001af4, "config read (subsystem)");
	check(pv_pcidev_cfg_write(dev, 0x00, 2, 0x8086) == -EPERM, "a write the backend refuses: -EPERM");
	check(pv_pcidev_bar_size(dev, 0) == 1u << 20, "BAR0 size 1 MiB through BAR_INFO");
	check(pv_pcidev_read32(dev, 0, 0, &v) == 0 && v == 0x010000ed, "BAR0 read by offset");
	check(pv_pcidev_write32(dev, 0, 4, 0x1234) == 0 && pv_pcidev_read32(dev, 0, 4, &v) == 0 &&
	      v == ~0x1234u, "BAR0 write then read");
	volatile void *map;
	size_t len;
	check(pv_pcidev_bar_map(dev, 0, &map, &len) == -ENOTSUP, "bar_map: -ENOTSUP in guest mode");
	check(pv_pcidev_irq_enable(dev, PV_PCIDEV_MSI, count_irq, &seen) >= 0, "MSI enabled");
	__atomic_store_n(&b->fire, 1, __ATOMIC_SEQ_CST);
	check(pv_pcidev_irq_poll(dev, 5000) == 1 && seen == 1, "MSI delivered as an event channel");
	check(pv_pcidev_irq_enable(dev, PV_PCIDEV_INTX, NULL, NULL) >= 0, "INTx enabled instead");
	__atomic_store_n(&b->fire, 1, __ATOMIC_SEQ_CST);
	check(pv_pcidev_irq_poll(dev, 5000) == 1 && pv_pcidev_irq_ack(dev) == 0, "INTx delivered and acked");
	check(pv_pcidev_irq_disable(dev) == 0, "INTx disabled");
}

/* DMA buffers: guest memory at the guest-physical address the device is told. */
static void dma(struct back *b, struct pv_pcidev_bus *bus)
{
	uint8_t *va = NULL, got[64];
	uint64_t gpa = 0, bytes = 0;
	int fd;

	check(pv_pcidev_mem_size(bus) == 16u << 20, "the guest's memory: 16 MiB");
	check(pv_pcidev_dma_alloc(bus, 8192, (void **)&va, &gpa) == 0 && gpa % 4096 == 0 &&
	      gpa + 8192 <= pv_pcidev_mem_size(bus) && va[0] == 0 && va[8191] == 0,
	      "DMA buffer of 2 pages, zeroed, inside guest memory");
	if (!va)
		return;
	for (int i = 0; i < 64; i++)
		va[4096 + i] = (uint8_t)(i * 3 + 1);
	/* What pciback maps into the IOMMU: the domain's memory, offset = bus address. */
	fd = pv_foreign_mem_fd(b->p, b->fe_dom, &bytes);
	check(fd >= 0 && bytes == 16u << 20 && pread(fd, got, 64, (off_t)(gpa + 4096)) == 64 &&
	      !memcmp(got, va + 4096, 64), "domain 0 sees the bytes at the buffer's bus address");
	if (fd >= 0)
		close(fd);
	pv_pcidev_dma_free(bus, va, 8192);
	check(pv_pcidev_dma_alloc(bus, 1ull << 40, (void **)&va, &gpa) < 0, "a 1 TiB DMA buffer: refused");
}

static int command_off(struct back *b)
{
	for (int i = 0; i < 500; i++) {
		if (!__atomic_load_n(&b->cfg[4], __ATOMIC_SEQ_CST))
			return 1;
		usleep(10000);
	}
	return 0;
}

/* A driver that hangs up with DMA buffers: mastering off first, then its pages go back. */
static void dma_hangup(struct back *b, const char *sock)
{
	struct pv_pcidev_bus *bus = NULL;
	struct pv_pcidev *dev;
	void *va;
	uint64_t gpa = 0, again = 1;

	dev = pv_pcidev_bus_open(&bus, sock, NULL, 0) == 0 ? pv_pcidev_find(bus, 0x1234, 0x11e8, 0, 0, 0)
							 : NULL;
	check(dev && pv_pcidev_cfg_write(dev, 0x04, 2, 0x0006) == 0 &&
	      pv_pcidev_dma_alloc(bus, 4096, &va, &gpa) == 0, "a second driver masters DMA into its buffer");
	pv_pcidev_bus_close(bus); /* hangs up without freeing */
	check(command_off(b), "it hangs up: pcifront turns the device's bus mastering off");
	bus = NULL;
	for (int i = 0; i < 100 && again != gpa; i++) {
		pv_pcidev_bus_close(bus);
		bus = NULL;
		if (pv_pcidev_bus_open(&bus, sock, NULL, 0) == 0 &&
		    pv_pcidev_dma_alloc(bus, 4096, &va, &again) < 0)
			break;
		usleep(10000);
	}
	check(again == gpa, "then its DMA page goes back to the guest (allocated again)");
	pv_pcidev_bus_close(bus);
}

static void garbage(struct back *b, struct pv_pcidev *dev)
{
	uint32_t v;
	uint64_t seen = 0;
	uint16_t entries[PV_PCI_SH_INFO_MAX_VEC + 1] = {0, 1, 2, 3, 4};
	unsigned int ops;

	set_mode(b, BAD_ERR);
	check(pv_pcidev_cfg_read(dev, 0, 4, &v) == -EPROTO, "unknown error code: -EPROTO");
	set_mode(b, WIDE_VALUE);
	check(pv_pcidev_cfg_read(dev, 0, 1, &v) == -EPROTO, "1-byte config read answered 0x1ff: -EPROTO");
	check(pv_pcidev_read32(dev, 0, 0, &v) == -EPROTO, "32-bit BAR read answered 33 bits: -EPROTO");
	set_mode(b, OTHER_CMD);
	check(pv_pcidev_cfg_read(dev, 0, 4, &v) == -EPROTO, "an answer naming another op: -EPROTO");
	set_mode(b, BAD_BAR_SIZE);
	check(pv_pcidev_bar_size(dev, 0) == 0, "BAR size 12 KiB (no power of two): refused");
	set_mode(b, PORT_ZERO);
	check(pv_pcidev_irq_enable(dev, PV_PCIDEV_MSI, NULL, NULL) == -EPROTO, "MSI on port 0: -EPROTO");
	set_mode(b, PORT_UNBOUND);
	check(pv_pcidev_irq_enable(dev, PV_PCIDEV_MSI, NULL, NULL) == -EPROTO,
	      "MSI on a port never allocated for us: -EPROTO");
	set_mode(b, MSIX_POSITIVE);
	check(pv_pcidev_msix_enable(dev, entries, 2, NULL, NULL) == -EPROTO,
	      "MSI-X answered with a positive value: -EPROTO");
	set_mode(b, GOOD);
	ops = __atomic_load_n(&b->ops, __ATOMIC_SEQ_CST);
	check(pv_pcidev_msix_enable(dev, entries, PV_PCI_SH_INFO_MAX_VEC + 1, NULL, NULL) == -EINVAL &&
	      __atomic_load_n(&b->ops, __ATOMIC_SEQ_CST) == ops,
	      "MSI-X with 129 entries refused before it reaches the page");
	check(pv_pcidev_msix_enable(dev, entries, 5, NULL, NULL) == -EINVAL,
	      "MSI-X with more entries than the table: the backend's -EINVAL");
	check(pv_pcidev_msix_enable(dev, entries, 2, count_irq, &seen) >= 0, "MSI-X with 2 entries enabled");
	__atomic_store_n(&b->fire, 1, __ATOMIC_SEQ_CST);
	check(pv_pcidev_irq_poll(dev, 5000) == 1, "an MSI-X vector delivered");
	check(pv_pcidev_irq_disable(dev) == 0, "MSI-X disabled");
	set_mode(b, STORM);
	check(pv_pcidev_cfg_read(dev, 0, 4, &v) == 0 && v == 0x11e81234,
	      "1000 spurious events, then the answer: taken");
	set_mode(b, GOOD);
}

/* A driver that breaks pci.sock's rules: errors, then a dropped connection. */
static void hostile_driver(const char *path, struct pv_pcidev *dev)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct pv_pcisock_req req = {.op = PV_PCISOCK_CFG_READ, .dev = 0xdead, .len = 4};
	struct pv_pcisock_rsp rsp;
	struct timeval tv = {.tv_sec = 30};
	uint32_t v;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

	memcpy(sa.sun_path, path, strlen(path) + 1); /* main() made it fit */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return check(0, "hostile driver connects");
	check(send(fd, &req, sizeof(req), 0) == sizeof(req) && recv(fd, &rsp, sizeof(rsp), 0) > 0 &&
	      rsp.err == -ENODEV, "driver: unknown device handle: -ENODEV");
	req.op = PV_PCISOCK_LIST;
	check(send(fd, &req, sizeof(req), 0) == sizeof(req) && recv(fd, &rsp, sizeof(rsp), 0) > 0 &&
	      rsp.err == 0 && rsp.count == 1, "driver: list");
	req = (struct pv_pcisock_req){.op = PV_PCISOCK_CFG_READ, .dev = rsp.devs[0].dev_id, .len = 3};
	check(send(fd, &req, sizeof(req), 0) == sizeof(req) && recv(fd, &rsp, sizeof(rsp), 0) > 0 &&
	      rsp.err == -EINVAL, "driver: 3-byte config read: -EINVAL");
	req.len = 4;
	req.offset = 4096;
	check(send(fd, &req, sizeof(req), 0) == sizeof(req) && recv(fd, &rsp, sizeof(rsp), 0) > 0 &&
	      rsp.err == -EINVAL, "driver: config read past 4 KiB: -EINVAL");
	req.op = 999;
	req.offset = 0;
	check(send(fd, &req, sizeof(req), 0) == sizeof(req) && recv(fd, &rsp, sizeof(rsp), 0) > 0 &&
	      rsp.err == -EOPNOTSUPP, "driver: unknown request: -EOPNOTSUPP");
	check(send(fd, &req, 7, 0) == 7 && recv(fd, &rsp, sizeof(rsp), 0) == 0,
	      "driver: a short request: connection dropped");
	close(fd);
	check(pv_pcidev_cfg_read(dev, 0, 4, &v) == 0 && v == 0x11e81234, "the good driver still works");
}

/*
 * pci-detach of entry 0 and pci-attach of a new one, as the contract's
 * hot-plug sequence. Returns a bus with the new device (or NULL).
 */
static struct pv_pcidev_bus *hotplug(struct back *b, const char *sock, struct pv_pcidev *old)
{
	struct pv_pcidev_bus *bus = NULL;
	struct pv_pcidev *dev;
	uint32_t v;

	pv_xs_write(b->xs, 0, b->be, "state-0", "5");
	entry(b->xs, 0, b->be, 3, "0000:00:01.00", 1);
	pv_xs_write(b->xs, 0, b->be, "num_devs", "4");
	pv_xs_write(b->xs, 0, b->be, "state", "7");
	check(wait_state(b->xs, b->fe, PV_XENBUS_STATE_RECONFIGURING) == 0,
	      "hot-plug: the frontend lets the device go and says Reconfiguring");
	check(pv_pcidev_cfg_read(old, 0, 4, &v) == -ENODEV, "hot-plug: the detached device: -ENODEV");
	pv_xs_write(b->xs, 0, b->be, "state-0", "6");
	pv_xs_write(b->xs, 0, b->be, "state-3", "3");
	pv_xs_write(b->xs, 0, b->be, "state", "8");
	check(wait_state(b->xs, b->fe, PV_XENBUS_STATE_CONNECTED) == 0,
	      "hot-plug: the frontend takes the new device and is Connected");
	pv_xs_write(b->xs, 0, b->be, "state", "4");
	dev = pv_pcidev_bus_open(&bus, sock, NULL, 0) == 0 ? pv_pcidev_find(bus, 0x1234, 0x11e8, 0, 0, 0)
							 : NULL;
	check(dev && !strcmp(pv_pcidev_bdf(dev), "0000:00:01.0"),
	      "hot-plug: a new bus lists the device at 0000:00:01.0");
	return bus;
}

/*
 * The device (entry 3) back on the list through Reconfiguring and
 * Reconfigured; a new bus on @sock has it (returned). @what names the case.
 */
static struct pv_pcidev_bus *readd(struct back *b, const char *sock, const char *what)
{
	struct pv_pcidev_bus *bus = NULL;
	struct pv_pcidev *again;
	char msg[96];
	uint32_t v;

	pv_xs_write(b->xs, 0, b->be, "num_devs", "4");
	pv_xs_write(b->xs, 0, b->be, "state", "7");
	snprintf(msg, sizeof(msg), "%s: re-added", what);
	check(wait_state(b->xs, b->fe, PV_XENBUS_STATE_RECONFIGURING) == 0, msg);
	pv_xs_write(b->xs, 0, b->be, "state", "8");
	snprintf(msg, sizeof(msg), "%s: Connected again", what);
	check(wait_state(b->xs, b->fe, PV_XENBUS_STATE_CONNECTED) == 0, msg);
	pv_xs_write(b->xs, 0, b->be, "state", "4");
	again = pv_pcidev_bus_open(&bus, sock, NULL, 0) == 0
			? pv_pcidev_find(bus, 0x1234, 0x11e8, 0, 0, 0)
			: NULL;
	snprintf(msg, sizeof(msg), "%s: a new bus has the device back", what);
	check(again && pv_pcidev_cfg_read(again, 0, 4, &v) == 0 && v == 0x11e81234, msg);
	return bus;
}

/*
 * What pvkit pci-detach -f leaves when the guest answered too late: the
 * backend back at Connected with a reconfiguration the frontend had not
 * finished (it must go Connected again), once with nothing changed, once
 * with the device taken off the list (it must let it go). The device then
 * comes back through Reconfiguring; a new bus on @sock has it.
 */
static struct pv_pcidev_bus *forced(struct back *b, const char *sock, struct pv_pcidev *dev)
{
	uint32_t v;

	pv_xs_write(b->xs, 0, b->be, "state", "7");
	check(wait_state(b->xs, b->fe, PV_XENBUS_STATE_RECONFIGURING) == 0,
	      "forced: the frontend says Reconfiguring");
	pv_xs_write(b->xs, 0, b->be, "state", "4");
	check(wait_state(b->xs, b->fe, PV_XENBUS_STATE_CONNECTED) == 0,
	      "forced: the backend Connected without Reconfigured: the frontend Connected too");
	check(pv_pcidev_cfg_read(dev, 0, 4, &v) == 0 && v == 0x11e81234, "forced: the device still works");
	pv_xs_write(b->xs, 0, b->be, "num_devs", "3");
	pv_xs_write(b->xs, 0, b->be, "state", "7");
	check(wait_state(b->xs, b->fe, PV_XENBUS_STATE_RECONFIGURING) == 0,
	      "forced: the device off the list, the frontend says Reconfiguring");
	pv_xs_write(b->xs, 0, b->be, "state", "4");
	check(wait_state(b->xs, b->fe, PV_XENBUS_STATE_CONNECTED) == 0 &&
		      pv_pcidev_cfg_read(dev, 0, 4, &v) == -ENODEV,
	      "forced: the backend Connected: the frontend Connected, the device let go (-ENODEV)");
	return readd(b, sock, "forced");
}

/*
 * A guest asleep through pvkit pci-detach -f (stopped, or too slow): the
 * backend went Reconfiguring and back to Connected while it did not look,
 * so its state watch finds Connected as before; only num_devs changed.
 * The frontend must still let the device go. Then it comes back; a new
 * bus on @sock has it.
 */
static struct pv_pcidev_bus *asleep(struct back *b, const char *sock, struct pv_pcidev *dev)
{
	uint32_t v;
	int gone = 0;

	pv_xs_write(b->xs, 0, b->be, "num_devs", "3");
	pv_xs_write(b->xs, 0, b->be, "state", "4"); /* the same value: no state change to see */
	for (int i = 0; i < 500 && !gone; i++) {
		gone = pv_pcidev_cfg_read(dev, 0, 4, &v) == -ENODEV;
		if (!gone)
			usleep(10000);
	}
	check(gone, "asleep through a forced detach: the device let go once num_devs dropped");
	check(pv_xenbus_read_state(b->xs, b->fe) == PV_XENBUS_STATE_CONNECTED,
	      "asleep: the frontend stays Connected");
	return readd(b, sock, "asleep");
}

static void silent(struct back *b, struct pv_pcidev *dev)
{
	char *err = NULL;
	uint32_t v;

	set_mode(b, SILENT);
	check(pv_pcidev_cfg_read(dev, 0, 4, &v) == -ETIMEDOUT, "a backend that never answers: -ETIMEDOUT");
	check(wait_state(b->xs, b->fe, PV_XENBUS_STATE_CLOSING) == 0, "then the frontend closes the device");
	check(pv_xs_read(b->xs, 0, b->fe, "error", &err) == 0 && strstr(err, "did not answer"),
	      "with the reason in its error node");
	free(err);
	check(pv_pcidev_cfg_read(dev, 0, 4, &v) == -ENODEV, "later ops: -ENODEV");
}

/*
 * The reconnect contract (pvkit/xenbus.h): the backend closing leaves the
 * frontend Closed, and Closed it stays until the backend starts over; then
 * a restarted backend (InitWait, Initialised) gets a working bus again.
 * The backend thread is stopped: the page and channel are replaced.
 */
static int restart(struct back *b, const char *sock, pthread_t *t)
{
	struct pv_pcidev_bus *bus = NULL;
	struct pv_pcidev *dev;
	uint32_t v;

	__atomic_store_n(&b->stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(*t, NULL);
	pv_evtchn_close(b->evt);
	pv_gnt_unmap(b->p, b->sh, 1);
	b->evt = NULL;
	b->sh = NULL;
	pv_xs_write(b->xs, 0, b->be, "state", "5");
	check(wait_state(b->xs, b->fe, PV_XENBUS_STATE_CLOSED) == 0,
	      "restart: the backend Closing, the frontend is Closed");
	pv_xs_write(b->xs, 0, b->be, "state", "6");
	usleep(500000);
	check(pv_xenbus_read_state(b->xs, b->fe) == PV_XENBUS_STATE_CLOSED,
	      "restart: the backend Closed, the frontend stays Closed (no Initialising)");
	pv_xs_write(b->xs, 0, b->be, "state", "2");
	check(handshake(b) == 0, "restart: the backend starts over, the frontend connects again");
	set_mode(b, GOOD);
	__atomic_store_n(&b->stop, 0, __ATOMIC_SEQ_CST);
	if (!b->sh || !b->evt || pthread_create(t, NULL, backend, b)) {
		check(0, "restart: the backend serves again");
		return -1;
	}
	dev = pv_pcidev_bus_open(&bus, sock, NULL, 0) == 0 ? pv_pcidev_find(bus, 0x1234, 0x11e8, 0, 0, 0)
							 : NULL;
	check(dev && pv_pcidev_cfg_read(dev, 0, 4, &v) == 0 && v == 0x11e81234,
	      "restart: a driver reads the device's config space again");
	pv_pcidev_bus_close(bus);
	return 0;
}

static int setup(struct back *b, const char *rundir, const char *domid)
{
	struct pv_platform_opts po = {.name = "local", .rundir = rundir, .domid = 0, .domid_set = 1};
	char path[4096];
	static const uint8_t hdr[] = {0x34, 0x12, 0xe8, 0x11, 0, 0, 0x10, 0, 0x10, 0, 0xff, 0};

	b->fe_dom = (pv_domid_t)atoi(domid);
	snprintf(b->fe, sizeof(b->fe), "/local/domain/%s/device/pci/0", domid);
	snprintf(b->be, sizeof(b->be), "/local/domain/0/backend/pci/%s/0", domid);
	memcpy(b->cfg, hdr, sizeof(hdr));
	memcpy(b->cfg + 0x2c, (uint8_t[]){0xf4, 0x1a, 0x00, 0x11}, 4);
	if (pv_platform_open(&b->p, &po) < 0 || pv_xs_local_path(path, sizeof(path), rundir, 0) < 0 ||
	    pv_xs_open(&b->xs, path) < 0)
		return -1;
	return connect_back(b);
}

int main(int argc, char **argv)
{
	struct back b = {0};
	struct pv_pcidev_bus *bus = NULL, *bus2 = NULL, *bus3 = NULL, *bus4 = NULL;
	struct pv_pcidev *dev;
	pthread_t t;
	char sock[sizeof(((struct sockaddr_un *)0)->sun_path)], err[256] = "";
	int running = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: pcifront-hostile RUNDIR DOMID\n");
		return 2;
	}
	check(setup(&b, argv[1], argv[2]) == 0, "hostile backend connected to pcifront");
	if (failures || pthread_create(&t, NULL, backend, &b))
		return 1;
	if (snprintf(sock, sizeof(sock), "%s/dom/%s/" PV_PCISOCK_NAME, argv[1], argv[2]) >= (int)sizeof(sock))
		return 1;
	check(pv_pcidev_bus_open(&bus, sock, err, sizeof(err)) == 0, "driver opened the guest's PCI bus");
	if (!bus)
		printf("# %s\n", err);
	dev = bus ? pv_pcidev_find(bus, 0x1234, 0x11e8, 0x00ff00, 0xffff00, 0) : NULL;
	check(dev && !pv_pcidev_find(bus, PV_PCIDEV_ANY, PV_PCIDEV_ANY, 0, 0, 1),
	      "one device (garbage vdev and a device off the root bus ignored), found by IDs and class");
	if (dev) {
		good_device(&b, bus, dev);
		dma(&b, bus);
		dma_hangup(&b, sock);
		garbage(&b, dev);
		hostile_driver(sock, dev);
		bus2 = hotplug(&b, sock, dev);
		dev = bus2 ? pv_pcidev_find(bus2, 0x1234, 0x11e8, 0, 0, 0) : NULL;
		bus3 = dev ? forced(&b, sock, dev) : NULL;
		dev = bus3 ? pv_pcidev_find(bus3, 0x1234, 0x11e8, 0, 0, 0) : NULL;
		bus4 = dev ? asleep(&b, sock, dev) : NULL;
		dev = bus4 ? pv_pcidev_find(bus4, 0x1234, 0x11e8, 0, 0, 0) : NULL;
		if (dev)
			silent(&b, dev);
		running = restart(&b, sock, &t) == 0;
	}
	pv_pcidev_bus_close(bus4);
	pv_pcidev_bus_close(bus3);
	pv_pcidev_bus_close(bus2);
	pv_pcidev_bus_close(bus);
	__atomic_store_n(&b.stop, 1, __ATOMIC_SEQ_CST);
	if (running)
		pthread_join(t, NULL);
	pv_xs_write(b.xs, 0, b.be, "state", "6");
	if (b.evt)
		pv_evtchn_close(b.evt);
	if (b.sh)
		pv_gnt_unmap(b.p, b.sh, 1);
	pv_xs_close(b.xs);
	pv_platform_close(b.p);
	return failures ? 1 : 0;
}

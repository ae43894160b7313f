/* SPDX-License-Identifier: MIT */
/*
 * pvkit-pciback with a real device, in the VFIO test VM (tests/vm/vfio.sh,
 * tests/vm/pciback-tests.sh):
 * this program is the toolstack's caller and the guest at once. It makes a
 * domain, runs `pvkit pci-attach` and answers as a minimal pcifront at the
 * protocol level (proto/pciif.h, no guest driver API), then drives QEMU's
 * edu device through the backend's ops: config space through the filter,
 * BAR0 by offset, factorial, an MSI delivered as an event channel, DMA both
 * ways into guest memory (pv_dma_alloc) and one aimed past it, which the
 * IOMMU must block (the script checks the DMAR fault); then `pvkit
 * pci-detach` through Reconfiguring. Prints ok / not ok lines.
 *
 *   pv-pciback-edu-test RUNDIR BDF [BDF2]   (bound to vfio-pci, pvkit host up)
 *
 * With a second edu: it is hot-added to the connected bus, then the first
 * one hot-removed (libxl's renumbering), both through Reconfiguring; the
 * first comes back and is taken away from a guest that does not answer
 * (pci-detach fails, pci-detach -f does it anyway).
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pvkit/xenbus.h"
#include "../integration/pciback_front.h"
#include "edu.h"

#define GUEST_MEM (16u << 20)
#define OUTSIDE 0x2000000u /* 32 MiB: past the guest's memory */

/* The device the helpers below talk to: its devfn on the guest's bus. */
static uint32_t cur_devfn;

/* Start `pvkit ARGS...`; its pid. */
static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int exit_status(pid_t pid)
{
	int st;

	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int wait_exists(struct pv_xs *xs, const char *dir, const char *node)
{
	for (int i = 0; i < 1000; i++) {
		if (pv_xs_exists(xs, 0, dir, node) == 1)
			return 0;
		usleep(10000);
	}
	return -1;
}

static int listed(const char *bdf)
{
	char line[256], want[64];
	FILE *p = popen("pvkit pci-list edu-guest", "r");
	int found = 0;

	snprintf(want, sizeof(want), "00.0 %s\n", bdf);
	while (p && fgets(line, sizeof(line), p))
		found |= !strcmp(line, want);
	if (p)
		pclose(p);
	return found;
}

/* One BAR0 access through the backend; *@err gets op.err (-99: no answer). */
static uint64_t bar(struct front *f, int write, uint64_t off, int size, uint64_t v, int32_t *err)
{
	struct pv_pci_op op = {.cmd = write ? PV_PCI_OP_BAR_WRITE : PV_PCI_OP_BAR_READ, .size = size};

	op.devfn = cur_devfn;
	op.ext.bar = 0;
	op.ext.offset = off;
	op.ext.data = v;
	*err = front_op(f, &op) < 0 ? -99 : op.err;
	return op.ext.data;
}

static uint32_t rd(struct front *f, uint64_t off)
{
	int32_t e;
	uint32_t v = (uint32_t)bar(f, 0, off, 4, 0, &e);

	return e ? 0xffffffffu : v;
}

static int32_t wr(struct front *f, uint64_t off, int size, uint64_t v)
{
	int32_t e;

	bar(f, 1, off, size, v, &e);
	return e;
}

static int32_t cfg(struct front *f, int write, int off, int size, uint32_t *v)
{
	struct pv_pci_op op = {.cmd = write ? PV_PCI_OP_CONF_WRITE : PV_PCI_OP_CONF_READ,
			       .offset = off, .size = size, .value = *v};

	op.devfn = cur_devfn;
	if (front_op(f, &op) < 0)
		return -99;
	*v = op.value;
	return op.err;
}

/* Wait until (register & mask) == 0, up to 5 s. */
static int wait_clear(struct front *f, uint64_t off, uint32_t mask)
{
	for (int i = 0; i < 2500; i++) {
		if (!(rd(f, off) & mask))
			return 0;
		usleep(2000);
	}
	return -1;
}

/* One edu DMA of DMA_LEN bytes; @to_ram: edu -> memory. 0 once done. */
static int dma(struct front *f, uint64_t src, uint64_t dst, int to_ram)
{
	int32_t e = wr(f, EDU_DMA_SRC, 8, src) | wr(f, EDU_DMA_DST, 8, dst) |
		    wr(f, EDU_DMA_CNT, 8, DMA_LEN) | wr(f, EDU_DMA_CMD, 8, to_ram ? 3 : 1);

	return e ? -1 : wait_clear(f, EDU_DMA_CMD, 1);
}

static void edu_registers(struct front *f)
{
	struct pv_pci_op op = {.cmd = PV_PCI_OP_BAR_INFO};
	uint32_t v = 0;

	check(cfg(f, 0, 0, 4, &v) == 0 && v == 0x11e81234, "config read through the backend: 1234:11e8");
	check(front_op(f, &op) == 0 && op.err == 0 && op.ext.size == 1 << 20 &&
		      op.ext.flags == PV_PCI_BAR_MMIO,
	      "BAR_INFO: BAR0 is 1 MiB of 32-bit MMIO");
	check(rd(f, EDU_ID) == 0x010000ed, "BAR_READ: identification register 0x010000ed");
	check(wr(f, EDU_LIVE, 4, 0x12345678) == 0 && rd(f, EDU_LIVE) == ~0x12345678u,
	      "BAR_WRITE: the liveness register inverts");
	check(wr(f, EDU_FACT, 4, 6) == 0 && wait_clear(f, EDU_STATUS, 1) == 0 &&
		      rd(f, EDU_FACT) == 720,
	      "factorial of 6 is 720");
	v = 0;
	check(cfg(f, 1, 0, 4, &v) == PV_PCI_ERR_ACCESS_DENIED,
	      "a write to the vendor ID: ACCESS_DENIED (the filter)");
	v = 0x0006;
	check(cfg(f, 1, 4, 2, &v) == 0, "command register: memory decode and bus master on");
}

static void edu_msi(struct front *f)
{
	struct pv_pci_op op = {.cmd = PV_PCI_OP_ENABLE_MSI};
	struct pv_evtchn *irq = NULL;
	struct pollfd pfd;
	int lport = -1;

	check(front_op(f, &op) == 0 && op.err == 0 && op.value > 0,
	      "ENABLE_MSI answers with an event channel port");
	if (pv_evtchn_open(f->p, &irq) == 0)
		lport = pv_evtchn_bind_interdomain(irq, 0, op.value);
	check(lport > 0, "the guest binds that port");
	if (lport <= 0)
		return;
	pfd = (struct pollfd){.fd = pv_evtchn_fd(irq), .events = POLLIN};
	wr(f, EDU_IRQ_RAISE, 4, 0x42);
	check(poll(&pfd, 1, 5000) == 1 && pv_evtchn_pending(irq) == lport,
	      "edu raises an MSI: it arrives as an event on the port");
	pv_evtchn_unmask(irq, (pv_evtchn_port_t)lport);
	check(rd(f, EDU_IRQ_STATUS) == 0x42, "interrupt status 0x42");
	wr(f, EDU_IRQ_ACK, 4, 0x42);
	op = (struct pv_pci_op){.cmd = PV_PCI_OP_DISABLE_MSI};
	check(front_op(f, &op) == 0 && op.err == 0, "DISABLE_MSI");
	pv_evtchn_close(irq);
}

static void edu_dma(struct front *f)
{
	struct pv_pci_op op = {.cmd = PV_PCI_OP_RESET};
	uint64_t gpa;
	unsigned char *buf = pv_dma_alloc(f->p, 1, &gpa);

	check(buf != NULL && gpa < GUEST_MEM, "a DMA page in guest memory (pv_dma_alloc)");
	if (!buf)
		return;
	for (unsigned int i = 0; i < DMA_LEN; i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	check(dma(f, gpa, EDU_BUF, 0) == 0, "DMA from guest memory into edu");
	check(dma(f, EDU_BUF, gpa + DMA_LEN, 1) == 0, "DMA from edu into guest memory");
	check(!memcmp(buf, buf + DMA_LEN, DMA_LEN), "the data made the round trip");
	dma(f, EDU_BUF, OUTSIDE, 1); /* the IOMMU blocks it: the script checks the DMAR fault */
	printf("# DMA to %#x (outside guest memory) issued\n", OUTSIDE);
	check(front_op(f, &op) == 0 &&
		      (op.err == 0 || op.err == PV_PCI_ERR_NOT_IMPLEMENTED),
	      "RESET answered (edu offers none in QEMU 7.2: NOT_IMPLEMENTED)");
	pv_dma_free(f->p, buf, 1);
}

/*
 * The guest's side of a hot-plug of device @i (pvkit pci-attach, @want 3,
 * or pci-detach, @want 6): the backend goes Reconfiguring, the guest too,
 * the backend exports or releases it and goes Reconfigured, the guest
 * Connected again.
 */
static void reconfigure(struct front *f, unsigned int i, int want, const char *what)
{
	char key[16], msg[160];
	int from = want == PV_XENBUS_STATE_INITIALISED ? PV_XENBUS_STATE_INITIALISING
						      : PV_XENBUS_STATE_CLOSING;

	snprintf(key, sizeof(key), "state-%u", i);
	snprintf(msg, sizeof(msg), "%s: backend Reconfiguring, %s %d", what, key, from);
	check(front_wait_state(f->xs, f->be, "state", PV_XENBUS_STATE_RECONFIGURING) == 0 &&
		      front_wait_state(f->xs, f->be, key, from) == 0,
	      msg);
	pv_xs_write(f->xs, 0, f->fe, "state", "7");
	snprintf(msg, sizeof(msg), "%s: the guest answers, backend Reconfigured, %s %d", what,
		 key, want);
	check(front_wait_state(f->xs, f->be, "state", PV_XENBUS_STATE_RECONFIGURED) == 0 &&
		      front_wait_state(f->xs, f->be, key, want) == 0,
	      msg);
	pv_xs_write(f->xs, 0, f->fe, "state", "4");
}

static int node_is(struct front *f, const char *node, const char *want)
{
	char *v = NULL;
	int same = pv_xs_read(f->xs0, 0, f->be, node, &v) == 0 && !strcmp(v, want);

	free(v);
	return same;
}

/*
 * A second edu hot-added to the connected bus (slot 1), then the first one
 * hot-removed: libxl's renumbering moves dev-1 to dev-0 and the second
 * device goes on working at its slot.
 */
static void hot_plug(struct front *f, const char *first, const char *second)
{
	uint32_t v = 0;
	pid_t pid = spawn((char *[]){"pvkit", "pci-attach", "--timeout", "60", "edu-guest",
				     (char *)second, NULL});

	reconfigure(f, 1, PV_XENBUS_STATE_INITIALISED, "hot-add");
	check(exit_status(pid) == 0, "hot-add: pvkit pci-attach returns 0");
	check(node_is(f, "num_devs", "2") && node_is(f, "vdev-1", "0000:00:01.00"),
	      "hot-add: num_devs 2, vdev-1 0000:00:01.00");
	cur_devfn = 8;
	check(cfg(f, 0, 0, 4, &v) == 0 && v == 0x11e81234 && rd(f, EDU_ID) == 0x010000ed,
	      "the second edu answers at 00:01.0");
	pid = spawn((char *[]){"pvkit", "pci-detach", "edu-guest", (char *)first, NULL});
	reconfigure(f, 0, PV_XENBUS_STATE_CLOSED, "hot-remove of the first");
	check(exit_status(pid) == 0, "hot-remove: pvkit pci-detach returns 0");
	check(node_is(f, "num_devs", "1") && node_is(f, "dev-0", second) &&
		      node_is(f, "vdev-0", "0000:00:01.00") && pv_xs_exists(f->xs0, 0, f->be, "dev-1") == 0,
	      "renumbered as libxl does: the second is dev-0 now, still at 00:01.0");
	check(rd(f, EDU_ID) == 0x010000ed, "and still answers");
	cur_devfn = 0;
	check(cfg(f, 0, 0, 4, &v) == PV_PCI_ERR_DEV_NOT_FOUND, "00:00.0 is gone: DEV_NOT_FOUND");
	cur_devfn = 8;
}

/*
 * A guest that never answers a detach: pci-detach fails after its timeout
 * and the device stays; pci-detach -f takes it anyway (pvkit-pciback
 * releases it with its MSI on: interrupts off, unmapped, reset, as a
 * detach does) and its nodes go, the other device unharmed.
 */
static void forced(struct front *f, const char *first)
{
	struct pv_pci_op op = {.cmd = PV_PCI_OP_ENABLE_MSI};
	uint32_t v = 0;
	pid_t pid = spawn((char *[]){"pvkit", "pci-attach", "--timeout", "60", "edu-guest",
				     (char *)first, NULL});

	reconfigure(f, 1, PV_XENBUS_STATE_INITIALISED, "re-attach of the first");
	check(exit_status(pid) == 0 && node_is(f, "vdev-1", "0000:00:00.00"),
	      "re-attach: pvkit pci-attach returns 0, the first is back at 00:00.0");
	cur_devfn = 0;
	op.devfn = cur_devfn;
	check(front_op(f, &op) == 0 && op.err == 0, "its MSI on, left on");
	pid = spawn((char *[]){"pvkit", "pci-detach", "--timeout", "3", "edu-guest", (char *)first,
			       NULL});
	check(exit_status(pid) == 1, "the guest never answers: pvkit pci-detach fails after 3 s");
	check(node_is(f, "num_devs", "2") && cfg(f, 0, 0, 4, &v) == 0 && v == 0x11e81234,
	      "and the device is still there");
	pid = spawn((char *[]){"pvkit", "pci-detach", "-f", "--timeout", "3", "edu-guest",
			       (char *)first, NULL});
	check(exit_status(pid) == 0, "pvkit pci-detach -f: removed anyway (exit 0)");
	check(node_is(f, "num_devs", "1") && pv_xs_exists(f->xs0, 0, f->be, "dev-1") == 0 &&
		      node_is(f, "state", "4"),
	      "its keys are gone, the backend Connected again");
	check(front_wait_state(f->xs, f->be, "state", PV_XENBUS_STATE_CONNECTED) == 0 &&
		      cfg(f, 0, 0, 4, &v) == PV_PCI_ERR_DEV_NOT_FOUND,
	      "the guest's next op on it: DEV_NOT_FOUND");
	cur_devfn = 8;
	check(rd(f, EDU_ID) == 0x010000ed, "the other edu still answers");
}

int main(int argc, char **argv)
{
	struct front f = {0};
	char *v = NULL;
	pid_t pid;

	if (argc != 3 && argc != 4)
		return 2;
	f.rundir = argv[1];
	check(front_make_domain(&f, "edu-guest", GUEST_MEM) == 0, "domain edu-guest");
	pid = spawn((char *[]){"pvkit", "pci-attach", "--timeout", "60", "edu-guest", argv[2], NULL});
	check(wait_exists(f.xs0, f.fe, "backend-id") == 0, "pci-attach writes the guest's bus");
	check(front_wait_state(f.xs0, f.be, "state-0", PV_XENBUS_STATE_INITIALISED) == 0,
	      "pvkit-pciback opened the device (state-0 3)");
	check(pv_xs_read(f.xs0, 0, f.be, "vdev-0", &v) == 0 && !strcmp(v, "0000:00:00.00"),
	      "vdev-0 0000:00:00.00, root-0 on bus 0000:00");
	free(v);
	if (front_guest_open(&f) < 0) {
		check(0, "the guest's page and port");
		return 1;
	}
	front_publish(&f, f.ref, PV_PCI_MAGIC);
	check(front_wait_state(f.xs, f.be, "state", PV_XENBUS_STATE_CONNECTED) == 0,
	      "backend Connected");
	pv_xs_write(f.xs, 0, f.fe, "state", "4");
	check(exit_status(pid) == 0, "pvkit pci-attach returns 0 once the bus is Connected");
	check(listed(argv[2]), "pvkit pci-list: 00.0 and the host BDF");
	edu_registers(&f);
	edu_msi(&f);
	edu_dma(&f);
	if (argc == 4) {
		hot_plug(&f, argv[2], argv[3]);
		forced(&f, argv[2]);
	}
	pid = spawn((char *[]){"pvkit", "pci-detach", "edu-guest", argv[argc - 1], NULL});
	reconfigure(&f, 0, PV_XENBUS_STATE_CLOSED, "pci-detach of the last");
	check(exit_status(pid) == 0, "pvkit pci-detach returns 0");
	check(pv_xs_exists(f.xs0, 0, f.be, NULL) == 0 && pv_xs_exists(f.xs0, 0, f.fe, NULL) == 0,
	      "the last device took the bus's directories with it");
	return front_failures ? 1 : 0;
}

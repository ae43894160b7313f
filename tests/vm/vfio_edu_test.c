/* SPDX-License-Identifier: MIT */
/*
 * A driver for QEMU's edu device (1234:11e8) written only against the
 * guest PCI API (include/pvkit/pcidev.h), run in the VFIO test VM: inside
 * a pvkit guest as an unprivileged user (guest mode: pcifront and
 * pvkit-pciback in between), or in domain 0 with --direct. IDs, the
 * config filter against hostile writes, BAR by offset, factorial, MSI,
 * INTx, MSI-X refused, DMA both ways and a DMA aimed outside guest memory.
 * Prints "ok - " / "not ok - " lines.
 *
 *   pv-vfio-edu-test                 in a guest ($PVKIT_RUNDIR, $PVKIT_DOMID)
 *   pv-vfio-edu-test --quick         the same, only ID, factorial, MSI and DMA
 *   pv-vfio-edu-test --direct BDF    domain 0, BDF bound to vfio-pci
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pvkit/pcidev.h"
#include "edu.h"

#define DIRECT_MEM (4u << 20)

static int failed, direct, quick;

static void check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	fflush(stdout);
	failed += !cond;
}

static uint32_t rd(struct pv_pcidev *dev, uint64_t off)
{
	uint32_t v = 0xffffffff;
	int rc = pv_pcidev_read32(dev, 0, off, &v);

	if (rc < 0)
		printf("# read32 at %#llx failed (%d)\n", (unsigned long long)off, rc);
	return v;
}

static void wr(struct pv_pcidev *dev, uint64_t off, uint32_t v)
{
	int rc = pv_pcidev_write32(dev, 0, off, v);

	if (rc < 0)
		printf("# write32 at %#llx failed (%d)\n", (unsigned long long)off, rc);
}

/* Wait until (register & mask) == 0, up to 10 s. */
static int wait_clear(struct pv_pcidev *dev, uint64_t off, uint32_t mask)
{
	for (int i = 0; i < 10000; i++) {
		if (!(rd(dev, off) & mask))
			return 1;
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
	return 0;
}

static int dma(struct pv_pcidev *dev, uint64_t src, uint64_t dst, int to_ram)
{
	wr(dev, EDU_DMA_SRC, (uint32_t)src);
	wr(dev, EDU_DMA_DST, (uint32_t)dst);
	wr(dev, EDU_DMA_CNT, DMA_LEN);
	wr(dev, EDU_DMA_CMD, 1u | (to_ram ? 2u : 0u));
	return wait_clear(dev, EDU_DMA_CMD, 1);
}

static int factorial_ok(struct pv_pcidev *dev, uint32_t n, uint32_t want)
{
	wr(dev, EDU_FACT, n);
	return wait_clear(dev, EDU_STATUS, 1) && rd(dev, EDU_FACT) == want;
}

/* The guest has no privilege: not root, no capabilities, no VFIO group node it may open. */
static void test_unprivileged(void)
{
	char line[256], path[300];
	int caps_zero = 0, groups = 0, refused = 0;
	FILE *f = fopen("/proc/self/status", "r");
	DIR *d;
	struct dirent *e;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			caps_zero = strtoull(line + 7, NULL, 16) == 0;
	if (f)
		fclose(f);
	check(getuid() != 0 && geteuid() != 0 && caps_zero, "the driver runs unprivileged (uid != 0, no capabilities)");
	d = opendir("/dev/vfio");
	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/dev/vfio/%s", e->d_name);
		groups++;
		int fd = open(path, O_RDWR);

		if (fd < 0 && (errno == EACCES || errno == EPERM))
			refused++;
		else
			printf("# %s: %s\n", path, fd < 0 ? strerror(errno) : "opened");
		if (fd >= 0)
			close(fd);
	}
	if (d)
		closedir(d);
	check(groups > 0 && refused == groups, "it cannot open /dev/vfio/<group> (EACCES)");
}

/* Offset of capability @id in config space, 0 when absent. */
static unsigned int find_cap(struct pv_pcidev *dev, uint8_t id)
{
	uint32_t v = 0, ptr = 0;

	if (pv_pcidev_cfg_read(dev, 0x06, 2, &v) < 0 || !(v & 0x10) || pv_pcidev_cfg_read(dev, 0x34, 1, &ptr) < 0)
		return 0;
	for (int i = 0; i < 48 && ptr >= 0x40; i++) {
		if (pv_pcidev_cfg_read(dev, ptr & 0xfc, 2, &v) < 0)
			return 0;
		if ((v & 0xff) == id)
			return ptr & 0xfc;
		ptr = v >> 8;
	}
	return 0;
}

static void test_config(struct pv_pcidev *dev)
{
	uint32_t v = 0, bar0 = 0;

	check(pv_pcidev_cfg_read(dev, 0, 4, &v) == 0 && v == 0x11e81234, "config: vendor/device 1234:11e8");
	check(pv_pcidev_cfg_write(dev, 0, 2, 0x8086) == -EPERM, "config: vendor ID write refused");
	check(pv_pcidev_cfg_read(dev, 0, 4, &v) == 0 && v == 0x11e81234, "config: vendor ID unchanged");
	pv_pcidev_cfg_read(dev, 0x10, 4, &bar0);
	pv_pcidev_cfg_write(dev, 0x10, 4, 0xffffffff);
	pv_pcidev_cfg_read(dev, 0x10, 4, &v);
	check(v == (uint32_t)~(pv_pcidev_bar_size(dev, 0) - 1) && pv_pcidev_bar_size(dev, 0) == 1u << 20,
	      "config: BAR0 sizing answers 1 MiB");
	pv_pcidev_cfg_write(dev, 0x10, 4, 0x12300000); /* a hostile BAR move */
	check(rd(dev, EDU_ID) == 0x010000ed, "config: a BAR0 rewrite does not move the real BAR");
	pv_pcidev_cfg_write(dev, 0x10, 4, bar0);
	check(pv_pcidev_cfg_write(dev, 0x34, 1, 0x80) == -EPERM, "config: capability pointer write refused");
	check(pv_pcidev_cfg_write(dev, 0xa0, 4, 0xffffffff) == -EPERM,
	      "config: write outside the filter refused (not permissive)");
	check(pv_pcidev_cfg_write(dev, 0x04, 2, 0xfff8) == 0 && pv_pcidev_cfg_read(dev, 0x04, 2, &v) == 0 &&
	      (v & 0x01f8) == 0, "config: command bits outside decode/master/INTx-disable dropped");
	check(pv_pcidev_cfg_write(dev, 0x04, 2, 0x0006) == 0, "config: memory decode and bus master on");
	check(pv_pcidev_cfg_read(dev, 0x04, 2, &v) == 0 && (v & 0x6) == 0x6, "config: command reads back");
}

/* MSI state written through config space is the host's: absorbed or refused, never applied. */
static void test_msi_state(struct pv_pcidev *dev)
{
	unsigned int msi = find_cap(dev, 0x05);
	int rc1, rc2;

	check(msi != 0, "edu has an MSI capability");
	if (!msi)
		return;
	rc1 = pv_pcidev_cfg_write(dev, msi + 4, 4, 0xfee0f00c); /* a hostile MSI address */
	rc2 = pv_pcidev_cfg_write(dev, msi + 2, 2, 0x0001);     /* MSI enable behind the API's back */
	check((rc1 == 0 || rc1 == -EPERM) && (rc2 == 0 || rc2 == -EPERM),
	      "config: MSI address and enable written directly: absorbed or refused");
	pv_pcidev_cfg_write(dev, msi + 2, 2, 0x0000);
}

static void test_mmio(struct pv_pcidev *dev)
{
	volatile void *bar = NULL;
	size_t len = 0;
	int rc;

	check(rd(dev, EDU_ID) == 0x010000ed, "BAR0 by offset: identification 0x010000ed");
	rc = pv_pcidev_bar_map(dev, 0, &bar, &len);
	if (direct)
		check(rc == 0 && ((volatile uint32_t *)bar)[0] == 0x010000ed && len == 1u << 20,
		      "BAR0 by mmap: identification 0x010000ed");
	else
		check(rc == -ENOTSUP, "BAR0 is reached through the backend only (bar_map: -ENOTSUP)");
	wr(dev, EDU_LIVE, 0x12345678);
	check(rd(dev, EDU_LIVE) == ~0x12345678u, "liveness register inverts");
	check(factorial_ok(dev, 10, 3628800), "factorial of 10 is 3628800");
}

static void count_irq(struct pv_pcidev *dev, uint64_t count, void *opaque)
{
	(void)dev;
	*(uint64_t *)opaque += count;
}

static void test_msi(struct pv_pcidev *dev)
{
	uint64_t seen = 0;
	int n;

	check(pv_pcidev_irq_enable(dev, PV_PCIDEV_MSI, count_irq, &seen) >= 0, "MSI enabled");
	wr(dev, EDU_IRQ_RAISE, 0x5a);
	n = pv_pcidev_irq_poll(dev, 10000);
	check(n >= 1 && seen >= 1, direct ? "MSI delivered to the eventfd and callback"
					  : "MSI delivered as an event channel (eventfd and callback)");
	check(rd(dev, EDU_IRQ_STATUS) == 0x5a, "interrupt status says 0x5a");
	wr(dev, EDU_IRQ_ACK, 0x5a);
	check(rd(dev, EDU_IRQ_STATUS) == 0, "interrupt acknowledged");
	check(pv_pcidev_irq_poll(dev, 100) == 0, "no spurious second MSI");
}

/* INTx: the line is masked at each interrupt; the driver acks to unmask it. */
static void test_intx(struct pv_pcidev *dev)
{
	int got = 0;

	check(pv_pcidev_irq_enable(dev, PV_PCIDEV_INTX, NULL, NULL) >= 0, "INTx enabled (MSI off)");
	for (int i = 0; i < 2; i++) {
		wr(dev, EDU_IRQ_RAISE, 0x100u << i);
		if (pv_pcidev_irq_poll(dev, 10000) >= 1 && rd(dev, EDU_IRQ_STATUS) == 0x100u << i)
			got++;
		wr(dev, EDU_IRQ_ACK, 0x100u << i);
		pv_pcidev_irq_ack(dev);
	}
	check(got == 2, "INTx delivered twice (unmasked after the first)");
	check(pv_pcidev_irq_disable(dev) == 0, "INTx disabled");
}

/* edu has no MSI-X: every table entry is past its (empty) table (XSA-164). */
static void test_msix(struct pv_pcidev *dev)
{
	uint16_t entries[129] = {0, 1, 2, 3};

	check(pv_pcidev_msix_enable(dev, entries, 4, NULL, NULL) < 0,
	      "MSI-X entries past the table (edu has none): refused by the backend");
	check(pv_pcidev_msix_enable(dev, entries, 129, NULL, NULL) == -EINVAL,
	      "MSI-X with more entries than the page carries: refused");
	check(factorial_ok(dev, 4, 24), "device fine after the refused MSI-X (4! = 24)");
}

static void test_dma(struct pv_pcidev_bus *bus, struct pv_pcidev *dev)
{
	uint8_t *out, *in, *canary;
	uint64_t out_bus, in_bus, canary_bus, outside = pv_pcidev_mem_size(bus) + (1u << 20);
	int intact = 1;

	if (pv_pcidev_dma_alloc(bus, DMA_LEN, (void **)&out, &out_bus) < 0 ||
	    pv_pcidev_dma_alloc(bus, DMA_LEN, (void **)&in, &in_bus) < 0 ||
	    pv_pcidev_dma_alloc(bus, 4096, (void **)&canary, &canary_bus) < 0) {
		check(0, "DMA buffers allocated");
		return;
	}
	printf("# guest memory %llu bytes; DMA buffers at bus addresses %#llx, %#llx\n",
	       (unsigned long long)pv_pcidev_mem_size(bus), (unsigned long long)out_bus,
	       (unsigned long long)in_bus);
	memset(canary, 0xc5, 4096);
	for (unsigned int i = 0; i < DMA_LEN; i++)
		out[i] = (uint8_t)(i * 7 + 3);
	check(dma(dev, out_bus, EDU_BUF, 0), "DMA guest memory -> edu completes");
	check(dma(dev, EDU_BUF, in_bus, 1), "DMA edu -> guest memory completes");
	check(memcmp(out, in, DMA_LEN) == 0, "DMA both ways: the data came back intact");

	/* Outside guest memory: the IOMMU has no mapping there. */
	printf("# blocked DMA target: bus address %#llx\n", (unsigned long long)outside);
	check(dma(dev, EDU_BUF, outside, 1), "DMA edu -> outside guest memory ends (faulted)");
	memset(in, 0xee, DMA_LEN);
	check(dma(dev, outside, EDU_BUF, 0) && dma(dev, EDU_BUF, in_bus, 1),
	      "DMA from outside guest memory, then back, ends");
	check(memcmp(out, in, DMA_LEN) != 0 && in[0] != 0xee,
	      "the read from outside guest memory got nothing of the old data");
	for (unsigned int i = 0; i < 4096; i++)
		intact &= canary[i] == 0xc5;
	check(intact, "the guest's other memory is untouched by the blocked DMA");
	check(factorial_ok(dev, 5, 120), "device still works after the blocked DMA (5! = 120)");
	pv_pcidev_dma_free(bus, out, DMA_LEN);
	pv_pcidev_dma_free(bus, in, DMA_LEN);
	pv_pcidev_dma_free(bus, canary, 4096);
}

int main(int argc, char **argv)
{
	struct pv_pcidev_bus *bus = NULL;
	struct pv_pcidev *dev;
	char err[256] = "";
	int rc;

	direct = argc == 3 && !strcmp(argv[1], "--direct");
	quick = argc == 2 && !strcmp(argv[1], "--quick");
	if (argc != 1 && !direct && !quick) {
		fprintf(stderr, "usage: %s [--quick | --direct BDF]\n", argv[0]);
		return 2;
	}
	if (!direct && !quick)
		test_unprivileged();
	rc = direct ? pv_pcidev_bus_open_direct(&bus, argv[2], DIRECT_MEM, err, sizeof(err))
		    : pv_pcidev_bus_open(&bus, NULL, err, sizeof(err));
	check(rc == 0, direct ? "PCI bus opened in direct mode with 4 MiB of memory"
			      : "the guest's PCI bus opened through pcifront");
	if (rc < 0) {
		printf("# %s\n", err);
		return 1;
	}
	dev = pv_pcidev_find(bus, 0x1234, 0x11e8, 0, 0, 0);
	check(dev != NULL, "edu found by vendor/device");
	check(pv_pcidev_find(bus, PV_PCIDEV_ANY, PV_PCIDEV_ANY, 0x00ff00, 0xffff00, 0) == dev,
	      "edu found by class 00ff");
	if (dev && quick) {
		check(pv_pcidev_cfg_write(dev, 0x04, 2, 0x0006) == 0, "config: memory decode and bus master on");
		check(rd(dev, EDU_ID) == 0x010000ed, "BAR0 by offset: identification 0x010000ed");
		check(factorial_ok(dev, 7, 5040), "factorial of 7 is 5040");
		test_msi(dev);
		test_dma(bus, dev);
	} else if (dev) {
		printf("# edu at %s\n", pv_pcidev_bdf(dev));
		test_config(dev);
		test_mmio(dev);
		test_msi_state(dev);
		test_msi(dev);
		test_intx(dev);
		if (!direct)
			test_msix(dev);
		test_dma(bus, dev);
		check(factorial_ok(dev, 6, 720), "device fine at the end (6! = 720)");
	}
	pv_pcidev_bus_close(bus);
	check(1, "bus closed");
	return failed ? 1 : 0;
}

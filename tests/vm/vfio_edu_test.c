/* SPDX-License-Identifier: MIT */
/*
 * A driver for QEMU's edu device (1234:11e8) written only against the
 * guest PCI API (include/pvkit/pcidev.h), run in the VFIO test VM: IDs,
 * config filter, BAR by offset and by mmap, factorial, MSI, INTx, DMA both ways
 * and a DMA aimed outside guest memory. Prints "ok - " / "not ok - " lines.
 *
 *   pv-vfio-edu-test BDF      (BDF bound to vfio-pci)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pvkit/pcidev.h"

#define EDU_ID 0x00
#define EDU_LIVE 0x04
#define EDU_FACT 0x08
#define EDU_STATUS 0x20
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_BUF 0x40000u
#define DMA_LEN 2048u /* edu in QEMU 7.2 mishandles 4096 at its buffer's end */
#define GUEST_MEM (4u << 20)

static int failed;

static void check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	failed += !cond;
}

static uint32_t rd(struct pv_pcidev *dev, uint64_t off)
{
	uint32_t v = 0xffffffff;

	if (pv_pcidev_read32(dev, 0, off, &v) < 0)
		printf("# read32 at %#llx failed\n", (unsigned long long)off);
	return v;
}

static void wr(struct pv_pcidev *dev, uint64_t off, uint32_t v)
{
	if (pv_pcidev_write32(dev, 0, off, v) < 0)
		printf("# write32 at %#llx failed\n", (unsigned long long)off);
}

/* Wait until (register & mask) == 0, up to 5 s. */
static int wait_clear(struct pv_pcidev *dev, uint64_t off, uint32_t mask)
{
	for (int i = 0; i < 5000; i++) {
		if (!(rd(dev, off) & mask))
			return 1;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
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
	pv_pcidev_cfg_write(dev, 0x10, 4, bar0);
	check(pv_pcidev_cfg_write(dev, 0x34, 1, 0x80) == -EPERM, "config: capability pointer write refused");
	check(pv_pcidev_cfg_write(dev, 0xa0, 4, 0xffffffff) == -EPERM,
	      "config: write outside the filter refused (not permissive)");
	check(pv_pcidev_cfg_write(dev, 0x04, 2, 0xfff8) == 0 && pv_pcidev_cfg_read(dev, 0x04, 2, &v) == 0 &&
	      (v & 0x01f8) == 0, "config: command bits outside decode/master/INTx-disable dropped");
	check(pv_pcidev_cfg_write(dev, 0x04, 2, 0x0006) == 0, "config: memory decode and bus master on");
	check(pv_pcidev_cfg_read(dev, 0x04, 2, &v) == 0 && (v & 0x6) == 0x6, "config: command reads back");
}

static void test_mmio(struct pv_pcidev *dev)
{
	volatile void *bar = NULL;
	size_t len = 0;
	uint32_t n;

	check(rd(dev, EDU_ID) == 0x010000ed, "BAR0 by offset: identification 0x010000ed");
	if (pv_pcidev_bar_map(dev, 0, &bar, &len) == 0)
		check(((volatile uint32_t *)bar)[0] == 0x010000ed && len == 1u << 20,
		      "BAR0 by mmap: identification 0x010000ed");
	else
		check(0, "BAR0 by mmap");
	wr(dev, EDU_LIVE, 0x12345678);
	check(rd(dev, EDU_LIVE) == ~0x12345678u, "liveness register inverts");
	wr(dev, EDU_FACT, 10);
	n = wait_clear(dev, EDU_STATUS, 1) ? rd(dev, EDU_FACT) : 0;
	check(n == 3628800, "factorial of 10 is 3628800");
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
	n = pv_pcidev_irq_poll(dev, 5000);
	check(n >= 1 && seen >= 1, "MSI delivered to the eventfd and callback");
	check(rd(dev, EDU_IRQ_STATUS) == 0x5a, "interrupt status says 0x5a");
	wr(dev, EDU_IRQ_ACK, 0x5a);
	check(rd(dev, EDU_IRQ_STATUS) == 0, "interrupt acknowledged");
	check(pv_pcidev_irq_poll(dev, 100) == 0, "no spurious second MSI");
}

/* INTx: the kernel masks the line at each interrupt; the driver acks to unmask it. */
static void test_intx(struct pv_pcidev *dev)
{
	int got = 0;

	check(pv_pcidev_irq_enable(dev, PV_PCIDEV_INTX, NULL, NULL) >= 0, "INTx enabled (MSI off)");
	for (int i = 0; i < 2; i++) {
		wr(dev, EDU_IRQ_RAISE, 0x100u << i);
		if (pv_pcidev_irq_poll(dev, 5000) >= 1 && rd(dev, EDU_IRQ_STATUS) == 0x100u << i)
			got++;
		wr(dev, EDU_IRQ_ACK, 0x100u << i);
		pv_pcidev_irq_ack(dev);
	}
	check(got == 2, "INTx delivered twice (unmasked after the first)");
	check(pv_pcidev_irq_disable(dev) == 0, "INTx disabled");
}

static void test_dma(struct pv_pcidev_bus *bus, struct pv_pcidev *dev)
{
	uint8_t *out, *in;
	uint64_t out_bus, in_bus, outside = pv_pcidev_mem_size(bus) + (1u << 20);

	if (pv_pcidev_dma_alloc(bus, DMA_LEN, (void **)&out, &out_bus) < 0 ||
	    pv_pcidev_dma_alloc(bus, DMA_LEN, (void **)&in, &in_bus) < 0) {
		check(0, "DMA buffers allocated");
		return;
	}
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
	wr(dev, EDU_FACT, 5);
	check(wait_clear(dev, EDU_STATUS, 1) && rd(dev, EDU_FACT) == 120,
	      "device still works after the blocked DMA (5! = 120)");
	pv_pcidev_dma_free(bus, out, DMA_LEN);
	pv_pcidev_dma_free(bus, in, DMA_LEN);
}

int main(int argc, char **argv)
{
	struct pv_pcidev_bus *bus = NULL;
	struct pv_pcidev *dev;
	char err[256] = "";
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BDF\n", argv[0]);
		return 2;
	}
	rc = pv_pcidev_bus_open_direct(&bus, argv[1], GUEST_MEM, err, sizeof(err));
	check(rc == 0, "guest PCI bus opened with the device and 4 MiB of guest memory");
	if (rc < 0) {
		printf("# %s\n", err);
		return 1;
	}
	dev = pv_pcidev_find(bus, 0x1234, 0x11e8, 0, 0, 0);
	check(dev != NULL, "edu found by vendor/device");
	check(pv_pcidev_find(bus, PV_PCIDEV_ANY, PV_PCIDEV_ANY, 0x00ff00, 0xffff00, 0) == dev,
	      "edu found by class 00ff");
	if (dev) {
		test_config(dev);
		test_mmio(dev);
		test_msi(dev);
		test_intx(dev);
		test_dma(bus, dev);
	}
	pv_pcidev_bus_close(bus);
	check(1, "bus closed (DMA unmapped, device reset)");
	return failed ? 1 : 0;
}

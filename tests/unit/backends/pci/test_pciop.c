/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for backends/pci/pciop.c, irq.c and devices.c: pvkit-pciback's
 * op handler facing a hostile frontend (unknown ops, other devices, offsets
 * out of range, writes the filter refuses, MSI-X past the table, BAR
 * accesses out of bounds or into the MSI-X table, a page rewritten while it
 * is served), against a fake device: the seam's only fake.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../../../backends/pci/common.h"
#include "../../../harness/cunit.h"

/* ---- the fake device: edu-like, with MSI at 0x40 and 4 MSI-X entries in BAR1 --------- */

#define FAKE_BAR_SIZE 4096u

static struct fake {
	uint8_t cfg[256];
	struct pv_pci_cfg_filter filter;
	uint8_t bar[3][FAKE_BAR_SIZE];
	unsigned int cfg_writes, unmasks, resets, closes, dma_maps;
	int irq_index, irq_count; /* the last irq_set */
	int efds[8];
} fake;

static void put32(uint8_t *p, unsigned int off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

static int f_open(const char *sysfs, const char *bdf, int permissive, void **hw, char *err,
		  size_t errlen)
{
	(void)sysfs, (void)err, (void)errlen;
	if (strcmp(bdf, "0000:00:03.0"))
		return -ENODEV;
	pv_pci_cfg_filter_init(&fake.filter, fake.cfg, permissive);
	*hw = &fake;
	return 0;
}

static void f_close(void *hw)
{
	(void)hw;
	fake.closes++;
}

static int f_cfg_read(void *hw, unsigned int off, unsigned int size, uint32_t *val)
{
	(void)hw;
	*val = 0;
	for (unsigned int i = 0; i < size; i++)
		*val |= (uint32_t)fake.cfg[off + i] << (8 * i);
	return 0;
}

static int f_cfg_write(void *hw, unsigned int off, unsigned int size, uint32_t val)
{
	(void)hw, (void)off, (void)size, (void)val;
	fake.cfg_writes++;
	return 0;
}

static unsigned int f_cfg_size(void *hw)
{
	(void)hw;
	return 256;
}

static const struct pv_pci_cfg_filter *f_filter(void *hw)
{
	(void)hw;
	return &fake.filter;
}

static int f_bar_info(void *hw, unsigned int bar, uint64_t *size, uint32_t *flags)
{
	(void)hw;
	if (bar > 6)
		return -EINVAL;
	*size = bar < 3 ? FAKE_BAR_SIZE : 0;
	*flags = bar == 0 ? PV_PCI_BAR_MMIO : bar == 2 ? PV_PCI_BAR_MMIO | PV_PCI_BAR_64 : 0;
	return 0;
}

static int f_bar_read(void *hw, unsigned int bar, uint64_t off, void *buf, unsigned int len)
{
	(void)hw;
	CU_ASSERT_FATAL(bar < 3 && off + len <= FAKE_BAR_SIZE);
	memcpy(buf, fake.bar[bar] + off, len);
	return 0;
}

static int f_bar_write(void *hw, unsigned int bar, uint64_t off, const void *buf, unsigned int len)
{
	(void)hw;
	CU_ASSERT_FATAL(bar < 3 && off + len <= FAKE_BAR_SIZE);
	memcpy(fake.bar[bar] + off, buf, len);
	return 0;
}

static unsigned int f_irq_count(void *hw, enum pv_vfio_irq irq)
{
	(void)hw;
	return irq == PV_VFIO_IRQ_MSIX ? 4 : 1;
}

static int f_irq_set(void *hw, enum pv_vfio_irq irq, const int *efds, unsigned int count)
{
	(void)hw;
	fake.irq_index = irq;
	fake.irq_count = (int)count;
	for (unsigned int i = 0; i < count && i < 8; i++)
		fake.efds[i] = efds[i];
	return 0;
}

static int f_irq_unmask(void *hw, enum pv_vfio_irq irq)
{
	(void)hw, (void)irq;
	fake.unmasks++;
	return 0;
}

static int f_reset(void *hw)
{
	(void)hw;
	fake.resets++;
	return -ENOTTY;
}

static int f_dma_map(void *hw, int memfd, uint64_t size)
{
	(void)hw, (void)memfd, (void)size;
	fake.dma_maps++;
	return 0;
}

static const struct pciback_hw_ops fake_hw = {
	f_open, f_close, f_cfg_read, f_cfg_write, f_cfg_size, f_filter, f_bar_info, f_bar_read,
	f_bar_write, f_irq_count, f_irq_set, f_irq_unmask, f_reset, f_dma_map,
};

/* ---- fake ports ---------------------------------------------------------------------- */

static unsigned int next_port, ports_live, notifies;

static int p_alloc(struct pciback_bus *b)
{
	(void)b;
	ports_live++;
	return (int)++next_port;
}

static void p_free(struct pciback_bus *b, pv_evtchn_port_t port)
{
	(void)b, (void)port;
	ports_live--;
}

static int p_notify(struct pciback_bus *b, pv_evtchn_port_t port)
{
	(void)b, (void)port;
	notifies++;
	return 0;
}

static const struct pciback_port_ops fake_ports = {p_alloc, p_free, p_notify};

/* ---- fixture ----------------------------------------------------------------------- */

static struct pciback pb = {.epfd = -1, .hw = &fake_hw, .ports = &fake_ports};
static struct pciback_bus bus;
static struct pciback_pdev *dev;

static int setup(void)
{
	char err[256];

	memset(&fake, 0, sizeof(fake));
	put32(fake.cfg, 0x00, 0x11e81234);
	put32(fake.cfg, 0x04, 0x00100000); /* status: capability list */
	fake.cfg[0x0e] = 0;
	fake.cfg[0x34] = 0x40;
	fake.cfg[0x3d] = 1;
	fake.cfg[0x40] = 0x05; /* MSI, 64-bit, next 0x50 */
	fake.cfg[0x41] = 0x50;
	fake.cfg[0x42] = 0x80;
	fake.cfg[0x50] = 0x11; /* MSI-X, 4 entries, table in BAR1 at 0x800 */
	fake.cfg[0x52] = 3;
	put32(fake.cfg, 0x54, 0x800 | 1);
	put32(fake.cfg, 0x58, 0xc00 | 1);
	bus = (struct pciback_bus){.ev = {PCIBACK_EV_OPS}, .pb = &pb, .frontend_id = 7,
				   .memfd = memfd_create("fake-guest", MFD_CLOEXEC),
				   .mem_bytes = 1 << 20, .rl = PV_RATELIMIT_INIT};
	snprintf(bus.prefix, sizeof(bus.prefix), "pci-7");
	if (bus.memfd < 0 || pciback_dev_export(&bus, "0:3.0", 0, -1, &dev, err, sizeof(err)))
		return -1;
	return 0;
}

static int teardown(void)
{
	if (dev)
		pciback_dev_release(dev);
	close(bus.memfd);
	return ports_live == 0 && fake.closes == 1 ? 0 : -1;
}

static struct pv_pci_op op_for(uint32_t cmd)
{
	return (struct pv_pci_op){.cmd = cmd, .devfn = dev->vdevfn};
}

static int32_t run(struct pv_pci_op *op)
{
	pciback_op_handle(&bus, op);
	return op->err;
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_export(void)
{
	char err[256];
	struct pciback_pdev *other;

	CU_ASSERT_EQUAL(dev->vdevfn, 0); /* slot 0, function 0 */
	CU_ASSERT_EQUAL(fake.dma_maps, 1);
	CU_ASSERT_EQUAL(dev->msix_bir, 1);
	CU_ASSERT_EQUAL(dev->msix_off, 0x800);
	CU_ASSERT_EQUAL(dev->msix_len, 64);
	CU_ASSERT_EQUAL(pciback_dev_export(&bus, "0000:00:04.0", 0, -1, &other, err, sizeof(err)),
			-ENODEV);
	CU_ASSERT_EQUAL(pciback_dev_export(&bus, "junk", 0, -1, &other, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(pciback_dev_export(&bus, "0000:00:03.0", 0, 0, &other, err, sizeof(err)),
			-EEXIST); /* slot taken */
	CU_ASSERT_EQUAL(pciback_opts_permissive("msitranslate=0,power_mgmt=0,permissive=1"), 1);
	CU_ASSERT_EQUAL(pciback_opts_permissive("permissive=0"), 0);
	CU_ASSERT_EQUAL(pciback_opts_permissive(NULL), 0);
}

static void test_unknown_ops_and_devices(void)
{
	static const uint32_t bad[] = {PV_PCI_OP_AER_DETECTED, PV_PCI_OP_ENABLE_MULTI_MSI, 11,
				       0xfff, 0x1007, 0x7fffffff, 0xffffffff};
	struct pv_pci_op op;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		op = op_for(bad[i]);
		CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_NOT_IMPLEMENTED);
	}
	op = op_for(PV_PCI_OP_CONF_READ);
	op.devfn = 8;
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_DEV_NOT_FOUND);
	op = op_for(PV_PCI_OP_CONF_READ);
	op.bus = 1;
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_DEV_NOT_FOUND);
	op = op_for(PV_PCI_OP_CONF_READ);
	op.domain = 0xffffffff;
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_DEV_NOT_FOUND);
	op = op_for(PV_PCI_OP_CONF_READ);
	op.devfn = 0x100; /* devfn is 8 bits */
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_DEV_NOT_FOUND);
}

static void test_conf_read(void)
{
	static const int32_t bad[][2] = {{0, 3}, {0, 0}, {0, 8}, {0, -1}, {1, 2}, {2, 4},
					 {-4, 4}, {256, 1}, {254, 4}, {4096, 4}, {0x7ffffffc, 4}};
	struct pv_pci_op op = op_for(PV_PCI_OP_CONF_READ);

	op.size = 4;
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_SUCCESS);
	CU_ASSERT_EQUAL(op.value, 0x11e81234);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		op = op_for(PV_PCI_OP_CONF_READ);
		op.offset = bad[i][0];
		op.size = bad[i][1];
		op.value = 0xdead;
		CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_INVALID_OFFSET);
		CU_ASSERT_EQUAL(op.value, 0); /* nothing of ours leaks back */
	}
}

static void test_conf_write_filter(void)
{
	struct pv_pci_op op;
	unsigned int writes = fake.cfg_writes;

	op = op_for(PV_PCI_OP_CONF_WRITE);
	op.size = 4;
	op.value = 0;
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_ACCESS_DENIED); /* vendor/device ID */
	op.offset = 0x34;
	op.size = 1;
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_ACCESS_DENIED); /* capability pointer */
	op.offset = 0x80;
	op.size = 4;
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_ACCESS_DENIED); /* outside the filter, not permissive */
	op.offset = 0x54;
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_ACCESS_DENIED); /* MSI-X table location */
	op.offset = 0x100;
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_INVALID_OFFSET); /* past this device's config space */
	CU_ASSERT_EQUAL(fake.cfg_writes, writes);
	/* MSI and MSI-X control: absorbed, the device never sees them (the op enables vectors) */
	op.offset = 0x42;
	op.size = 2;
	op.value = 0x81;
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_SUCCESS);
	op.offset = 0x52;
	op.value = 0x8000;
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_SUCCESS);
	CU_ASSERT_EQUAL(fake.cfg_writes, writes);
	CU_ASSERT_EQUAL(dev->irq, PCIBACK_IRQ_NONE);
	/* command and BARs: mediated by the device layer */
	op.offset = 0x04;
	op.value = 0x0406;
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_SUCCESS);
	op.offset = 0x10;
	op.size = 4;
	op.value = 0xffffffff;
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_SUCCESS);
	CU_ASSERT_EQUAL(fake.cfg_writes, writes + 2);
}

static void test_msi(void)
{
	struct pv_pci_op op = op_for(PV_PCI_OP_ENABLE_MSI);

	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_SUCCESS);
	CU_ASSERT(op.value > 0);
	CU_ASSERT_EQUAL(fake.irq_index, PV_VFIO_IRQ_MSI);
	CU_ASSERT_EQUAL(fake.irq_count, 1);
	CU_ASSERT(fake.efds[0] >= 0);
	CU_ASSERT_EQUAL(ports_live, 1);
	/* an interrupt: one notify on the port */
	notifies = 0;
	CU_ASSERT_EQUAL(write(fake.efds[0], &(uint64_t){3}, 8), 8);
	pciback_irq_event(&dev->vec[0]);
	CU_ASSERT_EQUAL(notifies, 1);
	CU_ASSERT_EQUAL(dev->vec[0].count, 3);
	pciback_irq_event(&dev->vec[0]); /* nothing pending: no notify */
	CU_ASSERT_EQUAL(notifies, 1);
	op = op_for(PV_PCI_OP_ENABLE_MSI);
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_OP_FAILED); /* already on */
	op = op_for(PV_PCI_OP_INTX_ENABLE);
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_ACCESS_DENIED); /* another kind on */
	op = op_for(PV_PCI_OP_DISABLE_MSI);
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_SUCCESS);
	CU_ASSERT_EQUAL(fake.irq_count, 0);
	CU_ASSERT_EQUAL(ports_live, 0);
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_SUCCESS); /* twice: fine */
}

static void msix_refused(uint32_t count, const uint16_t *entries)
{
	struct pv_pci_op op = op_for(PV_PCI_OP_ENABLE_MSIX);

	op.value = count;
	for (uint32_t i = 0; entries && i < count && i < PV_PCI_SH_INFO_MAX_VEC; i++)
		op.msix_entries[i].entry = entries[i];
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_ACCESS_DENIED);
	CU_ASSERT_EQUAL(op.value, (uint32_t)-EINVAL);
	CU_ASSERT_EQUAL(dev->irq, PCIBACK_IRQ_NONE);
	CU_ASSERT_EQUAL(ports_live, 0);
}

static void test_msix_bounds(void)
{
	static const uint16_t past[] = {0, 4}, dup[] = {1, 1}, huge[] = {0xffff};
	struct pv_pci_op op = op_for(PV_PCI_OP_ENABLE_MSIX);

	msix_refused(0, NULL);
	msix_refused(5, (const uint16_t[]){0, 1, 2, 3, 0}); /* more than the table */
	msix_refused(129, NULL);                             /* more than the page */
	msix_refused(0xffffffff, NULL);
	msix_refused(2, past);
	msix_refused(2, dup);
	msix_refused(1, huge);
	op.value = 2;
	op.msix_entries[0].entry = 3;
	op.msix_entries[1].entry = 0;
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_SUCCESS);
	CU_ASSERT_EQUAL(op.value, 0);
	CU_ASSERT(op.msix_entries[0].vector > 0 && op.msix_entries[1].vector > 0);
	CU_ASSERT_NOT_EQUAL(op.msix_entries[0].vector, op.msix_entries[1].vector);
	CU_ASSERT_EQUAL(fake.irq_index, PV_VFIO_IRQ_MSIX);
	CU_ASSERT_EQUAL(fake.irq_count, 4); /* entries 0..3, 1 and 2 unused */
	CU_ASSERT(fake.efds[0] >= 0 && fake.efds[3] >= 0);
	CU_ASSERT(fake.efds[1] == -1 && fake.efds[2] == -1);
	CU_ASSERT_EQUAL(ports_live, 2);
	op = op_for(PV_PCI_OP_ENABLE_MSI);
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_ACCESS_DENIED);
	op = op_for(PV_PCI_OP_DISABLE_MSIX);
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_SUCCESS);
	CU_ASSERT_EQUAL(ports_live, 0);
}

static void test_bar_info(void)
{
	struct pv_pci_op op = op_for(PV_PCI_OP_BAR_INFO);

	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_SUCCESS);
	CU_ASSERT_EQUAL(op.ext.size, FAKE_BAR_SIZE);
	CU_ASSERT_EQUAL(op.ext.flags, PV_PCI_BAR_MMIO);
	op.ext.bar = 2;
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_SUCCESS);
	CU_ASSERT_EQUAL(op.ext.flags, PV_PCI_BAR_MMIO | PV_PCI_BAR_64);
	op.ext.bar = 7;
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_INVALID_OFFSET);
	op.ext.bar = 0xffffffff;
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_INVALID_OFFSET);
}

static int32_t bar_op(uint32_t cmd, uint32_t bar, uint64_t off, int32_t size, uint64_t *data)
{
	struct pv_pci_op op = op_for(cmd);
	int32_t err;

	op.ext.bar = bar;
	op.ext.offset = off;
	op.ext.data = *data;
	op.size = size;
	err = run(&op);
	*data = op.ext.data;
	return err;
}

static void test_bar_access(void)
{
	static const struct {
		uint32_t bar;
		uint64_t off;
		int32_t size;
	} bad[] = {
		{0, 0, 3}, {0, 0, 16}, {0, 0, 0}, {0, 0, -8}, {0, 2, 4}, {0, FAKE_BAR_SIZE, 4},
		{0, FAKE_BAR_SIZE - 4, 8}, {0, UINT64_MAX - 7, 8}, {0, (uint64_t)1 << 63, 4},
		{5, 0, 4}, {7, 0, 4}, {0xffffffff, 0, 4},
	};
	uint64_t data;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		data = 0x1122334455667788ull;
		CU_ASSERT_EQUAL(bar_op(PV_PCI_OP_BAR_WRITE, bad[i].bar, bad[i].off, bad[i].size, &data),
				PV_PCI_ERR_INVALID_OFFSET);
		CU_ASSERT_EQUAL(bar_op(PV_PCI_OP_BAR_READ, bad[i].bar, bad[i].off, bad[i].size, &data),
				PV_PCI_ERR_INVALID_OFFSET);
	}
	data = 0x1122334455667788ull;
	CU_ASSERT_EQUAL(bar_op(PV_PCI_OP_BAR_WRITE, 0, FAKE_BAR_SIZE - 8, 8, &data), 0);
	data = 0;
	CU_ASSERT_EQUAL(bar_op(PV_PCI_OP_BAR_READ, 0, FAKE_BAR_SIZE - 8, 8, &data), 0);
	CU_ASSERT_EQUAL(data, 0x1122334455667788ull);
	CU_ASSERT_EQUAL(bar_op(PV_PCI_OP_BAR_READ, 0, FAKE_BAR_SIZE - 8, 2, &data), 0);
	CU_ASSERT_EQUAL(data, 0x7788);
	/* the MSI-X table (BAR1 0x800..0x840) is the backend's; around it is fine */
	data = 0xfee00000;
	CU_ASSERT_EQUAL(bar_op(PV_PCI_OP_BAR_WRITE, 1, 0x800, 4, &data), PV_PCI_ERR_ACCESS_DENIED);
	CU_ASSERT_EQUAL(bar_op(PV_PCI_OP_BAR_WRITE, 1, 0x838, 8, &data), PV_PCI_ERR_ACCESS_DENIED);
	CU_ASSERT_EQUAL(bar_op(PV_PCI_OP_BAR_WRITE, 1, 0x7f8, 8, &data), 0);
	CU_ASSERT_EQUAL(bar_op(PV_PCI_OP_BAR_WRITE, 1, 0x840, 4, &data), 0);
	CU_ASSERT_EQUAL(bar_op(PV_PCI_OP_BAR_READ, 1, 0x800, 4, &data), 0);
	CU_ASSERT_EQUAL(fake.bar[1][0x800], 0);
	CU_ASSERT_EQUAL(bar_op(PV_PCI_OP_BAR_WRITE, PV_PCI_BAR_ROM, 0, 4, &data),
			PV_PCI_ERR_INVALID_OFFSET); /* no ROM on this one */
}

static void test_intx_and_reset(void)
{
	struct pv_pci_op op = op_for(PV_PCI_OP_INTX_ACK);

	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_ACCESS_DENIED); /* not on */
	op = op_for(PV_PCI_OP_INTX_ENABLE);
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_SUCCESS);
	CU_ASSERT(op.value > 0);
	CU_ASSERT_EQUAL(fake.irq_index, PV_VFIO_IRQ_INTX);
	op = op_for(PV_PCI_OP_INTX_ACK);
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_SUCCESS);
	CU_ASSERT_EQUAL(fake.unmasks, 1);
	op = op_for(PV_PCI_OP_RESET);
	CU_ASSERT_EQUAL(run(&op), PV_PCI_ERR_NOT_IMPLEMENTED); /* the fake has no reset, as edu */
	CU_ASSERT_EQUAL(fake.resets, 1);
	CU_ASSERT_EQUAL(dev->irq, PCIBACK_IRQ_NONE); /* interrupts went first */
	CU_ASSERT_EQUAL(ports_live, 0);
}

/* ---- the shared page ------------------------------------------------------------------ */

static struct pv_pci_sharedinfo *page;

static void test_service(void)
{
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(page != MAP_FAILED);
	bus.sh = page;
	notifies = 0;
	bus.spurious = 0;
	CU_ASSERT_EQUAL(pciback_op_service(&bus), 0); /* not ACTIVE: nothing done */
	CU_ASSERT_EQUAL(notifies, 0);
	pciback_op_notified(&bus, bus.op_port); /* a notify for nothing: counted */
	CU_ASSERT_EQUAL(bus.spurious, 1);
	page->op = op_for(PV_PCI_OP_CONF_READ);
	page->op.size = 2;
	page->op.offset = 2;
	page->flags = PV_PCIF_ACTIVE | PV_PCIB_AERHANDLER;
	pciback_op_service(&bus);
	CU_ASSERT_EQUAL(page->op.err, 0);
	CU_ASSERT_EQUAL(page->op.value, 0x11e8);
	CU_ASSERT_EQUAL(page->flags, PV_PCIB_AERHANDLER); /* only ACTIVE cleared */
	CU_ASSERT_EQUAL(notifies, 1);
	page->op = op_for(PV_PCI_OP_BAR_INFO);
	page->op.ext.bar = 2;
	page->flags = PV_PCIF_ACTIVE;
	pciback_op_service(&bus);
	CU_ASSERT_EQUAL(page->op.ext.size, FAKE_BAR_SIZE);
}

/*
 * pvkit top's counters (<rundir>/stats/pci-7-0), exact for a known run:
 * every op in requests, the refused ones also in errors, interrupts
 * delivered (triggers not yet forwarded go as one), notifications for
 * nothing in spurious.
 */
static void test_stats(void)
{
	char dir[] = "/tmp/pvkit-test-pcistats.XXXXXX", cmd[128];
	struct pv_pci_op op;
	struct pv_stats_counters c;
	uint32_t v = 0;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	CU_ASSERT_EQUAL_FATAL(pv_stats_open(dir, "pci", 7, 0, &bus.stats), 0);
	for (int i = 0; i < 5; i++) { /* 5 served */
		op = op_for(PV_PCI_OP_CONF_READ);
		op.size = 4;
		CU_ASSERT_EQUAL(run(&op), 0);
	}
	op = (struct pv_pci_op){.cmd = 0xdead}; /* refused: unknown op */
	run(&op);
	op = op_for(PV_PCI_OP_CONF_READ); /* refused: no such device */
	op.devfn = 0x18;
	run(&op);
	op = op_for(PV_PCI_OP_CONF_WRITE); /* refused by the filter: the vendor ID */
	op.size = 2;
	op.value = v;
	run(&op);
	op = op_for(PV_PCI_OP_ENABLE_MSI); /* served */
	CU_ASSERT_EQUAL_FATAL(run(&op), 0);
	CU_ASSERT_EQUAL(write(fake.efds[0], &(uint64_t){1}, 8), 8);
	pciback_irq_event(&dev->vec[0]);
	CU_ASSERT_EQUAL(write(fake.efds[0], &(uint64_t){1}, 8), 8);
	CU_ASSERT_EQUAL(write(fake.efds[0], &(uint64_t){1}, 8), 8);
	pciback_irq_event(&dev->vec[0]); /* two triggers, one event */
	pciback_irq_event(&dev->vec[0]); /* nothing pending: not one */
	op = op_for(PV_PCI_OP_DISABLE_MSI); /* served */
	CU_ASSERT_EQUAL(run(&op), 0);
	pciback_op_notified(&bus, bus.op_port + 100); /* an interrupt port: spurious */
	pciback_op_notified(&bus, bus.op_port);       /* nothing posted: spurious */
	CU_ASSERT_EQUAL_FATAL(pv_stats_read(bus.stats->path, &c), 0);
	CU_ASSERT_STRING_EQUAL(c.cls, "pci");
	CU_ASSERT_EQUAL(c.domid, 7);
	CU_ASSERT_EQUAL(c.devid, 0);
	CU_ASSERT_EQUAL(c.requests, 10);
	CU_ASSERT_EQUAL(c.errors, 3);
	CU_ASSERT_EQUAL(c.irqs, 2);
	CU_ASSERT_EQUAL(c.spurious, 2);
	CU_ASSERT_EQUAL(c.bytes_in + c.bytes_out + c.drops + c.inflight, 0);
	pv_stats_close(bus.stats);
	bus.stats = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

static volatile int scribbling;

/* A frontend rewriting the op while the backend serves it (XSA-155). */
static void *scribbler(void *arg)
{
	uint32_t x = 12345;

	(void)arg;
	while (scribbling) {
		x = x * 1103515245 + 12345;
		page->op.cmd = x % 16 < 8 ? x % 8 : 0x1000 + x % 8;
		page->op.offset = (int32_t)(x >> 3);
		page->op.size = (int32_t)(x >> 7) % 10;
		page->op.value = x;
		page->op.ext.bar = x % 9;
		page->op.ext.offset = (uint64_t)x << 20;
		page->op.msix_entries[0].entry = (uint16_t)x;
		__atomic_or_fetch(&page->flags, PV_PCIF_ACTIVE, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void test_service_double_fetch(void)
{
	pthread_t t;

	scribbling = 1;
	CU_ASSERT_FATAL(pthread_create(&t, NULL, scribbler, NULL) == 0);
	for (int i = 0; i < 20000; i++)
		pciback_op_service(&bus);
	scribbling = 0;
	pthread_join(t, NULL);
	pciback_irq_disable(dev); /* whatever the random ops left on */
	CU_ASSERT_EQUAL(ports_live, 0);
	bus.sh = NULL;
	munmap(page, 4096);
}

static CU_TestInfo tests[] = {
	{"export: slot, DMA map, MSI-X table found", test_export},
	{"unknown ops and devices refused", test_unknown_ops_and_devices},
	{"config reads bounded", test_conf_read},
	{"config writes through the filter", test_conf_write_filter},
	{"MSI as an event-channel port", test_msi},
	{"MSI-X entries bounded by the table (XSA-164)", test_msix_bounds},
	{"BAR info", test_bar_info},
	{"BAR reads and writes bounded, MSI-X table protected", test_bar_access},
	{"INTx ack and reset", test_intx_and_reset},
	{"the shared page: copy, answer, clear, notify", test_service},
	{"counters for pvkit top, exact", test_stats},
	{"a page rewritten while served", test_service_double_fetch},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"pciback-op", setup, teardown, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

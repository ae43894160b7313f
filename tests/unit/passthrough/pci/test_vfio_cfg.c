/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for passthrough/pci/vfio_cfg.c: config-space mediation of a
 * VFIO device, with a temporary file standing in for the device fd.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../../../passthrough/pci/vfio_priv.h"
#include "../../../harness/cunit.h"

static struct pv_vfio_dev dev;
static FILE *file;

static void put32(uint8_t *cfg, unsigned int off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		cfg[off + i] = (uint8_t)(v >> (8 * i));
}

/* edu-like: 1234:11e8, BAR0 1 MiB 32-bit, BAR2 16 KiB 64-bit, MSI at 0x40. */
static int setup(void)
{
	uint8_t cfg[256] = { 0 };

	put32(cfg, 0x00, 0x11e81234);
	put32(cfg, 0x04, 0x00100000); /* status: capability list */
	put32(cfg, 0x08, 0x00ff0010);
	put32(cfg, 0x10, 0xfea00000);
	put32(cfg, 0x18, 0xfeb00004);
	put32(cfg, 0x1c, 0x00000000);
	cfg[0x34] = 0x40;
	cfg[0x3c] = 11;
	cfg[0x3d] = 1;
	cfg[0x40] = 0x05; /* MSI, 64-bit address */
	cfg[0x42] = 0x80;
	file = tmpfile();
	if (!file || fwrite(cfg, 1, sizeof(cfg), file) != sizeof(cfg) || fflush(file))
		return -1;
	memset(&dev, 0, sizeof(dev));
	snprintf(dev.bdf, sizeof(dev.bdf), "0000:00:03.0");
	dev.device = fileno(file);
	dev.msi_efd = -1;
	dev.region[0].size = 1 << 20;
	dev.region[2].size = 16384;
	dev.region[VFIO_PCI_CONFIG_REGION_INDEX].size = 256;
	return pv_vfio_cfg_init(&dev, 0, NULL, 0);
}

static int teardown(void)
{
	return file ? fclose(file) : 0;
}

static uint32_t rd(unsigned int off, unsigned int size)
{
	uint32_t v = 0xdeadbeef;

	CU_ASSERT_EQUAL(pv_vfio_cfg_read(&dev, off, size, &v), 0);
	return v;
}

static uint32_t raw(unsigned int off)
{
	uint8_t b[4] = { 0 };

	CU_ASSERT_EQUAL(pread(dev.device, b, 4, off), 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void test_ids_read_and_denied(void)
{
	CU_ASSERT_EQUAL(rd(0x00, 4), 0x11e81234);
	CU_ASSERT_EQUAL(rd(0x02, 2), 0x11e8);
	CU_ASSERT_EQUAL(pv_vfio_cfg_write(&dev, 0x00, 4, 0), -EPERM);
	CU_ASSERT_EQUAL(pv_vfio_cfg_write(&dev, 0x34, 1, 0x80), -EPERM);
	CU_ASSERT_EQUAL(pv_vfio_cfg_write(&dev, 0x80, 4, 1), -EPERM); /* not permissive */
	CU_ASSERT_EQUAL(pv_vfio_cfg_read(&dev, 0x01, 2, &(uint32_t){ 0 }), -EINVAL);
	CU_ASSERT_EQUAL(raw(0x00), 0x11e81234);
}

static void test_bar_sizing(void)
{
	CU_ASSERT_EQUAL(pv_vfio_cfg_write(&dev, 0x10, 4, 0xffffffff), 0);
	CU_ASSERT_EQUAL(rd(0x10, 4), 0xfff00000);
	CU_ASSERT_EQUAL(raw(0x10), 0xfea00000); /* the device never saw it */
	CU_ASSERT_EQUAL(pv_vfio_cfg_write(&dev, 0x10, 4, 0xfea00000), 0);
	CU_ASSERT_EQUAL(rd(0x10, 4), 0xfea00000);
	/* BAR1: not implemented, reads 0 whatever is written */
	CU_ASSERT_EQUAL(pv_vfio_cfg_write(&dev, 0x14, 4, 0xffffffff), 0);
	CU_ASSERT_EQUAL(rd(0x14, 4), 0);
	/* BAR2/3: 64-bit, 16 KiB; flag bits kept */
	CU_ASSERT_EQUAL(pv_vfio_cfg_write(&dev, 0x18, 4, 0xffffffff), 0);
	CU_ASSERT_EQUAL(pv_vfio_cfg_write(&dev, 0x1c, 4, 0xffffffff), 0);
	CU_ASSERT_EQUAL(rd(0x18, 4), 0xffffc004);
	CU_ASSERT_EQUAL(rd(0x1c, 4), 0xffffffff);
	CU_ASSERT_EQUAL(pv_vfio_cfg_write(&dev, 0x1a, 2, 0x1234), 0);
	CU_ASSERT_EQUAL(rd(0x18, 4), 0x1234c004);
	/* no ROM */
	CU_ASSERT_EQUAL(pv_vfio_cfg_write(&dev, 0x30, 4, 0xffffffff), 0);
	CU_ASSERT_EQUAL(rd(0x30, 4), 0);
}

static void test_command_and_line(void)
{
	CU_ASSERT_EQUAL(pv_vfio_cfg_write(&dev, 0x04, 2, 0xffff), 0);
	CU_ASSERT_EQUAL(raw(0x04) & 0xffff, 0x0407);
	CU_ASSERT_EQUAL(pv_vfio_cfg_write(&dev, 0x05, 1, 0x00), 0);
	CU_ASSERT_EQUAL(raw(0x04) & 0xffff, 0x0007);
	CU_ASSERT_EQUAL(pv_vfio_cfg_write(&dev, 0x04, 1, 0x02), 0);
	CU_ASSERT_EQUAL(raw(0x04) & 0xffff, 0x0002);
	CU_ASSERT_EQUAL(pv_vfio_cfg_write(&dev, 0x3c, 1, 5), 0);
	CU_ASSERT_EQUAL(rd(0x3c, 1), 5);
	CU_ASSERT_EQUAL(raw(0x3c) & 0xff, 11);
	CU_ASSERT_EQUAL(pv_vfio_cfg_write(&dev, 0x3c, 2, 5), -EPERM); /* pin is read-only */
}

static void test_msi_absorbed(void)
{
	CU_ASSERT_EQUAL(pv_vfio_cfg_write(&dev, 0x44, 4, 0xfee00000), 0);
	CU_ASSERT_EQUAL(raw(0x44), 0);
	/* enabling MSI on a file is refused by the ioctl, and says so */
	CU_ASSERT_NOT_EQUAL(pv_vfio_cfg_write(&dev, 0x42, 2, 0x81), 0);
	CU_ASSERT_EQUAL(dev.irq_on, 0);
	CU_ASSERT_EQUAL(pv_vfio_cfg_write(&dev, 0x40, 1, 0x11), -EPERM);
	if (dev.msi_efd >= 0)
		close(dev.msi_efd);
}

static CU_TestInfo tests[] = {
	{ "ids read, protected writes denied", test_ids_read_and_denied },
	{ "BAR sizing answered from region sizes", test_bar_sizing },
	{ "command bits filtered, line shadowed", test_command_and_line },
	{ "MSI state absorbed or via SET_IRQS", test_msi_absorbed },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "vfio-cfg", setup, teardown, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

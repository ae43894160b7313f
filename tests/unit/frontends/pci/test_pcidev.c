/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for frontends/pci/pcidev.c without hardware: guest memory,
 * DMA buffer allocation and bus addresses, lookup on an empty bus.
 */
#include <errno.h>
#include <string.h>

#include "pvkit/pcidev.h"
#include "../../../harness/cunit.h"

static void test_bad_sizes(void)
{
	struct pv_pcidev_bus *bus = NULL;
	char err[128] = "";

	CU_ASSERT_EQUAL(pv_pcidev_bus_open_direct(&bus, NULL, 1000, err, sizeof(err)), -EINVAL);
	CU_ASSERT_NOT_EQUAL(err[0], '\0');
	CU_ASSERT_EQUAL(pv_pcidev_bus_open_direct(&bus, NULL, 0, NULL, 0), -EINVAL);
}

static void test_dma_alloc(void)
{
	struct pv_pcidev_bus *bus = NULL;
	void *a, *b, *c;
	uint64_t ba, bb, bc;

	CU_ASSERT_FATAL(pv_pcidev_bus_open_direct(&bus, "", 16 * 4096, NULL, 0) == 0);
	CU_ASSERT_EQUAL(pv_pcidev_mem_size(bus), 16 * 4096);
	CU_ASSERT_PTR_NULL(pv_pcidev_find(bus, PV_PCIDEV_ANY, PV_PCIDEV_ANY, 0, 0, 0));
	CU_ASSERT_EQUAL(pv_pcidev_dma_alloc(bus, 100, &a, &ba), 0);
	CU_ASSERT_EQUAL(ba, 4096); /* bus address 0 is never handed out */
	memset(a, 0x5a, 4096);
	CU_ASSERT_EQUAL(pv_pcidev_dma_alloc(bus, 8192, &b, &bb), 0);
	CU_ASSERT_EQUAL(bb, 8192);
	CU_ASSERT_EQUAL((char *)b - (char *)a, (long)(bb - ba));
	CU_ASSERT_EQUAL(pv_pcidev_dma_alloc(bus, 12 * 4096, &c, &bc), 0);
	CU_ASSERT_EQUAL(pv_pcidev_dma_alloc(bus, 1, &c, &bc), -ENOMEM);
	pv_pcidev_dma_free(bus, a, 100);
	CU_ASSERT_EQUAL(pv_pcidev_dma_alloc(bus, 4096, &c, &bc), 0);
	CU_ASSERT_EQUAL(bc, 4096);
	CU_ASSERT_EQUAL(((unsigned char *)c)[0], 0); /* zeroed again */
	CU_ASSERT_EQUAL(pv_pcidev_dma_alloc(bus, 17 * 4096, &c, &bc), -EINVAL);
	pv_pcidev_dma_free(bus, (char *)b + 1, 4096); /* not a buffer: ignored */
	pv_pcidev_bus_close(bus);
}

static void test_missing_device(void)
{
	struct pv_pcidev_bus *bus = NULL;
	char err[256] = "";

	CU_ASSERT_NOT_EQUAL(pv_pcidev_bus_open_direct(&bus, "0000:ff:1f.7", 4096 * 4, err, sizeof(err)), 0);
	CU_ASSERT_NOT_EQUAL(err[0], '\0');
	CU_ASSERT_PTR_NULL(bus);
}

static CU_TestInfo tests[] = {
	{ "bad guest memory sizes refused", test_bad_sizes },
	{ "DMA buffers: bus address = offset in guest memory", test_dma_alloc },
	{ "a device that is not there: a reason", test_missing_device },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "pcidev", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

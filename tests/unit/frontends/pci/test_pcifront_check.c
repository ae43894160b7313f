/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for frontends/pci/pcifront_check.c: every way a backend's
 * answer can be refused, and the answers that pass.
 */
#include <errno.h>
#include <string.h>

#include "../../../../frontends/pci/pcifront.h"
#include "../../../harness/cunit.h"

static struct pv_pci_op req, rsp;
static const char *why;

/* A request for 0000:00:01.0 and an answer that repeats it. */
static void op(uint32_t cmd, int32_t offset, int32_t size)
{
	memset(&req, 0, sizeof(req));
	req = (struct pv_pci_op){.cmd = cmd, .bus = 0, .devfn = 1 << 3, .offset = offset, .size = size};
	rsp = req;
}

static int check(void)
{
	return pcifront_check_answer(&req, &rsp, &why);
}

static void test_good(void)
{
	op(PV_PCI_OP_CONF_READ, 0x0e, 1);
	rsp.value = 0x80;
	CU_ASSERT_EQUAL(check(), 0);
	CU_ASSERT_PTR_NULL(why);
	op(PV_PCI_OP_CONF_READ, 0, 4);
	rsp.value = 0xffffffff;
	CU_ASSERT_EQUAL(check(), 0);
	op(PV_PCI_OP_BAR_READ, 0, 8);
	rsp.ext.data = ~0ull;
	CU_ASSERT_EQUAL(check(), 0);
	op(PV_PCI_OP_BAR_INFO, 0, 0);
	rsp.ext.size = 1u << 20;
	rsp.ext.flags = PV_PCI_BAR_MMIO | PV_PCI_BAR_64;
	CU_ASSERT_EQUAL(check(), 0);
	rsp.ext.size = 0; /* no such BAR */
	CU_ASSERT_EQUAL(check(), 0);
}

static void test_backend_errors(void)
{
	static const struct { int32_t err; int rc; } map[] = {
		{PV_PCI_ERR_DEV_NOT_FOUND, -ENODEV}, {PV_PCI_ERR_INVALID_OFFSET, -EINVAL},
		{PV_PCI_ERR_ACCESS_DENIED, -EPERM}, {PV_PCI_ERR_NOT_IMPLEMENTED, -EOPNOTSUPP},
		{PV_PCI_ERR_OP_FAILED, -EIO},
	};

	for (unsigned int i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		op(PV_PCI_OP_CONF_WRITE, 0x10, 4);
		rsp.err = map[i].err;
		CU_ASSERT_EQUAL(check(), map[i].rc);
		CU_ASSERT_PTR_NULL(why);
	}
	op(PV_PCI_OP_CONF_WRITE, 0x10, 4);
	rsp.err = -6;
	CU_ASSERT_EQUAL(check(), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(why);
	rsp.err = 1234;
	CU_ASSERT_EQUAL(check(), -EPROTO);
}

static void test_another_op(void)
{
	op(PV_PCI_OP_CONF_READ, 0x10, 4);
	rsp.cmd = PV_PCI_OP_CONF_WRITE;
	CU_ASSERT_EQUAL(check(), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(why);
	op(PV_PCI_OP_CONF_READ, 0x10, 4);
	rsp.devfn = 2 << 3;
	CU_ASSERT_EQUAL(check(), -EPROTO);
	op(PV_PCI_OP_CONF_READ, 0x10, 4);
	rsp.offset = 0x14;
	CU_ASSERT_EQUAL(check(), -EPROTO);
	op(PV_PCI_OP_CONF_READ, 0x10, 4);
	rsp.size = 2;
	CU_ASSERT_EQUAL(check(), -EPROTO);
	op(PV_PCI_OP_BAR_READ, 0, 4);
	req.ext.offset = rsp.ext.offset = 8;
	rsp.ext.bar = 2;
	CU_ASSERT_EQUAL(check(), -EPROTO);
	op(PV_PCI_OP_BAR_WRITE, 0, 4);
	req.ext.offset = 8;
	rsp.ext.offset = 12;
	CU_ASSERT_EQUAL(check(), -EPROTO);
}

static void test_impossible_values(void)
{
	op(PV_PCI_OP_CONF_READ, 0x0e, 1);
	rsp.value = 0x100;
	CU_ASSERT_EQUAL(check(), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(why);
	op(PV_PCI_OP_CONF_READ, 0x0e, 2);
	rsp.value = 0x10000;
	CU_ASSERT_EQUAL(check(), -EPROTO);
	op(PV_PCI_OP_BAR_READ, 0, 4);
	rsp.ext.data = 1ull << 32;
	CU_ASSERT_EQUAL(check(), -EPROTO);
	op(PV_PCI_OP_BAR_INFO, 0, 0);
	rsp.ext.size = 3 << 12;
	CU_ASSERT_EQUAL(check(), -EPROTO);
	op(PV_PCI_OP_BAR_INFO, 0, 0);
	rsp.ext.size = 4096;
	rsp.ext.flags = 0x10;
	CU_ASSERT_EQUAL(check(), -EPROTO);
}

static void test_msix_value(void)
{
	op(PV_PCI_OP_ENABLE_MSIX, 0, 0);
	rsp.value = 0;
	CU_ASSERT_EQUAL(check(), 0);
	rsp.value = (uint32_t)-EINVAL; /* refused, the -errno in value */
	CU_ASSERT_EQUAL(check(), -EINVAL);
	CU_ASSERT_PTR_NULL(why);
	rsp.value = 7;
	CU_ASSERT_EQUAL(check(), -EPROTO);
	rsp.value = (uint32_t)-5000;
	CU_ASSERT_EQUAL(check(), -EPROTO);
	rsp.err = PV_PCI_ERR_ACCESS_DENIED; /* the error code wins */
	CU_ASSERT_EQUAL(check(), -EPERM);
}

static CU_TestInfo tests[] = {
	{"good answers pass", test_good},
	{"the backend's error codes become errno; unknown ones -EPROTO", test_backend_errors},
	{"an answer naming another op: -EPROTO", test_another_op},
	{"values the op cannot have: -EPROTO", test_impossible_values},
	{"ENABLE_MSIX: 0 or -errno in value", test_msix_value},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"pcifront_check", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for passthrough/pci/cfgfilter.c: the verdict for every kind of
 * config-space write a guest can make, and MSI-X table bounds (XSA-164).
 */
#include <errno.h>
#include <string.h>

#include "pvkit/pcihost.h"
#include "../../../harness/cunit.h"

static uint8_t cfg[256];
static struct pv_pci_cfg_filter strict, loose;

/* A device with PM at 0x40, 64-bit maskable MSI at 0x50, 8-entry MSI-X at 0x70. */
static int setup(void)
{
	memset(cfg, 0, sizeof(cfg));
	cfg[0x00] = 0x34, cfg[0x01] = 0x12;     /* vendor */
	cfg[0x06] = 0x10;                       /* capability list */
	cfg[0x34] = 0x40;
	cfg[0x40] = 0x01, cfg[0x41] = 0x50;     /* PM */
	cfg[0x50] = 0x05, cfg[0x51] = 0x70;     /* MSI */
	cfg[0x52] = 0x80, cfg[0x53] = 0x01;     /* 64-bit, per-vector masking: 24 bytes */
	cfg[0x70] = 0x11, cfg[0x71] = 0x00;     /* MSI-X, last */
	cfg[0x72] = 0x07;                       /* 8 entries */
	pv_pci_cfg_filter_init(&strict, cfg, 0);
	pv_pci_cfg_filter_init(&loose, cfg, 1);
	return 0;
}

static void test_caps_found(void)
{
	CU_ASSERT_EQUAL(strict.pm_cap, 0x40);
	CU_ASSERT_EQUAL(strict.msi_cap, 0x50);
	CU_ASSERT_EQUAL(strict.msi_len, 24);
	CU_ASSERT_EQUAL(strict.msix_cap, 0x70);
	CU_ASSERT_EQUAL(strict.msix_entries, 8);
}

struct row {
	unsigned int off, size;
	enum pv_pci_cfg_verdict strict, loose;
	const char *what;
};

static const struct row rows[] = {
	{0x00, 2, PV_PCI_CFG_DENY, PV_PCI_CFG_DENY, "vendor ID"},
	{0x04, 2, PV_PCI_CFG_EMULATE, PV_PCI_CFG_EMULATE, "command register"},
	{0x06, 2, PV_PCI_CFG_ALLOW, PV_PCI_CFG_ALLOW, "status (RW1C)"},
	{0x08, 4, PV_PCI_CFG_DENY, PV_PCI_CFG_DENY, "class code"},
	{0x0c, 1, PV_PCI_CFG_ALLOW, PV_PCI_CFG_ALLOW, "cache line size"},
	{0x0c, 4, PV_PCI_CFG_DENY, PV_PCI_CFG_DENY, "dword with header type and BIST"},
	{0x0f, 1, PV_PCI_CFG_DENY, PV_PCI_CFG_DENY, "BIST"},
	{0x10, 4, PV_PCI_CFG_EMULATE, PV_PCI_CFG_EMULATE, "BAR0"},
	{0x24, 4, PV_PCI_CFG_EMULATE, PV_PCI_CFG_EMULATE, "BAR5"},
	{0x30, 4, PV_PCI_CFG_EMULATE, PV_PCI_CFG_EMULATE, "expansion ROM BAR"},
	{0x34, 1, PV_PCI_CFG_DENY, PV_PCI_CFG_DENY, "capability pointer"},
	{0x3c, 1, PV_PCI_CFG_EMULATE, PV_PCI_CFG_EMULATE, "interrupt line"},
	{0x3d, 1, PV_PCI_CFG_DENY, PV_PCI_CFG_DENY, "interrupt pin"},
	{0x40, 2, PV_PCI_CFG_DENY, PV_PCI_CFG_DENY, "PM capability header"},
	{0x44, 2, PV_PCI_CFG_EMULATE, PV_PCI_CFG_EMULATE, "PM control/status"},
	{0x52, 2, PV_PCI_CFG_EMULATE, PV_PCI_CFG_EMULATE, "MSI control"},
	{0x5c, 4, PV_PCI_CFG_EMULATE, PV_PCI_CFG_EMULATE, "MSI data"},
	{0x60, 4, PV_PCI_CFG_EMULATE, PV_PCI_CFG_EMULATE, "MSI mask bits"},
	{0x68, 4, PV_PCI_CFG_DENY, PV_PCI_CFG_ALLOW, "past the MSI capability"},
	{0x72, 2, PV_PCI_CFG_EMULATE, PV_PCI_CFG_EMULATE, "MSI-X control"},
	{0x74, 4, PV_PCI_CFG_DENY, PV_PCI_CFG_DENY, "MSI-X table offset (even permissive)"},
	{0x78, 4, PV_PCI_CFG_DENY, PV_PCI_CFG_DENY, "MSI-X PBA offset (even permissive)"},
	{0xa0, 4, PV_PCI_CFG_DENY, PV_PCI_CFG_ALLOW, "device-specific register"},
	{0x100, 4, PV_PCI_CFG_DENY, PV_PCI_CFG_ALLOW, "extended config space"},
	{0x05, 2, PV_PCI_CFG_DENY, PV_PCI_CFG_DENY, "unaligned word"},
	{0x10, 3, PV_PCI_CFG_DENY, PV_PCI_CFG_DENY, "three-byte write"},
	{0xffc, 4, PV_PCI_CFG_DENY, PV_PCI_CFG_ALLOW, "last dword"},
	{0x1000, 4, PV_PCI_CFG_DENY, PV_PCI_CFG_DENY, "past config space"},
	{0xfffffffc, 4, PV_PCI_CFG_DENY, PV_PCI_CFG_DENY, "offset that wraps"},
};

static void test_verdicts(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		enum pv_pci_cfg_verdict s = pv_pci_cfg_check_write(&strict, r->off, r->size);
		enum pv_pci_cfg_verdict l = pv_pci_cfg_check_write(&loose, r->off, r->size);

		if (s != r->strict || l != r->loose)
			printf("\n  %s: strict %d (want %d), permissive %d (want %d)", r->what, s,
			       r->strict, l, r->loose);
		CU_ASSERT_EQUAL(s, r->strict);
		CU_ASSERT_EQUAL(l, r->loose);
	}
}

static void test_looping_capability_list(void)
{
	struct pv_pci_cfg_filter f;
	uint8_t c[256] = {0};

	c[0x06] = 0x10;
	c[0x34] = 0x40;
	c[0x40] = 0x05, c[0x41] = 0x48; /* MSI -> 0x48 */
	c[0x48] = 0x09, c[0x49] = 0x40; /* vendor cap -> back to 0x40 */
	pv_pci_cfg_filter_init(&f, c, 0);
	CU_ASSERT_EQUAL(f.msi_cap, 0x40);
	CU_ASSERT_EQUAL(f.msix_cap, 0);
	c[0x34] = 0x20; /* a pointer into the header is not followed */
	pv_pci_cfg_filter_init(&f, c, 0);
	CU_ASSERT_EQUAL(f.msi_cap, 0);
}

static void test_msix_table_bounds(void)
{
	struct pv_pci_cfg_filter none;
	uint8_t c[256] = {0};

	CU_ASSERT_EQUAL(pv_pci_msix_check_access(&strict, 0, 4), 0);
	CU_ASSERT_EQUAL(pv_pci_msix_check_access(&strict, 7 * 16 + 8, 8), 0);
	CU_ASSERT_EQUAL(pv_pci_msix_check_access(&strict, 7 * 16 + 12, 4), 0);
	CU_ASSERT_EQUAL(pv_pci_msix_check_access(&strict, 8 * 16, 4), -EINVAL);
	CU_ASSERT_EQUAL(pv_pci_msix_check_access(&strict, 2, 4), -EINVAL);
	CU_ASSERT_EQUAL(pv_pci_msix_check_access(&strict, 4, 8), -EINVAL);
	CU_ASSERT_EQUAL(pv_pci_msix_check_access(&strict, 0, 2), -EINVAL);
	CU_ASSERT_EQUAL(pv_pci_msix_check_access(&strict, UINT64_MAX - 3, 4), -EINVAL);
	pv_pci_cfg_filter_init(&none, c, 0);
	CU_ASSERT_EQUAL(pv_pci_msix_check_access(&none, 0, 4), -EINVAL);
}

static CU_TestInfo tests[] = {
	{"capabilities found", test_caps_found},
	{"write verdicts, strict and permissive", test_verdicts},
	{"looping capability list", test_looping_capability_list},
	{"MSI-X table bounds (XSA-164)", test_msix_table_bounds},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"cfgfilter", setup, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

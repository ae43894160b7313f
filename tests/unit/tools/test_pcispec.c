/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for tools/pcispec.c: the BDF forms, virtual slots, options and
 * every rejection.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../../tools/devspec.h"
#include "../../harness/cunit.h"

struct pci_case {
	const char *spec;
	unsigned domain, bus, dev, func;
	int all, vslot, permissive, msitranslate, power_mgmt, seize;
	enum pcispec_rdm rdm;
};

static const struct pci_case accepted[] = {
	{"03:00.0", 0, 3, 0, 0, 0, -1, -1, -1, -1, -1, PCISPEC_RDM_DEFAULT},
	{"0000:03:00.0", 0, 3, 0, 0, 0, -1, -1, -1, -1, -1, PCISPEC_RDM_DEFAULT},
	{"0001:ff:1f.7@1f,permissive=1,msitranslate=0,power_mgmt=1,seize=1,rdm_policy=strict", 1,
	 0xff, 0x1f, 7, 0, 0x1f, 1, 0, 1, 1, PCISPEC_RDM_STRICT},
	{"03:00.*", 0, 3, 0, 0, 1, -1, -1, -1, -1, -1, PCISPEC_RDM_DEFAULT},
	{"0a:1B.3@0,rdm_policy=relaxed", 0, 0x0a, 0x1b, 3, 0, 0, -1, -1, -1, -1,
	 PCISPEC_RDM_RELAXED},
	{"ffff:00:00.0,permissive=0", 0xffff, 0, 0, 0, 0, -1, 0, -1, -1, -1, PCISPEC_RDM_DEFAULT},
};

static void test_accepted(void)
{
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		const struct pci_case *c = &accepted[i];
		struct pcispec p;
		char err[DEVSPEC_ERR_LEN];
		int rc = pcispec_parse(c->spec, &p, err);

		if (rc)
			fprintf(stderr, "pci '%s': %s\n", c->spec, err);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT_EQUAL(p.domain, c->domain);
		CU_ASSERT_EQUAL(p.bus, c->bus);
		CU_ASSERT_EQUAL(p.dev, c->dev);
		CU_ASSERT_EQUAL(p.func, c->func);
		CU_ASSERT_EQUAL(p.all_functions, c->all);
		CU_ASSERT_EQUAL(p.vslot, c->vslot);
		CU_ASSERT_EQUAL(p.permissive, c->permissive);
		CU_ASSERT_EQUAL(p.msitranslate, c->msitranslate);
		CU_ASSERT_EQUAL(p.power_mgmt, c->power_mgmt);
		CU_ASSERT_EQUAL(p.seize, c->seize);
		CU_ASSERT_EQUAL(p.rdm_policy, c->rdm);
	}
}

#define NOT_BDF "' is not a PCI address ([[DDDD:]BB:]DD.F, hex, F may be *)"

static const struct {
	const char *spec, *msg;
} rejected[] = {
	{"03:00", "'03:00" NOT_BDF},
	{"00.1", "'00.1" NOT_BDF},
	{"", "'" NOT_BDF},
	{"03:20.0", "'03:20.0" NOT_BDF},
	{"03:00.8", "'03:00.8" NOT_BDF},
	{"10000:03:00.0", "'10000:03:00.0" NOT_BDF},
	{"g3:00.0", "'g3:00.0" NOT_BDF},
	{"03:00.0.1", "'03:00.0.1" NOT_BDF},
	{"0:0:0:00.0", "'0:0:0:00.0" NOT_BDF},
	{"03:00.**", "'03:00.**" NOT_BDF},
	{"03::00.0", "'03::00.0" NOT_BDF},
	{"03:00.0@20", "@20: the virtual slot must be hex 0 to 1f"},
	{"03:00.0@", "@: the virtual slot must be hex 0 to 1f"},
	{"03:00.0@x", "@x: the virtual slot must be hex 0 to 1f"},
	{"03:00.0,permissive=2", "permissive=2: use 0 or 1"},
	{"03:00.0,seize=", "seize=: use 0 or 1"},
	{"03:00.0,rdm_policy=loose", "rdm_policy=loose: use strict or relaxed"},
	{"03:00.0,foo=1", "unknown pci option 'foo'"},
	{"03:00.0,permissive", "pci option 'permissive' is not key=value"},
	{"03:00.0,", "pci option '' is not key=value"},
};

static void test_rejected(void)
{
	for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
		struct pcispec p;
		char err[DEVSPEC_ERR_LEN];
		int rc = pcispec_parse(rejected[i].spec, &p, err);

		if (rc != -EINVAL || strcmp(err, rejected[i].msg))
			fprintf(stderr, "pci '%s': rc %d \"%s\"\n", rejected[i].spec, rc, err);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_STRING_EQUAL(err, rejected[i].msg);
	}
}

static CU_TestInfo pcispec_tests[] = {
	{"accepted pci specs", test_accepted},
	{"rejected pci specs", test_rejected},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"pcispec", NULL, NULL, NULL, NULL, pcispec_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

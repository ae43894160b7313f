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

/* libxl's vdevfn: one function is function 0 on the guest, whatever its host function. */
static void test_one_function(void)
{
	struct pcispec p, out[8];
	char err[DEVSPEC_ERR_LEN];

	CU_ASSERT_EQUAL_FATAL(pcispec_parse("03:00.5@7,permissive=1", &p, err), 0);
	CU_ASSERT_EQUAL_FATAL(pcispec_functions(&p, out), 1);
	CU_ASSERT_EQUAL(out[0].func, 5);
	CU_ASSERT_EQUAL(out[0].permissive, 1);
	CU_ASSERT_EQUAL(pcispec_vdevfn(&out[0]), 7 << 3);
	CU_ASSERT_EQUAL_FATAL(pcispec_parse("03:00.5", &p, err), 0);
	CU_ASSERT_EQUAL(pcispec_vdevfn(&p), -1); /* no slot asked: the backend picks */
	CU_ASSERT_EQUAL_FATAL(pcispec_parse("03:00.5@0", &p, err), 0);
	CU_ASSERT_EQUAL(pcispec_vdevfn(&p), -1); /* slot 0 is "any" to libxl */
}

/*
 * BB:DD.*: one device per function the host has, from 7 down to 0 (function
 * 0 last), each at the slot with its own function number; none before the
 * host was asked.
 */
static void test_all_functions(void)
{
	struct pcispec p, out[8];
	char err[DEVSPEC_ERR_LEN];

	CU_ASSERT_EQUAL_FATAL(pcispec_parse("0001:03:02.*@5,seize=1", &p, err), 0);
	CU_ASSERT_EQUAL(pcispec_functions(&p, out), 0);
	p.func_mask = 0x85; /* functions 0, 2 and 7 */
	CU_ASSERT_EQUAL_FATAL(pcispec_functions(&p, out), 3);
	CU_ASSERT_EQUAL(out[0].func, 7);
	CU_ASSERT_EQUAL(out[1].func, 2);
	CU_ASSERT_EQUAL(out[2].func, 0);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(out[i].domain, 1);
		CU_ASSERT_EQUAL(out[i].bus, 3);
		CU_ASSERT_EQUAL(out[i].dev, 2);
		CU_ASSERT_EQUAL(out[i].all_functions, 0);
		CU_ASSERT_EQUAL(out[i].seize, 1);
		CU_ASSERT_EQUAL(pcispec_vdevfn(&out[i]), (int)(5 << 3 | out[i].func));
	}
	p.func_mask = 0xff;
	CU_ASSERT_EQUAL(pcispec_functions(&p, out), 8);
	CU_ASSERT_EQUAL(pcispec_vdevfn(&out[7]), 5 << 3);
	CU_ASSERT_EQUAL(pcispec_vdevfn(&out[0]), 5 << 3 | 7);
}

static CU_TestInfo pcispec_tests[] = {
	{"accepted pci specs", test_accepted},
	{"rejected pci specs", test_rejected},
	{"one function: guest function 0", test_one_function},
	{"BB:DD.*: each function, 7 to 0", test_all_functions},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"pcispec", NULL, NULL, NULL, NULL, pcispec_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

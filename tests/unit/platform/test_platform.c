/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for platform/platform.c: choosing a platform by name, by
 * $PVKIT_PLATFORM, and the errors of the local platform with no pvkitd.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvkit/log.h"
#include "pvkit/platform.h"
#include "../../harness/cunit.h"

static char empty_rundir[] = "/tmp/pvkit-test-platform-XXXXXX";

static void quiet(enum pv_log_level level, const char *line, void *opaque)
{
	(void)level;
	(void)line;
	(void)opaque;
}

static int setup(void)
{
	pv_log_set_sink(quiet, NULL);
	return mkdtemp(empty_rundir) ? 0 : -1;
}

static int teardown(void)
{
	return rmdir(empty_rundir);
}

static void test_unknown_name(void)
{
	struct pv_platform_opts o = {.name = "vmware"};
	struct pv_platform *p = NULL;

	CU_ASSERT_EQUAL(pv_platform_open(&p, &o), -EINVAL);
	CU_ASSERT_PTR_NULL(p);
}

static void test_local_without_pvkitd(void)
{
	struct pv_platform_opts o = {.name = "local", .rundir = empty_rundir};
	struct pv_platform *p = NULL;

	CU_ASSERT_EQUAL(pv_platform_open(&p, &o), -ENOENT);
	o.domid = 5;
	o.domid_set = 1;
	CU_ASSERT_EQUAL(pv_platform_open(&p, &o), -ENOENT);
	o.domid = 0x7ff0;
	CU_ASSERT_EQUAL(pv_platform_open(&p, &o), -EINVAL);
	CU_ASSERT_PTR_NULL(p);
}

static void test_env_picks_platform(void)
{
	struct pv_platform_opts o = {.rundir = empty_rundir};
	struct pv_platform *p = NULL;

	setenv("PVKIT_PLATFORM", "vmware", 1);
	CU_ASSERT_EQUAL(pv_platform_open(&p, &o), -EINVAL);
	setenv("PVKIT_PLATFORM", "local", 1);
	CU_ASSERT_EQUAL(pv_platform_open(&p, &o), -ENOENT);
	unsetenv("PVKIT_PLATFORM");
	CU_ASSERT_PTR_NULL(p);
}

static void test_env_domid(void)
{
	struct pv_platform_opts o = {.name = "local", .rundir = empty_rundir};
	struct pv_platform *p = NULL;

	setenv("PVKIT_DOMID", "70000", 1); /* not a domid */
	CU_ASSERT_EQUAL(pv_platform_open(&p, &o), -EINVAL);
	unsetenv("PVKIT_DOMID");
}

static CU_TestInfo tests[] = {
    {"unknown platform name", test_unknown_name},
    {"local platform with no pvkitd", test_local_without_pvkitd},
    {"PVKIT_PLATFORM picks the platform", test_env_picks_platform},
    {"PVKIT_DOMID is range-checked", test_env_domid},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"platform", setup, teardown, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for platform/log.c: sink, prefix, errno suffix, level filter
 * and rate limiting.
 */
#include <errno.h>
#include <string.h>

#include "pvkit/log.h"
#include "../../harness/cunit.h"

static char last[1024];
static int lines;

static void capture(enum pv_log_level level, const char *line, void *opaque)
{
	(void)level;
	(void)opaque;
	strncpy(last, line, sizeof(last) - 1);
	lines++;
}

static int setup(void)
{
	pv_log_set_sink(capture, NULL);
	pv_log_set_level(PV_LOG_INFO);
	return 0;
}

static void test_prefix_and_errno(void)
{
	pv_log(PV_LOG_ERR, "vbd-3-51712", ENOENT, "cannot open %s", "/x");
	CU_ASSERT_STRING_EQUAL(last, "vbd-3-51712: cannot open /x: No such file or directory");
	pv_err_errno(-EINVAL, "bad %d", 7);
	CU_ASSERT_STRING_EQUAL(last, "bad 7: Invalid argument");
}

static void test_level_filter(void)
{
	int before = lines;

	pv_debug("hidden");
	CU_ASSERT_EQUAL(lines, before);
	pv_log_set_level(PV_LOG_DEBUG);
	pv_debug("shown");
	CU_ASSERT_EQUAL(lines, before + 1);
	pv_log_set_level(PV_LOG_INFO);
}

static void test_ratelimit(void)
{
	struct pv_ratelimit rl = {.interval_ms = 60000, .burst = 3};
	int ok = 0;

	for (int i = 0; i < 100; i++)
		ok += pv_ratelimit_ok(&rl);
	CU_ASSERT_EQUAL(ok, 3);
	CU_ASSERT_EQUAL(rl.suppressed, 97);
}

static void test_long_line_truncated(void)
{
	char big[4000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	pv_info("%s", big);
	CU_ASSERT_EQUAL(strlen(last), 1023);
}

static CU_TestInfo log_tests[] = {
	{"prefix and errno suffix", test_prefix_and_errno},
	{"level filter", test_level_filter},
	{"rate limit", test_ratelimit},
	{"long line truncated", test_long_line_truncated},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"log", setup, NULL, NULL, NULL, log_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for backends/console/logfile.c: append, timestamps, cap and
 * rotation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../../../backends/console/consoled.h"
#include "../../../harness/cunit.h"

static char dir[] = "/tmp/pvkit-conslog-XXXXXX";
static char path[256];

static int setup(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/dom1.log", dir);
	return 0;
}

static int teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? 1 : 0;
}

static size_t slurp(const char *p, char *out, size_t max)
{
	FILE *f = fopen(p, "r");
	size_t n = 0;

	if (f) {
		n = fread(out, 1, max - 1, f);
		fclose(f);
	}
	out[n] = 0;
	return n;
}

static void test_append(void)
{
	struct cons_log l;
	char got[256];

	unlink(path);
	CU_ASSERT_EQUAL_FATAL(log_open(&l, path, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(log_write(&l, "hello ", 6), 0);
	CU_ASSERT_EQUAL(log_write(&l, "world\n", 6), 0);
	log_close(&l);
	CU_ASSERT_EQUAL_FATAL(log_open(&l, path, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(l.size, 12);
	log_write(&l, "again\n", 6);
	log_close(&l);
	slurp(path, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "hello world\nagain\n");
}

static void test_timestamps(void)
{
	struct cons_log l;
	char got[256];
	int y, mo, d, h, mi, s;

	unlink(path);
	CU_ASSERT_EQUAL_FATAL(log_open(&l, path, 0, 0, 1), 0);
	log_write(&l, "one\ntw", 6);
	log_write(&l, "o\n", 2);
	log_close(&l);
	slurp(path, got, sizeof(got));
	CU_ASSERT_EQUAL(sscanf(got, "[%d-%d-%d %d:%d:%d] one\n", &y, &mo, &d, &h, &mi, &s), 6);
	CU_ASSERT(strstr(got, "] one\n[") != NULL);
	CU_ASSERT(strstr(got, "] two\n") != NULL);
	CU_ASSERT_PTR_NULL(strstr(got, "] tw["));
}

static void test_rotation(void)
{
	struct cons_log l;
	char p1[300], p2[300], p3[300], got[256];
	char line[11];
	struct stat st;

	unlink(path);
	snprintf(p1, sizeof(p1), "%s.1", path);
	snprintf(p2, sizeof(p2), "%s.2", path);
	snprintf(p3, sizeof(p3), "%s.3", path);
	CU_ASSERT_EQUAL_FATAL(log_open(&l, path, 100, 2, 0), 0);
	for (int i = 0; i < 100; i++) {
		snprintf(line, sizeof(line), "line %04d\n", i);
		CU_ASSERT_EQUAL(log_write(&l, line, 10), 0);
	}
	log_close(&l);
	CU_ASSERT(stat(path, &st) == 0 && st.st_size <= 100);
	CU_ASSERT(stat(p1, &st) == 0 && st.st_size == 100);
	CU_ASSERT(stat(p2, &st) == 0 && st.st_size == 100);
	CU_ASSERT(stat(p3, &st) != 0);
	/* the current file ends with the newest line */
	slurp(path, got, sizeof(got));
	CU_ASSERT(strstr(got, "line 0099\n") != NULL);
	slurp(p1, got, sizeof(got));
	CU_ASSERT(strncmp(got, "line 0080\n", 10) == 0);
}

static void test_rotation_keep_zero(void)
{
	struct cons_log l;
	char big[250];
	struct stat st;

	unlink(path);
	memset(big, 'z', sizeof(big));
	CU_ASSERT_EQUAL_FATAL(log_open(&l, path, 100, 0, 0), 0);
	CU_ASSERT_EQUAL(log_write(&l, big, sizeof(big)), 0);
	log_close(&l);
	CU_ASSERT(stat(path, &st) == 0 && st.st_size == 50);
}

static void test_open_fails(void)
{
	struct cons_log l;

	CU_ASSERT(log_open(&l, "/nonexistent-dir/x.log", 0, 0, 0) < 0);
	CU_ASSERT_EQUAL(l.fd, -1);
	CU_ASSERT_EQUAL(log_write(&l, "x", 1), 0); /* off: silently ignored */
	log_close(&l);
}

static CU_TestInfo tests[] = {
	{"append and reopen", test_append},
	{"timestamps per line", test_timestamps},
	{"cap with rotation", test_rotation},
	{"cap without rotated files", test_rotation_keep_zero},
	{"open failure leaves the log off", test_open_fails},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"console-logfile", setup, teardown, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

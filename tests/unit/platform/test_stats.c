/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for platform/stats.c: the counters file a backend publishes
 * and what a reader accepts (magic, version, size) from files that are
 * truncated, too long, garbage, or not regular files at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pvkit/stats.h"
#include "../../harness/cunit.h"

static char dir[64];

static int setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pvkit-test-stats.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* <dir>/stats/@name */
static const char *path_of(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/" PV_STATS_DIR "/%s", dir, name);
	return path;
}

/* Write @len bytes of @data to <dir>/stats/@name. */
static void write_file(const char *name, const void *data, size_t len)
{
	int fd;

	mkdir(path_of(""), 0755);
	fd = open(path_of(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* A valid file's bytes, as a writer of this version lays it out. */
static struct pv_stats_counters valid(void)
{
	struct pv_stats_counters c = {.magic = PV_STATS_MAGIC,
				      .version = PV_STATS_VERSION,
				      .size = sizeof(c),
				      .domid = 3,
				      .devid = 51712,
				      .requests = 7};

	strcpy(c.cls, "vbd");
	return c;
}

static void test_open_count_read_close(void)
{
	struct pv_stats_counters c;
	struct pv_stats *s;

	CU_ASSERT_EQUAL_FATAL(pv_stats_open(dir, "vif", 4, 1, &s), 0);
	CU_ASSERT_STRING_EQUAL(s->path, path_of("vif-4-1"));
	PV_STATS_ADD(s, requests, 5);
	PV_STATS_ADD(s, bytes_in, 1500);
	PV_STATS_ADD(s, bytes_out, 60);
	PV_STATS_ADD(s, errors, 1);
	PV_STATS_ADD(s, drops, 2);
	PV_STATS_ADD(s, inflight, 3);
	PV_STATS_SUB(s, inflight, 1);
	PV_STATS_ADD(s, poll_hits, 4);
	PV_STATS_ADD(s, poll_misses, 6);
	PV_STATS_ADD(s, spurious, 5);
	PV_STATS_ADD(s, irqs, 9);
	CU_ASSERT_EQUAL_FATAL(pv_stats_read(s->path, &c), 0);
	CU_ASSERT_EQUAL(c.magic, PV_STATS_MAGIC);
	CU_ASSERT_EQUAL(c.version, PV_STATS_VERSION);
	CU_ASSERT_EQUAL(c.size, sizeof(c));
	CU_ASSERT_EQUAL(c.domid, 4);
	CU_ASSERT_EQUAL(c.devid, 1);
	CU_ASSERT_STRING_EQUAL(c.cls, "vif");
	CU_ASSERT_EQUAL(c.requests, 5);
	CU_ASSERT_EQUAL(c.bytes_in, 1500);
	CU_ASSERT_EQUAL(c.bytes_out, 60);
	CU_ASSERT_EQUAL(c.errors, 1);
	CU_ASSERT_EQUAL(c.drops, 2);
	CU_ASSERT_EQUAL(c.inflight, 2);
	CU_ASSERT_EQUAL(c.poll_hits, 4);
	CU_ASSERT_EQUAL(c.poll_misses, 6);
	CU_ASSERT_EQUAL(c.spurious, 5);
	CU_ASSERT_EQUAL(c.irqs, 9);
	pv_stats_close(s);
	CU_ASSERT_EQUAL(access(path_of("vif-4-1"), F_OK), -1);
	CU_ASSERT_EQUAL(pv_stats_read(path_of("vif-4-1"), &c), -ENOENT);
}

/* A backend that serves the device again starts from zero. */
static void test_reopen_resets(void)
{
	struct pv_stats_counters c;
	struct pv_stats *s, *t;

	CU_ASSERT_EQUAL_FATAL(pv_stats_open(dir, "vbd", 2, 51712, &s), 0);
	PV_STATS_ADD(s, requests, 9);
	CU_ASSERT_EQUAL_FATAL(pv_stats_open(dir, "vbd", 2, 51712, &t), 0);
	CU_ASSERT_EQUAL_FATAL(pv_stats_read(t->path, &c), 0);
	CU_ASSERT_EQUAL(c.requests, 0);
	pv_stats_close(t);
	munmap(s->c, sizeof(*s->c)); /* its file went with t */
	free(s);
}

/* Without a file the backend serves anyway: every helper takes NULL. */
static void test_null_handle(void)
{
	struct pv_stats *s = (struct pv_stats *)1;
	char longdir[300];

	PV_STATS_ADD(NULL, requests, 1);
	PV_STATS_SUB(NULL, inflight, 1);
	pv_stats_close(NULL);
	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = 0;
	CU_ASSERT_EQUAL(pv_stats_open(longdir, "vbd", 1, 1, &s), -ENAMETOOLONG);
	CU_ASSERT_PTR_NULL(s);
	s = (struct pv_stats *)1;
	CU_ASSERT_EQUAL(pv_stats_open("/nonexistent/pvkit", "vbd", 1, 1, &s), -ENOENT);
	CU_ASSERT_PTR_NULL(s);
}

static void test_valid_file(void)
{
	struct pv_stats_counters c = valid(), out;

	write_file("ok", &c, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(pv_stats_read(path_of("ok"), &out), 0);
	CU_ASSERT_EQUAL(out.requests, 7);
	CU_ASSERT_STRING_EQUAL(out.cls, "vbd");
}

static void test_truncated_and_long(void)
{
	struct pv_stats_counters c = valid(), out;
	char big[sizeof(c) + 8] = {0};

	write_file("empty", &c, 0);
	CU_ASSERT_EQUAL(pv_stats_read(path_of("empty"), &out), -EINVAL);
	write_file("short", &c, sizeof(c) - 1);
	CU_ASSERT_EQUAL(pv_stats_read(path_of("short"), &out), -EINVAL);
	write_file("header", &c, offsetof(struct pv_stats_counters, requests));
	CU_ASSERT_EQUAL(pv_stats_read(path_of("header"), &out), -EINVAL);
	memcpy(big, &c, sizeof(c));
	write_file("long", big, sizeof(big));
	CU_ASSERT_EQUAL(pv_stats_read(path_of("long"), &out), -EINVAL);
}

static void test_bad_header(void)
{
	struct pv_stats_counters c, out;
	unsigned char junk[sizeof(c)];

	c = valid();
	c.magic ^= 1;
	write_file("magic", &c, sizeof(c));
	CU_ASSERT_EQUAL(pv_stats_read(path_of("magic"), &out), -EINVAL);
	c = valid();
	c.version = PV_STATS_VERSION + 1;
	write_file("version", &c, sizeof(c));
	CU_ASSERT_EQUAL(pv_stats_read(path_of("version"), &out), -EINVAL);
	c = valid();
	c.size = sizeof(c) + 8; /* a newer, longer layout in a file of the old length */
	write_file("size", &c, sizeof(c));
	CU_ASSERT_EQUAL(pv_stats_read(path_of("size"), &out), -EINVAL);
	srand(7);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)rand();
	write_file("garbage", junk, sizeof(junk));
	CU_ASSERT_EQUAL(pv_stats_read(path_of("garbage"), &out), -EINVAL);
}

/* A class name the writer did not terminate comes out terminated. */
static void test_unterminated_class(void)
{
	struct pv_stats_counters c = valid(), out;

	memset(c.cls, 'x', sizeof(c.cls));
	write_file("cls", &c, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(pv_stats_read(path_of("cls"), &out), 0);
	CU_ASSERT_EQUAL(strlen(out.cls), sizeof(out.cls) - 1);
}

/* Not regular files: refused without blocking or following. */
static void test_not_a_file(void)
{
	struct pv_stats_counters c = valid(), out;
	char target[256];

	write_file("target", &c, sizeof(c));
	snprintf(target, sizeof(target), "%s", path_of("target"));
	CU_ASSERT_EQUAL(mkdir(path_of("dir"), 0755), 0);
	CU_ASSERT_EQUAL(pv_stats_read(path_of("dir"), &out), -EINVAL);
	CU_ASSERT_EQUAL(mkfifo(path_of("fifo"), 0644), 0);
	CU_ASSERT_EQUAL(pv_stats_read(path_of("fifo"), &out), -EINVAL);
	CU_ASSERT_EQUAL(symlink(target, path_of("link")), 0);
	CU_ASSERT_EQUAL(pv_stats_read(path_of("link"), &out), -ELOOP);
}

static CU_TestInfo stats_tests[] = {
	{"open, count, read, close", test_open_count_read_close},
	{"reopen resets the counters", test_reopen_resets},
	{"NULL handle and open failures", test_null_handle},
	{"a valid file", test_valid_file},
	{"truncated, header only, too long", test_truncated_and_long},
	{"bad magic, version, size; garbage", test_bad_header},
	{"unterminated class name", test_unterminated_class},
	{"directory, FIFO, symlink", test_not_a_file},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"stats", setup, teardown, NULL, NULL, stats_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

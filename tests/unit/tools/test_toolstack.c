/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for tools/toolstack.c: run directory paths, pid files (and
 * garbage in them), process checks, socket health, stopping a process that
 * ignores SIGTERM, and where programs are looked for.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../../tools/pvkit_cmd.h"
#include "../../../tools/toolstack.h"
#include "../../harness/cunit.h"

/* Defined by pvkit.c in the command itself. */
const char *pvkit_rundir;

static char dir[64]; /* a short mkdtemp name, so every path under it fits */

static int setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pvkit-test-toolstack.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void file_at(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void test_path(void)
{
	char buf[64];

	pvkit_rundir = "/tmp/r";
	CU_ASSERT_STRING_EQUAL(ts_rundir(), "/tmp/r");
	CU_ASSERT_EQUAL(ts_path(buf, sizeof(buf), "dom/%u/x", 7u), 0);
	CU_ASSERT_STRING_EQUAL(buf, "/tmp/r/dom/7/x");
	CU_ASSERT_EQUAL(ts_path(buf, 10, "pvkitd.sock"), -ENAMETOOLONG);
	pvkit_rundir = NULL;
	setenv("PVKIT_RUNDIR", "/tmp/env", 1);
	CU_ASSERT_STRING_EQUAL(ts_rundir(), "/tmp/env");
	unsetenv("PVKIT_RUNDIR");
	CU_ASSERT_STRING_EQUAL(ts_rundir(), "/run/pvkit");
}

static void test_pid_files(void)
{
	static const struct {
		const char *text;
		pid_t want;
	} cases[] = {
		{"1234\n", 1234}, {"1234", 1234},  {"", -EINVAL},        {"abc\n", -EINVAL},
		{"-5\n", -EINVAL}, {"0\n", -EINVAL}, {"12x\n", -EINVAL},  {"99999999999\n", -EINVAL},
	};
	char path[PATH_MAX];

	file_at(path, sizeof(path), "p.pid");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(ts_write_file(path, cases[i].text), 0);
		if (ts_read_pid(path) != cases[i].want)
			fprintf(stderr, "pid file '%s': got %d\n", cases[i].text, (int)ts_read_pid(path));
		CU_ASSERT_EQUAL(ts_read_pid(path), cases[i].want);
	}
	file_at(path, sizeof(path), "none.pid");
	CU_ASSERT_EQUAL(ts_read_pid(path), -ENOENT);
	file_at(path, sizeof(path), "no/such/dir/p.pid");
	CU_ASSERT_EQUAL(ts_write_file(path, "1\n"), -ENOENT);
}

static void test_pid_alive(void)
{
	char comm[32];
	FILE *f = fopen("/proc/self/comm", "r");
	pid_t child;

	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_PTR_NOT_NULL(fgets(comm, sizeof(comm), f));
	fclose(f);
	comm[strcspn(comm, "\n")] = 0;
	CU_ASSERT_EQUAL(ts_pid_alive(getpid()), 1);
	CU_ASSERT_EQUAL(ts_pid_alive(0), 0);
	CU_ASSERT_EQUAL(ts_pid_alive(-1), 0);
	CU_ASSERT_EQUAL(ts_pid_is(getpid(), comm), 1);
	CU_ASSERT_EQUAL(ts_pid_is(getpid(), "pvkitd"), 0);
	/* A zombie is not alive: it only waits to be reaped. */
	child = fork();
	if (child == 0)
		_exit(0);
	CU_ASSERT_FATAL(child > 0);
	CU_ASSERT_EQUAL(ts_wait_gone(child, 5000), 0);
	CU_ASSERT_EQUAL(ts_pid_alive(child), 0);
	waitpid(child, NULL, 0);
	CU_ASSERT_EQUAL(ts_pid_alive(child), 0);
}

static int listen_at(const char *path, int type)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void test_socket_answers(void)
{
	char stream[PATH_MAX], seq[PATH_MAX], plain[PATH_MAX];
	int a, b;

	file_at(stream, sizeof(stream), "stream.sock");
	file_at(seq, sizeof(seq), "seq.sock");
	file_at(plain, sizeof(plain), "plain");
	a = listen_at(stream, SOCK_STREAM);
	b = listen_at(seq, SOCK_SEQPACKET);
	CU_ASSERT_FATAL(a >= 0 && b >= 0);
	CU_ASSERT_EQUAL(ts_socket_answers(stream), 1);
	CU_ASSERT_EQUAL(ts_socket_answers(seq), 1);
	CU_ASSERT_EQUAL(ts_write_file(plain, "x"), 0);
	CU_ASSERT_EQUAL(ts_socket_answers(plain), 0);
	close(a);
	close(b);
	/* A socket file whose daemon is gone (a crash leaves it behind). */
	CU_ASSERT_EQUAL(ts_socket_answers(stream), 0);
	file_at(plain, sizeof(plain), "none.sock");
	CU_ASSERT_EQUAL(ts_socket_answers(plain), 0);
}

static pid_t spawn(int ignore_term)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (ignore_term)
			signal(SIGTERM, SIG_IGN);
		for (;;)
			pause();
	}
	return pid;
}

static void test_stop_pid(void)
{
	pid_t polite = spawn(0), stubborn = spawn(1);
	int status;

	CU_ASSERT_FATAL(polite > 0 && stubborn > 0);
	usleep(50000); /* let the child install its handler */
	CU_ASSERT_EQUAL(ts_stop_pid(polite, SIGTERM, 5000), 0);
	CU_ASSERT_EQUAL(waitpid(polite, &status, 0), polite);
	CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	/* Ignoring SIGTERM buys it the bound, then SIGKILL. */
	CU_ASSERT_EQUAL(ts_stop_pid(stubborn, SIGTERM, 200), 0);
	CU_ASSERT_EQUAL(waitpid(stubborn, &status, 0), stubborn);
	CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CU_ASSERT_EQUAL(ts_stop_pid(stubborn, SIGTERM, 200), 0); /* gone: nothing to do */
}

static void test_find_program(void)
{
	char prog[PATH_MAX], found[PATH_MAX];

	file_at(prog, sizeof(prog), "pvkit-test-prog");
	CU_ASSERT_EQUAL(ts_write_file(prog, "#!/bin/sh\n"), 0);
	setenv("PVKIT_SBINDIR", dir, 1);
	CU_ASSERT_EQUAL(ts_find_program("pvkit-test-prog", found, sizeof(found)), -ENOENT);
	chmod(prog, 0755); /* only executables count */
	CU_ASSERT_EQUAL(ts_find_program("pvkit-test-prog", found, sizeof(found)), 0);
	CU_ASSERT_STRING_EQUAL(found, prog);
	CU_ASSERT_EQUAL(ts_find_program("pvkit-no-such-prog", found, sizeof(found)), -ENOENT);
	unsetenv("PVKIT_SBINDIR");
	CU_ASSERT_EQUAL(ts_find_program("pvkit-test-prog", found, sizeof(found)), -ENOENT);
}

static CU_TestInfo toolstack_tests[] = {
	{"run directory paths", test_path},
	{"pid files, garbage in them", test_pid_files},
	{"process alive, zombies are not", test_pid_alive},
	{"socket health, stream and seqpacket", test_socket_answers},
	{"stop: SIGTERM, then SIGKILL after the bound", test_stop_pid},
	{"find programs", test_find_program},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"toolstack", setup, teardown, NULL, NULL, toolstack_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

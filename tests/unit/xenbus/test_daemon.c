/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for xenbus/daemon.c: the common options and the daemon's own,
 * bad usage, --help, numbers, and the event loop's order (the daemon's
 * events, then batch_end, then xenstore; a termination signal ends it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pvkit/daemon.h"
#include "../../harness/cunit.h"

static const struct option own_options[] = {
	{"max-queues", required_argument, NULL, 'q'},
	{"direct", no_argument, NULL, 'D'},
	{NULL, 0, NULL, 0},
};

struct own {
	uint64_t queues;
	int direct, calls;
};

static int own_option(const struct pv_daemon *d, void *opaque, int val, const char *arg)
{
	struct own *o = opaque;

	o->calls++;
	if (val == 'D') {
		o->direct = 1;
		return 0;
	}
	return pv_daemon_number(d, arg, 4, &o->queues);
}

static const struct pv_daemon_spec lenient = {
	.name = "test-lenient",
	.flags = PV_DAEMON_RUNDIR | PV_DAEMON_DOMID | PV_DAEMON_PLATFORM | PV_DAEMON_LOG |
		 PV_DAEMON_SHORT_HELP,
	.usage = "Usage: test-lenient\n",
	.options = own_options,
	.option = own_option,
};

static const struct pv_daemon_spec strict = {
	.name = "test-strict",
	.flags = PV_DAEMON_RUNDIR | PV_DAEMON_DOMID_STRICT,
	.usage = "Usage: test-strict\n",
};

static const struct pv_daemon_spec bare = {
	.name = "test-bare",
	.flags = PV_DAEMON_RUNDIR,
	.usage = "Usage: test-bare\n",
};

/* Parse a NULL-terminated argument list; stderr (usage, getopt) to /dev/null. */
static int parse(struct pv_daemon *d, const struct pv_daemon_spec *s, void *opaque, ...)
{
	char *argv[16] = {"prog"};
	int argc = 1, saved = dup(2), null = open("/dev/null", O_WRONLY), rc;
	va_list ap;

	va_start(ap, opaque);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	fflush(stderr);
	dup2(null, 2);
	rc = pv_daemon_parse(d, s, argc, argv, opaque);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(null);
	return rc;
}

static void test_common_options(void)
{
	struct pv_daemon d;
	struct own o = {0};

	unsetenv("PVKIT_DOMID");
	CU_ASSERT_EQUAL(parse(&d, &lenient, &o, "--rundir", "/r", "--domid", "7", "--platform", "xen",
			      "--log", "/l", NULL), 9);
	CU_ASSERT_STRING_EQUAL(d.rundir, "/r");
	CU_ASSERT_STRING_EQUAL(d.platform, "xen");
	CU_ASSERT_STRING_EQUAL(d.log, "/l");
	CU_ASSERT_EQUAL(d.domid, 7);
	CU_ASSERT_TRUE(d.domid_set);
	CU_ASSERT_EQUAL(d.sigfd, -1);
	CU_ASSERT_EQUAL(d.epfd, -1);
	CU_ASSERT_EQUAL(o.calls, 0);
	CU_ASSERT_STRING_EQUAL(pv_daemon_rundir(&d), "/r");
}

static void test_defaults_and_env(void)
{
	struct pv_daemon d;

	setenv("PVKIT_DOMID", "5", 1);
	setenv("PVKIT_RUNDIR", "/env/run", 1);
	CU_ASSERT_EQUAL(parse(&d, &lenient, NULL, NULL), 1);
	CU_ASSERT_EQUAL(d.domid, 5);
	CU_ASSERT_FALSE(d.domid_set);
	CU_ASSERT_PTR_NULL(d.rundir);
	CU_ASSERT_PTR_NULL(d.platform);
	CU_ASSERT_PTR_NULL(d.log);
	CU_ASSERT_STRING_EQUAL(pv_daemon_rundir(&d), "/env/run");
	CU_ASSERT_EQUAL(parse(&d, &lenient, NULL, "--domid", "3", NULL), 3);
	CU_ASSERT_EQUAL(d.domid, 3);
	/* A daemon without --domid ignores $PVKIT_DOMID. */
	CU_ASSERT_EQUAL(parse(&d, &bare, NULL, NULL), 1);
	CU_ASSERT_EQUAL(d.domid, 0);
	unsetenv("PVKIT_DOMID");
	unsetenv("PVKIT_RUNDIR");
	CU_ASSERT_STRING_EQUAL(pv_daemon_rundir(&d), "/run/pvkit");
}

static void test_own_options(void)
{
	struct pv_daemon d;
	struct own o = {0};

	CU_ASSERT_EQUAL(parse(&d, &lenient, &o, "--direct", "--max-queues", "3", NULL), 4);
	CU_ASSERT_EQUAL(o.calls, 2);
	CU_ASSERT_EQUAL(o.direct, 1);
	CU_ASSERT_EQUAL(o.queues, 3);
	/* The daemon's verdict is bad usage. */
	CU_ASSERT_EQUAL(parse(&d, &lenient, &o, "--max-queues", "5", NULL), -EINVAL);
	/* Abbreviations as getopt_long takes them; "--d" is ambiguous (domid, direct). */
	CU_ASSERT_EQUAL(parse(&d, &lenient, &o, "--dom", "9", "--dir", NULL), 4);
	CU_ASSERT_EQUAL(d.domid, 9);
	CU_ASSERT_EQUAL(parse(&d, &lenient, &o, "--d", "9", NULL), -EINVAL);
}

/* What pv_daemon_parse() says on stderr for one or two arguments (@a2 may be NULL). */
static const char *parse_says(const struct pv_daemon_spec *s, void *opaque, char *a1, char *a2)
{
	static char said[256];
	char *argv[] = {"prog", a1, a2, NULL};
	struct pv_daemon d;
	FILE *f = tmpfile();
	int saved = dup(2);
	size_t n;

	said[0] = 0;
	if (!f)
		return said;
	fflush(stderr);
	dup2(fileno(f), 2);
	pv_daemon_parse(&d, s, a2 ? 3 : 2, argv, opaque);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(said, 1, sizeof(said) - 1, f);
	said[n] = 0;
	fclose(f);
	return said;
}

/* A refused value names its option, once (was: a silent exit 2 for a daemon's own check). */
static void test_bad_value_said(void)
{
	struct own o = {0};

	CU_ASSERT_STRING_EQUAL(parse_says(&lenient, &o, "--max-queues", "5"),
			       "test-lenient: --max-queues '5': bad value (see --help)\n");
	CU_ASSERT_STRING_EQUAL(parse_says(&lenient, &o, "--max-queues=x", NULL),
			       "test-lenient: --max-queues 'x': bad value (see --help)\n");
	CU_ASSERT_STRING_EQUAL(parse_says(&strict, NULL, "--domid", "-1"),
			       "test-strict: --domid '-1': bad value (see --help)\n");
}

static void test_bad_usage(void)
{
	struct pv_daemon d;

	CU_ASSERT_EQUAL(parse(&d, &lenient, NULL, "--bogus", NULL), -EINVAL);
	CU_ASSERT_EQUAL(parse(&d, &lenient, NULL, "--rundir", NULL), -EINVAL);
	/* Options the daemon does not take are unknown. */
	CU_ASSERT_EQUAL(parse(&d, &bare, NULL, "--domid", "1", NULL), -EINVAL);
	CU_ASSERT_EQUAL(parse(&d, &bare, NULL, "--log", "/l", NULL), -EINVAL);
	CU_ASSERT_EQUAL(parse(&d, &bare, NULL, "-h", NULL), -EINVAL);
	/* Arguments: the caller decides, from the index returned. */
	CU_ASSERT_EQUAL(parse(&d, &bare, NULL, "--rundir", "/r", "extra", NULL), 3);
}

static void test_domid_strict(void)
{
	struct pv_daemon d;

	CU_ASSERT_EQUAL(parse(&d, &lenient, NULL, "--domid", "abc", NULL), 3);
	CU_ASSERT_EQUAL(d.domid, 0); /* atoi's reading, as the first daemons had it */
	CU_ASSERT_EQUAL(parse(&d, &strict, NULL, "--domid", "abc", NULL), -EINVAL);
	CU_ASSERT_EQUAL(parse(&d, &strict, NULL, "--domid", "-1", NULL), -EINVAL);
	CU_ASSERT_EQUAL(parse(&d, &strict, NULL, "--domid", "32752", NULL), -EINVAL); /* DOMID_SELF */
	CU_ASSERT_EQUAL(parse(&d, &strict, NULL, "--domid", "32751", NULL), 3);
	CU_ASSERT_EQUAL(d.domid, 32751);
	CU_ASSERT_TRUE(d.domid_set);
}

/* --help and -h: the usage on stdout, exit 0 (in a child). */
static int help_in_child(const struct pv_daemon_spec *s, char *arg, char *out, size_t len)
{
	int pfd[2], st;
	ssize_t n;
	pid_t pid;

	if (pipe(pfd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct pv_daemon d;
		char *argv[] = {"prog", arg, NULL};

		dup2(pfd[1], 1);
		pv_daemon_parse(&d, s, 2, argv, NULL);
		_exit(3);
	}
	close(pfd[1]);
	n = read(pfd[0], out, len - 1);
	out[n > 0 ? n : 0] = 0;
	close(pfd[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void test_help(void)
{
	char out[256];

	CU_ASSERT_EQUAL(help_in_child(&lenient, "--help", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "Usage: test-lenient\n");
	CU_ASSERT_EQUAL(help_in_child(&lenient, "-h", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "Usage: test-lenient\n");
	CU_ASSERT_EQUAL(help_in_child(&bare, "--help", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "Usage: test-bare\n");
}

static void test_number(void)
{
	struct pv_daemon d = {.spec = &bare};
	uint64_t v = 77;
	int saved = dup(2), null = open("/dev/null", O_WRONLY);

	dup2(null, 2);
	CU_ASSERT_EQUAL(pv_daemon_number(&d, "12", 12, &v), 0);
	CU_ASSERT_EQUAL(v, 12);
	CU_ASSERT_EQUAL(pv_daemon_number(&d, "13", 12, &v), -EINVAL);
	CU_ASSERT_EQUAL(pv_daemon_number(&d, "-1", UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(pv_daemon_number(&d, "", 12, &v), -EINVAL);
	CU_ASSERT_EQUAL(pv_daemon_number(&d, "4x", 12, &v), -EINVAL);
	CU_ASSERT_EQUAL(pv_daemon_number(&d, "99999999999999999999", UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(pv_daemon_number(&d, "18446744073709551615", UINT64_MAX, &v), 0);
	CU_ASSERT_EQUAL(v, UINT64_MAX);
	dup2(saved, 2);
	close(saved);
	close(null);
}

/* ---- the event loop ---------------------------------------------------------- */

struct loop {
	int dev_fd, xs_fd;
	char order[64];
	int n, xs_calls, stop_with; /* stop_with: 0 signal, else the xenstore callback's return */
};

static void note(struct loop *l, char c)
{
	if (l->n < (int)sizeof(l->order) - 1)
		l->order[l->n++] = c;
}

static void on_event(void *opaque, void *ptr, uint32_t events)
{
	struct loop *l = opaque;
	uint64_t v;

	CU_ASSERT_PTR_EQUAL(ptr, &l->dev_fd);
	CU_ASSERT_TRUE(events & EPOLLIN);
	CU_ASSERT_EQUAL(read(l->dev_fd, &v, sizeof(v)), sizeof(v));
	note(l, 'e');
}

/*
 * Noted only after an event: a batch of the loop's once a second timer
 * alone (a stall of a second on a loaded machine) runs batch_end too, and
 * would add a 'b' this test does not expect.
 */
static void on_batch_end(void *opaque)
{
	struct loop *l = opaque;

	if (l->n > 0 && l->order[l->n - 1] == 'e')
		note(l, 'b');
}

static int on_xenstore(void *opaque)
{
	struct loop *l = opaque;
	uint64_t v;

	if (read(l->xs_fd, &v, sizeof(v)) != sizeof(v))
		return 0; /* the once a second call, on a slow machine: not this test's */
	note(l, 'x');
	if (++l->xs_calls < 2) {
		/* Both ready again: a second batch. */
		v = 1;
		CU_ASSERT_EQUAL(write(l->dev_fd, &v, sizeof(v)), sizeof(v));
		CU_ASSERT_EQUAL(write(l->xs_fd, &v, sizeof(v)), sizeof(v));
		return 0;
	}
	if (l->stop_with)
		return l->stop_with;
	kill(getpid(), SIGTERM); /* blocked: it waits on the signalfd */
	return 0;
}

static const struct pv_daemon_ops loop_ops = {on_event, on_batch_end, on_xenstore};

/* Both fds ready at once, twice, then the stop. */
static void run_loop(int stop_with, int want_rc)
{
	struct pv_daemon d;
	struct loop l = {.stop_with = stop_with};
	uint64_t one = 1;

	CU_ASSERT_EQUAL_FATAL(parse(&d, &bare, NULL, NULL), 1);
	CU_ASSERT_EQUAL_FATAL(pv_daemon_init(&d), 0);
	CU_ASSERT_TRUE(d.sigfd >= 0 && d.epfd >= 0);
	l.dev_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	l.xs_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CU_ASSERT_EQUAL(epoll_ctl(d.epfd, EPOLL_CTL_ADD, l.dev_fd,
				  &(struct epoll_event){.events = EPOLLIN, .data.ptr = &l.dev_fd}), 0);
	CU_ASSERT_EQUAL(write(l.dev_fd, &one, sizeof(one)), sizeof(one));
	CU_ASSERT_EQUAL(write(l.xs_fd, &one, sizeof(one)), sizeof(one));
	CU_ASSERT_EQUAL(pv_daemon_run(&d, l.xs_fd, &loop_ops, &l), want_rc);
	/* Each batch: the daemon's event, then batch_end, then xenstore; nothing after the stop. */
	CU_ASSERT_STRING_EQUAL(l.order, "ebxebx");
	close(l.dev_fd);
	close(l.xs_fd);
	pv_daemon_close(&d);
	CU_ASSERT_EQUAL(d.epfd, -1);
	CU_ASSERT_EQUAL(d.sigfd, -1);
}

static void test_loop_order_and_signal(void)
{
	run_loop(0, 0);
}

static void test_loop_xenstore_gone(void)
{
	run_loop(-ECONNRESET, -ECONNRESET);
}

/* The once a second call: xenstore's fd stays quiet, the step runs anyway. */
static int on_quiet_xenstore(void *opaque)
{
	struct loop *l = opaque;
	uint64_t v;

	CU_ASSERT_EQUAL(read(l->xs_fd, &v, sizeof(v)), -1);
	l->xs_calls++;
	return -ECONNRESET;
}

static void test_loop_xenstore_lost_quietly(void)
{
	static const struct pv_daemon_ops ops = {.event = on_event, .xenstore = on_quiet_xenstore};
	struct pv_daemon d;
	struct loop l = {0};

	CU_ASSERT_EQUAL_FATAL(parse(&d, &bare, NULL, NULL), 1);
	CU_ASSERT_EQUAL_FATAL(pv_daemon_init(&d), 0);
	l.xs_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CU_ASSERT_EQUAL(pv_daemon_run(&d, l.xs_fd, &ops, &l), -ECONNRESET);
	CU_ASSERT_EQUAL(l.xs_calls, 1);
	close(l.xs_fd);
	pv_daemon_close(&d);
}

static CU_TestInfo daemon_tests[] = {
	{"common options", test_common_options},
	{"defaults and environment", test_defaults_and_env},
	{"the daemon's own options", test_own_options},
	{"bad usage", test_bad_usage},
	{"a refused value names its option", test_bad_value_said},
	{"strict and lenient --domid", test_domid_strict},
	{"--help and -h", test_help},
	{"numbers", test_number},
	{"loop: events, batch end, xenstore; SIGTERM ends it", test_loop_order_and_signal},
	{"loop: xenstore gone ends it", test_loop_xenstore_gone},
	{"loop: the xenstore step runs with its fd quiet", test_loop_xenstore_lost_quietly},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"daemon", NULL, NULL, NULL, NULL, daemon_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

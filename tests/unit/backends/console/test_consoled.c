/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for backends/console/consoled.c: one console driven with a
 * console page in plain memory (the seam: no platform, no xenstore).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../../../backends/console/consoled.h"
#include "pvkit/proto/console.h"
#include "../../../harness/cunit.h"

static char dir[] = "/tmp/pvkit-consoled-XXXXXX";
static char link_path[256], log_path[256];
static struct pv_xencons_interface *page;
static struct pv_cons_ring g_out, g_in; /* the guest's view */
static int notified;

static const struct cons_cfg cfg = {
	.staging_cap = 4096, .pty_cap = 4096, .rate = 0, .burst = 0,
	.log_cap = 0, .log_keep = 0,
};

static void count_notify(struct console *c)
{
	(void)c;
	notified++;
}

static int setup(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(link_path, sizeof(link_path), "%s/1.pty", dir);
	snprintf(log_path, sizeof(log_path), "%s/dom1.log", dir);
	return 0;
}

static int teardown(void)
{
	char cmd[300];

	free(page);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? 1 : 0;
}

static struct console *make(const struct cons_cfg *cf)
{
	struct console *c = NULL;

	free(page);
	page = calloc(1, 4096);
	unlink(log_path);
	pv_cons_ring_init_front(&g_out, &g_in, page);
	if (console_create(&c, 1, link_path, log_path, cf) < 0)
		return NULL;
	c->notify = count_notify;
	console_set_page(c, page);
	return c;
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

/* Read what the pty shows now (the user's side). */
static size_t read_pty(int fd, char *out, size_t max)
{
	size_t got = 0;
	ssize_t n;

	while (got < max - 1 && (n = read(fd, out + got, max - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = 0;
	return got;
}

static void test_output_reaches_pty_and_log(void)
{
	struct console *c = make(&cfg);
	char got[256], target[128];
	ssize_t n;
	int user;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	n = readlink(link_path, target, sizeof(target) - 1);
	CU_ASSERT_FATAL(n > 0);
	target[n] = 0;
	CU_ASSERT_STRING_EQUAL(target, c->pty_path);
	user = open(link_path, O_RDWR | O_NOCTTY | O_NONBLOCK);
	CU_ASSERT_FATAL(user >= 0);
	notified = 0;
	pv_cons_ring_write(&g_out, "hello guest\n", 12);
	CU_ASSERT_EQUAL(console_ring_event(c), 0);
	CU_ASSERT_EQUAL(notified, 1);
	CU_ASSERT_EQUAL(console_pump(c, cons_now_ns()), 0);
	read_pty(user, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "hello guest\n");
	close(user);
	console_destroy(c);
	slurp(log_path, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "hello guest\n");
	CU_ASSERT_EQUAL(access(link_path, F_OK), -1);
}

static void test_input_with_backpressure(void)
{
	struct console *c = make(&cfg);
	char buf[2000];
	int user;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	user = open(link_path, O_RDWR | O_NOCTTY | O_NONBLOCK);
	CU_ASSERT_FATAL(user >= 0);
	memset(buf, 'k', sizeof(buf));
	CU_ASSERT_EQUAL(write(user, buf, 1500), 1500);
	CU_ASSERT_EQUAL(console_pty_input(c), 0);
	CU_ASSERT_EQUAL(pv_cons_ring_avail(&g_in), 1024);
	CU_ASSERT_EQUAL(console_pty_input(c), 0);
	CU_ASSERT_EQUAL(c->input_full, 1);
	/* guest consumes, notifies: the rest flows, nothing lost */
	CU_ASSERT_EQUAL(pv_cons_ring_read(&g_in, buf, sizeof(buf)), 1024);
	CU_ASSERT_EQUAL(console_ring_event(c), 0);
	CU_ASSERT_EQUAL(pv_cons_ring_read(&g_in, buf, sizeof(buf)), 476);
	CU_ASSERT_EQUAL(c->input_full, 0);
	close(user);
	console_destroy(c);
}

static void test_hostile_index_closes(void)
{
	struct console *c = make(&cfg);
	char got[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	page->out_prod = 4096; /* two rings ahead */
	CU_ASSERT_EQUAL(console_ring_event(c), -EPROTO);
	CU_ASSERT_EQUAL(c->broken, 1);
	CU_ASSERT_EQUAL(page->out_cons, 0);
	CU_ASSERT_EQUAL(console_ring_event(c), 0); /* ignored from now on */
	page->in_cons = 77;
	CU_ASSERT_EQUAL(console_pty_input(c), 0);
	console_destroy(c);
	slurp(log_path, got, sizeof(got));
	CU_ASSERT(strstr(got, "protocol error") != NULL);
}

/* 1 MiB with nobody reading: bounded, the pty shows a marker and the tail. */
static void test_nobody_reads(void)
{
	struct console *c = make(&cfg);
	char chunk[2048], *got = malloc(1 << 20);
	size_t n;
	int user;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (int i = 0; i < 512; i++) {
		memset(chunk, 'a' + i % 26, sizeof(chunk));
		if (i == 511)
			memcpy(chunk + sizeof(chunk) - 4, "END\n", 4);
		CU_ASSERT_EQUAL(pv_cons_ring_write(&g_out, chunk, sizeof(chunk)), 2048);
		CU_ASSERT_EQUAL(console_ring_event(c), 0);
		console_pump(c, cons_now_ns());
		CU_ASSERT(c->staging.len <= 4096 && c->pty_q.len <= 4096);
	}
	user = open(link_path, O_RDWR | O_NOCTTY | O_NONBLOCK);
	CU_ASSERT_FATAL(user >= 0);
	console_pump(c, cons_now_ns());
	n = read_pty(user, got, 1 << 20);
	CU_ASSERT(n < 200000);
	CU_ASSERT(strstr(got, "bytes dropped]") != NULL);
	CU_ASSERT(n > 4 && strcmp(got + n - 4, "END\n") == 0);
	close(user);
	console_destroy(c);
	/* the log got everything (no rate limit) */
	FILE *f = fopen(log_path, "r");
	CU_ASSERT_FATAL(f != NULL);
	fseek(f, 0, SEEK_END);
	CU_ASSERT_EQUAL(ftell(f), 512 * 2048);
	fclose(f);
	free(got);
}

/* A flood above the rate: the guest is drained anyway, the log holds a marker and the tail. */
static void test_rate_limit(void)
{
	struct cons_cfg rl = cfg;
	struct console *c;
	char chunk[2048], *got = malloc(1 << 20);
	uint64_t t = 1000000000ull;
	size_t n;

	rl.rate = 1000;
	rl.burst = 1000;
	c = make(&rl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	c->bucket.last_ns = t;
	for (int i = 0; i < 100; i++) {
		memset(chunk, 'A' + i % 26, sizeof(chunk));
		pv_cons_ring_write(&g_out, chunk, sizeof(chunk));
		console_ring_event(c);
		CU_ASSERT_EQUAL(pv_cons_ring_avail(&g_out), 2048); /* drained: guest never waits */
		CU_ASSERT(console_pump(c, t) & CONS_WANT_TIMER);
	}
	console_destroy(c); /* flushes staging into the log */
	n = slurp(log_path, got, 1 << 20);
	CU_ASSERT(n < 8000);
	CU_ASSERT(strstr(got, "bytes dropped]") != NULL);
	CU_ASSERT_EQUAL(got[n - 1], 'A' + 99 % 26);
	free(got);
}

/* A new daemon instance picks up where the old one stopped. */
static void test_restart_loses_nothing(void)
{
	struct console *c = make(&cfg);
	char got[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	pv_cons_ring_write(&g_out, "before ", 7);
	console_ring_event(c);
	console_pump(c, cons_now_ns());
	pv_cons_ring_write(&g_out, "during ", 7); /* written while the daemon is down */
	console_destroy(c);
	c = NULL;
	CU_ASSERT_EQUAL(console_create(&c, 1, link_path, log_path, &cfg), 0);
	console_set_page(c, page);
	pv_cons_ring_write(&g_out, "after\n", 6);
	console_ring_event(c);
	console_destroy(c);
	slurp(log_path, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "before during after\n");
}

static CU_TestInfo tests[] = {
	{"output reaches pty and log", test_output_reaches_pty_and_log},
	{"input with back-pressure", test_input_with_backpressure},
	{"hostile index closes the console", test_hostile_index_closes},
	{"nobody reads: bounded, marker, tail", test_nobody_reads},
	{"rate limit drains and drops with a marker", test_rate_limit},
	{"restart loses nothing", test_restart_loses_nothing},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"consoled", setup, teardown, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

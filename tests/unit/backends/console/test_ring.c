/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for backends/console/ring.c: both directions, wrap-around,
 * index overflow, restart, and hostile indices from either peer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pvkit/console.h"
#include "pvkit/proto/console.h"
#include "../../../harness/cunit.h"

static struct pv_xencons_interface *page;
static struct pv_cons_ring b_out, b_in, f_out, f_in;

static void fresh(void)
{
	free(page);
	page = calloc(1, 4096);
	pv_cons_ring_init_back(&b_out, &b_in, page);
	pv_cons_ring_init_front(&f_out, &f_in, page);
}

static void test_round_trip(void)
{
	char buf[64];

	fresh();
	CU_ASSERT_EQUAL(pv_cons_ring_avail(&b_out), 0);
	CU_ASSERT_EQUAL(pv_cons_ring_avail(&f_out), 2048);
	CU_ASSERT_EQUAL(pv_cons_ring_write(&f_out, "hello", 5), 5);
	CU_ASSERT_EQUAL(page->out_prod, 5);
	CU_ASSERT_EQUAL(pv_cons_ring_read(&b_out, buf, sizeof(buf)), 5);
	CU_ASSERT_EQUAL(memcmp(buf, "hello", 5), 0);
	CU_ASSERT_EQUAL(page->out_cons, 5);
	CU_ASSERT_EQUAL(pv_cons_ring_read(&b_out, buf, sizeof(buf)), 0);
	/* host -> guest */
	CU_ASSERT_EQUAL(pv_cons_ring_write(&b_in, "ls\r", 3), 3);
	CU_ASSERT_EQUAL(pv_cons_ring_read(&f_in, buf, 2), 2);
	CU_ASSERT_EQUAL(pv_cons_ring_read(&f_in, buf + 2, 8), 1);
	CU_ASSERT_EQUAL(memcmp(buf, "ls\r", 3), 0);
}

static void test_full_and_wrap(void)
{
	char big[3000], got[3000];

	fresh();
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	CU_ASSERT_EQUAL(pv_cons_ring_write(&f_out, big, sizeof(big)), 2048);
	CU_ASSERT_EQUAL(pv_cons_ring_write(&f_out, big, 1), 0);
	CU_ASSERT_EQUAL(pv_cons_ring_read(&b_out, got, 1000), 1000);
	CU_ASSERT_EQUAL(pv_cons_ring_write(&f_out, big + 2048, 952), 952);
	CU_ASSERT_EQUAL(pv_cons_ring_read(&b_out, got + 1000, 3000), 2000);
	CU_ASSERT_EQUAL(memcmp(big, got, 3000), 0);
}

static void test_index_overflow(void)
{
	char buf[100];

	fresh();
	page->out_cons = page->out_prod = 0xffffffc0u;
	page->in_cons = page->in_prod = 0xfffffff0u;
	pv_cons_ring_init_back(&b_out, &b_in, page);
	pv_cons_ring_init_front(&f_out, &f_in, page);
	memset(buf, 'x', sizeof(buf));
	CU_ASSERT_EQUAL(pv_cons_ring_write(&f_out, buf, 100), 100);
	CU_ASSERT_EQUAL(page->out_prod, 0x24u);
	CU_ASSERT_EQUAL(pv_cons_ring_avail(&b_out), 100);
	CU_ASSERT_EQUAL(pv_cons_ring_read(&b_out, buf, 100), 100);
	CU_ASSERT_EQUAL(pv_cons_ring_write(&b_in, buf, 40), 40);
	CU_ASSERT_EQUAL(pv_cons_ring_avail(&f_in), 40);
}

/* A guest's out_prod more than 2048 ahead: nothing consumed, -EPROTO. */
static void test_hostile_producer(void)
{
	char buf[16];

	fresh();
	page->out_prod = 2049;
	CU_ASSERT_EQUAL(pv_cons_ring_read(&b_out, buf, sizeof(buf)), -EPROTO);
	CU_ASSERT_EQUAL(pv_cons_ring_avail(&b_out), -EPROTO);
	CU_ASSERT_EQUAL(page->out_cons, 0);
	page->out_prod = 0xffffffffu; /* "behind" the consumer */
	CU_ASSERT_EQUAL(pv_cons_ring_read(&b_out, buf, sizeof(buf)), -EPROTO);
	page->out_prod = 2048; /* exactly full is fine */
	CU_ASSERT_EQUAL(pv_cons_ring_read(&b_out, buf, sizeof(buf)), 16);
}

/* A guest's in_cons past our producer: the host refuses to write. */
static void test_hostile_consumer(void)
{
	fresh();
	page->in_cons = 5;
	CU_ASSERT_EQUAL(pv_cons_ring_write(&b_in, "abc", 3), -EPROTO);
	CU_ASSERT_EQUAL(page->in_prod, 0);
	page->in_cons = 0x80000000u;
	CU_ASSERT_EQUAL(pv_cons_ring_avail(&b_in), -EPROTO);
	/* A host that scribbles on the guest's out ring: the guest refuses too. */
	page->out_cons = 7;
	CU_ASSERT_EQUAL(pv_cons_ring_write(&f_out, "a", 1), -EPROTO);
}

/* The peer rewriting our own index does not make us re-read or skip. */
static void test_own_index_private(void)
{
	char buf[8];

	fresh();
	pv_cons_ring_write(&f_out, "abcdef", 6);
	CU_ASSERT_EQUAL(pv_cons_ring_read(&b_out, buf, 3), 3);
	page->out_cons = 0; /* hostile rewrite */
	CU_ASSERT_EQUAL(pv_cons_ring_read(&b_out, buf, 8), 3);
	CU_ASSERT_EQUAL(memcmp(buf, "def", 3), 0);
	CU_ASSERT_EQUAL(page->out_cons, 6);
}

/* A restarted backend resumes from the published consumer index. */
static void test_restart_resumes(void)
{
	char buf[8];

	fresh();
	pv_cons_ring_write(&f_out, "123456", 6);
	CU_ASSERT_EQUAL(pv_cons_ring_read(&b_out, buf, 2), 2);
	pv_cons_ring_init_back(&b_out, &b_in, page); /* "restart" */
	CU_ASSERT_EQUAL(pv_cons_ring_read(&b_out, buf, 8), 4);
	CU_ASSERT_EQUAL(memcmp(buf, "3456", 4), 0);
}

static void test_wrong_direction(void)
{
	char buf[4] = "abc";

	fresh();
	CU_ASSERT_EQUAL(pv_cons_ring_read(&b_in, buf, 4), -EINVAL);
	CU_ASSERT_EQUAL(pv_cons_ring_write(&b_out, buf, 4), -EINVAL);
}

/* Two processes sharing the page through a memfd: 1 MiB in order. */
static void test_two_processes(void)
{
	int fd = memfd_create("cons-test", 0);
	struct pv_xencons_interface *shared;
	struct pv_cons_ring out, in;
	size_t total = 1u << 20, got = 0;
	int bad = 0, status = 0;
	pid_t pid;

	CU_ASSERT_FATAL(fd >= 0 && ftruncate(fd, 4096) == 0);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CU_ASSERT_FATAL(shared != MAP_FAILED);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		uint8_t chunk[777];

		pv_cons_ring_init_front(&out, &in, shared);
		for (size_t sent = 0; sent < total;) {
			size_t n = total - sent < sizeof(chunk) ? total - sent : sizeof(chunk);
			ssize_t w;

			for (size_t i = 0; i < n; i++)
				chunk[i] = (uint8_t)((sent + i) % 251);
			for (size_t off = 0; off < n; off += (size_t)w) {
				w = pv_cons_ring_write(&out, chunk + off, n - off);
				if (w < 0)
					_exit(1);
			}
			sent += n;
		}
		_exit(0);
	}
	pv_cons_ring_init_back(&out, &in, shared);
	while (got < total) {
		uint8_t buf[1500];
		ssize_t r = pv_cons_ring_read(&out, buf, sizeof(buf));

		if (r < 0) {
			bad++;
			break;
		}
		for (ssize_t i = 0; i < r; i++)
			bad += buf[i] != (uint8_t)((got + (size_t)i) % 251);
		got += (size_t)r;
	}
	waitpid(pid, &status, 0);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(got, total);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	munmap(shared, 4096);
	close(fd);
}

static int cleanup(void)
{
	free(page);
	page = NULL;
	return 0;
}

static CU_TestInfo tests[] = {
	{"round trip both directions", test_round_trip},
	{"full ring and wrap-around", test_full_and_wrap},
	{"32-bit index overflow", test_index_overflow},
	{"hostile producer index", test_hostile_producer},
	{"hostile consumer index", test_hostile_consumer},
	{"own index kept private", test_own_index_private},
	{"restart resumes", test_restart_resumes},
	{"wrong direction", test_wrong_direction},
	{"two processes over a memfd", test_two_processes},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"console-ring", NULL, cleanup, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

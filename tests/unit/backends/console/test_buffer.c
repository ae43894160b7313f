/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for backends/console/buffer.c: the drop-oldest FIFO with its
 * marker line, and the token bucket.
 */
#include <stdio.h>
#include <string.h>

#include "../../../../backends/console/consoled.h"
#include "../../../harness/cunit.h"

/* Drain everything a reader would get into @out (NUL-terminated). */
static size_t drain(struct cons_fifo *f, char *out, size_t max)
{
	size_t got = 0, n;
	const uint8_t *p;

	while ((n = fifo_peek(f, &p)) > 0 && got + n < max) {
		memcpy(out + got, p, n);
		fifo_consume(f, n);
		got += n;
	}
	out[got] = 0;
	return got;
}

static void test_fifo_in_order(void)
{
	struct cons_fifo f;
	char out[64];

	CU_ASSERT_EQUAL_FATAL(fifo_init(&f, 8), 0);
	fifo_push(&f, "abc", 3);
	fifo_push(&f, "defgh", 5);
	CU_ASSERT_EQUAL(fifo_readable(&f), 8);
	CU_ASSERT_EQUAL(drain(&f, out, sizeof(out)), 8);
	CU_ASSERT_STRING_EQUAL(out, "abcdefgh");
	/* wrap-around */
	fifo_push(&f, "12345", 5);
	CU_ASSERT_EQUAL(drain(&f, out, sizeof(out)), 5);
	CU_ASSERT_STRING_EQUAL(out, "12345");
	CU_ASSERT_EQUAL(f.dropped_total, 0);
	fifo_free(&f);
}

static void test_fifo_drops_oldest_with_marker(void)
{
	struct cons_fifo f;
	char out[128], want[128];

	CU_ASSERT_EQUAL_FATAL(fifo_init(&f, 8), 0);
	fifo_push(&f, "0123456789", 10); /* 2 dropped */
	fifo_push(&f, "AB", 2);          /* 2 more */
	snprintf(want, sizeof(want), CONS_MARKER_FMT "456789AB", 4ull);
	drain(&f, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT_EQUAL(f.dropped_total, 4);
	/* after the marker, no second one */
	fifo_push(&f, "x", 1);
	drain(&f, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "x");
	fifo_free(&f);
}

/* Flood far beyond cap: memory stays cap, the tail survives. */
static void test_fifo_flood(void)
{
	struct cons_fifo f;
	char chunk[1000], out[256];
	size_t n;

	CU_ASSERT_EQUAL_FATAL(fifo_init(&f, 100), 0);
	for (int i = 0; i < 10000; i++) {
		memset(chunk, 'a' + i % 26, sizeof(chunk));
		fifo_push(&f, chunk, sizeof(chunk) - (size_t)(i % 7));
	}
	CU_ASSERT_EQUAL(f.len, 100);
	n = drain(&f, out, sizeof(out));
	CU_ASSERT(strstr(out, "bytes dropped]") != NULL);
	CU_ASSERT_EQUAL(out[n - 1], 'a' + 9999 % 26);
	fifo_free(&f);
}

/* Drops while a marker is half read produce a second marker afterwards. */
static void test_fifo_drop_during_marker(void)
{
	struct cons_fifo f;
	const uint8_t *p;
	char out[256];

	CU_ASSERT_EQUAL_FATAL(fifo_init(&f, 4), 0);
	fifo_push(&f, "abcdef", 6);
	CU_ASSERT(fifo_peek(&f, &p) > 3);
	fifo_consume(&f, 3);
	fifo_push(&f, "ghij", 4);
	drain(&f, out, sizeof(out));
	CU_ASSERT(strstr(out, "2 bytes dropped") != NULL);
	CU_ASSERT(strstr(out, "4 bytes dropped") != NULL);
	CU_ASSERT(strstr(out, "ghij") != NULL);
	fifo_free(&f);
}

static void test_bucket(void)
{
	struct cons_bucket b;
	uint64_t t = 1000000000ull;

	bucket_init(&b, 1000, 500, t); /* 1000 B/s, burst 500 */
	CU_ASSERT_EQUAL(bucket_take(&b, 800, t), 500);
	CU_ASSERT_EQUAL(bucket_take(&b, 10, t), 0);
	CU_ASSERT(bucket_wait_ns(&b, t) > 0);
	t += 100000000ull; /* 0.1 s: 100 tokens */
	CU_ASSERT_EQUAL(bucket_take(&b, 1000, t), 100);
	t += 10000000000ull; /* 10 s: capped at burst */
	CU_ASSERT_EQUAL(bucket_take(&b, 100000, t), 500);
	bucket_init(&b, 0, 0, t); /* unlimited */
	CU_ASSERT_EQUAL(bucket_take(&b, 1u << 30, t), 1u << 30);
	CU_ASSERT_EQUAL(bucket_wait_ns(&b, t), 0);
}

/* Many small refills add up (fractions are not lost). */
static void test_bucket_fractions(void)
{
	struct cons_bucket b;
	uint64_t t = 0;
	size_t total = 0;

	bucket_init(&b, 1000, 1000, t);
	bucket_take(&b, 1000, t);
	for (int i = 0; i < 1000; i++) {
		t += 100000; /* 0.1 ms: 0.1 token each */
		total += bucket_take(&b, 1000, t);
	}
	CU_ASSERT(total >= 99 && total <= 100);
}

static CU_TestInfo tests[] = {
	{"fifo keeps order", test_fifo_in_order},
	{"fifo drops oldest with a marker", test_fifo_drops_oldest_with_marker},
	{"fifo flood stays bounded", test_fifo_flood},
	{"fifo drop while marker is read", test_fifo_drop_during_marker},
	{"token bucket", test_bucket},
	{"token bucket fractions", test_bucket_fractions},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"console-buffer", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

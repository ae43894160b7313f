/* SPDX-License-Identifier: MIT */
/*
 * A first-fit bitmap allocator of contiguous runs, for domain pages and
 * grant references. Linear scans: the maps hold tens of thousands of bits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"

static int test_bit(const struct pvl_bitmap *b, uint32_t i)
{
	return (b->bits[i / 64] >> (i % 64)) & 1;
}

static void put_bit(struct pvl_bitmap *b, uint32_t i, int taken)
{
	if (taken)
		b->bits[i / 64] |= 1ull << (i % 64);
	else
		b->bits[i / 64] &= ~(1ull << (i % 64));
}

int pvl_bitmap_init(struct pvl_bitmap *b, uint32_t nbits, int all_taken)
{
	size_t words = (nbits + 63u) / 64u;

	b->nbits = nbits;
	b->bits = calloc(words ? words : 1, sizeof(uint64_t));
	if (!b->bits)
		return -ENOMEM;
	if (all_taken)
		memset(b->bits, 0xff, words * sizeof(uint64_t));
	return 0;
}

void pvl_bitmap_fini(struct pvl_bitmap *b)
{
	free(b->bits);
	b->bits = NULL;
	b->nbits = 0;
}

static int in_range(const struct pvl_bitmap *b, uint32_t first, uint32_t n)
{
	return first <= b->nbits && n <= b->nbits - first;
}

int64_t pvl_bitmap_alloc(struct pvl_bitmap *b, uint32_t n)
{
	uint32_t run = 0;

	if (!n)
		return -EINVAL;
	for (uint32_t i = 0; i < b->nbits; i++) {
		if (!run && (i % 64) == 0 && b->bits[i / 64] == ~0ull && i + 64 <= b->nbits) {
			i += 63; /* skip a full word */
			continue;
		}
		run = test_bit(b, i) ? 0 : run + 1;
		if (run == n) {
			pvl_bitmap_mark(b, i + 1 - n, n, 1);
			return (int64_t)(i + 1 - n);
		}
	}
	return -ENOSPC;
}

int pvl_bitmap_mark(struct pvl_bitmap *b, uint32_t first, uint32_t n, int taken)
{
	if (!in_range(b, first, n))
		return -EINVAL;
	for (uint32_t i = first; i < first + n; i++)
		put_bit(b, i, taken);
	return 0;
}

int pvl_bitmap_all_taken(const struct pvl_bitmap *b, uint32_t first, uint32_t n)
{
	if (!in_range(b, first, n))
		return -EINVAL;
	for (uint32_t i = first; i < first + n; i++)
		if (!test_bit(b, i))
			return 0;
	return 1;
}

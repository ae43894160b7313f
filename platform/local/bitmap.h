/* SPDX-License-Identifier: MIT */
/*
 * A bitmap allocator of contiguous runs (private to platform/local): pages
 * of a domain's memory and grant references, in pvkitd and in the client.
 */
#ifndef PVKIT_LOCAL_BITMAP_H
#define PVKIT_LOCAL_BITMAP_H

#include <stdint.h>

/* A set bit is a taken item. Not thread-safe: the owner locks. */
struct pvl_bitmap {
	uint64_t *bits;
	uint32_t nbits;
};

/* Allocate room for @nbits items, all free (@all_taken = 0) or all taken. 0 or -ENOMEM. */
int pvl_bitmap_init(struct pvl_bitmap *b, uint32_t nbits, int all_taken);
void pvl_bitmap_fini(struct pvl_bitmap *b);
/* Take the first run of @n free items; returns its start or -ENOSPC (-EINVAL for n == 0). */
int64_t pvl_bitmap_alloc(struct pvl_bitmap *b, uint32_t n);
/* Mark [@first, @first + @n) taken (@taken) or free; -EINVAL when out of range. */
int pvl_bitmap_mark(struct pvl_bitmap *b, uint32_t first, uint32_t n, int taken);
/* 1 when every item of [@first, @first + @n) is taken, 0 when not, -EINVAL out of range. */
int pvl_bitmap_all_taken(const struct pvl_bitmap *b, uint32_t first, uint32_t n);

#endif

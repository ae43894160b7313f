/* SPDX-License-Identifier: MIT */
/*
 * ABI test helpers: compare a pvkit wire struct, field or constant with
 * Xen's public header and report every mismatch by name.
 */
#ifndef PVKIT_TESTS_ABI_CHECK_H
#define PVKIT_TESTS_ABI_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include <CUnit/CUnit.h>

/* Checks made and mismatches found, over the whole program. */
extern unsigned int abi_checks, abi_mismatches;

/* One CUnit assertion "ours == xens"; a mismatch prints @what and both values. */
void abi_check_eq(const char *what, long long ours, long long xens, const char *file, int line);
/* The same for strings. */
void abi_check_str(const char *what, const char *ours, const char *xens, const char *file,
                   int line);
/* Ring slots for 1, 2, 4, 8 and 16 pages: @ours and @xens map pages to slots. */
void abi_check_ring(const char *ring, const unsigned int *ours, const unsigned int *xens,
                    const char *file, int line);

#define ABI_EQ(what, ours, xens)                                                                   \
	abi_check_eq((what), (long long)(ours), (long long)(xens), __FILE__, __LINE__)
#define ABI_STR(ours, xens)   abi_check_str(#ours " vs " #xens, (ours), (xens), __FILE__, __LINE__)
#define ABI_CONST(ours, xens) ABI_EQ(#ours " vs " #xens, (ours), (xens))

#define ABI_SIZE(ot, xt) ABI_EQ("sizeof(" #ot ") vs sizeof(" #xt ")", sizeof(ot), sizeof(xt))

/* Offset and size of field @of of @ot against field @xf of @xt. */
#define ABI_FIELD2(ot, of, xt, xf)                                                                 \
	do {                                                                                       \
		ABI_EQ("offsetof(" #ot ", " #of ") vs offsetof(" #xt ", " #xf ")",                 \
		       offsetof(ot, of), offsetof(xt, xf));                                        \
		ABI_EQ("sizeof(" #ot "." #of ") vs sizeof(" #xt "." #xf ")",                       \
		       sizeof(((ot *)0)->of), sizeof(((xt *)0)->xf));                              \
	} while (0)
#define ABI_FIELD(ot, xt, f) ABI_FIELD2(ot, f, xt, f)
/* X-macro adapter: FIELDS(ABI_F, ours, xens) lists F(ot, xt, field). */
#define ABI_F(ot, xt, f) ABI_FIELD(ot, xt, f);

/* A field's offset against a number from a documented layout. */
#define ABI_OFFSET_IS(ot, f, n) ABI_EQ("offsetof(" #ot ", " #f ") vs layout", offsetof(ot, f), (n))

/* Slots of ring @ours_macro(pages) vs Xen's __CONST_RING_SIZE(@xname, bytes). */
#define ABI_RING(ours_macro, xname)                                                                \
	do {                                                                                       \
		const unsigned int o_[5] = {ours_macro(1), ours_macro(2), ours_macro(4),           \
		                            ours_macro(8), ours_macro(16)};                        \
		const unsigned int x_[5] = {                                                       \
		    __CONST_RING_SIZE(xname, 1 * 4096), __CONST_RING_SIZE(xname, 2 * 4096),        \
		    __CONST_RING_SIZE(xname, 4 * 4096), __CONST_RING_SIZE(xname, 8 * 4096),        \
		    __CONST_RING_SIZE(xname, 16 * 4096)};                                          \
		abi_check_ring(#ours_macro " vs __CONST_RING_SIZE(" #xname ")", o_, x_, __FILE__,  \
		               __LINE__);                                                          \
	} while (0)

/* The suites, one per protocol file. */
extern CU_TestInfo abi_blkif_tests[];
extern CU_TestInfo abi_netif_tests[];
extern CU_TestInfo abi_ring_tests[];
extern CU_TestInfo abi_devices_tests[];

#endif

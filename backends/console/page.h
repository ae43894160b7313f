/* SPDX-License-Identifier: MIT */
/*
 * Private copy of the console page layout (Xen's struct xencons_interface)
 * until include/pvkit/proto/console.h provides it; see include/pvkit/console.h.
 */
#ifndef PVKIT_CONSOLE_PAGE_H
#define PVKIT_CONSOLE_PAGE_H

#include <stddef.h>
#include <stdint.h>

struct cons_page {
	uint8_t in[1024];   /* host -> guest */
	uint8_t out[2048];  /* guest -> host */
	uint32_t in_cons, in_prod;
	uint32_t out_cons, out_prod;
};

_Static_assert(offsetof(struct cons_page, out) == 1024, "out[] at 1024");
_Static_assert(offsetof(struct cons_page, in_cons) == 3072, "in_cons at 3072");
_Static_assert(offsetof(struct cons_page, out_prod) == 3084, "out_prod at 3084");
_Static_assert(sizeof(struct cons_page) == 3088, "console page header is 3088 bytes");

#endif

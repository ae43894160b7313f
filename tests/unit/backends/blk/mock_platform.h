/* SPDX-License-Identifier: MIT */
/*
 * A stand-in platform for blkback's datapath tests: guest memory is one
 * memfd (grant ref N = page N), event channels are eventfds.
 */
#ifndef PVKIT_TESTS_BLK_MOCK_PLATFORM_H
#define PVKIT_TESTS_BLK_MOCK_PLATFORM_H

#include <stdatomic.h>
#include <stdbool.h>

#include "pvkit/platform.h"

#define MOCK_MAX_PORTS 8

struct mock_guest {
	int memfd;
	unsigned int pages;
	unsigned char *mem;      /* the frontend's view of every page */
	unsigned char *readonly; /* per page: granted read-only */
	int fe_efd;              /* the backend's notifications to the frontend */
	int be_efd[MOCK_MAX_PORTS];
	atomic_int mapped;       /* pages the backend maps right now */
	atomic_int map_failures;
	atomic_int notifies;
};

extern struct mock_guest mock;

int mock_guest_init(unsigned int pages);
void mock_guest_fini(void);
/* The frontend's address of page (grant) @ref. */
void *mock_page(unsigned int ref);
/* The frontend notifies the backend bound to @port. */
void mock_notify_backend(unsigned int port);

#endif

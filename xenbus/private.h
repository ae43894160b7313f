/* SPDX-License-Identifier: MIT */
/*
 * Private to xenbus/: the connection and watch table behind struct pv_xs.
 */
#ifndef PVKIT_XENBUS_PRIVATE_H
#define PVKIT_XENBUS_PRIVATE_H

#include "pvkit/xenbus.h"

struct pv_xs_watch {
	int id;            /* > 0; the token is "pvw<id>" */
	pv_xs_watch_fn fn; /* NULL: free slot */
	void *opaque;
	char path[3072 + 1];
};

struct pv_xs {
	struct xs_handle *h;
	int fd;
	pv_domid_t domid;
	struct pv_xs_watch *watches;
	unsigned int nr_watches;
	int last_watch_id;
};

/* "@dir/@node" (or @dir when @node is NULL or ""), malloc()ed; NULL on ENOMEM. */
char *pv_xs_join(const char *dir, const char *node);

#endif

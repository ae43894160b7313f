/* SPDX-License-Identifier: MIT */
/*
 * pvkit create's second half, once the config is read and checked: the
 * domain, its xenstore nodes, the guest runtime, and the wait for devices.
 */
#ifndef PVKIT_TOOLS_CREATE_H
#define PVKIT_TOOLS_CREATE_H

#include "domcfg.h"
#include "pvkit/local.h"

#define CREATE_DEFAULT_TIMEOUT 30 /* seconds for every device to connect */

struct create_opts {
	int dry_run;
	int console;
	int quiet;
	long domid;          /* --domid, for --dry-run */
	unsigned timeout;    /* seconds; 0: CREATE_DEFAULT_TIMEOUT */
	const char *config;
};

/* The console nodes create adds to domcfg_xenstore_nodes' (where libxl writes them). */
int create_console_nodes(unsigned domid, struct xsnodes *out);

/*
 * Create and start the guest @dc on the running host. Prints progress (not
 * with -q), then the domid. Returns the exit status; on failure nothing of
 * the guest is left behind.
 */
int create_guest(const struct domcfg *dc, const struct create_opts *o);

/*
 * Fork the guest's monitor (monitor.c), detached, logging to @log: when
 * domain @domid dies on its own it removes the guest's xenstore nodes and
 * what create remembered, like `pvkit destroy`. Returns 0 or -errno.
 */
int create_monitor(const struct domcfg *dc, pv_domid_t domid, const char *log);

/* Attach to domain @domid's console (pvkit console, create -c). Returns the exit status. */
int console_attach_domid(pv_domid_t domid, const char *cmd);

#endif

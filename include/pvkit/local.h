/* SPDX-License-Identifier: MIT */
/*
 * The local platform's admin API, for the toolstack in domain 0: create,
 * destroy, list and watch the domains pvkitd runs; and for a guest's
 * "kernel", declaring itself the holder of its domain's life.
 *
 * Every function returns 0 (or a value where stated) or -errno. An admin
 * handle is one connection to pvkitd as domain 0 (<rundir>/pvkitd.sock);
 * it belongs to one thread at a time.
 */
#ifndef PVKIT_LOCAL_H
#define PVKIT_LOCAL_H

#include <stdint.h>

#include "pvkit/platform.h"

struct pv_local;

enum pv_local_state {
	PV_LOCAL_RUNNING = 1, /* alive */
	PV_LOCAL_DYING = 2,   /* dead; torn down while others still map its memory */
};

struct pv_local_domain_info {
	pv_domid_t domid;
	enum pv_local_state state;
	uint64_t mem_bytes;
	int64_t created; /* seconds since the Epoch */
	char name[64];
};

/* $PVKIT_RUNDIR, or /run/pvkit. */
const char *pv_local_default_rundir(void);

/*
 * Connect to pvkitd under @rundir (NULL: the default) as domain 0.
 * -ENOENT when pvkitd is not running there.
 */
int pv_local_open(struct pv_local **out, const char *rundir);
void pv_local_close(struct pv_local *l);

/*
 * Create a domain called @name (unique among running domains, at most 63
 * bytes) with @mem_bytes of shareable memory (rounded up to 4096-byte
 * pages). Sets *@domid. pvkitd never hands out a domid still being torn
 * down. The domain's socket is <rundir>/dom/<domid>/pvkitd.sock. It does
 * not introduce the domain to xenstored: the toolstack does.
 * -EEXIST: name taken; -ENOSPC: too many domains; -EINVAL: bad arguments.
 */
int pv_local_domain_create(struct pv_local *l, const char *name, uint64_t mem_bytes,
                           pv_domid_t *domid);

/*
 * Kill domain @domid: its connections are closed, its grants and event
 * channels torn down (peers see their channels closed), and pvkit-xenstored
 * is told (RELEASE) so @releaseDomain fires. -ESRCH: no such running domain;
 * -EPERM for domain 0.
 */
int pv_local_domain_destroy(struct pv_local *l, pv_domid_t domid);

/* Every domain, dying ones included. *@out is malloc()ed: free() it. Returns the count. */
int pv_local_domain_list(struct pv_local *l, struct pv_local_domain_info **out);

/*
 * What a domain holds in pvkitd, for leak checks: after a guest is gone and
 * its backends released it, domain 0's figures are back where they were.
 */
struct pv_local_domain_stats {
	pv_domid_t domid;
	enum pv_local_state state;
	uint64_t grants_pinned; /* pins on this domain's grant entries (peers map its pages) */
	uint64_t grants_mapped; /* pins this domain holds on other domains' grant entries */
	uint32_t evtchn_ports;  /* event-channel ports in use */
	uint32_t connections;   /* connections to pvkitd speaking for this domain */
	uint32_t leases;        /* page and grant-reference leases of those connections */
};

/* The figures of every domain, dying ones included. *@out is malloc()ed: free() it. Returns
 * the count. */
int pv_local_domain_stats(struct pv_local *l, struct pv_local_domain_stats **out);

/*
 * A pollable fd (POLLIN) that reports domain deaths from now on; opened on
 * first call (a second connection), owned by @l.
 */
int pv_local_death_fd(struct pv_local *l);
/* The next domain that died: its domid, or -EAGAIN when none is queued. */
int pv_local_death_next(struct pv_local *l);
/* Wait until @domid is dead (or was never running): 0, or -ETIMEDOUT after @timeout_ms (-1:
 * forever). */
int pv_local_domain_wait(struct pv_local *l, pv_domid_t domid, int timeout_ms);

/*
 * Called by a guest's runtime on its own platform handle (local platform,
 * domain != 0): the domain dies when @p is closed or its process exits, as
 * a guest dies with its kernel. -EBUSY: another connection holds it;
 * -ENOTSUP: not the local platform. The connection is close-on-exec; a
 * child forked without exec keeps it open, and with it the domain.
 */
int pv_local_hold(struct pv_platform *p);

#endif

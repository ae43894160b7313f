/* SPDX-License-Identifier: MIT */
/*
 * Private to platform/: the ops table each platform implements. The public
 * functions in include/pvkit/platform.h are thin dispatchers in
 * platform/platform.c; platform/local and platform/xen each provide one
 * struct pv_platform_ops. Nothing outside platform/ includes this file.
 */
#ifndef PVKIT_PLATFORM_PRIVATE_H
#define PVKIT_PLATFORM_PRIVATE_H

#include "pvkit/platform.h"

struct pv_platform_ops {
	const char *name;
	/* Fill p->priv; return 0 or -errno. */
	int (*open)(struct pv_platform *p, const struct pv_platform_opts *opts);
	void (*close)(struct pv_platform *p);
	void *(*share_pages)(struct pv_platform *p, pv_domid_t peer, unsigned int count,
			     pv_grant_ref_t *refs, int writable);
	int (*unshare)(struct pv_platform *p, void *addr, unsigned int count);
	void *(*map)(struct pv_platform *p, pv_domid_t domid, unsigned int count,
		     const pv_grant_ref_t *refs, int writable);
	int (*unmap)(struct pv_platform *p, void *addr, unsigned int count);
	int (*copy)(struct pv_platform *p, struct pv_gnt_copy_seg *segs, unsigned int count);
	int (*evtchn_open)(struct pv_platform *p, struct pv_evtchn *e);
	void (*evtchn_close)(struct pv_evtchn *e);
	int (*evtchn_fd)(struct pv_evtchn *e);
	int (*alloc_unbound)(struct pv_evtchn *e, pv_domid_t remote);
	int (*bind_interdomain)(struct pv_evtchn *e, pv_domid_t remote, pv_evtchn_port_t port);
	int (*notify)(struct pv_evtchn *e, pv_evtchn_port_t port);
	int (*pending)(struct pv_evtchn *e);
	int (*unmask)(struct pv_evtchn *e, pv_evtchn_port_t port);
	int (*unbind)(struct pv_evtchn *e, pv_evtchn_port_t port);
	void *(*dma_alloc)(struct pv_platform *p, unsigned int count, uint64_t *gpa);
	int (*dma_free)(struct pv_platform *p, void *addr, unsigned int count);
	int (*dma_phys)(struct pv_platform *p, const void *addr, uint64_t *gpa);
	int (*dma_mem_fd)(struct pv_platform *p, uint64_t *bytes);
	int (*foreign_mem_fd)(struct pv_platform *p, pv_domid_t domid, uint64_t *bytes);
};

struct pv_platform {
	const struct pv_platform_ops *ops;
	pv_domid_t domid;
	void *priv; /* the platform's own state */
};

struct pv_evtchn {
	struct pv_platform *platform;
	void *priv; /* the platform's own per-handle state */
};

/* Provided by platform/local/ and platform/xen/ (NULL-free: xen is always linked). */
extern const struct pv_platform_ops pv_platform_local_ops;
extern const struct pv_platform_ops pv_platform_xen_ops;

#endif

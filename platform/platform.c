/* SPDX-License-Identifier: MIT */
/*
 * The platform interface (include/pvkit/platform.h): choose a platform at
 * open, then every call is a thin dispatch through its ops table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvkit/log.h"
#include "private.h"

/*
 * A strong reference when platform/xen is built (PVKIT_LINK_XEN, set by
 * platform/module.mk), so a static link pulls the xen object out of
 * libpvkit.a; weak otherwise (CROSS builds of the core, or no platform/xen),
 * so the core links alone and "xen" answers -ENOTSUP.
 */
#ifndef PVKIT_LINK_XEN
extern const struct pv_platform_ops pv_platform_xen_ops __attribute__((weak));
#endif

static const struct pv_platform_ops *choose(const char *name)
{
	const struct pv_platform_ops *xen = &pv_platform_xen_ops;

	if (!name || !*name)
		name = getenv("PVKIT_PLATFORM");
	if (!name || !*name)
		name = xen && access("/dev/xen/privcmd", F_OK) == 0 ? "xen" : "local";
	if (!strcmp(name, "local"))
		return &pv_platform_local_ops;
	if (!strcmp(name, "xen")) {
		errno = xen ? 0 : ENOTSUP;
		return xen;
	}
	errno = EINVAL;
	return NULL;
}

int pv_platform_open(struct pv_platform **out, const struct pv_platform_opts *opts)
{
	const struct pv_platform_ops *ops = choose(opts ? opts->name : NULL);
	struct pv_platform *p;
	int rc;

	if (!ops)
		return -errno;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ops = ops;
	rc = ops->open(p, opts);
	if (rc) {
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void pv_platform_close(struct pv_platform *p)
{
	if (!p)
		return;
	p->ops->close(p);
	free(p);
}

const char *pv_platform_name(const struct pv_platform *p)
{
	return p->ops->name;
}

pv_domid_t pv_platform_domid(const struct pv_platform *p)
{
	return p->domid;
}

void *pv_gnt_share_pages(struct pv_platform *p, pv_domid_t peer, unsigned int count,
                         pv_grant_ref_t *refs, int writable)
{
	return p->ops->share_pages(p, peer, count, refs, writable);
}

int pv_gnt_unshare(struct pv_platform *p, void *addr, unsigned int count)
{
	return p->ops->unshare(p, addr, count);
}

void *pv_gnt_map(struct pv_platform *p, pv_domid_t domid, unsigned int count,
                 const pv_grant_ref_t *refs, int writable)
{
	if (!count || count > PV_GNT_MAX_BATCH) {
		errno = EINVAL;
		return NULL;
	}
	return p->ops->map(p, domid, count, refs, writable);
}

int pv_gnt_unmap(struct pv_platform *p, void *addr, unsigned int count)
{
	return p->ops->unmap(p, addr, count);
}

int pv_gnt_copy(struct pv_platform *p, struct pv_gnt_copy_seg *segs, unsigned int count)
{
	return p->ops->copy(p, segs, count);
}

void *pv_dma_alloc(struct pv_platform *p, unsigned int count, uint64_t *gpa)
{
	if (!count || !gpa) {
		errno = EINVAL;
		return NULL;
	}
	return p->ops->dma_alloc(p, count, gpa);
}

int pv_dma_free(struct pv_platform *p, void *addr, unsigned int count)
{
	return p->ops->dma_free(p, addr, count);
}

int pv_dma_phys(struct pv_platform *p, const void *addr, uint64_t *gpa)
{
	return p->ops->dma_phys(p, addr, gpa);
}

int pv_dma_mem_fd(struct pv_platform *p, uint64_t *bytes)
{
	return p->ops->dma_mem_fd(p, bytes);
}

int pv_foreign_mem_fd(struct pv_platform *p, pv_domid_t domid, uint64_t *bytes)
{
	return p->ops->foreign_mem_fd(p, domid, bytes);
}

int pv_evtchn_open(struct pv_platform *p, struct pv_evtchn **out)
{
	struct pv_evtchn *e = calloc(1, sizeof(*e));
	int rc;

	if (!e)
		return -ENOMEM;
	e->platform = p;
	rc = p->ops->evtchn_open(p, e);
	if (rc) {
		free(e);
		return rc;
	}
	*out = e;
	return 0;
}

void pv_evtchn_close(struct pv_evtchn *e)
{
	if (!e)
		return;
	e->platform->ops->evtchn_close(e);
	free(e);
}

int pv_evtchn_fd(struct pv_evtchn *e)
{
	return e->platform->ops->evtchn_fd(e);
}

int pv_evtchn_alloc_unbound(struct pv_evtchn *e, pv_domid_t remote)
{
	return e->platform->ops->alloc_unbound(e, remote);
}

int pv_evtchn_bind_interdomain(struct pv_evtchn *e, pv_domid_t remote, pv_evtchn_port_t remote_port)
{
	return e->platform->ops->bind_interdomain(e, remote, remote_port);
}

int pv_evtchn_notify(struct pv_evtchn *e, pv_evtchn_port_t port)
{
	return e->platform->ops->notify(e, port);
}

int pv_evtchn_pending(struct pv_evtchn *e)
{
	return e->platform->ops->pending(e);
}

int pv_evtchn_unmask(struct pv_evtchn *e, pv_evtchn_port_t port)
{
	return e->platform->ops->unmask(e, port);
}

int pv_evtchn_unbind(struct pv_evtchn *e, pv_evtchn_port_t port)
{
	return e->platform->ops->unbind(e, port);
}

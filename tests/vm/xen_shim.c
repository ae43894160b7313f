/* SPDX-License-Identifier: MIT */
/*
 * Stand-in for platform/platform.c (the dispatcher), linked into
 * pv-xen-platform-test only while that file does not exist yet: the public
 * platform.h calls straight onto pv_platform_xen_ops. Test code only.
 */
#include <errno.h>
#include <stdlib.h>

#include "../../platform/private.h"

int pv_platform_open(struct pv_platform **out, const struct pv_platform_opts *opts)
{
	struct pv_platform *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	p->ops = &pv_platform_xen_ops;
	ret = p->ops->open(p, opts);
	if (ret < 0) {
		free(p);
		return ret;
	}
	*out = p;
	return 0;
}

void pv_platform_close(struct pv_platform *p)
{
	p->ops->close(p);
	free(p);
}

const char *pv_platform_name(const struct pv_platform *p) { return p->ops->name; }
pv_domid_t pv_platform_domid(const struct pv_platform *p) { return p->domid; }

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

int pv_evtchn_open(struct pv_platform *p, struct pv_evtchn **out)
{
	struct pv_evtchn *e = calloc(1, sizeof(*e));
	int ret;

	if (!e)
		return -ENOMEM;
	e->platform = p;
	ret = p->ops->evtchn_open(p, e);
	if (ret < 0) {
		free(e);
		return ret;
	}
	*out = e;
	return 0;
}

void pv_evtchn_close(struct pv_evtchn *e)
{
	e->platform->ops->evtchn_close(e);
	free(e);
}

int pv_evtchn_fd(struct pv_evtchn *e) { return e->platform->ops->evtchn_fd(e); }
int pv_evtchn_alloc_unbound(struct pv_evtchn *e, pv_domid_t r)
{
	return e->platform->ops->alloc_unbound(e, r);
}
int pv_evtchn_bind_interdomain(struct pv_evtchn *e, pv_domid_t r, pv_evtchn_port_t port)
{
	return e->platform->ops->bind_interdomain(e, r, port);
}
int pv_evtchn_notify(struct pv_evtchn *e, pv_evtchn_port_t port)
{
	return e->platform->ops->notify(e, port);
}
int pv_evtchn_pending(struct pv_evtchn *e) { return e->platform->ops->pending(e); }
int pv_evtchn_unmask(struct pv_evtchn *e, pv_evtchn_port_t port)
{
	return e->platform->ops->unmask(e, port);
}
int pv_evtchn_unbind(struct pv_evtchn *e, pv_evtchn_port_t port)
{
	return e->platform->ops->unbind(e, port);
}

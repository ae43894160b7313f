/* SPDX-License-Identifier: MIT */
/*
 * The xen platform: struct pv_platform_ops as a thin adapter over Xen's own
 * libraries (libxengntshr and libxengnttab here, libxenevtchn in evtchn.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xengnttab.h>
#include <xenstore.h>
#include <xentoollog.h>

#include "pvkit/log.h"
#include "../private.h"
#include "xen.h"


struct xen_priv {
	xengnttab_handle *gt; /* /dev/xen/gntdev: map, unmap, copy */
	xengntshr_handle *gs; /* /dev/xen/gntalloc: share, unshare */
	/*
	 * gntshr's logger: critical messages only. Running out of grants
	 * (gntalloc's limit, 1024 by default) is normal for a frontend that
	 * sizes its pool down; we log every failure ourselves, with context.
	 */
	xentoollog_logger_stdiostream *gs_log;
};

static struct xen_priv *priv_of(struct pv_platform *p)
{
	return p->priv;
}

/*
 * Our own domid. Dom0 (the control domain, /proc/xen/capabilities says
 * "control_d") is 0 by definition; any other domain reads the relative
 * xenstore node "domid" (/local/domain/<self>/domid), which the toolstack
 * writes for every guest. @opts->domid is not used: on Xen it is a fact,
 * not a choice.
 */
static int read_capabilities(char *buf, size_t size)
{
	FILE *f = fopen("/proc/xen/capabilities", "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

static int domid_from_xenstore(pv_domid_t *out)
{
	struct xs_handle *xs = xs_open(0);
	unsigned int len = 0;
	char *val, *end;
	unsigned long id;
	int ret = 0;

	if (!xs)
		return -errno;
	val = xs_read(xs, XBT_NULL, "domid", &len);
	if (!val) {
		ret = -errno;
		goto out_close;
	}
	errno = 0;
	id = strtoul(val, &end, 10);
	if (errno || end == val || *end != '\0' || id >= PV_DOMID_SELF)
		ret = -EINVAL;
	else
		*out = (pv_domid_t)id;
	free(val);
out_close:
	xs_close(xs);
	return ret;
}

static int xen_self_domid(pv_domid_t *out)
{
	char caps[256];
	int ret;

	if (read_capabilities(caps, sizeof(caps)) == 0 && strstr(caps, "control_d")) {
		*out = 0;
		return 0;
	}
	ret = domid_from_xenstore(out);
	if (ret < 0)
		pv_err_errno(ret, "xen: reading our domid from xenstore node \"domid\"");
	return ret;
}

static int xen_open(struct pv_platform *p, const struct pv_platform_opts *opts)
{
	struct xen_priv *x;
	int ret;

	(void)opts;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->gt = xengnttab_open(NULL, 0);
	if (!x->gt) {
		ret = -errno;
		pv_err_errno(ret, "xen: opening /dev/xen/gntdev (xengnttab_open)");
		goto out_free;
	}
	x->gs_log = xtl_createlogger_stdiostream(stderr, XTL_CRITICAL, 0);
	x->gs = xengntshr_open((xentoollog_logger *)x->gs_log, 0);
	if (!x->gs) {
		ret = -errno;
		pv_err_errno(ret, "xen: opening /dev/xen/gntalloc (xengntshr_open)");
		goto out_close_gt;
	}
	ret = xen_self_domid(&p->domid);
	if (ret < 0)
		goto out_close_gs;
	p->priv = x;
	return 0;

out_close_gs:
	xengntshr_close(x->gs);
out_close_gt:
	xengnttab_close(x->gt);
out_free:
	if (x->gs_log)
		xtl_logger_destroy((xentoollog_logger *)x->gs_log);
	free(x);
	return ret;
}

static void xen_close(struct pv_platform *p)
{
	struct xen_priv *x = priv_of(p);

	if (!x)
		return;
	xengntshr_close(x->gs);
	xengnttab_close(x->gt);
	if (x->gs_log)
		xtl_logger_destroy((xentoollog_logger *)x->gs_log);
	free(x);
	p->priv = NULL;
}

/*
 * Xen takes DOMID_SELF for event channels but not for grant maps or copies
 * (the domain is looked up by number there), so name ourselves by number.
 */
static pv_domid_t resolve(const struct pv_platform *p, pv_domid_t domid)
{
	return domid == PV_DOMID_SELF ? p->domid : domid;
}

/* gntalloc hands out zeroed pages; it reports exhaustion as ENOMEM or ENOSPC. */
static void *xen_share_pages(struct pv_platform *p, pv_domid_t peer, unsigned int count,
			     pv_grant_ref_t *refs, int writable)
{
	void *addr;

	if (count == 0 || !refs) {
		errno = EINVAL;
		return NULL;
	}
	addr = xengntshr_share_pages(priv_of(p)->gs, resolve(p, peer), (int)count, refs, writable);
	if (!addr && errno == ENOMEM)
		errno = ENOSPC;
	return addr;
}

/*
 * The kernel ends foreign access when the pages are unmapped and frees them
 * only once the peer has unmapped too (deferred), so the pages are never
 * reused while mapped: 0, never -EBUSY, as platform.h allows.
 */
static int xen_unshare(struct pv_platform *p, void *addr, unsigned int count)
{
	if (xengntshr_unshare(priv_of(p)->gs, addr, count) < 0)
		return -errno;
	return 0;
}

/* gntdev maps all or nothing: a bad grant fails the whole mmap. */
static void *xen_map(struct pv_platform *p, pv_domid_t domid, unsigned int count,
		     const pv_grant_ref_t *refs, int writable)
{
	void *addr;

	if (count == 0 || count > PV_GNT_MAX_BATCH || !refs) {
		errno = EINVAL;
		return NULL;
	}
	domid = resolve(p, domid);
	addr = xengnttab_map_domain_grant_refs(priv_of(p)->gt, count, domid, (uint32_t *)refs,
					       writable ? PROT_READ | PROT_WRITE : PROT_READ);
	if (!addr && errno == EINVAL)
		errno = -pv_xen_map_failure_errno(priv_of(p)->gt, domid, count, refs, writable);
	return addr;
}

static int xen_unmap(struct pv_platform *p, void *addr, unsigned int count)
{
	if (xengnttab_unmap(priv_of(p)->gt, addr, count) < 0)
		return -errno;
	return 0;
}

static int xen_copy(struct pv_platform *p, struct pv_gnt_copy_seg *segs, unsigned int count)
{
	unsigned int done, n;
	int ret;

	for (done = 0; done < count; done += n) {
		n = count - done < PV_XEN_COPY_CHUNK ? count - done : PV_XEN_COPY_CHUNK;
		ret = pv_xen_copy_chunk(priv_of(p)->gt, p->domid, segs + done, n);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * PCI passthrough memory: on Xen the hypervisor maps a guest's memory into
 * the IOMMU of a device assigned to it, and a Linux guest's own DMA API
 * gives bus addresses; pvkit has nothing to add.
 */
static void *xen_dma_alloc(struct pv_platform *p, unsigned int count, uint64_t *gpa)
{
	(void)p, (void)count, (void)gpa;
	pv_warn("pv_dma_alloc: not on the xen platform (the guest kernel's DMA API gives bus "
		"addresses there)");
	errno = ENOTSUP;
	return NULL;
}

static int xen_dma_free(struct pv_platform *p, void *addr, unsigned int count)
{
	(void)p, (void)addr, (void)count;
	return -ENOTSUP;
}

static int xen_dma_phys(struct pv_platform *p, const void *addr, uint64_t *gpa)
{
	(void)p, (void)addr, (void)gpa;
	return -ENOTSUP;
}

static int xen_dma_mem_fd(struct pv_platform *p, uint64_t *bytes)
{
	(void)p, (void)bytes;
	return -ENOTSUP;
}

static int xen_foreign_mem_fd(struct pv_platform *p, pv_domid_t domid, uint64_t *bytes)
{
	(void)p, (void)bytes;
	pv_info("domain %u's memory: Xen maps it into the IOMMU of the devices assigned to it "
		"itself (not needed on the xen platform)", domid);
	return -ENOTSUP;
}

const struct pv_platform_ops pv_platform_xen_ops = {
	.name = "xen",
	.open = xen_open,
	.close = xen_close,
	.share_pages = xen_share_pages,
	.unshare = xen_unshare,
	.map = xen_map,
	.unmap = xen_unmap,
	.copy = xen_copy,
	.evtchn_open = pv_xen_evtchn_open,
	.evtchn_close = pv_xen_evtchn_close,
	.evtchn_fd = pv_xen_evtchn_fd,
	.alloc_unbound = pv_xen_alloc_unbound,
	.bind_interdomain = pv_xen_bind_interdomain,
	.notify = pv_xen_notify,
	.pending = pv_xen_pending,
	.unmask = pv_xen_unmask,
	.unbind = pv_xen_unbind,
	.dma_alloc = xen_dma_alloc,
	.dma_free = xen_dma_free,
	.dma_phys = xen_dma_phys,
	.dma_mem_fd = xen_dma_mem_fd,
	.foreign_mem_fd = xen_foreign_mem_fd,
};

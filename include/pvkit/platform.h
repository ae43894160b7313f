/* SPDX-License-Identifier: MIT */
/*
 * The platform interface: grant sharing (like libxengntshr), grant mapping
 * and copying (like libxengnttab), event channels (like libxenevtchn) and
 * the caller's own domid. Implemented by platform/local (every domain a
 * Linux process, brokered by pvkitd) and platform/xen (the Xen libraries).
 *
 * Every function returns 0 (or a non-negative value where stated) on
 * success and -errno on failure, unless it returns a pointer, in which case
 * NULL means failure and errno says why. A class driver includes only this
 * header; it never sees which platform it runs on.
 *
 * Threading: a struct pv_platform may be used from several threads at once
 * for grant operations. A struct pv_evtchn (an event-channel handle) belongs
 * to one thread at a time, like a xenevtchn_handle; open one per thread.
 */
#ifndef PVKIT_PLATFORM_H
#define PVKIT_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

typedef uint16_t pv_domid_t;
typedef uint32_t pv_grant_ref_t;
typedef uint32_t pv_evtchn_port_t;

#define PV_DOMID_SELF    ((pv_domid_t)0x7ff0) /* as DOMID_SELF in Xen */
#define PV_DOMID_INVALID ((pv_domid_t)0x7ff4)
#define PV_GRANT_INVALID ((pv_grant_ref_t)~0u)
#define PV_EVTCHN_INVALID ((pv_evtchn_port_t)~0u)

struct pv_platform;
struct pv_evtchn;

/* Options for pv_platform_open(). Zero-initialise, then set what you need. */
struct pv_platform_opts {
	/*
	 * "local", "xen", or NULL: $PVKIT_PLATFORM when set, else xen when
	 * /dev/xen/privcmd exists, else local. -ENOTSUP: xen not built in.
	 */
	const char *name;
	/* local: run directory holding pvkitd's sockets (default $PVKIT_RUNDIR or /run/pvkit). */
	const char *rundir;
	/* local: the domain this process acts as (default $PVKIT_DOMID, else 0). */
	int domid;
	int domid_set; /* non-zero when domid above is meant (domid 0 is valid) */
};

/*
 * Connect to the platform. On the local platform this connects to pvkitd
 * as domain @opts->domid; the domain must already be registered (domain 0
 * always is). Returns 0 and sets *@out, or -errno (-ENOENT: pvkitd is not
 * running under that run directory; -ESRCH: no such domain).
 */
int pv_platform_open(struct pv_platform **out, const struct pv_platform_opts *opts);
/* Disconnect. Every handle, sharing and mapping made through @p must be gone. */
void pv_platform_close(struct pv_platform *p);
/* "local" or "xen". */
const char *pv_platform_name(const struct pv_platform *p);
/* The caller's own domain id. */
pv_domid_t pv_platform_domid(const struct pv_platform *p);

/* ---- grant sharing (the granting side, like xengntshr) ------------------- */

/*
 * Allocate @count zeroed pages of the caller's shareable memory and grant
 * each one to @peer, read-write if @writable else read-only. The grant
 * references are written to @refs[0..count-1]. Returns the address of the
 * pages (contiguous in the caller) or NULL with errno set (ENOSPC: grant
 * table or memory exhausted).
 */
void *pv_gnt_share_pages(struct pv_platform *p, pv_domid_t peer, unsigned int count,
			 pv_grant_ref_t *refs, int writable);

/*
 * End foreign access to pages from pv_gnt_share_pages() and free them.
 * Returns 0, or -EBUSY if the peer still maps any of them: then nothing is
 * freed, and the caller must neither reuse nor free the pages (XSA-396); it
 * may try again later. On the xen platform the kernel defers the release
 * while mapped, so this returns 0 and the pages are never reused.
 */
int pv_gnt_unshare(struct pv_platform *p, void *addr, unsigned int count);

/* ---- grant mapping and copying (the mapping side, like xengnttab) -------- */

/*
 * Map @count grants of domain @domid, references @refs, into one contiguous
 * range of the caller's address space, writable if @writable. All or
 * nothing: if any grant fails (not permitted, names another domain,
 * read-only for a writable map, reference out of range), every grant this
 * call mapped is unmapped again and NULL is returned with errno set
 * (EACCES, EPERM, EINVAL). @count may be at most PV_GNT_MAX_BATCH.
 */
#define PV_GNT_MAX_BATCH 1024
void *pv_gnt_map(struct pv_platform *p, pv_domid_t domid, unsigned int count,
		 const pv_grant_ref_t *refs, int writable);

/* Unmap @count pages mapped by one pv_gnt_map() call at @addr. */
int pv_gnt_unmap(struct pv_platform *p, void *addr, unsigned int count);

/* One side of a grant copy: a grant of another domain, or a local address. */
struct pv_gnt_copy_ptr {
	int is_gref;          /* 1: (domid, ref, offset); 0: virt */
	pv_domid_t domid;     /* owner of the grant */
	pv_grant_ref_t ref;
	uint16_t offset;      /* within the granted page */
	void *virt;           /* local memory when !is_gref */
};

struct pv_gnt_copy_seg {
	struct pv_gnt_copy_ptr source;
	struct pv_gnt_copy_ptr dest;
	uint16_t len;         /* bytes; offset + len must stay within the page */
	int16_t status;       /* out: 0 or -errno for this segment */
};

/*
 * Copy @count segments (like GNTTABOP_copy). Each segment succeeds or fails
 * on its own; its status says which. Returns 0 when the batch was processed
 * (look at each status), -errno when it could not be processed at all.
 */
int pv_gnt_copy(struct pv_platform *p, struct pv_gnt_copy_seg *segs, unsigned int count);

/* ---- event channels (like xenevtchn) --------------------------------------- */

/* Open an event-channel handle with its own pollable fd. */
int pv_evtchn_open(struct pv_platform *p, struct pv_evtchn **out);
/* Close the handle, unbinding every port still bound through it. */
void pv_evtchn_close(struct pv_evtchn *e);
/* The fd to poll for POLLIN: readable when pv_evtchn_pending() has a port. */
int pv_evtchn_fd(struct pv_evtchn *e);
/* Allocate an unbound port that domain @remote may bind. Returns the port or -errno. */
int pv_evtchn_alloc_unbound(struct pv_evtchn *e, pv_domid_t remote);
/* Bind to @remote_port of domain @remote. Returns the local port or -errno. */
int pv_evtchn_bind_interdomain(struct pv_evtchn *e, pv_domid_t remote,
			       pv_evtchn_port_t remote_port);
/* Notify the other end of @port. -ENOTCONN when the peer has closed it. */
int pv_evtchn_notify(struct pv_evtchn *e, pv_evtchn_port_t port);
/*
 * Return one port with a pending event (and mask it until unmasked), or
 * -EAGAIN when none is pending. Like xenevtchn_pending(). A port whose peer
 * closed the channel is reported once more so the caller notices.
 */
int pv_evtchn_pending(struct pv_evtchn *e);
/* Re-enable delivery on @port after handling it. */
int pv_evtchn_unmask(struct pv_evtchn *e, pv_evtchn_port_t port);
/* Unbind @port. */
int pv_evtchn_unbind(struct pv_evtchn *e, pv_evtchn_port_t port);

/* ---- memory for device DMA and its owner (PCI passthrough) ---------------- */

/*
 * A guest's side. Allocate @count zeroed pages of the caller's shareable
 * memory for a passed-through device to DMA into, granted to nobody. The
 * IOMMU of every device assigned to this domain maps the domain's whole
 * shareable memory at bus address = guest-physical address, so *@gpa (the
 * guest-physical address of the first page: on the local platform, its
 * offset in the domain's memory) is what to program into the device; the
 * pages are contiguous there too. Returns the address, or NULL with errno
 * set (ENOSPC: memory exhausted; ENOTSUP on the xen platform, where Linux's
 * own DMA API does this).
 */
void *pv_dma_alloc(struct pv_platform *p, unsigned int count, uint64_t *gpa);
/* Free pages from pv_dma_alloc() (@addr and @count as allocated). -EINVAL: not such pages. */
int pv_dma_free(struct pv_platform *p, void *addr, unsigned int count);
/*
 * The guest-physical address of @addr, any byte inside the caller's
 * shareable memory (pages from pv_dma_alloc() or pv_gnt_share_pages()).
 * -EINVAL when @addr is outside it; -ENOTSUP on the xen platform.
 */
int pv_dma_phys(struct pv_platform *p, const void *addr, uint64_t *gpa);
/*
 * A guest's side: a file descriptor of the caller's own shareable memory
 * (offset in it = guest-physical address) and its size in *@bytes, for a
 * guest's kernel to hand to its driver processes, which map their DMA
 * buffers (pages from pv_dma_alloc()) from it: pvkit-guest's pcifront does,
 * for include/pvkit/pcidev.h. It gives nothing the caller does not have.
 * The caller owns the fd. -ENOTSUP on the xen platform.
 */
int pv_dma_mem_fd(struct pv_platform *p, uint64_t *bytes);

/*
 * Domain 0's side, the analogue of Xen's foreign mapping of a guest's
 * memory: a file descriptor of domain @domid's whole shareable memory
 * (offset in it = guest-physical address) and its size in *@bytes, for
 * the PCI backend to map into a device's IOMMU. The caller owns the fd.
 * Only the control domain may ask: -EPERM for any other caller; -ESRCH:
 * no such running domain. -ENOTSUP on the xen platform (Xen itself maps a
 * guest's memory into the IOMMU of a device assigned to it).
 */
int pv_foreign_mem_fd(struct pv_platform *p, pv_domid_t domid, uint64_t *bytes);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Private to platform/xen: the pieces xen.c assembles into
 * pv_platform_xen_ops (grant copy translation, event channels).
 */
#ifndef PVKIT_PLATFORM_XEN_H
#define PVKIT_PLATFORM_XEN_H

#include <xengnttab.h>

#include "../private.h"

/* Segments handed to one GNTTABOP_copy call; bigger batches are split. */
#define PV_XEN_COPY_CHUNK 64u

/* copy.c */
/* A GNTST_* status as 0 or -errno. */
int pv_xen_gntst_errno(int16_t status);
/*
 * Translate one segment into Xen's layout (PV_DOMID_SELF becomes @self).
 * Returns 0, or -EINVAL when it is not a grant copy (neither side a grant)
 * or a grant side leaves its page.
 */
int pv_xen_copy_seg_to_xen(const struct pv_gnt_copy_seg *seg, pv_domid_t self,
			   xengnttab_grant_copy_segment_t *out);
/* Copy @n <= PV_XEN_COPY_CHUNK segments, setting each status. 0 or -errno. */
int pv_xen_copy_chunk(xengnttab_handle *gt, pv_domid_t self, struct pv_gnt_copy_seg *segs,
		      unsigned int n);

/*
 * After a failed map (gntdev says only EINVAL), find out why with a one-byte
 * read copy of each grant, which writes nothing: -EINVAL (reference out of
 * range or unknown domain), -EPERM (not granted to us), -EACCES (every grant
 * is readable, so a writable map met a read-only grant).
 */
int pv_xen_map_failure_errno(xengnttab_handle *gt, pv_domid_t domid, unsigned int count,
			     const pv_grant_ref_t *refs, int writable);

/* evtchn.c: the event-channel ops over libxenevtchn. */
int pv_xen_evtchn_open(struct pv_platform *p, struct pv_evtchn *e);
void pv_xen_evtchn_close(struct pv_evtchn *e);
int pv_xen_evtchn_fd(struct pv_evtchn *e);
int pv_xen_alloc_unbound(struct pv_evtchn *e, pv_domid_t remote);
int pv_xen_bind_interdomain(struct pv_evtchn *e, pv_domid_t remote, pv_evtchn_port_t port);
int pv_xen_notify(struct pv_evtchn *e, pv_evtchn_port_t port);
int pv_xen_pending(struct pv_evtchn *e);
int pv_xen_unmask(struct pv_evtchn *e, pv_evtchn_port_t port);
int pv_xen_unbind(struct pv_evtchn *e, pv_evtchn_port_t port);

#endif

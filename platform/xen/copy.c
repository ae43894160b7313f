/* SPDX-License-Identifier: MIT */
/*
 * The xen platform's grant copy: pvkit's segments translated to and from
 * libxengnttab's (GNTTABOP_copy through /dev/xen/gntdev).
 */
#include <errno.h>
#include <string.h>

#include "xen.h"

#define XEN_PAGE_SIZE 4096u

int pv_xen_gntst_errno(int16_t status)
{
	switch (status) {
	case GNTST_okay:
		return 0;
	case GNTST_bad_domain:
		return -ESRCH;
	case GNTST_bad_gntref:
	case GNTST_bad_handle:
	case GNTST_bad_page:
	case GNTST_bad_copy_arg:
	case GNTST_address_too_big:
		return -EINVAL;
	case GNTST_bad_virt_addr:
	case GNTST_bad_dev_addr:
		return -EFAULT;
	case GNTST_no_device_space:
	case GNTST_no_space:
		return -ENOSPC;
	case GNTST_permission_denied:
		return -EPERM;
	case GNTST_eagain:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

/* One side; sets @flag in *@flags when it is a grant. */
static int ptr_to_xen(const struct pv_gnt_copy_ptr *ptr, pv_domid_t self, uint16_t len,
		      uint16_t flag, union xengnttab_copy_ptr *out, uint16_t *flags)
{
	if (!ptr->is_gref) {
		out->virt = ptr->virt;
		return 0;
	}
	if ((unsigned int)ptr->offset + len > XEN_PAGE_SIZE)
		return -EINVAL;
	out->foreign.ref = ptr->ref;
	out->foreign.offset = ptr->offset;
	out->foreign.domid = ptr->domid == PV_DOMID_SELF ? self : ptr->domid;
	*flags |= flag;
	return 0;
}

int pv_xen_copy_seg_to_xen(const struct pv_gnt_copy_seg *seg, pv_domid_t self,
			   xengnttab_grant_copy_segment_t *out)
{
	memset(out, 0, sizeof(*out));
	if (!seg->source.is_gref && !seg->dest.is_gref)
		return -EINVAL;
	out->len = seg->len;
	if (ptr_to_xen(&seg->source, self, seg->len, GNTCOPY_source_gref, &out->source,
		       &out->flags) < 0 ||
	    ptr_to_xen(&seg->dest, self, seg->len, GNTCOPY_dest_gref, &out->dest, &out->flags) < 0)
		return -EINVAL;
	return 0;
}

/*
 * Invalid segments get -EINVAL and are left out of the batch, so one bad
 * segment does not fail the others (GNTTABOP_copy reports per segment).
 */
int pv_xen_copy_chunk(xengnttab_handle *gt, pv_domid_t self, struct pv_gnt_copy_seg *segs,
		      unsigned int n)
{
	xengnttab_grant_copy_segment_t xsegs[PV_XEN_COPY_CHUNK];
	unsigned int idx[PV_XEN_COPY_CHUNK];
	unsigned int i, m = 0;

	if (n > PV_XEN_COPY_CHUNK)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		segs[i].status = (int16_t)pv_xen_copy_seg_to_xen(&segs[i], self, &xsegs[m]);
		if (segs[i].status == 0)
			idx[m++] = i;
	}
	if (m == 0)
		return 0;
	if (xengnttab_grant_copy(gt, m, xsegs) < 0)
		return -errno;
	for (i = 0; i < m; i++)
		segs[idx[i]].status = (int16_t)pv_xen_gntst_errno(xsegs[i].status);
	return 0;
}

/* Xen reports a grant that is not ours to use as a general error. */
static int probe_errno(int16_t status)
{
	switch (status) {
	case GNTST_bad_gntref:
	case GNTST_bad_domain:
		return -EINVAL;
	case GNTST_general_error:
	case GNTST_permission_denied:
		return -EPERM;
	default:
		return pv_xen_gntst_errno(status);
	}
}

int pv_xen_map_failure_errno(xengnttab_handle *gt, pv_domid_t domid, unsigned int count,
			     const pv_grant_ref_t *refs, int writable)
{
	xengnttab_grant_copy_segment_t seg;
	unsigned char byte;

	for (unsigned int i = 0; i < count; i++) {
		memset(&seg, 0, sizeof(seg));
		seg.source.foreign.ref = refs[i];
		seg.source.foreign.domid = domid;
		seg.dest.virt = &byte;
		seg.len = 1;
		seg.flags = GNTCOPY_source_gref;
		if (xengnttab_grant_copy(gt, 1, &seg) < 0)
			return -EINVAL;
		if (seg.status != GNTST_okay)
			return probe_errno(seg.status);
	}
	return writable ? -EACCES : -EINVAL;
}

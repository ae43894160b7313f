/* SPDX-License-Identifier: MIT */
/*
 * Wire ABI: grant table v1 entries (Xen's public grant_table.h layout).
 *
 * A domain's grant table is an array of 8-byte entries; a grant reference
 * is an index into it. The granting domain fills @frame and @domid, then
 * sets @flags with GTF_permit_access (and GTF_readonly for read-only); the
 * mapping side (Xen, or pvkit's local platform) sets GTF_reading /
 * GTF_writing while the grant is mapped. Ending access is a compare-and-
 * swap of @flags to 0 that must fail while GTF_reading|GTF_writing is set.
 *
 *   offset  size  field
 *   0       2     flags   GTF_* below
 *   2       2     domid   the domain granted access
 *   4       4     frame   the granted frame (guest frame number)
 */
#ifndef PVKIT_PROTO_GRANT_TABLE_H
#define PVKIT_PROTO_GRANT_TABLE_H

#include <stdint.h>

/* A grant reference: an index into the granting domain's table. */
typedef uint32_t pv_grant_ref_t;

struct pv_grant_entry_v1 {
	uint16_t flags;
	uint16_t domid;
	uint32_t frame;
};

/* Entries in one 4096-byte grant-table frame. */
#define PV_GRANT_ENTRIES_PER_FRAME (4096u / sizeof(struct pv_grant_entry_v1))

/* References below this are reserved for the toolstack. */
#define PV_GNTTAB_NR_RESERVED_ENTRIES 8
#define PV_GNTTAB_RESERVED_CONSOLE    0
#define PV_GNTTAB_RESERVED_XENSTORE   1

/* Entry type. */
#define PV_GTF_invalid         (0u << 0)
#define PV_GTF_permit_access   (1u << 0)
#define PV_GTF_accept_transfer (2u << 0)
#define PV_GTF_transitive      (3u << 0)
#define PV_GTF_type_mask       (3u << 0)

/* Subflags of permit_access. */
#define PV_GTF_readonly (1u << 2) /* peer may only read [granter] */
#define PV_GTF_reading  (1u << 3) /* mapped for reading [hypervisor] */
#define PV_GTF_writing  (1u << 4) /* mapped for writing [hypervisor] */
#define PV_GTF_PWT      (1u << 5)
#define PV_GTF_PCD      (1u << 6)
#define PV_GTF_PAT      (1u << 7)
#define PV_GTF_sub_page (1u << 8) /* copy only, a subrange of the page */

/* Subflags of accept_transfer. */
#define PV_GTF_transfer_committed (1u << 2)
#define PV_GTF_transfer_completed (1u << 3)

/* GNTTABOP_copy flags and status codes (GNTST_*), as errno-like negatives. */
#define PV_GNTCOPY_source_gref (1u << 0)
#define PV_GNTCOPY_dest_gref   (1u << 1)

#define PV_GNTST_okay             0
#define PV_GNTST_general_error    (-1)
#define PV_GNTST_bad_domain       (-2)
#define PV_GNTST_bad_gntref       (-3)
#define PV_GNTST_bad_handle       (-4)
#define PV_GNTST_bad_virt_addr    (-5)
#define PV_GNTST_bad_dev_addr     (-6)
#define PV_GNTST_no_device_space  (-7)
#define PV_GNTST_permission_denied (-8)
#define PV_GNTST_bad_page         (-9)
#define PV_GNTST_bad_copy_arg     (-10)
#define PV_GNTST_address_too_big  (-11)
#define PV_GNTST_eagain           (-12)
#define PV_GNTST_no_space         (-13)

#endif

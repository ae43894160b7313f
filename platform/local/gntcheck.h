/* SPDX-License-Identifier: MIT */
/*
 * Grant-entry rules of the local platform (private): the checks Xen makes
 * before it maps or copies a grant, and the atomic flag updates of both ends.
 */
#ifndef PVKIT_LOCAL_GNTCHECK_H
#define PVKIT_LOCAL_GNTCHECK_H

#include <stdint.h>

#include "pvkit/platform.h"
#include "pvkit/proto/grant_table.h"

/*
 * Pin entry @e of a grant table for @mapper: the entry must be
 * GTF_permit_access, name @mapper, and not be GTF_readonly when @writable.
 * Sets GTF_reading (and GTF_writing when @writable) with a compare-and-swap
 * of flags and domid together, so a concurrent revoke or retarget either
 * wins entirely or loses entirely. Then reads the frame: it must be below
 * @nr_frames. @rd_pins / @wr_pins are the pins held before this one (the
 * caller's counts), used to undo the flags if the frame is bad.
 * Returns 0 and sets *@frame, or -EACCES (not permitted, or read-only for a
 * writable pin), -EPERM (names another domain), -EINVAL (bad frame).
 */
int pvl_gnt_pin(struct pv_grant_entry_v1 *e, pv_domid_t mapper, int writable, uint32_t nr_frames,
                uint32_t rd_pins, uint32_t wr_pins, uint32_t *frame);

/*
 * Drop the flags a pin set, given the pins that remain: GTF_writing goes
 * when no writable pin remains, GTF_reading when no pin remains at all.
 */
void pvl_gnt_unpin(struct pv_grant_entry_v1 *e, uint32_t rd_left, uint32_t wr_left);

/* Granting side: fill @e for @peer; flags are written last (release order). */
void pvl_gnt_grant(struct pv_grant_entry_v1 *e, pv_domid_t peer, uint32_t frame, int writable);

/*
 * Granting side: end foreign access, a compare-and-swap of flags to 0 that
 * fails with -EBUSY while GTF_reading or GTF_writing is set. 0 on success
 * (also when the entry was already ended).
 */
int pvl_gnt_end(struct pv_grant_entry_v1 *e);

#endif

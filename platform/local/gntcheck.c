/* SPDX-License-Identifier: MIT */
/*
 * Grant-entry rules of the local platform: pin/unpin on the mapping side,
 * grant/end on the granting side, each an atomic update of shared memory.
 */
#include <errno.h>

#include "gntcheck.h"

/* flags (low half) and domid (high half) as one 32-bit word, little-endian layout. */
static uint32_t *entry_word(struct pv_grant_entry_v1 *e)
{
	return (uint32_t *)(void *)e;
}

static uint16_t word_flags(uint32_t w)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (uint16_t)w;
#else
	return (uint16_t)(w >> 16);
#endif
}

static uint16_t word_domid(uint32_t w)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (uint16_t)(w >> 16);
#else
	return (uint16_t)w;
#endif
}

static uint32_t word_with_flags(uint32_t w, uint16_t flags)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (w & 0xffff0000u) | flags;
#else
	return (w & 0xffffu) | ((uint32_t)flags << 16);
#endif
}

/* Verdict on one snapshot of the entry. */
static int check_word(uint32_t w, pv_domid_t mapper, int writable)
{
	uint16_t flags = word_flags(w);

	if ((flags & PV_GTF_type_mask) != PV_GTF_permit_access)
		return -EACCES;
	if (word_domid(w) != mapper)
		return -EPERM;
	if (writable && (flags & PV_GTF_readonly))
		return -EACCES;
	return 0;
}

int pvl_gnt_pin(struct pv_grant_entry_v1 *e, pv_domid_t mapper, int writable, uint32_t nr_frames,
                uint32_t rd_pins, uint32_t wr_pins, uint32_t *frame)
{
	uint32_t *word = entry_word(e);
	uint32_t old = __atomic_load_n(word, __ATOMIC_ACQUIRE), new;
	uint16_t set = PV_GTF_reading | (writable ? PV_GTF_writing : 0);
	int rc;

	do {
		rc = check_word(old, mapper, writable);
		if (rc)
			return rc;
		new = word_with_flags(old, word_flags(old) | set);
	} while (new != old && !__atomic_compare_exchange_n(word, &old, new, 0, __ATOMIC_ACQ_REL,
	                                                    __ATOMIC_ACQUIRE));
	/* Acquire above orders this read after the pin is visible, as Xen reads the frame after
	 * pinning. */
	*frame = __atomic_load_n(&e->frame, __ATOMIC_RELAXED);
	if (*frame >= nr_frames) {
		pvl_gnt_unpin(e, rd_pins, wr_pins);
		return -EINVAL;
	}
	return 0;
}

void pvl_gnt_unpin(struct pv_grant_entry_v1 *e, uint32_t rd_left, uint32_t wr_left)
{
	uint16_t clear = 0;

	if (!wr_left)
		clear |= PV_GTF_writing;
	if (!rd_left && !wr_left)
		clear |= PV_GTF_reading;
	if (clear)
		__atomic_fetch_and(&e->flags, (uint16_t)~clear, __ATOMIC_ACQ_REL);
}

void pvl_gnt_grant(struct pv_grant_entry_v1 *e, pv_domid_t peer, uint32_t frame, int writable)
{
	__atomic_store_n(&e->frame, frame, __ATOMIC_RELAXED);
	__atomic_store_n(&e->domid, peer, __ATOMIC_RELAXED);
	/* Release: frame and domid are visible before the entry becomes valid. */
	__atomic_store_n(&e->flags, PV_GTF_permit_access | (writable ? 0 : PV_GTF_readonly),
	                 __ATOMIC_RELEASE);
}

int pvl_gnt_end(struct pv_grant_entry_v1 *e)
{
	uint16_t old = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);

	do {
		if (old & (PV_GTF_reading | PV_GTF_writing))
			return -EBUSY;
		if (!old)
			return 0;
	} while (!__atomic_compare_exchange_n(&e->flags, &old, 0, 0, __ATOMIC_ACQ_REL,
	                                      __ATOMIC_ACQUIRE));
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * pvkit-test-platform: grant copy rules, per segment: offsets and lengths
 * within the page, read-only sources allowed, read-only destinations not.
 */
#include <errno.h>
#include <string.h>

#include "pvkit/arch.h"
#include "pvkitd_test.h"

static struct pv_gnt_copy_seg gref_seg(struct tctx *t, pv_grant_ref_t ref, uint16_t off,
                                       void *local, uint16_t len, int to_grant)
{
	struct pv_gnt_copy_ptr gp = {.is_gref = 1, .domid = t->self, .ref = ref, .offset = off};
	struct pv_gnt_copy_ptr lp = {.virt = local};
	struct pv_gnt_copy_seg s = {.len = len};

	s.source = to_grant ? lp : gp;
	s.dest = to_grant ? gp : lp;
	return s;
}

void test_copy(struct tctx *t)
{
	pv_grant_ref_t refs[2]; /* refs[0] writable, refs[1] read-only */
	unsigned char *rw = pv_gnt_share_pages(t->g, t->peer, 1, &refs[0], 1);
	unsigned char *ro = pv_gnt_share_pages(t->g, t->peer, 1, &refs[1], 0);
	unsigned char in[PV_PAGE_SIZE], out[PV_PAGE_SIZE];
	struct pv_gnt_copy_seg s[7];

	if (!rw || !ro) {
		check(0, "share pages for the copy tests");
		return;
	}
	memset(in, 0xab, sizeof(in));
	memset(out, 0, sizeof(out));
	memcpy(ro + 10, "readonly", 8);
	s[0] = gref_seg(t, refs[0], 100, in, 200, 1);        /* ok: into the writable grant */
	s[1] = gref_seg(t, refs[1], 10, out, 8, 0);          /* ok: out of the read-only one */
	s[2] = gref_seg(t, refs[1], 0, in, 1, 1);            /* into a read-only grant */
	s[3] = gref_seg(t, refs[0], 4000, in, 200, 1);       /* past the page */
	s[4] = gref_seg(t, 1u << 20, 0, out, 8, 0);          /* reference out of range */
	s[5] = gref_seg(t, refs[0], 0, in, PV_PAGE_SIZE, 1); /* exactly one page: ok */
	s[6] = gref_seg(t, refs[0], 1, in, PV_PAGE_SIZE, 1); /* one byte too far */
	CHECK(pv_gnt_copy(t->m, s, 7) == 0, "a copy batch is processed");
	CHECK(s[0].status == 0 && rw[100] == 0xab && rw[299] == 0xab,
	      "copy into a writable grant (status %d)", s[0].status);
	CHECK(s[1].status == 0 && !memcmp(out, "readonly", 8), "copy out of a read-only grant");
	CHECK(s[2].status < 0 && ro[0] == 0, "copy into a read-only grant refused (%d)",
	      s[2].status);
	CHECK(s[3].status < 0, "offset + length past the page refused (%d)", s[3].status);
	CHECK(s[4].status < 0, "bad reference refused (%d)", s[4].status);
	CHECK(s[5].status == 0, "a whole-page copy works");
	CHECK(s[6].status < 0, "a whole page at offset 1 refused (%d)", s[6].status);
	CHECK(pv_gnt_unshare(t->g, rw, 1) == 0 && pv_gnt_unshare(t->g, ro, 1) == 0,
	      "a copy leaves no grant in use");
	s[0] = gref_seg(t, refs[0], 0, out, 8, 0);
	CHECK(pv_gnt_copy(t->m, s, 1) == 0 && s[0].status < 0, "copy from a revoked grant refused");
	rw = pv_gnt_share_pages(t->g, (pv_domid_t)(t->peer + 1), 1, &refs[0], 1);
	s[0] = gref_seg(t, refs[0], 0, in, 8, 1);
	if (!rw || pv_gnt_copy(t->m, s, 1))
		s[0].status = 0;
	CHECK(rw && s[0].status < 0, "copy into a grant for another domain refused (%d)",
	      s[0].status);
	if (rw)
		pv_gnt_unshare(t->g, rw, 1);
}

/* SPDX-License-Identifier: MIT */
/*
 * The console: the byte-ring datapath both halves share (Xen's console page,
 * io/console.h semantics), the guest-side frontend and the attach client.
 */
#ifndef PVKIT_CONSOLE_H
#define PVKIT_CONSOLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * ---- the console page ----------------------------------------------------
 *
 * One 4096-byte page holds two byte rings (Xen's struct xencons_interface):
 *
 *   offset  size  field
 *   0       1024  in[]      host -> guest (keyboard input)
 *   1024    2048  out[]     guest -> host (console output)
 *   3072    4     in_cons   advanced by the guest
 *   3076    4     in_prod   advanced by the host
 *   3080    4     out_cons  advanced by the host
 *   3084    4     out_prod  advanced by the guest
 *
 * Indices are free-running 32-bit counters; byte i of a ring sits at
 * ring[i & (size - 1)]. A producer more than the ring size ahead of its
 * consumer is a protocol error.
 *
 * struct pv_cons_ring is one direction seen from one side. The index this
 * side owns is kept privately (@own) and only published to the page, so a
 * peer scribbling on it cannot make us re-read or skip bytes; the peer's
 * index is read once per call and bounded before use.
 */
struct pv_cons_ring {
	volatile uint8_t *buf;      /* the ring bytes inside the shared page */
	uint32_t size;              /* 1024 or 2048, a power of two */
	volatile uint32_t *own_p;   /* the index we advance, in the page */
	volatile uint32_t *peer_p;  /* the index the peer advances, in the page */
	uint32_t own;               /* our private copy of *own_p */
	int reader;                 /* 1: we consume (own = cons), 0: we produce */
};

#define PV_CONS_IN_SIZE  1024u /* = PV_XENCONS_IN_SIZE (proto/console.h) */
#define PV_CONS_OUT_SIZE 2048u /* = PV_XENCONS_OUT_SIZE */

/*
 * Set up the host's (backend's) view of @page: @out reads out[], @in writes
 * in[]. The private indices start from the values in the page, so a
 * restarted backend resumes exactly where its predecessor stopped.
 */
void pv_cons_ring_init_back(struct pv_cons_ring *out, struct pv_cons_ring *in, void *page);
/* The guest's (frontend's) view: @out writes out[], @in reads in[]. */
void pv_cons_ring_init_front(struct pv_cons_ring *out, struct pv_cons_ring *in, void *page);

/*
 * Bytes readable (reader) or free space (writer) right now, or -EPROTO when
 * the peer's index is more than the ring size away from ours.
 */
ssize_t pv_cons_ring_avail(const struct pv_cons_ring *r);

/*
 * Copy up to @len bytes out of a reader ring into @dst and publish the new
 * consumer index. Returns the number of bytes copied (0: ring empty) or
 * -EPROTO (hostile producer index; nothing is consumed) or -EINVAL (wrong
 * direction). Single-threaded per ring.
 */
ssize_t pv_cons_ring_read(struct pv_cons_ring *r, void *dst, size_t len);

/*
 * Copy up to @len bytes from @src into a writer ring and publish the new
 * producer index. Returns the number of bytes written (0: ring full),
 * -EPROTO (hostile consumer index) or -EINVAL.
 */
ssize_t pv_cons_ring_write(struct pv_cons_ring *r, const void *src, size_t len);

#endif

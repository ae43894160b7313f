/* SPDX-License-Identifier: MIT */
/*
 * The local platform's client side (private): one connection to pvkitd per
 * struct pv_platform, the caller's own memory and grant table mapped, and
 * the memfds of the domains it maps grants of, cached per incarnation.
 */
#ifndef PVKIT_LOCAL_CLIENT_H
#define PVKIT_LOCAL_CLIENT_H

#include <pthread.h>
#include <stdint.h>

#include "pvkit/platform.h"
#include "pvkit/proto/grant_table.h"
#include "../private.h"
#include "bitmap.h"
#include "proto.h"

/* A granting domain's memory as this client knows it. */
struct pvl_peer {
	pv_domid_t domid;
	uint64_t gen;
	int memfd;
	uint32_t mem_pages;
	unsigned int maps; /* live pvl_mappings of its memory; at 0 the memfd is closed */
	struct pvl_peer *next;
};

/* One pv_gnt_map() range and the pvkitd handles of its pins. */
struct pvl_mapping {
	void *addr;
	unsigned int count;
	uint32_t *handles;
	struct pvl_peer *peer; /* whose memory it maps */
	struct pvl_mapping *next;
};

struct pvl_plat {
	pthread_mutex_t lock; /* everything below, and the socket's request/reply turn */
	int sock;
	char sockpath[4096];
	uint64_t gen;
	uint32_t mem_pages, nr_refs;
	int memfd, gtfd;
	unsigned char *mem;           /* own shareable memory, all of it */
	struct pv_grant_entry_v1 *gt; /* own grant table */
	struct pvl_bitmap pages;      /* a clear bit: leased from pvkitd and free */
	struct pvl_bitmap refs;
	uint32_t *page_ref; /* per own page: the reference granting it */
	struct pvl_peer *peers;
	struct pvl_mapping *maps;
	unsigned char buf[PVKITD_MSG_MAX];
};

/* Called for each event that arrives while waiting for a reply. */
typedef void (*pvl_event_fn)(void *opaque, uint32_t op, const void *payload, uint32_t len);

/*
 * One request and its reply on @sock. The reply payload lands in @buf
 * (PVKITD_MSG_MAX bytes, header included; payload at buf + header), fds
 * in @fds (room *@nfds). Returns the payload length, or the reply's
 * -errno status, or -errno of the I/O.
 */
int pvl_call(int sock, uint32_t op, uint32_t flags, const void *req, uint32_t len,
             unsigned char *buf, int *fds, unsigned int *nfds, pvl_event_fn ev, void *opaque);
/* The payload of a message received into @buf. */
static inline void *pvl_payload(unsigned char *buf)
{
	return buf + sizeof(struct pvkitd_hdr);
}
/* Connect to @sockpath as a SEQPACKET client: fd or -errno (-ENOENT: nobody there). */
int pvl_connect(const char *sockpath);
/* The socket of domain @domid under @rundir. */
void pvl_sock_path(char *out, size_t size, const char *rundir, unsigned int domid);

/* local_gnt.c */
void *pvl_share_pages(struct pv_platform *p, pv_domid_t peer, unsigned int count,
                      pv_grant_ref_t *refs, int writable);
int pvl_unshare(struct pv_platform *p, void *addr, unsigned int count);
void *pvl_map(struct pv_platform *p, pv_domid_t domid, unsigned int count,
              const pv_grant_ref_t *refs, int writable);
int pvl_unmap(struct pv_platform *p, void *addr, unsigned int count);
void *pvl_dma_alloc(struct pv_platform *p, unsigned int count, uint64_t *gpa);
int pvl_dma_free(struct pv_platform *p, void *addr, unsigned int count);
int pvl_dma_phys(struct pv_platform *p, const void *addr, uint64_t *gpa);
int pvl_dma_mem_fd(struct pv_platform *p, uint64_t *bytes);
int pvl_foreign_mem_fd(struct pv_platform *p, pv_domid_t domid, uint64_t *bytes);
/* The memfd of (@domid, @gen): cached, or asked of pvkitd (the caller must pin one of its grants).
 */
struct pvl_peer *pvl_peer_mem(struct pvl_plat *l, pv_domid_t domid, uint64_t gen, int *err);
/*
 * Close the memfd of every peer nothing maps any more (l->lock held): a
 * peer's memory must not outlive its last mapping here, or a destroyed
 * guest's memory stays allocated for as long as the backend runs.
 */
void pvl_peer_trim(struct pvl_plat *l);
/* Pin @count grants (flags PVKITD_MAP_ALL: all or nothing), results in @res. Lock held. */
int pvl_pin_batch(struct pvl_plat *l, uint32_t flags, const struct pvkitd_map_item *items,
                  unsigned int count, struct pvkitd_map_res *res);
/* Drop pins by handle. Lock held. */
int pvl_send_unmap(struct pvl_plat *l, const uint32_t *handles, unsigned int n);

/* local_copy.c */
int pvl_copy(struct pv_platform *p, struct pv_gnt_copy_seg *segs, unsigned int count);

/* local_evtchn.c */
int pvl_evtchn_open(struct pv_platform *p, struct pv_evtchn *e);
void pvl_evtchn_close(struct pv_evtchn *e);
int pvl_evtchn_fd(struct pv_evtchn *e);
int pvl_alloc_unbound(struct pv_evtchn *e, pv_domid_t remote);
int pvl_bind_interdomain(struct pv_evtchn *e, pv_domid_t remote, pv_evtchn_port_t port);
int pvl_notify(struct pv_evtchn *e, pv_evtchn_port_t port);
int pvl_pending(struct pv_evtchn *e);
int pvl_unmask(struct pv_evtchn *e, pv_evtchn_port_t port);
int pvl_unbind(struct pv_evtchn *e, pv_evtchn_port_t port);

#endif

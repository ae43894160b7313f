/* SPDX-License-Identifier: MIT */
/*
 * A minimal blkfront for pvkit-blkback's integration test: it speaks only
 * the wire protocol (xenstore nodes, a granted ring, an event channel) and
 * can send any request, well-formed or hostile.
 */
#ifndef PVKIT_TESTS_BLKBACK_FRONT_H
#define PVKIT_TESTS_BLKBACK_FRONT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <xenstore.h>

#include "pvkit/local.h"
#include "pvkit/platform.h"
#include "pvkit/proto/blkif.h"
#include "pvkit/ring.h"

#define TF_DATA_PAGES 300 /* granted data pages per frontend */

struct tfront {
	struct pv_platform *plat; /* the guest's platform handle (shared) */
	struct xs_handle *xs;     /* the guest's xenstore connection (shared) */
	pv_domid_t domid;
	unsigned int devid;
	char fe[128], be[128];
	bool x86_32;
	unsigned int ring_order;
	bool persistent;
	unsigned int nq;          /* queues: 1 (default when 0) .. 4 */
	struct tqueue {
		void *ring;
		pv_grant_ref_t ring_refs[16];
		struct pv_ring_front front;
		struct pv_evtchn *ev;
		int port;
	} q[4];
	unsigned char *data;      /* TF_DATA_PAGES granted pages */
	pv_grant_ref_t data_refs[TF_DATA_PAGES];
	uint64_t next_id;
	uint64_t sectors;
};

/* Grant the data pages. 0 or -errno. */
int tf_init(struct tfront *f);
/* Wait for the backend's InitWait, grant a ring, write our nodes, go Connected. 0 or -errno. */
int tf_connect(struct tfront *f);
/* Go Closed (waiting for the backend to follow), release the ring, go Initialising. */
int tf_reconnect_prepare(struct tfront *f);
/* Backend state (0 when unreadable), and wait up to @ms for it to become @state. */
int tf_be_state(struct tfront *f);
bool tf_wait_be_state(struct tfront *f, int state, int ms);
/* Read a backend node as a string (malloc'ed) or NULL. */
char *tf_be_read(struct tfront *f, const char *key);

/*
 * Send one request: @op with @nsegs full-page segments starting at data
 * page @page, at @sector; returns the response status, or -100 when no
 * response came (or its id did not match).
 */
int tf_rw(struct tfront *f, uint8_t op, uint64_t sector, unsigned int nsegs, unsigned int page);
/* A request laid out by the caller (native x86_64 view; converted for x86_32). */
int tf_send(struct tfront *f, const struct pv_blkif_x86_64_request *req);
/* Publish @req on queue @qi and notify, without waiting. 0 or -errno. */
int tf_post(struct tfront *f, unsigned int qi, const struct pv_blkif_x86_64_request *req);
/* The request tf_rw() sends. */
struct pv_blkif_x86_64_request tf_req(struct tfront *f, uint8_t op, uint64_t sector,
				      unsigned int nsegs, unsigned int page);
/* The same on queue @qi. */
int tf_send_on(struct tfront *f, unsigned int qi, const struct pv_blkif_x86_64_request *req);
/* The address of data page @i. */
static inline unsigned char *tf_page(struct tfront *f, unsigned int i)
{
	return f->data + (size_t)i * 4096;
}

/* ---- blkback_env.c: the stage (pvkitd and pvkit-xenstored already running) ---- */

struct tenv {
	const char *rundir, *blkback_bin;
	pid_t blkback_pid;
	struct xs_handle *xs0;    /* the toolstack's (domain 0) */
	struct xs_handle *xsg;    /* the guest's */
	struct pv_platform *guest;
	struct pv_local *admin;
	pv_domid_t dom;
};

/* Create the guest domain, introduce it, open its platform and xenstore. 0 or -errno. */
int tenv_setup(struct tenv *e, const char *rundir, const char *blkback_bin);
/* Fork and exec pvkit-blkback (with --direct if @direct). */
void tenv_start_blkback(struct tenv *e, bool direct);
/* The toolstack's nodes of vbd f->devid (sets f->fe and f->be). */
void tenv_add_vbd(struct tenv *e, struct tfront *f, const char *image, bool rw,
		  const char *sector_size);
/* Stop the daemon, destroy the domain, close everything. */
void tenv_teardown(struct tenv *e);

#endif

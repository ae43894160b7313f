/* SPDX-License-Identifier: MIT */
/*
 * Private to the guest console frontend: its state, shared by the datapath
 * (consfront.c) and the xenstore/platform side (xenbus.c).
 */
#ifndef PVKIT_CONSFRONT_H
#define PVKIT_CONSFRONT_H

#include <stdint.h>
#include <sys/types.h>

#include "pvkit/console.h"
#include "pvkit/platform.h"

struct pv_xs;

struct pv_consfront {
	struct pv_platform *plat;
	struct pv_evtchn *evtchn;
	struct pv_xs *xs;
	int own_xs;               /* we opened xs and close it */
	pv_domid_t self, backend;
	void *page;               /* shared with the backend */
	pv_grant_ref_t ref;
	int port;                 /* our unbound-then-bound port, -1 none */
	struct pv_cons_ring out, in;
	int master_fd;
	int epfd;
	uint32_t master_events;   /* what master_fd is registered for */
	pid_t pid;                /* init, 0 once reaped */
	int status;               /* init's wait status */
	int eof;                  /* every slave fd closed: init and its children are gone */
	uint64_t eof_deadline_ns; /* give up waiting for the backend after this */
	unsigned int drain_ms;
	uint8_t pending[PV_CONS_IN_SIZE]; /* input taken from in[] the pty did not accept yet */
	size_t pending_off, pending_len;
};

/* xenbus.c: share the page, allocate the port, publish both; 0 or -errno. */
int consfront_connect(struct pv_consfront *f);
/* The backend closed its end: a new port, published. 0 or -errno. */
int consfront_reconnect(struct pv_consfront *f);
/* Notify the backend; reconnects when it is gone. */
void consfront_notify(struct pv_consfront *f);
void consfront_disconnect(struct pv_consfront *f);

#endif

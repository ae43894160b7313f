/* SPDX-License-Identifier: MIT */
/*
 * A minimal PCI frontend for testing pvkit-pciback at the protocol level
 * (proto/pciif.h), shared by tests/integration/pciback_hostile.c and
 * tests/vm/pciback_edu_test.c: make a domain as the toolstack does, then
 * as the guest share the op page, publish it, and post ops.
 */
#ifndef PVKIT_TEST_PCIBACK_FRONT_H
#define PVKIT_TEST_PCIBACK_FRONT_H

#include "pvkit/platform.h"
#include "pvkit/proto/pciif.h"
#include "pvkit/xenbus.h"

struct front {
	const char *rundir;
	pv_domid_t domid;
	struct pv_xs *xs0, *xs;     /* as domain 0 (the toolstack), as the guest */
	struct pv_platform *p;
	struct pv_evtchn *evt;
	pv_evtchn_port_t port;
	struct pv_pci_sharedinfo *sh;
	pv_grant_ref_t ref;
	char fe[96], be[96];
};

/* Print "ok - @what" or "not ok - @what"; failures are counted in front_failures. */
void check(int cond, const char *what);
extern int front_failures;

/* Domain @name (@mem bytes) created and introduced to xenstore, as pvkit create does. */
int front_make_domain(struct front *f, const char *name, uint64_t mem);
/* Its pci bus with one device @bdf, as the toolstack writes it (no libxl record). */
int front_write_bus(struct front *f, const char *bdf);
/* Wait up to 10 s for @dir/@node to read @want. */
int front_wait_state(struct pv_xs *xs, const char *dir, const char *node, int want);
/* As the guest: platform, the op page granted to domain 0, an unbound port. */
int front_guest_open(struct front *f);
/* Write pci-op-ref @ref, event-channel, magic @magic; go Initialised. */
void front_publish(struct front *f, pv_grant_ref_t ref, const char *magic);
/* Closed, then Initialising: 0 once the backend is back at Initialised. */
int front_restart(struct front *f);
/* Post @op, notify, wait up to 5 s for the answer (copied back). 0 or -ETIMEDOUT. */
int front_op(struct front *f, struct pv_pci_op *op);

#endif

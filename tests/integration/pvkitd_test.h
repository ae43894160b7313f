/* SPDX-License-Identifier: MIT */
/*
 * Shared state of pvkit-test-platform, the platform integration tests:
 * a granting side (this domain) and a mapping side (the peer domain).
 */
#ifndef PVKIT_TEST_PLATFORM_H
#define PVKIT_TEST_PLATFORM_H

#include <stdio.h>

#include "pvkit/local.h"
#include "pvkit/platform.h"

struct tctx {
	const char *platform; /* "local" or "xen" ($PVKIT_PLATFORM) */
	const char *rundir;
	int local; /* the local platform: pvkitd-only checks run too */
	pv_domid_t self, peer;
	struct pv_platform *g; /* as self: the granting side */
	struct pv_platform *m; /* as peer: the mapping side */
	struct pv_local *admin;
};

void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void skip(const char *what);
#define CHECK(cond, ...) check(!!(cond), __VA_ARGS__)

/* Open the platform as @domid (ignored by the xen platform). NULL on failure. */
struct pv_platform *open_as(struct tctx *t, pv_domid_t domid);

void test_grants(struct tctx *t);
void test_copy(struct tctx *t);
void test_evtchn(struct tctx *t);
void test_domains(struct tctx *t);
void test_hostile_clients(struct tctx *t);
void test_xenstore(struct tctx *t);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Per-device counters a backend publishes for `pvkit top`: one small mapped
 * file per device under <rundir>/stats/<class>-<domid>-<devid>. Frontends
 * that keep counters (netfront, echofront) publish theirs the same way
 * under the guest's directory, <rundir>/dom/<domid>/stats/.
 */
#ifndef PVKIT_STATS_H
#define PVKIT_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "pvkit/platform.h"

#define PV_STATS_MAGIC   0x53544b50u /* "PKTS" little-endian */
#define PV_STATS_VERSION 4u
#define PV_STATS_DIR     "stats"

/*
 * The file's layout. Counters only grow (inflight is a gauge); the writer
 * updates them with relaxed atomics, readers load them with relaxed atomics
 * and trust nothing beyond the checked magic, version and size.
 * bytes_in: written to the device (blk writes, net tx from the guest,
 * console input); bytes_out: read or delivered to the guest; spurious:
 * event-channel notifications that found no new work (XSA-332, XSA-391);
 * poll_hits / poll_misses: waits for the ring that polling ended (no
 * sleep, no notification) / poll windows that passed without work before
 * the thread slept (pvkit/busypoll.h; both 0 while polling is off or its
 * window is zero).
 * irqs: device interrupts delivered to the guest as events (pci: device
 * triggers the backend had not forwarded yet go as one event).
 * pci counts its ops in requests, those it refused also in errors.
 */
struct pv_stats_counters {
	uint32_t magic;
	uint32_t version;
	uint32_t size;   /* sizeof(struct pv_stats_counters) */
	uint32_t domid;  /* the frontend's domain */
	uint32_t devid;
	uint32_t pad;
	char cls[16];    /* "vbd", "vif", "console", "pci", "echo" */
	uint64_t requests;
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t errors;
	uint64_t drops;
	uint64_t inflight;
	uint64_t spurious;
	uint64_t poll_hits;
	uint64_t poll_misses;
	uint64_t irqs;
};

struct pv_stats {
	struct pv_stats_counters *c;
	char path[256];
};

/*
 * Create (or reset) <rundir>/stats/<cls>-<domid>-<devid> and map it.
 * Returns 0 or -errno; on failure *@out is NULL and the helpers below
 * accept NULL, so a backend serves its device without counters.
 */
int pv_stats_open(const char *rundir, const char *cls, pv_domid_t domid, uint32_t devid,
		  struct pv_stats **out);
/* Unmap and remove the file. NULL is a no-op. */
void pv_stats_close(struct pv_stats *s);

static inline void pv_stats_add(struct pv_stats *s, size_t field_off, uint64_t n)
{
	if (s)
		__atomic_fetch_add((uint64_t *)((char *)s->c + field_off), n, __ATOMIC_RELAXED);
}

static inline void pv_stats_sub(struct pv_stats *s, size_t field_off, uint64_t n)
{
	if (s)
		__atomic_fetch_sub((uint64_t *)((char *)s->c + field_off), n, __ATOMIC_RELAXED);
}

#define PV_STATS_ADD(s, field, n) pv_stats_add((s), offsetof(struct pv_stats_counters, field), (n))
#define PV_STATS_SUB(s, field, n) pv_stats_sub((s), offsetof(struct pv_stats_counters, field), (n))

/*
 * Read the file at @path into @out (a snapshot, counters loaded atomically).
 * Returns 0, or -EINVAL when it is not a stats file of this version, or -errno.
 */
int pv_stats_read(const char *path, struct pv_stats_counters *out);

#endif

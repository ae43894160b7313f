/* SPDX-License-Identifier: MIT */
/*
 * Shared by the parts of pvkit-nbd-probe: result reporting and the raw
 * hostile-client checks.
 */
#ifndef PVKIT_TESTS_NBD_PROBE_H
#define PVKIT_TESTS_NBD_PROBE_H

/* Print "ok - what" or "not ok - what" and count failures. */
void probe_result(int ok, const char *what);
/* Hostile clients against the server listening on @socket_path; returns 0 or 1. */
int probe_hostile(const char *socket_path);
/* @max clients connect, one more is refused, a freed slot is reused; returns 0 or 1. */
int probe_max_clients(const char *socket_path, int max);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * What the pvkit subcommands that act on the running host share: the run
 * directory, pid files, finding programs, pvkitd and xenstore connections
 * with clear "host not up" errors, finding a guest, and tearing one down.
 */
#ifndef PVKIT_TOOLS_TOOLSTACK_H
#define PVKIT_TOOLS_TOOLSTACK_H

#include <stddef.h>
#include <sys/types.h>

#include "domcfg.h"
#include "pvkit/local.h"
#include "pvkit/xenbus.h"

#define TS_PATH_MAX 4096

/* Per guest, under <rundir>/dom/<N>/: the runtime's pid and the config it runs. */
#define TS_RUNTIME_PID "runtime.pid"
#define TS_CONFIG_COPY "config.cfg"
/* Written by pvkit-guest when init ends: "poweroff" or "crash" (PV_GUEST_SHUTDOWN_FILE);
 * "destroyed" by the toolstack's teardown when the runtime had not written it. */
#define TS_SHUTDOWN_FILE "shutdown"
#define TS_GUEST_PROGRAM "pvkit-guest"

/* --rundir, else $PVKIT_RUNDIR, else /run/pvkit. */
const char *ts_rundir(void);
/* "<rundir>/<fmt...>" into @buf. Returns 0 or -ENAMETOOLONG. */
int ts_path(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The pid in file @path: > 0, or -errno (-ENOENT: no file, -EINVAL: garbage). */
pid_t ts_read_pid(const char *path);
/* Write @text to @path (replacing it). Returns 0 or -errno. */
int ts_write_file(const char *path, const char *text);
/* 1 when @pid exists and is not a zombie, else 0. */
int ts_pid_alive(pid_t pid);
/* 1 when @pid runs a program called @comm (/proc/<pid>/comm), else 0. */
int ts_pid_is(pid_t pid, const char *comm);
/* 1 when a UNIX socket (stream or seqpacket) at @path accepts a connection, else 0. */
int ts_socket_answers(const char *path);
/* Poll every 20 ms until @pid is gone: 0, or -ETIMEDOUT after @ms. */
int ts_wait_gone(pid_t pid, int ms);
/* Send @sig to @pid, wait up to @ms for it to go; then SIGKILL and wait. 0, or -errno. */
int ts_stop_pid(pid_t pid, int sig, int ms);

/*
 * Find program @name: $PVKIT_SBINDIR, next to the running pvkit, then the
 * install's sbin, libexec/pvkit and bin. Returns 0 with @buf, or -ENOENT.
 */
int ts_find_program(const char *name, char *buf, size_t len);

/*
 * Connect to pvkitd / domain 0's xenstore under the run directory. When the
 * host is not up, print "pvkit: the host is not up under DIR (start it
 * with: pvkit host up)" and return -ENOENT; other errors are printed too.
 */
int ts_admin_open(struct pv_local **out);
int ts_xs_open(struct pv_xs **out);
/* The "host is not up" line, for commands that find out some other way. */
void ts_print_host_not_up(void);

/*
 * Find the running (not dying) domain called @what, or numbered @what.
 * Fills @out. Prints "pvkit CMD: no guest called WHAT" and returns -ESRCH.
 */
int ts_find_domain(struct pv_local *l, const char *cmd, const char *what,
		   struct pv_local_domain_info *out);

/*
 * Has @domid's init ended (its runtime wrote TS_SHUTDOWN_FILE)? 1 or 0; the
 * way ("poweroff", "crash" or "destroyed") in @how when not NULL.
 */
int ts_guest_ended(pv_domid_t domid, char *how, size_t len);
/* Same, for the ways a guest ends by itself (poweroff, crash): not "destroyed". */
int ts_guest_preserved(pv_domid_t domid, char *how, size_t len);

/* The pid of @domid's guest runtime, checked to be one; or -ESRCH. */
pid_t ts_runtime_pid(pv_domid_t domid);

/*
 * Remove @path (modified in place) and then each parent it leaves empty, as
 * libxl's path cleanup does; never /local/domain/N or its device/. 0 or -errno.
 */
int ts_xs_rm_cleanup(struct pv_xs *xs, pv_xs_txn_t t, char *path);

/*
 * Tear domain @domid down: SIGKILL every process of the guest (its runtime,
 * init and what `pvkit exec` started there), destroy it in pvkitd, remove
 * /local/domain/<id>, its backend directories and /libxl/<id> (and the
 * parents they leave empty), wait for its death and forget what create
 * remembered. @xs NULL: xenstore is gone, no nodes to remove. Returns 0 or
 * -errno (each failure printed, the rest still done).
 */
int ts_domain_teardown(struct pv_local *l, struct pv_xs *xs, pv_domid_t domid);

/*
 * Write every node of @nodes with its permissions (owner, reader) in one
 * transaction, retried on conflicts. Returns 0 or -errno (printed as
 * "pvkit @cmd: ...").
 */
int ts_write_nodes(struct pv_xs *xs, const struct xsnodes *nodes, const char *cmd);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * pv_daemon: the skeleton a backend daemon is built on: the options every
 * pvkit daemon takes, SIGTERM/SIGINT through a signalfd, the platform and
 * xenstore connection, and one epoll loop that runs xenstore's watches
 * after each batch's other events and ends on a termination signal.
 *
 * A daemon's main(): pv_daemon_parse(), pv_daemon_init(), its own start
 * (pv_daemon_connect() for the usual platform and xenstore), its fds on
 * d.epfd with data.ptr of its choosing, pv_daemon_run(), its own stop,
 * pv_daemon_close(). Functions return 0 or -errno unless stated.
 * Threading: one struct pv_daemon per process, used by the main thread.
 */
#ifndef PVKIT_DAEMON_H
#define PVKIT_DAEMON_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "pvkit/platform.h"

struct pv_xs;
struct pv_daemon;

/* ---- what a daemon takes (struct pv_daemon_spec.flags) --------------------- */

#define PV_DAEMON_RUNDIR       (1u << 0) /* --rundir DIR */
#define PV_DAEMON_DOMID        (1u << 1) /* --domid N, as atoi() reads it */
#define PV_DAEMON_DOMID_STRICT (1u << 2) /* --domid N, a domid in decimal or bad usage */
#define PV_DAEMON_PLATFORM     (1u << 3) /* --platform NAME */
#define PV_DAEMON_LOG          (1u << 4) /* --log FILE: log lines appended to FILE too */
#define PV_DAEMON_SHORT_HELP   (1u << 5) /* -h as well as --help */
#define PV_DAEMON_SIGHUP       (1u << 6) /* SIGHUP stops the daemon as SIGTERM does */
#define PV_DAEMON_NO_SIGPIPE   (1u << 7) /* SIGPIPE ignored: a peer's closed socket is EPIPE */

/* A daemon's description; static and constant. */
struct pv_daemon_spec {
	/* The program's name: the log's ident and the prefix of usage errors. */
	const char *name;
	unsigned int flags; /* PV_DAEMON_* */
	/* --help's text (to stdout, exit 0); also to stderr on a bad option. */
	const char *usage;
	/*
	 * The daemon's own long options, after the common ones in getopt's
	 * table (--help last), terminated by a zeroed entry; NULL: none. Their
	 * values must be below 256 (the common options use 256 and above).
	 */
	const struct option *options;
	/* Called for each of @options given: 0, or -EINVAL for bad usage. */
	int (*option)(const struct pv_daemon *d, void *opaque, int val, const char *arg);
};

/* One daemon's state. */
struct pv_daemon {
	const struct pv_daemon_spec *spec;
	/* The common options, set by pv_daemon_parse(). */
	const char *rundir;   /* --rundir DIR; NULL when not given */
	const char *platform; /* --platform NAME; NULL: detect */
	const char *log;      /* --log FILE; NULL when not given */
	int domid;            /* --domid N, else $PVKIT_DOMID (atoi), else 0 */
	bool domid_set;       /* --domid was given */
	/* Set by pv_daemon_init(); -1 before. */
	int sigfd; /* the termination signals */
	int epfd;  /* the event loop: add the daemon's fds with data.ptr of its own */
	/* Set by pv_daemon_connect(): the loop runs its watches unless ops->xenstore. */
	struct pv_xs *xs;
};

/*
 * The usage lines of the common options, for spec->usage, so that every
 * daemon documents them alike.
 */
#define PV_DAEMON_USAGE_RUNDIR \
	"  --rundir DIR       pvkit's run directory (default $PVKIT_RUNDIR or /run/pvkit)\n"
#define PV_DAEMON_USAGE_DOMID \
	"  --domid N          the backend domain (default $PVKIT_DOMID or 0)\n"
#define PV_DAEMON_USAGE_PLATFORM "  --platform NAME    local or xen (default: detect)\n"
#define PV_DAEMON_USAGE_LOG      "  --log FILE         also append log lines to FILE\n"
#define PV_DAEMON_USAGE_HELP     "  -h, --help         show this help\n"
#define PV_DAEMON_USAGE_EXITS \
	"Exits 0 on SIGTERM, 1 when it cannot start or loses xenstore, 2 on bad usage.\n"

/* ---- start and stop --------------------------------------------------------- */

/*
 * Parse @argv by @spec into @d (every field set; @opaque goes to
 * spec->option). --help prints spec->usage to stdout and exits 0; an
 * unknown option prints it to stderr. Returns the index of the first
 * argument that is not an option (the daemon decides whether it takes
 * any), or -EINVAL for bad usage (the caller exits 2); an option whose
 * value is refused (spec->option, --domid) is named on stderr
 * ("<name>: --max-queues '0': bad value (see --help)"). Restarts getopt,
 * so it may be called again.
 */
int pv_daemon_parse(struct pv_daemon *d, const struct pv_daemon_spec *spec, int argc,
		    char **argv, void *opaque);

/*
 * Everything before the daemon's own start: the log's ident and --log's
 * file (a warning when it cannot be opened), the termination signals
 * blocked in every thread started afterwards and read through d->sigfd,
 * and d->epfd with d->sigfd on it. Logs what failed.
 */
int pv_daemon_init(struct pv_daemon *d);

/* The run directory: --rundir, else $PVKIT_RUNDIR, else /run/pvkit. */
const char *pv_daemon_rundir(const struct pv_daemon *d);

/*
 * The usual backend's connections, as domain d->domid: exports
 * $PVKIT_RUNDIR when --rundir was given (libraries and children read it),
 * opens the --platform platform into *@plat, and connects to xenstore into
 * *@xs and d->xs (on the local platform the socket of d->domid under
 * --rundir, else libxenstore's default). Logs what failed; nothing is left
 * open then.
 */
int pv_daemon_connect(struct pv_daemon *d, struct pv_platform **plat, struct pv_xs **xs);

/* Close d->epfd and d->sigfd (after the daemon took its own fds off). */
void pv_daemon_close(struct pv_daemon *d);

/* ---- the event loop ------------------------------------------------------------- */

struct pv_daemon_ops {
	/* An fd the daemon added to d->epfd with data.ptr @ptr is ready. */
	void (*event)(void *opaque, void *ptr, uint32_t events);
	/* Optional: after each batch's events, before xenstore's. */
	void (*batch_end)(void *opaque);
	/*
	 * Xenstore's fd is readable, or a second went by: run the watches.
	 * Called after the rest of the batch, since a watch may free a device
	 * whose event is still in it. The once a second is for a lost
	 * connection: libxenstore does not make its fd readable then, but
	 * pv_xs_dispatch() returns -ECONNRESET (no request sent). A negative
	 * return ends the loop with it; -ECONNRESET is logged ("xenstore
	 * connection lost"). NULL: up to 64 of d->xs's messages, and
	 * -ECONNRESET when xenstore has gone away.
	 */
	int (*xenstore)(void *opaque);
};

/*
 * Serve: @xs_fd (xenstore's connection) joins d->epfd, then each batch of
 * events goes to @ops until SIGTERM or SIGINT (or SIGHUP with
 * PV_DAEMON_SIGHUP) arrives. Returns 0 after such a signal, what
 * ops->xenstore returned when negative (-ECONNRESET: xenstore went away),
 * or -errno when epoll fails (logged). The daemon's main() exits 1 on a
 * negative return, so that a supervisor restarts it
 * (PV_DAEMON_USAGE_EXITS).
 */
int pv_daemon_run(struct pv_daemon *d, int xs_fd, const struct pv_daemon_ops *ops, void *opaque);

/* ---- helpers for a daemon's own options ---------------------------------------- */

/*
 * Read @s as a decimal number in 0..@max into *@out; -EINVAL when it is
 * not one (silent: pv_daemon_parse() names the option).
 */
int pv_daemon_number(const struct pv_daemon *d, const char *s, uint64_t max, uint64_t *out);

#endif

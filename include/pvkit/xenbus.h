/* SPDX-License-Identifier: MIT */
/*
 * xenbus: the xenstore client library every pvkit frontend and backend
 * uses (libxenstore underneath, on both platforms) and the XenbusState
 * handshake of include/pvkit/proto/xenbus.h for both halves of a device.
 *
 * Every function returns 0 (or a non-negative value where stated) or
 * -errno; -ECONNRESET once the connection to xenstored is lost (every
 * request after that fails at once, none blocks). Strings returned
 * through char ** are malloc()ed: free() them.
 * Threading: a struct pv_xs belongs to one thread at a time (watch
 * callbacks run in the thread that calls pv_xs_dispatch()).
 */
#ifndef PVKIT_XENBUS_H
#define PVKIT_XENBUS_H

#include <stdarg.h>
#include <stdint.h>

#include "pvkit/platform.h"
#include "pvkit/proto/xenbus.h"

struct pv_xs;
struct pv_xenbus_dev;

/* A transaction id; PV_XS_NO_TXN for a plain request. */
typedef uint32_t pv_xs_txn_t;
#define PV_XS_NO_TXN ((pv_xs_txn_t)0)

/* ---- connection ------------------------------------------------------------ */

/*
 * The xenstore socket a process acting as @domid uses on the local platform
 * under @rundir (NULL: $PVKIT_RUNDIR or /run/pvkit): <rundir>/xenstored.sock
 * for domain 0, <rundir>/dom/<domid>/xenstored.sock otherwise. Writes at
 * most @len bytes to @buf. Returns 0 or -ENAMETOOLONG.
 */
int pv_xs_local_path(char *buf, size_t len, const char *rundir, pv_domid_t domid);

/*
 * Connect to xenstore. @path is the daemon's socket; NULL means: keep
 * $XENSTORED_PATH when set, else on the local platform (no /dev/xen/privcmd)
 * derive it from $PVKIT_RUNDIR and $PVKIT_DOMID, else libxenstore's default
 * (the real xenstored or /dev/xen/xenbus). -ENOENT when nothing answers.
 */
int pv_xs_open(struct pv_xs **out, const char *path);
/* Disconnect; every watch registered through @xs is dropped. */
void pv_xs_close(struct pv_xs *xs);
/* The domid this connection acts as (read from xenstore "domid", 0 for dom0). */
pv_domid_t pv_xs_domid(struct pv_xs *xs);
/* The libxenstore handle, for calls this library does not wrap. */
struct xs_handle *pv_xs_handle(struct pv_xs *xs);

/* ---- nodes -------------------------------------------------------------------- */

/*
 * Read @dir/@node (@node may be NULL or "" for @dir itself) into a
 * malloc()ed, NUL-terminated *@val. -ENOENT when absent.
 */
int pv_xs_read(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *node, char **val);
/* Write @val to @dir/@node (creating parents). */
int pv_xs_write(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *node,
		const char *val);
/* printf() into @dir/@node. */
int pv_xs_printf(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *node,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/*
 * scanf() @dir/@node. Returns the number of items converted (>= 1), or
 * -ENOENT when absent, -EINVAL when nothing converted.
 */
int pv_xs_scanf(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *node,
		const char *fmt, ...) __attribute__((format(scanf, 5, 6)));
/*
 * Read an unsigned integer from @dir/@node: *@out = @def when absent;
 * -EINVAL when present but not a decimal number within 0..@max.
 */
int pv_xs_read_uint(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *node,
		    uint64_t max, uint64_t def, uint64_t *out);
/* Remove @dir/@node and everything under it. Absent is not an error. */
int pv_xs_rm(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *node);
/* Create @dir/@node as an empty node if absent. */
int pv_xs_mkdir(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *node);
/* 1 when @dir/@node exists, 0 when not, -errno on failure. */
int pv_xs_exists(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *node);
/*
 * List the children of @dir/@node: *@names is one malloc()ed block (free it
 * once). Returns the count, -ENOENT when absent.
 */
int pv_xs_directory(struct pv_xs *xs, pv_xs_txn_t t, const char *dir, const char *node,
		    char ***names);
/*
 * Set @path's permissions: owner @owner with @others_perm for everybody
 * else ('n', 'r', 'w' or 'b'), then each (@domids[i], @perms[i]) pair.
 */
int pv_xs_set_perms(struct pv_xs *xs, pv_xs_txn_t t, const char *path, pv_domid_t owner,
		    char others_perm, unsigned int count, const pv_domid_t *domids,
		    const char *perms);

/* ---- transactions -------------------------------------------------------------- */

/*
 * Run @fn inside a transaction and commit it; retry from the start when
 * the commit says EAGAIN (another writer won), at most @max_tries times
 * (0: 100). @fn returns 0 to commit or -errno to abort (returned as is).
 * Returns 0, @fn's error, -EAGAIN when every try conflicted, or -errno.
 */
typedef int (*pv_xs_txn_fn)(struct pv_xs *xs, pv_xs_txn_t t, void *opaque);
int pv_xs_transaction(struct pv_xs *xs, pv_xs_txn_fn fn, void *opaque, unsigned int max_tries);

/* ---- watches -------------------------------------------------------------------- */

/*
 * Called with the path that fired (the watched path or a child of it).
 * Watches fire once right after registration, as xenstored does.
 */
typedef void (*pv_xs_watch_fn)(struct pv_xs *xs, const char *path, void *opaque);

/*
 * Watch @path; @fn runs from pv_xs_dispatch(). Returns a watch id (> 0)
 * for pv_xs_unwatch(), or -errno.
 */
int pv_xs_watch(struct pv_xs *xs, const char *path, pv_xs_watch_fn fn, void *opaque);
/* Remove watch @id; no callback for it runs after this returns. */
int pv_xs_unwatch(struct pv_xs *xs, int id);
/*
 * The fd to poll for POLLIN when watch events are pending. Not when the
 * connection is lost: libxenstore then closes its socket without a word
 * on this fd, and only pv_xs_dispatch() tells (-ECONNRESET, no request
 * sent), so a long-running caller also dispatches on a timer
 * (pv_daemon_run() does once a second).
 */
int pv_xs_fd(struct pv_xs *xs);
/*
 * Run the callbacks of every queued watch event, at most @max (0: all that
 * are queued now) so a peer rewriting a node in a loop cannot hold the
 * caller here (XSA-349). Events queued back to back for the same watch and
 * path run the callback once, so such a peer cannot make our pending work
 * grow either. Returns the number of callbacks run or -errno
 * (-ECONNRESET: xenstore went away).
 */
int pv_xs_dispatch(struct pv_xs *xs, unsigned int max);

/* ---- the XenbusState handshake -------------------------------------------------- */

/*
 * One half of a device: its own directory and its peer's. A backend's own
 * directory is /local/domain/<B>/backend/<type>/<F>/<devid> and its peer
 * the frontend's /local/domain/<F>/device/<type>/<devid>; a frontend's are
 * the other way round (read from its "backend" and "backend-id" nodes).
 */
struct pv_xenbus_dev {
	struct pv_xs *xs;
	char *type;            /* "vbd", "vif", "console", ... */
	unsigned int devid;    /* the device's handle in its type */
	int is_backend;
	char *nodename;        /* our own directory */
	char *otherend;        /* the peer's directory */
	pv_domid_t otherend_id;
	enum pv_xenbus_state state;       /* what we last wrote */
	enum pv_xenbus_state otherend_state; /* what we last read of the peer */
	char prefix[48];       /* log prefix: "vbd-3-51712" */
	/* Called when the peer's state node changes (set before pv_xenbus_dev_start()). */
	void (*otherend_changed)(struct pv_xenbus_dev *dev, enum pv_xenbus_state state);
	void *opaque;          /* the driver's own per-device state */
	int watch_id;          /* private */
};

/*
 * What a frontend does with its backend's state (pvkit's frontends follow
 * Linux's and what libxl's device removal waits for):
 *   InitWait            set up (from Initialising, or from Closed: reconnect;
 *                       a restarted backend comes back this way)
 *   Connected           connect, once Initialised
 *   Closing, Closed     tear down, write Closed and stay Closed until the
 *                       backend is in InitWait again (never Initialising on
 *                       the backend's Closed: that would undo a removal)
 * The toolstack removes a device by writing the backend's state Closing,
 * waiting for the backend's Closed (which follows the frontend's), then
 * removing both directories.
 */

/*
 * Read the state node under @dir: a state value, or PV_XENBUS_STATE_UNKNOWN
 * when absent or malformed (a peer's garbage is Unknown, never an error).
 */
enum pv_xenbus_state pv_xenbus_read_state(struct pv_xs *xs, const char *dir);
/*
 * Write our state (skipped when unchanged). Done in a transaction that
 * first checks our directory still exists: once the toolstack removed the
 * device, nothing is recreated (-ENOENT), as Linux's xenbus does.
 */
int pv_xenbus_switch_state(struct pv_xenbus_dev *dev, enum pv_xenbus_state state);
/*
 * Report an error: log it, and write "<errnum> <message>" to our "error"
 * node as Linux's xenbus_dev_error does. @errnum is a positive errno.
 */
void pv_xenbus_dev_error(struct pv_xenbus_dev *dev, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* pv_xenbus_dev_error() then switch to Closing: the device is given up. */
void pv_xenbus_dev_fatal(struct pv_xenbus_dev *dev, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Build a backend device for <dir> = /local/domain/<self>/backend/<type>/<F>/<devid>:
 * reads "frontend" and "frontend-id" (validated: the frontend path must be
 * /local/domain/<F>/device/<type>/<devid>). -EINVAL for a malformed entry.
 */
int pv_xenbus_backend_dev_new(struct pv_xs *xs, const char *type, pv_domid_t frontend_id,
			      unsigned int devid, struct pv_xenbus_dev **out);
/*
 * Build a frontend device for /local/domain/<self>/device/<type>/<devid>:
 * reads "backend" and "backend-id". -ENOENT until the toolstack wrote them.
 */
int pv_xenbus_frontend_dev_new(struct pv_xs *xs, const char *type, unsigned int devid,
			       struct pv_xenbus_dev **out);
/* Watch the peer's state node; otherend_changed runs on each change. */
int pv_xenbus_dev_start(struct pv_xenbus_dev *dev);
/*
 * The end of a frontend driver's probe, @rc its own set-up's result. When
 * that is 0: our state Initialising (written even where an earlier run of
 * the guest left it so), then pv_xenbus_dev_start(). When either failed:
 * @release(dev->opaque) undoes the set-up and dev->opaque is NULL.
 * Returns @rc, else the start's result.
 */
int pv_xenbus_front_start(struct pv_xenbus_dev *dev, int rc, void (*release)(void *opaque));
/*
 * A frontend driver's remove: Closing when it had got as far as
 * Initialised, @release(dev->opaque) (the driver's own teardown and
 * free), Closed, dev->opaque NULL. Nothing when dev->opaque is NULL.
 */
void pv_xenbus_front_remove(struct pv_xenbus_dev *dev, void (*release)(void *opaque));
/* Stop watching and free @dev (does not touch xenstore). */
void pv_xenbus_dev_free(struct pv_xenbus_dev *dev);

/* ---- device discovery (both halves) ---------------------------------------------- */

/*
 * A bus of one device type seen from one side: a backend watches
 * /local/domain/<self>/backend/<type>, a frontend (the guest runtime)
 * /local/domain/<self>/device/<type>. probe runs for each device that
 * appears (return 0 to keep it, -errno to ignore it; it is retried on the
 * next change), remove for each device whose directory went away.
 */
struct pv_xenbus_bus_ops {
	int (*probe)(struct pv_xenbus_dev *dev, void *opaque);
	void (*remove)(struct pv_xenbus_dev *dev, void *opaque);
};

struct pv_xenbus_bus;

/* Start watching; existing devices are probed from the first dispatch. */
int pv_xenbus_bus_open(struct pv_xs *xs, const char *type, int is_backend,
		       const struct pv_xenbus_bus_ops *ops, void *opaque,
		       struct pv_xenbus_bus **out);
/* Remove (calling ops->remove for) every device, stop watching, free. */
void pv_xenbus_bus_close(struct pv_xenbus_bus *bus);
/* Rescan now (normally done by the watch). */
int pv_xenbus_bus_scan(struct pv_xenbus_bus *bus);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The console: the byte-ring datapath both halves share (Xen's console page,
 * io/console.h semantics), the guest-side frontend and the attach client.
 */
#ifndef PVKIT_CONSOLE_H
#define PVKIT_CONSOLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * ---- the console page ----------------------------------------------------
 *
 * One 4096-byte page holds two byte rings (Xen's struct xencons_interface):
 *
 *   offset  size  field
 *   0       1024  in[]      host -> guest (keyboard input)
 *   1024    2048  out[]     guest -> host (console output)
 *   3072    4     in_cons   advanced by the guest
 *   3076    4     in_prod   advanced by the host
 *   3080    4     out_cons  advanced by the host
 *   3084    4     out_prod  advanced by the guest
 *
 * Indices are free-running 32-bit counters; byte i of a ring sits at
 * ring[i & (size - 1)]. A producer more than the ring size ahead of its
 * consumer is a protocol error.
 *
 * struct pv_cons_ring is one direction seen from one side. The index this
 * side owns is kept privately (@own) and only published to the page, so a
 * peer scribbling on it cannot make us re-read or skip bytes; the peer's
 * index is read once per call and bounded before use.
 */
struct pv_cons_ring {
	volatile uint8_t *buf;      /* the ring bytes inside the shared page */
	uint32_t size;              /* 1024 or 2048, a power of two */
	volatile uint32_t *own_p;   /* the index we advance, in the page */
	volatile uint32_t *peer_p;  /* the index the peer advances, in the page */
	uint32_t own;               /* our private copy of *own_p */
	int reader;                 /* 1: we consume (own = cons), 0: we produce */
};

#define PV_CONS_IN_SIZE  1024u /* = PV_XENCONS_IN_SIZE (proto/console.h) */
#define PV_CONS_OUT_SIZE 2048u /* = PV_XENCONS_OUT_SIZE */

/*
 * Set up the host's (backend's) view of @page: @out reads out[], @in writes
 * in[]. The private indices start from the values in the page, so a
 * restarted backend resumes exactly where its predecessor stopped.
 */
void pv_cons_ring_init_back(struct pv_cons_ring *out, struct pv_cons_ring *in, void *page);
/* The guest's (frontend's) view: @out writes out[], @in reads in[]. */
void pv_cons_ring_init_front(struct pv_cons_ring *out, struct pv_cons_ring *in, void *page);

/*
 * Bytes readable (reader) or free space (writer) right now, or -EPROTO when
 * the peer's index is more than the ring size away from ours.
 */
ssize_t pv_cons_ring_avail(const struct pv_cons_ring *r);

/*
 * Copy up to @len bytes out of a reader ring into @dst and publish the new
 * consumer index. Returns the number of bytes copied (0: ring empty) or
 * -EPROTO (hostile producer index; nothing is consumed) or -EINVAL (wrong
 * direction). Single-threaded per ring.
 */
ssize_t pv_cons_ring_read(struct pv_cons_ring *r, void *dst, size_t len);

/*
 * Copy up to @len bytes from @src into a writer ring and publish the new
 * producer index. Returns the number of bytes written (0: ring full),
 * -EPROTO (hostile consumer index) or -EINVAL.
 */
ssize_t pv_cons_ring_write(struct pv_cons_ring *r, const void *src, size_t len);

/*
 * ---- the guest console frontend (frontends/console/) ----------------------
 *
 * Runs inside a guest (a domain's runtime). It owns a pty pair, runs the
 * guest's init command on the pty's slave as its controlling terminal
 * (setsid + TIOCSCTTY: job control, Ctrl-C, window size work), shares one
 * console page with the backend, allocates an event channel, and writes
 * /local/domain/<self>/console/{ring-ref,port}. Bytes move both ways in
 * order; nothing is dropped: a full ring stops the frontend reading the
 * pty, so the guest's writers block like on any slow terminal.
 *
 * Window size: set once from @opts (rows, cols); the console protocol has
 * no resize message, so resizing the attached terminal does not reach the
 * guest (as with `xl console`; `stty rows R cols C` inside the guest works).
 *
 * Xenstore: the toolstack must have created /local/domain/<self>/console/
 * writable by the guest. The frontend rewrites "port" when the backend
 * closed its end (e.g. pvkit-consoled restarted), so the backend rebinds.
 */
struct pv_platform;
struct pv_xs;
struct pv_consfront;

struct pv_consfront_opts {
	struct pv_platform *platform; /* the guest's platform connection (required) */
	struct pv_xs *xs;             /* the guest's xenstore connection (pvkit/xenbus.h),
				       * used from the caller's thread; NULL: open one */
	uint16_t backend;             /* backend domain (default 0) */
	char *const *argv;            /* init command, argv[0] searched in PATH; NULL: /bin/sh */
	unsigned short rows, cols;    /* initial window size (0: 24 x 80) */
	unsigned int drain_ms;        /* after init exits, wait this long for the backend
				       * to take the remaining output (0: 2000) */
};

/*
 * Start the console: pty, init command, page, event channel, xenstore
 * nodes. Without @opts->xs it connects with pv_xs_open(NULL) ($XENSTORED_PATH,
 * or <$PVKIT_RUNDIR>/dom/<$PVKIT_DOMID>/xenstored.sock). Returns 0 and
 * *@out, or -errno. The caller's signal mask is not inherited by init.
 */
int pv_consfront_start(struct pv_consfront **out, const struct pv_consfront_opts *opts);
/* An fd to poll for POLLIN: pv_consfront_step() has work. */
int pv_consfront_fd(struct pv_consfront *f);
/* The init command's pid. */
pid_t pv_consfront_pid(struct pv_consfront *f);
/*
 * Move bytes both ways, waiting up to @timeout_ms (-1: forever) for work.
 * Returns 1 while the console runs, 0 once init has exited and its output
 * was taken by the backend (or drain_ms passed), -errno on a fatal error
 * (-EPROTO: the backend's indices are hostile).
 */
int pv_consfront_step(struct pv_consfront *f, int timeout_ms);
/*
 * pv_consfront_step() until it returns <= 0; returns init's wait status (0 if the
 * caller reaped init itself) or -errno.
 */
int pv_consfront_run(struct pv_consfront *f);
/* Hang up init if still running, release the page and the channel, free @f. */
void pv_consfront_stop(struct pv_consfront *f);

/*
 * ---- attach (pvkit console) -------------------------------------------------
 *
 * Attach the caller's terminal (stdin/stdout) to the console pty at
 * @pty_path (the symlink <rundir>/console/<domid>.pty is fine): raw mode,
 * bytes both ways, until @escape_char (0: Ctrl-], 0x1d) is typed or the
 * pty goes away; the terminal's settings are restored on every exit path.
 * A second attach to the same console is refused with -EBUSY (an flock on
 * the pty, released when the first client exits, even by SIGKILL).
 * Returns 0 after a detach, -errno on failure.
 */
#define PV_CONSOLE_ESCAPE 0x1d
int pv_console_attach(const char *pty_path, int escape_char);

/*
 * Print a console log (`pvkit console --log`): the rotated files
 * @log_path.N .. @log_path.1, oldest first, then @log_path, to @out_fd.
 * Returns 0 or -errno.
 */
int pv_console_print_log(const char *log_path, int out_fd);

#endif

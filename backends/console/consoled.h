/* SPDX-License-Identifier: MIT */
/*
 * Private to pvkit-consoled: the bounded buffers, the guest log files, the
 * rate limiter, and the per-console state the event loop drives.
 */
#ifndef PVKIT_CONSOLED_H
#define PVKIT_CONSOLED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pvkit/stats.h"
#include "pvkit/console.h"
#include "pvkit/platform.h"

/* ---- buffer.c: bounded byte FIFO ------------------------------------------ */

/*
 * A byte FIFO of at most @cap bytes. Pushing into a full FIFO drops the
 * oldest unread bytes and counts them; the next reader first gets one
 * marker line "\r\n[pvkit-consoled: N bytes dropped]\r\n", then the data
 * that survived. Memory is allocated once, at init.
 */
struct cons_fifo {
	uint8_t *data;
	size_t cap;
	size_t head;            /* index of the oldest byte */
	size_t len;             /* bytes held */
	uint64_t dropped;       /* dropped since the last marker was started */
	uint64_t dropped_total; /* for statistics */
	char marker[80];
	size_t marker_len;      /* marker bytes still to hand out */
	size_t marker_off;
};

#define CONS_MARKER_FMT "\r\n[pvkit-consoled: %llu bytes dropped]\r\n"

int fifo_init(struct cons_fifo *f, size_t cap);
void fifo_free(struct cons_fifo *f);
/* Append @n bytes, dropping the oldest (possibly from @src itself) beyond cap. */
void fifo_push(struct cons_fifo *f, const void *src, size_t n);
/* Point *@p at the next contiguous readable bytes (the marker first); returns their count. */
size_t fifo_peek(struct cons_fifo *f, const uint8_t **p);
/* Mark @n bytes returned by fifo_peek() as read. */
void fifo_consume(struct cons_fifo *f, size_t n);
/* Bytes a reader would get (marker included). */
size_t fifo_readable(const struct cons_fifo *f);

/* ---- buffer.c: token bucket ------------------------------------------------ */

/*
 * @rate bytes per second, at most @burst saved up; rate 0 = unlimited.
 * Time is passed in by the caller (CLOCK_MONOTONIC ns) so tests control it.
 */
struct cons_bucket {
	uint64_t rate;
	uint64_t burst;
	uint64_t tokens;
	uint64_t last_ns;
};

void bucket_init(struct cons_bucket *b, uint64_t rate, uint64_t burst, uint64_t now_ns);
/* Take up to @want tokens; returns how many were granted. */
size_t bucket_take(struct cons_bucket *b, size_t want, uint64_t now_ns);
/* Nanoseconds until min(burst, 4096) tokens are available (0: now). */
uint64_t bucket_wait_ns(const struct cons_bucket *b, uint64_t now_ns);
uint64_t cons_now_ns(void);

/* ---- logfile.c: per-guest log ------------------------------------------------ */

struct cons_log {
	int fd;                 /* -1: logging off or failed */
	char *path;
	off_t size;             /* bytes in the current file */
	off_t cap;              /* rotate when the file reaches this (0: never) */
	unsigned int keep;      /* rotated files kept: path.1 .. path.keep */
	int timestamps;         /* prefix each line with [YYYY-mm-dd HH:MM:SS] */
	int at_line_start;
};

/* Open (append) @path. Returns 0 or -errno; on failure the log stays off. */
int log_open(struct cons_log *l, const char *path, off_t cap, unsigned int keep, int timestamps);
/* Write @n bytes, rotating as needed. Returns 0 or -errno (the log is then closed). */
int log_write(struct cons_log *l, const void *buf, size_t n);
void log_close(struct cons_log *l);

/* ---- consoled.c: one guest console ------------------------------------------ */

/* Tunables for every console, from the command line. */
struct cons_cfg {
	size_t staging_cap;     /* guest output not yet logged (bounded, drop oldest) */
	size_t pty_cap;         /* output not yet read from the pty (bounded, drop oldest) */
	uint64_t rate;          /* bytes per second logged and shown; 0: unlimited */
	uint64_t burst;         /* token bucket depth */
	off_t log_cap;          /* per-guest log size before rotation; 0: no cap */
	unsigned int log_keep;  /* rotated log files kept */
	int log_timestamps;
	int log_off;            /* no guest logs */
};

/*
 * One guest console. Output: ring out[] -> staging (always drained, so the
 * guest never waits on us) -> token bucket -> log file and pty queue ->
 * pty master. Input: pty master -> ring in[] (stop reading the pty while
 * in[] is full: back-pressure, nothing dropped).
 */
struct console {
	int domid;
	int devid;                /* 0: the domain's console; N: its device/console/N */
	char prefix[32];          /* "console-<domid>[.<devid>]" for log lines */
	void *page;               /* the mapped console page, NULL while not connected */
	struct pv_cons_ring out, in;
	int master_fd;            /* pty master, non-blocking */
	int slave_fd;             /* kept open so the master never sees a hangup */
	char pty_path[64];        /* /dev/pts/N */
	char *link;               /* stable symlink to pty_path, may be NULL */
	struct cons_fifo staging;
	struct cons_fifo pty_q;
	uint64_t pty_written;     /* bytes written to the master since the last discard */
	struct cons_log log;
	struct cons_bucket bucket;
	int input_full;           /* in[] was full: master not being read */
	int broken;               /* protocol error: disconnected until reconnect */
	/* Called after we move ring indices; the binding notifies the guest. */
	void (*notify)(struct console *c);
	void *binding;            /* the xenbus/platform state (xenbus.c) */
	struct pv_stats *stats;   /* for pvkit top; NULL if not published */
	uint64_t drops_published; /* dropped bytes already added to stats */
	struct console *next;
};

/*
 * Create console @domid: a pty (raw, non-blocking master), the symlink
 * @link (may be NULL), the log @log_path (may be NULL). Returns 0 or -errno.
 */
int console_create(struct console **out, int domid, const char *link, const char *log_path,
		   const struct cons_cfg *cfg);
/* Flush what is buffered to the log, remove the symlink, free everything. */
void console_destroy(struct console *c);
/* Connect the mapped console page @page (NULL disconnects). */
void console_set_page(struct console *c, void *page);
/*
 * The guest notified us: drain out[] into staging, move pending input into
 * in[]. Returns 0, or -EPROTO when the guest's indices are hostile (the
 * console is then marked broken and disconnected; the caller unmaps).
 */
int console_ring_event(struct console *c);
/* The pty master is readable: move input into in[]. 0 or -EPROTO. */
int console_pty_input(struct console *c);
/*
 * Move staging -> log + pty queue as the bucket allows, then the pty queue
 * -> master until it would block. Returns a mask of CONS_WANT_*.
 */
#define CONS_WANT_WRITE 1 /* pty queue not empty: poll the master for POLLOUT */
#define CONS_WANT_TIMER 2 /* throttled: call again after bucket_wait_ns() */
int console_pump(struct console *c, uint64_t now_ns);
/* Pump until staging is empty, ignoring the rate (shutdown: keep what was read). */
void console_flush_log(struct console *c);

/* ---- the daemon (main.c) and its xenstore/platform side (xenbus.c) ---------- */

struct pv_xs;

/* A domain whose console/ directory we watch. */
struct cons_dom_watch {
	int domid;
	int id;                   /* pv_xs_watch() id */
	struct cons_dom_watch *next;
};

struct consoled {
	const char *rundir;
	const char *linkdir;      /* <rundir>/console: one symlink per guest console */
	const char *logdir;       /* guest logs: <logdir>/dom<N>.log */
	struct cons_cfg cfg;
	struct pv_platform *plat;
	struct pv_evtchn *evtchn; /* one handle for every console's port */
	struct pv_xs *xs;
	struct pv_xenbus_bus *bus; /* backend/console: the secondary consoles (devices.c) */
	struct cons_dom_watch *watches;
	int epfd;
	int timerfd;              /* armed while some console is rate limited */
	struct console *consoles;
};

/* Per-console binding to its guest: the mapped page and the event channel. */
struct cons_binding {
	struct consoled *d;
	pv_grant_ref_t ref;
	pv_evtchn_port_t remote_port;
	int local_port;           /* -1 while not bound */
	int peer_gone;            /* notify said the guest closed its end */
	struct pv_xenbus_dev *xdev; /* a secondary console's xenbus device, else NULL */
	uint32_t ep_events;       /* what the master fd is registered for */
	int registered;
};

struct pv_xenbus_dev;
struct pv_xenbus_bus;

/* xenbus.c */
/* A new console of @domid (@devid 0: its primary one) with its pty, link and log. */
int xb_console_new(struct consoled *d, int domid, int devid, struct console **out);
/* Map @ref and bind @port of @c's guest, then serve the ring. 0 or -errno. */
int xb_console_connect(struct consoled *d, struct console *c, uint32_t ref, uint32_t port);
/* Disconnect, unlink and free @c. */
void xb_console_destroy(struct consoled *d, struct console *c);
/* Connect to xenstore at @path (NULL: the xenbus library's default) and watch domains. */
int xb_open(struct consoled *d, const char *path);
void xb_close(struct consoled *d);
int xb_fd(struct consoled *d);
/* Look at every domain in xenstore: new ones are watched, gone ones destroyed. */
void xb_scan(struct consoled *d);
/* The xenstore fd is readable: handle queued watch events. 0, or -errno when xenstore is gone. */
int xb_handle_watches(struct consoled *d);
/* An event on @port: drive its console; a hostile guest is disconnected. */
void xb_handle_port(struct consoled *d, int port);
/* Unmap and unbind @c (it stays, with its pty and log, until its domain goes). */
void xb_disconnect(struct consoled *d, struct console *c);

/* devices.c: serve backend/console/<F>/<N> as a xenbus backend (0 or -errno). */
int dev_open(struct consoled *d);
void dev_close(struct consoled *d);

/* main.c: re-register @c's master fd for what it needs now, arm the timer. */
void consoled_update(struct consoled *d, struct console *c, int want);

#endif

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

#endif

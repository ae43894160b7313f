/* SPDX-License-Identifier: MIT */
/*
 * pvkit-consoled's per-guest log files: append, optional per-line
 * timestamps, and a size cap with rotation to path.1 .. path.<keep>.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pvkit/log.h"
#include "consoled.h"

static int log_reopen(struct cons_log *l)
{
	struct stat st;

	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (l->fd < 0)
		return -errno;
	l->size = fstat(l->fd, &st) == 0 ? st.st_size : 0;
	return 0;
}

int log_open(struct cons_log *l, const char *path, off_t cap, unsigned int keep, int timestamps)
{
	int rc;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->cap = cap;
	l->keep = keep;
	l->timestamps = timestamps;
	l->at_line_start = 1;
	l->path = strdup(path);
	if (!l->path)
		return -ENOMEM;
	rc = log_reopen(l);
	if (rc < 0) {
		pv_err_errno(rc, "cannot open console log %s", path);
		free(l->path);
		l->path = NULL;
	}
	return rc;
}

void log_close(struct cons_log *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	free(l->path);
	l->path = NULL;
}

/* path.<keep-1> -> path.<keep>, ..., path -> path.1; keep 0 truncates. */
static int log_rotate(struct cons_log *l)
{
	size_t len = strlen(l->path) + 16;
	char from[len], to[len];

	close(l->fd);
	l->fd = -1;
	if (!l->keep) {
		if (truncate(l->path, 0) < 0 && errno != ENOENT)
			return -errno;
		return log_reopen(l);
	}
	for (unsigned int i = l->keep; i > 1; i--) {
		snprintf(from, len, "%s.%u", l->path, i - 1);
		snprintf(to, len, "%s.%u", l->path, i);
		if (rename(from, to) < 0 && errno != ENOENT)
			return -errno;
	}
	snprintf(to, len, "%s.1", l->path);
	if (rename(l->path, to) < 0 && errno != ENOENT)
		return -errno;
	return log_reopen(l);
}

static int write_all(struct cons_log *l, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(l->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
		l->size += w;
	}
	return 0;
}

static int write_stamp(struct cons_log *l)
{
	char stamp[40];
	time_t now = time(NULL);
	struct tm tm;
	size_t n;

	localtime_r(&now, &tm);
	n = strftime(stamp, sizeof(stamp), "[%Y-%m-%d %H:%M:%S] ", &tm);
	return write_all(l, stamp, n);
}

/* Write up to one line (or the room left before the cap); returns bytes taken. */
static ssize_t log_chunk(struct cons_log *l, const char *p, size_t n)
{
	size_t take = n;
	const char *nl;
	int rc;

	if (l->cap && l->size >= l->cap) {
		rc = log_rotate(l);
		if (rc < 0)
			return rc;
	}
	if (l->cap && (off_t)take > l->cap - l->size)
		take = (size_t)(l->cap - l->size);
	if (l->timestamps) {
		nl = memchr(p, '\n', take);
		if (nl)
			take = (size_t)(nl - p) + 1;
		if (l->at_line_start && (rc = write_stamp(l)) < 0)
			return rc;
		l->at_line_start = p[take - 1] == '\n';
	}
	rc = write_all(l, p, take);
	return rc < 0 ? rc : (ssize_t)take;
}

int log_write(struct cons_log *l, const void *buf, size_t n)
{
	const char *p = buf;

	if (l->fd < 0)
		return 0;
	while (n) {
		ssize_t done = log_chunk(l, p, n);

		if (done < 0) {
			pv_err_errno(done, "console log %s: write failed, logging stops", l->path);
			if (l->fd >= 0)
				close(l->fd);
			l->fd = -1;
			return (int)done;
		}
		p += done;
		n -= (size_t)done;
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * pvkit-consoled's datapath for one guest console: the console page's rings,
 * the pty, the log, bounded buffers and the rate limit. No I/O here blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "pvkit/log.h"
#include "consoled.h"

/* Guest output moved per event: 4 rings' worth, so one guest cannot hog the loop. */
#define CONS_DRAIN_PER_EVENT (4 * PV_CONS_OUT_SIZE)

static int pty_open(struct console *c)
{
	struct termios t;
	int rc;

	c->master_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (c->master_fd < 0)
		return -errno;
	if (grantpt(c->master_fd) < 0 || unlockpt(c->master_fd) < 0 ||
	    ptsname_r(c->master_fd, c->pty_path, sizeof(c->pty_path)) != 0)
		return -errno;
	c->slave_fd = open(c->pty_path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (c->slave_fd < 0)
		return -errno;
	/* Raw: no echo of guest output back to us, no line editing, 8 bits clean. */
	if (tcgetattr(c->slave_fd, &t) < 0)
		return -errno;
	cfmakeraw(&t);
	rc = tcsetattr(c->slave_fd, TCSANOW, &t);
	return rc < 0 ? -errno : 0;
}

/* Point @link at the pty, atomically replacing a stale link from a previous run. */
static int link_pty(struct console *c, const char *link)
{
	size_t len = strlen(link) + 8;
	char tmp[len];

	snprintf(tmp, len, "%s.new", link);
	unlink(tmp);
	if (symlink(c->pty_path, tmp) < 0)
		return -errno;
	if (rename(tmp, link) < 0) {
		int rc = -errno;

		unlink(tmp);
		return rc;
	}
	c->link = strdup(link);
	return c->link ? 0 : -ENOMEM;
}

static int console_init(struct console *c, const char *link, const char *log_path,
			const struct cons_cfg *cfg)
{
	int rc;

	rc = fifo_init(&c->staging, cfg->staging_cap);
	if (rc == 0)
		rc = fifo_init(&c->pty_q, cfg->pty_cap);
	if (rc < 0)
		return rc;
	bucket_init(&c->bucket, cfg->rate, cfg->burst, cons_now_ns());
	rc = pty_open(c);
	if (rc < 0) {
		pv_dev_err(c->prefix, "cannot create a pty: %s", strerror(-rc));
		return rc;
	}
	if (link && (rc = link_pty(c, link)) < 0) {
		pv_dev_err(c->prefix, "cannot link %s to %s: %s", link, c->pty_path, strerror(-rc));
		return rc;
	}
	/* A guest log that cannot be opened is reported, not fatal. */
	if (log_path && !cfg->log_off)
		log_open(&c->log, log_path, cfg->log_cap, cfg->log_keep, cfg->log_timestamps);
	return 0;
}

int console_create(struct console **out, int domid, const char *link, const char *log_path,
		   const struct cons_cfg *cfg)
{
	struct console *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	c->domid = domid;
	c->master_fd = c->slave_fd = c->log.fd = -1;
	snprintf(c->prefix, sizeof(c->prefix), "console-%d", domid);
	rc = console_init(c, link, log_path, cfg);
	if (rc < 0) {
		console_destroy(c);
		return rc;
	}
	*out = c;
	return 0;
}

void console_destroy(struct console *c)
{
	if (!c)
		return;
	console_flush_log(c);
	log_close(&c->log);
	if (c->link) {
		unlink(c->link);
		free(c->link);
	}
	if (c->slave_fd >= 0)
		close(c->slave_fd);
	if (c->master_fd >= 0)
		close(c->master_fd);
	fifo_free(&c->staging);
	fifo_free(&c->pty_q);
	pv_stats_close(c->stats);
	free(c);
}

void console_set_page(struct console *c, void *page)
{
	c->page = page;
	c->input_full = 0;
	if (page) {
		c->broken = 0;
		pv_cons_ring_init_back(&c->out, &c->in, page);
	}
}

/* Tell the user, the log and the daemon's log; the caller unmaps. */
static int protocol_error(struct console *c, const char *ring)
{
	static const char note[] = "\r\n[pvkit-consoled: console closed: protocol error]\r\n";

	pv_dev_err(c->prefix, "protocol error: %s ring index out of range; console closed", ring);
	fifo_push(&c->staging, note, sizeof(note) - 1);
	c->broken = 1;
	return -EPROTO;
}

int console_ring_event(struct console *c)
{
	uint8_t buf[PV_CONS_OUT_SIZE];
	size_t moved = 0;

	if (!c->page || c->broken)
		return 0;
	while (moved < CONS_DRAIN_PER_EVENT) {
		ssize_t n = pv_cons_ring_read(&c->out, buf, sizeof(buf));

		if (n < 0)
			return protocol_error(c, "output");
		if (n == 0)
			break;
		fifo_push(&c->staging, buf, (size_t)n);
		PV_STATS_ADD(c->stats, bytes_in, (uint64_t)n);
		moved += (size_t)n;
	}
	if (moved && c->notify)
		c->notify(c);
	/* The guest may have consumed input: resume reading the pty. */
	if (c->input_full)
		return console_pty_input(c);
	return 0;
}

int console_pty_input(struct console *c)
{
	uint8_t buf[PV_CONS_IN_SIZE];
	ssize_t space, n;

	if (!c->page || c->broken)
		return 0;
	space = pv_cons_ring_avail(&c->in);
	if (space < 0)
		return protocol_error(c, "input");
	c->input_full = space == 0;
	if (!space)
		return 0;
	n = read(c->master_fd, buf, (size_t)space);
	if (n <= 0)
		return 0; /* EAGAIN, or EIO while no one has the pty open */
	/* Cannot fail: space was checked and we are the only producer. */
	if (pv_cons_ring_write(&c->in, buf, (size_t)n) < 0)
		return protocol_error(c, "input");
	PV_STATS_ADD(c->stats, bytes_out, (uint64_t)n);
	if (c->notify)
		c->notify(c);
	return 0;
}

/* Staging -> log and pty queue, as far as the rate allows. */
static int pump_staging(struct console *c, uint64_t now_ns, int unlimited)
{
	const uint8_t *p;
	size_t n, ok;

	while ((n = fifo_peek(&c->staging, &p)) > 0) {
		ok = unlimited ? n : bucket_take(&c->bucket, n, now_ns);
		if (!ok)
			return CONS_WANT_TIMER;
		log_write(&c->log, p, ok);
		fifo_push(&c->pty_q, p, ok);
		fifo_consume(&c->staging, ok);
	}
	return 0;
}

/*
 * Nobody drains the pty: discard what the kernel holds (the oldest unread
 * bytes) so the pty always shows the newest output, and count it as
 * dropped. FIONREAD sees only the line discipline's buffer, not bytes the
 * kernel is still moving into it; then what we wrote since the last
 * discard is the best count (exact when no one reads at all).
 */
static void pty_discard_unread(struct console *c)
{
	int queued = 0;
	uint64_t lost;

	if (ioctl(c->slave_fd, FIONREAD, &queued) < 0)
		queued = 0;
	lost = queued > 0 ? (uint64_t)queued : c->pty_written;
	c->pty_q.dropped += lost;
	c->pty_q.dropped_total += lost;
	c->pty_written = 0;
	tcflush(c->slave_fd, TCIFLUSH);
}

/* Pty queue -> master until the kernel would block. */
static int pump_pty(struct console *c)
{
	const uint8_t *p;
	size_t n;
	int flushed = 0;

	while ((n = fifo_peek(&c->pty_q, &p)) > 0) {
		ssize_t w = write(c->master_fd, p, n);

		if (w > 0) {
			fifo_consume(&c->pty_q, (size_t)w);
			c->pty_written += (uint64_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN && !flushed) {
			pty_discard_unread(c);
			flushed = 1;
			continue;
		}
		return w < 0 && errno == EAGAIN ? CONS_WANT_WRITE : 0;
	}
	return 0;
}

int console_pump(struct console *c, uint64_t now_ns)
{
	int want = pump_staging(c, now_ns, 0);
	uint64_t dropped;

	want |= pump_pty(c);
	dropped = c->staging.dropped_total + c->pty_q.dropped_total;
	PV_STATS_ADD(c->stats, drops, dropped - c->drops_published);
	c->drops_published = dropped;
	return want;
}

void console_flush_log(struct console *c)
{
	if (c->staging.data && c->pty_q.data)
		pump_staging(c, 0, 1);
}

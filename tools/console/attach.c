/* SPDX-License-Identifier: MIT */
/*
 * pv_console_attach(): the caller's terminal on a guest console pty, like
 * `xl console` (raw mode, Ctrl-] detaches), and pv_console_print_log().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <termios.h>
#include <unistd.h>

#include "pvkit/console.h"
#include "pvkit/log.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};

			poll(&pfd, 1, 100);
			continue;
		}
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Keystrokes for the console; the pty may be slow, so they wait in a small buffer. */
struct keys {
	char buf[4096];
	size_t len;
};

/* stdin -> keys. Returns 1 when the escape character was typed, 0, or -errno at EOF. */
static int read_keys(struct keys *k, int escape)
{
	char in[1024];
	ssize_t n = read(STDIN_FILENO, in, sizeof(in));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return -EPIPE;
	for (ssize_t i = 0; i < n; i++) {
		if ((unsigned char)in[i] == escape)
			return 1;
		/* A console that takes nothing for 4 KiB of typing loses the excess. */
		if (k->len < sizeof(k->buf))
			k->buf[k->len++] = in[i];
	}
	return 0;
}

static int send_keys(struct keys *k, int fd)
{
	ssize_t w = write(fd, k->buf, k->len);

	if (w < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	memmove(k->buf, k->buf + w, k->len - (size_t)w);
	k->len -= (size_t)w;
	return 0;
}

/* Pty -> stdout. 0, or -EPIPE when the console went away. */
static int show_output(int fd)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -EPIPE;
	if (n == 0)
		return -EPIPE;
	return write_all(STDOUT_FILENO, buf, (size_t)n);
}

static int relay(int fd, int escape)
{
	struct keys k = {.len = 0};
	int rc = 0;

	while (!stop_signal && rc == 0) {
		struct pollfd p[2] = {
			{.fd = STDIN_FILENO, .events = POLLIN},
			{.fd = fd, .events = POLLIN | (k.len ? POLLOUT : 0)},
		};

		if (poll(p, 2, -1) < 0) {
			rc = errno == EINTR ? 0 : -errno;
			continue;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			rc = show_output(fd);
		if (rc == 0 && (p[0].revents & (POLLIN | POLLHUP)))
			rc = read_keys(&k, escape);
		if (rc == 0 && k.len)
			rc = send_keys(&k, fd);
	}
	return rc == 1 ? 0 : rc;
}

static void catch_signals(struct sigaction *old)
{
	struct sigaction sa = {.sa_handler = on_signal};
	static const int sigs[3] = {SIGTERM, SIGHUP, SIGINT};

	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
}

static void restore_signals(const struct sigaction *old)
{
	static const int sigs[3] = {SIGTERM, SIGHUP, SIGINT};

	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
}

static int open_console(const char *path)
{
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		int rc = -errno;

		pv_err_errno(rc, "cannot open console %s", path);
		return rc;
	}
	/* One client per console: a second attach is refused, not interleaved. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int rc = errno == EWOULDBLOCK ? -EBUSY : -errno;

		pv_err_errno(rc, "console %s is already attached", path);
		close(fd);
		return rc;
	}
	return fd;
}

int pv_console_attach(const char *pty_path, int escape_char)
{
	struct termios saved, raw;
	struct sigaction old[3];
	int fd, rc, tty = isatty(STDIN_FILENO);

	fd = open_console(pty_path);
	if (fd < 0)
		return fd;
	if (tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSADRAIN, &raw);
	} else
		tty = 0;
	stop_signal = 0;
	catch_signals(old);
	rc = relay(fd, escape_char ? escape_char : PV_CONSOLE_ESCAPE);
	if (tty)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
	restore_signals(old);
	close(fd);
	if (rc == -EPIPE)
		pv_info("console %s closed", pty_path);
	return rc == -EPIPE ? 0 : rc;
}

static int copy_file(const char *path, int out)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int rc = 0;

	if (fd < 0)
		return -errno;
	while (rc == 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		rc = write_all(out, buf, (size_t)n);
	close(fd);
	return rc;
}

int pv_console_print_log(const char *log_path, int out_fd)
{
	size_t len = strlen(log_path) + 16;
	char rotated[len];
	int rc;

	/* Oldest first: path.N .. path.1, then path. */
	for (int i = 99; i >= 1; i--) {
		snprintf(rotated, len, "%s.%d", log_path, i);
		if (access(rotated, R_OK) == 0 && (rc = copy_file(rotated, out_fd)) < 0)
			return rc;
	}
	rc = copy_file(log_path, out_fd);
	if (rc < 0)
		pv_err_errno(rc, "cannot print console log %s", log_path);
	return rc;
}

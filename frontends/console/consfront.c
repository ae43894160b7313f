/* SPDX-License-Identifier: MIT */
/*
 * The guest console frontend's datapath: init on a pty as its controlling
 * terminal, pty output -> out[] and in[] -> pty input, with back-pressure
 * both ways and nothing dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "pvkit/log.h"
#include "consfront.h"

enum { TAG_EVTCHN = 1, TAG_MASTER = 2 };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* In the child: become a session leader with the slave as controlling tty, exec init. */
static void __attribute__((noreturn)) exec_init(int fd, char *const *argv)
{
	static char *const sh[] = {"/bin/sh", NULL};
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	if (setsid() < 0)
		_exit(127);
	if (ioctl(fd, TIOCSCTTY, 0) < 0)
		_exit(127);
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(127);
	if (fd > 2)
		close(fd);
	if (!argv || !argv[0])
		argv = sh;
	execvp(argv[0], argv);
	fprintf(stderr, "console: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int spawn_init(struct pv_consfront *f, const struct pv_consfront_opts *o)
{
	struct winsize ws = {.ws_row = o->rows ? o->rows : 24, .ws_col = o->cols ? o->cols : 80};
	char slave[64];
	int slave_fd;

	f->master_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (f->master_fd < 0 || grantpt(f->master_fd) < 0 || unlockpt(f->master_fd) < 0 ||
	    ptsname_r(f->master_fd, slave, sizeof(slave)) != 0) {
		pv_err("console: cannot create a pty: %s", strerror(errno));
		return -errno;
	}
	ioctl(f->master_fd, TIOCSWINSZ, &ws);
	/* Opened before the fork, so the master never sees "no slave" before init runs. */
	slave_fd = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave_fd < 0) {
		pv_err("console: cannot open %s: %s", slave, strerror(errno));
		return -errno;
	}
	f->pid = fork();
	if (f->pid == 0)
		exec_init(slave_fd, o->argv);
	close(slave_fd);
	if (f->pid < 0) {
		f->pid = 0;
		pv_err("console: cannot fork init: %s", strerror(errno));
		return -EAGAIN;
	}
	return 0;
}

static int epoll_set(struct pv_consfront *f, int fd, uint32_t events, uint64_t tag, int op)
{
	struct epoll_event ev = {.events = events, .data.u64 = tag};

	return epoll_ctl(f->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

int pv_consfront_start(struct pv_consfront **out, const struct pv_consfront_opts *o)
{
	struct pv_consfront *f = calloc(1, sizeof(*f));
	int rc;

	if (!f)
		return -ENOMEM;
	f->plat = o->platform;
	f->xs = o->xs;
	f->self = pv_platform_domid(o->platform);
	f->backend = o->backend;
	f->port = -1;
	f->master_fd = -1;
	f->drain_ms = o->drain_ms ? o->drain_ms : 2000;
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	rc = f->epfd < 0 ? -errno : consfront_connect(f);
	if (rc == 0)
		rc = spawn_init(f, o);
	if (rc == 0)
		rc = epoll_set(f, pv_evtchn_fd(f->evtchn), EPOLLIN, TAG_EVTCHN, EPOLL_CTL_ADD);
	if (rc == 0)
		rc = epoll_set(f, f->master_fd, EPOLLIN, TAG_MASTER, EPOLL_CTL_ADD);
	if (rc < 0) {
		pv_consfront_stop(f);
		return rc;
	}
	f->master_events = EPOLLIN;
	*out = f;
	return 0;
}

int pv_consfront_fd(struct pv_consfront *f)
{
	return f->epfd;
}

pid_t pv_consfront_pid(struct pv_consfront *f)
{
	return f->pid;
}

/* pty output -> out[] while there is room. Returns bytes moved or -EPROTO. */
static ssize_t move_output(struct pv_consfront *f)
{
	uint8_t buf[PV_CONS_OUT_SIZE];
	ssize_t moved = 0;

	while (!f->eof) {
		ssize_t space = pv_cons_ring_avail(&f->out), n;

		if (space <= 0)
			return space < 0 ? space : moved;
		n = read(f->master_fd, buf, (size_t)space);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* EIO: every slave fd is closed, init and its children are gone. */
			f->eof = 1;
			f->eof_deadline_ns = now_ns() + (uint64_t)f->drain_ms * 1000000ull;
			break;
		}
		pv_cons_ring_write(&f->out, buf, (size_t)n);
		moved += n;
	}
	return moved;
}

/* in[] -> pty input, keeping what the pty does not take. Bytes taken from in[] or -EPROTO. */
static ssize_t move_input(struct pv_consfront *f)
{
	ssize_t taken = 0;

	for (;;) {
		if (f->pending_len) {
			ssize_t w = write(f->master_fd, f->pending + f->pending_off, f->pending_len);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return taken; /* EAGAIN: the guest is not reading; wait for POLLOUT */
			f->pending_off += (size_t)w;
			f->pending_len -= (size_t)w;
			continue;
		}
		ssize_t n = pv_cons_ring_read(&f->in, f->pending, sizeof(f->pending));

		if (n <= 0)
			return n < 0 ? n : taken;
		f->pending_off = 0;
		f->pending_len = (size_t)n;
		taken += n;
	}
}

static void update_master(struct pv_consfront *f)
{
	uint32_t ev = 0;

	if (!f->eof && pv_cons_ring_avail(&f->out) > 0)
		ev |= EPOLLIN;
	if (f->pending_len)
		ev |= EPOLLOUT;
	if (ev != f->master_events && epoll_set(f, f->master_fd, ev, TAG_MASTER, EPOLL_CTL_MOD) == 0)
		f->master_events = ev;
}

static void reap(struct pv_consfront *f)
{
	pid_t r;

	if (f->pid <= 0)
		return;
	r = waitpid(f->pid, &f->status, WNOHANG);
	if (r == f->pid)
		f->pid = 0;
	else if (r < 0 && errno == ECHILD) {
		/* The caller reaped it (a waitpid(-1) of its own): status unknown. */
		f->status = 0;
		f->pid = 0;
	}
}

/* One pass over both directions. */
static int service(struct pv_consfront *f, int had_event)
{
	ssize_t out = move_output(f), in;

	if (out < 0)
		goto out_proto;
	in = move_input(f);
	if (in < 0)
		goto out_proto;
	if (out > 0 || in > 0 || had_event)
		/* A spurious event may be the report of a closed channel: notify to find out. */
		consfront_notify(f);
	update_master(f);
	return 0;
out_proto:
	pv_err("console: protocol error: backend ring index out of range; console stopped");
	return -EPROTO;
}

static int finished(struct pv_consfront *f)
{
	if (!f->eof)
		return 0;
	reap(f);
	if (f->pid > 0)
		return 0;
	return pv_cons_ring_avail(&f->out) == PV_CONS_OUT_SIZE || now_ns() >= f->eof_deadline_ns;
}

int pv_consfront_step(struct pv_consfront *f, int timeout_ms)
{
	struct epoll_event evs[4];
	int had_event = 0, n, rc;

	if (f->eof && (timeout_ms < 0 || timeout_ms > 100))
		timeout_ms = 100; /* poll for init's exit and the backend's drain */
	n = epoll_wait(f->epfd, evs, 4, timeout_ms);
	if (n < 0 && errno != EINTR)
		return -errno;
	for (int i = 0; i < n; i++) {
		if (evs[i].data.u64 != TAG_EVTCHN)
			continue;
		for (int port; (port = pv_evtchn_pending(f->evtchn)) >= 0;) {
			pv_evtchn_unmask(f->evtchn, (pv_evtchn_port_t)port);
			had_event = 1;
		}
	}
	rc = service(f, had_event);
	if (rc < 0)
		return rc;
	return finished(f) ? 0 : 1;
}

int pv_consfront_run(struct pv_consfront *f)
{
	int rc;

	while ((rc = pv_consfront_step(f, -1)) > 0)
		;
	return rc < 0 ? rc : f->status;
}

void pv_consfront_stop(struct pv_consfront *f)
{
	if (!f)
		return;
	if (f->pid > 0) {
		kill(f->pid, SIGHUP);
		kill(f->pid, SIGKILL);
		waitpid(f->pid, &f->status, 0);
	}
	if (f->master_fd >= 0)
		close(f->master_fd);
	consfront_disconnect(f);
	if (f->epfd >= 0)
		close(f->epfd);
	free(f);
}

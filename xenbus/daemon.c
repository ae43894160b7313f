/* SPDX-License-Identifier: MIT */
/*
 * pv_daemon: the options, signals, connections and event loop every
 * backend daemon shares (include/pvkit/daemon.h).
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "pvkit/daemon.h"
#include "pvkit/log.h"
#include "pvkit/xenbus.h"

/* getopt values of the common options: above any a daemon's table may use. */
enum { OPT_RUNDIR = 256, OPT_DOMID, OPT_PLATFORM, OPT_LOG, OPT_HELP };

#define MAX_OPTIONS 32
#define MAX_EVENTS 32

/*
 * How often the loop runs the xenstore step with nothing to read. When
 * libxenstore's reader thread loses xenstored it closes the connection
 * but never makes the watch fd readable; the next dispatch sees it
 * (xs_check_watch() fails with EINVAL) without a round trip to xenstored.
 */
#define XS_CHECK_SECONDS 1

int pv_daemon_number(const struct pv_daemon *d, const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	(void)d;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* getopt's table: the common options @flags asks for, the daemon's, --help. */
static void build_table(const struct pv_daemon_spec *spec, struct option *t)
{
	static const struct option common[] = {
		{"rundir", required_argument, NULL, OPT_RUNDIR},
		{"domid", required_argument, NULL, OPT_DOMID},
		{"platform", required_argument, NULL, OPT_PLATFORM},
		{"log", required_argument, NULL, OPT_LOG},
	};
	static const unsigned int need[] = {PV_DAEMON_RUNDIR, PV_DAEMON_DOMID | PV_DAEMON_DOMID_STRICT,
					    PV_DAEMON_PLATFORM, PV_DAEMON_LOG};
	int n = 0;

	for (unsigned int i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (spec->flags & need[i])
			t[n++] = common[i];
	for (const struct option *o = spec->options; o && o->name; o++) {
		assert(n < MAX_OPTIONS - 2 && o->val < OPT_RUNDIR);
		t[n++] = *o;
	}
	t[n++] = (struct option){"help", no_argument, NULL, OPT_HELP};
	t[n] = (struct option){NULL, 0, NULL, 0};
}

static int common_option(struct pv_daemon *d, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case OPT_RUNDIR: d->rundir = arg; return 0;
	case OPT_PLATFORM: d->platform = arg; return 0;
	case OPT_LOG: d->log = arg; return 0;
	case OPT_DOMID:
		if (!(d->spec->flags & PV_DAEMON_DOMID_STRICT))
			d->domid = atoi(arg);
		else if (pv_daemon_number(d, arg, PV_DOMID_SELF - 1, &v) == 0)
			d->domid = (int)v;
		else
			return -EINVAL;
		d->domid_set = true;
		return 0;
	}
	return -EINVAL;
}

int pv_daemon_parse(struct pv_daemon *d, const struct pv_daemon_spec *spec, int argc,
		    char **argv, void *opaque)
{
	struct option table[MAX_OPTIONS];
	const char *env = getenv("PVKIT_DOMID");
	int c, rc, idx = 0;

	*d = (struct pv_daemon){.spec = spec, .sigfd = -1, .epfd = -1};
	if (env && (spec->flags & (PV_DAEMON_DOMID | PV_DAEMON_DOMID_STRICT)))
		d->domid = atoi(env);
	build_table(spec, table);
	optind = 0; /* glibc: start over, as for a new argv */
	while ((c = getopt_long(argc, argv, spec->flags & PV_DAEMON_SHORT_HELP ? "h" : "", table,
				&idx)) != -1) {
		if (c == OPT_HELP || (c == 'h' && (spec->flags & PV_DAEMON_SHORT_HELP))) {
			fputs(spec->usage, stdout);
			exit(0);
		}
		if (c == '?' || c == ':') {
			fputs(spec->usage, stderr);
			return -EINVAL;
		}
		rc = c >= OPT_RUNDIR ? common_option(d, c, optarg)
				     : spec->option ? spec->option(d, opaque, c, optarg) : -EINVAL;
		if (rc < 0) {
			/* Say which: a refused value would otherwise be a silent exit 2. */
			fprintf(stderr, "%s: --%s%s%s%s: bad value (see --help)\n", spec->name,
				table[idx].name, optarg ? " '" : "", optarg ? optarg : "",
				optarg ? "'" : "");
			return rc;
		}
	}
	return optind;
}

const char *pv_daemon_rundir(const struct pv_daemon *d)
{
	const char *env = getenv("PVKIT_RUNDIR");

	return d->rundir ? d->rundir : env ? env : "/run/pvkit";
}

static int block_signals(const struct pv_daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (d->spec->flags & PV_DAEMON_SIGHUP)
		sigaddset(&set, SIGHUP);
	/* Blocked before any thread starts, so every thread inherits the mask. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (d->spec->flags & PV_DAEMON_NO_SIGPIPE)
		signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int pv_daemon_init(struct pv_daemon *d)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &d->sigfd};
	int rc;

	pv_log_set_ident(d->spec->name);
	if (d->log && (rc = pv_log_open_file(d->log)) < 0)
		pv_warn_errno(rc, "cannot open log %s", d->log);
	d->sigfd = block_signals(d);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->sigfd < 0 || d->epfd < 0 || epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->sigfd, &ev) < 0) {
		rc = -errno;
		pv_err_errno(rc, "cannot create the event loop's fds");
		pv_daemon_close(d);
		return rc;
	}
	return 0;
}

int pv_daemon_connect(struct pv_daemon *d, struct pv_platform **plat, struct pv_xs **xs)
{
	struct pv_platform_opts po = {.name = d->platform, .rundir = d->rundir,
				      .domid = d->domid, .domid_set = 1};
	char path[4096];
	int rc;

	if (d->rundir)
		setenv("PVKIT_RUNDIR", d->rundir, 1);
	rc = pv_platform_open(plat, &po);
	if (rc < 0) {
		pv_err_errno(rc, "cannot open the %s platform", d->platform ? d->platform : "default");
		return rc;
	}
	rc = pv_xs_local_path(path, sizeof(path), d->rundir, (pv_domid_t)d->domid);
	if (rc == 0)
		rc = pv_xs_open(xs, strcmp(pv_platform_name(*plat), "local") ? NULL : path);
	if (rc < 0) {
		pv_err_errno(rc, "cannot connect to xenstore");
		pv_platform_close(*plat);
		*plat = NULL;
		return rc;
	}
	d->xs = *xs;
	return 0;
}

void pv_daemon_close(struct pv_daemon *d)
{
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->sigfd >= 0)
		close(d->sigfd);
	d->epfd = d->sigfd = -1;
}

/* The usual ops->xenstore: bounded, so a guest rewriting its nodes cannot hold the loop. */
static int xs_dispatch(struct pv_xs *xs)
{
	return pv_xs_dispatch(xs, 64) == -ECONNRESET ? -ECONNRESET : 0;
}

/* One pv_daemon_run(): what a batch needs. */
struct loop {
	struct pv_daemon *d;
	const struct pv_daemon_ops *ops;
	void *opaque;
	int timerfd;  /* XS_CHECK_SECONDS ticks, tagged &d->xs */
	int xs_ready; /* run the xenstore step after this batch */
};

/*
 * One batch: the daemon's events in order, a termination signal ends it
 * at once (1); xenstore's fd and the check timer only mark the xenstore
 * step for after the batch.
 */
static int batch(struct loop *l, const struct epoll_event *evs, int n)
{
	struct pv_daemon *d = l->d;
	struct signalfd_siginfo si;
	uint64_t ticks;

	for (int i = 0; i < n; i++) {
		if (evs[i].data.ptr == &d->sigfd) {
			/* Taken, so that it is not pending still for whoever runs next. */
			if (read(d->sigfd, &si, sizeof(si)) != sizeof(si))
				continue;
			pv_debug("signal %u: stopping", si.ssi_signo);
			return 1;
		}
		if (evs[i].data.ptr == &d->epfd)
			l->xs_ready = 1;
		else if (evs[i].data.ptr == &d->xs)
			l->xs_ready |= read(l->timerfd, &ticks, sizeof(ticks)) == sizeof(ticks);
		else
			l->ops->event(l->opaque, evs[i].data.ptr, evs[i].events);
	}
	return 0;
}

/* Batches until a signal (0), a failed epoll_wait or a failed xenstore step (-errno). */
static int serve(struct loop *l)
{
	struct epoll_event evs[MAX_EVENTS];
	int n, rc;

	for (;;) {
		n = epoll_wait(l->d->epfd, evs, MAX_EVENTS, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			pv_err_errno(rc, "epoll_wait");
			return rc;
		}
		l->xs_ready = 0;
		if (batch(l, evs, n))
			return 0;
		if (l->ops->batch_end)
			l->ops->batch_end(l->opaque);
		if (!l->xs_ready)
			continue;
		rc = l->ops->xenstore ? l->ops->xenstore(l->opaque) : xs_dispatch(l->d->xs);
		if (rc == -ECONNRESET)
			pv_err("xenstore connection lost: exiting");
		if (rc < 0)
			return rc;
	}
}

/* The check timer on d->epfd, tagged &d->xs; -errno, logged. */
static int start_xs_check(struct pv_daemon *d)
{
	struct itimerspec its = {.it_interval = {XS_CHECK_SECONDS, 0},
				 .it_value = {XS_CHECK_SECONDS, 0}};
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &d->xs};
	int fd, rc;

	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) < 0 ||
	    epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		rc = -errno;
		pv_err_errno(rc, "cannot start the xenstore check timer");
		if (fd >= 0)
			close(fd);
		return rc;
	}
	return fd;
}

int pv_daemon_run(struct pv_daemon *d, int xs_fd, const struct pv_daemon_ops *ops, void *opaque)
{
	/* Tags no daemon pointer can equal: the addresses of our own fields. */
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &d->epfd};
	struct loop l = {.d = d, .ops = ops, .opaque = opaque};
	int rc;

	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, xs_fd, &ev) < 0) {
		rc = -errno;
		pv_err_errno(rc, "cannot watch xenstore's fd %d", xs_fd);
		return rc;
	}
	l.timerfd = start_xs_check(d);
	if (l.timerfd < 0)
		return l.timerfd;
	rc = serve(&l);
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, l.timerfd, NULL);
	close(l.timerfd);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * pvkit-consoled: serves every guest console from one epoll loop, like
 * xenconsoled. Options, the loop, and the per-console fd registration.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "pvkit/log.h"
#include "consoled.h"

/* epoll tags for the daemon's own fds; consoles are tagged by their pointer. */
static char tag_xs, tag_evtchn, tag_signal, tag_timer;

static const char usage[] =
	"Usage: pvkit-consoled [OPTION]...\n"
	"Serve the consoles of all guest domains: a pty and a log per console.\n"
	"\n"
	"  --rundir DIR       run directory (default $PVKIT_RUNDIR or /run/pvkit);\n"
	"                     ptys are linked as DIR/console/<domid>.pty\n"
	"  --log DIR          guest logs DIR/dom<domid>.log (default DIR=<rundir>/log/console)\n"
	"  --no-log           keep no guest logs\n"
	"  --log-timestamps   prefix each logged line with the time\n"
	"  --log-size BYTES   rotate a guest log at this size (default 1048576; 0: never)\n"
	"  --log-keep N       rotated logs kept, dom<domid>.log.1 .. .N (default 3)\n"
	"  --rate-limit BPS   bytes per second logged and shown per console (default 4194304;\n"
	"                     0: unlimited); a guest above it is still drained, never blocked:\n"
	"                     its oldest unlogged output is dropped, with a marker line\n"
	"  --buffer BYTES     per-console output buffer, unlogged and unread (default 65536)\n"
	"  --platform NAME    local or xen (default: detect)\n"
	"  --help             this text\n";

static int parse_size(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "pvkit-consoled: bad number '%s'\n", s);
		return -EINVAL;
	}
	return 0;
}

struct opts {
	const char *rundir, *logdir, *platform;
};

static int parse_args(int argc, char **argv, struct opts *o, struct cons_cfg *cfg)
{
	static const struct option longopts[] = {
		{"rundir", required_argument, NULL, 'r'},
		{"log", required_argument, NULL, 'l'},
		{"no-log", no_argument, NULL, 'n'},
		{"log-timestamps", no_argument, NULL, 't'},
		{"log-size", required_argument, NULL, 's'},
		{"log-keep", required_argument, NULL, 'k'},
		{"rate-limit", required_argument, NULL, 'R'},
		{"buffer", required_argument, NULL, 'b'},
		{"platform", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t v;
	int opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': o->rundir = optarg; break;
		case 'l': o->logdir = optarg; break;
		case 'p': o->platform = optarg; break;
		case 'n': cfg->log_off = 1; break;
		case 't': cfg->log_timestamps = 1; break;
		case 's': if (parse_size(optarg, &v)) return -EINVAL; cfg->log_cap = (off_t)v; break;
		case 'k': if (parse_size(optarg, &v)) return -EINVAL; cfg->log_keep = (unsigned)v; break;
		case 'R': if (parse_size(optarg, &v)) return -EINVAL; cfg->rate = v; break;
		case 'b':
			if (parse_size(optarg, &v) || v < 4096 || v > (1u << 30))
				return -EINVAL;
			cfg->staging_cap = cfg->pty_cap = (size_t)v;
			break;
		case 'h': fputs(usage, stdout); exit(0);
		default: fputs(usage, stderr); return -EINVAL;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return -EINVAL;
	}
	cfg->burst = cfg->rate / 4 > 65536 ? cfg->rate / 4 : 65536;
	return 0;
}

static void epoll_add(struct consoled *d, int fd, void *tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = tag};

	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		pv_err("epoll_ctl add fd %d: %s", fd, strerror(errno));
}

void consoled_update(struct consoled *d, struct console *c, int want)
{
	struct cons_binding *b = c->binding;
	uint32_t events = 0;
	struct epoll_event ev = {.data.ptr = c};

	if (c->page && !c->broken && !c->input_full)
		events |= EPOLLIN;
	if (want & CONS_WANT_WRITE)
		events |= EPOLLOUT;
	if (want & CONS_WANT_TIMER) {
		uint64_t ns = bucket_wait_ns(&c->bucket, cons_now_ns());
		struct itimerspec its = {0};

		if (ns < 1000000)
			ns = 1000000;
		its.it_value.tv_sec = (time_t)(ns / 1000000000u);
		its.it_value.tv_nsec = (long)(ns % 1000000000u);
		timerfd_settime(d->timerfd, 0, &its, NULL);
	}
	if (b->registered && events == b->ep_events)
		return;
	ev.events = events;
	if (epoll_ctl(d->epfd, b->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->master_fd, &ev) == 0) {
		b->registered = 1;
		b->ep_events = events;
	}
}

static void pump_all(struct consoled *d)
{
	for (struct console *c = d->consoles; c; c = c->next)
		consoled_update(d, c, console_pump(c, cons_now_ns()));
}

static void handle_evtchn(struct consoled *d)
{
	int port;

	while ((port = pv_evtchn_pending(d->evtchn)) >= 0) {
		xb_handle_port(d, port);
		pv_evtchn_unmask(d->evtchn, (pv_evtchn_port_t)port);
	}
}

static void handle_master(struct consoled *d, struct console *c, uint32_t events)
{
	if (events & EPOLLIN) {
		if (console_pty_input(c) == -EPROTO)
			xb_disconnect(d, c);
	}
	consoled_update(d, c, console_pump(c, cons_now_ns()));
}

/* Returns 1 when a termination signal arrived, -errno when xenstore went away. */
static int dispatch(struct consoled *d, struct epoll_event *ev, int sigfd)
{
	uint64_t ticks;
	struct signalfd_siginfo si;

	if (ev->data.ptr == &tag_signal)
		return read(sigfd, &si, sizeof(si)) == sizeof(si);
	if (ev->data.ptr == &tag_xs)
		return xb_handle_watches(d);
	if (ev->data.ptr == &tag_evtchn)
		handle_evtchn(d);
	else if (ev->data.ptr == &tag_timer) {
		if (read(d->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
			pv_warn("timerfd read: %s", strerror(errno));
		pump_all(d);
	} else
		handle_master(d, ev->data.ptr, ev->events);
	return 0;
}

static int run(struct consoled *d, int sigfd)
{
	struct epoll_event evs[32];

	epoll_add(d, sigfd, &tag_signal);
	epoll_add(d, xb_fd(d), &tag_xs);
	epoll_add(d, pv_evtchn_fd(d->evtchn), &tag_evtchn);
	epoll_add(d, d->timerfd, &tag_timer);
	xb_scan(d);
	for (;;) {
		int n = epoll_wait(d->epfd, evs, 32, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (int i = 0; i < n; i++) {
			int rc = dispatch(d, &evs[i], sigfd);

			if (rc)
				return rc > 0 ? 0 : rc;
			/* Watches may have destroyed consoles later in this batch. */
			if (evs[i].data.ptr == &tag_xs)
				break;
		}
	}
}

static int make_dirs(struct consoled *d, char *linkdir, char *logdir, size_t len)
{
	snprintf(linkdir, len, "%s/console", d->rundir);
	d->linkdir = linkdir;
	if (!d->logdir) {
		snprintf(logdir, len, "%s/log/console", d->rundir);
		d->logdir = logdir;
	}
	if (mkdir(linkdir, 0755) < 0 && errno != EEXIST) {
		pv_err("cannot create %s: %s", linkdir, strerror(errno));
		return -errno;
	}
	if (!d->cfg.log_off) {
		char parent[len];

		snprintf(parent, len, "%s/log", d->rundir);
		mkdir(parent, 0755);
		if (mkdir(d->logdir, 0750) < 0 && errno != EEXIST) {
			pv_err("cannot create %s: %s", d->logdir, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* Started with the platform daemons, we may be a moment early: wait up to 5 s. */
static int open_platform(struct consoled *d, const struct opts *o)
{
	struct pv_platform_opts po = {.name = o->platform, .rundir = d->rundir,
				      .domid = 0, .domid_set = 1};
	int rc;

	for (int i = 0; i < 50; i++) {
		rc = pv_platform_open(&d->plat, &po);
		if (rc != -ENOENT && rc != -ECONNREFUSED)
			break;
		usleep(100000);
	}

	if (rc < 0) {
		pv_err_errno(rc, "cannot open the platform (rundir %s)", d->rundir);
		return rc;
	}
	rc = pv_evtchn_open(d->plat, &d->evtchn);
	if (rc < 0)
		pv_err_errno(rc, "cannot open an event-channel handle");
	return rc;
}

static int setup_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int main(int argc, char **argv)
{
	struct consoled d = {.epfd = -1, .timerfd = -1};
	struct opts o = {0};
	char linkdir[4096], logdir[4096], xspath[4200];
	const char *xs_at = NULL;
	int sigfd, rc;

	d.cfg = (struct cons_cfg){.staging_cap = 65536, .pty_cap = 65536, .rate = 4u << 20,
				  .log_cap = 1 << 20, .log_keep = 3};
	if (parse_args(argc, argv, &o, &d.cfg) < 0)
		return 2;
	d.rundir = o.rundir ? o.rundir : getenv("PVKIT_RUNDIR") ? getenv("PVKIT_RUNDIR") : "/run/pvkit";
	d.logdir = o.logdir;
	/* --rundir names the local xenstored; otherwise the xenbus library decides. */
	if (o.rundir) {
		snprintf(xspath, sizeof(xspath), "%s/xenstored.sock", d.rundir);
		xs_at = xspath;
	}
	sigfd = setup_signals();
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	d.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (sigfd < 0 || d.epfd < 0 || d.timerfd < 0) {
		pv_err("cannot create the event loop's fds: %s", strerror(errno));
		return 1;
	}
	rc = make_dirs(&d, linkdir, logdir, sizeof(linkdir));
	if (rc == 0)
		rc = open_platform(&d, &o);
	if (rc == 0)
		rc = xb_open(&d, xs_at);
	if (rc == 0) {
		pv_info("serving consoles: links in %s, logs in %s", d.linkdir,
			d.cfg.log_off ? "(none)" : d.logdir);
		rc = run(&d, sigfd);
	}
	xb_close(&d);
	if (d.evtchn)
		pv_evtchn_close(d.evtchn);
	if (d.plat)
		pv_platform_close(d.plat);
	return rc < 0 ? 1 : 0;
}

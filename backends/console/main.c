/* SPDX-License-Identifier: MIT */
/*
 * pvkit-consoled: serves every guest console from one epoll loop, like
 * xenconsoled. Options, the loop, and the per-console fd registration.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "pvkit/daemon.h"
#include "pvkit/log.h"
#include "consoled.h"

/* epoll tags for the daemon's own fds; consoles are tagged by their pointer. */
static char tag_evtchn, tag_timer;

/* Our options' getopt values (the common ones are pv_daemon's). */
enum {
	OPT_LOG = 'l', OPT_NO_LOG = 'n', OPT_STAMPS = 't', OPT_SIZE = 's', OPT_KEEP = 'k',
	OPT_RATE = 'R', OPT_BUFFER = 'b',
};

static const struct option options[] = {
	{"log", required_argument, NULL, OPT_LOG},
	{"no-log", no_argument, NULL, OPT_NO_LOG},
	{"log-timestamps", no_argument, NULL, OPT_STAMPS},
	{"log-size", required_argument, NULL, OPT_SIZE},
	{"log-keep", required_argument, NULL, OPT_KEEP},
	{"rate-limit", required_argument, NULL, OPT_RATE},
	{"buffer", required_argument, NULL, OPT_BUFFER},
	{NULL, 0, NULL, 0},
};

static int option(const struct pv_daemon *dm, void *opaque, int val, const char *arg)
{
	struct consoled *d = opaque;
	struct cons_cfg *cfg = &d->cfg;
	uint64_t v = 0;

	if (val == OPT_LOG) {
		d->logdir = arg;
		return 0;
	}
	if (arg && pv_daemon_number(dm, arg, UINT64_MAX, &v))
		return -EINVAL;
	switch (val) {
	case OPT_NO_LOG: cfg->log_off = 1; break;
	case OPT_STAMPS: cfg->log_timestamps = 1; break;
	case OPT_SIZE: cfg->log_cap = (off_t)v; break;
	case OPT_KEEP: cfg->log_keep = (unsigned)v; break;
	case OPT_RATE: cfg->rate = v; break;
	case OPT_BUFFER:
		if (v < 4096 || v > (1u << 30))
			return -EINVAL;
		cfg->staging_cap = cfg->pty_cap = (size_t)v;
		break;
	}
	return 0;
}

static const struct pv_daemon_spec spec = {
	.name = "pvkit-consoled",
	.flags = PV_DAEMON_RUNDIR | PV_DAEMON_PLATFORM | PV_DAEMON_SIGHUP | PV_DAEMON_NO_SIGPIPE,
	.usage = "Usage: pvkit-consoled [OPTION]...\n"
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
		 "  --help             this text\n"
		 "\n"
		 PV_DAEMON_USAGE_EXITS,
	.options = options,
	.option = option,
};

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

static void event(void *opaque, void *ptr, uint32_t events)
{
	struct consoled *d = opaque;
	uint64_t ticks;

	if (ptr == &tag_evtchn)
		handle_evtchn(d);
	else if (ptr == &tag_timer) {
		if (read(d->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
			pv_warn("timerfd read: %s", strerror(errno));
		pump_all(d);
	} else
		handle_master(d, ptr, events);
}

static int xenstore(void *opaque)
{
	return xb_handle_watches(opaque);
}

static const struct pv_daemon_ops ops = {.event = event, .xenstore = xenstore};

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
static int open_platform(struct consoled *d, const struct pv_daemon *dm)
{
	struct pv_platform_opts po = {.name = dm->platform, .rundir = d->rundir,
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

int main(int argc, char **argv)
{
	struct consoled d = {.epfd = -1, .timerfd = -1};
	struct pv_daemon dm;
	char linkdir[4096], logdir[4096], xspath[4200];
	const char *xs_at = NULL;
	int rc;

	d.cfg = (struct cons_cfg){.staging_cap = 65536, .pty_cap = 65536, .rate = 4u << 20,
				  .log_cap = 1 << 20, .log_keep = 3};
	rc = pv_daemon_parse(&dm, &spec, argc, argv, &d);
	if (rc >= 0 && rc < argc) {
		fputs(spec.usage, stderr);
		rc = -EINVAL;
	}
	if (rc < 0)
		return 2;
	d.cfg.burst = d.cfg.rate / 4 > 65536 ? d.cfg.rate / 4 : 65536;
	d.rundir = pv_daemon_rundir(&dm);
	/* --rundir names the local xenstored; otherwise the xenbus library decides. */
	if (dm.rundir) {
		snprintf(xspath, sizeof(xspath), "%s/xenstored.sock", d.rundir);
		xs_at = xspath;
	}
	if (pv_daemon_init(&dm) < 0)
		return 1;
	d.epfd = dm.epfd;
	d.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d.timerfd < 0) {
		pv_err("cannot create the event loop's fds: %s", strerror(errno));
		return 1;
	}
	rc = make_dirs(&d, linkdir, logdir, sizeof(linkdir));
	if (rc == 0)
		rc = open_platform(&d, &dm);
	if (rc == 0)
		rc = xb_open(&d, xs_at);
	if (rc == 0) {
		pv_info("serving consoles: links in %s, logs in %s", d.linkdir,
			d.cfg.log_off ? "(none)" : d.logdir);
		epoll_add(&d, pv_evtchn_fd(d.evtchn), &tag_evtchn);
		epoll_add(&d, d.timerfd, &tag_timer);
		xb_scan(&d);
		rc = pv_daemon_run(&dm, xb_fd(&d), &ops, &d);
	}
	xb_close(&d);
	if (d.evtchn)
		pv_evtchn_close(d.evtchn);
	if (d.plat)
		pv_platform_close(d.plat);
	pv_daemon_close(&dm);
	return rc < 0 ? 1 : 0;
}

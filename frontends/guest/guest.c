/* SPDX-License-Identifier: MIT */
/*
 * pvkit-guest: the guest runtime of the local platform. Holds the domain's
 * life, binds frontend drivers to the devices the toolstack wrote under
 * /local/domain/<self>/device, runs the console and the guest's init.
 * With --platform xen it runs in a real Xen domain instead (the domain is
 * the one it runs in; no console: the kernel has one), binding pvkit's
 * frontends to that domain's devices.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pvkit/console.h"
#include "pvkit/local.h"
#include "pvkit/log.h"
#include "runtime.h"

struct bus_ctx {
	struct pv_guest *g;
	const struct pv_guest_driver *drv;
};

int pv_guest_add_fd(struct pv_guest *g, int fd, uint32_t events, pv_guest_fd_fn fn,
		    void *opaque)
{
	struct fdreg *r = calloc(1, sizeof(*r));
	struct epoll_event ev = {.events = events};

	if (!r)
		return -ENOMEM;
	*r = (struct fdreg){.fd = fd, .fn = fn, .opaque = opaque, .next = g->fds};
	ev.data.ptr = r;
	if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int rc = -errno;

		free(r);
		return rc;
	}
	g->fds = r;
	return 0;
}

void pv_guest_del_fd(struct pv_guest *g, int fd)
{
	for (struct fdreg *r = g->fds; r; r = r->next) {
		if (r->fd != fd || r->dead)
			continue;
		epoll_ctl(g->epfd, EPOLL_CTL_DEL, fd, NULL);
		r->dead = 1; /* freed after the current batch: an event may still point at it */
		return;
	}
}

/* Free registrations deleted during the last batch. */
static void reap_fds(struct pv_guest *g)
{
	struct fdreg **pp = &g->fds;

	while (*pp) {
		struct fdreg *r = *pp;

		if (r->dead) {
			*pp = r->next;
			free(r);
		} else {
			pp = &r->next;
		}
	}
}

struct pv_platform *pv_guest_platform(struct pv_guest *g)
{
	return g->platform;
}

struct pv_xs *pv_guest_xs(struct pv_guest *g)
{
	return g->xs;
}

pv_domid_t pv_guest_domid(struct pv_guest *g)
{
	return g->domid;
}

const char *pv_guest_dir(struct pv_guest *g)
{
	return g->dir;
}

static int bus_probe(struct pv_xenbus_dev *dev, void *opaque)
{
	struct bus_ctx *c = opaque;
	int rc = c->drv->probe(c->g, dev);

	if (rc < 0)
		pv_log(PV_LOG_WARN, dev->prefix, -rc, "frontend %s not bound", c->drv->type);
	else
		pv_dev_info(dev->prefix, "bound to the %s frontend", c->drv->type);
	return rc;
}

static void bus_remove(struct pv_xenbus_dev *dev, void *opaque)
{
	struct bus_ctx *c = opaque;

	pv_dev_info(dev->prefix, "unbinding");
	c->drv->remove(c->g, dev);
}

static const struct pv_xenbus_bus_ops bus_ops = {bus_probe, bus_remove};

static int open_buses(struct pv_guest *g)
{
	unsigned int n = 0;
	int rc;

	while (pv_guest_drivers[n])
		n++;
	g->buses = calloc(n + 1, sizeof(*g->buses));
	g->bus_ctxs = calloc(n + 1, sizeof(struct bus_ctx));
	if (!g->buses || !g->bus_ctxs)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		struct bus_ctx *c = (struct bus_ctx *)g->bus_ctxs + i;

		*c = (struct bus_ctx){.g = g, .drv = pv_guest_drivers[i]};
		rc = pv_xenbus_bus_open(g->xs, c->drv->type, 0, &bus_ops, c, &g->buses[i]);
		if (rc < 0) {
			pv_err_errno(rc, "cannot watch the %s devices", pv_guest_drivers[i]->type);
			return rc;
		}
		pv_xenbus_bus_scan(g->buses[i]);
	}
	return 0;
}

/* Unbind every device in driver order (hot-unplug order at shutdown). */
static void close_buses(struct pv_guest *g)
{
	if (g->buses)
		for (unsigned int i = 0; pv_guest_drivers[i]; i++)
			pv_xenbus_bus_close(g->buses[i]);
	free(g->buses);
	free(g->bus_ctxs);
	g->buses = NULL;
	g->bus_ctxs = NULL;
}

/*
 * xenstore went away (pvkit-xenstored stopped or died). A Xen domU lives
 * on when xenstored dies: its connected devices keep working over their
 * rings and event channels, only xenbus operations (new devices, unplug,
 * reconfiguration, a clean reconnect) cannot happen. So does this guest:
 * the buses are frozen as they are (no more xenstore steps: nothing is
 * left to read, and nothing must spin on a dead connection) and the
 * datapaths run on until SIGTERM or init's end.
 */
static void xenstore_lost(struct pv_guest *g)
{
	g->xs_lost = 1;
	pv_guest_del_fd(g, pv_xs_fd(g->xs));
	pv_guest_del_fd(g, g->xs_timer);
	pv_err("xenstore connection lost: the connected devices keep running; no device can be "
	       "added, removed or reconnected until the guest restarts");
}

static void on_xenstore(struct pv_guest *g, int fd, uint32_t events, void *opaque)
{
	uint64_t ticks;

	(void)events;
	(void)opaque;
	if (g->xs_lost)
		return;
	/* The timer's tick is taken, so that it does not wake us again. */
	if (fd == g->xs_timer && read(fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	if (pv_xs_dispatch(g->xs, 64) == -ECONNRESET)
		xenstore_lost(g);
}

/*
 * libxenstore's watch fd says nothing when the connection is lost (see
 * pv_xs_fd()): the xenstore step also runs once a second, which tells.
 */
static int start_xs_check(struct pv_guest *g)
{
	struct itimerspec its = {.it_interval = {1, 0}, .it_value = {1, 0}};

	g->xs_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (g->xs_timer < 0 || timerfd_settime(g->xs_timer, 0, &its, NULL) < 0)
		return -errno;
	return pv_guest_add_fd(g, g->xs_timer, EPOLLIN, on_xenstore, NULL);
}

/*
 * Say how init ended in <dir>/shutdown, for the toolstack's on_poweroff /
 * on_crash: "poweroff" (status 0, or after the toolstack's SIGTERM) or
 * "crash". Returns the PV_GUEST_PRESERVE_* bit of that way.
 */
static unsigned record_end(struct pv_guest *g, int status, int failed)
{
	int poweroff = g->stopping || (!failed && status >= 0 && WIFEXITED(status) &&
				       WEXITSTATUS(status) == 0);
	char path[sizeof(g->dir) + 16];
	FILE *f;

	snprintf(path, sizeof(path), "%s/" PV_GUEST_SHUTDOWN_FILE, g->dir);
	f = fopen(path, "we");
	if (f) {
		fputs(poweroff ? "poweroff\n" : "crash\n", f);
		fclose(f);
	}
	return poweroff ? PV_GUEST_PRESERVE_POWEROFF : PV_GUEST_PRESERVE_CRASH;
}

static void on_console(struct pv_guest *g, int fd, uint32_t events, void *opaque)
{
	int rc, status = -1;
	unsigned how;

	(void)events;
	(void)opaque;
	rc = pv_consfront_step(g->console, 0);
	if (rc > 0)
		return;
	pv_guest_del_fd(g, fd);
	if (rc < 0) {
		pv_err_errno(rc, "console failed");
		g->exit_status = 1;
	} else {
		status = pv_consfront_run(g->console);
		if (status >= 0 && WIFEXITED(status))
			g->exit_status = WEXITSTATUS(status);
	}
	how = record_end(g, status, rc < 0);
	if (!g->stopping && (g->preserve & how)) {
		pv_info("init ended (%s, status %d): the domain is preserved, devices and all, "
			"until it is destroyed", how == PV_GUEST_PRESERVE_POWEROFF ? "poweroff" : "crash",
			g->exit_status);
		g->preserved = 1;
		return;
	}
	if (rc >= 0)
		pv_info("init exited (status %d): shutting the guest down", g->exit_status);
	g->stopping = 2;
}

static void on_signal(struct pv_guest *g, int fd, uint32_t events, void *opaque)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)opaque;
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (g->console && !g->stopping && !g->preserved) {
		/* Like a kernel's orderly shutdown: init first, the devices after it. */
		pv_info("signal %u: asking init (pid %d) to stop", si.ssi_signo,
			(int)pv_consfront_pid(g->console));
		kill(pv_consfront_pid(g->console), SIGTERM);
		g->stopping = 1;
		return;
	}
	g->stopping = 2;
}

static int start_console(struct pv_guest *g, char *const *init)
{
	struct pv_consfront_opts o = {.platform = g->platform, .argv = init};
	int rc;

	rc = pv_xs_exists(g->xs, PV_XS_NO_TXN, "console", NULL);
	if (rc <= 0) {
		pv_info("no console/ node: running without a console");
		return 0;
	}
	rc = pv_consfront_start(&g->console, &o);
	if (rc < 0) {
		pv_err_errno(rc, "cannot start the console");
		return rc;
	}
	return pv_guest_add_fd(g, pv_consfront_fd(g->console), EPOLLIN, on_console, NULL);
}

static void run_loop(struct pv_guest *g)
{
	struct epoll_event evs[32];
	int n;

	while (g->stopping != 2) {
		int polling = g->console && !g->preserved;

		n = epoll_wait(g->epfd, evs, 32, polling ? 100 : -1);
		if (n < 0 && errno != EINTR) {
			pv_err_errno(errno, "epoll_wait");
			break;
		}
		for (int i = 0; i < n; i++) {
			struct fdreg *r = evs[i].data.ptr;

			if (!r->dead)
				r->fn(g, r->fd, evs[i].events, r->opaque);
		}
		reap_fds(g);
		/* Console output can be pending without a wakeup of its fd (ring space freed). */
		if (polling && n == 0 && g->stopping != 2)
			on_console(g, pv_consfront_fd(g->console), 0, NULL);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: pvkit-guest --domid N [OPTION]... [-- INIT [ARG]...]\n"
		"       pvkit-guest --platform xen [OPTION]...\n"
		"Run the guest runtime of local-platform domain N: bind a frontend to each\n"
		"device under /local/domain/N/device, run INIT (default /bin/sh) on the\n"
		"console, and keep the domain alive until INIT exits or SIGTERM.\n"
		"If xenstore goes away the connected devices keep running (logged once);\n"
		"none can be added, removed or reconnected until the guest restarts.\n"
		"With --platform xen, bind pvkit's frontends to the devices of the Xen\n"
		"domain this runs in (no console, no INIT) until SIGTERM.\n"
		"\n"
		"  --domid N       the domain to run (created by the toolstack; required on local)\n"
		"  --platform NAME local (default) or xen\n"
		"  --rundir DIR    pvkit's run directory (default $PVKIT_RUNDIR or /run/pvkit);\n"
		"                  disk sockets go to DIR/dom/<domid>/\n"
		"  --log FILE      also append log lines to FILE\n"
		"  --no-console    do not start the console even if console/ exists\n"
		"  --preserve WHEN keep the domain (devices and all) when INIT ends that way:\n"
		"                  poweroff (status 0), crash (anything else), or both\n"
		"                  (poweroff,crash); it then stays until SIGTERM. How INIT\n"
		"                  ended is written to RUNDIR/dom/N/shutdown either way\n"
		"  -h, --help      show this help\n"
		"\n"
		"Exit status: INIT's exit status, 1 on a runtime failure, 2 on bad usage.\n");
}

struct options {
	long domid;
	const char *platform;
	const char *rundir;
	const char *log;
	int no_console;
	unsigned preserve;
	char *const *init;
};

/* --preserve's list: "poweroff", "crash" or both, comma-separated. 0 or -1. */
static int parse_preserve(const char *arg, unsigned *out)
{
	char buf[64], *save = NULL;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "poweroff"))
			*out |= PV_GUEST_PRESERVE_POWEROFF;
		else if (!strcmp(w, "crash"))
			*out |= PV_GUEST_PRESERVE_CRASH;
		else
			return -1;
	}
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{"domid", required_argument, NULL, 'd'}, {"rundir", required_argument, NULL, 'r'},
		{"log", required_argument, NULL, 'l'},   {"no-console", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},        {"preserve", required_argument, NULL, 'p'},
		{"platform", required_argument, NULL, 'P'}, {NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	*o = (struct options){.domid = -1, .platform = "local", .rundir = pv_local_default_rundir()};
	while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->domid = strtol(optarg, &end, 10);
			if (*end || o->domid < 1 || o->domid > 0x7fef) {
				fprintf(stderr, "pvkit-guest: --domid %s: not a guest domid (1-32751)\n",
					optarg);
				return -1;
			}
			break;
		case 'r': o->rundir = optarg; break;
		case 'P': o->platform = optarg; break;
		case 'l': o->log = optarg; break;
		case 'n': o->no_console = 1; break;
		case 'p':
			if (parse_preserve(optarg, &o->preserve) < 0) {
				fprintf(stderr, "pvkit-guest: --preserve %s: use poweroff, crash or "
					"poweroff,crash\n", optarg);
				return -1;
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (strcmp(o->platform, "local") && strcmp(o->platform, "xen")) {
		fprintf(stderr, "pvkit-guest: --platform %s: local or xen\n", o->platform);
		return -1;
	}
	o->init = optind < argc ? &argv[optind] : NULL;
	if (!strcmp(o->platform, "xen")) {
		/* On Xen the domain is the one we run in, and its kernel owns the console. */
		if (o->domid >= 0 || o->init) {
			fprintf(stderr, "pvkit-guest: --platform xen takes neither --domid nor INIT\n");
			return -1;
		}
		o->no_console = 1;
		return 0;
	}
	if (o->domid < 0) {
		fprintf(stderr, "pvkit-guest: --domid is required (see --help)\n");
		return -1;
	}
	return 0;
}

/* The environment every library in this process (and init) agrees on. */
static int set_environment(struct pv_guest *g, const struct options *o)
{
	char path[PATH_MAX];
	char id[24];

	snprintf(id, sizeof(id), "%u", (unsigned int)g->domid);
	if (snprintf(g->dir, sizeof(g->dir), "%s/dom/%s", o->rundir, id) >= (int)sizeof(g->dir))
		return -ENAMETOOLONG;
	if (setenv("PVKIT_DOMID", id, 1) || setenv("PVKIT_PLATFORM", o->platform, 1))
		return -errno;
	if (!strcmp(o->platform, "xen")) {
		/* Without PVKIT_RUNDIR (or XENSTORED_PATH) libxenstore finds the host's xenstored. */
		unsetenv("PVKIT_RUNDIR");
		return 0;
	}
	if (setenv("PVKIT_RUNDIR", o->rundir, 1))
		return -errno;
	if (pv_xs_local_path(path, sizeof(path), o->rundir, g->domid) < 0)
		return -ENAMETOOLONG;
	return setenv("XENSTORED_PATH", path, 1) ? -errno : 0;
}

/* mkdir -p @dir (mode 0755): on Xen nobody made the run directory for us. */
static int make_dirs(const char *dir)
{
	char p[4096];

	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* Join the domain: the local one we were given, or the Xen domain we run in. */
static int join_domain(struct pv_guest *g, const struct options *o)
{
	struct pv_platform_opts po = {.name = o->platform, .rundir = o->rundir,
				      .domid = (int)o->domid, .domid_set = 1};
	int rc;

	if (!strcmp(o->platform, "xen")) {
		po.domid_set = 0;
		rc = pv_platform_open(&g->platform, &po);
		if (rc < 0) {
			pv_err_errno(rc, "cannot open the xen platform (/dev/xen, xenstore)");
			return rc;
		}
		g->domid = pv_platform_domid(g->platform);
		rc = set_environment(g, o);
		return rc ? rc : make_dirs(g->dir);
	}
	g->domid = (pv_domid_t)o->domid;
	g->preserve = o->preserve;
	rc = set_environment(g, o);
	if (rc < 0)
		return rc;
	rc = pv_platform_open(&g->platform, &po);
	if (rc < 0) {
		pv_err_errno(rc, "cannot join domain %ld through pvkitd under %s", o->domid,
			     o->rundir);
		return rc;
	}
	rc = pv_local_hold(g->platform);
	if (rc < 0)
		pv_err_errno(rc, "cannot hold domain %ld (is another pvkit-guest running it?)",
			     o->domid);
	return rc;
}

static int setup(struct pv_guest *g, const struct options *o)
{
	sigset_t mask;
	int rc;

	rc = join_domain(g, o);
	if (rc < 0)
		return rc;
	rc = pv_xs_open(&g->xs, NULL);
	if (rc < 0)
		return rc;
	g->epfd = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	g->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (g->epfd < 0 || g->sigfd < 0)
		return -errno;
	rc = pv_guest_add_fd(g, g->sigfd, EPOLLIN, on_signal, NULL);
	if (rc == 0)
		rc = pv_guest_add_fd(g, pv_xs_fd(g->xs), EPOLLIN, on_xenstore, NULL);
	if (rc == 0)
		rc = start_xs_check(g);
	if (rc == 0)
		rc = open_buses(g);
	if (rc == 0 && !o->no_console)
		rc = start_console(g, o->init);
	return rc;
}

static void teardown(struct pv_guest *g)
{
	close_buses(g);
	if (g->console)
		pv_consfront_stop(g->console);
	g->console = NULL;
	pv_xs_close(g->xs);
	g->xs = NULL;
	if (g->platform)
		pv_platform_close(g->platform); /* the domain dies with its kernel */
	g->platform = NULL;
	for (struct fdreg *r = g->fds; r; r = r->next)
		r->dead = 1;
	reap_fds(g);
	if (g->xs_timer >= 0)
		close(g->xs_timer);
	g->xs_timer = -1;
}

int main(int argc, char **argv)
{
	struct pv_guest g = {.epfd = -1, .sigfd = -1, .xs_timer = -1};
	struct options o;
	int rc;

	if (parse_options(argc, argv, &o) < 0)
		return 2;
	if (o.log && pv_log_open_file(o.log) < 0)
		fprintf(stderr, "pvkit-guest: cannot open log file %s\n", o.log);
	pv_log_set_ident("pvkit-guest");
	rc = setup(&g, &o);
	if (rc < 0) {
		pv_err_errno(rc, "domain %u: runtime start failed", (unsigned int)g.domid);
		teardown(&g);
		return 1;
	}
	pv_info("domain %u running (%s)", (unsigned int)g.domid, g.dir);
	run_loop(&g);
	teardown(&g);
	pv_info("domain %u stopped", (unsigned int)g.domid);
	return g.exit_status;
}

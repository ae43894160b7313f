/* SPDX-License-Identifier: MIT */
/*
 * The guest monitor create leaves behind, as xl does: a small detached
 * process that waits for the domain's death (its init exited, its runtime
 * crashed), removes what create made, so no xenstore node outlives it, and
 * restarts the guest when its on_poweroff/on_crash says restart.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "create.h"
#include "toolstack.h"

/* The rest of teardown runs only while /local/domain/<id>/name is still @name. */
static int still_ours(struct pv_xs *xs, pv_domid_t domid, const char *name)
{
	char dir[64], *v = NULL;
	int ours;

	snprintf(dir, sizeof(dir), "/local/domain/%u", domid);
	ours = pv_xs_read(xs, PV_XS_NO_TXN, dir, "name", &v) == 0 && !strcmp(v, name);
	free(v);
	return ours;
}

static void log_line(const char *name, pv_domid_t domid, const char *what)
{
	time_t now = time(NULL);
	char when[32];

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", gmtime(&now));
	printf("%s pvkit monitor: guest %s (domid %u) %s\n", when, name, domid, what);
	fflush(stdout);
}

/* A guest restarted this often in a row, each living less than RESTART_QUICK_S, is destroyed. */
#define RESTART_MAX     5
#define RESTART_QUICK_S 10

/* Restarts in a row of quickly ending guests: the next monitor is forked from this one. */
static unsigned quick_restarts;


/* on_poweroff/on_crash=restart: the same configuration again (a new domid). */
static void restart(const struct domcfg *dc, pv_domid_t old, time_t started)
{
	struct create_opts o = {.quiet = 1};
	char what[96];

	quick_restarts = time(NULL) - started < RESTART_QUICK_S ? quick_restarts + 1 : 0;
	if (quick_restarts > RESTART_MAX) {
		snprintf(what, sizeof(what), "ended %u times in a row within %d s: not restarted",
			 RESTART_MAX + 1, RESTART_QUICK_S);
		log_line(dc->name, old, what);
		return;
	}
	log_line(dc->name, old, "ended; restarting it (same configuration)");
	if (create_guest(dc, &o) != 0)
		log_line(dc->name, old, "restart failed");
}

/* In the monitor: wait for the death, then do what the config says. Never returns. */
static void monitor(const struct domcfg *dc, pv_domid_t domid)
{
	time_t started = time(NULL);
	char how[16] = "";
	enum domcfg_action act;
	struct pv_local *l;
	struct pv_xs *xs;
	int rc, poweroff;

	if (pv_local_open(&l, ts_rundir()) < 0)
		_exit(1);
	rc = pv_local_domain_wait(l, domid, -1);
	if (rc < 0) /* pvkitd went away: host down cleans up */
		_exit(0);
	if (ts_xs_open(&xs) < 0)
		_exit(1);
	if (!still_ours(xs, domid, dc->name)) { /* destroy or shutdown did it */
		pv_xs_close(xs);
		_exit(0);
	}
	if (ts_guest_ended(domid, how, sizeof(how)) && !strcmp(how, "destroyed")) {
		pv_xs_close(xs); /* pvkit destroy (or shutdown) removes what is left */
		pv_local_close(l);
		_exit(0);
	}
	poweroff = !strcmp(how, "poweroff");
	act = poweroff ? dc->on_poweroff : dc->on_crash;
	if (act == DOMCFG_PRESERVE) /* the runtime keeps a preserved guest: this one died */
		log_line(dc->name, domid, "ended with its runtime: nothing left to preserve");
	rc = ts_domain_teardown(l, xs, domid);
	log_line(dc->name, domid, rc ? "ended; cleanup failed" : poweroff ?
		 "powered off; its nodes are removed" : "crashed; its nodes are removed");
	pv_xs_close(xs);
	pv_local_close(l);
	if (!rc && act == DOMCFG_RESTART)
		restart(dc, domid, started);
	_exit(rc ? 1 : 0);
}

int create_monitor(const struct domcfg *dc, pv_domid_t domid, const char *log)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -errno;
	if (pid > 0)
		return 0;
	setsid();
	prctl(PR_SET_NAME, "pvkit-monitor");
	signal(SIGHUP, SIG_IGN);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	dup2(open("/dev/null", O_RDONLY), 0);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	monitor(dc, domid);
	return 0;
}

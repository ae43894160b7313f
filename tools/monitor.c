/* SPDX-License-Identifier: MIT */
/*
 * The guest monitor create leaves behind, as xl does: a small detached
 * process that waits for the domain's death (its init exited, its runtime
 * crashed) and removes what create made, so no xenstore node outlives it.
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

/* In the monitor: wait for the death, then clean up. Never returns. */
static void monitor(const char *name, pv_domid_t domid, enum domcfg_action on_poweroff)
{
	struct pv_local *l;
	struct pv_xs *xs;
	int rc;

	if (pv_local_open(&l, ts_rundir()) < 0)
		_exit(1);
	rc = pv_local_domain_wait(l, domid, -1);
	if (rc < 0) /* pvkitd went away: host down cleans up */
		_exit(0);
	if (ts_xs_open(&xs) < 0)
		_exit(1);
	if (!still_ours(xs, domid, name)) { /* destroy or shutdown did it */
		pv_xs_close(xs);
		_exit(0);
	}
	if (on_poweroff != DOMCFG_DESTROY)
		log_line(name, domid, "ended; only on_poweroff=\"destroy\" is supported: destroyed");
	rc = ts_domain_teardown(l, xs, domid);
	log_line(name, domid, rc ? "ended; cleanup failed" : "ended; its nodes are removed");
	pv_xs_close(xs);
	pv_local_close(l);
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
	monitor(dc->name, domid, dc->on_poweroff);
	return 0;
}

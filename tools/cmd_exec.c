/* SPDX-License-Identifier: MIT */
/*
 * pvkit exec and pvkit console: run a command inside a guest's namespaces
 * (those of its runtime), and attach to or print a guest's console.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "create.h"
#include "pvkit/console.h"
#include "pvkit_cmd.h"
#include "toolstack.h"

/* Find @what's domain (printing why not). 0 or an exit status. */
static int find_guest(const char *cmd, const char *what, struct pv_local_domain_info *d)
{
	struct pv_local *l;
	int rc;

	if (ts_admin_open(&l) < 0)
		return PVKIT_EXIT_FAILURE;
	rc = ts_find_domain(l, cmd, what, d);
	pv_local_close(l);
	return rc < 0 ? PVKIT_EXIT_FAILURE : 0;
}

/* Enter @pid's network, UTS and mount namespaces (the mount one last: it moves /). */
static int enter_namespaces(pid_t pid)
{
	static const char *const ns[] = {"net", "uts", "mnt"};
	int fds[3], rc = 0;

	for (int i = 0; i < 3; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns[i]);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			rc = -errno;
			fprintf(stderr, "pvkit exec: cannot open %s: %s\n", path, strerror(errno));
			while (i-- > 0)
				close(fds[i]);
			return rc;
		}
	}
	for (int i = 0; i < 3; i++) {
		if (!rc && setns(fds[i], 0) < 0) {
			rc = -errno;
			fprintf(stderr, "pvkit exec: cannot enter the guest's %s namespace: %s\n", ns[i],
				strerror(errno));
		}
		close(fds[i]);
	}
	return rc;
}

/* What a process of the guest sees: its domid, and xenstore as the guest. */
static int guest_env(pv_domid_t domid)
{
	char id[16], xs[TS_PATH_MAX];

	snprintf(id, sizeof(id), "%u", domid);
	if (ts_path(xs, sizeof(xs), "dom/%u/xenstored.sock", domid))
		return -ENAMETOOLONG;
	if (setenv("PVKIT_DOMID", id, 1) || setenv("PVKIT_RUNDIR", ts_rundir(), 1) ||
	    setenv("XENSTORED_PATH", xs, 1))
		return -errno;
	return 0;
}

int pvkit_cmd_exec(int argc, char **argv)
{
	struct pv_local_domain_info d;
	const char *what = NULL;
	int i = 1, rc;
	pid_t pid;

	for (; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--rundir") && i + 1 < argc)
			pvkit_rundir = argv[++i];
		else if (argv[i][0] == '-' || what)
			return pvkit_usage_error("exec", "unexpected argument '%s' (the command goes "
						 "after --)", argv[i]);
		else
			what = argv[i];
	}
	if (!what)
		return pvkit_usage_error("exec", "which guest? give its name or domid");
	if (i + 1 >= argc)
		return pvkit_usage_error("exec", "no command: pvkit exec %s -- COMMAND [ARG...]", what);
	if ((rc = find_guest("exec", what, &d)))
		return rc;
	pid = ts_runtime_pid(d.domid);
	if (pid < 0) {
		fprintf(stderr, "pvkit exec: guest %s has no runtime running (domid %u)\n", d.name,
			d.domid);
		return PVKIT_EXIT_FAILURE;
	}
	if (guest_env(d.domid) < 0 || enter_namespaces(pid) < 0)
		return PVKIT_EXIT_FAILURE;
	if (chdir("/") < 0)
		fprintf(stderr, "pvkit exec: cannot chdir to /: %s\n", strerror(errno));
	execvp(argv[i + 1], argv + i + 1);
	fprintf(stderr, "pvkit exec: cannot run %s in guest %s: %s\n", argv[i + 1], d.name,
		strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

int console_attach_domid(pv_domid_t domid, const char *cmd)
{
	char path[TS_PATH_MAX];
	int rc;

	if (ts_path(path, sizeof(path), "console/%u.pty", domid))
		return PVKIT_EXIT_FAILURE;
	if (access(path, F_OK) < 0) {
		fprintf(stderr, "pvkit %s: domain %u has no console pty (%s); is pvkit-consoled "
			"running? (pvkit host status)\n", cmd, domid, path);
		return PVKIT_EXIT_FAILURE;
	}
	rc = pv_console_attach(path, 0);
	if (rc == -EBUSY)
		fprintf(stderr, "pvkit %s: someone else is attached to this console\n", cmd);
	else if (rc < 0)
		fprintf(stderr, "pvkit %s: cannot attach to %s: %s\n", cmd, path, strerror(-rc));
	return rc < 0 ? PVKIT_EXIT_FAILURE : 0;
}

static int print_log(pv_domid_t domid)
{
	char path[TS_PATH_MAX];
	int rc;

	if (ts_path(path, sizeof(path), "log/console/dom%u.log", domid))
		return PVKIT_EXIT_FAILURE;
	rc = pv_console_print_log(path, STDOUT_FILENO);
	if (rc < 0)
		fprintf(stderr, "pvkit console: cannot print %s: %s\n", path, strerror(-rc));
	return rc < 0 ? PVKIT_EXIT_FAILURE : 0;
}

int pvkit_cmd_console(int argc, char **argv)
{
	struct pv_local_domain_info d;
	const char *what = NULL;
	int log = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rundir") && i + 1 < argc)
			pvkit_rundir = argv[++i];
		else if (!strcmp(argv[i], "--log") || !strcmp(argv[i], "-l"))
			log = 1;
		else if (argv[i][0] == '-' || what)
			return pvkit_usage_error("console", "unexpected argument '%s'", argv[i]);
		else
			what = argv[i];
	}
	if (!what)
		return pvkit_usage_error("console", "which guest? give its name or domid");
	if ((rc = find_guest("console", what, &d)))
		return rc;
	return log ? print_log(d.domid) : console_attach_domid(d.domid, "console");
}

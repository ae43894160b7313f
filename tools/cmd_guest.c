/* SPDX-License-Identifier: MIT */
/*
 * pvkit list, destroy and shutdown: the running guests as pvkitd and
 * xenstore know them, and the two ways to end one.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvkit_cmd.h"
#include "toolstack.h"

#define SHUTDOWN_DEFAULT_TIMEOUT 20 /* seconds before shutdown destroys */

/* CPU seconds used by @pid and its waited-for children, or 0. */
static double cpu_seconds(pid_t pid)
{
	unsigned long long ut, st, cut, cst;
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = pid > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	/* After ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime... */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
			 &ut, &st, &cut, &cst) != 4)
		return 0;
	return (double)(ut + st + cut + cst) / (double)sysconf(_SC_CLK_TCK);
}

static int count_children(struct pv_xs *xs, const char *dir)
{
	char **names = NULL;
	int n = xs ? pv_xs_directory(xs, PV_XS_NO_TXN, dir, NULL, &names) : -ENOENT;

	free(names);
	return n < 0 ? 0 : n;
}

static void print_domain(struct pv_xs *xs, const struct pv_local_domain_info *d)
{
	char dir[64], path[TS_PATH_MAX];
	const char *state = "-----d";
	pid_t pid = 0;
	int vcpus;

	snprintf(dir, sizeof(dir), "/local/domain/%u/cpu", d->domid);
	vcpus = d->domid ? count_children(xs, dir) : 1;
	if (d->domid == 0 && !ts_path(path, sizeof(path), "pvkitd.pid"))
		pid = ts_read_pid(path);
	else if (d->domid)
		pid = ts_runtime_pid(d->domid);
	if (d->state == PV_LOCAL_RUNNING)
		state = pid > 0 ? "r-----" : "-b----";
	if (d->state == PV_LOCAL_RUNNING && pid > 0 && d->domid && ts_guest_preserved(d->domid, NULL, 0))
		state = "---s--"; /* init ended, the domain is preserved (on_poweroff/on_crash) */
	printf("%-32s %5u %6llu %5d %8s %9.1f\n", d->name, d->domid,
	       (unsigned long long)(d->mem_bytes >> 20), vcpus, state, cpu_seconds(pid));
}

/* One device of a guest: "    vbd 51712   frontend Connected   backend Connected". */
static void print_device(struct pv_xs *xs, pv_domid_t domid, const char *kind, const char *id)
{
	char front[128], *backend = NULL;
	int fe, be = PV_XENBUS_STATE_UNKNOWN;

	snprintf(front, sizeof(front), "/local/domain/%u/device/%s/%s", domid, kind, id);
	fe = pv_xenbus_read_state(xs, front);
	if (pv_xs_read(xs, PV_XS_NO_TXN, front, "backend", &backend) == 0)
		be = pv_xenbus_read_state(xs, backend);
	printf("    %-4s %-8s frontend %-13s backend %-13s %s\n", kind, id,
	       pv_xenbus_state_name(fe), pv_xenbus_state_name(be), backend ? backend : "-");
	free(backend);
}

static void print_devices(struct pv_xs *xs, pv_domid_t domid)
{
	char dir[64], **kinds = NULL, *tty = NULL;
	int nk;

	snprintf(dir, sizeof(dir), "/local/domain/%u/device", domid);
	nk = pv_xs_directory(xs, PV_XS_NO_TXN, dir, NULL, &kinds);
	for (int k = 0; k < nk; k++) {
		char sub[128], **ids = NULL;
		int ni;

		snprintf(sub, sizeof(sub), "%s/%s", dir, kinds[k]);
		ni = pv_xs_directory(xs, PV_XS_NO_TXN, sub, NULL, &ids);
		for (int i = 0; i < ni; i++)
			print_device(xs, domid, kinds[k], ids[i]);
		free(ids);
	}
	free(kinds);
	snprintf(dir, sizeof(dir), "/local/domain/%u/console", domid);
	if (pv_xs_exists(xs, PV_XS_NO_TXN, dir, NULL) != 1)
		return;
	pv_xs_read(xs, PV_XS_NO_TXN, dir, "tty", &tty);
	printf("    %-13s frontend %-13s backend %-13s %s\n", "console",
	       pv_xs_exists(xs, PV_XS_NO_TXN, dir, "ring-ref") == 1 ? "Connected" : "Initialising",
	       tty && *tty ? "Connected" : "Initialising", tty && *tty ? tty : "-");
	free(tty);
}

static int wanted(const struct pv_local_domain_info *d, int argc, char **argv)
{
	char id[16];

	if (argc == 0)
		return 1;
	snprintf(id, sizeof(id), "%u", d->domid);
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], d->name) || !strcmp(argv[i], id))
			return 1;
	return 0;
}

static int by_domid(const void *a, const void *b)
{
	const struct pv_local_domain_info *x = a, *y = b;

	return (int)x->domid - (int)y->domid;
}

static int list_parse(int argc, char **argv, int *longfmt)
{
	static const struct option longopts[] = {
		{"long", no_argument, NULL, 'l'},
		{"rundir", required_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+l", longopts, NULL)) != -1) {
		if (c == 'l')
			*longfmt = 1;
		else if (c == 'R')
			pvkit_rundir = optarg;
		else
			return pvkit_usage_error(argv[0], "unknown option '%s'", argv[optind - 1]);
	}
	return 0;
}

int pvkit_cmd_list(int argc, char **argv)
{
	struct pv_local_domain_info *v = NULL;
	struct pv_local *l;
	struct pv_xs *xs = NULL;
	char path[TS_PATH_MAX], how[16];
	int longfmt = 0, n, shown = 0, rc = list_parse(argc, argv, &longfmt);

	if (rc)
		return rc;
	if (ts_admin_open(&l) < 0)
		return PVKIT_EXIT_FAILURE;
	if (!ts_path(path, sizeof(path), "xenstored.sock") && ts_socket_answers(path) &&
	    pv_xs_open(&xs, path) < 0)
		xs = NULL; /* without xenstore, list what pvkitd knows */
	n = pv_local_domain_list(l, &v);
	if (n < 0)
		fprintf(stderr, "pvkit list: cannot list domains: %s\n", strerror(-n));
	else
		printf("%-32s %5s %6s %5s %8s %9s\n", "Name", "ID", "Mem", "VCPUs", "State",
		       "Time(s)");
	if (n > 0)
		qsort(v, (size_t)n, sizeof(*v), by_domid); /* domain 0 first, as xl */
	for (int i = 0; i < n; i++) {
		if (!wanted(&v[i], argc - optind, argv + optind))
			continue;
		print_domain(xs, &v[i]);
		shown++;
		if (longfmt && v[i].domid && ts_guest_preserved(v[i].domid, how, sizeof(how)))
			printf("    shut down (%s); preserved until pvkit destroy %s\n", how, v[i].name);
		if (longfmt && xs && v[i].domid)
			print_devices(xs, v[i].domid);
	}
	if (n >= 0 && argc > optind && !shown)
		fprintf(stderr, "pvkit list: no such guest: %s\n", argv[optind]);
	free(v);
	if (xs)
		pv_xs_close(xs);
	pv_local_close(l);
	return n < 0 || (argc > optind && !shown) ? PVKIT_EXIT_FAILURE : 0;
}

/* Connect to pvkitd and xenstore and find @what. 0, or an exit status (printed). */
static int open_guest(const char *cmd, const char *what, struct pv_local **l, struct pv_xs **xs,
		      struct pv_local_domain_info *d)
{
	if (ts_admin_open(l) < 0)
		return PVKIT_EXIT_FAILURE;
	if (ts_xs_open(xs) < 0) {
		pv_local_close(*l);
		return PVKIT_EXIT_FAILURE;
	}
	if (ts_find_domain(*l, cmd, what, d) < 0) {
		pv_xs_close(*xs);
		pv_local_close(*l);
		return PVKIT_EXIT_FAILURE;
	}
	return 0;
}

/* argv = {CMD, [-w] [--timeout S] [--rundir DIR], NAME|ID}. 0 or an exit status. */
static int one_guest_arg(int argc, char **argv, const char **what, unsigned *timeout)
{
	char *end;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rundir") && i + 1 < argc) {
			pvkit_rundir = argv[++i];
		} else if (timeout && (!strcmp(argv[i], "-t") || !strcmp(argv[i], "--timeout")) &&
			   i + 1 < argc) {
			*timeout = (unsigned)strtoul(argv[++i], &end, 10);
			if (*end || *timeout < 2 || *timeout > 3600)
				return pvkit_usage_error(argv[0], "--timeout %s: use 2 to 3600 seconds",
							 argv[i]);
		} else if (timeout && (!strcmp(argv[i], "-w") || !strcmp(argv[i], "--wait"))) {
			continue; /* shutdown always waits; kept for xl's users */
		} else if (argv[i][0] == '-') {
			return pvkit_usage_error(argv[0], "unknown option '%s'", argv[i]);
		} else if (*what) {
			return pvkit_usage_error(argv[0], "one guest at a time ('%s' is extra)", argv[i]);
		} else {
			*what = argv[i];
		}
	}
	if (!*what)
		return pvkit_usage_error(argv[0], "which guest? give its name or domid");
	return 0;
}

int pvkit_cmd_destroy(int argc, char **argv)
{
	struct pv_local_domain_info d;
	const char *what = NULL;
	struct pv_local *l;
	struct pv_xs *xs;
	int rc = one_guest_arg(argc, argv, &what, NULL);

	if (rc || (rc = open_guest("destroy", what, &l, &xs, &d)))
		return rc;
	rc = ts_domain_teardown(l, xs, d.domid);
	if (!rc)
		printf("destroyed guest %s (domid %u)\n", d.name, d.domid);
	pv_xs_close(xs);
	pv_local_close(l);
	return rc ? PVKIT_EXIT_FAILURE : 0;
}

/*
 * The runtime's orderly shutdown: the first SIGTERM goes to init, and once
 * init has exited the devices close; a second one closes the devices even
 * though init still runs (an interactive shell ignores SIGTERM). Half of
 * @secs for each. 0 once the runtime is gone, -ETIMEDOUT.
 */
static int stop_runtime(const char *name, pid_t pid, unsigned secs)
{
	int half = (int)secs * 500;

	for (int round = 0; round < 2; round++) {
		if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
			fprintf(stderr, "pvkit shutdown: cannot signal the runtime of %s (pid %d): %s\n",
				name, (int)pid, strerror(errno));
		if (ts_wait_gone(pid, half) == 0)
			return 0;
		if (round == 0)
			printf("guest %s: init did not stop in %d s; closing its devices\n", name,
			       half / 1000);
	}
	return -ETIMEDOUT;
}

int pvkit_cmd_shutdown(int argc, char **argv)
{
	struct pv_local_domain_info d;
	unsigned timeout = SHUTDOWN_DEFAULT_TIMEOUT;
	const char *what = NULL;
	struct pv_local *l;
	struct pv_xs *xs;
	pid_t pid;
	int rc = one_guest_arg(argc, argv, &what, &timeout);

	if (rc || (rc = open_guest("shutdown", what, &l, &xs, &d)))
		return rc;
	pid = ts_runtime_pid(d.domid);
	if (pid <= 0)
		fprintf(stderr, "pvkit shutdown: guest %s has no runtime running; destroying it\n",
			d.name);
	else if (stop_runtime(d.name, pid, timeout) == 0)
		printf("guest %s shut down\n", d.name);
	else
		fprintf(stderr, "pvkit shutdown: guest %s still runs after %u s; destroying it\n",
			d.name, timeout);
	rc = ts_domain_teardown(l, xs, d.domid);
	pv_xs_close(xs);
	pv_local_close(l);
	return rc ? PVKIT_EXIT_FAILURE : 0;
}

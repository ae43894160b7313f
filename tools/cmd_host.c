/* SPDX-License-Identifier: MIT */
/*
 * pvkit host up|down|status: the local platform's daemons in domain 0, each
 * started detached with its pid file, log and readiness check.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pvkit_cmd.h"
#include "toolstack.h"

/* Bound on each daemon's start-up, and on its exit after SIGTERM. */
#define HOST_READY_MS 10000
#define HOST_STOP_MS  5000

/*
 * One daemon, in start order. Ready (and healthy) when @sock, under the
 * run directory, accepts a connection; daemons without a socket are ready
 * once @ready_text is in their log.
 */
struct daemon {
	const char *name;
	const char *sock;
	const char *ready_text;
	int optional;  /* started only when installed */
	int file_log;  /* --log FILE; else --log is consoled's guest-log folder */
};

static const struct daemon daemons[] = {
	{"pvkitd", "pvkitd.sock", NULL, 0, 1},
	{"pvkit-xenstored", "xenstored.sock", NULL, 0, 1},
	{"pvkit-consoled", NULL, "serving consoles", 0, 0},
	{"pvkit-blkback", NULL, "serving ", 1, 1},
	{"pvkit-netback", NULL, "serving ", 1, 1},
	{"pvkit-pciback", NULL, "serving ", 1, 1},
};

#define NDAEMONS (sizeof(daemons) / sizeof(daemons[0]))

static void daemon_path(char *buf, size_t len, const struct daemon *d, const char *what)
{
	if (!strcmp(what, "sock"))
		ts_path(buf, len, "%s", d->sock);
	else if (!strcmp(what, "log"))
		ts_path(buf, len, "log/%s.log", d->name);
	else
		ts_path(buf, len, "%s.pid", d->name);
}

/* The daemon's running pid (checked against its name), or 0. */
static pid_t daemon_pid(const struct daemon *d)
{
	char path[TS_PATH_MAX];
	pid_t pid;

	daemon_path(path, sizeof(path), d, "pid");
	pid = ts_read_pid(path);
	return pid > 0 && ts_pid_is(pid, d->name) ? pid : 0;
}

/* 1 when @path holds @text past offset @from (logs are appended to). */
static int file_has(const char *path, off_t from, const char *text)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = pread(fd, buf, sizeof(buf) - 1, from);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strstr(buf, text) != NULL;
}

static int daemon_healthy(const struct daemon *d, pid_t pid)
{
	char path[TS_PATH_MAX];

	if (!ts_pid_alive(pid))
		return 0;
	if (!d->sock)
		return 1;
	daemon_path(path, sizeof(path), d, "sock");
	return ts_socket_answers(path);
}

static int daemon_ready(const struct daemon *d, pid_t pid, off_t log_start)
{
	char path[TS_PATH_MAX];

	if (d->sock)
		return daemon_healthy(d, pid);
	daemon_path(path, sizeof(path), d, "log");
	return file_has(path, log_start, d->ready_text);
}

/* In the child: detach, point stdio at /dev/null or the log, exec. */
static void exec_daemon(const struct daemon *d, const char *prog)
{
	char log[TS_PATH_MAX], logarg[TS_PATH_MAX];
	int null = open("/dev/null", O_RDWR), out;

	setsid();
	daemon_path(log, sizeof(log), d, "log");
	if (d->file_log)
		snprintf(logarg, sizeof(logarg), "%s", log);
	else
		ts_path(logarg, sizeof(logarg), "log/console");
	/* A daemon with its own log file writes the same lines to stderr. */
	out = d->file_log ? null : open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	dup2(null, 0);
	dup2(out < 0 ? null : out, 1);
	dup2(out < 0 ? null : out, 2);
	setenv("PVKIT_RUNDIR", ts_rundir(), 1);
	unsetenv("XENSTORED_PATH");
	unsetenv("PVKIT_DOMID");
	execl(prog, prog, "--rundir", ts_rundir(), "--log", logarg, (char *)NULL);
	_exit(127);
}

/* Wait until @d (child @pid) is ready: 0, or -errno with a message printed. */
static int wait_ready(const struct daemon *d, pid_t pid, off_t log_start)
{
	char log[TS_PATH_MAX];
	int status;

	daemon_path(log, sizeof(log), d, "log");
	for (int waited = 0; waited < HOST_READY_MS; waited += 20) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "pvkit host up: %s exited (%s %d) before it was ready; see %s\n",
				d->name, WIFEXITED(status) ? "status" : "signal",
				WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), log);
			return -ECHILD;
		}
		if (daemon_ready(d, pid, log_start))
			return 0;
		nanosleep(&(struct timespec){.tv_nsec = 20000000}, NULL);
	}
	fprintf(stderr, "pvkit host up: %s is not ready after %d s; see %s\n", d->name,
		HOST_READY_MS / 1000, log);
	return -ETIMEDOUT;
}

static int start_daemon(const struct daemon *d, const char *prog)
{
	char path[TS_PATH_MAX], text[32];
	struct stat st;
	off_t log_start;
	pid_t pid;
	int rc;

	daemon_path(path, sizeof(path), d, "log");
	log_start = stat(path, &st) == 0 ? st.st_size : 0;
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "pvkit host up: cannot start %s: %s\n", d->name, strerror(errno));
		return -errno;
	}
	if (pid == 0)
		exec_daemon(d, prog);
	daemon_path(path, sizeof(path), d, "pid");
	snprintf(text, sizeof(text), "%d\n", (int)pid);
	rc = ts_write_file(path, text);
	if (rc)
		fprintf(stderr, "pvkit host up: cannot write %s: %s\n", path, strerror(-rc));
	rc = wait_ready(d, pid, log_start);
	if (rc) {
		ts_stop_pid(pid, SIGTERM, HOST_STOP_MS);
		waitpid(pid, NULL, WNOHANG);
		unlink(path);
	}
	return rc;
}

static int make_dirs(void)
{
	char path[TS_PATH_MAX];

	if (mkdir(ts_rundir(), 0755) < 0 && errno != EEXIST)
		goto fail;
	ts_path(path, sizeof(path), "log");
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "pvkit host up: cannot create %s: %s\n", ts_rundir(), strerror(errno));
	return -errno;
}

static void print_where(void)
{
	char path[TS_PATH_MAX];

	printf("host up under %s\n", ts_rundir());
	ts_path(path, sizeof(path), "log");
	printf("  logs:     %s/<daemon>.log, guest consoles in %s/console/\n", path, path);
	ts_path(path, sizeof(path), "xenstored.sock");
	printf("  xenstore: %s (XENSTORED_PATH for xenstore-ls)\n", path);
	ts_path(path, sizeof(path), "pvkitd.sock");
	printf("  pvkitd:   %s\n", path);
}

static int host_up(void)
{
	char prog[TS_PATH_MAX];
	int started = 0, running = 0;

	if (make_dirs())
		return PVKIT_EXIT_FAILURE;
	for (size_t i = 0; i < NDAEMONS; i++) {
		const struct daemon *d = &daemons[i];
		pid_t pid = daemon_pid(d);

		if (pid && daemon_healthy(d, pid)) {
			running++;
			continue;
		}
		if (ts_find_program(d->name, prog, sizeof(prog))) {
			if (d->optional)
				continue;
			fprintf(stderr, "pvkit host up: cannot find %s (build it, or set PVKIT_SBINDIR)\n",
				d->name);
			return PVKIT_EXIT_FAILURE;
		}
		if (pid) /* alive but not answering: replace it */
			ts_stop_pid(pid, SIGTERM, HOST_STOP_MS);
		if (start_daemon(d, prog))
			return PVKIT_EXIT_FAILURE;
		printf("started %-16s pid %d\n", d->name, (int)daemon_pid(d));
		started++;
	}
	if (!started) {
		printf("the host is already up under %s (%d daemons; see: pvkit host status)\n",
		       ts_rundir(), running);
		return 0;
	}
	print_where();
	return 0;
}

/* The name pvkitd has for @domid in @v, or "-". */
static const char *dom_name(const struct pv_local_domain_info *v, int n, pv_domid_t domid)
{
	for (int i = 0; i < n; i++)
		if (v[i].domid == domid)
			return v[i].name;
	return "-";
}

/*
 * host status -l: what each domain holds in pvkitd (grant pins both ways,
 * event channels, connections, leases). After a guest is gone, domain 0's
 * line is back to what it was before the guest: the leak checks read it.
 */
static int print_resources(void)
{
	struct pv_local_domain_stats *st = NULL;
	struct pv_local_domain_info *v = NULL;
	struct pv_local *l;
	int n, nv;

	if (pv_local_open(&l, ts_rundir()) < 0)
		return -1;
	nv = pv_local_domain_list(l, &v);
	n = pv_local_domain_stats(l, &st);
	pv_local_close(l);
	if (n < 0 || nv < 0) {
		fprintf(stderr, "pvkit host status: cannot read pvkitd's figures: %s\n",
			strerror(-(n < 0 ? n : nv)));
		free(v);
		free(st);
		return -1;
	}
	printf("\n%-16s %5s %-8s %8s %8s %7s %5s %6s\n", "DOMAIN", "ID", "STATE", "PINNED",
	       "MAPPED", "EVTCHNS", "CONNS", "LEASES");
	for (int i = n; i-- > 0;)
		printf("%-16s %5u %-8s %8llu %8llu %7u %5u %6u\n",
		       st[i].domid ? dom_name(v, nv, st[i].domid) : "Domain-0", st[i].domid,
		       st[i].state == PV_LOCAL_DYING ? "dying" : "running",
		       (unsigned long long)st[i].grants_pinned,
		       (unsigned long long)st[i].grants_mapped, st[i].evtchn_ports,
		       st[i].connections, st[i].leases);
	free(v);
	free(st);
	return 0;
}

static int host_status(int lng)
{
	char prog[TS_PATH_MAX];
	int down = 0;

	printf("%-16s %8s  %s\n", "DAEMON", "PID", "HEALTH");
	for (size_t i = 0; i < NDAEMONS; i++) {
		const struct daemon *d = &daemons[i];
		pid_t pid = daemon_pid(d);
		const char *health = "up";

		if (!pid && d->optional && ts_find_program(d->name, prog, sizeof(prog))) {
			printf("%-16s %8s  %s\n", d->name, "-", "not installed");
			continue;
		}
		if (!pid)
			health = "down";
		else if (!daemon_healthy(d, pid))
			health = "not answering";
		down += strcmp(health, "up") != 0;
		if (pid)
			printf("%-16s %8d  %s\n", d->name, (int)pid, health);
		else
			printf("%-16s %8s  %s\n", d->name, "-", health);
	}
	if (lng && daemon_pid(&daemons[0]) && print_resources() < 0)
		down++;
	if (down)
		fprintf(stderr, "pvkit host status: %d daemon%s down under %s (start: pvkit host up%s%s)\n",
			down, down == 1 ? "" : "s", ts_rundir(), pvkit_rundir ? " --rundir " : "",
			pvkit_rundir ? pvkit_rundir : "");
	return down ? PVKIT_EXIT_FAILURE : 0;
}

/*
 * Tear down every guest pvkitd runs; quietly nothing when pvkitd is down.
 * Without xenstore too (pvkit-xenstored died): guests outlive it, and
 * their runtimes must not outlive the host.
 */
static void destroy_guests(void)
{
	struct pv_local_domain_info *v = NULL;
	char path[TS_PATH_MAX];
	struct pv_local *l;
	struct pv_xs *xs = NULL;
	int n, xs_tried = 0;

	if (pv_local_open(&l, ts_rundir()) < 0)
		return;
	n = pv_local_domain_list(l, &v);
	for (int i = 0; i < n; i++) {
		if (v[i].domid == 0 || v[i].state != PV_LOCAL_RUNNING)
			continue;
		if (!xs_tried++ && !ts_path(path, sizeof(path), "xenstored.sock") &&
		    (!ts_socket_answers(path) || ts_xs_open(&xs) < 0))
			printf("xenstore does not answer: guests are destroyed without it\n");
		printf("destroying guest %s (domid %u)\n", v[i].name, v[i].domid);
		ts_domain_teardown(l, xs, v[i].domid);
	}
	free(v);
	if (xs)
		pv_xs_close(xs);
	pv_local_close(l);
}

static int host_down(void)
{
	char path[TS_PATH_MAX];
	int stopped = 0, failed = 0;

	destroy_guests();
	for (size_t i = NDAEMONS; i-- > 0;) {
		const struct daemon *d = &daemons[i];
		pid_t pid = daemon_pid(d);
		int rc;

		daemon_path(path, sizeof(path), d, "pid");
		if (!pid) {
			unlink(path);
			continue;
		}
		rc = ts_stop_pid(pid, SIGTERM, HOST_STOP_MS);
		if (rc) {
			fprintf(stderr, "pvkit host down: cannot stop %s (pid %d): %s\n", d->name,
				(int)pid, strerror(-rc));
			failed++;
			continue;
		}
		unlink(path);
		printf("stopped %-16s pid %d\n", d->name, (int)pid);
		stopped++;
	}
	if (!stopped && !failed)
		printf("the host is not up under %s: nothing to stop\n", ts_rundir());
	return failed ? PVKIT_EXIT_FAILURE : 0;
}

int pvkit_cmd_host(int argc, char **argv)
{
	const struct pvkit_command *self = pvkit_find_command("host");
	const char *verb = NULL;
	int lng = 0;

	if (pvkit_wants_help(argc, argv)) {
		pvkit_print_usage(stdout, self);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rundir") && i + 1 < argc)
			pvkit_rundir = argv[++i];
		else if (!strncmp(argv[i], "--rundir=", 9))
			pvkit_rundir = argv[i] + 9;
		else if (!strcmp(argv[i], "-l") || !strcmp(argv[i], "--long"))
			lng = 1;
		else if (argv[i][0] == '-' || verb)
			return pvkit_usage_error("host", "unexpected argument '%s'", argv[i]);
		else
			verb = argv[i];
	}
	if (!verb)
		return pvkit_usage_error("host", "which one: up, down or status?");
	if (!strcmp(verb, "up"))
		return host_up();
	if (lng && strcmp(verb, "status"))
		return pvkit_usage_error("host", "-l goes with status only");
	if (!strcmp(verb, "status"))
		return host_status(lng);
	if (!strcmp(verb, "down"))
		return host_down();
	return pvkit_usage_error("host", "unknown action '%s' (use up, down or status)", verb);
}

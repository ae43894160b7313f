/* SPDX-License-Identifier: MIT */
/*
 * Helpers the host and guest subcommands share: run directory paths, pid
 * files, program lookup, connections with clear errors, guest teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "pvkit_cmd.h"
#include "toolstack.h"

#ifndef PVKIT_PREFIX
#define PVKIT_PREFIX "/usr/local"
#endif
#ifndef PVKIT_SBINDIR
#define PVKIT_SBINDIR PVKIT_PREFIX "/sbin"
#endif

const char *ts_rundir(void)
{
	return pvkit_rundir ? pvkit_rundir : pv_local_default_rundir();
}

int ts_path(char *buf, size_t len, const char *fmt, ...)
{
	size_t n;
	va_list ap;
	int m;

	m = snprintf(buf, len, "%s/", ts_rundir());
	if (m < 0 || (size_t)m >= len)
		return -ENAMETOOLONG;
	n = (size_t)m;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	return m < 0 || (size_t)m >= len - n ? -ENAMETOOLONG : 0;
}

pid_t ts_read_pid(const char *path)
{
	char buf[32], *end;
	ssize_t n;
	long v;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[n] = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || (*end && *end != '\n') || v <= 0 || v > INT_MAX)
		return -EINVAL;
	return (pid_t)v;
}

int ts_write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		rc = errno ? -errno : -EIO;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	return rc;
}

/* The one-letter state in /proc/<pid>/stat, or 0 when gone. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	return p && p[1] == ' ' ? p[2] : 0;
}

int ts_pid_alive(pid_t pid)
{
	char s;

	if (pid <= 0)
		return 0;
	s = proc_state(pid);
	return s && s != 'Z' && s != 'X';
}

int ts_pid_is(pid_t pid, const char *comm)
{
	char path[64], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	/* The kernel keeps 15 bytes of the name. */
	return !strncmp(buf, comm, 15) && ts_pid_alive(pid);
}

int ts_socket_answers(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, ok, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return 0;
	strcpy(sa.sun_path, path);
	/* xenstored speaks over a stream, pvkitd over seqpacket. */
	for (int i = 0; i < 2; i++) {
		fd = socket(AF_UNIX, (i ? SOCK_SEQPACKET : SOCK_STREAM) | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return 0;
		ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		err = errno;
		close(fd);
		if (ok || err != EPROTOTYPE)
			return ok;
	}
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

int ts_wait_gone(pid_t pid, int ms)
{
	for (int waited = 0; ts_pid_alive(pid); waited += 20) {
		if (waited >= ms)
			return -ETIMEDOUT;
		sleep_ms(20);
	}
	return 0;
}

int ts_stop_pid(pid_t pid, int sig, int ms)
{
	if (!ts_pid_alive(pid))
		return 0;
	if (kill(pid, sig) < 0 && errno != ESRCH)
		return -errno;
	if (ts_wait_gone(pid, ms) == 0)
		return 0;
	if (sig != SIGKILL && kill(pid, SIGKILL) < 0 && errno != ESRCH)
		return -errno;
	return ts_wait_gone(pid, 5000);
}

static int try_program(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n > 0 && (size_t)n < len && access(buf, X_OK) == 0;
}

int ts_find_program(const char *name, char *buf, size_t len)
{
	static const char *const dirs[] = {PVKIT_SBINDIR, PVKIT_PREFIX "/libexec/pvkit",
					   PVKIT_PREFIX "/bin", NULL};
	const char *env = getenv("PVKIT_SBINDIR");
	char self[TS_PATH_MAX];
	ssize_t n;

	if (env && *env && try_program(buf, len, env, name))
		return 0;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		if (strrchr(self, '/'))
			*strrchr(self, '/') = 0;
		if (try_program(buf, len, self, name))
			return 0;
	}
	for (const char *const *d = dirs; *d; d++)
		if (try_program(buf, len, *d, name))
			return 0;
	return -ENOENT;
}

void ts_print_host_not_up(void)
{
	const char *r = ts_rundir();
	int dflt = !pvkit_rundir; /* else the same --rundir must be given again */

	fprintf(stderr, "pvkit: the host is not up under %s (start it with: pvkit host up%s%s)\n",
		r, dflt ? "" : " --rundir ", dflt ? "" : r);
}

int ts_admin_open(struct pv_local **out)
{
	int rc = pv_local_open(out, ts_rundir());

	if (rc == -ENOENT || rc == -ECONNREFUSED)
		ts_print_host_not_up();
	else if (rc < 0)
		fprintf(stderr, "pvkit: cannot connect to pvkitd under %s: %s\n", ts_rundir(),
			strerror(-rc));
	return rc;
}

int ts_xs_open(struct pv_xs **out)
{
	char path[TS_PATH_MAX];
	int rc = ts_path(path, sizeof(path), "xenstored.sock");

	if (rc == 0 && !ts_socket_answers(path)) {
		ts_print_host_not_up();
		return -ENOENT;
	}
	if (rc == 0)
		rc = pv_xs_open(out, path);
	if (rc < 0)
		fprintf(stderr, "pvkit: cannot connect to xenstore at %s: %s\n", path, strerror(-rc));
	return rc;
}

/* A domid written as a plain decimal number, or -1. */
static long parse_domid(const char *s)
{
	char *end;
	long v;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	return *end || v < 0 || v > 0x7fef ? -1 : v;
}

int ts_find_domain(struct pv_local *l, const char *cmd, const char *what,
		   struct pv_local_domain_info *out)
{
	struct pv_local_domain_info *v = NULL;
	long id = parse_domid(what);
	int n = pv_local_domain_list(l, &v);

	if (n < 0) {
		fprintf(stderr, "pvkit %s: cannot list domains: %s\n", cmd, strerror(-n));
		return n;
	}
	for (int i = 0; i < n; i++) {
		if (v[i].state != PV_LOCAL_RUNNING || v[i].domid == 0)
			continue;
		if ((id >= 0 && v[i].domid == id) || (id < 0 && !strcmp(v[i].name, what))) {
			*out = v[i];
			free(v);
			return 0;
		}
	}
	free(v);
	fprintf(stderr, "pvkit %s: no guest %s %s (see 'pvkit list')\n", cmd,
		id >= 0 ? "with domid" : "called", what);
	return -ESRCH;
}

pid_t ts_runtime_pid(pv_domid_t domid)
{
	char path[TS_PATH_MAX];
	pid_t pid;

	if (ts_path(path, sizeof(path), "dom/%u/" TS_RUNTIME_PID, domid))
		return -ENAMETOOLONG;
	pid = ts_read_pid(path);
	if (pid < 0)
		return -ESRCH;
	/* The file may outlive the runtime; never signal someone else. */
	return ts_pid_is(pid, TS_GUEST_PROGRAM) ? pid : -ESRCH;
}

int ts_guest_ended(pv_domid_t domid, char *how, size_t len)
{
	char path[TS_PATH_MAX], word[16] = "";
	FILE *f;

	if (ts_path(path, sizeof(path), "dom/%u/" TS_SHUTDOWN_FILE, domid) ||
	    !(f = fopen(path, "re")))
		return 0;
	if (!fgets(word, sizeof(word), f))
		word[0] = 0;
	fclose(f);
	word[strcspn(word, "\n")] = 0;
	if (how)
		snprintf(how, len, "%s", word);
	return 1;
}

int ts_guest_preserved(pv_domid_t domid, char *how, size_t len)
{
	char word[16];

	if (!ts_guest_ended(domid, word, sizeof(word)) ||
	    (strcmp(word, "poweroff") && strcmp(word, "crash")))
		return 0;
	if (how)
		snprintf(how, len, "%s", word);
	return 1;
}

static void forget_guest(pv_domid_t domid)
{
	char path[TS_PATH_MAX];

	if (!ts_path(path, sizeof(path), "dom/%u/" TS_RUNTIME_PID, domid))
		unlink(path);
	if (!ts_path(path, sizeof(path), "dom/%u/" TS_CONFIG_COPY, domid))
		unlink(path);
	if (!ts_path(path, sizeof(path), "dom/%u/" TS_SHUTDOWN_FILE, domid))
		unlink(path);
	if (!ts_path(path, sizeof(path), "dom/%u", domid))
		rmdir(path); /* pvkitd or xenstored may still hold a socket there */
}

/* libxl's records of the PCI devices @domid held (/libxl/pci/<BDF>/domid). */
static int rm_pci_records(struct pv_xs *xs, pv_xs_txn_t t, unsigned domid)
{
	char **bdfs = NULL, path[96];
	int n = pv_xs_directory(xs, t, "/libxl/pci", NULL, &bdfs), rc = 0;
	uint64_t id;

	for (int i = 0; i < n && !rc; i++) {
		snprintf(path, sizeof(path), "/libxl/pci/%s", bdfs[i]);
		if (pv_xs_read_uint(xs, t, path, "domid", UINT32_MAX, UINT64_MAX, &id) == 0 &&
		    id == domid)
			rc = pv_xs_rm(xs, t, path, NULL);
	}
	free(bdfs);
	return rc;
}

/* Where ts_xs_rm_cleanup() stops: /, /local, /local/domain, /local/domain/N(/device). */
static int cleanup_stop(const char *path)
{
	unsigned n;
	int len = 0;

	if (sscanf(path, "/local/domain/%u%n", &n, &len) == 1 && len > 0)
		return !path[len] || !strcmp(path + len, "/device");
	return !*path || !strcmp(path, "/local") || !strcmp(path, "/local/domain");
}

int ts_xs_rm_cleanup(struct pv_xs *xs, pv_xs_txn_t t, char *path)
{
	int rc = pv_xs_rm(xs, t, path, NULL);
	char *slash, **ids;

	while (!rc && (slash = strrchr(path, '/'))) {
		*slash = 0;
		if (cleanup_stop(path))
			break;
		ids = NULL;
		rc = pv_xs_directory(xs, t, path, NULL, &ids);
		free(ids);
		if (rc != 0)
			return rc < 0 && rc != -ENOENT ? rc : 0;
		rc = pv_xs_rm(xs, t, path, NULL);
	}
	return rc;
}

/* Remove every node create wrote for @domid, in one transaction. */
static int rm_nodes_txn(struct pv_xs *xs, pv_xs_txn_t t, void *opaque)
{
	static const char *const kinds[] = {"vbd", "vif", "console", "pci", "vusb", NULL};
	unsigned domid = *(unsigned *)opaque;
	char path[96];
	int rc;

	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	if ((rc = pv_xs_rm(xs, t, path, NULL)))
		return rc;
	snprintf(path, sizeof(path), "/libxl/%u", domid);
	if ((rc = ts_xs_rm_cleanup(xs, t, path)))
		return rc;
	for (const char *const *k = kinds; *k; k++) {
		snprintf(path, sizeof(path), "/local/domain/0/backend/%s/%u", *k, domid);
		if ((rc = ts_xs_rm_cleanup(xs, t, path)))
			return rc;
	}
	return rm_pci_records(xs, t, domid);
}

/* @pid's namespace @ns as (device, inode), or 0 when it cannot be read. */
static int ns_id(pid_t pid, const char *ns, struct stat *st)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
	return stat(path, st) == 0;
}

/* SIGKILL every process in @net (another namespace than ours); the number found. */
static int kill_in_netns(const struct stat *net)
{
	struct dirent *e;
	struct stat st;
	int found = 0;
	DIR *dir = opendir("/proc");

	if (!dir)
		return 0;
	while ((e = readdir(dir))) {
		pid_t p = (pid_t)atoi(e->d_name);

		if (p <= 0 || p == getpid() || !ns_id(p, "net", &st) || st.st_ino != net->st_ino ||
		    st.st_dev != net->st_dev)
			continue;
		if (kill(p, SIGKILL) == 0)
			found++;
	}
	closedir(dir);
	return found;
}

/*
 * Everything that runs in the guest dies with it, as with a real domain:
 * init, what it started, and what `pvkit exec` started there (not children
 * of the runtime). Found by the guest's network namespace; repeated while
 * new ones appear (a fork racing the kill), for at most about a second.
 */
static void kill_guest_processes(pid_t runtime)
{
	struct stat net, own;

	if (!ns_id(runtime, "net", &net) || !ns_id(getpid(), "net", &own) ||
	    (net.st_ino == own.st_ino && net.st_dev == own.st_dev))
		return; /* never the host's namespace */
	for (int i = 0; i < 100 && kill_in_netns(&net); i++)
		usleep(10000);
}

/*
 * Tell the guest's monitor, which wakes at the death before the nodes are
 * gone, that this end is a destroy, not the guest's own poweroff or crash
 * (to restart). A way the runtime already wrote stays.
 */
static void mark_destroyed(pv_domid_t domid)
{
	char path[TS_PATH_MAX];
	int fd;

	if (ts_path(path, sizeof(path), "dom/%u/" TS_SHUTDOWN_FILE, domid))
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, "destroyed\n", 10) != 10)
		unlink(path);
	close(fd);
}

/*
 * Once its nodes are gone the backends release the dead domain (unmap its
 * grants); wait, for up to 5 s, until pvkitd has freed it, so that it is
 * not listed (dying) after destroy returns, as with xl.
 */
static void wait_released(struct pv_local *l, pv_domid_t domid)
{
	for (int i = 0; i < 250; i++) {
		struct pv_local_domain_info *v = NULL;
		int n = pv_local_domain_list(l, &v), found = 0;

		for (int j = 0; j < n; j++)
			found |= v[j].domid == domid;
		free(v);
		if (n < 0 || !found)
			return;
		usleep(20000);
	}
}

int ts_domain_teardown(struct pv_local *l, struct pv_xs *xs, pv_domid_t domid)
{
	pid_t pid = ts_runtime_pid(domid);
	unsigned id = domid;
	int rc, ret = 0;

	mark_destroyed(domid);
	if (pid > 0 && ts_pid_alive(pid))
		kill_guest_processes(pid);
	if (pid > 0 && (rc = ts_stop_pid(pid, SIGKILL, 5000)) < 0)
		fprintf(stderr, "pvkit: cannot kill the runtime of domain %u (pid %d): %s\n", id,
			(int)pid, strerror(-rc));
	rc = pv_local_domain_destroy(l, domid);
	if (rc < 0 && rc != -ESRCH) {
		fprintf(stderr, "pvkit: cannot destroy domain %u: %s\n", id, strerror(-rc));
		ret = rc;
	}
	rc = pv_local_domain_wait(l, domid, 10000);
	if (rc < 0) {
		fprintf(stderr, "pvkit: domain %u did not die: %s\n", id, strerror(-rc));
		ret = ret ? ret : rc;
	}
	/* No xenstore (pvkit host down after pvkit-xenstored died): its nodes went with it. */
	rc = xs ? pv_xs_transaction(xs, rm_nodes_txn, &id, 0) : 0;
	if (rc < 0) {
		fprintf(stderr, "pvkit: cannot remove the xenstore nodes of domain %u: %s\n", id,
			strerror(-rc));
		ret = ret ? ret : rc;
	}
	forget_guest(domid);
	wait_released(l, domid);
	return ret;
}

struct nodes_txn {
	const struct xsnodes *nodes;
	const char *cmd;
};

static int write_nodes_txn(struct pv_xs *xs, pv_xs_txn_t t, void *opaque)
{
	const struct nodes_txn *w = opaque;
	int rc;

	for (size_t i = 0; i < w->nodes->n; i++) {
		const struct xsnode *n = &w->nodes->v[i];
		pv_domid_t reader = (pv_domid_t)n->reader;

		rc = pv_xs_write(xs, t, n->path, NULL, n->value);
		if (!rc)
			rc = pv_xs_set_perms(xs, t, n->path, (pv_domid_t)n->owner, 'n',
					     n->reader >= 0 ? 1 : 0, &reader, "r");
		if (rc) {
			fprintf(stderr, "pvkit %s: cannot write %s: %s\n", w->cmd, n->path,
				strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int ts_write_nodes(struct pv_xs *xs, const struct xsnodes *nodes, const char *cmd)
{
	struct nodes_txn w = {nodes, cmd};
	int rc = pv_xs_transaction(xs, write_nodes_txn, &w, 0);

	if (rc == -EAGAIN)
		fprintf(stderr, "pvkit %s: xenstore kept conflicting; nothing written\n", cmd);
	return rc;
}

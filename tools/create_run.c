/* SPDX-License-Identifier: MIT */
/*
 * pvkit create on the running host: allocate the domain, introduce it to
 * xenstore, write its nodes in one transaction, start pvkit-guest in new
 * namespaces, and wait until every device is Connected.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenstore.h>

#include "create.h"
#include "devwait.h"
#include "domcfg_print.h"
#include "pvkit_cmd.h"
#include "toolstack.h"

/* What the guest runtime's environment and arguments need. */
struct guest_start {
	const struct domcfg *dc;
	pv_domid_t domid;
	char prog[TS_PATH_MAX];
	char log[TS_PATH_MAX];
};

int create_console_nodes(unsigned domid, struct xsnodes *out)
{
	static const char *const kv[][2] = {
		{"", ""}, {"backend-id", "0"}, {"limit", "1048576"},
		{"type", "xenconsoled"}, {"output", "pty"},
	};
	char home[64];

	snprintf(home, sizeof(home), "/local/domain/%u/console", domid);
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
		struct xsnode *v = realloc(out->v, (out->n + 1) * sizeof(*v));
		char *path = NULL, *value = strdup(kv[i][1]);

		if (v)
			out->v = v;
		if (asprintf(&path, "%s%s%s", home, *kv[i][0] ? "/" : "", kv[i][0]) < 0)
			path = NULL;
		if (!v || !path || !value) {
			free(path);
			free(value);
			return -ENOMEM;
		}
		/* The guest's frontend writes ring-ref and port here. */
		out->v[out->n++] = (struct xsnode){path, value, (int)domid, 0};
	}
	return 0;
}

/* Every node of the guest, with the guest's control/ writable by it. */
static int build_nodes(const struct domcfg *dc, pv_domid_t domid, struct xsnodes *nodes)
{
	struct xsnode *v;
	int rc = domcfg_xenstore_nodes(dc, domid, nodes);

	if (!rc)
		rc = create_console_nodes(domid, nodes);
	if (rc)
		return rc;
	v = realloc(nodes->v, (nodes->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	nodes->v = v;
	v = &nodes->v[nodes->n];
	if (asprintf(&v->path, "/local/domain/%u/control", domid) < 0)
		return -ENOMEM;
	v->value = strdup("");
	if (!v->value) {
		free(v->path);
		return -ENOMEM;
	}
	v->owner = domid;
	v->reader = 0;
	nodes->n++;
	return 0;
}

static int write_nodes(struct pv_xs *xs, const struct domcfg *dc, pv_domid_t domid)
{
	struct xsnodes nodes = {0};
	int rc = build_nodes(dc, domid, &nodes);

	if (rc)
		fprintf(stderr, "pvkit create: out of memory\n");
	else
		rc = ts_write_nodes(xs, &nodes, "create");
	xsnodes_free(&nodes);
	return rc;
}

/* Remember the runtime's pid and the configuration under <rundir>/dom/<N>/. */
static void remember_guest(const struct domcfg *dc, pv_domid_t domid, pid_t pid)
{
	char path[TS_PATH_MAX], text[32];
	FILE *f;

	snprintf(text, sizeof(text), "%d\n", (int)pid);
	if (ts_path(path, sizeof(path), "dom/%u/" TS_RUNTIME_PID, domid) ||
	    ts_write_file(path, text))
		fprintf(stderr, "pvkit create: cannot write %s: %s\n", path, strerror(errno));
	if (ts_path(path, sizeof(path), "dom/%u/" TS_CONFIG_COPY, domid))
		return;
	f = fopen(path, "we");
	if (!f)
		return;
	domcfg_print(f, dc);
	fclose(f);
}

/* Bring the new network namespace's lo up, so the guest has a loopback. */
static void loopback_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
}

/* In the child: own namespaces, hostname, detached stdio, then the runtime. */
static void exec_runtime(const struct guest_start *g)
{
	char *argv[16 + 3];
	char domid[16], xspath[TS_PATH_MAX];
	int fd, i = 0;

	setsid();
	if (unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWUTS) < 0) {
		fprintf(stderr, "pvkit create: cannot make the guest's namespaces: %s\n",
			strerror(errno));
		_exit(126);
	}
	/* The guest's mounts stay its own; the host's (the rundir) stay visible. */
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	sethostname(g->dc->name, strlen(g->dc->name));
	loopback_up();
	fd = open(g->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	dup2(open("/dev/null", O_RDONLY), 0);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	/* Nothing of pvkit's (its pvkitd and xenstore connections) leaks into the guest. */
	close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
	snprintf(domid, sizeof(domid), "%u", g->domid);
	ts_path(xspath, sizeof(xspath), "dom/%u/xenstored.sock", g->domid);
	setenv("PVKIT_RUNDIR", ts_rundir(), 1);
	setenv("PVKIT_DOMID", domid, 1);
	setenv("XENSTORED_PATH", xspath, 1);
	argv[i++] = (char *)g->prog;
	argv[i++] = "--domid";
	argv[i++] = domid;
	argv[i++] = "--rundir";
	argv[i++] = (char *)ts_rundir();
	if (g->dc->on_poweroff == DOMCFG_PRESERVE || g->dc->on_crash == DOMCFG_PRESERVE) {
		argv[i++] = "--preserve";
		argv[i++] = g->dc->on_poweroff != DOMCFG_PRESERVE ? "crash"
			    : g->dc->on_crash != DOMCFG_PRESERVE  ? "poweroff"
								  : "poweroff,crash";
	}
	argv[i++] = "--";
	/* init: one program, or a command line for the shell. */
	if (strpbrk(g->dc->init, " \t\n;&|<>()$`'\"*?")) {
		argv[i++] = "/bin/sh";
		argv[i++] = "-c";
	}
	argv[i++] = (char *)g->dc->init;
	argv[i] = NULL;
	execv(g->prog, argv);
	fprintf(stderr, "pvkit create: cannot run %s: %s\n", g->prog, strerror(errno));
	_exit(127);
}

static pid_t start_runtime(const struct guest_start *g)
{
	pid_t pid = fork();

	if (pid < 0)
		fprintf(stderr, "pvkit create: cannot start %s: %s\n", g->prog, strerror(errno));
	if (pid == 0)
		exec_runtime(g);
	return pid < 0 ? -errno : pid;
}

/* --- waiting for the devices -------------------------------------------------- */

struct runtime_check {
	pid_t pid;
	const char *log;
};

/* devwait_run's check: the runtime (our child) must still run. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	interrupted = sig;
}

/* While create runs, Ctrl-C (or SIGTERM, SIGHUP) destroys the half-made guest. */
static void catch_interrupts(int on)
{
	struct sigaction sa = {.sa_handler = on ? on_interrupt : SIG_DFL};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int runtime_alive(void *opaque)
{
	const struct runtime_check *c = opaque;
	int status;

	if (interrupted) {
		fprintf(stderr, "pvkit create: interrupted (signal %d); destroying the guest\n",
			(int)interrupted);
		return -EINTR;
	}
	if (waitpid(c->pid, &status, WNOHANG) != c->pid)
		return 0;
	fprintf(stderr, "pvkit create: the guest runtime exited (%s %d) before its devices "
		"connected; see %s\n", WIFEXITED(status) ? "status" : "signal",
		WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), c->log);
	return -ECHILD;
}

/* 0 once every device is Connected; -errno (printed) when the runtime dies or time runs out. */
static int wait_devices(struct pv_xs *xs, const struct guest_start *g, pid_t pid,
			const struct create_opts *o)
{
	const struct domcfg *dc = g->dc;
	struct runtime_check chk = {pid, g->log};
	struct dev_wait *w = calloc(dc->ndisks + dc->nvifs + 2, sizeof(*w));
	size_t n = 0;
	int rc;

	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < dc->ndisks; i++)
		devwait_disk(&w[n++], &dc->disks[i], g->domid);
	for (size_t i = 0; i < dc->nvifs; i++)
		devwait_vif(&w[n++], &dc->vifs[i], g->domid);
	if (dc->npcis)
		devwait_pci(&w[n++], g->domid);
	devwait_console(&w[n++], g->domid);
	rc = devwait_run(xs, w, n, o->timeout ? o->timeout : CREATE_DEFAULT_TIMEOUT, o->quiet,
			 "create", runtime_alive, &chk);
	free(w);
	return rc;
}

/* --- the whole create ------------------------------------------------------------- */

static int name_in_use(struct pv_local *l, const char *name)
{
	struct pv_local_domain_info *v = NULL;
	int n = pv_local_domain_list(l, &v), found = -1;

	for (int i = 0; i < n; i++)
		if (v[i].state == PV_LOCAL_RUNNING && !strcmp(v[i].name, name))
			found = v[i].domid;
	free(v);
	if (found >= 0)
		fprintf(stderr, "pvkit create: a guest called '%s' is already running (domid %d); "
			"choose another name= or destroy it first\n", name, found);
	return found >= 0;
}

static int make_domain(struct pv_local *l, struct pv_xs *xs, const struct domcfg *dc,
		       pv_domid_t *domid)
{
	int rc = pv_local_domain_create(l, dc->name, (uint64_t)dc->memory_mib << 20, domid);

	if (rc == -EEXIST) {
		name_in_use(l, dc->name);
		return rc;
	}
	if (rc < 0) {
		fprintf(stderr, "pvkit create: cannot create domain '%s': %s\n", dc->name,
			strerror(-rc));
		return rc;
	}
	/* Nodes first, then @introduceDomain, as libxl: watchers find them all there. */
	rc = write_nodes(xs, dc, *domid);
	if (rc < 0)
		return rc;
	if (!xs_introduce_domain(pv_xs_handle(xs), *domid, 0, 0)) {
		rc = -errno;
		fprintf(stderr, "pvkit create: cannot introduce domain %u to xenstore: %s\n",
			*domid, strerror(errno));
	}
	return rc;
}

static int run_guest(struct pv_local *l, struct pv_xs *xs, struct guest_start *g,
		     const struct create_opts *o)
{
	pid_t pid;
	int rc = ts_path(g->log, sizeof(g->log), "log/guest-%s.log", g->dc->name);

	if (rc || (rc = make_domain(l, xs, g->dc, &g->domid)) < 0)
		return rc;
	pid = start_runtime(g);
	if (pid < 0)
		return (int)pid;
	remember_guest(g->dc, g->domid, pid);
	if (!o->quiet)
		printf("guest %s: domid %u, runtime pid %d, log %s\n", g->dc->name, g->domid,
		       (int)pid, g->log);
	return wait_devices(xs, g, pid, o);
}

int create_guest(const struct domcfg *dc, const struct create_opts *o)
{
	struct guest_start g = {.dc = dc};
	struct pv_local *l;
	struct pv_xs *xs;
	int rc;

	if (ts_admin_open(&l) < 0)
		return PVKIT_EXIT_FAILURE;
	if (ts_xs_open(&xs) < 0)
		goto out_admin;
	if (ts_find_program(TS_GUEST_PROGRAM, g.prog, sizeof(g.prog))) {
		fprintf(stderr, "pvkit create: cannot find %s (build it, or set PVKIT_SBINDIR)\n",
			TS_GUEST_PROGRAM);
		goto out_xs;
	}
	if (name_in_use(l, dc->name))
		goto out_xs;
	catch_interrupts(1);
	rc = run_guest(l, xs, &g, o);
	if (rc < 0) {
		if (g.domid) /* a second Ctrl-C does not cut this short */
			ts_domain_teardown(l, xs, g.domid);
		catch_interrupts(0);
		goto out_xs;
	}
	catch_interrupts(0);
	pv_xs_close(xs);
	pv_local_close(l);
	if (o->quiet)
		printf("%u\n", g.domid);
	else
		printf("guest %s is up: domid %u\n", dc->name, g.domid);
	fflush(stdout);
	/* After our connections are closed: the monitor must not hold them. */
	if ((rc = create_monitor(dc, g.domid, g.log)) < 0)
		fprintf(stderr, "pvkit create: cannot start the guest's monitor: %s (its nodes "
			"stay after it ends: pvkit destroy %s)\n", strerror(-rc), dc->name);
	return o->console ? console_attach_domid(g.domid, "create") : 0;

out_xs:
	pv_xs_close(xs);
out_admin:
	pv_local_close(l);
	return PVKIT_EXIT_FAILURE;
}

/* SPDX-License-Identifier: MIT */
/*
 * pvkit-xenstored: the local platform's xenstore daemon. Options, the
 * single-threaded epoll loop, and a clean shutdown on SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xenstored.h"

struct options {
	const char *rundir, *log, *pid_file;
	struct xsd_quota quota;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: pvkit-xenstored [OPTION]...\n"
		"The local platform's xenstore daemon (libxenstore and xenstore-utils speak to it\n"
		"with XENSTORED_PATH=<rundir>/xenstored.sock). Runs in the foreground.\n\n"
		"  --rundir DIR             sockets under DIR (default $PVKIT_RUNDIR or /run/pvkit)\n"
		"  --log FILE               also log to FILE\n"
		"  --pid-file FILE          write the process id to FILE\n"
		"  --quota-nodes N          nodes an unprivileged domain may own (1000)\n"
		"  --quota-watches N        watches per unprivileged domain (128)\n"
		"  --quota-transactions N   open transactions per domain (10)\n"
		"  --quota-connections N    connections per domain (64)\n"
		"  --quota-node-size N      bytes per node value (2048)\n"
		"  --quota-output N         queued output per connection before watch events drop (262144)\n"
		"  --debug                  log debug lines\n"
		"  --help                   this text\n\n"
		"<rundir>/xenstored.sock is domain 0's socket; INTRODUCE of domain N creates\n"
		"<rundir>/dom/N/xenstored.sock, RELEASE removes it. The socket exists once the\n"
		"daemon is ready. SIGTERM or SIGINT stop it cleanly.\n");
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v == 0 || v > 0x7fffffffUL)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"rundir", required_argument, NULL, 'r'},      {"log", required_argument, NULL, 'l'},
		{"pid-file", required_argument, NULL, 'p'},    {"quota-nodes", required_argument, NULL, 'N'},
		{"quota-watches", required_argument, NULL, 'W'}, {"quota-transactions", required_argument, NULL, 'T'},
		{"quota-node-size", required_argument, NULL, 'S'}, {"quota-output", required_argument, NULL, 'O'},
		{"quota-connections", required_argument, NULL, 'C'},
		{"debug", no_argument, NULL, 'd'},             {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt, rc = 0;

	while (rc == 0 && (opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': o->rundir = optarg; break;
		case 'l': o->log = optarg; break;
		case 'p': o->pid_file = optarg; break;
		case 'N': rc = parse_u32(optarg, &o->quota.nodes); break;
		case 'W': rc = parse_u32(optarg, &o->quota.watches); break;
		case 'T': rc = parse_u32(optarg, &o->quota.transactions); break;
		case 'S': rc = parse_u32(optarg, &o->quota.node_size); break;
		case 'O': rc = parse_u32(optarg, &o->quota.output); break;
		case 'C': rc = parse_u32(optarg, &o->quota.connections); break;
		case 'd': pv_log_set_level(PV_LOG_DEBUG); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (rc < 0)
		fprintf(stderr, "pvkit-xenstored: bad number for an option\n");
	if (rc == 0 && optind < argc) {
		fprintf(stderr, "pvkit-xenstored: unexpected argument %s\n", argv[optind]);
		rc = -EINVAL;
	}
	return rc;
}

static int write_pid_file(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "%d\n", (int)getpid());
	return fclose(f) == 0 ? 0 : -errno;
}

/* Block SIGTERM/SIGINT and read them from a signalfd inside the loop. */
static int signal_setup(int epfd, struct xsd_pollent *pe)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = pe};
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void dispatch(struct xsd *x, struct epoll_event *ev)
{
	struct xsd_pollent *pe = ev->data.ptr;

	if (pe->kind == XSD_POLL_SIGNAL) {
		x->stopping = true;
		return;
	}
	if (pe->kind == XSD_POLL_LISTEN) {
		xsd_accept(x, pe->dom);
		return;
	}
	if (pe->conn->dead)
		return;
	if (ev->events & EPOLLOUT)
		xsd_conn_on_output(x, pe->conn);
	if (!pe->conn->dead && (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		xsd_conn_on_input(x, pe->conn);
}

static void run(struct xsd *x)
{
	struct epoll_event evs[64];

	while (!x->stopping) {
		int n = epoll_wait(x->epfd, evs, 64, -1);

		if (n < 0 && errno != EINTR) {
			pv_err_errno(errno, "epoll_wait");
			return;
		}
		for (int i = 0; i < n; i++)
			dispatch(x, &evs[i]);
		/* Replies and events queued this round go out in one write each. */
		for (struct xsd_conn *c = x->conns; c; c = c->next)
			if (!c->dead && xsd_conn_queued(c) && !c->wr_blocked)
				xsd_conn_on_output(x, c);
		xsd_conn_reap(x);
	}
}

static void shutdown_all(struct xsd *x)
{
	for (unsigned int d = 0; d < XSD_DOMID_LIMIT; d++)
		xsd_unlisten(x, d);
	xsd_fini(x);
}

int main(int argc, char **argv)
{
	static struct xsd x;
	struct options o = {.quota = {.nodes = 1000, .watches = 128, .transactions = 10,
				      .node_size = 2048, .output = 256 * 1024, .connections = 64}};
	struct xsd_pollent sig_pe = {.kind = XSD_POLL_SIGNAL};
	int rc, sigfd = -1;

	o.rundir = getenv("PVKIT_RUNDIR") ? getenv("PVKIT_RUNDIR") : "/run/pvkit";
	if (parse_args(argc, argv, &o) < 0)
		return 2;
	pv_log_set_ident("pvkit-xenstored");
	if (o.log && (rc = pv_log_open_file(o.log)) < 0)
		pv_warn_errno(rc, "cannot open log file %s", o.log);
	if (mkdir(o.rundir, 0755) < 0 && errno != EEXIST) {
		pv_err_errno(errno, "cannot create run directory %s", o.rundir);
		return 1;
	}
	rc = xsd_init(&x);
	x.quota = o.quota;
	x.rundir = o.rundir;
	x.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (rc < 0 || x.epfd < 0) {
		pv_err("cannot set up the daemon");
		return 1;
	}
	sigfd = signal_setup(x.epfd, &sig_pe);
	if (sigfd < 0) {
		pv_err_errno(sigfd, "cannot set up signal handling");
		return 1;
	}
	if (o.pid_file && (rc = write_pid_file(o.pid_file)) < 0)
		pv_warn_errno(rc, "cannot write pid file %s", o.pid_file);
	if (xsd_listen(&x, 0) < 0)
		return 1;
	pv_info("serving %s/xenstored.sock", o.rundir);
	run(&x);
	pv_info("shutting down");
	shutdown_all(&x);
	close(sigfd);
	close(x.epfd);
	if (o.pid_file)
		unlink(o.pid_file);
	return 0;
}

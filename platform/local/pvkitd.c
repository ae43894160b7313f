/* SPDX-License-Identifier: MIT */
/*
 * pvkitd: the local platform's "hypervisor" in domain 0. One epoll loop
 * serves every domain's socket; this file holds the loop and connections.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "pvkit/log.h"
#include "pvkitd.h"

static struct pv_ratelimit drop_rl = PV_RATELIMIT_INIT;

int conn_event(struct conn *c, uint32_t op, const void *payload, uint32_t len)
{
	int rc;

	if (c->dead)
		return -EPIPE;
	rc = pvkitd_send(c->fd, op, 0, 0, payload, len, NULL, 0);
	if (rc == -EAGAIN)
		pv_dev_warn_rl(&drop_rl, c->name, "event %u dropped: client does not read", op);
	return rc;
}

void conn_close(struct pvkitd *k, struct conn *c, const char *why)
{
	if (c->dead)
		return;
	pv_debug("%s: closed (%s)", c->name, why);
	c->dead = 1;
	epoll_ctl(k->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	gnt_conn_gone(k, c);
	evt_conn_gone(k, c);
	dom_conn_gone(k, c); /* may kill the domain when c held it */
}

static void conn_accept(struct pvkitd *k, struct domain *d)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct conn *c;
	int fd;

	fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			pv_warn_errno(errno, "accept on %s", d->sockpath);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		pv_err("out of memory accepting on %s", d->sockpath);
		close(fd);
		return;
	}
	c->src.kind = SRC_CONN;
	c->fd = fd;
	c->d = d;
	snprintf(c->name, sizeof(c->name), "dom%u.%u", d->domid, ++k->conn_serial);
	ev.data.ptr = &c->src;
	if (epoll_ctl(k->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		pv_err_errno(errno, "epoll add %s", c->name);
		close(fd);
		free(c);
		return;
	}
	c->next = d->conns;
	d->conns = c;
	pv_debug("%s: connected", c->name);
}

static void send_reply(struct conn *c, uint32_t op, struct reply *r)
{
	int rc = pvkitd_send(c->fd, op, r->status, 0, r->buf, r->status ? 0 : r->len, r->fds,
	                     r->status ? 0 : r->nfds);

	if (rc)
		pv_dev_warn_rl(&drop_rl, c->name, "reply to op %u not sent: %s", op, strerror(-rc));
	for (unsigned int i = 0; i < r->nfds; i++)
		if (r->own[i])
			close(r->fds[i]);
}

/* One request: check the header, run its handler, send the reply. */
static int conn_request(struct pvkitd *k, struct conn *c, void *buf, int len)
{
	static struct reply r;
	struct pvkitd_hdr h;
	const void *p = (char *)buf + sizeof(h);
	int rc;

	memcpy(&h, buf, sizeof(h));
	memset(&r, 0, offsetof(struct reply, buf));
	(void)len;
	switch (h.op) {
	case PVKITD_HELLO:
	case PVKITD_HOLD:
	case PVKITD_LEASE_PAGES:
	case PVKITD_LEASE_REFS:
	case PVKITD_DOM_CREATE:
	case PVKITD_DOM_DESTROY:
	case PVKITD_DOM_LIST:
	case PVKITD_DOM_WATCH:
	case PVKITD_DOM_MEM:
	case PVKITD_DOM_STATS:
		rc = handle_dom(k, c, &h, p, &r);
		break;
	case PVKITD_GET_MEM:
	case PVKITD_MAP:
	case PVKITD_UNMAP:
		rc = handle_gnt(k, c, &h, p, &r);
		break;
	case PVKITD_EVT_ALLOC_UNBOUND:
	case PVKITD_EVT_BIND:
	case PVKITD_EVT_UNBIND:
		rc = handle_evt(k, c, &h, p, &r);
		break;
	default:
		rc = -EPROTO;
	}
	if (rc == -EPROTO)
		return rc; /* a malformed request: the caller drops the client */
	r.status = rc;
	if (!c->dead)
		send_reply(c, h.op, &r);
	return 0;
}

static void conn_readable(struct pvkitd *k, struct conn *c)
{
	static unsigned char buf[PVKITD_MSG_MAX];
	int fds[PVKITD_MAX_FDS];

	/* A bounded batch per turn, so one busy client cannot starve the rest. */
	for (int i = 0; i < 16 && !c->dead; i++) {
		unsigned int nfds = PVKITD_MAX_FDS;
		int len = pvkitd_recv(c->fd, buf, fds, &nfds, MSG_DONTWAIT);

		for (unsigned int j = 0; j < nfds; j++)
			close(fds[j]); /* no request carries fds */
		if (len == -EAGAIN)
			return;
		if (len == -EPIPE || len == -ECONNRESET) {
			conn_close(k, c, "end of stream");
			return;
		}
		if (len < 0 || conn_request(k, c, buf, len) < 0) {
			pv_dev_warn_rl(&drop_rl, c->name, "malformed request, dropping the client");
			conn_close(k, c, "malformed request");
			return;
		}
	}
}

static void free_graveyard(struct pvkitd *k)
{
	while (k->graveyard) {
		struct conn *c = k->graveyard;

		k->graveyard = c->next;
		close(c->fd);
		free(c->leases);
		free(c->maps);
		free(c);
	}
	dom_reap(k);
}

static int run_loop(struct pvkitd *k, int sigfd)
{
	struct epoll_event evs[32];

	while (!k->quit) {
		int n = epoll_wait(k->epfd, evs, 32, -1);

		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			struct src *s = evs[i].data.ptr;

			if (s->kind == SRC_SIGNAL) {
				struct signalfd_siginfo si;

				if (read(sigfd, &si, sizeof(si)) == sizeof(si))
					pv_info("signal %u: shutting down", si.ssi_signo);
				k->quit = 1;
			} else if (s->kind == SRC_LISTEN) {
				struct domain *d = (struct domain *)s;

				if (!d->dying)
					conn_accept(k, d);
			} else {
				struct conn *c = (struct conn *)s;

				if (!c->dead)
					conn_readable(k, c);
			}
		}
		free_graveyard(k);
	}
	return 0;
}

static int setup_signals(struct pvkitd *k, struct src *sigsrc)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = sigsrc};
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (epoll_ctl(k->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

/* Refuse to start twice on one run directory: a live socket means a live pvkitd. */
static int check_not_running(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0 ? -EADDRINUSE : 0;
}

static int write_pidfile(const char *rundir)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/pvkitd.pid", rundir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) ? -errno : 0;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: pvkitd [--rundir DIR] [--log FILE] [--dom0-mem MIB] [--debug]\n"
	        "\n"
	        "The local platform's hypervisor: domains, memory, grant tables and event\n"
	        "channels for pvkit processes. Runs in the foreground; SIGTERM stops it.\n"
	        "\n"
	        "  --rundir DIR    run directory (default $PVKIT_RUNDIR or /run/pvkit)\n"
	        "  --log FILE      also append the log to FILE\n"
	        "  --dom0-mem MIB  domain 0's shareable memory (default 256)\n"
	        "  --debug         log debug lines\n"
	        "  --help          this text\n"
	        "\n"
	        "Exit status: 0 after SIGTERM/SIGINT, 1 on a runtime error, 2 on bad usage.\n");
}

static int parse_args(struct pvkitd *k, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"rundir", required_argument, NULL, 'r'},   {"log", required_argument, NULL, 'l'},
	    {"dom0-mem", required_argument, NULL, 'm'}, {"debug", no_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
	};
	int o;

	while ((o = getopt_long(argc, argv, "r:l:m:dh", opts, NULL)) != -1) {
		char *end;

		switch (o) {
		case 'r':
			k->rundir = optarg;
			break;
		case 'l':
			if (pv_log_open_file(optarg) < 0) {
				fprintf(stderr, "pvkitd: cannot open log file %s\n", optarg);
				return -1;
			}
			break;
		case 'm':
			k->dom0_mem_mib = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || !k->dom0_mem_mib || k->dom0_mem_mib > (PVKITD_MAX_MEM >> 20)) {
				fprintf(stderr, "pvkitd: bad --dom0-mem %s\n", optarg);
				return -1;
			}
			break;
		case 'd':
			pv_log_set_level(PV_LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static int prepare_rundir(struct pvkitd *k)
{
	char path[4096];
	int rc;

	if (mkdir(k->rundir, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/dom", k->rundir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/pvkitd.sock", k->rundir);
	rc = check_not_running(path);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/xenstored.sock", k->rundir);
	setenv("XENSTORED_PATH", path, 1); /* for the RELEASE sent on a domain's death */
	return write_pidfile(k->rundir);
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct pvkitd k = {.dom0_mem_mib = 256, .next_gen = 1, .epfd = -1};
	struct src sigsrc = {.kind = SRC_SIGNAL};
	struct domain *dom0;
	char pidpath[4096];
	int rc, sigfd;

	pv_log_set_ident("pvkitd");
	k.rundir = getenv("PVKIT_RUNDIR") ? getenv("PVKIT_RUNDIR") : "/run/pvkit";
	if (parse_args(&k, argc, argv) < 0)
		return 2;
	raise_fd_limit();
	rc = prepare_rundir(&k);
	if (rc) {
		pv_err_errno(rc, "cannot use run directory %s", k.rundir);
		return 1;
	}
	k.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (k.epfd < 0 || (sigfd = setup_signals(&k, &sigsrc)) < 0) {
		pv_err_errno(errno, "cannot set up the event loop");
		return 1;
	}
	rc = dom_create(&k, 0, "Domain-0", (uint64_t)k.dom0_mem_mib << 20, &dom0);
	if (rc) {
		pv_err_errno(rc, "cannot create domain 0 under %s", k.rundir);
		return 1;
	}
	pv_info("serving %s (domain 0 has %u MiB)", k.rundir, k.dom0_mem_mib);
	rc = run_loop(&k, sigfd);
	if (rc)
		pv_err_errno(rc, "event loop failed");
	dom_free_all(&k);
	free_graveyard(&k);
	snprintf(pidpath, sizeof(pidpath), "%s/pvkitd.pid", k.rundir);
	unlink(pidpath);
	close(sigfd);
	close(k.epfd);
	pv_info("stopped");
	return rc ? 1 : 0;
}

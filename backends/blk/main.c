/* SPDX-License-Identifier: MIT */
/*
 * pvkit-blkback: the block backend daemon. Serves every vbd under its
 * backend/vbd directory; this file has the options and the main loop.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common.h"

static const char usage[] =
	"Usage: pvkit-blkback [OPTION]...\n"
	"Serve every virtual block device under /local/domain/<domid>/backend/vbd:\n"
	"raw image files and block devices, through io_uring.\n"
	"\n"
	"  --rundir DIR     run directory (default $PVKIT_RUNDIR or /run/pvkit)\n"
	"  --domid N        the domain this backend runs in (default $PVKIT_DOMID or 0)\n"
	"  --log FILE       also append log lines to FILE\n"
	"  --direct         open targets with O_DIRECT where the file system allows it\n"
	"  --max-queues N   multi-queue-max-queues offered, 1..4 (default: CPUs, at most 4)\n"
	"  --platform NAME  local or xen (default: detect)\n"
	"  --help           this text\n";

struct opts {
	const char *rundir, *log, *platform;
	int domid;
	bool domid_set, direct;
	unsigned int max_queues;
};

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || *out > max) {
		fprintf(stderr, "pvkit-blkback: bad number '%s'\n", s);
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"rundir", required_argument, NULL, 'r'},
		{"domid", required_argument, NULL, 'd'},
		{"log", required_argument, NULL, 'l'},
		{"direct", no_argument, NULL, 'D'},
		{"max-queues", required_argument, NULL, 'q'},
		{"platform", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	unsigned long v;
	int opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': o->rundir = optarg; break;
		case 'l': o->log = optarg; break;
		case 'p': o->platform = optarg; break;
		case 'D': o->direct = true; break;
		case 'd':
			if (parse_uint(optarg, PV_DOMID_SELF - 1, &v))
				return -EINVAL;
			o->domid = (int)v;
			o->domid_set = true;
			break;
		case 'q':
			if (parse_uint(optarg, BLK_MAX_QUEUES, &v) || v == 0)
				return -EINVAL;
			o->max_queues = (unsigned int)v;
			break;
		case 'h': fputs(usage, stdout); exit(0);
		default: fputs(usage, stderr); return -EINVAL;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return -EINVAL;
	}
	return 0;
}

void blk_kick(struct blkback *d)
{
	uint64_t one = 1;

	if (write(d->kick_efd, &one, sizeof(one)) != sizeof(one))
		pv_err("cannot wake the main loop: %s", strerror(errno));
}

static void write_pidfile(const char *rundir)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/pvkit-blkback.pid", rundir);
	f = fopen(path, "we");
	if (!f) {
		pv_warn("cannot write %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}

static int signals_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked before any thread starts, so queue threads inherit the mask. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

static void run(struct blkback *d, int sigfd)
{
	struct pollfd pfd[3] = {
		{.fd = blk_xb_fd(d), .events = POLLIN},
		{.fd = d->kick_efd, .events = POLLIN},
		{.fd = sigfd, .events = POLLIN},
	};
	uint64_t n;

	for (;;) {
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			pv_err("poll: %s", strerror(errno));
			return;
		}
		if (pfd[2].revents)
			return;
		if (pfd[1].revents && read(d->kick_efd, &n, sizeof(n)) == sizeof(n))
			blk_xb_kicked(d);
		if (pfd[0].revents && blk_xb_handle(d) < 0) {
			pv_err("lost the xenstore connection");
			return;
		}
	}
}

static int start(struct blkback *d, const struct opts *o, const char *rundir)
{
	struct pv_platform_opts po = {.name = o->platform, .rundir = rundir,
				      .domid = o->domid, .domid_set = o->domid_set};
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int rc;

	rc = pv_platform_open(&d->plat, &po);
	if (rc) {
		pv_err_errno(rc, "cannot open the platform (rundir %s)", rundir);
		return rc;
	}
	d->domid = pv_platform_domid(d->plat);
	d->rundir = rundir;
	d->direct = o->direct;
	d->max_queues = o->max_queues ? o->max_queues
				      : (unsigned int)(cpus < 1 ? 1 : cpus > BLK_MAX_QUEUES ? BLK_MAX_QUEUES : cpus);
	d->kick_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->kick_efd < 0) {
		rc = -errno;
		goto out_platform;
	}
	rc = blk_xb_init(d);
	if (rc) {
		pv_err_errno(rc, "cannot connect to xenstore (XENSTORED_PATH=%s)",
			     getenv("XENSTORED_PATH") ? getenv("XENSTORED_PATH") : "default");
		goto out_kick;
	}
	return 0;

out_kick:
	close(d->kick_efd);
out_platform:
	pv_platform_close(d->plat);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct blkback d = {0};
	const char *rundir;
	char xspath[4096];
	int sigfd, rc;

	if (parse_args(argc, argv, &o))
		return 2;
	rundir = o.rundir ? o.rundir : getenv("PVKIT_RUNDIR") ? getenv("PVKIT_RUNDIR") : "/run/pvkit";
	if (!o.domid_set && getenv("PVKIT_DOMID"))
		o.domid = atoi(getenv("PVKIT_DOMID"));
	/* A backend in domain N (a driver domain) talks to xenstore as N. */
	if (pv_xs_local_path(xspath, sizeof(xspath), rundir, (pv_domid_t)o.domid) == 0)
		setenv("XENSTORED_PATH", xspath, o.rundir != NULL || o.domid_set);
	if (o.log && (rc = pv_log_open_file(o.log)))
		pv_warn_errno(rc, "cannot open log %s", o.log);
	sigfd = signals_fd();
	if (sigfd < 0) {
		pv_err("signalfd: %s", strerror(errno));
		return 1;
	}
	if (start(&d, &o, rundir))
		return 1;
	write_pidfile(rundir);
	pv_info("serving %s (max %u queues%s)", d.base, d.max_queues, d.direct ? ", O_DIRECT" : "");
	run(&d, sigfd);
	pv_info("exiting");
	blk_xb_exit(&d);
	close(d.kick_efd);
	pv_platform_close(d.plat);
	return 0;
}

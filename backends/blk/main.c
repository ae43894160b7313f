/* SPDX-License-Identifier: MIT */
/*
 * pvkit-blkback: the block backend daemon. Serves every vbd under its
 * backend/vbd directory; this file has the options and the main loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pvkit/daemon.h"
#include "common.h"

/* Our options' getopt values (the common ones are pv_daemon's). */
enum { OPT_DIRECT = 'D', OPT_QUEUES = 'q', OPT_BUSYPOLL = 'P' };

static const struct option options[] = {
	{"direct", no_argument, NULL, OPT_DIRECT},
	{"max-queues", required_argument, NULL, OPT_QUEUES},
	{"busypoll-ns", required_argument, NULL, OPT_BUSYPOLL},
	{NULL, 0, NULL, 0},
};

struct opts {
	bool direct;
	unsigned int max_queues;
	int64_t busypoll_ns; /* PV_BUSYPOLL_DEFAULT unless given */
};

static int option(const struct pv_daemon *d, void *opaque, int val, const char *arg)
{
	struct opts *o = opaque;
	uint64_t v;

	if (val == OPT_DIRECT) {
		o->direct = true;
		return 0;
	}
	if (val == OPT_BUSYPOLL) {
		if (pv_daemon_number(d, arg, PV_BUSYPOLL_MAX_NS, &v))
			return -EINVAL;
		o->busypoll_ns = (int64_t)v;
		return 0;
	}
	if (pv_daemon_number(d, arg, BLK_MAX_QUEUES, &v) || v == 0)
		return -EINVAL;
	o->max_queues = (unsigned int)v;
	return 0;
}

static const struct pv_daemon_spec spec = {
	.name = "pvkit-blkback",
	.flags = PV_DAEMON_RUNDIR | PV_DAEMON_DOMID_STRICT | PV_DAEMON_PLATFORM | PV_DAEMON_LOG |
		 PV_DAEMON_SIGHUP | PV_DAEMON_NO_SIGPIPE,
	.usage = "Usage: pvkit-blkback [OPTION]...\n"
		 "Serve every virtual block device under /local/domain/<domid>/backend/vbd:\n"
		 "raw image files and block devices, through io_uring.\n"
		 "\n"
		 "  --rundir DIR     run directory (default $PVKIT_RUNDIR or /run/pvkit)\n"
		 "  --domid N        the domain this backend runs in (default $PVKIT_DOMID or 0)\n"
		 "  --log FILE       also append log lines to FILE\n"
		 "  --direct         open targets with O_DIRECT where the file system allows it\n"
		 "  --max-queues N   multi-queue-max-queues offered, 1..4 (default: CPUs, at most 4)\n"
		 "  --busypoll-ns N  poll each ring up to N ns before sleeping, adaptive (0: off;\n"
		 "                   default $PVKIT_BUSYPOLL_NS, else off)\n"
		 "  --platform NAME  local or xen (default: detect)\n"
		 "  --help           this text\n"
		 "\n"
		 PV_DAEMON_USAGE_EXITS,
	.options = options,
	.option = option,
};

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

static void event(void *opaque, void *ptr, uint32_t events)
{
	struct blkback *d = opaque;
	uint64_t n;

	(void)events;
	if (ptr == &d->kick_efd && read(d->kick_efd, &n, sizeof(n)) == sizeof(n))
		blk_xb_kicked(d);
}

/*
 * Any failure ends the loop (exit 1); pv_daemon_run() logs a lost
 * connection (-ECONNRESET), the rest is said here, not passed off as one.
 */
static int xenstore(void *opaque)
{
	int rc = blk_xb_handle(opaque);

	if (rc < 0 && rc != -ECONNRESET)
		pv_err_errno(rc, "xenstore watches");
	return rc < 0 ? rc : 0;
}

static const struct pv_daemon_ops ops = {.event = event, .xenstore = xenstore};

static int start(struct blkback *d, const struct pv_daemon *dm, const struct opts *o,
		 const char *rundir)
{
	struct pv_platform_opts po = {.name = dm->platform, .rundir = rundir,
				      .domid = dm->domid, .domid_set = dm->domid_set};
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
	d->busypoll_ns = o->busypoll_ns;
	d->max_queues = o->max_queues ? o->max_queues
				      : (unsigned int)(cpus < 1 ? 1 : cpus > BLK_MAX_QUEUES ? BLK_MAX_QUEUES : cpus);
	d->kick_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->kick_efd < 0 ||
	    epoll_ctl(dm->epfd, EPOLL_CTL_ADD, d->kick_efd,
		      &(struct epoll_event){.events = EPOLLIN, .data.ptr = &d->kick_efd}) < 0) {
		rc = -errno;
		goto out_kick;
	}
	rc = blk_xb_init(d);
	if (rc) {
		pv_err_errno(rc, "cannot connect to xenstore (XENSTORED_PATH=%s)",
			     getenv("XENSTORED_PATH") ? getenv("XENSTORED_PATH") : "default");
		goto out_kick;
	}
	return 0;

out_kick:
	if (d->kick_efd >= 0)
		close(d->kick_efd);
	pv_platform_close(d->plat);
	return rc;
}

int main(int argc, char **argv)
{
	/* Busy polling only when asked (--busypoll-ns, PVKIT_BUSYPOLL_NS): see the usage. */
	struct opts o = {.busypoll_ns = getenv("PVKIT_BUSYPOLL_NS") ? PV_BUSYPOLL_DEFAULT : 0};
	struct blkback d = {0};
	struct pv_daemon dm;
	const char *rundir;
	char xspath[4096];
	int rc;

	rc = pv_daemon_parse(&dm, &spec, argc, argv, &o);
	if (rc >= 0 && rc < argc) {
		fputs(spec.usage, stderr);
		rc = -EINVAL;
	}
	if (rc < 0)
		return 2;
	rundir = pv_daemon_rundir(&dm);
	/* A backend in domain N (a driver domain) talks to xenstore as N. */
	if (pv_xs_local_path(xspath, sizeof(xspath), rundir, (pv_domid_t)dm.domid) == 0)
		setenv("XENSTORED_PATH", xspath, dm.rundir != NULL || dm.domid_set);
	if (pv_daemon_init(&dm) < 0 || start(&d, &dm, &o, rundir))
		return 1;
	write_pidfile(rundir);
	pv_info("serving %s (max %u queues%s, busy poll up to %u ns)", d.base, d.max_queues,
		d.direct ? ", O_DIRECT" : "",
		d.busypoll_ns < 0 ? pv_busypoll_default_ns() : (unsigned int)d.busypoll_ns);
	rc = pv_daemon_run(&dm, blk_xb_fd(&d), &ops, &d);
	pv_info("exiting");
	blk_xb_exit(&d);
	close(d.kick_efd);
	pv_platform_close(d.plat);
	pv_daemon_close(&dm);
	return rc < 0 ? 1 : 0;
}

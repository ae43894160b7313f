/* SPDX-License-Identifier: MIT */
/*
 * The stage for pvkit-blkback's test and benchmark: a guest domain under
 * pvkitd and pvkit-xenstored, the toolstack's vbd nodes, the daemon itself.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blkback_front.h"

int tenv_setup(struct tenv *e, const char *rundir, const char *blkback_bin)
{
	struct pv_platform_opts po = {0};
	char path[4200];

	memset(e, 0, sizeof(*e));
	e->rundir = rundir;
	e->blkback_bin = blkback_bin;
	e->blkback_pid = -1;
	signal(SIGPIPE, SIG_IGN);
	snprintf(path, sizeof(path), "%s/xenstored.sock", rundir);
	setenv("XENSTORED_PATH", path, 1);
	e->xs0 = xs_open(XS_OPEN_SOCKETONLY);
	if (!e->xs0 || pv_local_open(&e->admin, rundir) ||
	    pv_local_domain_create(e->admin, "blktest", 16u << 20, &e->dom) ||
	    !xs_introduce_domain(e->xs0, e->dom, 0, 0))
		return -EIO;
	po.rundir = rundir;
	po.domid = e->dom;
	po.domid_set = 1;
	snprintf(path, sizeof(path), "%s/dom/%u/xenstored.sock", rundir, e->dom);
	setenv("XENSTORED_PATH", path, 1);
	e->xsg = xs_open(XS_OPEN_SOCKETONLY);
	if (!e->xsg || pv_platform_open(&e->guest, &po))
		return -EIO;
	return 0;
}

void tenv_start_blkback(struct tenv *e, bool direct)
{
	char log[4200];

	snprintf(log, sizeof(log), "%s/log/pvkit-blkback.log", e->rundir);
	e->blkback_pid = fork();
	if (e->blkback_pid == 0) {
		execl(e->blkback_bin, e->blkback_bin, "--rundir", e->rundir, "--log", log,
		      direct ? "--direct" : "--max-queues=4", (char *)NULL);
		_exit(127);
	}
}

/* A toolstack write with the owner/reader permissions libxl gives device nodes. */
static void mk(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key,
	       const char *val, unsigned int owner, unsigned int reader)
{
	struct xs_permissions perms[2] = {{.id = owner, .perms = XS_PERM_NONE},
					  {.id = reader, .perms = XS_PERM_READ}};
	char path[256];

	snprintf(path, sizeof(path), "%s%s%s", dir, key ? "/" : "", key ? key : "");
	xs_write(xs, t, path, val, (unsigned int)strlen(val));
	xs_set_permissions(xs, t, path, perms, 2);
}

void tenv_add_vbd(struct tenv *e, struct tfront *f, const char *image, bool rw,
		  const char *sector_size)
{
	struct xs_handle *xs = e->xs0;
	unsigned int d = f->domid;
	xs_transaction_t t;

	snprintf(f->fe, sizeof(f->fe), "/local/domain/%u/device/vbd/%u", d, f->devid);
	snprintf(f->be, sizeof(f->be), "/local/domain/0/backend/vbd/%u/%u", d, f->devid);
	do {
		t = xs_transaction_start(xs);
		mk(xs, t, f->fe, NULL, "", d, 0);
		mk(xs, t, f->fe, "backend", f->be, d, 0);
		mk(xs, t, f->fe, "backend-id", "0", d, 0);
		mk(xs, t, f->fe, "state", "1", d, 0);
		mk(xs, t, f->be, NULL, "", 0, d);
		mk(xs, t, f->be, "frontend", f->fe, 0, d);
		mk(xs, t, f->be, "frontend-id", "1", 0, d);
		mk(xs, t, f->be, "params", image, 0, d);
		mk(xs, t, f->be, "type", "file", 0, d);
		mk(xs, t, f->be, "mode", rw ? "w" : "r", 0, d);
		mk(xs, t, f->be, "state", "1", 0, d);
		if (sector_size)
			mk(xs, t, f->be, "sector-size", sector_size, 0, d);
	} while (!xs_transaction_end(xs, t, false) && errno == EAGAIN);
}

void tenv_teardown(struct tenv *e)
{
	if (e->blkback_pid > 0) {
		kill(e->blkback_pid, SIGTERM);
		waitpid(e->blkback_pid, NULL, 0);
	}
	e->blkback_pid = -1;
	if (e->guest)
		pv_platform_close(e->guest);
	if (e->admin) {
		pv_local_domain_destroy(e->admin, e->dom);
		pv_local_close(e->admin);
	}
	if (e->xsg)
		xs_close(e->xsg);
	if (e->xs0)
		xs_close(e->xs0);
}

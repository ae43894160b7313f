/* SPDX-License-Identifier: MIT */
/*
 * Waiting for devices to connect (create, block-attach, network-attach):
 * both halves' XenbusState read from xenstore, progress and stuck devices.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devwait.h"
#include "toolstack.h"

#define POLL_MS 20

void devwait_disk(struct dev_wait *w, const struct diskspec *d, unsigned domid)
{
	unsigned vd = d->virtual_device;

	snprintf(w->label, sizeof(w->label), "vbd %u (%s)", vd, d->vdev);
	snprintf(w->front, sizeof(w->front), "/local/domain/%u/device/vbd/%u", domid, vd);
	snprintf(w->back, sizeof(w->back), "/local/domain/0/backend/vbd/%u/%u", domid, vd);
	w->fe = w->be = -1;
}

void devwait_vif(struct dev_wait *w, const struct vifspec *v, unsigned domid)
{
	snprintf(w->label, sizeof(w->label), "vif %d", v->devid);
	snprintf(w->front, sizeof(w->front), "/local/domain/%u/device/vif/%d", domid, v->devid);
	snprintf(w->back, sizeof(w->back), "/local/domain/0/backend/vif/%u/%d", domid, v->devid);
	w->fe = w->be = -1;
}

void devwait_pci(struct dev_wait *w, unsigned domid)
{
	snprintf(w->label, sizeof(w->label), "pci bus");
	snprintf(w->front, sizeof(w->front), "/local/domain/%u/device/pci/0", domid);
	snprintf(w->back, sizeof(w->back), "/local/domain/0/backend/pci/%u/0", domid);
	w->fe = w->be = -1;
}

void devwait_console(struct dev_wait *w, unsigned domid)
{
	snprintf(w->label, sizeof(w->label), "console");
	snprintf(w->front, sizeof(w->front), "/local/domain/%u/console", domid);
	w->back[0] = 0;
	w->fe = w->be = -1;
}

static int consoled_running(void)
{
	char path[TS_PATH_MAX];
	pid_t pid;

	if (ts_path(path, sizeof(path), "pvkit-consoled.pid"))
		return 0;
	pid = ts_read_pid(path);
	return pid > 0 && ts_pid_is(pid, "pvkit-consoled");
}

static void console_states(struct pv_xs *xs, struct dev_wait *w, int consoled)
{
	int ref = pv_xs_exists(xs, PV_XS_NO_TXN, w->front, "ring-ref") == 1;
	int port = pv_xs_exists(xs, PV_XS_NO_TXN, w->front, "port") == 1;
	char *tty = NULL;

	w->fe = ref && port ? PV_XENBUS_STATE_CONNECTED : PV_XENBUS_STATE_INITIALISING;
	if (!consoled) {
		w->be = PV_XENBUS_STATE_CONNECTED; /* nobody will serve it: don't wait */
		return;
	}
	w->be = pv_xs_read(xs, PV_XS_NO_TXN, w->front, "tty", &tty) == 0 && tty[0]
			? PV_XENBUS_STATE_CONNECTED
			: PV_XENBUS_STATE_INITIALISING;
	free(tty);
}

/* Poll every device once; print what changed. Returns how many are not Connected yet. */
static size_t poll_devices(struct pv_xs *xs, struct dev_wait *w, size_t n, int consoled,
			   int quiet)
{
	size_t pending = 0;

	for (size_t i = 0; i < n; i++) {
		int fe = w[i].fe, be = w[i].be;

		if (w[i].back[0]) {
			w[i].fe = (int)pv_xenbus_read_state(xs, w[i].front);
			w[i].be = (int)pv_xenbus_read_state(xs, w[i].back);
		} else {
			console_states(xs, &w[i], consoled);
		}
		if (!quiet && (fe != w[i].fe || be != w[i].be))
			printf("  %-20s frontend %-12s backend %s\n", w[i].label,
			       pv_xenbus_state_name(w[i].fe), pv_xenbus_state_name(w[i].be));
		pending += w[i].fe != PV_XENBUS_STATE_CONNECTED || w[i].be != PV_XENBUS_STATE_CONNECTED;
	}
	if (!quiet)
		fflush(stdout);
	return pending;
}

/* Say which device is stuck, with its error nodes. */
static void report_stuck(struct pv_xs *xs, const struct dev_wait *w, size_t n, unsigned secs,
			 const char *cmd)
{
	for (size_t i = 0; i < n; i++) {
		const char *dirs[2] = {w[i].front, w[i].back};
		char *err;

		if (w[i].fe == PV_XENBUS_STATE_CONNECTED && w[i].be == PV_XENBUS_STATE_CONNECTED)
			continue;
		fprintf(stderr, "pvkit %s: %s did not connect in %u s: frontend %s, backend %s\n",
			cmd, w[i].label, secs, pv_xenbus_state_name(w[i].fe),
			pv_xenbus_state_name(w[i].be));
		for (int k = 0; k < 2; k++) {
			if (!dirs[k][0] || pv_xs_read(xs, PV_XS_NO_TXN, dirs[k], "error", &err))
				continue;
			fprintf(stderr, "pvkit %s:   %s/error: %s\n", cmd, dirs[k], err);
			free(err);
		}
	}
}

static void sleep_poll(void)
{
	nanosleep(&(struct timespec){.tv_nsec = POLL_MS * 1000000L}, NULL);
}

int devwait_run(struct pv_xs *xs, struct dev_wait *w, size_t n, unsigned secs, int quiet,
		const char *cmd, int (*check)(void *opaque), void *opaque)
{
	int consoled = consoled_running(), rc;

	for (unsigned waited = 0; waited < secs * (1000 / POLL_MS); waited++) {
		if (!poll_devices(xs, w, n, consoled, quiet))
			return 0;
		if (check && (rc = check(opaque)) < 0)
			return rc;
		sleep_poll();
	}
	report_stuck(xs, w, n, secs, cmd);
	return -ETIMEDOUT;
}

int devwait_state(struct pv_xs *xs, const char *dir, enum pv_xenbus_state state, int ms)
{
	for (int waited = 0; waited < ms; waited += POLL_MS) {
		if (pv_xenbus_read_state(xs, dir) == state)
			return 0;
		sleep_poll();
	}
	return pv_xenbus_read_state(xs, dir) == state ? 0 : -ETIMEDOUT;
}

/* SPDX-License-Identifier: MIT */
/*
 * Hotplug on a running guest: block-attach/-detach and network-attach/
 * -detach write or remove one device's nodes where libxl does and wait for
 * the drivers (pci-attach and -detach: cmd_pcidev.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devwait.h"
#include "hotplug.h"
#include "domcfg.h"
#include "pvkit_cmd.h"
#include "toolstack.h"

#define ATTACH_DEFAULT_TIMEOUT 30 /* seconds for the device to connect */
#define DETACH_DEFAULT_TIMEOUT 10 /* seconds for both halves to close (libxl's too) */

int hotplug_parse_args(int argc, char **argv, struct hotplug *h)
{
	const char *pos[2] = {NULL, NULL};
	int npos = 0;
	char *end;

	h->cmd = argv[0];
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rundir") && i + 1 < argc) {
			pvkit_rundir = argv[++i];
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			h->timeout = (unsigned)strtoul(argv[++i], &end, 10);
			if (*end || h->timeout < 1 || h->timeout > 3600)
				return pvkit_usage_error(h->cmd, "--timeout %s: use 1 to 3600 seconds",
							 argv[i]);
		} else if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f")) {
			if (!strstr(h->cmd, "detach"))
				return pvkit_usage_error(h->cmd, "--force goes with detach only");
			h->force = 1;
		} else if (npos < 2 && (argv[i][0] != '-' || npos == 1)) {
			pos[npos++] = argv[i];
		} else {
			return pvkit_usage_error(h->cmd, "unexpected argument '%s'", argv[i]);
		}
	}
	if (npos != 2)
		return pvkit_usage_error(h->cmd, "expected NAME|ID and one %s",
					 strstr(h->cmd, "attach") ? "spec" : "device");
	h->what = pos[0];
	h->arg = pos[1];
	return 0;
}

int hotplug_open_guest(struct hotplug *h)
{
	if (ts_admin_open(&h->l) < 0)
		return PVKIT_EXIT_FAILURE;
	if (ts_find_domain(h->l, h->cmd, h->what, &h->dom) < 0 || ts_xs_open(&h->xs) < 0) {
		pv_local_close(h->l);
		return PVKIT_EXIT_FAILURE;
	}
	return 0;
}

void hotplug_close_guest(struct hotplug *h)
{
	pv_xs_close(h->xs);
	pv_local_close(h->l);
}

struct rm_device {
	const char *kind;
	unsigned domid, devid;
};

static int rm_device_txn(struct pv_xs *xs, pv_xs_txn_t t, void *opaque)
{
	const struct rm_device *r = opaque;
	char path[3][128];
	int rc = 0;

	snprintf(path[0], sizeof(path[0]), "/local/domain/%u/device/%s/%u", r->domid, r->kind,
		 r->devid);
	snprintf(path[1], sizeof(path[1]), "/local/domain/0/backend/%s/%u/%u", r->kind, r->domid,
		 r->devid);
	snprintf(path[2], sizeof(path[2]), "/libxl/%u/device/%s/%u", r->domid, r->kind, r->devid);
	for (int i = 0; i < 3 && !rc; i++)
		rc = ts_xs_rm_cleanup(xs, t, path[i]);
	return rc;
}

/* Remove the device's frontend, backend and libxl directories in one transaction. */
static int rm_device(struct hotplug *h, const char *kind, unsigned devid)
{
	struct rm_device r = {kind, h->dom.domid, devid};
	int rc = pv_xs_transaction(h->xs, rm_device_txn, &r, 0);

	if (rc < 0)
		fprintf(stderr, "pvkit %s: cannot remove the nodes of %s %u: %s\n", h->cmd, kind,
			devid, strerror(-rc));
	return rc;
}

static int close_and_rm(struct hotplug *h, const char *kind, unsigned devid);

/* Write @nodes and wait for @w to connect; on failure its nodes go again. */
static int plug(struct hotplug *h, const struct xsnodes *nodes, struct dev_wait *w,
		const char *kind, unsigned devid)
{
	int rc = pv_xs_exists(h->xs, PV_XS_NO_TXN, w->front, NULL);

	if (rc == 1) {
		fprintf(stderr, "pvkit %s: guest %s already has %s\n", h->cmd, h->dom.name, w->label);
		return PVKIT_EXIT_FAILURE;
	}
	if (ts_write_nodes(h->xs, nodes, h->cmd) < 0)
		return PVKIT_EXIT_FAILURE;
	rc = devwait_run(h->xs, w, 1, h->timeout ? h->timeout : ATTACH_DEFAULT_TIMEOUT, 0, h->cmd,
			 NULL, NULL);
	if (rc < 0) {
		close_and_rm(h, kind, devid);
		return PVKIT_EXIT_FAILURE;
	}
	printf("%s attached to guest %s\n", w->label, h->dom.name);
	return 0;
}

/* Check the host for one disk or vif as create does (target opens, bridge exists). */
static int check_host(const char *cmd, const struct diskspec *d, const struct vifspec *v)
{
	struct domcfg *dc = calloc(1, sizeof(*dc));
	struct xlcfg_err err;
	int rc;

	if (!dc)
		return -ENOMEM;
	if (d) {
		dc->disks[dc->ndisks++] = *d;
		snprintf(dc->disk_where[0], sizeof(dc->disk_where[0]), "pvkit %s", cmd);
	}
	if (v) {
		dc->vifs[dc->nvifs++] = *v;
		snprintf(dc->vif_where[0], sizeof(dc->vif_where[0]), "pvkit %s", cmd);
	}
	rc = domcfg_check_host(dc, "/sys/class/net", &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	free(dc);
	return rc;
}

static int block_attach(struct hotplug *h)
{
	struct xsnodes nodes = {0};
	struct dev_wait w;
	struct diskspec d;
	char err[DEVSPEC_ERR_LEN];
	int rc;

	if (diskspec_parse(h->arg, &d, err)) {
		fprintf(stderr, "pvkit %s: %s\n", h->cmd, err);
		return PVKIT_EXIT_FAILURE;
	}
	if (check_host(h->cmd, &d, NULL) || (rc = hotplug_open_guest(h)))
		return PVKIT_EXIT_FAILURE;
	devwait_disk(&w, &d, h->dom.domid);
	if (domcfg_disk_nodes(&d, h->dom.domid, 0, &nodes) < 0) {
		fprintf(stderr, "pvkit %s: out of memory\n", h->cmd);
		rc = PVKIT_EXIT_FAILURE;
	} else {
		rc = plug(h, &nodes, &w, "vbd", d.virtual_device);
	}
	xsnodes_free(&nodes);
	hotplug_close_guest(h);
	return rc;
}

/* The devid after the guest's highest vif. */
static int next_vif_devid(struct hotplug *h)
{
	char dir[64], **ids = NULL;
	int n, next = 0;

	snprintf(dir, sizeof(dir), "/local/domain/%u/device/vif", h->dom.domid);
	n = pv_xs_directory(h->xs, PV_XS_NO_TXN, dir, NULL, &ids);
	for (int i = 0; i < n; i++) {
		int id = atoi(ids[i]);

		if (id >= next)
			next = id + 1;
	}
	free(ids);
	return next;
}

static int network_attach(struct hotplug *h)
{
	struct xsnodes nodes = {0};
	struct dev_wait w;
	struct vifspec v;
	char err[DEVSPEC_ERR_LEN];
	int rc;

	if (vifspec_parse(h->arg, &v, err)) {
		fprintf(stderr, "pvkit %s: %s\n", h->cmd, err);
		return PVKIT_EXIT_FAILURE;
	}
	if (check_host(h->cmd, NULL, &v) || (rc = hotplug_open_guest(h)))
		return PVKIT_EXIT_FAILURE;
	if (v.devid < 0)
		v.devid = next_vif_devid(h);
	if (!v.mac_set)
		domcfg_default_mac(h->dom.name, v.devid, v.mac);
	devwait_vif(&w, &v, h->dom.domid);
	if (domcfg_vif_nodes(&v, h->dom.domid, 0, &nodes) < 0) {
		fprintf(stderr, "pvkit %s: out of memory\n", h->cmd);
		rc = PVKIT_EXIT_FAILURE;
	} else {
		rc = plug(h, &nodes, &w, "vif", (unsigned)v.devid);
	}
	xsnodes_free(&nodes);
	hotplug_close_guest(h);
	return rc;
}

/* The xenbus state under @dir, or -1 when the directory is gone. */
static int dir_state(struct pv_xs *xs, const char *dir)
{
	if (pv_xs_exists(xs, PV_XS_NO_TXN, dir, NULL) != 1)
		return -1;
	return (int)pv_xenbus_read_state(xs, dir);
}

/*
 * libxl's removal, first half: online=0 and the backend's state Closing;
 * the frontend closes (Closed), the backend follows (Closed) and releases
 * the device. Waits up to the timeout for the backend's Closed. 0 when it
 * closed (or has nothing to close), -ETIMEDOUT (printed, with both states).
 */
static int close_device(struct hotplug *h, const char *back, const char *front,
			const char *label)
{
	unsigned secs = h->timeout ? h->timeout : DETACH_DEFAULT_TIMEOUT;
	int be = dir_state(h->xs, back), fe;

	if (be < 0 || be == PV_XENBUS_STATE_CLOSED)
		return 0;
	pv_xs_write(h->xs, PV_XS_NO_TXN, back, "online", "0");
	pv_xs_write(h->xs, PV_XS_NO_TXN, back, "state", "5"); /* Closing */
	for (unsigned i = 0; i < secs * 50; i++) {
		be = dir_state(h->xs, back);
		if (be < 0 || be == PV_XENBUS_STATE_CLOSED)
			return 0;
		usleep(20000);
	}
	fe = dir_state(h->xs, front);
	fprintf(stderr, "pvkit %s: %s did not close in %u s: frontend %s, backend %s; "
		"removing it anyway (as --force)\n", h->cmd, label, secs,
		fe < 0 ? "gone" : pv_xenbus_state_name((enum pv_xenbus_state)fe),
		be < 0 ? "gone" : pv_xenbus_state_name((enum pv_xenbus_state)be));
	return -ETIMEDOUT;
}

/*
 * Unplug as libxl does: close the device (unless --force or the attach that
 * failed), then remove its frontend, backend and libxl directories in one
 * transaction; the guest runtime unbinds its frontend and the backend drops
 * the device when their directories go. Returns 0 or -errno.
 */
static int close_and_rm(struct hotplug *h, const char *kind, unsigned devid)
{
	char back[96], front[96], label[48];

	snprintf(back, sizeof(back), "/local/domain/0/backend/%s/%u/%u", kind, h->dom.domid, devid);
	snprintf(front, sizeof(front), "/local/domain/%u/device/%s/%u", h->dom.domid, kind, devid);
	snprintf(label, sizeof(label), "%s %u", kind, devid);
	if (!h->force && strstr(h->cmd, "detach"))
		close_device(h, back, front, h->label ? h->label : label);
	else if (pv_xs_exists(h->xs, PV_XS_NO_TXN, back, NULL) == 1)
		pv_xs_write(h->xs, PV_XS_NO_TXN, back, "online", "0");
	return rm_device(h, kind, devid);
}

static int unplug(struct hotplug *h, const char *kind, unsigned devid, const char *label)
{
	char front[96];
	int rc;

	snprintf(front, sizeof(front), "/local/domain/%u/device/%s/%u", h->dom.domid, kind, devid);
	if (pv_xs_exists(h->xs, PV_XS_NO_TXN, front, NULL) != 1) {
		fprintf(stderr, "pvkit %s: guest %s has no %s\n", h->cmd, h->dom.name, label);
		return PVKIT_EXIT_FAILURE;
	}
	h->label = label;
	rc = close_and_rm(h, kind, devid);
	if (rc == 0)
		printf("%s detached from guest %s\n", label, h->dom.name);
	return rc < 0 ? PVKIT_EXIT_FAILURE : 0;
}

static int block_detach(struct hotplug *h)
{
	char label[48];
	uint32_t vd;
	int rc;

	if (diskspec_vdev_number(h->arg, &vd) < 0) {
		fprintf(stderr, "pvkit %s: '%s' is not a virtual disk (xvdb, hdc, 51728...)\n",
			h->cmd, h->arg);
		return PVKIT_EXIT_FAILURE;
	}
	if ((rc = hotplug_open_guest(h)))
		return rc;
	snprintf(label, sizeof(label), "vbd %u (%s)", vd, h->arg);
	rc = unplug(h, "vbd", vd, label);
	hotplug_close_guest(h);
	return rc;
}

/* A vif by devid, or by its MAC: the devid, or -1 (printed). */
static int find_vif(struct hotplug *h)
{
	char dir[64], **ids = NULL, *mac = NULL;
	uint8_t want[6], got[6];
	int n, found = -1;

	if (!strchr(h->arg, ':'))
		return atoi(h->arg);
	if (vifspec_parse_mac(h->arg, want) < 0) {
		fprintf(stderr, "pvkit %s: '%s' is neither a devid nor a MAC\n", h->cmd, h->arg);
		return -1;
	}
	snprintf(dir, sizeof(dir), "/local/domain/%u/device/vif", h->dom.domid);
	n = pv_xs_directory(h->xs, PV_XS_NO_TXN, dir, NULL, &ids);
	for (int i = 0; i < n && found < 0; i++) {
		char sub[96];

		snprintf(sub, sizeof(sub), "%s/%s", dir, ids[i]);
		if (pv_xs_read(h->xs, PV_XS_NO_TXN, sub, "mac", &mac) == 0 &&
		    vifspec_parse_mac(mac, got) == 0 && !memcmp(got, want, 6))
			found = atoi(ids[i]);
		free(mac);
		mac = NULL;
	}
	free(ids);
	if (found < 0)
		fprintf(stderr, "pvkit %s: guest %s has no vif with MAC %s\n", h->cmd, h->dom.name,
			h->arg);
	return found;
}

static int network_detach(struct hotplug *h)
{
	char label[32];
	int rc, devid;

	if (strspn(h->arg, "0123456789") != strlen(h->arg) && !strchr(h->arg, ':'))
		return pvkit_usage_error(h->cmd, "'%s' is neither a devid nor a MAC", h->arg);
	if ((rc = hotplug_open_guest(h)))
		return rc;
	devid = find_vif(h);
	if (devid < 0) {
		hotplug_close_guest(h);
		return PVKIT_EXIT_FAILURE;
	}
	snprintf(label, sizeof(label), "vif %d", devid);
	rc = unplug(h, "vif", (unsigned)devid, label);
	hotplug_close_guest(h);
	return rc;
}

int pvkit_cmd_hotplug(int argc, char **argv)
{
	struct hotplug h = {0};
	int rc = hotplug_parse_args(argc, argv, &h);

	if (rc)
		return rc;
	if (!strcmp(h.cmd, "block-attach"))
		return block_attach(&h);
	if (!strcmp(h.cmd, "block-detach"))
		return block_detach(&h);
	if (!strcmp(h.cmd, "network-attach"))
		return network_attach(&h);
	return network_detach(&h);
}

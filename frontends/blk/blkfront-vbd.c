/* SPDX-License-Identifier: MIT */
/*
 * The vbd driver of pvkit-guest: each vbd of the guest is opened with
 * blkfront and exported by the NBD server on a UNIX socket in the guest's
 * run directory, named after the disk: <dir>/xvda.sock for virtual-device
 * 51712 (Xen's xvd numbering: 202:0 is xvda, 202:16 xvdb, ...; the
 * extended form 1<<28 | disk<<8 too), <dir>/vbd-<devid>.sock otherwise.
 * A read-only vbd is exported read-only. URI: nbd+unix:///?socket=PATH
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "pvkit/blkfront.h"
#include "pvkit/guest.h"
#include "pvkit/log.h"
#include "pvkit/nbd.h"
#include "blkfront-vbd.h"

struct vbd {
	struct pv_guest *g;
	struct pv_blkfront *bf;
	struct pv_nbd_server *srv;
	int srv_fd;
	char sock[4200];
};

static void on_nbd(struct pv_guest *g, int fd, uint32_t events, void *opaque)
{
	struct vbd *v = opaque;

	(void)g;
	(void)fd;
	(void)events;
	if (pv_nbd_server_dispatch(v->srv) < 0)
		pv_warn("vbd %s: NBD server loop failed", v->sock);
}

/* Stop the export; requests the backend never answers are failed after a grace time. */
static void stop_export(struct vbd *v)
{
	int rc = 0;

	pv_guest_del_fd(v->g, v->srv_fd);
	pv_nbd_server_stop(v->srv);
	for (int i = 0; i < 400 && (rc = pv_nbd_server_dispatch(v->srv)) == 0; i++) {
		struct pollfd p = {.fd = v->srv_fd, .events = POLLIN};

		if (i == 200)
			pv_blkfront_fail_pending(v->bf, -ESHUTDOWN);
		poll(&p, 1, 10);
	}
	if (rc != 1)
		pv_warn("vbd %s: requests still in flight at shutdown", v->sock);
	pv_nbd_server_free(v->srv);
	v->srv = NULL;
}

static void vbd_free(struct vbd *v)
{
	if (v->srv)
		stop_export(v);
	pv_blkfront_close(v->bf);
	free(v);
}

static int vbd_probe(struct pv_guest *g, struct pv_xenbus_dev *x)
{
	struct vbd *v = calloc(1, sizeof(*v));
	char name[16], file[32];
	int rc;

	if (!v)
		return -ENOMEM;
	v->g = g;
	rc = pv_blkfront_open(pv_guest_platform(g), pv_guest_xs(g), x->nodename, NULL, &v->bf);
	if (rc) {
		free(v);
		return rc;
	}
	pv_blkfront_disk_name(x->devid, name, sizeof(name));
	pv_blkfront_export_socket(x->devid, file, sizeof(file));
	snprintf(v->sock, sizeof(v->sock), "%s/%s", pv_guest_dir(g), file);
	rc = pv_blkfront_nbd_export(v->bf, v->sock, name, &v->srv);
	if (!rc) {
		v->srv_fd = pv_nbd_server_fd(v->srv);
		rc = pv_guest_add_fd(g, v->srv_fd, EPOLLIN, on_nbd, v);
	}
	if (rc) {
		pv_log(PV_LOG_ERR, x->prefix, -rc, "exporting the disk on %s", v->sock);
		vbd_free(v);
		return rc;
	}
	pv_dev_info(x->prefix, "disk exported at nbd+unix:///?socket=%s", v->sock);
	x->opaque = v;
	return 0;
}

static void vbd_remove(struct pv_guest *g, struct pv_xenbus_dev *x)
{
	(void)g;
	if (x->opaque)
		vbd_free(x->opaque);
	x->opaque = NULL;
}

const struct pv_guest_driver pv_blkfront_vbd_driver = {
	.type = "vbd",
	.probe = vbd_probe,
	.remove = vbd_remove,
};

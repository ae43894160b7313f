/* SPDX-License-Identifier: MIT */
/*
 * net-tool hostileback RUNDIR DOMID DEVID: a hostile backend for a real
 * netfront (pvkit-guest). It connects as domain 0's backend of the vif,
 * then answers the posted rx buffers with bad responses (an id that is not
 * its slot's, bytes past the page, an error status, an unknown extra), one
 * good packet, an event storm (XSA-332) with a good packet after it, and
 * finally a response producer index a ring ahead. Prints
 * "ok - " / "not ok - " lines; the script checks that the guest survived.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvkit/platform.h"
#include "pvkit/proto/netif.h"
#include "pvkit/ring.h"
#include "pvkit/xenbus.h"

int net_tool_hostileback(int argc, char **argv);

static int failures;

static void check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	if (!cond)
		failures++;
}

struct hback {
	struct pv_platform *p;
	struct pv_xs *xs;
	struct pv_evtchn *evt;
	pv_evtchn_port_t port;
	struct pv_ring_back tx, rx;
	pv_domid_t fe_dom;
	char fe[128], be[128];
};

static int wait_state(struct pv_xs *xs, const char *dir, enum pv_xenbus_state want)
{
	for (int i = 0; i < 500; i++) {
		if (pv_xenbus_read_state(xs, dir) == want)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

static void *map_ref(struct hback *h, const char *node)
{
	uint64_t ref;

	if (pv_xs_read_uint(h->xs, 0, h->fe, node, UINT32_MAX, 0, &ref) < 0)
		return NULL;
	return pv_gnt_map(h->p, h->fe_dom, 1, (pv_grant_ref_t[]){(pv_grant_ref_t)ref}, 1);
}

static int connect_back(struct hback *h)
{
	struct pv_ring_shape tx = PV_RING_SHAPE(struct pv_netif_tx_request, struct pv_netif_tx_response);
	struct pv_ring_shape rx = PV_RING_SHAPE(struct pv_netif_rx_request, struct pv_netif_rx_response);
	void *txp, *rxp;
	uint64_t port;
	int rc;

	pv_xs_write(h->xs, 0, h->be, "feature-rx-copy", "1");
	pv_xs_write(h->xs, 0, h->be, "feature-sg", "1");
	pv_xs_write(h->xs, 0, h->be, "state", "2");
	/* netfront writes its nodes, then goes Connected (netif.h, as Linux's netfront). */
	if (wait_state(h->xs, h->fe, PV_XENBUS_STATE_CONNECTED) < 0)
		return -ETIMEDOUT;
	txp = map_ref(h, "tx-ring-ref");
	rxp = map_ref(h, "rx-ring-ref");
	if (!txp || !rxp || pv_ring_back_attach(&h->tx, txp, 1, &tx, 0) < 0 ||
	    pv_ring_back_attach(&h->rx, rxp, 1, &rx, 0) < 0)
		return -EINVAL;
	rc = pv_xs_read_uint(h->xs, 0, h->fe, "event-channel", INT32_MAX, 0, &port);
	rc = rc ?: pv_evtchn_open(h->p, &h->evt);
	rc = rc ?: pv_evtchn_bind_interdomain(h->evt, h->fe_dom, (pv_evtchn_port_t)port);
	if (rc < 0)
		return rc;
	h->port = (pv_evtchn_port_t)rc;
	pv_xs_write(h->xs, 0, h->be, "state", "4");
	return wait_state(h->xs, h->fe, PV_XENBUS_STATE_CONNECTED);
}

/* Answer the next posted rx buffer with @rsp (its id replaced unless @keep_id). */
static int answer(struct hback *h, struct pv_netif_rx_response rsp, int keep_id)
{
	struct pv_netif_rx_request req;

	for (int i = 0; i < 200 && pv_ring_back_get_request(&h->rx, &req) <= 0; i++)
		usleep(10000);
	if (!keep_id)
		rsp.id = req.id;
	pv_ring_back_put(&h->rx, &rsp);
	pv_ring_back_push(&h->rx);
	return pv_evtchn_notify(h->evt, h->port) < 0;
}

/* A good broadcast frame copied into the next posted buffer. */
static void good_packet(struct hback *h)
{
	struct pv_netif_rx_request req;
	uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5};
	struct pv_gnt_copy_seg seg;
	struct pv_netif_rx_response rsp = {.status = 60};

	for (int i = 0; i < 200 && pv_ring_back_get_request(&h->rx, &req) <= 0; i++)
		usleep(10000);
	seg = (struct pv_gnt_copy_seg){.source = {.virt = frame},
				       .dest = {.is_gref = 1, .domid = h->fe_dom, .ref = req.gref},
				       .len = 60};
	check(pv_gnt_copy(h->p, &seg, 1) == 0 && seg.status == 0, "a good packet copied into a posted buffer");
	rsp.id = req.id;
	pv_ring_back_put(&h->rx, &rsp);
	pv_ring_back_push(&h->rx);
	pv_evtchn_notify(h->evt, h->port);
}

/*
 * XSA-332: notifications in a tight loop with no new response. netfront
 * stays Connected, and afterwards takes a good packet (it refills the
 * buffer: the rx req_prod moves).
 */
static void storm(struct hback *h)
{
	unsigned long sent = 0;
	uint32_t prod;
	int moved = 0;

	for (unsigned long i = 0; i < 200000; i++)
		sent += pv_evtchn_notify(h->evt, h->port) == 0;
	check(sent == 200000, "event storm: 200000 notifications with no new response");
	check(pv_xenbus_read_state(h->xs, h->fe) == PV_XENBUS_STATE_CONNECTED,
	      "event storm: netfront still Connected");
	prod = __atomic_load_n(&h->rx.v.sring->req_prod, __ATOMIC_ACQUIRE);
	good_packet(h);
	for (int i = 0; i < 500 && !moved; i++, usleep(10000))
		moved = __atomic_load_n(&h->rx.v.sring->req_prod, __ATOMIC_ACQUIRE) != prod;
	check(moved, "event storm: netfront took the next packet and reposted its buffer");
}

int net_tool_hostileback(int argc, char **argv)
{
	struct pv_platform_opts po = {.name = "local", .domid = 0, .domid_set = 1};
	struct pv_netif_extra_info x = {.type = 9};
	struct pv_netif_rx_response rsp;
	struct hback h = {0};
	char path[4096];
	int rc = 0;

	if (argc != 5)
		return 2;
	po.rundir = argv[2];
	h.fe_dom = (pv_domid_t)atoi(argv[3]);
	snprintf(h.fe, sizeof(h.fe), "/local/domain/%s/device/vif/%s", argv[3], argv[4]);
	snprintf(h.be, sizeof(h.be), "/local/domain/0/backend/vif/%s/%s", argv[3], argv[4]);
	if (pv_platform_open(&h.p, &po) < 0 || pv_xs_local_path(path, sizeof(path), argv[2], 0) < 0 ||
	    pv_xs_open(&h.xs, path) < 0)
		return 1;
	check(connect_back(&h) == 0, "hostile backend connected to netfront");
	if (failures)
		return 1;
	rc |= answer(&h, (struct pv_netif_rx_response){.id = 9999, .status = 60}, 1);
	rc |= answer(&h, (struct pv_netif_rx_response){.offset = 4000, .status = 200}, 0);
	rc |= answer(&h, (struct pv_netif_rx_response){.status = PV_NETIF_RSP_ERROR}, 0);
	rc |= answer(&h, (struct pv_netif_rx_response){.status = 60, .flags = PV_NETRXF_EXTRA_INFO}, 0);
	memset(&rsp, 0, sizeof(rsp));
	memcpy(&rsp, &x, sizeof(x));
	rc |= answer(&h, rsp, 1);
	rc |= answer(&h, (struct pv_netif_rx_response){.status = 60, .flags = PV_NETRXF_MORE_DATA}, 0);
	rc |= answer(&h, (struct pv_netif_rx_response){.offset = 100, .status = 4000}, 0);
	check(rc == 0, "bad rx responses delivered: wrong id, past the page, error, unknown extra, "
		       "overlong chain");
	storm(&h);
	good_packet(&h);
	sleep(1);
	h.rx.v.sring->rsp_prod += 1000; /* more responses than requests */
	pv_evtchn_notify(h.evt, h.port);
	check(wait_state(h.xs, h.fe, PV_XENBUS_STATE_CLOSING) == 0 ||
	      wait_state(h.xs, h.fe, PV_XENBUS_STATE_CLOSED) == 0,
	      "response producer overflow: netfront gives the device up");
	pv_xs_write(h.xs, 0, h.be, "state", "6");
	return failures ? 1 : 0;
}

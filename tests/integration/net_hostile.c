/* SPDX-License-Identifier: MIT */
/*
 * net-tool hostile RUNDIR DOMID DEVID: a hostile netfront against
 * pvkit-netback. Sends each bad tx shape (runt, slot across its page,
 * slot sizes larger than the packet, bad grant, too many slots, a bad GSO
 * extra) and expects error responses, sends the odd-but-legal shapes
 * (zero-length fragments, a header split across slots) and expects them
 * taken, posts an rx buffer with a bad grant and expects an error
 * response (then a good one is filled), then breaks the protocol (unknown
 * extra type, tx and rx producer overflow) and expects the vif disabled
 * with the reason in xenstore. Run in the backend's network namespace: rx
 * frames are sent out of vif<DOMID>.<DEVID> with a packet socket. Prints
 * one "ok - " / "not ok - " line per check; exits non-zero when one failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_hostile.h"

int net_tool_hostile(int argc, char **argv);
int net_tool_silent(int argc, char **argv);

static int failures;

static void check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	if (!cond)
		failures++;
}

int hostile_wait_state(struct pv_xs *xs, const char *dir, enum pv_xenbus_state want)
{
	for (int i = 0; i < 5000; i++) {
		if (pv_xenbus_read_state(xs, dir) == want)
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

int hostile_share_rings(struct hostile *h)
{
	struct pv_ring_shape tx = PV_RING_SHAPE(struct pv_netif_tx_request, struct pv_netif_tx_response);
	struct pv_ring_shape rx = PV_RING_SHAPE(struct pv_netif_rx_request, struct pv_netif_rx_response);
	int rc;

	if (!h->tx_page)
		h->tx_page = pv_gnt_share_pages(h->p, 0, 1, &h->tx_ref, 1);
	if (!h->rx_page)
		h->rx_page = pv_gnt_share_pages(h->p, 0, 1, &h->rx_ref, 1);
	if (!h->tx_page || !h->rx_page)
		return -ENOMEM;
	if (h->evt)
		pv_evtchn_close(h->evt);
	h->evt = NULL;
	if (pv_ring_front_init(&h->tx, h->tx_page, 1, &tx) < 0 ||
	    pv_ring_front_init(&h->rx, h->rx_page, 1, &rx) < 0)
		return -EINVAL;
	rc = pv_evtchn_open(h->p, &h->evt);
	rc = rc ?: pv_evtchn_alloc_unbound(h->evt, 0);
	if (rc < 0)
		return rc;
	h->port = (pv_evtchn_port_t)rc;
	return 0;
}

int hostile_publish(struct hostile *h)
{
	int rc = pv_xs_printf(h->xs, 0, h->fe, "tx-ring-ref", "%u", h->tx_ref);
	rc = rc ?: pv_xs_printf(h->xs, 0, h->fe, "rx-ring-ref", "%u", h->rx_ref);
	rc = rc ?: pv_xs_printf(h->xs, 0, h->fe, "event-channel", "%u", h->port);
	rc = rc ?: pv_xs_write(h->xs, 0, h->fe, "request-rx-copy", "1");
	rc = rc ?: pv_xs_write(h->xs, 0, h->fe, "feature-rx-notify", "1");
	rc = rc ?: pv_xs_write(h->xs, 0, h->fe, "feature-sg", "1");
	rc = rc ?: pv_xs_write(h->xs, 0, h->fe, "state", "3");
	return rc ?: hostile_wait_state(h->xs, h->be, PV_XENBUS_STATE_CONNECTED);
}

/* From the backend's InitWait to Connected with fresh rings (no rx buffers posted, ever). */
static int hostile_connect(struct hostile *h)
{
	int rc = hostile_wait_state(h->xs, h->be, PV_XENBUS_STATE_INIT_WAIT);

	rc = rc ?: hostile_share_rings(h);
	return rc ?: hostile_publish(h);
}

/* After the backend gave up: Closed, then start over as a fresh frontend. */
static int hostile_reconnect(struct hostile *h)
{
	pv_xs_write(h->xs, 0, h->fe, "state", "6");
	if (hostile_wait_state(h->xs, h->be, PV_XENBUS_STATE_CLOSED) < 0)
		return -ETIMEDOUT;
	pv_evtchn_close(h->evt);
	h->evt = NULL; /* the old rings stay shared: we leave them be */
	h->tx_page = h->rx_page = NULL;
	pv_xs_write(h->xs, 0, h->fe, "state", "1");
	return hostile_connect(h);
}

int hostile_send_slots(struct hostile *h, const struct pv_netif_tx_request *s, unsigned int n,
		      int16_t *status)
{
	struct pollfd pfd = {.fd = pv_evtchn_fd(h->evt), .events = POLLIN};
	struct pv_netif_tx_response rsp;
	unsigned int got = 0;
	int port;

	for (unsigned int i = 0; i < n; i++)
		pv_ring_front_put(&h->tx, &s[i]);
	if (pv_ring_front_push(&h->tx) > 0)
		pv_evtchn_notify(h->evt, h->port);
	for (int i = 0; i < 500 && got < n; i++) {
		while (got < n && pv_ring_front_get_response(&h->tx, &rsp) > 0)
			status[got++] = rsp.status;
		if (got < n && poll(&pfd, 1, 10) > 0)
			while ((port = pv_evtchn_pending(h->evt)) >= 0)
				pv_evtchn_unmask(h->evt, (pv_evtchn_port_t)port);
	}
	return got == n ? 0 : -ETIMEDOUT;
}

static struct pv_netif_tx_request slot(struct hostile *h, uint16_t off, uint16_t size, uint16_t flags)
{
	static uint16_t id;

	return (struct pv_netif_tx_request){.gref = h->data_ref, .offset = off, .flags = flags,
					    .id = ++id, .size = size};
}

/* Every data slot answered @want, extras (NULL) aside. */
static void expect(struct hostile *h, const struct pv_netif_tx_request *s, unsigned int n,
		   int16_t want, const char *what)
{
	int16_t st[80];
	int ok = hostile_send_slots(h, s, n, st) == 0;

	for (unsigned int i = 0; ok && i < n; i++)
		ok = st[i] == want || st[i] == PV_NETIF_RSP_NULL;
	check(ok, what);
}

static void bad_shapes(struct hostile *h)
{
	struct pv_netif_tx_request s[24];
	struct pv_netif_extra_info x = {.type = PV_NETIF_EXTRA_TYPE_GSO};

	s[0] = slot(h, 0, 60, 0);
	expect(h, s, 1, PV_NETIF_RSP_OKAY, "a good packet is taken");
	s[0] = slot(h, 0, 10, 0);
	expect(h, s, 1, PV_NETIF_RSP_ERROR, "runt packet: error");
	s[0] = slot(h, 4000, 200, 0);
	expect(h, s, 1, PV_NETIF_RSP_ERROR, "slot across its page: error");
	s[0] = slot(h, 0, 100, PV_NETTXF_MORE_DATA);
	s[1] = slot(h, 0, 200, 0);
	expect(h, s, 2, PV_NETIF_RSP_ERROR, "slots larger than the packet: error");
	s[0] = slot(h, 0, 60, 0);
	s[0].gref = 999999;
	expect(h, s, 1, PV_NETIF_RSP_ERROR, "grant reference out of range: error");
	s[0] = slot(h, 0, 60, 0);
	for (unsigned int i = 1; i < 20; i++) /* 20 tiny slots: one past the limit (XSA-432) */
		s[i - 1].flags |= PV_NETTXF_MORE_DATA, s[i] = slot(h, 0, 1, 0);
	expect(h, s, 20, PV_NETIF_RSP_ERROR, "too many slots in one packet: error");
	s[0] = slot(h, 0, 64, PV_NETTXF_MORE_DATA);
	s[1] = slot(h, 64, 0, PV_NETTXF_MORE_DATA);
	s[2] = slot(h, 64, 0, 0);
	expect(h, s, 3, PV_NETIF_RSP_OKAY, "zero-length fragments are taken (XSA-448)");
	s[0] = slot(h, 0, 64, PV_NETTXF_MORE_DATA);
	s[1] = slot(h, 6, 58, 0);
	expect(h, s, 2, PV_NETIF_RSP_OKAY, "header split across slots is taken (XSA-423)");
	s[0] = slot(h, 0, 60, PV_NETTXF_EXTRA_INFO);
	x.u.gso.type = 7;
	x.u.gso.size = 1000;
	memset(&s[1], 0, sizeof(s[1]));
	memcpy(&s[1], &x, sizeof(x));
	expect(h, s, 2, PV_NETIF_RSP_ERROR, "GSO extra of an unknown kind: error");
	s[0] = slot(h, 0, 60, 0);
	expect(h, s, 1, PV_NETIF_RSP_OKAY, "still serving after the bad packets");
}

/* A broadcast frame with a local ethertype out of @ifname: netback reads it from the vif's TAP. */
static int inject(const char *ifname)
{
	struct sockaddr_ll sa = {.sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(ifname),
				 .sll_halen = 6};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(0x88b5)), rc;
	uint8_t f[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x43, 0x88, 0xb5};

	memset(sa.sll_addr, 0xff, 6);
	if (fd < 0 || !sa.sll_ifindex) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rc = sendto(fd, f, sizeof(f), 0, (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)sizeof(f) ? 0 : -1;
	close(fd);
	return rc;
}

/*
 * Post one rx buffer (grant @gref) and send frames at the vif until it is
 * answered: 0 with the response in *@rsp, or -ETIMEDOUT after 5 s.
 */
static int rx_one(struct hostile *h, const char *ifname, pv_grant_ref_t gref,
		  struct pv_netif_rx_response *rsp)
{
	struct pollfd pfd = {.fd = pv_evtchn_fd(h->evt), .events = POLLIN};
	struct pv_netif_rx_request req = {.id = 77, .gref = gref};
	int port;

	pv_ring_front_put(&h->rx, &req);
	if (pv_ring_front_push(&h->rx) > 0)
		pv_evtchn_notify(h->evt, h->port);
	for (int i = 0; i < 500; i++) {
		if (i % 50 == 0)
			inject(ifname);
		if (pv_ring_front_get_response(&h->rx, rsp) > 0)
			return 0;
		if (poll(&pfd, 1, 10) > 0)
			while ((port = pv_evtchn_pending(h->evt)) >= 0)
				pv_evtchn_unmask(h->evt, (pv_evtchn_port_t)port);
	}
	return -ETIMEDOUT;
}

/* An rx buffer whose grant is bad is answered with an error; a good one after it is filled. */
static void rx_shapes(struct hostile *h, const char *ifname)
{
	struct pv_netif_rx_response rsp;
	pv_grant_ref_t ref;
	uint8_t *page = pv_gnt_share_pages(h->p, 0, 1, &ref, 1);

	check(rx_one(h, ifname, 999999, &rsp) == 0 && rsp.id == 77 && rsp.status == PV_NETIF_RSP_ERROR,
	      "rx buffer with a bad grant: error response");
	if (page)
		memset(page, 0, 4096);
	/* Ours or one the bridge floods: an Ethernet frame either way. */
	check(page && rx_one(h, ifname, ref, &rsp) == 0 && rsp.id == 77 && rsp.status >= 14 &&
		      rsp.offset == 0 && (page[12] || page[13]),
	      "a good rx buffer after it is filled with a frame");
}

static void expect_disabled(struct hostile *h, const char *why, const char *what)
{
	char *err = NULL, msg[160];

	snprintf(msg, sizeof(msg), "%s: the backend disables the vif", what);
	check(hostile_wait_state(h->xs, h->be, PV_XENBUS_STATE_CLOSING) == 0 ||
	      hostile_wait_state(h->xs, h->be, PV_XENBUS_STATE_CLOSED) == 0, msg);
	snprintf(msg, sizeof(msg), "%s: the error node says why", what);
	check(pv_xs_read(h->xs, 0, h->be, "error", &err) == 0 && err && strstr(err, why), msg);
	free(err);
}

static void fatal_shapes(struct hostile *h, const char *ifname)
{
	struct pv_netif_tx_request s[2];
	struct pv_netif_extra_info x = {.type = 9};
	int16_t st[2];

	s[0] = slot(h, 0, 60, PV_NETTXF_EXTRA_INFO);
	memset(&s[1], 0, sizeof(s[1]));
	memcpy(&s[1], &x, sizeof(x));
	hostile_send_slots(h, s, 2, st);
	expect_disabled(h, "unknown extra-info type", "unknown extra-info type");
	check(hostile_reconnect(h) == 0, "the frontend reconnects after the backend gave up");
	s[0] = slot(h, 0, 60, 0);
	expect(h, s, 1, PV_NETIF_RSP_OKAY, "a good packet after the reconnect");
	h->tx.v.sring->req_prod += 1000; /* more than a ring ahead */
	pv_evtchn_notify(h->evt, h->port);
	expect_disabled(h, "tx ring producer index out of range", "tx producer overflow");
	check(hostile_reconnect(h) == 0, "the frontend reconnects after the tx overflow");
	h->rx.v.sring->req_prod += 1000; /* netback looks at rx requests when a frame waits */
	pv_evtchn_notify(h->evt, h->port);
	inject(ifname);
	expect_disabled(h, "rx ring producer index out of range", "rx producer overflow");
}

int hostile_open(struct hostile *h, const char *rundir, const char *domid, const char *devid)
{
	struct pv_platform_opts po = {.name = "local", .domid_set = 1};
	char path[4096];

	po.rundir = rundir;
	po.domid = atoi(domid);
	snprintf(h->fe, sizeof(h->fe), "/local/domain/%s/device/vif/%s", domid, devid);
	snprintf(h->be, sizeof(h->be), "/local/domain/0/backend/vif/%s/%s", domid, devid);
	if (pv_platform_open(&h->p, &po) < 0 ||
	    pv_xs_local_path(path, sizeof(path), rundir, (pv_domid_t)po.domid) < 0 ||
	    pv_xs_open(&h->xs, path) < 0 || !(h->data = pv_gnt_share_pages(h->p, 0, 1, &h->data_ref, 0)))
		return -1;
	memset(h->data, 0xff, 6); /* a broadcast frame with a local ethertype */
	h->data[12] = 0x88;
	h->data[13] = 0xb5;
	return 0;
}

int net_tool_hostile(int argc, char **argv)
{
	struct hostile h = {0};
	char ifname[IFNAMSIZ];

	if (argc != 5) {
		fprintf(stderr, "usage: net-tool hostile RUNDIR DOMID DEVID\n");
		return 2;
	}
	snprintf(ifname, sizeof(ifname), "vif%s.%s", argv[3], argv[4]);
	if (hostile_open(&h, argv[2], argv[3], argv[4]) < 0) {
		check(0, "hostile frontend set up");
		return 1;
	}
	check(hostile_connect(&h) == 0, "hostile frontend connected");
	if (failures)
		return 1;
	bad_shapes(&h);
	rx_shapes(&h, ifname);
	fatal_shapes(&h, ifname);
	return failures ? 1 : 0;
}

/*
 * net-tool silent RUNDIR DOMID DEVID SECONDS: a frontend that connects and
 * then never posts an rx buffer (nor reads its channel) while traffic is
 * sent at its vif; prints "connected", holds SECONDS (or until killed).
 */
int net_tool_silent(int argc, char **argv)
{
	struct hostile h = {0};

	if (argc != 6) {
		fprintf(stderr, "usage: net-tool silent RUNDIR DOMID DEVID SECONDS\n");
		return 2;
	}
	if (hostile_open(&h, argv[2], argv[3], argv[4]) < 0 || hostile_connect(&h) < 0) {
		printf("not connected\n");
		return 1;
	}
	printf("connected\n");
	fflush(stdout);
	sleep((unsigned int)atoi(argv[5]));
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * netfront xenbus handshake: at probe create the guest's TAP with the MAC
 * and MTU from xenstore; when the backend waits (InitWait), read its
 * features, build each queue (rings, pools, channels, a TAP queue), write
 * our nodes and features in one transaction and go Connected (netif.h: the
 * backend samples our nodes on that transition; Linux's xen-netback ignores
 * Initialised and connects only then, and Linux's netfront does the same);
 * once the backend is Connected too, set the TAP's offloads to what both
 * halves agreed and start moving packets. A backend that restarts
 * (InitWait again) gets fresh rings, after we went back to Initialising
 * so that it sees a new handshake.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "netfront.h"

static int be_flag(struct netfront *f, const char *node)
{
	uint64_t v = 0;

	pv_xs_read_uint(f->x->xs, 0, f->x->otherend, node, 1, 0, &v);
	return (int)v;
}

static void queue_teardown(struct netfront *f, struct netfront_queue *q)
{
	struct pv_platform *p = pv_guest_platform(f->g);

	netfront_queue_stop(q);
	if (q->id > 0 && q->tap_fd >= 0) {
		close(q->tap_fd);
		q->tap_fd = -1;
	}
	if (q->evt) {
		pv_evtchn_close(q->evt);
		q->evt = NULL;
	}
	if (q->tx_pool)
		netfront_queue_reclaim(q);
	/* A page the backend still maps is never reused or freed (XSA-396). */
	if (q->tx_page && pv_gnt_unshare(p, q->tx_page, 1) < 0)
		pv_dev_warn(f->x->prefix, "tx ring still mapped by the backend: leaking it");
	if (q->rx_page && pv_gnt_unshare(p, q->rx_page, 1) < 0)
		pv_dev_warn(f->x->prefix, "rx ring still mapped by the backend: leaking it");
	q->tx_page = q->rx_page = NULL;
	if (q->tx_pool && pv_gnt_pool_destroy(q->tx_pool) < 0)
		pv_gnt_pool_abandon(q->tx_pool);
	if (q->rx_pool && pv_gnt_pool_destroy(q->rx_pool) < 0)
		pv_gnt_pool_abandon(q->rx_pool);
	q->tx_pool = q->rx_pool = NULL;
}

static void teardown(struct netfront *f)
{
	f->connected = 0;
	for (unsigned int i = 0; i < NETFRONT_MAX_QUEUES; i++)
		queue_teardown(f, &f->q[i]);
}

static int share_ring(struct netfront *f, void **page, pv_grant_ref_t *ref,
		      struct pv_ring_front *r, const struct pv_ring_shape *shape)
{
	*page = pv_gnt_share_pages(pv_guest_platform(f->g), f->x->otherend_id, 1, ref, 1);
	if (!*page)
		return -errno;
	return pv_ring_front_init(r, *page, 1, shape);
}

static int alloc_port(struct netfront_queue *q, pv_evtchn_port_t *port)
{
	int rc = pv_evtchn_alloc_unbound(q->evt, q->f->x->otherend_id);

	if (rc >= 0)
		*port = (pv_evtchn_port_t)rc;
	return rc < 0 ? rc : 0;
}

static int queue_setup(struct netfront *f, struct netfront_queue *q)
{
	struct pv_ring_shape tx = PV_RING_SHAPE(struct pv_netif_tx_request, struct pv_netif_tx_response);
	struct pv_ring_shape rx = PV_RING_SHAPE(struct pv_netif_rx_request, struct pv_netif_rx_response);
	struct pv_platform *p = pv_guest_platform(f->g);
	pv_domid_t be = f->x->otherend_id;
	int rc;

	q->rl = (struct pv_ratelimit)PV_RATELIMIT_INIT;
	rc = pv_gnt_pool_create(p, be, NETFRONT_RING, 0, &q->tx_pool);
	rc = rc ?: pv_gnt_pool_create(p, be, NETFRONT_RING, 1, &q->rx_pool);
	rc = rc ?: share_ring(f, &q->tx_page, &q->tx_ref, &q->tx, &tx);
	rc = rc ?: share_ring(f, &q->rx_page, &q->rx_ref, &q->rx, &rx);
	rc = rc ?: pv_evtchn_open(p, &q->evt);
	rc = rc ?: alloc_port(q, &q->tx_port);
	if (rc == 0 && f->be_split)
		rc = alloc_port(q, &q->rx_port);
	else
		q->rx_port = q->tx_port;
	if (rc == 0 && q->tap_fd < 0) {
		q->tap_fd = nettap_open(f->ifname);
		rc = q->tap_fd < 0 ? q->tap_fd : 0;
	}
	return rc;
}

static int queue_nodes(struct pv_xs *xs, pv_xs_txn_t t, struct netfront *f, struct netfront_queue *q)
{
	char dir[256];
	int rc;

	if (f->nqueues == 1)
		snprintf(dir, sizeof(dir), "%s", f->x->nodename);
	else
		snprintf(dir, sizeof(dir), "%s/queue-%u", f->x->nodename, q->id);
	rc = pv_xs_printf(xs, t, dir, "tx-ring-ref", "%u", q->tx_ref);
	rc = rc ?: pv_xs_printf(xs, t, dir, "rx-ring-ref", "%u", q->rx_ref);
	if (f->be_split) {
		rc = rc ?: pv_xs_printf(xs, t, dir, "event-channel-tx", "%u", q->tx_port);
		rc = rc ?: pv_xs_printf(xs, t, dir, "event-channel-rx", "%u", q->rx_port);
	} else {
		rc = rc ?: pv_xs_printf(xs, t, dir, "event-channel", "%u", q->tx_port);
	}
	return rc;
}

static int write_nodes(struct pv_xs *xs, pv_xs_txn_t t, void *opaque)
{
	static const char *const features[] = {
		"request-rx-copy", "feature-rx-notify", "feature-sg", "feature-gso-tcpv4",
		"feature-gso-tcpv6", "feature-ipv6-csum-offload",
	};
	struct netfront *f = opaque;
	const char *dir = f->x->nodename;
	int rc = 0;

	for (unsigned int i = 0; rc == 0 && i < f->nqueues; i++)
		rc = queue_nodes(xs, t, f, &f->q[i]);
	rc = rc ?: pv_xs_printf(xs, t, dir, "multi-queue-num-queues", "%u", f->nqueues);
	for (unsigned int i = 0; rc == 0 && i < sizeof(features) / sizeof(features[0]); i++)
		rc = pv_xs_write(xs, t, dir, features[i], "1");
	return rc;
}

static int setup(struct netfront *f)
{
	uint64_t maxq = 1;
	int rc = 0;

	f->be_sg = be_flag(f, "feature-sg");
	f->be_gso4 = be_flag(f, "feature-gso-tcpv4");
	f->be_gso6 = be_flag(f, "feature-gso-tcpv6");
	f->be_ipv6_csum = be_flag(f, "feature-ipv6-csum-offload");
	f->be_split = be_flag(f, "feature-split-event-channels");
	if (!be_flag(f, "feature-rx-copy"))
		return -EOPNOTSUPP;
	/*
	 * A packet over a page needs feature-sg: without it the MTU comes
	 * down to 1500, as Linux's netfront does (larger packets could not
	 * be sent, and the guest's TCP would stall on them).
	 */
	if (!f->be_sg && f->mtu > 1500) {
		pv_dev_warn(f->x->prefix, "backend without feature-sg: %s's MTU 1500 instead of %u",
			    f->ifname, f->mtu);
		if (nettap_set_mtu(f->ifname, 1500) == 0)
			f->mtu = 1500;
	}
	pv_xs_read_uint(f->x->xs, 0, f->x->otherend, "multi-queue-max-queues", 1024, 1, &maxq);
	f->nqueues = maxq < 1 ? 1 : maxq > NETFRONT_MAX_QUEUES ? NETFRONT_MAX_QUEUES : (unsigned int)maxq;
	for (unsigned int i = 0; rc == 0 && i < f->nqueues; i++) {
		rc = queue_setup(f, &f->q[i]);
		/*
		 * Out of grants (Xen's gntalloc grants 1024 pages by default,
		 * and a queue takes 514): do with the queues we have.
		 */
		if (rc == -ENOSPC && i > 0) {
			pv_dev_warn(f->x->prefix, "out of grants for queue %u: using %u queue(s) of %u",
				    i, i, f->nqueues);
			queue_teardown(f, &f->q[i]);
			f->nqueues = i;
			rc = 0;
		}
	}
	rc = rc ?: pv_xs_transaction(f->x->xs, write_nodes, f, 0);
	if (rc < 0)
		teardown(f);
	return rc;
}

static void go_live(struct netfront *f)
{
	/* Partial checksums always (tx_fix_csum() finishes what the backend cannot). */
	unsigned int off = netpkt_tap_offloads(1, f->be_ipv6_csum, f->be_sg && f->be_gso4,
					       f->be_sg && f->be_gso6);
	int rc = 0;

	rc = nettap_offload(f->q[0].tap_fd, off);
	if (rc < 0)
		pv_dev_warn(f->x->prefix, "setting offloads %#x on %s: %s", off, f->ifname, strerror(-rc));
	nettap_set_up(f->ifname, 1);
	f->connected = 1;
	for (unsigned int i = 0; rc == 0 && i < f->nqueues; i++)
		rc = netfront_queue_start(&f->q[i]);
	if (rc < 0) {
		teardown(f);
		return pv_xenbus_dev_fatal(f->x, -rc, "starting the queue threads");
	}
	pv_dev_info(f->x->prefix, "connected: %s, %u queue(s), offloads %#x", f->ifname, f->nqueues, off);
}

/* A queue thread gave up: say why in xenstore and close the device. */
static void on_fatal(struct pv_guest *g, int fd, uint32_t events, void *opaque)
{
	struct netfront *f = opaque;
	const char *why;
	uint64_t n;

	(void)g;
	(void)events;
	if (read(fd, &n, sizeof(n)) < 0 || !f->connected)
		return;
	for (unsigned int i = 0; i < f->nqueues; i++) {
		why = __atomic_load_n(&f->q[i].fatal, __ATOMIC_ACQUIRE);
		if (why)
			return pv_xenbus_dev_fatal(f->x, EPROTO, "queue %u: %s", i, why);
	}
}

static void backend_changed(struct pv_xenbus_dev *x, enum pv_xenbus_state st)
{
	struct netfront *f = x->opaque;
	int rc;

	pv_dev_debug(x->prefix, "backend %s (we are %s)", pv_xenbus_state_name(st),
		     pv_xenbus_state_name(x->state));
	switch (st) {
	case PV_XENBUS_STATE_INIT_WAIT:
		teardown(f); /* also after a backend restart while we were connected */
		if (x->state != PV_XENBUS_STATE_INITIALISING)
			pv_xenbus_switch_state(x, PV_XENBUS_STATE_INITIALISING);
		rc = setup(f);
		if (rc < 0)
			return pv_xenbus_dev_fatal(x, -rc, "setting up the rings");
		pv_xenbus_switch_state(x, PV_XENBUS_STATE_CONNECTED);
		break;
	case PV_XENBUS_STATE_CONNECTED:
		if (x->state != PV_XENBUS_STATE_CONNECTED || f->connected || !f->q[0].tx_page)
			break;
		go_live(f);
		break;
	case PV_XENBUS_STATE_CLOSING:
	case PV_XENBUS_STATE_CLOSED:
		/* The backend closes (libxl's removal, or it gave up): we close and stay
		 * Closed until it is back in InitWait (a restarted netback starts there). */
		teardown(f);
		pv_xenbus_switch_state(x, PV_XENBUS_STATE_CLOSED);
		break;
	default:
		break;
	}
}

/* The TAP with the MAC and MTU the toolstack chose; queue 0's fd holds it. */
static int make_tap(struct netfront *f)
{
	char *val = NULL;
	uint64_t mtu = 1500;
	int rc;

	if (pv_xs_read(f->x->xs, 0, f->x->nodename, "mac", &val) < 0 || nettap_parse_mac(val, f->mac) < 0) {
		/* No usable MAC: a stable locally administered one from domid and devid. */
		uint8_t gen[6] = {0x02, 0x16, 0x3e, (uint8_t)(pv_guest_domid(f->g) >> 8),
				  (uint8_t)pv_guest_domid(f->g), (uint8_t)f->x->devid};

		memcpy(f->mac, gen, 6);
	}
	free(val);
	pv_xs_read_uint(f->x->xs, 0, f->x->nodename, "mtu", 65535, 1500, &mtu);
	f->mtu = mtu < 68 ? 1500 : (unsigned int)mtu;
	snprintf(f->ifname, sizeof(f->ifname), "eth%u", f->x->devid);
	f->q[0].tap_fd = nettap_open(f->ifname);
	if (f->q[0].tap_fd < 0)
		return f->q[0].tap_fd;
	rc = nettap_set_mac(f->ifname, f->mac);
	rc = rc ?: nettap_set_mtu(f->ifname, f->mtu);
	return rc;
}

static void netfront_free(void *opaque)
{
	struct netfront *f = opaque;

	teardown(f);
	if (f->q[0].tap_fd >= 0)
		close(f->q[0].tap_fd);
	if (f->fatal_fd >= 0) {
		pv_guest_del_fd(f->g, f->fatal_fd);
		close(f->fatal_fd);
	}
	pv_stats_close(f->stats);
	free(f);
}

static int netfront_probe(struct pv_guest *g, struct pv_xenbus_dev *x)
{
	struct netfront *f = calloc(1, sizeof(*f));
	int rc;

	if (!f)
		return -ENOMEM;
	f->g = g;
	f->x = x;
	for (unsigned int i = 0; i < NETFRONT_MAX_QUEUES; i++)
		f->q[i] = (struct netfront_queue){.f = f, .id = i, .tap_fd = -1, .epfd = -1, .stop_fd = -1};
	x->opaque = f;
	x->otherend_changed = backend_changed;
	f->fatal_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	rc = f->fatal_fd < 0 ? -errno : pv_guest_add_fd(g, f->fatal_fd, EPOLLIN, on_fatal, f);
	if (rc < 0 && f->fatal_fd >= 0) {
		close(f->fatal_fd);
		f->fatal_fd = -1;
	}
	rc = rc ?: make_tap(f);
	if (rc < 0)
		pv_dev_err(x->prefix, "cannot create %s: %s", f->ifname, strerror(-rc));
	/* The counters are a convenience: the vif works without them. */
	if (rc == 0 && pv_stats_open(pv_guest_dir(g), "vif", pv_guest_domid(g), x->devid, &f->stats) < 0)
		pv_dev_debug(x->prefix, "no counters file under %s", pv_guest_dir(g));
	return pv_xenbus_front_start(x, rc, netfront_free);
}

/* Between Closing and Closed (pv_xenbus_front_remove). */
static void netfront_release(void *opaque)
{
	struct netfront *f = opaque;

	teardown(f); /* the queue threads stop: their counters are final */
	for (unsigned int i = 0; i < f->nqueues; i++)
		pv_dev_info(f->x->prefix, "queue %u: tx %llu (%llu dropped), rx %llu (%llu dropped), %llu bad responses",
			    i, (unsigned long long)f->q[i].tx_packets,
			    (unsigned long long)f->q[i].tx_dropped, (unsigned long long)f->q[i].rx_packets,
			    (unsigned long long)f->q[i].rx_dropped, (unsigned long long)f->q[i].bad_rsps);
	netfront_free(f);
}

static void netfront_remove(struct pv_guest *g, struct pv_xenbus_dev *x)
{
	(void)g;
	pv_xenbus_front_remove(x, netfront_release);
}

const struct pv_guest_driver pv_netfront_driver = {
	.type = "vif",
	.probe = netfront_probe,
	.remove = netfront_remove,
};

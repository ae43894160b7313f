/* SPDX-License-Identifier: MIT */
/*
 * pvkit-netback xenbus handshake: at probe create the persistent TAP
 * vif<dom>.<id> (or "vifname"), put it on its bridge and advertise our
 * features; when the frontend is Initialised read its features and
 * queues, map every ring, bind the channels, attach a TAP queue per ring
 * pair, start the queue threads, Connected. Tear down on Closing/Closed,
 * on a protocol error (the error goes to xenstore), and at removal.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common.h"

/* What the host side of a vif uses as its own MAC (as Linux netback). */
static const uint8_t host_mac[6] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff};

static void queue_disconnect(struct netback_vif *v, struct netback_queue *q)
{
	struct pv_platform *p = v->nb->platform;

	netback_queue_stop(q);
	pv_gnt_cache_destroy(q->tx_cache); /* every mapping goes before we say Closed (XSA-371) */
	pv_gnt_cache_destroy(q->rx_cache);
	if (q->evt)
		pv_evtchn_close(q->evt);
	if (q->tx_page)
		pv_gnt_unmap(p, q->tx_page, 1);
	if (q->rx_page)
		pv_gnt_unmap(p, q->rx_page, 1);
	if (q->tap_fd >= 0)
		close(q->tap_fd);
	netback_queue_free(q);
	v->total.tx_packets += q->st.tx_packets;
	v->total.tx_dropped += q->st.tx_dropped;
	v->total.tx_errors += q->st.tx_errors;
	v->total.rx_packets += q->st.rx_packets;
	v->total.rx_dropped += q->st.rx_dropped;
}

static void vif_disconnect(struct netback_vif *v)
{
	if (!v->queues)
		return;
	for (unsigned int i = 0; i < v->nqueues; i++)
		queue_disconnect(v, &v->queues[i]);
	free(v->queues);
	v->queues = NULL;
	v->nqueues = 0;
	/*
	 * The link stays up, as with Linux's netback: the carrier went with
	 * the last TAP queue. Setting it down would flush dom0's IPv6
	 * addresses and the routes through the vif (xl's vif-route set-up).
	 */
}

void netback_vif_fatal(struct netback_vif *v)
{
	uint64_t n;

	const char *why = NULL;
	unsigned int q = 0;

	if (read(v->fatal_fd, &n, sizeof(n)) < 0 || !v->queues)
		return;
	for (q = 0; q < v->nqueues && !why; q++)
		why = v->queues[q].fatal;
	/* Unmap everything first: the frontend frees its pages once it sees Closing. */
	vif_disconnect(v);
	if (why)
		pv_xenbus_dev_fatal(v->xdev, EPROTO, "queue %u: %s: vif disabled", q - 1, why);
}

static int read_flag(struct netback_vif *v, const char *node)
{
	uint64_t val = 0;

	pv_xs_read_uint(v->xdev->xs, 0, v->xdev->otherend, node, 1, 0, &val);
	return (int)val;
}

/* The frontend's features; -errno when it asks for something we cannot do. */
static int read_features(struct netback_vif *v)
{
	struct pv_xenbus_dev *x = v->xdev;
	uint64_t nq;
	int rc;

	if (!read_flag(v, "request-rx-copy")) {
		pv_xenbus_dev_fatal(x, EOPNOTSUPP, "%s/request-rx-copy: only rx-copy is supported",
				    x->otherend);
		return -EOPNOTSUPP;
	}
	rc = pv_xs_read_uint(x->xs, 0, x->otherend, "multi-queue-num-queues", v->nb->max_queues, 1,
			     &nq);
	if (rc < 0 || nq == 0) {
		pv_xenbus_dev_fatal(x, EINVAL, "%s/multi-queue-num-queues: 1..%u expected",
				    x->otherend, v->nb->max_queues);
		return -EINVAL;
	}
	v->nqueues = (unsigned int)nq;
	v->caps.sg = read_flag(v, "feature-sg");
	v->caps.gso_tcpv4 = !v->nb->no_gso && v->caps.sg && read_flag(v, "feature-gso-tcpv4");
	v->caps.gso_tcpv6 = !v->nb->no_gso && v->caps.sg && read_flag(v, "feature-gso-tcpv6");
	v->csum_offload = !read_flag(v, "feature-no-csum-offload");
	v->ipv6_csum = read_flag(v, "feature-ipv6-csum-offload");
	v->gso_ok = !v->nb->no_gso;
	if (!read_flag(v, "feature-rx-notify"))
		pv_dev_warn(x->prefix, "frontend without feature-rx-notify: rx may stall");
	return 0;
}

static unsigned int tap_offloads(const struct netback_vif *v)
{
	return netpkt_tap_offloads(v->csum_offload, v->ipv6_csum, v->caps.gso_tcpv4, v->caps.gso_tcpv6);
}

static int map_ring(struct netback_vif *v, const char *dir, const char *node, void **page,
		    struct pv_ring_back *r, const struct pv_ring_shape *shape)
{
	struct pv_xenbus_dev *x = v->xdev;
	uint64_t ref;
	pv_grant_ref_t gref;
	int rc;

	rc = pv_xs_read_uint(x->xs, 0, dir, node, UINT32_MAX - 1, UINT64_MAX, &ref);
	if (rc == 0 && ref == UINT64_MAX)
		rc = -ENOENT;
	if (rc < 0) {
		pv_xenbus_dev_fatal(x, -rc, "reading %s/%s", dir, node);
		return rc;
	}
	gref = (pv_grant_ref_t)ref;
	*page = pv_gnt_map(v->nb->platform, x->otherend_id, 1, &gref, 1);
	if (!*page) {
		rc = -errno;
		pv_xenbus_dev_fatal(x, -rc, "mapping %s/%s = %u", dir, node, gref);
		return rc;
	}
	return pv_ring_back_attach(r, *page, 1, shape, 0);
}

static int bind_port(struct netback_vif *v, struct netback_queue *q, const char *dir,
		     const char *node, pv_evtchn_port_t *port)
{
	uint64_t remote;
	int rc;

	rc = pv_xs_read_uint(v->xdev->xs, 0, dir, node, INT32_MAX, UINT64_MAX, &remote);
	if (rc == 0 && remote == UINT64_MAX)
		rc = -ENOENT;
	if (rc == 0)
		rc = pv_evtchn_bind_interdomain(q->evt, v->xdev->otherend_id,
						(pv_evtchn_port_t)remote);
	if (rc < 0) {
		pv_xenbus_dev_fatal(v->xdev, -rc, "binding %s/%s", dir, node);
		return rc;
	}
	*port = (pv_evtchn_port_t)rc;
	return 0;
}

static int queue_connect(struct netback_vif *v, struct netback_queue *q, unsigned int id)
{
	struct pv_ring_shape tx = PV_RING_SHAPE(struct pv_netif_tx_request, struct pv_netif_tx_response);
	struct pv_ring_shape rx = PV_RING_SHAPE(struct pv_netif_rx_request, struct pv_netif_rx_response);
	char dir[256];
	int rc;

	q->vif = v;
	q->id = id;
	snprintf(q->prefix, sizeof(q->prefix), "%s-q%u", v->ifname, id);
	rc = netback_queue_alloc(q);
	if (rc < 0)
		return rc;
	if (v->nqueues == 1)
		snprintf(dir, sizeof(dir), "%s", v->xdev->otherend);
	else
		snprintf(dir, sizeof(dir), "%s/queue-%u", v->xdev->otherend, id);
	rc = map_ring(v, dir, "tx-ring-ref", &q->tx_page, &q->tx, &tx);
	rc = rc ?: map_ring(v, dir, "rx-ring-ref", &q->rx_page, &q->rx, &rx);
	rc = rc ?: pv_evtchn_open(v->nb->platform, &q->evt);
	if (rc == 0 && !v->nb->copy_only) {
		pv_domid_t fe = v->xdev->otherend_id;

		rc = pv_gnt_cache_create(v->nb->platform, fe, NETBACK_CACHE_PAGES, 0, &q->tx_cache);
		rc = rc ?: pv_gnt_cache_create(v->nb->platform, fe, NETBACK_CACHE_PAGES, 1, &q->rx_cache);
	}
	if (rc < 0)
		return rc;
	if (pv_xs_exists(v->xdev->xs, 0, dir, "event-channel-tx") == 1) {
		rc = bind_port(v, q, dir, "event-channel-tx", &q->tx_port);
		rc = rc ?: bind_port(v, q, dir, "event-channel-rx", &q->rx_port);
	} else {
		rc = bind_port(v, q, dir, "event-channel", &q->tx_port);
		q->rx_port = q->tx_port;
	}
	if (rc < 0)
		return rc;
	q->tap_fd = nettap_open(v->ifname);
	if (q->tap_fd < 0) {
		pv_xenbus_dev_fatal(v->xdev, -q->tap_fd, "attaching queue %u to %s", id, v->ifname);
		return q->tap_fd;
	}
	return 0;
}

static int vif_connect(struct netback_vif *v)
{
	int rc = read_features(v);

	if (rc < 0)
		return rc;
	v->queues = calloc(v->nqueues, sizeof(*v->queues));
	if (!v->queues)
		return -ENOMEM;
	for (unsigned int i = 0; i < v->nqueues; i++)
		v->queues[i].tap_fd = v->queues[i].stop_fd = v->queues[i].timer_fd =
			v->queues[i].epfd = -1;
	for (unsigned int i = 0; rc == 0 && i < v->nqueues; i++)
		rc = queue_connect(v, &v->queues[i], i);
	if (rc == 0 && (rc = nettap_offload(v->queues[0].tap_fd, tap_offloads(v))) < 0)
		pv_xenbus_dev_fatal(v->xdev, -rc, "setting offloads %#x on %s", tap_offloads(v),
				    v->ifname);
	for (unsigned int i = 0; rc == 0 && i < v->nqueues; i++)
		rc = netback_queue_start(&v->queues[i]);
	if (rc < 0)
		vif_disconnect(v);
	return rc;
}

static void frontend_changed(struct pv_xenbus_dev *x, enum pv_xenbus_state st)
{
	struct netback_vif *v = x->opaque;

	pv_dev_debug(x->prefix, "frontend %s (we are %s)", pv_xenbus_state_name(st),
		     pv_xenbus_state_name(x->state));
	switch (st) {
	case PV_XENBUS_STATE_INITIALISED:
	case PV_XENBUS_STATE_CONNECTED:
		/*
		 * netif.h: a frontend writes its nodes, then goes Connected
		 * (Linux's netfront, and ours); Initialised is taken too. A
		 * frontend still connected to an earlier us was sent Closing
		 * at probe, so in InitWait either state is a fresh handshake.
		 */
		if (x->state != PV_XENBUS_STATE_INIT_WAIT || v->queues)
			break;
		if (vif_connect(v) == 0) {
			pv_xenbus_switch_state(x, PV_XENBUS_STATE_CONNECTED);
			pv_dev_info(x->prefix, "connected: %s, %u queue(s), sg %d, gso %d/%d, csum %d",
				    v->ifname, v->nqueues, v->caps.sg, v->caps.gso_tcpv4,
				    v->caps.gso_tcpv6, v->csum_offload);
		}
		break;
	case PV_XENBUS_STATE_CLOSING:
	case PV_XENBUS_STATE_CLOSED:
	case PV_XENBUS_STATE_UNKNOWN:
		vif_disconnect(v);
		if (st == PV_XENBUS_STATE_CLOSED && v->reconnect) {
			/* It let go of the rings we asked it to drop: offer a fresh start. */
			v->reconnect = 0;
			pv_xenbus_switch_state(x, PV_XENBUS_STATE_INIT_WAIT);
			break;
		}
		if (x->state != PV_XENBUS_STATE_CLOSED && x->state != PV_XENBUS_STATE_INIT_WAIT)
			pv_xenbus_switch_state(x, PV_XENBUS_STATE_CLOSED);
		break;
	case PV_XENBUS_STATE_INITIALISING:
		vif_disconnect(v);
		pv_xenbus_switch_state(x, PV_XENBUS_STATE_INIT_WAIT);
		break;
	default:
		break;
	}
}

/*
 * xl's rate as libxl writes it: "<bytes>,<usecs>", @bytes of credit every
 * @usecs. Absent, zero or malformed: unlimited (0, 0), as Linux's netback
 * (which also warns when it cannot parse it).
 */
static void read_rate(struct netback_vif *v, uint64_t *bytes, uint64_t *usec)
{
	unsigned long long b = 0, u = 0;
	char *val = NULL, *end;

	*bytes = *usec = 0;
	if (pv_xs_read(v->xdev->xs, 0, v->xdev->nodename, "rate", &val) < 0 || !val[0]) {
		free(val);
		return;
	}
	errno = 0;
	if (val[0] >= '0' && val[0] <= '9')
		b = strtoull(val, &end, 10);
	if (b && !errno && *end == ',' && end[1] >= '0' && end[1] <= '9')
		u = strtoull(end + 1, &end, 10);
	if (!u || errno || *end) {
		pv_dev_warn(v->xdev->prefix, "%s/rate = \"%s\": not \"bytes,usecs\": unlimited",
			    v->xdev->nodename, val);
	} else {
		*bytes = b;
		*usec = u;
	}
	free(val);
}

/* Read the toolstack's nodes: vifname, bridge, mtu, rate. */
static int read_config(struct netback_vif *v)
{
	struct pv_xenbus_dev *x = v->xdev;
	char *val = NULL;
	uint64_t mtu;

	snprintf(v->ifname, sizeof(v->ifname), "vif%u.%u", x->otherend_id, x->devid);
	if (pv_xs_read(x->xs, 0, x->nodename, "vifname", &val) == 0 && val[0]) {
		if (!nettap_name_ok(val)) {
			pv_xenbus_dev_error(x, EINVAL, "%s/vifname: not an interface name", x->nodename);
			free(val);
			return -EINVAL;
		}
		snprintf(v->ifname, sizeof(v->ifname), "%s", val);
	}
	free(val);
	val = NULL;
	if (pv_xs_read(x->xs, 0, x->nodename, "bridge", &val) == 0 && val[0])
		v->bridge = val;
	else
		free(val);
	if (pv_xs_read_uint(x->xs, 0, x->nodename, "mtu", 65535, 1500, &mtu) < 0 || mtu < 68)
		mtu = 1500;
	v->mtu = (unsigned int)mtu;
	read_rate(v, &v->rate_bytes, &v->rate_usec);
	return 0;
}

/* The rate node changed (the toolstack's or an admin's write): the queues take it. */
static void rate_changed(struct pv_xs *xs, const char *path, void *opaque)
{
	struct netback_vif *v = opaque;
	uint64_t bytes, usec;

	(void)xs;
	(void)path;
	read_rate(v, &bytes, &usec);
	if (bytes == v->rate_bytes && usec == v->rate_usec)
		return;
	pthread_mutex_lock(&v->rate_lock);
	v->rate_bytes = bytes;
	v->rate_usec = usec;
	__atomic_add_fetch(&v->rate_gen, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&v->rate_lock);
	if (usec)
		pv_dev_info(v->xdev->prefix, "rate now %" PRIu64 " bytes every %" PRIu64 " us", bytes, usec);
	else
		pv_dev_info(v->xdev->prefix, "rate now unlimited");
	for (unsigned int i = 0; v->queues && i < v->nqueues; i++)
		netback_queue_rate_changed(&v->queues[i]);
}

/* Create the persistent TAP, enslave it to its bridge, set its link up. */
static int make_tap(struct netback_vif *v)
{
	struct pv_xenbus_dev *x = v->xdev;
	int fd = nettap_open(v->ifname), rc;

	if (fd < 0) {
		pv_xenbus_dev_error(x, -fd, "creating TAP %s", v->ifname);
		return fd;
	}
	rc = nettap_persist(fd, 1);
	close(fd);
	if (rc == 0)
		rc = nettap_set_mac(v->ifname, host_mac);
	if (rc == 0)
		rc = nettap_set_mtu(v->ifname, v->mtu);
	if (rc < 0) {
		pv_xenbus_dev_error(x, -rc, "setting up TAP %s (mtu %u)", v->ifname, v->mtu);
		nettap_destroy(v->ifname);
		return rc;
	}
	if (v->bridge && (rc = nettap_bridge_add(v->bridge, v->ifname)) < 0 && rc != -EBUSY)
		pv_dev_warn(x->prefix, "cannot add %s to bridge %s: %s", v->ifname, v->bridge,
			    strerror(-rc));
	/*
	 * Up from now until the device goes (xl's hotplug script does that
	 * for Linux's netback); the carrier follows the frontend, on while a
	 * TAP queue is attached. Up before the queues attach: the carrier
	 * then comes on a running device, an event the kernel handles at
	 * once. The other way round the carrier change waits for the
	 * kernel's link-state work (up to a second when any link changed
	 * lately) and until then the bridge keeps the port disabled: the
	 * guest's first ARP request was lost.
	 */
	if ((rc = nettap_set_up(v->ifname, 1)) < 0)
		pv_dev_warn(x->prefix, "cannot set %s up: %s", v->ifname, strerror(-rc));
	return 0;
}

static int advertise(struct pv_xs *xs, pv_xs_txn_t t, void *opaque)
{
	struct netback_vif *v = opaque;
	const char *dir = v->xdev->nodename;
	const char *gso = v->nb->no_gso ? "0" : "1";
	int rc;

	rc = pv_xs_write(xs, t, dir, "feature-sg", "1");
	rc = rc ?: pv_xs_write(xs, t, dir, "feature-gso-tcpv4", gso);
	rc = rc ?: pv_xs_write(xs, t, dir, "feature-gso-tcpv6", gso);
	rc = rc ?: pv_xs_write(xs, t, dir, "feature-ipv6-csum-offload", "1");
	rc = rc ?: pv_xs_write(xs, t, dir, "feature-rx-copy", "1");
	rc = rc ?: pv_xs_write(xs, t, dir, "feature-rx-flip", "0");
	rc = rc ?: pv_xs_write(xs, t, dir, "feature-split-event-channels", "1");
	rc = rc ?: pv_xs_printf(xs, t, dir, "multi-queue-max-queues", "%u", v->nb->max_queues);
	rc = rc ?: pv_xs_write(xs, t, dir, "hotplug-status", "connected");
	return rc;
}

static void vif_free(struct netback_vif *v)
{
	if (v->rate_watch > 0)
		pv_xs_unwatch(v->xdev->xs, v->rate_watch);
	pthread_mutex_destroy(&v->rate_lock);
	if (v->fatal_fd >= 0) {
		epoll_ctl(v->nb->epfd, EPOLL_CTL_DEL, v->fatal_fd, NULL);
		close(v->fatal_fd);
	}
	free(v->bridge);
	free(v);
}

/*
 * Where to (re)start. A frontend Connected to an earlier us (our state
 * node says we were past InitWait) holds rings we know nothing about:
 * ask it to reconnect (Closing; once it is Closed, InitWait again),
 * as pvkit-blkback does. Otherwise InitWait; a frontend already Connected
 * then wrote its nodes for this very InitWait and is taken as it is.
 */
static enum pv_xenbus_state restart_state(struct pv_xenbus_dev *x)
{
	uint64_t old = PV_XENBUS_STATE_UNKNOWN;

	pv_xs_read_uint(x->xs, 0, x->nodename, "state", PV_XENBUS_STATE_COUNT - 1,
			PV_XENBUS_STATE_UNKNOWN, &old);
	if (pv_xenbus_read_state(x->xs, x->otherend) == PV_XENBUS_STATE_CONNECTED &&
	    old != PV_XENBUS_STATE_INIT_WAIT && old != PV_XENBUS_STATE_UNKNOWN &&
	    old != PV_XENBUS_STATE_INITIALISING) {
		pv_dev_info(x->prefix, "was connected before a restart: asking the frontend to reconnect");
		return PV_XENBUS_STATE_CLOSING;
	}
	return PV_XENBUS_STATE_INIT_WAIT;
}

static int rate_watch(struct netback_vif *v)
{
	char path[512];
	int rc;

	snprintf(path, sizeof(path), "%s/rate", v->xdev->nodename);
	rc = pv_xs_watch(v->xdev->xs, path, rate_changed, v);
	if (rc > 0)
		v->rate_watch = rc;
	return rc < 0 ? rc : 0;
}

int netback_probe(struct pv_xenbus_dev *x, void *opaque)
{
	struct netback_vif *v = calloc(1, sizeof(*v));
	struct epoll_event ev = {.events = EPOLLIN};
	int rc;

	if (!v)
		return -ENOMEM;
	v->nb = opaque;
	v->xdev = x;
	pthread_mutex_init(&v->rate_lock, NULL);
	v->fatal_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ev.data.ptr = v;
	rc = v->fatal_fd < 0 ? -errno : 0;
	if (rc == 0 && epoll_ctl(v->nb->epfd, EPOLL_CTL_ADD, v->fatal_fd, &ev) < 0)
		rc = -errno;
	rc = rc ?: read_config(v);
	rc = rc ?: make_tap(v);
	if (rc < 0)
		goto out_free;
	x->opaque = v;
	x->otherend_changed = frontend_changed;
	rc = pv_xs_transaction(x->xs, advertise, v, 0);
	x->state = PV_XENBUS_STATE_UNKNOWN;
	v->reconnect = restart_state(x) == PV_XENBUS_STATE_CLOSING;
	rc = rc ?: pv_xenbus_switch_state(x, v->reconnect ? PV_XENBUS_STATE_CLOSING
						       : PV_XENBUS_STATE_INIT_WAIT);
	rc = rc ?: pv_xenbus_dev_start(x);
	rc = rc ?: rate_watch(v);
	if (rc < 0)
		goto out_destroy_tap;
	if (v->nb->rundir &&
	    pv_stats_open(v->nb->rundir, "vif", x->otherend_id, x->devid, &v->stats) < 0)
		pv_dev_warn(x->prefix, "cannot publish counters under %s/" PV_STATS_DIR, v->nb->rundir);
	pv_dev_info(x->prefix, "new vif %s%s%s, frontend %s", v->ifname, v->bridge ? " on " : "",
		    v->bridge ? v->bridge : "", x->otherend);
	return 0;
out_destroy_tap:
	nettap_destroy(v->ifname);
	x->opaque = NULL;
out_free:
	vif_free(v);
	return rc;
}

void netback_remove(struct pv_xenbus_dev *x, void *opaque)
{
	struct netback_vif *v = x->opaque;

	(void)opaque;
	if (!v)
		return;
	vif_disconnect(v);
	/* Gone with its backend directory; an orderly stop keeps it (as kill -9 does). */
	if (!v->nb->stopping)
		nettap_destroy(v->ifname);
	pv_stats_close(v->stats);
	pv_dev_info(x->prefix, "removed %s: tx %" PRIu64 " packets (%" PRIu64 " dropped, %" PRIu64
		    " bad grants), rx %" PRIu64 " (%" PRIu64 " dropped)",
		    v->ifname, v->total.tx_packets, v->total.tx_dropped, v->total.tx_errors,
		    v->total.rx_packets, v->total.rx_dropped);
	vif_free(v);
	x->opaque = NULL;
}

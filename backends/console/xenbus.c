/* SPDX-License-Identifier: MIT */
/*
 * pvkit-consoled's xenstore side: find domains and their console nodes
 * (/local/domain/<N>/console/{ring-ref,port}), map the page by grant, bind
 * the event channel, write console/tty, and tear down what went away.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "pvkit/log.h"
#include "pvkit/xenbus.h"
#include "consoled.h"

/* Xen's GNTTAB_RESERVED_CONSOLE: the toolstack's grant of a Xen guest's console page. */
#define CONS_RESERVED_GREF 0

/* Parse a decimal xenstore value; -EINVAL unless the whole string is a number <= max. */
static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* A console node as a number <= @max; -ENOENT when absent, -EINVAL when malformed. */
static int read_u32(struct consoled *d, int domid, const char *key, uint32_t max, uint32_t *out)
{
	char dir[64];
	uint64_t v;
	int rc;

	snprintf(dir, sizeof(dir), "/local/domain/%d/console", domid);
	rc = pv_xs_read_uint(d->xs, PV_XS_NO_TXN, dir, key, max, UINT64_MAX, &v);
	if (rc < 0)
		return rc;
	if (v == UINT64_MAX)
		return -ENOENT;
	*out = (uint32_t)v;
	return 0;
}

static struct console *find_domain(struct consoled *d, int domid)
{
	for (struct console *c = d->consoles; c; c = c->next)
		if (c->domid == domid && c->devid == 0)
			return c;
	return NULL;
}

static void binding_notify(struct console *c)
{
	struct cons_binding *b = c->binding;

	if (b->local_port < 0)
		return;
	if (pv_evtchn_notify(b->d->evtchn, (pv_evtchn_port_t)b->local_port) == -ENOTCONN)
		b->peer_gone = 1;
}

void xb_disconnect(struct consoled *d, struct console *c)
{
	struct cons_binding *b = c->binding;

	if (b->local_port >= 0)
		pv_evtchn_unbind(d->evtchn, (pv_evtchn_port_t)b->local_port);
	b->local_port = -1;
	if (c->page)
		pv_gnt_unmap(d->plat, c->page, 1);
	console_set_page(c, NULL);
	consoled_update(d, c, 0);
}

int xb_console_new(struct consoled *d, int domid, int devid, struct console **out)
{
	char link[512], log[512], name[24];
	struct cons_binding *b = calloc(1, sizeof(*b));
	struct console *c;
	int rc;

	if (!b)
		return -ENOMEM;
	if (devid)
		snprintf(name, sizeof(name), "%d.%d", domid, devid);
	else
		snprintf(name, sizeof(name), "%d", domid);
	snprintf(link, sizeof(link), "%s/%s.pty", d->linkdir, name);
	snprintf(log, sizeof(log), "%s/dom%s.log", d->logdir, name);
	rc = console_create(&c, domid, link, d->cfg.log_off ? NULL : log, &d->cfg);
	if (rc < 0) {
		free(b);
		return rc;
	}
	c->devid = devid;
	snprintf(c->prefix, sizeof(c->prefix), "console-%s", name);
	if (pv_stats_open(d->rundir, "console", (pv_domid_t)domid, (uint32_t)devid, &c->stats) < 0)
		pv_dev_warn(c->prefix, "cannot publish counters under %s/" PV_STATS_DIR, d->rundir);
	b->d = d;
	b->local_port = -1;
	c->binding = b;
	c->notify = binding_notify;
	c->next = d->consoles;
	d->consoles = c;
	*out = c;
	return 0;
}

/* The pty's name where `xl console` looks: console/tty, or device/console/N/tty. */
static void write_tty(struct consoled *d, struct console *c)
{
	struct cons_binding *b = c->binding;
	char dir[64];
	int rc;

	snprintf(dir, sizeof(dir), "/local/domain/%d/console", c->domid);
	rc = pv_xs_write(d->xs, PV_XS_NO_TXN, b->xdev ? b->xdev->otherend : dir, "tty", c->pty_path);
	if (rc < 0)
		pv_dev_warn(c->prefix, "cannot write %s/tty: %s", dir, strerror(-rc));
}

static void *map_page(struct consoled *d, struct console *c, pv_grant_ref_t ref)
{
	void *page = pv_gnt_map(d->plat, (pv_domid_t)c->domid, 1, &ref, 1);

	if (!page && c->devid == 0 && strcmp(pv_platform_name(d->plat), "xen") == 0) {
		ref = CONS_RESERVED_GREF;
		page = pv_gnt_map(d->plat, (pv_domid_t)c->domid, 1, &ref, 1);
	}
	return page;
}

/* Map and bind @ref/@port of @c's guest; on failure the console stays disconnected. */
int xb_console_connect(struct consoled *d, struct console *c, uint32_t ref, uint32_t port)
{
	struct cons_binding *b = c->binding;
	void *page = map_page(d, c, ref);
	int lport;

	b->ref = ref;
	b->remote_port = port;
	if (!page) {
		pv_dev_warn(c->prefix, "cannot map console page (grant %u): %s", ref, strerror(errno));
		return -errno;
	}
	lport = pv_evtchn_bind_interdomain(d->evtchn, (pv_domid_t)c->domid, port);
	if (lport < 0) {
		pv_dev_warn(c->prefix, "cannot bind event channel %u: %s", port, strerror(-lport));
		pv_gnt_unmap(d->plat, page, 1);
		return lport;
	}
	b->local_port = lport;
	b->peer_gone = 0;
	console_set_page(c, page);
	write_tty(d, c);
	pv_dev_info(c->prefix, "connected (grant %u, port %u) on %s", ref, port, c->pty_path);
	/* Output written while nobody served the ring (or before a restart). */
	xb_handle_port(d, lport);
	return 0;
}

/* The console nodes are gone: disconnect, and forget a domain the toolstack removed. */
static void console_vanished(struct consoled *d, struct console *c, int domid)
{
	char dom[32];

	if (c && c->page)
		xb_disconnect(d, c);
	/* Without waiting for @releaseDomain. */
	snprintf(dom, sizeof(dom), "/local/domain/%d", domid);
	if (pv_xs_exists(d->xs, PV_XS_NO_TXN, dom, NULL) == 0)
		xb_scan(d);
}

/* The console nodes of @domid changed (or we just started watching them). */
static void console_changed(struct consoled *d, int domid)
{
	struct console *c = find_domain(d, domid);
	struct cons_binding *b;
	uint32_t ref, port;

	if (read_u32(d, domid, "ring-ref", UINT32_MAX - 1, &ref) < 0 ||
	    read_u32(d, domid, "port", 0xffffff, &port) < 0) {
		console_vanished(d, c, domid);
		return;
	}
	if (!c && xb_console_new(d, domid, 0, &c) < 0)
		return;
	b = c->binding;
	/* Connected, or closed for a protocol error: only new values reconnect. */
	if (b->ref == ref && b->remote_port == port && (c->page || c->broken))
		return;
	if (c->page)
		xb_disconnect(d, c);
	xb_console_connect(d, c, ref, port);
}

void xb_console_destroy(struct consoled *d, struct console *c)
{
	for (struct console **pp = &d->consoles; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	xb_disconnect(d, c);
	pv_dev_info(c->prefix, c->devid ? "device removed" : "domain gone, console removed");
	free(c->binding);
	console_destroy(c);
}

static int domain_listed(char **doms, int n, int domid)
{
	for (int i = 0; i < n; i++) {
		uint32_t v;

		if (parse_u32(doms[i], 0x7fef, &v) == 0 && (int)v == domid)
			return 1;
	}
	return 0;
}

/* "/local/domain/<N>/console..." -> N, or -1. */
static int path_domid(const char *path)
{
	unsigned int domid;
	int len = 0;

	if (sscanf(path, "/local/domain/%u/console%n", &domid, &len) != 1 || !len)
		return -1;
	if (path[len] != 0 && path[len] != '/')
		return -1;
	return domid > 0 && domid < 0x7ff0 ? (int)domid : -1;
}

static void on_console_node(struct pv_xs *xs, const char *path, void *opaque)
{
	int domid = path_domid(path);

	(void)xs;
	if (domid > 0)
		console_changed(opaque, domid);
}

/*
 * A domain came or went. A dead guest whose toolstack has not removed its
 * xenstore directory yet still has its console mapped: a notify tells us
 * its channel is closed, and we let go of its memory. (Only here, not on
 * every event: the frontend probes on spurious events, and two sides
 * probing each other would ping-pong.)
 */
static void on_domain_list(struct pv_xs *xs, const char *path, void *opaque)
{
	struct consoled *d = opaque;

	(void)xs;
	(void)path;
	xb_scan(d);
	for (struct console *c = d->consoles; c; c = c->next) {
		struct cons_binding *b = c->binding;

		if (!c->page)
			continue;
		binding_notify(c);
		if (b->peer_gone) {
			pv_dev_info(c->prefix, "guest's event channel closed; console disconnected");
			xb_disconnect(d, c);
		}
	}
}

static struct cons_dom_watch *find_watch(struct consoled *d, int domid)
{
	for (struct cons_dom_watch *w = d->watches; w; w = w->next)
		if (w->domid == domid)
			return w;
	return NULL;
}

/* Watch /local/domain/<N>/console; the watch fires once on registration. */
static void watch_domain(struct consoled *d, int domid)
{
	struct cons_dom_watch *w = calloc(1, sizeof(*w));
	char path[64];

	if (!w)
		return;
	snprintf(path, sizeof(path), "/local/domain/%d/console", domid);
	w->domid = domid;
	w->id = pv_xs_watch(d->xs, path, on_console_node, d);
	if (w->id < 0) {
		pv_warn("cannot watch %s: %s", path, strerror(-w->id));
		free(w);
		return;
	}
	w->next = d->watches;
	d->watches = w;
}

static void unwatch_gone(struct consoled *d, char **doms, int n)
{
	for (struct cons_dom_watch **pp = &d->watches; *pp;) {
		struct cons_dom_watch *w = *pp;

		if (domain_listed(doms, n, w->domid)) {
			pp = &w->next;
			continue;
		}
		pv_xs_unwatch(d->xs, w->id);
		*pp = w->next;
		free(w);
	}
}

void xb_scan(struct consoled *d)
{
	char **doms = NULL;
	int n = pv_xs_directory(d->xs, PV_XS_NO_TXN, "/local/domain", NULL, &doms);
	struct console *next;

	if (n < 0)
		n = 0;
	for (int i = 0; i < n; i++) {
		uint32_t domid;

		if (parse_u32(doms[i], 0x7fef, &domid) == 0 && domid != 0 &&
		    !find_watch(d, (int)domid))
			watch_domain(d, (int)domid);
	}
	unwatch_gone(d, doms, n);
	for (struct console *c = d->consoles; c; c = next) {
		next = c->next;
		/* Secondary consoles go when the toolstack removes their device. */
		if (c->devid == 0 && !domain_listed(doms, n, c->domid))
			xb_console_destroy(d, c);
	}
	free(doms);
}

int xb_handle_watches(struct consoled *d)
{
	/* Bounded, so a guest rewriting its console nodes cannot hold the loop (XSA-349). */
	int rc = pv_xs_dispatch(d->xs, 64);

	/* -ECONNRESET: pv_daemon_run() logs it. */
	if (rc < 0 && rc != -ECONNRESET)
		pv_err_errno(rc, "xenstore");
	return rc < 0 ? rc : 0;
}

void xb_handle_port(struct consoled *d, int port)
{
	struct console *c;
	struct cons_binding *b;
	int rc = 0;

	for (c = d->consoles; c; c = c->next)
		if (((struct cons_binding *)c->binding)->local_port == port)
			break;
	if (!c)
		return;
	b = c->binding;
	rc = console_ring_event(c);
	if (rc == -EPROTO && b->xdev)
		pv_xenbus_dev_fatal(b->xdev, EPROTO, "ring index out of range: console closed");
	if (rc == -EPROTO || b->peer_gone) {
		if (b->peer_gone)
			pv_dev_info(c->prefix, "guest closed its event channel; waiting for a new one");
		xb_disconnect(d, c);
	}
	consoled_update(d, c, console_pump(c, cons_now_ns()));
}

int xb_fd(struct consoled *d)
{
	return pv_xs_fd(d->xs);
}

int xb_open(struct consoled *d, const char *path)
{
	int rc;

	/* xenstored may be starting with us: wait up to 5 s for its socket. */
	for (int i = 0; path && i < 50 && access(path, F_OK) < 0; i++)
		usleep(100000);
	rc = pv_xs_open(&d->xs, path);
	if (rc < 0)
		return rc;
	if (pv_xs_watch(d->xs, "@introduceDomain", on_domain_list, d) < 0 ||
	    (rc = pv_xs_watch(d->xs, "@releaseDomain", on_domain_list, d)) < 0 ||
	    (rc = dev_open(d)) < 0) {
		rc = rc < 0 ? rc : -EIO;
		pv_err_errno(rc, "cannot watch @introduceDomain/@releaseDomain or backend/console");
		pv_xs_close(d->xs);
		d->xs = NULL;
		return rc;
	}
	return 0;
}

void xb_close(struct consoled *d)
{
	dev_close(d);
	while (d->consoles)
		xb_console_destroy(d, d->consoles);
	while (d->watches) {
		struct cons_dom_watch *w = d->watches;

		d->watches = w->next;
		free(w);
	}
	if (d->xs)
		pv_xs_close(d->xs);
	d->xs = NULL;
}

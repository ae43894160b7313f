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
#include <xenstore.h>

#include "pvkit/log.h"
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

static int read_u32(struct consoled *d, int domid, const char *key, uint32_t max, uint32_t *out)
{
	char path[96];
	char *val;
	int rc;

	snprintf(path, sizeof(path), "/local/domain/%d/console/%s", domid, key);
	val = xs_read(d->xs, XBT_NULL, path, NULL);
	if (!val)
		return -ENOENT;
	rc = parse_u32(val, max, out);
	free(val);
	return rc;
}

static struct console *find_domain(struct consoled *d, int domid)
{
	for (struct console *c = d->consoles; c; c = c->next)
		if (c->domid == domid)
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

static int new_console(struct consoled *d, int domid, struct console **out)
{
	char link[512], log[512];
	struct cons_binding *b = calloc(1, sizeof(*b));
	struct console *c;
	int rc;

	if (!b)
		return -ENOMEM;
	snprintf(link, sizeof(link), "%s/%d.pty", d->linkdir, domid);
	snprintf(log, sizeof(log), "%s/dom%d.log", d->logdir, domid);
	rc = console_create(&c, domid, link, d->cfg.log_off ? NULL : log, &d->cfg);
	if (rc < 0) {
		free(b);
		return rc;
	}
	b->d = d;
	b->local_port = -1;
	c->binding = b;
	c->notify = binding_notify;
	c->next = d->consoles;
	d->consoles = c;
	*out = c;
	return 0;
}

static void write_tty(struct consoled *d, struct console *c)
{
	char path[96];

	snprintf(path, sizeof(path), "/local/domain/%d/console/tty", c->domid);
	if (!xs_write(d->xs, XBT_NULL, path, c->pty_path, strlen(c->pty_path)))
		pv_dev_warn(c->prefix, "cannot write %s: %s", path, strerror(errno));
}

static void *map_page(struct consoled *d, struct console *c, pv_grant_ref_t ref)
{
	void *page = pv_gnt_map(d->plat, (pv_domid_t)c->domid, 1, &ref, 1);

	if (!page && strcmp(pv_platform_name(d->plat), "xen") == 0) {
		ref = CONS_RESERVED_GREF;
		page = pv_gnt_map(d->plat, (pv_domid_t)c->domid, 1, &ref, 1);
	}
	return page;
}

/* Map and bind @ref/@port of @c's guest; on failure the console stays disconnected. */
static int connect_console(struct consoled *d, struct console *c, uint32_t ref, uint32_t port)
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

/* The console nodes of @domid changed (or we just started watching them). */
static void console_changed(struct consoled *d, int domid)
{
	struct console *c = find_domain(d, domid);
	uint32_t ref, port;
	int have = read_u32(d, domid, "ring-ref", UINT32_MAX - 1, &ref) == 0 &&
		   read_u32(d, domid, "port", 0xffffff, &port) == 0;

	if (!have) {
		if (c && c->page)
			xb_disconnect(d, c);
		return;
	}
	if (!c && new_console(d, domid, &c) < 0)
		return;
	struct cons_binding *b = c->binding;
	int same = b->ref == ref && b->remote_port == port;

	/* Connected, or closed for a protocol error: only new values reconnect. */
	if (same && (c->page || c->broken))
		return;
	if (c->page)
		xb_disconnect(d, c);
	connect_console(d, c, ref, port);
}

static void destroy_console(struct consoled *d, struct console *c)
{
	char path[64];

	for (struct console **pp = &d->consoles; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	xb_disconnect(d, c);
	snprintf(path, sizeof(path), "/local/domain/%d/console", c->domid);
	xs_unwatch(d->xs, path, "console");
	pv_dev_info(c->prefix, "domain gone, console removed");
	free(c->binding);
	console_destroy(c);
}

static int domain_listed(char **doms, unsigned int n, int domid)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t v;

		if (parse_u32(doms[i], 0x7fef, &v) == 0 && (int)v == domid)
			return 1;
	}
	return 0;
}

void xb_scan(struct consoled *d)
{
	unsigned int n = 0;
	char **doms = xs_directory(d->xs, XBT_NULL, "/local/domain", &n);
	char path[64];
	struct console *next;

	for (unsigned int i = 0; doms && i < n; i++) {
		uint32_t domid;

		if (parse_u32(doms[i], 0x7fef, &domid) < 0 || domid == 0)
			continue;
		/* Already watched (EEXIST) is fine: the watch fired on registration. */
		snprintf(path, sizeof(path), "/local/domain/%u/console", domid);
		if (!find_domain(d, (int)domid) && !xs_watch(d->xs, path, "console") &&
		    errno != EEXIST)
			pv_warn("cannot watch %s: %s", path, strerror(errno));
	}
	for (struct console *c = d->consoles; c; c = next) {
		next = c->next;
		if (!domain_listed(doms, doms ? n : 0, c->domid))
			destroy_console(d, c);
	}
	free(doms);
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

void xb_handle_watches(struct consoled *d)
{
	char **ev;

	while ((ev = xs_check_watch(d->xs)) != NULL) {
		const char *path = ev[XS_WATCH_PATH];
		int domid = path_domid(path);

		if (path[0] == '@')
			xb_scan(d);
		else if (domid > 0)
			console_changed(d, domid);
		free(ev);
	}
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
	if (rc == -EPROTO || b->peer_gone) {
		if (b->peer_gone)
			pv_dev_info(c->prefix, "guest closed its event channel; waiting for a new one");
		xb_disconnect(d, c);
	}
	consoled_update(d, c, console_pump(c, cons_now_ns()));
}

int xb_fd(struct consoled *d)
{
	return xs_fileno(d->xs);
}

int xb_open(struct consoled *d)
{
	for (int i = 0; i < 50 && !(d->xs = xs_open(0)); i++)
		usleep(100000); /* xenstored may be starting with us */
	if (!d->xs) {
		int rc = -errno;

		pv_err_errno(rc, "cannot connect to xenstore (%s)",
			     getenv("XENSTORED_PATH") ? getenv("XENSTORED_PATH") : "default");
		return rc;
	}
	if (!xs_watch(d->xs, "@introduceDomain", "domlist") ||
	    !xs_watch(d->xs, "@releaseDomain", "domlist")) {
		int rc = -errno;

		pv_err_errno(rc, "cannot watch @introduceDomain/@releaseDomain");
		xs_close(d->xs);
		d->xs = NULL;
		return rc;
	}
	return 0;
}

void xb_close(struct consoled *d)
{
	while (d->consoles)
		destroy_console(d, d->consoles);
	if (d->xs)
		xs_close(d->xs);
	d->xs = NULL;
}

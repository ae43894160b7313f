/* SPDX-License-Identifier: MIT */
/*
 * pvkitd domains: creation (memory, grant table, socket), death and its
 * teardown, page and reference leases, and the domain-0 admin requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#include "pvkit/arch.h"
#include "pvkit/local.h"
#include "pvkit/log.h"
#include "pvkitd.h"

/* ---- creation and teardown ------------------------------------------------ */

static int make_memfd(const char *what, pv_domid_t domid, uint64_t bytes)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "pvkit-dom%u-%s", domid, what);
	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	/* Sealed size: no peer can shrink the file under a mapper's feet (SIGBUS). */
	if (ftruncate(fd, (off_t)bytes) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

static int listen_on(struct pvkitd *k, struct domain *d)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &d->src};
	char dir[4096];

	if (d->domid == 0) {
		snprintf(d->sockpath, sizeof(d->sockpath), "%s/pvkitd.sock", k->rundir);
	} else {
		snprintf(dir, sizeof(dir), "%s/dom/%u", k->rundir, d->domid);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		snprintf(d->sockpath, sizeof(d->sockpath), "%s/dom/%u/pvkitd.sock", k->rundir,
		         d->domid);
	}
	if (strlen(d->sockpath) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, d->sockpath);
	unlink(d->sockpath);
	d->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (d->listen_fd < 0)
		return -errno;
	if (bind(d->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(d->sockpath, d->domid ? 0660 : 0600) < 0 || listen(d->listen_fd, 64) < 0 ||
	    epoll_ctl(k->epfd, EPOLL_CTL_ADD, d->listen_fd, &ev) < 0)
		return -errno;
	return 0;
}

static int dom_alloc_tables(struct domain *d)
{
	size_t gt_bytes = (size_t)d->nr_refs * sizeof(struct pv_grant_entry_v1);
	int rc;

	d->memfd = make_memfd("mem", d->domid, (uint64_t)d->mem_pages * PV_PAGE_SIZE);
	if (d->memfd < 0)
		return d->memfd;
	d->gtfd = make_memfd("gnttab", d->domid, gt_bytes);
	if (d->gtfd < 0)
		return d->gtfd;
	d->gt = mmap(NULL, gt_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, d->gtfd, 0);
	if (d->gt == MAP_FAILED) {
		d->gt = NULL;
		return -errno;
	}
	d->rd_pins = calloc(d->nr_refs, sizeof(uint32_t));
	d->wr_pins = calloc(d->nr_refs, sizeof(uint32_t));
	if (!d->rd_pins || !d->wr_pins)
		return -ENOMEM;
	rc = pvl_bitmap_init(&d->pages, d->mem_pages, 0);
	if (!rc)
		rc = pvl_bitmap_init(&d->refs, d->nr_refs, 0);
	if (!rc)
		rc = pvl_bitmap_mark(&d->refs, 0, PV_GNTTAB_NR_RESERVED_ENTRIES, 1);
	if (!rc)
		rc = pvl_ports_init(&d->ports, PVL_MAX_PORTS);
	return rc;
}

static void dom_free(struct pvkitd *k, struct domain *d)
{
	char dir[4096];

	if (d->listen_fd >= 0) {
		epoll_ctl(k->epfd, EPOLL_CTL_DEL, d->listen_fd, NULL);
		close(d->listen_fd);
		unlink(d->sockpath);
	}
	if (d->gt)
		munmap(d->gt, (size_t)d->nr_refs * sizeof(struct pv_grant_entry_v1));
	if (d->memfd >= 0)
		close(d->memfd);
	if (d->gtfd >= 0)
		close(d->gtfd);
	free(d->rd_pins);
	free(d->wr_pins);
	pvl_bitmap_fini(&d->pages);
	pvl_bitmap_fini(&d->refs);
	pvl_ports_fini(&d->ports);
	if (d->domid) {
		snprintf(dir, sizeof(dir), "%s/dom/%u", k->rundir, d->domid);
		rmdir(dir); /* fails while xenstored still has its socket there: fine */
	}
	free(d);
}

int dom_create(struct pvkitd *k, pv_domid_t domid, const char *name, uint64_t mem_bytes,
               struct domain **out)
{
	struct domain *d = calloc(1, sizeof(*d));
	int rc;

	if (!d)
		return -ENOMEM;
	d->src.kind = SRC_LISTEN;
	d->listen_fd = d->memfd = d->gtfd = -1;
	d->domid = domid;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->gen = k->next_gen++;
	d->mem_bytes = mem_bytes;
	d->mem_pages = (uint32_t)((mem_bytes + PV_PAGE_SIZE - 1) / PV_PAGE_SIZE);
	d->nr_refs = PVKITD_GNT_FRAMES * PV_GRANT_ENTRIES_PER_FRAME;
	d->created = time(NULL);
	rc = dom_alloc_tables(d);
	if (!rc)
		rc = listen_on(k, d);
	if (rc) {
		dom_free(k, d);
		return rc;
	}
	d->next = k->domains;
	k->domains = d;
	*out = d;
	pv_info("domain %u (%s) created with %u pages", domid, d->name, d->mem_pages);
	return 0;
}

struct domain *dom_find(struct pvkitd *k, pv_domid_t domid)
{
	for (struct domain *d = k->domains; d; d = d->next)
		if (d->domid == domid && !d->dying)
			return d;
	return NULL;
}

static int domid_taken(struct pvkitd *k, pv_domid_t domid)
{
	for (struct domain *d = k->domains; d; d = d->next)
		if (d->domid == domid)
			return 1; /* running or still being torn down: never reused */
	return 0;
}

/* Tell pvkit-xenstored, if it runs, so @releaseDomain fires. Off the event loop. */
static void *release_thread(void *arg)
{
	unsigned int domid = (unsigned int)(uintptr_t)arg;
	struct xs_handle *xs = xs_open(XS_OPEN_SOCKETONLY);

	if (!xs)
		return NULL;
	if (!xs_release_domain(xs, domid))
		pv_debug("xenstored: release of domain %u refused", domid);
	xs_close(xs);
	return NULL;
}

static void notify_xenstored(pv_domid_t domid)
{
	const char *path = getenv("XENSTORED_PATH");
	pthread_attr_t attr;
	pthread_t t;

	if (!path || access(path, F_OK) < 0)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, release_thread, (void *)(uintptr_t)domid))
		pv_warn("cannot tell xenstored that domain %u died", domid);
	pthread_attr_destroy(&attr);
}

void dom_kill(struct pvkitd *k, struct domain *d, const char *why)
{
	struct pvkitd_domid ev = {.domid = d->domid};
	struct domain *dom0 = dom_find(k, 0);

	if (d->dying || d->domid == 0)
		return;
	d->dying = 1;
	pv_info("domain %u (%s) dies: %s", d->domid, d->name, why);
	epoll_ctl(k->epfd, EPOLL_CTL_DEL, d->listen_fd, NULL);
	close(d->listen_fd);
	d->listen_fd = -1;
	unlink(d->sockpath);
	while (d->conns)
		conn_close(k, d->conns, "domain died");
	evt_dom_gone(k, d);
	for (struct conn *c = dom0 ? dom0->conns : NULL; c; c = c->next)
		if (c->watch)
			conn_event(c, PVKITD_EV_DEATH, &ev, sizeof(ev));
	notify_xenstored(d->domid);
}

void dom_put_pins(struct pvkitd *k, struct domain *d, uint64_t n)
{
	(void)k;
	d->pins -= n;
}

/* Free the domains that died and whose memory nobody maps any more. */
void dom_reap(struct pvkitd *k)
{
	struct domain **pp = &k->domains;

	while (*pp) {
		struct domain *d = *pp;

		if (d->dying && !d->pins && !d->conns) {
			*pp = d->next;
			pv_debug("domain %u freed", d->domid);
			dom_free(k, d);
		} else {
			pp = &d->next;
		}
	}
}

void dom_free_all(struct pvkitd *k)
{
	for (struct domain *d = k->domains; d; d = d->next)
		while (d->conns)
			conn_close(k, d->conns, "pvkitd stops");
	while (k->domains) {
		struct domain *d = k->domains;

		k->domains = d->next;
		dom_free(k, d);
	}
}

/* ---- leases ----------------------------------------------------------------- */

/* Is @frame named by a still-pinned reference of @c's leases? */
static int frame_pinned(struct domain *d, struct conn *c, uint32_t frame)
{
	for (uint32_t i = 0; i < c->nleases; i++) {
		struct lease *l = &c->leases[i];

		for (uint32_t ref = l->first; l->is_refs && ref < l->first + l->count; ref++)
			if ((d->rd_pins[ref] || d->wr_pins[ref]) && d->gt[ref].frame == frame)
				return 1;
	}
	return 0;
}

/*
 * Give back what @c leased. A reference still pinned by a peer, and the
 * frame it names, stay taken for good: the peer may keep using the page
 * (XSA-396), so it is neither zeroed nor handed out again.
 */
static void sweep_leases(struct domain *d, struct conn *c)
{
	for (uint32_t i = 0; i < c->nleases; i++) {
		struct lease *l = &c->leases[i];

		for (uint32_t ref = l->first; l->is_refs && ref < l->first + l->count; ref++) {
			if (d->rd_pins[ref] || d->wr_pins[ref])
				continue;
			__atomic_store_n(&d->gt[ref].flags, 0, __ATOMIC_RELEASE);
			pvl_bitmap_mark(&d->refs, ref, 1, 0);
		}
	}
	for (uint32_t i = 0; i < c->nleases; i++) {
		struct lease *l = &c->leases[i];

		for (uint32_t pg = l->first; !l->is_refs && pg < l->first + l->count; pg++) {
			if (frame_pinned(d, c, pg))
				continue;
			fallocate(d->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			          (off_t)pg * PV_PAGE_SIZE, PV_PAGE_SIZE);
			pvl_bitmap_mark(&d->pages, pg, 1, 0);
		}
	}
}

void dom_conn_gone(struct pvkitd *k, struct conn *c)
{
	struct domain *d = c->d;
	struct conn **pp;

	for (pp = &d->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	c->next = k->graveyard;
	k->graveyard = c;
	if (c->holder)
		dom_kill(k, d, "its holder disconnected"); /* its memory dies whole, not swept */
	if (!d->dying)
		sweep_leases(d, c);
}

static int do_lease(struct conn *c, const struct pvkitd_hdr *h, const void *p, struct reply *r)
{
	int is_refs = h->op == PVKITD_LEASE_REFS;
	struct pvl_bitmap *b = is_refs ? &c->d->refs : &c->d->pages;
	struct pvkitd_lease req;
	struct lease *grown;
	int64_t first;

	if (h->len != sizeof(req))
		return -EPROTO;
	memcpy(&req, p, sizeof(req));
	if (!req.count)
		return -EINVAL;
	if (req.count > b->nbits)
		return -ENOSPC;
	if (c->nleases >= PVKITD_MAX_LEASES)
		return -ENOSPC;
	grown = realloc(c->leases, (c->nleases + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	c->leases = grown;
	first = pvl_bitmap_alloc(b, req.count);
	if (first < 0)
		return (int)first;
	c->leases[c->nleases++] = (struct lease){(uint32_t)first, req.count, (uint8_t)is_refs};
	req.first = (uint32_t)first;
	memcpy(r->buf, &req, sizeof(req));
	r->len = sizeof(req);
	return 0;
}

/* ---- requests ----------------------------------------------------------------- */

static int do_hello(struct conn *c, const struct pvkitd_hdr *h, struct reply *r)
{
	struct domain *d = c->d;
	struct pvkitd_hello_rep rep = {
	    .gen = d->gen, .domid = d->domid, .mem_pages = d->mem_pages, .nr_refs = d->nr_refs};

	if (h->len)
		return -EPROTO;
	memcpy(r->buf, &rep, sizeof(rep));
	r->len = sizeof(rep);
	if (!(h->flags & PVKITD_HELLO_NOFDS)) {
		r->fds[0] = d->memfd;
		r->fds[1] = d->gtfd;
		r->nfds = 2;
	}
	return 0;
}

static int do_hold(struct conn *c)
{
	if (c->d->domid == 0)
		return -EINVAL;
	for (struct conn *o = c->d->conns; o; o = o->next)
		if (o->holder && o != c)
			return -EBUSY;
	c->holder = 1;
	return 0;
}

static int next_domid(struct pvkitd *k)
{
	unsigned int n = 0;

	for (struct domain *d = k->domains; d; d = d->next)
		n++;
	if (n >= PVKITD_MAX_DOMAINS)
		return -ENOSPC;
	for (unsigned int i = 0; i < PV_DOMID_SELF - 1; i++) {
		pv_domid_t id = (pv_domid_t)(k->last_domid % (PV_DOMID_SELF - 1) + 1);

		k->last_domid = id;
		if (!domid_taken(k, id))
			return id;
	}
	return -ENOSPC;
}

static int do_create(struct pvkitd *k, const struct pvkitd_hdr *h, const void *p, struct reply *r)
{
	struct pvkitd_create_req req;
	struct pvkitd_domid rep = {0};
	struct domain *d;
	int id, rc;

	if (h->len != sizeof(req))
		return -EPROTO;
	memcpy(&req, p, sizeof(req));
	if (!memchr(req.name, 0, sizeof(req.name)) || !req.name[0] || !req.mem_bytes ||
	    req.mem_bytes > PVKITD_MAX_MEM)
		return -EINVAL;
	for (d = k->domains; d; d = d->next)
		if (!d->dying && !strcmp(d->name, req.name))
			return -EEXIST;
	id = next_domid(k);
	if (id < 0)
		return id;
	rc = dom_create(k, (pv_domid_t)id, req.name, req.mem_bytes, &d);
	if (rc)
		return rc;
	rep.domid = (uint32_t)id;
	memcpy(r->buf, &rep, sizeof(rep));
	r->len = sizeof(rep);
	return 0;
}

static int do_destroy(struct pvkitd *k, const struct pvkitd_hdr *h, const void *p)
{
	struct pvkitd_domid req;
	struct domain *d;

	if (h->len != sizeof(req))
		return -EPROTO;
	memcpy(&req, p, sizeof(req));
	if (req.domid == 0)
		return -EPERM;
	d = req.domid < PV_DOMID_SELF ? dom_find(k, (pv_domid_t)req.domid) : NULL;
	if (!d)
		return -ESRCH;
	dom_kill(k, d, "destroyed by domain 0");
	return 0;
}

static int do_list(struct pvkitd *k, struct reply *r)
{
	uint32_t n = 0, max = sizeof(r->buf) / sizeof(struct pvkitd_dom_info);

	for (struct domain *d = k->domains; d && n < max; d = d->next, n++) {
		struct pvkitd_dom_info info = {.mem_bytes = d->mem_bytes,
		                               .created = d->created,
		                               .domid = d->domid,
		                               .state =
		                                   d->dying ? PV_LOCAL_DYING : PV_LOCAL_RUNNING};

		memcpy(info.name, d->name, sizeof(info.name));
		memcpy(r->buf + n * sizeof(info), &info, sizeof(info));
	}
	r->len = n * (uint32_t)sizeof(struct pvkitd_dom_info);
	return 0;
}

/*
 * A running domain's whole memory, for domain 0's PCI backend to map into
 * a device's IOMMU (the analogue of Xen's foreign mapping).
 */
static int do_dom_mem(struct pvkitd *k, const struct pvkitd_hdr *h, const void *p,
                      struct reply *r)
{
	struct pvkitd_mem_rep rep = {0};
	struct pvkitd_domid req;
	struct domain *d;

	if (h->len != sizeof(req))
		return -EPROTO;
	memcpy(&req, p, sizeof(req));
	d = req.domid < PV_DOMID_SELF ? dom_find(k, (pv_domid_t)req.domid) : NULL;
	if (!d)
		return -ESRCH;
	rep.gen = d->gen;
	rep.mem_pages = d->mem_pages;
	memcpy(r->buf, &rep, sizeof(rep));
	r->len = sizeof(rep);
	r->fds[0] = d->memfd;
	r->nfds = 1;
	return 0;
}

static int do_stats(struct pvkitd *k, struct reply *r)
{
	uint32_t n = 0, max = sizeof(r->buf) / sizeof(struct pvkitd_dom_stats);

	for (struct domain *d = k->domains; d && n < max; d = d->next, n++) {
		struct pvkitd_dom_stats st = {.domid = d->domid,
		                              .state = d->dying ? PV_LOCAL_DYING : PV_LOCAL_RUNNING,
		                              .pinned = d->pins,
		                              .ports = d->ports.used};

		for (struct conn *c = d->conns; c; c = c->next) {
			st.maps += c->maps_used;
			st.leases += c->nleases;
			st.conns++;
		}
		memcpy(r->buf + n * sizeof(st), &st, sizeof(st));
	}
	r->len = n * (uint32_t)sizeof(struct pvkitd_dom_stats);
	return 0;
}

int handle_dom(struct pvkitd *k, struct conn *c, const struct pvkitd_hdr *h, const void *p,
               struct reply *r)
{
	int privileged = c->d->domid == 0;

	switch (h->op) {
	case PVKITD_HELLO:
		return do_hello(c, h, r);
	case PVKITD_HOLD:
		return h->len ? -EPROTO : do_hold(c);
	case PVKITD_LEASE_PAGES:
	case PVKITD_LEASE_REFS:
		return do_lease(c, h, p, r);
	}
	if (!privileged)
		return -EPERM;
	switch (h->op) {
	case PVKITD_DOM_CREATE:
		return do_create(k, h, p, r);
	case PVKITD_DOM_DESTROY:
		return do_destroy(k, h, p);
	case PVKITD_DOM_LIST:
		return h->len ? -EPROTO : do_list(k, r);
	case PVKITD_DOM_STATS:
		return h->len ? -EPROTO : do_stats(k, r);
	case PVKITD_DOM_WATCH:
		c->watch = 1;
		return 0;
	case PVKITD_DOM_MEM:
		return do_dom_mem(k, h, p, r);
	}
	return -EPROTO;
}

/* SPDX-License-Identifier: MIT */
/*
 * The local platform: connecting to pvkitd as a domain, the request/reply
 * turn on its socket, and the ops table platform/platform.c dispatches to.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pvkit/arch.h"
#include "pvkit/local.h"
#include "pvkit/log.h"
#include "client.h"

const char *pv_local_default_rundir(void)
{
	const char *env = getenv("PVKIT_RUNDIR");

	return env && *env ? env : "/run/pvkit";
}

void pvl_sock_path(char *out, size_t size, const char *rundir, unsigned int domid)
{
	if (domid == 0)
		snprintf(out, size, "%s/pvkitd.sock", rundir);
	else
		snprintf(out, size, "%s/dom/%u/pvkitd.sock", rundir, domid);
}

int pvl_connect(const char *sockpath)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(sockpath) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, sockpath);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = errno == ECONNREFUSED ? -ENOENT : -errno;

		close(fd);
		return rc;
	}
	return fd;
}

int pvl_call(int sock, uint32_t op, uint32_t flags, const void *req, uint32_t len,
             unsigned char *buf, int *fds, unsigned int *nfds, pvl_event_fn ev, void *opaque)
{
	unsigned int room = nfds ? *nfds : 0;
	int rc = pvkitd_send(sock, op, 0, flags, req, len, NULL, 0);

	if (rc)
		return rc;
	for (;;) {
		struct pvkitd_hdr h;
		unsigned int got = room;

		rc = pvkitd_recv(sock, buf, fds, &got, 0);
		if (rc < 0)
			return rc;
		memcpy(&h, buf, sizeof(h));
		if (h.op >= PVKITD_EV_BASE) {
			for (unsigned int i = 0; i < got; i++)
				close(fds[i]);
			if (ev)
				ev(opaque, h.op, pvl_payload(buf), h.len);
			continue;
		}
		if (nfds)
			*nfds = got;
		if (h.op != op || h.status > 0) {
			for (unsigned int i = 0; i < got; i++)
				close(fds[i]);
			return -EPROTO;
		}
		return h.status ? h.status : rc;
	}
}

static void resolve_opts(const struct pv_platform_opts *opts, const char **rundir, int *domid)
{
	const char *env = getenv("PVKIT_DOMID");

	*rundir = opts && opts->rundir ? opts->rundir : pv_local_default_rundir();
	if (opts && opts->domid_set)
		*domid = opts->domid;
	else
		*domid = env && *env ? atoi(env) : 0;
}

/* Map what HELLO handed over: the domain's memory and its grant table. */
static int map_own(struct pvl_plat *l, const int *fds)
{
	l->memfd = fds[0];
	l->gtfd = fds[1];
	l->mem = mmap(NULL, (size_t)l->mem_pages * PV_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	              l->memfd, 0);
	if (l->mem == MAP_FAILED) {
		l->mem = NULL;
		return -errno;
	}
	l->gt =
	    mmap(NULL, l->nr_refs * sizeof(*l->gt), PROT_READ | PROT_WRITE, MAP_SHARED, l->gtfd, 0);
	if (l->gt == MAP_FAILED) {
		l->gt = NULL;
		return -errno;
	}
	l->page_ref = malloc(l->mem_pages * sizeof(uint32_t));
	if (!l->page_ref)
		return -ENOMEM;
	for (uint32_t i = 0; i < l->mem_pages; i++)
		l->page_ref[i] = PV_GRANT_INVALID;
	if (pvl_bitmap_init(&l->pages, l->mem_pages, 1) || pvl_bitmap_init(&l->refs, l->nr_refs, 1))
		return -ENOMEM;
	return 0;
}

static int hello(struct pvl_plat *l)
{
	struct pvkitd_hello_rep rep;
	int fds[2];
	unsigned int nfds = 2;
	int rc = pvl_call(l->sock, PVKITD_HELLO, 0, NULL, 0, l->buf, fds, &nfds, NULL, NULL);

	if (rc < 0)
		return rc;
	if (rc != sizeof(rep) || nfds != 2) {
		for (unsigned int i = 0; i < nfds; i++)
			close(fds[i]);
		return -EPROTO;
	}
	memcpy(&rep, pvl_payload(l->buf), sizeof(rep));
	if (!rep.mem_pages || !rep.nr_refs || rep.nr_refs > (1u << 20)) {
		close(fds[0]);
		close(fds[1]);
		return -EPROTO;
	}
	l->gen = rep.gen;
	l->mem_pages = rep.mem_pages;
	l->nr_refs = rep.nr_refs;
	return map_own(l, fds);
}

static void local_close(struct pv_platform *p)
{
	struct pvl_plat *l = p->priv;

	if (!l)
		return;
	while (l->peers) {
		struct pvl_peer *peer = l->peers;

		l->peers = peer->next;
		close(peer->memfd);
		free(peer);
	}
	while (l->maps) {
		struct pvl_mapping *m = l->maps;

		l->maps = m->next;
		free(m->handles);
		free(m);
	}
	if (l->mem)
		munmap(l->mem, (size_t)l->mem_pages * PV_PAGE_SIZE);
	if (l->gt)
		munmap(l->gt, l->nr_refs * sizeof(*l->gt));
	if (l->memfd >= 0)
		close(l->memfd);
	if (l->gtfd >= 0)
		close(l->gtfd);
	if (l->sock >= 0)
		close(l->sock);
	free(l->page_ref);
	pvl_bitmap_fini(&l->pages);
	pvl_bitmap_fini(&l->refs);
	pthread_mutex_destroy(&l->lock);
	free(l);
	p->priv = NULL;
}

/* -ENOENT: no pvkitd there; -ESRCH: pvkitd runs but has no such domain. */
static int connect_domain(struct pvl_plat *l, const char *rundir, int domid)
{
	char dom0[4096];
	int fd;

	if (domid < 0 || domid >= PV_DOMID_SELF)
		return -EINVAL;
	pvl_sock_path(l->sockpath, sizeof(l->sockpath), rundir, (unsigned int)domid);
	fd = pvl_connect(l->sockpath);
	if (fd == -ENOENT && domid != 0) {
		pvl_sock_path(dom0, sizeof(dom0), rundir, 0);
		if (access(dom0, F_OK) == 0)
			return -ESRCH;
	}
	return fd;
}

static int local_open(struct pv_platform *p, const struct pv_platform_opts *opts)
{
	struct pvl_plat *l = calloc(1, sizeof(*l));
	const char *rundir;
	int domid, rc;

	if (!l)
		return -ENOMEM;
	pthread_mutex_init(&l->lock, NULL);
	l->memfd = l->gtfd = -1;
	p->priv = l;
	resolve_opts(opts, &rundir, &domid);
	l->sock = connect_domain(l, rundir, domid);
	if (l->sock < 0) {
		rc = l->sock;
		goto out_close;
	}
	rc = hello(l);
	if (rc)
		goto out_close;
	p->domid = (pv_domid_t)domid;
	return 0;
out_close:
	if (rc != -ENOENT && rc != -ESRCH)
		pv_err_errno(rc, "cannot connect to pvkitd as domain %d under %s", domid, rundir);
	local_close(p);
	return rc;
}

int pv_local_hold(struct pv_platform *p)
{
	struct pvl_plat *l;
	int rc;

	if (!p || p->ops != &pv_platform_local_ops)
		return -ENOTSUP;
	l = p->priv;
	pthread_mutex_lock(&l->lock);
	rc = pvl_call(l->sock, PVKITD_HOLD, 0, NULL, 0, l->buf, NULL, NULL, NULL, NULL);
	pthread_mutex_unlock(&l->lock);
	return rc < 0 ? rc : 0;
}

const struct pv_platform_ops pv_platform_local_ops = {
    .name = "local",
    .open = local_open,
    .close = local_close,
    .share_pages = pvl_share_pages,
    .unshare = pvl_unshare,
    .map = pvl_map,
    .unmap = pvl_unmap,
    .copy = pvl_copy,
    .evtchn_open = pvl_evtchn_open,
    .evtchn_close = pvl_evtchn_close,
    .evtchn_fd = pvl_evtchn_fd,
    .alloc_unbound = pvl_alloc_unbound,
    .bind_interdomain = pvl_bind_interdomain,
    .notify = pvl_notify,
    .pending = pvl_pending,
    .unmask = pvl_unmask,
    .unbind = pvl_unbind,
    .dma_alloc = pvl_dma_alloc,
    .dma_free = pvl_dma_free,
    .dma_phys = pvl_dma_phys,
    .dma_mem_fd = pvl_dma_mem_fd,
    .foreign_mem_fd = pvl_foreign_mem_fd,
};

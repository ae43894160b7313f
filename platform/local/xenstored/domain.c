/* SPDX-License-Identifier: MIT */
/*
 * pvkit-xenstored: domains and their sockets. The socket a client connects
 * to is its identity: <rundir>/xenstored.sock is domain 0 (privileged),
 * <rundir>/dom/<N>/xenstored.sock exists from INTRODUCE to RELEASE of N.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "xenstored.h"

#define ACCEPTS_PER_WAKE 16

static int sock_path(struct xsd *x, unsigned int dom, char *buf, size_t size)
{
	int n = dom == 0 ? snprintf(buf, size, "%s/xenstored.sock", x->rundir)
			 : snprintf(buf, size, "%s/dom/%u/xenstored.sock", x->rundir, dom);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* mkdir -p of the directory holding @path. */
static int make_parents(const char *path)
{
	char buf[sizeof(((struct sockaddr_un *)0)->sun_path)];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/*
 * Bind under a temporary name, listen, then rename into place: the socket
 * path appears only once connecting to it works (the readiness signal).
 * Domain 0's socket is privileged: its owner only. A guest's is open to
 * any user; pvkitd's dom/<N> directory decides who reaches it.
 */
static int bind_listen(const char *path, mode_t mode)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, rc;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.new", path) >= (int)sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(sa.sun_path, mode) < 0 ||
	    listen(fd, 64) < 0 || rename(sa.sun_path, path) < 0) {
		rc = -errno;
		unlink(sa.sun_path);
		close(fd);
		return rc;
	}
	return fd;
}

int xsd_listen(struct xsd *x, unsigned int dom)
{
	struct xsd_domain *d = xsd_domain_get(x, dom);
	struct epoll_event ev = {.events = EPOLLIN};
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int rc;

	if (!d)
		return -ENOMEM;
	rc = sock_path(x, dom, path, sizeof(path) - 4);
	if (rc == 0)
		rc = make_parents(path);
	if (rc == 0)
		rc = bind_listen(path, dom == 0 ? 0600 : 0666);
	if (rc < 0) {
		pv_err_errno(rc, "cannot listen on %s", path);
		return rc;
	}
	d->listen_fd = rc;
	ev.data.ptr = &d->pe;
	if (epoll_ctl(x->epfd, EPOLL_CTL_ADD, d->listen_fd, &ev) < 0) {
		rc = -errno;
		pv_err_errno(rc, "cannot poll %s", path);
		xsd_unlisten(x, dom);
		return rc;
	}
	return 0;
}

void xsd_unlisten(struct xsd *x, unsigned int dom)
{
	struct xsd_domain *d = x->doms[dom];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

	if (!d || d->listen_fd < 0)
		return;
	if (x->epfd >= 0)
		epoll_ctl(x->epfd, EPOLL_CTL_DEL, d->listen_fd, NULL);
	close(d->listen_fd);
	d->listen_fd = -1;
	if (sock_path(x, dom, path, sizeof(path)) == 0)
		unlink(path);
}

int xsd_introduce(struct xsd *x, unsigned int dom)
{
	struct xsd_domain *d = xsd_domain_get(x, dom);
	int rc;

	if (!d)
		return -ENOMEM;
	if (d->introduced)
		return 0; /* introducing twice is harmless, as in xenstored */
	if (x->epfd >= 0) {
		rc = xsd_listen(x, dom);
		if (rc < 0)
			return -EIO;
	}
	d->introduced = true;
	pv_info("domain %u introduced", dom);
	xsd_watch_fire_special(x, "@introduceDomain");
	return 0;
}

int xsd_release(struct xsd *x, unsigned int dom)
{
	struct xsd_domain *d = dom < XSD_DOMID_LIMIT ? x->doms[dom] : NULL;

	if (!d || !d->introduced)
		return -ENOENT;
	xsd_unlisten(x, dom);
	for (struct xsd_conn *c = x->conns; c; c = c->next)
		if (c->dom == dom)
			xsd_conn_close(x, c, NULL);
	d->introduced = false;
	d->has_target = false;
	for (unsigned int i = 1; i < XSD_DOMID_LIMIT; i++)
		if (x->doms[i] && x->doms[i]->has_target && x->doms[i]->target == dom)
			x->doms[i]->has_target = false;
	xsd_forget_domain_perms(x, dom);
	pv_info("domain %u released", dom);
	xsd_watch_fire_special(x, "@releaseDomain");
	return 0;
}

int xsd_accept(struct xsd *x, unsigned int dom)
{
	struct xsd_domain *d = x->doms[dom];

	for (int i = 0; d && d->listen_fd >= 0 && i < ACCEPTS_PER_WAKE; i++) {
		int fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			pv_warn_errno(errno, "accept on domain %u's socket", dom);
			return -errno;
		}
		if (dom != 0 && d->nconns >= x->quota.connections) {
			pv_dev_warn_rl(&x->rl, "xenstored", "domain %u is over its %u connections: refused",
				       dom, x->quota.connections);
			close(fd);
			continue;
		}
		if (!xsd_conn_new(x, fd, dom)) {
			pv_warn("no memory for a connection of domain %u", dom);
			close(fd);
		}
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The local platform's admin API (include/pvkit/local.h): domain 0 asks
 * pvkitd to create, destroy and list domains, and watches them die.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pvkit/local.h"
#include "client.h"

struct pv_local {
	int sock;
	int watch; /* -1 until pv_local_death_fd() */
	char sockpath[4096];
	unsigned char buf[PVKITD_MSG_MAX];
};

int pv_local_open(struct pv_local **out, const char *rundir)
{
	struct pv_local *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	pvl_sock_path(l->sockpath, sizeof(l->sockpath), rundir ? rundir : pv_local_default_rundir(),
	              0);
	l->watch = -1;
	l->sock = pvl_connect(l->sockpath);
	if (l->sock < 0) {
		int rc = l->sock;

		free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void pv_local_close(struct pv_local *l)
{
	if (!l)
		return;
	if (l->watch >= 0)
		close(l->watch);
	close(l->sock);
	free(l);
}

static int call(struct pv_local *l, uint32_t op, const void *req, uint32_t len)
{
	return pvl_call(l->sock, op, 0, req, len, l->buf, NULL, NULL, NULL, NULL);
}

int pv_local_domain_create(struct pv_local *l, const char *name, uint64_t mem_bytes,
                           pv_domid_t *domid)
{
	struct pvkitd_create_req req = {.mem_bytes = mem_bytes};
	struct pvkitd_domid rep;
	int rc;

	if (!name || strlen(name) >= sizeof(req.name) || !*name)
		return -EINVAL;
	strcpy(req.name, name);
	rc = call(l, PVKITD_DOM_CREATE, &req, sizeof(req));
	if (rc < 0)
		return rc;
	if (rc != sizeof(rep))
		return -EPROTO;
	memcpy(&rep, pvl_payload(l->buf), sizeof(rep));
	*domid = (pv_domid_t)rep.domid;
	return 0;
}

int pv_local_domain_destroy(struct pv_local *l, pv_domid_t domid)
{
	struct pvkitd_domid req = {.domid = domid};
	int rc = call(l, PVKITD_DOM_DESTROY, &req, sizeof(req));

	return rc < 0 ? rc : 0;
}

int pv_local_domain_list(struct pv_local *l, struct pv_local_domain_info **out)
{
	struct pv_local_domain_info *list;
	int rc = call(l, PVKITD_DOM_LIST, NULL, 0);
	unsigned int n;

	if (rc < 0)
		return rc;
	if (rc % sizeof(struct pvkitd_dom_info))
		return -EPROTO;
	n = (unsigned int)rc / sizeof(struct pvkitd_dom_info);
	list = calloc(n ? n : 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		struct pvkitd_dom_info info;

		memcpy(&info, (char *)pvl_payload(l->buf) + i * sizeof(info), sizeof(info));
		list[i].domid = (pv_domid_t)info.domid;
		list[i].state = (enum pv_local_state)info.state;
		list[i].mem_bytes = info.mem_bytes;
		list[i].created = info.created;
		memcpy(list[i].name, info.name, sizeof(list[i].name));
		list[i].name[sizeof(list[i].name) - 1] = 0;
	}
	*out = list;
	return (int)n;
}

int pv_local_domain_stats(struct pv_local *l, struct pv_local_domain_stats **out)
{
	struct pv_local_domain_stats *v;
	int rc = call(l, PVKITD_DOM_STATS, NULL, 0);
	unsigned int n;

	if (rc < 0)
		return rc;
	if (rc % sizeof(struct pvkitd_dom_stats))
		return -EPROTO;
	n = (unsigned int)rc / sizeof(struct pvkitd_dom_stats);
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		struct pvkitd_dom_stats st;

		memcpy(&st, (char *)pvl_payload(l->buf) + i * sizeof(st), sizeof(st));
		v[i] = (struct pv_local_domain_stats){.domid = (pv_domid_t)st.domid,
		                                      .state = (enum pv_local_state)st.state,
		                                      .grants_pinned = st.pinned,
		                                      .grants_mapped = st.maps,
		                                      .evtchn_ports = st.ports,
		                                      .connections = st.conns,
		                                      .leases = st.leases};
	}
	*out = v;
	return (int)n;
}

int pv_local_death_fd(struct pv_local *l)
{
	int fd, rc;

	if (l->watch >= 0)
		return l->watch;
	fd = pvl_connect(l->sockpath);
	if (fd < 0)
		return fd;
	rc = pvl_call(fd, PVKITD_DOM_WATCH, 0, NULL, 0, l->buf, NULL, NULL, NULL, NULL);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	l->watch = fd;
	return fd;
}

int pv_local_death_next(struct pv_local *l)
{
	struct pvkitd_hdr h;
	struct pvkitd_domid ev;
	int rc;

	if (l->watch < 0)
		return -EAGAIN;
	for (;;) {
		rc = pvkitd_recv(l->watch, l->buf, NULL, NULL, MSG_DONTWAIT);
		if (rc < 0)
			return rc;
		memcpy(&h, l->buf, sizeof(h));
		if (h.op == PVKITD_EV_DEATH && h.len == sizeof(ev)) {
			memcpy(&ev, pvl_payload(l->buf), sizeof(ev));
			return (int)ev.domid;
		}
	}
}

static int running(struct pv_local *l, pv_domid_t domid)
{
	struct pv_local_domain_info *list;
	int n = pv_local_domain_list(l, &list), found = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		if (list[i].domid == domid && list[i].state == PV_LOCAL_RUNNING)
			found = 1;
	free(list);
	return found;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int pv_local_domain_wait(struct pv_local *l, pv_domid_t domid, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	int fd = pv_local_death_fd(l), rc;

	if (fd < 0)
		return fd;
	rc = running(l, domid); /* after subscribing: no death can slip between */
	if (rc <= 0)
		return rc;
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int left = timeout_ms < 0 ? -1 : (int)(deadline - now_ms());

		if (timeout_ms >= 0 && left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, left) < 0 && errno != EINTR)
			return -errno;
		while ((rc = pv_local_death_next(l)) >= 0)
			if (rc == domid)
				return 0;
		if (rc != -EAGAIN)
			return rc;
	}
}

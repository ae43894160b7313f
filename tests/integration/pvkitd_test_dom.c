/* SPDX-License-Identifier: MIT */
/*
 * pvkit-test-platform, local platform only: domain life and death through
 * the admin API, and pvkitd facing hostile or dying clients.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pvkit/arch.h"
#include "../../platform/local/client.h"
#include "pvkitd_test.h"

static int find_state(struct tctx *t, pv_domid_t domid)
{
	struct pv_local_domain_info *list;
	int n = pv_local_domain_list(t->admin, &list), state = 0;

	for (int i = 0; i < n; i++)
		if (list[i].domid == domid)
			state = list[i].state;
	if (n >= 0)
		free(list);
	return state;
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send one request on a raw connection; its reply status, or 1 when the link dropped. */
static int raw_call(int fd, uint32_t op, const void *req, uint32_t len)
{
	static unsigned char buf[PVKITD_MSG_MAX];
	struct pvkitd_hdr h;
	int rc;

	if (pvkitd_send(fd, op, 0, 0, req, len, NULL, 0))
		return 1;
	rc = pvkitd_recv(fd, buf, NULL, NULL, 0);
	if (rc < 0)
		return 1;
	memcpy(&h, buf, sizeof(h));
	return h.status;
}

/* A guest process: holds its domain, shares a page to domain 0, offers a port. */
static void guest_child(struct tctx *t, pv_domid_t domid, int out_fd)
{
	struct pv_platform *p = open_as(t, domid);
	struct pv_evtchn *e;
	uint32_t msg[2];
	unsigned char *page;

	if (!p || pv_local_hold(p) || pv_evtchn_open(p, &e))
		_exit(3);
	page = pv_gnt_share_pages(p, t->self, 1, &msg[0], 1);
	if (!page)
		_exit(4);
	memcpy(page, "guest data", 11);
	msg[1] = (uint32_t)pv_evtchn_alloc_unbound(e, t->self);
	if (write(out_fd, msg, sizeof(msg)) != sizeof(msg))
		_exit(5);
	pause();
	_exit(0);
}

static int wait_closed(struct pv_evtchn *e, int port)
{
	struct pollfd pfd = {.fd = pv_evtchn_fd(e), .events = POLLIN};

	for (int i = 0; i < 500; i++) {
		if (pv_evtchn_pending(e) == port)
			return 1;
		poll(&pfd, 1, 10);
	}
	return 0;
}

static void dom_holder_death(struct tctx *t)
{
	struct pv_evtchn *e = NULL;
	pv_domid_t id, next = 0;
	uint32_t msg[2] = {0};
	int fds[2], lp = -1, status;
	char *m = NULL;
	pid_t pid;

	if (pv_local_domain_create(t->admin, "pvtest-guest", 1u << 20, &id) || pipe(fds) ||
	    pv_evtchn_open(t->g, &e)) {
		check(0, "create a guest domain");
		return;
	}
	pid = fork();
	if (pid == 0)
		guest_child(t, id, fds[1]);
	if (read(fds[0], msg, sizeof(msg)) == sizeof(msg)) {
		m = pv_gnt_map(t->g, id, 1, &msg[0], 0);
		lp = pv_evtchn_bind_interdomain(e, id, msg[1]);
	}
	CHECK(m && !strcmp(m, "guest data") && lp > 0, "domain 0 maps the guest's page and binds");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CHECK(pv_local_domain_wait(t->admin, id, 5000) == 0, "the holder died: so did its domain");
	CHECK(lp > 0 && wait_closed(e, lp), "its event channel is reported closed");
	CHECK(lp > 0 && pv_evtchn_notify(e, (pv_evtchn_port_t)lp) == -ENOTCONN,
	      "notify to the dead domain: -ENOTCONN");
	CHECK(m && !strcmp(m, "guest data"), "the mapping of its memory stays valid");
	CHECK(!pv_gnt_map(t->g, id, 1, &msg[0], 0), "no new map of a dead domain's grant");
	CHECK(find_state(t, id) == PV_LOCAL_DYING, "it lists as dying while mapped");
	status = pv_local_domain_create(t->admin, "pvtest-next", 1u << 20, &next);
	CHECK(!status && next != id, "a new domain does not reuse the dying domid (%u vs %u)", next,
	      id);
	if (m)
		pv_gnt_unmap(t->g, m, 1);
	CHECK(find_state(t, id) == 0, "after the last unmap the domain is gone");
	CHECK(pv_local_domain_destroy(t->admin, next) == 0, "destroy a domain");
	CHECK(pv_local_domain_destroy(t->admin, next) == -ESRCH, "destroy it again: -ESRCH");
	pv_evtchn_close(e);
	close(fds[0]);
	close(fds[1]);
}

static void dom_admin_rules(struct tctx *t)
{
	char path[4200];
	pv_domid_t id;
	int fd, death;
	struct pvkitd_domid d = {.domid = t->peer};
	struct pvkitd_create_req cr = {.mem_bytes = 4096, .name = "evil"};

	CHECK(find_state(t, 0) == PV_LOCAL_RUNNING, "domain 0 is listed");
	CHECK(find_state(t, t->peer) == PV_LOCAL_RUNNING, "the peer domain is listed");
	CHECK(pv_local_domain_create(t->admin, "pvtest-peer", 4096, &id) == -EEXIST,
	      "a duplicate name: -EEXIST");
	CHECK(pv_local_domain_create(t->admin, "zero", 0, &id) == -EINVAL, "no memory: -EINVAL");
	CHECK(pv_local_domain_destroy(t->admin, 0) == -EPERM, "domain 0 cannot be destroyed");
	CHECK(pv_local_hold(t->g) == -EINVAL, "domain 0's life is held by no one");
	snprintf(path, sizeof(path), "%s/dom/%u/pvkitd.sock", t->rundir, t->peer);
	fd = raw_connect(path);
	CHECK(fd >= 0 && raw_call(fd, PVKITD_DOM_CREATE, &cr, sizeof(cr)) == -EPERM,
	      "a guest cannot create a domain");
	CHECK(fd >= 0 && raw_call(fd, PVKITD_DOM_DESTROY, &d, sizeof(d)) == -EPERM,
	      "a guest cannot destroy one");
	CHECK(fd >= 0 && raw_call(fd, PVKITD_DOM_LIST, NULL, 0) == -EPERM, "nor list them");
	CHECK(fd >= 0 && raw_call(fd, PVKITD_DOM_WATCH, NULL, 0) == -EPERM, "nor watch them");
	CHECK(fd >= 0 && raw_call(fd, PVKITD_DOM_MEM, &d, sizeof(d)) == -EPERM,
	      "nor get a domain's memory (its own included)");
	if (fd >= 0)
		close(fd);
	death = pv_local_death_fd(t->admin);
	CHECK(!pv_local_domain_create(t->admin, "pvtest-doomed", 4096, &id) &&
	          !pv_local_domain_destroy(t->admin, id),
	      "create and destroy a domain");
	CHECK(death >= 0 && poll(&(struct pollfd){.fd = death, .events = POLLIN}, 1, 5000) == 1 &&
	          pv_local_death_next(t->admin) == id,
	      "the death fd reports it");
	CHECK(!open_as(t, id), "a destroyed domain cannot be connected to");
}

static int pvkitd_alive(struct tctx *t)
{
	struct pv_platform *p = open_as(t, t->peer);
	pv_grant_ref_t ref;
	void *g = pv_gnt_share_pages(t->g, t->peer, 1, &ref, 1), *m = NULL;
	int ok;

	if (p && g)
		m = pv_gnt_map(p, t->self, 1, &ref, 1);
	ok = m != NULL;
	if (m)
		pv_gnt_unmap(p, m, 1);
	if (g)
		ok &= pv_gnt_unshare(t->g, g, 1) == 0;
	if (p)
		pv_platform_close(p);
	return ok;
}

/* Send raw bytes; 1 when pvkitd then drops the connection. */
static int garbage_dropped(const char *path, const void *bytes, size_t len)
{
	unsigned char buf[256];
	int fd = raw_connect(path), dropped;

	if (fd < 0)
		return 0;
	if (send(fd, bytes, len, MSG_NOSIGNAL) < 0) {
		close(fd);
		return 1;
	}
	dropped = recv(fd, buf, sizeof(buf), 0) <= 0;
	close(fd);
	return dropped;
}

static void hostile_garbage(struct tctx *t)
{
	char path[4200];
	struct pvkitd_hdr lie = {.op = PVKITD_HELLO, .len = 1000};
	struct pvkitd_hdr unknown = {.op = 0xdead};
	unsigned char map_bad[sizeof(struct pvkitd_hdr) + 5] = {PVKITD_MAP};
	static unsigned char big[100000];

	((struct pvkitd_hdr *)(void *)map_bad)->len = 5;
	snprintf(path, sizeof(path), "%s/pvkitd.sock", t->rundir);
	CHECK(garbage_dropped(path, "garbage", 7), "a short message drops the client");
	CHECK(garbage_dropped(path, &lie, sizeof(lie)), "a lying length drops the client");
	CHECK(garbage_dropped(path, &unknown, sizeof(unknown)), "an unknown op drops the client");
	CHECK(garbage_dropped(path, map_bad, sizeof(map_bad)),
	      "a torn map request drops the client");
	CHECK(garbage_dropped(path, big, sizeof(big)), "an oversized message drops the client");
	CHECK(pvkitd_alive(t), "pvkitd still serves grants after all that");
}

/* A mapper that dies holding pins, or mid-request, releases everything. */
static void hostile_dying_clients(struct tctx *t)
{
	pv_grant_ref_t ref;
	void *g = pv_gnt_share_pages(t->g, t->peer, 1, &ref, 1);
	int status, rc = -1;

	for (int i = 0; g && i < 20; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			struct pv_platform *p = open_as(t, t->peer);
			pv_grant_ref_t refs[PV_GNT_MAX_BATCH];

			if (!p || !pv_gnt_map(p, t->self, 1, &ref, 1))
				_exit(3);
			for (int j = 0; j < PV_GNT_MAX_BATCH; j++)
				refs[j] = ref;
			if (i % 2)
				kill(getpid(), SIGKILL); /* dies holding a mapping */
			/* or dies right after sending a big request, without reading the reply */
			pv_gnt_map(p, t->self, PV_GNT_MAX_BATCH, refs, 1);
			_exit(0);
		}
		waitpid(pid, &status, 0);
	}
	for (int i = 0; g && i < 200 && (rc = pv_gnt_unshare(t->g, g, 1)) == -EBUSY; i++)
		usleep(10000); /* pvkitd notices each death on its own schedule */
	CHECK(g && rc == 0, "mappers that died released their pins");
	CHECK(pvkitd_alive(t), "pvkitd still serves after clients died mid-request");
}

/* A 16-page domain: all 16 can be shared at once, the 17th cannot. */
static void dom_memory_exhausted(struct tctx *t)
{
	struct pv_platform *p = NULL;
	pv_grant_ref_t refs[16], one;
	void *all = NULL;
	pv_domid_t id;

	if (pv_local_domain_create(t->admin, "pvtest-small", 16 * PV_PAGE_SIZE, &id) ||
	    !(p = open_as(t, id))) {
		check(0, "create and open a 16-page domain");
		return;
	}
	all = pv_gnt_share_pages(p, t->self, 16, refs, 1);
	CHECK(all != NULL, "share all 16 pages of a 16-page domain");
	CHECK(!pv_gnt_share_pages(p, t->self, 1, &one, 1) && errno == ENOSPC,
	      "the 17th page: ENOSPC");
	CHECK(all && pv_gnt_unshare(p, all, 16) == 0 &&
	          (all = pv_gnt_share_pages(p, t->self, 16, refs, 1)),
	      "unshared pages can be shared again");
	pv_platform_close(p);
	pv_local_domain_destroy(t->admin, id);
}

/*
 * PCI passthrough's memory: a guest allocates DMA pages and learns their
 * guest-physical address; domain 0 alone gets the guest's whole memory
 * (where that address is an offset) to map into a device's IOMMU.
 */
static void dom_dma_memory(struct tctx *t)
{
	struct pv_platform *p = open_as(t, t->peer);
	uint64_t gpa = 0, gpa2 = 0, bytes = 0;
	unsigned char page[4096];
	pv_grant_ref_t ref;
	void *va = p ? pv_dma_alloc(p, 2, &gpa) : NULL, *shared;
	int fd;

	CHECK(va && gpa % 4096 == 0, "a guest allocates DMA pages (guest-physical %#llx)",
	      (unsigned long long)gpa);
	if (!va) {
		if (p)
			pv_platform_close(p);
		return;
	}
	memset(va, 0, 8192);
	memcpy((char *)va + 4096 + 5, "dma-canary", 10);
	CHECK(pv_dma_phys(p, (char *)va + 4101, &gpa2) == 0 && gpa2 == gpa + 4101,
	      "pv_dma_phys inside them is the same address space");
	CHECK(pv_dma_phys(p, page, &gpa2) == -EINVAL, "an address outside guest memory: -EINVAL");
	CHECK(pv_foreign_mem_fd(p, t->peer, &bytes) == -EPERM,
	      "a guest cannot get its own memory fd through the control op");
	CHECK(pv_foreign_mem_fd(p, 0, &bytes) == -EPERM, "nor domain 0's");
	CHECK(pv_foreign_mem_fd(t->g, 4000, &bytes) == -ESRCH, "no such domain: -ESRCH");
	fd = pv_foreign_mem_fd(t->g, t->peer, &bytes);
	CHECK(fd >= 0 && bytes == 16u << 20, "domain 0 gets the guest's memory (%llu bytes)",
	      (unsigned long long)bytes);
	CHECK(fd >= 0 && pread(fd, page, sizeof(page), (off_t)(gpa + 4096)) == sizeof(page) &&
		      !memcmp(page + 5, "dma-canary", 10),
	      "at offset = guest-physical address it reads what the guest wrote");
	if (fd >= 0)
		close(fd);
	fd = pv_dma_mem_fd(p, &bytes);
	CHECK(fd >= 0 && bytes == 16u << 20 && pread(fd, page, sizeof(page), (off_t)(gpa + 4096)) ==
		      sizeof(page) && !memcmp(page + 5, "dma-canary", 10),
	      "the guest gets its own memory's fd (for its drivers), the canary at its address");
	if (fd >= 0)
		close(fd);
	shared = pv_gnt_share_pages(p, 0, 1, &ref, 1);
	CHECK(shared && pv_dma_free(p, shared, 1) == -EINVAL, "pv_dma_free refuses a granted page");
	if (shared)
		pv_gnt_unshare(p, shared, 1);
	CHECK(pv_dma_free(p, va, 2) == 0, "DMA pages are freed");
	CHECK(pv_dma_free(p, va, 2) == -EINVAL, "and not twice");
	va = pv_dma_alloc(p, 2, &gpa2);
	CHECK(va && ((char *)va)[4101] == 0, "freed DMA pages come back zeroed");
	if (va)
		pv_dma_free(p, va, 2);
	pv_platform_close(p);
}

void test_domains(struct tctx *t)
{
	dom_dma_memory(t);
	dom_memory_exhausted(t);
	dom_admin_rules(t);
	dom_holder_death(t);
}

/* A granter that writes a frame past its memory into its own entry. */
static void hostile_bad_frame(struct tctx *t)
{
	struct pvl_plat *l = t->g->priv;
	pv_grant_ref_t ref;
	void *g = pv_gnt_share_pages(t->g, t->peer, 1, &ref, 1), *m;
	uint32_t frame;

	if (!g) {
		check(0, "share one page");
		return;
	}
	frame = l->gt[ref].frame;
	l->gt[ref].frame = l->mem_pages + 5;
	m = pv_gnt_map(t->m, t->self, 1, &ref, 0);
	CHECK(!m && errno == EINVAL, "a grant naming a frame out of range is refused (errno %d)",
	      errno);
	CHECK(l->gt[ref].flags == PV_GTF_permit_access, "and no GTF bit stays set");
	l->gt[ref].frame = frame;
	CHECK(pv_gnt_unshare(t->g, g, 1) == 0, "unshare it");
}

void test_hostile_clients(struct tctx *t)
{
	hostile_bad_frame(t);
	hostile_garbage(t);
	hostile_dying_clients(t);
}

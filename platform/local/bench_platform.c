/* SPDX-License-Identifier: MIT */
/*
 * pvkit-bench-platform: local platform costs beside their raw baselines.
 * Starts its own pvkitd in a temporary run directory.
 *
 *   evtchn_pingpong_rtt  notify/pending round trip across two processes
 *                        vs the same over two bare eventfds
 *   gnt_map_unmap_1      pv_gnt_map+unmap of 1 page vs mmap+munmap of a memfd page
 *   gnt_map_unmap_32     the same for a batch of 32 pages
 *   gnt_copy_4k          pv_gnt_copy of a whole page vs pread of a memfd page
 *   gnt_copy_4k_x64      the same, 64 pages per pv_gnt_copy() call
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pvkit/arch.h"
#include "pvkit/local.h"
#include "pvkit/platform.h"

static char rundir[] = "/tmp/pvkit-bench-XXXXXX";
static pv_domid_t peer;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(const char *name, double v, const char *unit, const char *base, double bv,
                   int lower_better)
{
	printf("BENCH name=%s value=%.1f unit=%s baseline=%s baseline_value=%.1f ratio=%.2f\n",
	       name, v, unit, base, bv, lower_better ? bv / v : v / bv);
	fflush(stdout);
}

static struct pv_platform *open_as(pv_domid_t domid)
{
	struct pv_platform_opts o = {
	    .name = "local", .rundir = rundir, .domid = domid, .domid_set = 1};
	struct pv_platform *p;

	return pv_platform_open(&p, &o) ? NULL : p;
}

static void wait_evt(struct pv_evtchn *e, int port)
{
	struct pollfd pfd = {.fd = pv_evtchn_fd(e), .events = POLLIN};
	int p;

	while ((p = pv_evtchn_pending(e)) != port)
		if (p == -EAGAIN)
			poll(&pfd, 1, -1);
	pv_evtchn_unmask(e, (pv_evtchn_port_t)port);
}

static double evtchn_rtt(int rounds)
{
	struct pv_platform *p = open_as(0);
	struct pv_evtchn *e;
	int port, status;
	double t0;
	pid_t pid;

	if (!p || pv_evtchn_open(p, &e))
		return -1;
	port = pv_evtchn_alloc_unbound(e, peer);
	pid = fork();
	if (pid == 0) {
		struct pv_platform *c = open_as(peer);
		struct pv_evtchn *ce;
		int lp;

		if (!c || pv_evtchn_open(c, &ce))
			_exit(1);
		lp = pv_evtchn_bind_interdomain(ce, 0, (pv_evtchn_port_t)port);
		for (int i = 0; i < rounds + 1; i++) {
			pv_evtchn_notify(ce, (pv_evtchn_port_t)lp);
			wait_evt(ce, lp);
		}
		_exit(0);
	}
	wait_evt(e, port); /* the child is bound and ready */
	t0 = now();
	for (int i = 0; i < rounds; i++) {
		pv_evtchn_notify(e, (pv_evtchn_port_t)port);
		wait_evt(e, port);
	}
	t0 = now() - t0;
	pv_evtchn_notify(e, (pv_evtchn_port_t)port);
	waitpid(pid, &status, 0);
	pv_evtchn_close(e);
	pv_platform_close(p);
	return t0 / rounds * 1e9;
}

static void efd_wait(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	uint64_t v;

	while (read(fd, &v, sizeof(v)) < 0)
		poll(&pfd, 1, -1);
}

static double eventfd_rtt(int rounds)
{
	int a = eventfd(0, EFD_NONBLOCK), b = eventfd(0, EFD_NONBLOCK), status;
	uint64_t one = 1;
	double t0;
	pid_t pid = fork();

	if (pid == 0) {
		for (int i = 0; i < rounds; i++) {
			efd_wait(a);
			if (write(b, &one, sizeof(one)) < 0)
				_exit(1);
		}
		_exit(0);
	}
	t0 = now();
	for (int i = 0; i < rounds; i++) {
		if (write(a, &one, sizeof(one)) < 0)
			break;
		efd_wait(b);
	}
	t0 = now() - t0;
	waitpid(pid, &status, 0);
	close(a);
	close(b);
	return t0 / rounds * 1e9;
}

/* Map and unmap @n pages @iters times: pages per second. */
static double map_rate(struct pv_platform *g, struct pv_platform *m, unsigned int n, int iters)
{
	pv_grant_ref_t refs[32];
	void *pages = pv_gnt_share_pages(g, peer, n, refs, 1);
	double t0 = now();

	for (int i = 0; pages && i < iters; i++) {
		void *a = pv_gnt_map(m, 0, n, refs, 1);

		if (!a)
			return -1;
		pv_gnt_unmap(m, a, n);
	}
	t0 = now() - t0;
	if (pages)
		pv_gnt_unshare(g, pages, n);
	return pages ? n * iters / t0 : -1;
}

static double mmap_rate(unsigned int n, int iters)
{
	int fd = memfd_create("bench", MFD_CLOEXEC);
	double t0;

	if (fd < 0 || ftruncate(fd, 32 * PV_PAGE_SIZE) < 0)
		return -1;
	t0 = now();
	for (int i = 0; i < iters; i++) {
		unsigned char *r =
		    mmap(NULL, n * PV_PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		for (unsigned int j = 0; j < n; j++)
			mmap(r + j * PV_PAGE_SIZE, PV_PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_FIXED, fd, (off_t)j * PV_PAGE_SIZE);
		munmap(r, n * PV_PAGE_SIZE);
	}
	t0 = now() - t0;
	close(fd);
	return n * iters / t0;
}

/* @batch whole-page copies per pv_gnt_copy() call: pages per second. */
static double copy_rate(struct pv_platform *g, struct pv_platform *m, unsigned int batch, int iters)
{
	static unsigned char buf[64][PV_PAGE_SIZE];
	static struct pv_gnt_copy_seg s[64];
	pv_grant_ref_t refs[64];
	void *pages = pv_gnt_share_pages(g, peer, batch, refs, 1);
	double t0 = now();

	for (unsigned int j = 0; j < batch; j++)
		s[j] =
		    (struct pv_gnt_copy_seg){.source = {.is_gref = 1, .domid = 0, .ref = refs[j]},
		                             .dest = {.virt = buf[j]},
		                             .len = PV_PAGE_SIZE};
	for (int i = 0; pages && i < iters; i++)
		if (pv_gnt_copy(m, s, batch) || s[0].status)
			return -1;
	t0 = now() - t0;
	if (pages)
		pv_gnt_unshare(g, pages, batch);
	return pages ? batch * iters / t0 : -1;
}

static double pread_rate(int iters)
{
	static unsigned char buf[PV_PAGE_SIZE];
	int fd = memfd_create("bench", MFD_CLOEXEC);
	double t0;

	if (fd < 0 || ftruncate(fd, PV_PAGE_SIZE) < 0)
		return -1;
	t0 = now();
	for (int i = 0; i < iters; i++)
		if (pread(fd, buf, sizeof(buf), 0) != sizeof(buf))
			break;
	t0 = now() - t0;
	close(fd);
	return iters / t0;
}

static pid_t start_pvkitd(void)
{
	char bin[4096], sock[4200];
	const char *build = getenv("PVKIT_BUILD");
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/bin/pvkitd", build ? build : "build");
	snprintf(sock, sizeof(sock), "%s/pvkitd.sock", rundir);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDERR_FILENO);
		execl(bin, "pvkitd", "--rundir", rundir, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && access(sock, F_OK) < 0; i++)
		usleep(10000);
	return pid;
}

int main(void)
{
	struct pv_platform *g, *m;
	struct pv_local *admin;
	pid_t pid;
	int status;

	if (!mkdtemp(rundir))
		return 1;
	pid = start_pvkitd();
	if (pv_local_open(&admin, rundir) ||
	    pv_local_domain_create(admin, "bench", 64u << 20, &peer))
		goto out;
	g = open_as(0);
	m = open_as(peer);
	if (!g || !m)
		goto out;
	printf("# pvkitd in %s; peer domain %u; processes not pinned\n", rundir, peer);
	report("evtchn_pingpong_rtt", evtchn_rtt(20000), "ns", "eventfd_pingpong_rtt",
	       eventfd_rtt(20000), 1);
	report("gnt_map_unmap_1", map_rate(g, m, 1, 20000), "pages/s", "memfd_mmap_munmap_1",
	       mmap_rate(1, 20000), 0);
	report("gnt_map_unmap_32", map_rate(g, m, 32, 2000), "pages/s", "memfd_mmap_munmap_32",
	       mmap_rate(32, 2000), 0);
	report("gnt_copy_4k", copy_rate(g, m, 1, 20000), "pages/s", "memfd_pread_4k",
	       pread_rate(20000), 0);
	report("gnt_copy_4k_x64", copy_rate(g, m, 64, 500), "pages/s", "memfd_pread_4k",
	       pread_rate(32000), 0);
	pv_platform_close(m);
	pv_platform_close(g);
out:
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", rundir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", rundir);
	}
	return 0;
}

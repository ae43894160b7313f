/* SPDX-License-Identifier: MIT */
/*
 * pv-xen-platform-test: the platform interface on real Xen, in dom0, through
 * include/pvkit/platform.h only: self-grants, read-only, grant copy, events.
 *
 * Runs inside the Xen test VM (tests/vm/xen-tests/20-platform.sh) with
 * PVKIT_PLATFORM=xen (default xen here). Prints "ok - X" / "not ok - X"
 * lines and a closing "PVTEST passed=N failed=M" line.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pvkit/platform.h"

#define PAGE 4096u
#define NPAGES 4u
#define ROUND_TRIPS 1000

static int passed, failed;

static void check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", cond ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (cond)
		passed++;
	else
		failed++;
}

static void fill(unsigned char *buf, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(seed * 31 + i * 7);
}

/* In a child: write through @addr. 1 when the write faulted (SIGSEGV/SIGBUS). */
static int write_faults(volatile unsigned char *addr)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		addr[0] = 0x5a;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 0;
	return WIFSIGNALED(status) && (WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS);
}

static void test_share_map(struct pv_platform *p)
{
	pv_grant_ref_t refs[NPAGES];
	unsigned char *shared, *mapped;
	unsigned char expect[NPAGES * PAGE];

	shared = pv_gnt_share_pages(p, 0, NPAGES, refs, 1);
	check(shared != NULL, "share %u pages read-write to domid 0 (%s)", NPAGES,
	      shared ? "ok" : strerror(errno));
	if (!shared)
		return;
	check(shared[0] == 0 && shared[NPAGES * PAGE - 1] == 0, "shared pages start zeroed");
	fill(shared, NPAGES * PAGE, 1);
	memcpy(expect, shared, sizeof(expect));
	mapped = pv_gnt_map(p, 0, NPAGES, refs, 1);
	check(mapped != NULL, "map the %u grants back writable (%s)", NPAGES,
	      mapped ? "ok" : strerror(errno));
	if (mapped) {
		check(memcmp(mapped, expect, sizeof(expect)) == 0, "mapping shows the granted bytes");
		mapped[PAGE + 5] = 0xee;
		check(shared[PAGE + 5] == 0xee, "a write through the mapping reaches the granter");
		check(pv_gnt_unmap(p, mapped, NPAGES) == 0, "unmap");
	}
	check(pv_gnt_unshare(p, shared, NPAGES) == 0, "unshare");
}

static void test_read_only(struct pv_platform *p)
{
	pv_grant_ref_t ref;
	unsigned char *shared, *mapped;

	shared = pv_gnt_share_pages(p, 0, 1, &ref, 0);
	check(shared != NULL, "share a page read-only");
	if (!shared)
		return;
	memset(shared, 0xab, PAGE);
	errno = 0;
	mapped = pv_gnt_map(p, 0, 1, &ref, 1);
	check(mapped == NULL, "a read-only grant cannot be mapped writable (errno %d %s)", errno,
	      strerror(errno));
	if (mapped)
		pv_gnt_unmap(p, mapped, 1);
	mapped = pv_gnt_map(p, 0, 1, &ref, 0);
	check(mapped != NULL, "a read-only grant maps read-only");
	if (mapped) {
		check(mapped[100] == 0xab, "read-only mapping reads the granted bytes");
		check(write_faults(mapped), "a write through the read-only mapping faults");
		pv_gnt_unmap(p, mapped, 1);
	}
	pv_gnt_unshare(p, shared, 1);
}

static void test_bad_map(struct pv_platform *p)
{
	pv_grant_ref_t refs[2] = {0, 0x7ffffff};
	pv_grant_ref_t ok_ref;
	unsigned char *shared, *mapped;

	shared = pv_gnt_share_pages(p, 0, 1, &ok_ref, 1);
	if (!shared) {
		check(0, "share a page for the bad-map tests (%s)", strerror(errno));
		return;
	}
	refs[0] = ok_ref;
	mapped = pv_gnt_map(p, 0, 2, refs, 1);
	check(mapped == NULL, "a batch with an out-of-range reference fails as a whole (errno %d)",
	      errno);
	if (mapped)
		pv_gnt_unmap(p, mapped, 2);
	mapped = pv_gnt_map(p, 0, PV_GNT_MAX_BATCH + 1, refs, 1);
	check(mapped == NULL && errno == EINVAL, "more than PV_GNT_MAX_BATCH grants: EINVAL");
	mapped = pv_gnt_map(p, 0, 1, &ok_ref, 1);
	check(mapped != NULL, "the good grant still maps after the failed batch");
	if (mapped)
		pv_gnt_unmap(p, mapped, 1);
	pv_gnt_unshare(p, shared, 1);
}

static void set_gref(struct pv_gnt_copy_ptr *ptr, pv_grant_ref_t ref, uint16_t offset)
{
	memset(ptr, 0, sizeof(*ptr));
	ptr->is_gref = 1;
	ptr->domid = 0;
	ptr->ref = ref;
	ptr->offset = offset;
}

static void set_virt(struct pv_gnt_copy_ptr *ptr, void *virt)
{
	memset(ptr, 0, sizeof(*ptr));
	ptr->virt = virt;
}

static void test_copy(struct pv_platform *p)
{
	pv_grant_ref_t rw, ro;
	unsigned char *page_rw, *page_ro, local[512], back[512];
	struct pv_gnt_copy_seg segs[4];
	int ret;

	page_rw = pv_gnt_share_pages(p, 0, 1, &rw, 1);
	page_ro = pv_gnt_share_pages(p, 0, 1, &ro, 0);
	if (!page_rw || !page_ro) {
		check(0, "share pages for the copy tests (%s)", strerror(errno));
		goto out;
	}
	fill(local, sizeof(local), 7);
	memset(segs, 0, sizeof(segs));
	set_virt(&segs[0].source, local); /* local -> grant, at offset 100 */
	set_gref(&segs[0].dest, rw, 100);
	segs[0].len = sizeof(local);
	set_gref(&segs[1].source, rw, 100); /* grant -> local */
	set_virt(&segs[1].dest, back);
	segs[1].len = sizeof(back);
	set_virt(&segs[2].source, local); /* into a read-only grant */
	set_gref(&segs[2].dest, ro, 0);
	segs[2].len = 64;
	set_virt(&segs[3].source, local); /* leaves the page */
	set_gref(&segs[3].dest, rw, PAGE - 10);
	segs[3].len = 64;
	ret = pv_gnt_copy(p, segs, 4);
	check(ret == 0, "grant copy batch processed (%d)", ret);
	check(segs[0].status == 0 && memcmp(page_rw + 100, local, sizeof(local)) == 0,
	      "copy into a grant (status %d)", segs[0].status);
	check(segs[1].status == 0 && memcmp(back, local, sizeof(local)) == 0,
	      "copy out of a grant (status %d)", segs[1].status);
	check(segs[2].status < 0 && page_ro[0] == 0,
	      "copy into a read-only grant fails alone (status %d)", segs[2].status);
	check(segs[3].status == -EINVAL && page_rw[PAGE - 10] == 0,
	      "a segment leaving its page gets -EINVAL (status %d)", segs[3].status);
out:
	if (page_rw)
		pv_gnt_unshare(p, page_rw, 1);
	if (page_ro)
		pv_gnt_unshare(p, page_ro, 1);
}

/* Wait for one event on @e; returns the port or -errno. Unmasks it again. */
static int wait_event(struct pv_evtchn *e)
{
	struct pollfd pfd = {.fd = pv_evtchn_fd(e), .events = POLLIN};
	int port;

	if (poll(&pfd, 1, 5000) != 1)
		return -ETIMEDOUT;
	port = pv_evtchn_pending(e);
	if (port >= 0)
		pv_evtchn_unmask(e, (pv_evtchn_port_t)port);
	return port;
}

/* Consume and unmask whatever is pending on @e. */
static void drain(struct pv_evtchn *e)
{
	int port;

	while ((port = pv_evtchn_pending(e)) >= 0)
		pv_evtchn_unmask(e, (pv_evtchn_port_t)port);
}

static int ping_pong(struct pv_evtchn *a, int pa, struct pv_evtchn *b, int pb, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		if (pv_evtchn_notify(a, (pv_evtchn_port_t)pa) < 0 || wait_event(b) != pb)
			return -1;
		if (pv_evtchn_notify(b, (pv_evtchn_port_t)pb) < 0 || wait_event(a) != pa)
			return -1;
	}
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_evtchn(struct pv_platform *p)
{
	struct pv_evtchn *a = NULL, *b = NULL;
	int pa, pb;
	double t0;

	if (pv_evtchn_open(p, &a) < 0 || pv_evtchn_open(p, &b) < 0) {
		check(0, "open two event-channel handles");
		goto out;
	}
	pa = pv_evtchn_alloc_unbound(a, 0);
	check(pa > 0, "alloc an unbound port for domid 0 (%d)", pa);
	pb = pa > 0 ? pv_evtchn_bind_interdomain(b, 0, (pv_evtchn_port_t)pa) : -EINVAL;
	check(pb > 0 && pb != pa, "bind it from a second handle (%d)", pb);
	if (pa <= 0 || pb <= 0)
		goto out;
	/* Xen kicks a freshly bound port once (a notification may have been lost). */
	drain(b);
	check(pv_evtchn_pending(b) == -EAGAIN, "nothing pending before a notify: -EAGAIN");
	check(pv_evtchn_notify(a, (pv_evtchn_port_t)pa) == 0, "notify");
	check(wait_event(b) == pb, "the other handle sees its port pending");
	check(pv_evtchn_notify(b, (pv_evtchn_port_t)pb) == 0 && wait_event(a) == pa,
	      "and back: an event-channel round trip");
	t0 = now();
	check(ping_pong(a, pa, b, pb, ROUND_TRIPS) == 0, "%d round trips", ROUND_TRIPS);
	printf("# %d event round trips in %.3f s\n", ROUND_TRIPS, now() - t0);
	check(pv_evtchn_unbind(b, (pv_evtchn_port_t)pb) == 0, "unbind");
out:
	if (b)
		pv_evtchn_close(b);
	if (a)
		pv_evtchn_close(a);
}

int main(void)
{
	struct pv_platform_opts opts = {0};
	struct pv_platform *p;
	int ret;

	opts.name = getenv("PVKIT_PLATFORM") ? getenv("PVKIT_PLATFORM") : "xen";
	ret = pv_platform_open(&p, &opts);
	check(ret == 0, "open the %s platform (%d)", opts.name, ret);
	if (ret == 0) {
		check(strcmp(pv_platform_name(p), "xen") == 0, "platform is xen (%s)",
		      pv_platform_name(p));
		check(pv_platform_domid(p) == 0, "dom0's domid is 0 (%u)", pv_platform_domid(p));
		test_share_map(p);
		test_read_only(p);
		test_bad_map(p);
		test_copy(p);
		test_evtchn(p);
		pv_platform_close(p);
	}
	printf("PVTEST passed=%d failed=%d skipped=0\n", passed, failed);
	return failed ? 1 : 0;
}

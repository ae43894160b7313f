/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for the platform in blkback's datapath tests: the "guest" is
 * a memfd whose page N is grant reference N; event channels are eventfds.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pvkit/arch.h"
#include "mock_platform.h"

struct mock_guest mock;

struct pv_evtchn {
	int efd; /* events the frontend sent us */
};

int mock_guest_init(unsigned int pages)
{
	memset(&mock, 0, sizeof(mock));
	mock.pages = pages;
	mock.memfd = memfd_create("mock-guest", MFD_CLOEXEC);
	if (mock.memfd < 0 || ftruncate(mock.memfd, (off_t)pages * PV_PAGE_SIZE) < 0)
		return -errno;
	mock.mem = mmap(NULL, (size_t)pages * PV_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			mock.memfd, 0);
	if (mock.mem == MAP_FAILED)
		return -errno;
	mock.readonly = calloc(pages, 1);
	mock.fe_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	for (unsigned int i = 0; i < MOCK_MAX_PORTS; i++)
		mock.be_efd[i] = -1;
	return mock.readonly && mock.fe_efd >= 0 ? 0 : -ENOMEM;
}

void mock_guest_fini(void)
{
	munmap(mock.mem, (size_t)mock.pages * PV_PAGE_SIZE);
	close(mock.memfd);
	close(mock.fe_efd);
	free(mock.readonly);
}

void *mock_page(unsigned int ref)
{
	return mock.mem + (size_t)ref * PV_PAGE_SIZE;
}

void *pv_gnt_map(struct pv_platform *p, pv_domid_t domid, unsigned int count,
		 const pv_grant_ref_t *refs, int writable)
{
	unsigned char *base;

	(void)p;
	(void)domid;
	if (count == 0 || count > PV_GNT_MAX_BATCH) {
		errno = EINVAL;
		return NULL;
	}
	base = mmap(NULL, (size_t)count * PV_PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	for (unsigned int i = 0; i < count; i++) {
		void *at = base + (size_t)i * PV_PAGE_SIZE;

		if (refs[i] >= mock.pages || (writable && mock.readonly[refs[i]]) ||
		    mmap(at, PV_PAGE_SIZE, PROT_READ | (writable ? PROT_WRITE : 0),
			 MAP_SHARED | MAP_FIXED, mock.memfd, (off_t)refs[i] * PV_PAGE_SIZE) == MAP_FAILED) {
			munmap(base, (size_t)count * PV_PAGE_SIZE); /* all or nothing */
			atomic_fetch_add(&mock.map_failures, 1);
			errno = refs[i] >= mock.pages ? EINVAL : EACCES;
			return NULL;
		}
	}
	atomic_fetch_add(&mock.mapped, count);
	return base;
}

int pv_gnt_unmap(struct pv_platform *p, void *addr, unsigned int count)
{
	(void)p;
	atomic_fetch_sub(&mock.mapped, count);
	return munmap(addr, (size_t)count * PV_PAGE_SIZE) ? -errno : 0;
}

/* The backend never grants; ring/gntpool.c links these in. */
void *pv_gnt_share_pages(struct pv_platform *p, pv_domid_t peer, unsigned int count,
			 pv_grant_ref_t *refs, int writable)
{
	(void)p;
	(void)peer;
	(void)count;
	(void)refs;
	(void)writable;
	errno = ENOSYS;
	return NULL;
}

int pv_gnt_unshare(struct pv_platform *p, void *addr, unsigned int count)
{
	(void)p;
	(void)addr;
	(void)count;
	return -ENOSYS;
}

int pv_evtchn_open(struct pv_platform *p, struct pv_evtchn **out)
{
	struct pv_evtchn *e = calloc(1, sizeof(*e));

	(void)p;
	if (!e)
		return -ENOMEM;
	e->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	*out = e;
	return 0;
}

void pv_evtchn_close(struct pv_evtchn *e)
{
	for (unsigned int i = 0; i < MOCK_MAX_PORTS; i++)
		if (mock.be_efd[i] == e->efd)
			mock.be_efd[i] = -1;
	close(e->efd);
	free(e);
}

int pv_evtchn_fd(struct pv_evtchn *e)
{
	return e->efd;
}

int pv_evtchn_bind_interdomain(struct pv_evtchn *e, pv_domid_t remote, pv_evtchn_port_t port)
{
	(void)remote;
	if (port >= MOCK_MAX_PORTS)
		return -EINVAL;
	mock.be_efd[port] = e->efd;
	return (int)port;
}

int pv_evtchn_notify(struct pv_evtchn *e, pv_evtchn_port_t port)
{
	uint64_t one = 1;

	(void)e;
	(void)port;
	atomic_fetch_add(&mock.notifies, 1);
	return write(mock.fe_efd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

int pv_evtchn_pending(struct pv_evtchn *e)
{
	uint64_t n;

	if (read(e->efd, &n, sizeof(n)) != sizeof(n))
		return -EAGAIN;
	for (unsigned int i = 0; i < MOCK_MAX_PORTS; i++)
		if (mock.be_efd[i] == e->efd)
			return (int)i;
	return -EAGAIN;
}

int pv_evtchn_unmask(struct pv_evtchn *e, pv_evtchn_port_t port)
{
	(void)e;
	(void)port;
	return 0;
}

void mock_notify_backend(unsigned int port)
{
	uint64_t one = 1;

	if (port < MOCK_MAX_PORTS && mock.be_efd[port] >= 0 &&
	    write(mock.be_efd[port], &one, sizeof(one)) != sizeof(one))
		abort();
}

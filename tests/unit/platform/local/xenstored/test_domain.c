/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for platform/local/xenstored/domain.c: real listening sockets
 * in a scratch run directory, their modes, INTRODUCE and RELEASE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "xsd_test.h"
#include "../../../../harness/cunit.h"

static char rundir[] = "/tmp/pvkit-xsd-test-XXXXXX";

/* Mode of domain @dom's socket, -1 if absent. */
static int mode_of(unsigned int dom)
{
	char path[256];
	struct stat st;

	if (dom == 0)
		snprintf(path, sizeof(path), "%s/xenstored.sock", rundir);
	else
		snprintf(path, sizeof(path), "%s/dom/%u/xenstored.sock", rundir, dom);
	if (stat(path, &st) < 0)
		return -1;
	return S_ISSOCK(st.st_mode) ? (int)(st.st_mode & 0777) : -2;
}

static int connect_to(unsigned int dom)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/dom/%u/xenstored.sock", rundir, dom);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Remove the scratch run directory; fails the test if a socket was left behind. */
static void cleanup_rundir(void)
{
	char dir[128];

	for (unsigned int d = 1; d < 10; d++) { /* made by xsd_listen, like pvkitd would */
		snprintf(dir, sizeof(dir), "%s/dom/%u", rundir, d);
		rmdir(dir);
	}
	snprintf(dir, sizeof(dir), "%s/dom", rundir);
	rmdir(dir);
	CU_ASSERT_EQUAL(rmdir(rundir), 0);
}

static void test_sockets(void)
{
	struct xsd *x = xt_daemon();
	int fd;

	strcpy(rundir, "/tmp/pvkit-xsd-test-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(rundir));
	x->rundir = rundir;
	x->epfd = epoll_create1(EPOLL_CLOEXEC);
	CU_ASSERT_EQUAL(xsd_listen(x, 0), 0);
	CU_ASSERT_EQUAL(mode_of(0), 0600);
	CU_ASSERT_EQUAL(xsd_introduce(x, 7), 0);
	CU_ASSERT_EQUAL(xsd_introduce(x, 7), 0); /* twice is harmless */
	CU_ASSERT_EQUAL(mode_of(7), 0666);
	fd = connect_to(7);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(xsd_accept(x, 7), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->conns);
	CU_ASSERT_EQUAL(x->conns->dom, 7);
	CU_ASSERT_EQUAL(xsd_release(x, 7), 0);
	CU_ASSERT_TRUE(x->conns->dead);
	CU_ASSERT_EQUAL(mode_of(7), -1);
	CU_ASSERT_EQUAL(connect_to(7), -1);
	CU_ASSERT_EQUAL(xsd_release(x, 7), -ENOENT);
	close(fd);
	xsd_unlisten(x, 0);
	CU_ASSERT_EQUAL(mode_of(0), -1);
	close(x->epfd);
	x->epfd = -1;
	xt_daemon_free(x);
	cleanup_rundir();
}

/* A guest cannot open more connections than its quota (3 in these tests). */
static void test_connection_quota(void)
{
	struct xsd *x = xt_daemon();
	int fds[4], n = 0;
	char c;

	strcpy(rundir, "/tmp/pvkit-xsd-test-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(rundir));
	x->rundir = rundir;
	x->epfd = epoll_create1(EPOLL_CLOEXEC);
	CU_ASSERT_EQUAL_FATAL(xsd_introduce(x, 8), 0);
	for (int i = 0; i < 4; i++) {
		fds[i] = connect_to(8);
		CU_ASSERT_FATAL(fds[i] >= 0);
	}
	CU_ASSERT_EQUAL(xsd_accept(x, 8), 0);
	for (struct xsd_conn *cn = x->conns; cn; cn = cn->next)
		n++;
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(x->doms[8]->nconns, 3);
	CU_ASSERT_EQUAL(read(fds[3], &c, 1), 0); /* the fourth was closed */
	CU_ASSERT_EQUAL(xsd_release(x, 8), 0);
	CU_ASSERT_EQUAL(x->doms[8]->nconns, 0);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	close(x->epfd);
	x->epfd = -1;
	xt_daemon_free(x);
	cleanup_rundir();
}

static CU_TestInfo tests[] = {
	{"connection quota", test_connection_quota},
	{"sockets: modes, introduce, release", test_sockets},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"xenstored domains", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

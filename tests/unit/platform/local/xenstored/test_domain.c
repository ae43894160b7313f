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

static void test_sockets(void)
{
	struct xsd *x = xt_daemon();
	char dir[128];
	int fd;

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
	snprintf(dir, sizeof(dir), "%s/dom/7", rundir); /* made by xsd_listen, like pvkitd would */
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/dom", rundir);
	rmdir(dir);
	CU_ASSERT_EQUAL(rmdir(rundir), 0); /* no socket left behind */
}

static CU_TestInfo tests[] = {
	{"sockets: modes, introduce, release", test_sockets},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"xenstored domains", NULL, NULL, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

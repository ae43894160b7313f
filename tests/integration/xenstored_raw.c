/* SPDX-License-Identifier: MIT */
/*
 * pvkit-xenstored against hostile clients on raw sockets: unknown types,
 * missing terminators, over-long lengths, truncated headers, garbage, a
 * client that never reads. Each case ends by checking the daemon still serves.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pvkit/proto/xs_wire.h"
#include "../harness/cunit.h"

static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static int raw_connect(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int send_msg(int fd, uint32_t type, uint32_t req, uint32_t tx, const void *p, size_t len)
{
	struct pv_xs_msg_hdr h = {.type = type, .req_id = req, .tx_id = tx, .len = (uint32_t)len};
	char buf[sizeof(h) + 8192];

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), p, len);
	return send(fd, buf, sizeof(h) + len, MSG_NOSIGNAL) == (ssize_t)(sizeof(h) + len) ? 0 : -1;
}

static int read_full(int fd, void *buf, size_t len, int ms)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, ms) <= 0)
			return -ETIMEDOUT;
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			return n == 0 ? -EPIPE : -errno;
		got += (size_t)n;
	}
	return 0;
}

/* One message; payload NUL-terminated in @p. 0, -EPIPE (closed) or -ETIMEDOUT. */
static int recv_msg(int fd, struct pv_xs_msg_hdr *h, char *p, int ms)
{
	int rc = read_full(fd, h, sizeof(*h), ms);

	if (rc < 0)
		return rc;
	if (h->len > PV_XS_PAYLOAD_MAX)
		return -EPROTO;
	rc = read_full(fd, p, h->len, ms);
	p[h->len] = 0;
	return rc;
}

/* Send one request and expect an error reply named @err. */
static void expect_error(uint32_t type, uint32_t tx, const void *p, size_t len, const char *err)
{
	struct pv_xs_msg_hdr h;
	char buf[PV_XS_PAYLOAD_MAX + 1];
	int fd = raw_connect();

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(send_msg(fd, type, 42, tx, p, len), 0);
	CU_ASSERT_EQUAL_FATAL(recv_msg(fd, &h, buf, 2000), 0);
	CU_ASSERT_EQUAL(h.type, PV_XS_ERROR);
	CU_ASSERT_EQUAL(h.req_id, 42);
	CU_ASSERT_STRING_EQUAL(buf, err);
	close(fd);
}

/* The daemon answers a fresh client. */
static int alive(void)
{
	struct pv_xs_msg_hdr h;
	char buf[PV_XS_PAYLOAD_MAX + 1];
	int fd = raw_connect(), ok;

	if (fd < 0)
		return 0;
	ok = send_msg(fd, PV_XS_DIRECTORY, 7, 0, "/local", 7) == 0 && recv_msg(fd, &h, buf, 2000) == 0 &&
	     h.type == PV_XS_DIRECTORY && h.req_id == 7 && strcmp(buf, "domain") == 0;
	close(fd);
	return ok;
}

/* Send raw bytes and expect the connection to be closed. */
static void expect_closed(const void *bytes, size_t len)
{
	char buf[PV_XS_PAYLOAD_MAX + 1];
	struct pv_xs_msg_hdr h;
	int fd = raw_connect(), rc;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(send(fd, bytes, len, MSG_NOSIGNAL), (ssize_t)len);
	do
		rc = recv_msg(fd, &h, buf, 2000);
	while (rc == 0); /* error replies may come first */
	CU_ASSERT_EQUAL(rc, -EPIPE);
	close(fd);
	CU_ASSERT_TRUE(alive());
}

static void test_bad_requests(void)
{
	expect_error(99, 0, "/\0", 2, "EINVAL");
	expect_error(20, 0, "/\0", 2, "EINVAL"); /* the removed RESTRICT */
	expect_error(PV_XS_WATCH_EVENT, 0, "/\0t\0", 4, "EINVAL");
	expect_error(PV_XS_ERROR, 0, "EINVAL\0", 7, "EINVAL");
	expect_error(PV_XS_READ, 0, "/local", 6, "EINVAL");          /* no terminator */
	expect_error(PV_XS_READ, 0, "", 0, "EINVAL");                /* no path */
	expect_error(PV_XS_READ, 0, "/a\0/b\0", 6, "EINVAL");        /* two paths */
	expect_error(PV_XS_WRITE, 0, "/local", 6, "EINVAL");         /* path unterminated */
	expect_error(PV_XS_WATCH, 0, "/local\0tok", 10, "EINVAL");   /* token unterminated */
	expect_error(PV_XS_READ, 777, "/local\0", 7, "ENOENT");      /* no such transaction */
	expect_error(PV_XS_TRANSACTION_END, 0, "T\0", 2, "ENOENT");
	expect_error(PV_XS_TRANSACTION_START, 5, "\0", 1, "EBUSY");
	expect_error(PV_XS_SET_PERMS, 0, "/local\0q5\0", 10, "EINVAL");
	expect_error(PV_XS_SET_PERMS, 0, "/local\0r99999\0", 14, "EINVAL");
	expect_error(PV_XS_DIRECTORY_PART, 0, "/local\0" "3\0", 9, "EINVAL");
	expect_error(PV_XS_READ, 0, "/a/../b\0", 8, "EINVAL");
	expect_error(PV_XS_READ, 0, "/a/\0", 4, "EINVAL");
	expect_error(PV_XS_WRITE, 0, "@special\0x", 10, "EINVAL");
	expect_error(PV_XS_INTRODUCE, 0, "0\0" "0\0" "0\0", 6, "EINVAL");
	expect_error(PV_XS_INTRODUCE, 0, "abc\0" "0\0" "0\0", 8, "EINVAL");
	expect_error(PV_XS_RELEASE, 0, "4000\0", 5, "ENOENT");
	expect_error(PV_XS_CONTROL, 0, "print\0x\0", 8, "ENOSYS");
	CU_ASSERT_TRUE(alive());
}

static void test_over_long_length(void)
{
	struct pv_xs_msg_hdr h = {.type = PV_XS_READ, .len = PV_XS_PAYLOAD_MAX + 1};

	expect_closed(&h, sizeof(h));
	h.len = 0xffffffffu;
	expect_closed(&h, sizeof(h));
}

static void test_truncated_and_garbage(void)
{
	uint8_t junk[512];
	int fd = raw_connect();

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(send(fd, "\x02\0\0\0\x01\0", 6, MSG_NOSIGNAL), 6); /* half a header */
	close(fd);
	CU_ASSERT_TRUE(alive());
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 131u + 17u);
	expect_closed(junk, sizeof(junk));
}

/* A client that never reads its events is bounded; the others keep going. */
static void test_slow_reader(void)
{
	static char token[1000], buf[PV_XS_PAYLOAD_MAX + 1];
	char req[1100];
	struct pv_xs_msg_hdr h;
	int slow = raw_connect(), fast = raw_connect(), events = 0, rc;
	const int writes = 3000;

	CU_ASSERT_FATAL(slow >= 0 && fast >= 0);
	memset(token, 't', sizeof(token) - 1);
	snprintf(req, sizeof(req), "/flood%c%s", 0, token);
	CU_ASSERT_EQUAL(send_msg(slow, PV_XS_WATCH, 1, 0, req, 7 + strlen(token) + 1), 0);
	for (int i = 0; i < writes; i++) {
		int n = snprintf(req, sizeof(req), "/flood/x%c%d", 0, i);

		CU_ASSERT_EQUAL_FATAL(send_msg(fast, PV_XS_WRITE, (uint32_t)i, 0, req, (size_t)n), 0);
		CU_ASSERT_EQUAL_FATAL(recv_msg(fast, &h, buf, 2000), 0);
		CU_ASSERT_EQUAL(h.type, PV_XS_WRITE);
	}
	CU_ASSERT_TRUE(alive());
	while ((rc = recv_msg(slow, &h, buf, 300)) == 0)
		events += h.type == PV_XS_WATCH_EVENT;
	CU_ASSERT(events > 0);
	CU_ASSERT(events < writes); /* some were dropped, not all queued */
	close(slow);
	close(fast);
}

/* A client that pipelines requests and never reads its replies. */
static void test_pipeline_without_reading(void)
{
	int fd = raw_connect(), sent = 0;

	CU_ASSERT_FATAL(fd >= 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 200000; i++) {
		if (send_msg(fd, PV_XS_DIRECTORY, (uint32_t)i, 0, "/local", 7) < 0)
			break;
		sent++;
	}
	CU_ASSERT(sent < 200000); /* the daemon stopped reading from it */
	CU_ASSERT_TRUE(alive());
	close(fd);
	CU_ASSERT_TRUE(alive());
}

static int setup(void)
{
	const char *rundir = getenv("PVKIT_RUNDIR");

	if (!rundir)
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/xenstored.sock", rundir);
	return alive() ? 0 : 1;
}

static CU_TestInfo raw_tests[] = {
	{"bad requests get error replies", test_bad_requests},
	{"over-long length closes the connection", test_over_long_length},
	{"truncated header and garbage", test_truncated_and_garbage},
	{"slow watch reader is bounded", test_slow_reader},
	{"pipelining without reading is bounded", test_pipeline_without_reading},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"xenstored hostile clients", setup, NULL, NULL, NULL, raw_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

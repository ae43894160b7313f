/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for frontends/blk/nbd-file.c and nbd-file-uring.c: the
 * synchronous operations and their fallbacks, opening (size, flags, bad
 * arguments), and both completion modes behind a real server and libnbd.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libnbd.h>

#include "pvkit/log.h"
#include "pvkit/nbd.h"
#include "../../../../frontends/blk/nbd-file.h"
#include "../../../harness/cunit.h"

#define FILE_SIZE (2u << 20)

static char dir[64], path[128], sock[128], uri[160];

static int make_file(uint64_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd >= 0 && ftruncate(fd, size) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void test_sync_ops(void)
{
	static uint8_t buf[65536], back[65536];
	int fd = make_file(FILE_SIZE);

	CU_ASSERT_FATAL(fd >= 0);
	memset(buf, 0x5a, sizeof(buf));
	CU_ASSERT_EQUAL(nbd_file_run(fd, PV_NBD_OP_WRITE, 4096, sizeof(buf), buf, PV_NBD_F_FUA), 0);
	CU_ASSERT_EQUAL(nbd_file_run(fd, PV_NBD_OP_READ, 4096, sizeof(back), back, 0), 0);
	CU_ASSERT(memcmp(buf, back, sizeof(buf)) == 0);
	/* NO_HOLE on a file system without ZERO_RANGE falls back to writing zeroes. */
	CU_ASSERT_EQUAL(nbd_file_run(fd, PV_NBD_OP_WRITE_ZEROES, 4096, 8192, NULL, PV_NBD_F_NO_HOLE), 0);
	CU_ASSERT_EQUAL(nbd_file_run(fd, PV_NBD_OP_WRITE_ZEROES, 12288, 8192, NULL, 0), 0);
	CU_ASSERT_EQUAL(nbd_file_run(fd, PV_NBD_OP_TRIM, 20480, 4096, NULL, 0), 0);
	CU_ASSERT_EQUAL(nbd_file_run(fd, PV_NBD_OP_FLUSH, 0, 0, NULL, 0), 0);
	CU_ASSERT_EQUAL(nbd_file_run(fd, PV_NBD_OP_READ, 4096, sizeof(back), back, 0), 0);
	CU_ASSERT(all_zero(back, 20480));
	CU_ASSERT(memcmp(back + 20480, buf + 20480, sizeof(buf) - 20480) == 0);
	/* Past the end of a file that shrank: zeroes, not stale bytes. */
	CU_ASSERT_EQUAL(ftruncate(fd, 8192), 0);
	memset(back, 0xee, sizeof(back));
	CU_ASSERT_EQUAL(nbd_file_run(fd, PV_NBD_OP_READ, 4096, sizeof(back), back, 0), 0);
	CU_ASSERT(all_zero(back, sizeof(back)));
	CU_ASSERT_EQUAL(nbd_file_run(fd, 99, 0, 512, buf, 0), -EINVAL);
	close(fd);
}

static void test_open(void)
{
	const struct pv_nbd_dev_ops *ops;
	struct pv_nbd_dev_info info;
	struct nbd_file *f;
	int fd = make_file(FILE_SIZE + 1000);

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL(nbd_file_open(path, true, NBD_FILE_THREADS, 2, 4096, &f, &info, &ops), 0);
	CU_ASSERT_EQUAL(info.size, FILE_SIZE); /* rounded down to a sector */
	CU_ASSERT_EQUAL(info.sector_size, 4096);
	CU_ASSERT(info.flags & PV_NBD_DEV_READ_ONLY);
	CU_ASSERT(info.flags & PV_NBD_DEV_FLUSH);
	CU_ASSERT(ops->submit && ops->kick && !ops->poll);
	nbd_file_close(f);
	CU_ASSERT_EQUAL(nbd_file_open(path, false, NBD_FILE_URING, 0, 512, &f, &info, &ops), 0);
	CU_ASSERT_FALSE(info.flags & PV_NBD_DEV_READ_ONLY);
	CU_ASSERT(ops->poll && ops->poll_fd);
	nbd_file_close(f);
	CU_ASSERT_EQUAL(nbd_file_open(path, false, NBD_FILE_THREADS, 0, 512, &f, &info, &ops), -EINVAL);
	CU_ASSERT_EQUAL(nbd_file_open(dir, true, NBD_FILE_URING, 0, 512, &f, &info, &ops), -EINVAL);
	CU_ASSERT_EQUAL(nbd_file_open("/nonexistent/x", true, NBD_FILE_URING, 0, 512, &f, &info, &ops),
			-ENOENT);
}

static void *run_server(void *arg)
{
	return (void *)(intptr_t)pv_nbd_server_run(arg);
}

/* Through a server: many requests in flight, zeroes, trim, FUA, a shrunken file. */
static void served(enum nbd_file_io mode)
{
	enum { N = 32, LEN = 16384 };
	static uint8_t bufs[N][LEN], back[N][LEN];
	struct pv_nbd_server_config cfg = {.socket_path = sock};
	const struct pv_nbd_dev_ops *ops;
	struct pv_nbd_server *srv;
	struct pv_nbd_dev_info info;
	struct nbd_handle *h;
	struct nbd_file *f;
	pthread_t thr;
	int fd = make_file(FILE_SIZE);
	int64_t cookies[N];

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(nbd_file_open(path, false, mode, 3, 512, &f, &info, &ops) == 0);
	CU_ASSERT_FATAL(pv_nbd_server_new(&cfg, &info, ops, f, &srv) == 0);
	CU_ASSERT_FATAL(pthread_create(&thr, NULL, run_server, srv) == 0);
	h = nbd_create();
	CU_ASSERT_FATAL(h && nbd_connect_uri(h, uri) == 0);
	for (int i = 0; i < N; i++) {
		memset(bufs[i], 0x10 + i, LEN);
		cookies[i] = nbd_aio_pwrite(h, bufs[i], LEN, (uint64_t)i * LEN, NBD_NULL_COMPLETION,
					    i % 4 ? 0 : LIBNBD_CMD_FLAG_FUA);
	}
	for (int i = 0; i < N; i++) {
		while (nbd_aio_command_completed(h, cookies[i]) == 0)
			nbd_poll(h, -1);
		cookies[i] = nbd_aio_pread(h, back[i], LEN, (uint64_t)i * LEN, NBD_NULL_COMPLETION, 0);
	}
	for (int i = 0; i < N; i++) {
		while (nbd_aio_command_completed(h, cookies[i]) == 0)
			nbd_poll(h, -1);
		CU_ASSERT(memcmp(bufs[i], back[i], LEN) == 0);
	}
	CU_ASSERT_EQUAL(nbd_zero(h, LEN, 0, LIBNBD_CMD_FLAG_NO_HOLE), 0);
	CU_ASSERT_EQUAL(nbd_trim(h, LEN, LEN, 0), 0);
	CU_ASSERT_EQUAL(nbd_flush(h, 0), 0);
	CU_ASSERT_EQUAL(nbd_pread(h, back[0], 2 * LEN, 0, 0), 0);
	CU_ASSERT(all_zero(back[0], 2 * LEN));
	CU_ASSERT_EQUAL(ftruncate(fd, LEN), 0); /* shrinks under the server */
	CU_ASSERT_EQUAL(nbd_pread(h, back[0], LEN, 4 * LEN, 0), 0);
	CU_ASSERT(all_zero(back[0], LEN));
	nbd_close(h);
	pv_nbd_server_stop(srv);
	pthread_join(thr, NULL);
	pv_nbd_server_free(srv);
	nbd_file_close(f);
	close(fd);
}

static void test_served_uring(void)
{
	served(NBD_FILE_URING);
}

static void test_served_threads(void)
{
	served(NBD_FILE_THREADS);
}

static int suite_init(void)
{
	pv_log_set_level(PV_LOG_ERR);
	strcpy(dir, "/tmp/pvkit-nbdf-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/disk", dir);
	snprintf(sock, sizeof(sock), "%s/nbd.sock", dir);
	snprintf(uri, sizeof(uri), "nbd+unix:///?socket=%s", sock);
	return 0;
}

static int suite_clean(void)
{
	unlink(path);
	rmdir(dir);
	return 0;
}

static CU_TestInfo tests[] = {
	{"synchronous operations and fallbacks", test_sync_ops},
	{"open: size, flags, bad arguments", test_open},
	{"served through io_uring", test_served_uring},
	{"served through worker threads", test_served_threads},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"nbd-file", suite_init, suite_clean, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

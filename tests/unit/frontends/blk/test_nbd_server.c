/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for frontends/blk/nbd-server.c and nbd-handshake.c: the server
 * in a thread over a mock device (completing inline, from another thread in
 * reverse order, or holding requests), driven by libnbd.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libnbd.h>

#include "pvkit/log.h"
#include "pvkit/nbd.h"
#include "../../../harness/cunit.h"

#define DISK_SIZE (4u << 20)
#define EIO_ZONE (1u << 20)    /* reads here fail with EIO */
#define ENOSPC_ZONE (2u << 20) /* writes here fail with ENOSPC */
#define NOTSUP_ZONE (3u << 20) /* writes and trims here fail with EOPNOTSUPP */
#define ZONE_LEN (64u << 10)

enum mock_mode { MOCK_SYNC, MOCK_ASYNC, MOCK_HOLD };

struct mreq {
	struct pv_nbd_io *io;
	enum pv_nbd_op op;
	uint64_t off;
	uint32_t len;
	void *buf;
	uint32_t flags;
};

struct mock {
	uint8_t *disk;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum mock_mode mode;
	struct mreq pending[512];
	int npending;
	int max_batch;          /* most requests completed in one batch */
	struct mreq log[4096];  /* every submit, in order (io not kept) */
	int nlog;
	bool quit;
	pthread_t thread;
};

static struct mock m;
static struct pv_nbd_server *srv;
static pthread_t srv_thread;
static char dir[64], sock[128], uri[160];

static bool in_zone(uint64_t off, uint32_t len, uint64_t zone)
{
	return off < zone + ZONE_LEN && off + len > zone;
}

static int execute(const struct mreq *r)
{
	switch (r->op) {
	case PV_NBD_OP_READ:
		if (in_zone(r->off, r->len, EIO_ZONE))
			return -EIO;
		memcpy(r->buf, m.disk + r->off, r->len);
		return 0;
	case PV_NBD_OP_WRITE:
		if (in_zone(r->off, r->len, ENOSPC_ZONE))
			return -ENOSPC;
		if (in_zone(r->off, r->len, NOTSUP_ZONE))
			return -EOPNOTSUPP;
		memcpy(m.disk + r->off, r->buf, r->len);
		return 0;
	case PV_NBD_OP_TRIM:
		if (in_zone(r->off, r->len, NOTSUP_ZONE))
			return -EOPNOTSUPP;
		/* fall through */
	case PV_NBD_OP_WRITE_ZEROES:
		memset(m.disk + r->off, 0, r->len);
		return 0;
	default:
		return 0;
	}
}

static void mock_submit(void *opaque, struct pv_nbd_io *io, enum pv_nbd_op op, uint64_t off,
			uint32_t len, void *buf, uint32_t flags)
{
	struct mreq r = {.io = io, .op = op, .off = off, .len = len, .buf = buf, .flags = flags};

	(void)opaque;
	pthread_mutex_lock(&m.lock);
	if (m.nlog < 4096)
		m.log[m.nlog++] = r;
	if (m.mode != MOCK_SYNC) {
		CU_ASSERT_FATAL(m.npending < 512);
		m.pending[m.npending++] = r;
		pthread_mutex_unlock(&m.lock);
		return;
	}
	pthread_mutex_unlock(&m.lock);
	pv_nbd_complete(io, execute(&r)); /* inline, before submit returns */
}

static void mock_kick(void *opaque)
{
	(void)opaque;
	pthread_mutex_lock(&m.lock);
	pthread_cond_signal(&m.cond);
	pthread_mutex_unlock(&m.lock);
}

/* Completes each batch from its own thread, last submitted first. */
static void *mock_thread(void *arg)
{
	static struct mreq batch[512];

	(void)arg;
	pthread_mutex_lock(&m.lock);
	while (!m.quit) {
		int n = m.npending;

		if (n == 0 || m.mode == MOCK_HOLD) {
			pthread_cond_wait(&m.cond, &m.lock);
			continue;
		}
		memcpy(batch, m.pending, n * sizeof(batch[0]));
		m.npending = 0;
		if (n > m.max_batch)
			m.max_batch = n;
		pthread_mutex_unlock(&m.lock);
		for (int i = n - 1; i >= 0; i--)
			pv_nbd_complete(batch[i].io, execute(&batch[i]));
		pthread_mutex_lock(&m.lock);
	}
	pthread_mutex_unlock(&m.lock);
	return NULL;
}

static void mock_set_mode(enum mock_mode mode)
{
	pthread_mutex_lock(&m.lock);
	m.mode = mode;
	m.nlog = 0;
	m.max_batch = 0;
	pthread_cond_signal(&m.cond);
	pthread_mutex_unlock(&m.lock);
}

static int mock_pending(void)
{
	int n;

	pthread_mutex_lock(&m.lock);
	n = m.npending;
	pthread_mutex_unlock(&m.lock);
	return n;
}

static const struct pv_nbd_dev_ops mock_ops = {.submit = mock_submit, .kick = mock_kick};

static void *run_server(void *arg)
{
	return (void *)(intptr_t)pv_nbd_server_run(arg);
}

/* Start a server with device @flags and largest request @max (0: the default). */
static void start_max(uint32_t flags, uint32_t max)
{
	struct pv_nbd_server_config cfg = {.socket_path = sock, .description = "mock disk"};
	struct pv_nbd_dev_info info = {.size = DISK_SIZE, .sector_size = 512, .max_request = max,
				       .flags = flags};

	CU_ASSERT_FATAL(pv_nbd_server_new(&cfg, &info, &mock_ops, &m, &srv) == 0);
	CU_ASSERT_FATAL(pthread_create(&srv_thread, NULL, run_server, srv) == 0);
}

/* Start a server with device @flags (every test gets a fresh one). */
static void start(uint32_t flags)
{
	start_max(flags, 0);
}

static void stop(void)
{
	void *rc;

	mock_set_mode(MOCK_ASYNC); /* release anything held */
	pv_nbd_server_stop(srv);
	pthread_join(srv_thread, &rc);
	CU_ASSERT_EQUAL((intptr_t)rc, 0);
	pv_nbd_server_free(srv);
	CU_ASSERT_EQUAL(access(sock, F_OK), -1); /* socket removed */
}

static struct nbd_handle *client(bool structured)
{
	struct nbd_handle *h = nbd_create();

	CU_ASSERT_FATAL(h != NULL);
	nbd_set_request_structured_replies(h, structured);
	nbd_set_strict_mode(h, 0); /* let the server, not libnbd, refuse things */
	CU_ASSERT_FATAL(nbd_connect_uri(h, uri) == 0);
	return h;
}

#define ALL_FEATURES (PV_NBD_DEV_FLUSH | PV_NBD_DEV_TRIM | PV_NBD_DEV_WRITE_ZEROES | PV_NBD_DEV_MULTI_CONN)

static void test_info(void)
{
	static uint8_t buf[4096];
	struct nbd_handle *h;

	start(ALL_FEATURES);
	h = client(true);
	CU_ASSERT_EQUAL(nbd_get_size(h), DISK_SIZE);
	CU_ASSERT_EQUAL(nbd_get_block_size(h, LIBNBD_SIZE_MINIMUM), 512);
	CU_ASSERT_EQUAL(nbd_get_block_size(h, LIBNBD_SIZE_PREFERRED), 4096);
	CU_ASSERT_EQUAL(nbd_get_block_size(h, LIBNBD_SIZE_MAXIMUM), PV_NBD_MAX_REQUEST);
	CU_ASSERT_EQUAL(nbd_can_flush(h), 1);
	CU_ASSERT_EQUAL(nbd_can_fua(h), 1);
	CU_ASSERT_EQUAL(nbd_can_trim(h), 1);
	CU_ASSERT_EQUAL(nbd_can_zero(h), 1);
	CU_ASSERT_EQUAL(nbd_can_multi_conn(h), 1);
	CU_ASSERT_EQUAL(nbd_is_read_only(h), 0);
	CU_ASSERT_EQUAL(nbd_get_structured_replies_negotiated(h), 1);
	nbd_close(h);
	stop();
	/* A bare device offers nothing beyond read and write. */
	start(0);
	h = client(true);
	CU_ASSERT_EQUAL(nbd_can_flush(h), 0);
	CU_ASSERT_EQUAL(nbd_can_fua(h), 0);
	CU_ASSERT_EQUAL(nbd_can_trim(h), 0);
	CU_ASSERT_EQUAL(nbd_can_zero(h), 0);
	CU_ASSERT_EQUAL(nbd_can_multi_conn(h), 0);
	CU_ASSERT_EQUAL(nbd_flush(h, 0), -1);
	CU_ASSERT_EQUAL(nbd_get_errno(), EINVAL);
	mock_set_mode(MOCK_ASYNC);
	CU_ASSERT_EQUAL(nbd_pwrite(h, buf, sizeof(buf), 0, LIBNBD_CMD_FLAG_FUA), -1);
	CU_ASSERT_EQUAL(nbd_get_errno(), EINVAL); /* FUA not offered: refused, never a device flush */
	CU_ASSERT_EQUAL(m.nlog, 0);
	nbd_close(h);
	stop();
}

/* Many writes then reads in flight, completed in reverse order from another thread. */
static void pipelined(bool structured, enum mock_mode mode)
{
	enum { N = 48, LEN = 8192 };
	static uint8_t bufs[N][LEN], back[N][LEN];
	int64_t cookies[N];
	struct nbd_handle *h;

	mock_set_mode(mode);
	start(ALL_FEATURES);
	h = client(structured);
	for (int i = 0; i < N; i++) {
		memset(bufs[i], i + 1, LEN);
		cookies[i] = nbd_aio_pwrite(h, bufs[i], LEN, (uint64_t)i * LEN, NBD_NULL_COMPLETION, 0);
		CU_ASSERT(cookies[i] > 0);
	}
	for (int i = 0; i < N; i++)
		while (nbd_aio_command_completed(h, cookies[i]) == 0)
			nbd_poll(h, -1);
	for (int i = 0; i < N; i++)
		cookies[i] = nbd_aio_pread(h, back[i], LEN, (uint64_t)i * LEN, NBD_NULL_COMPLETION, 0);
	for (int i = 0; i < N; i++) {
		int rc;

		while ((rc = nbd_aio_command_completed(h, cookies[i])) == 0)
			nbd_poll(h, -1);
		CU_ASSERT_EQUAL(rc, 1);
		CU_ASSERT(memcmp(bufs[i], back[i], LEN) == 0);
	}
	if (mode == MOCK_ASYNC)
		CU_ASSERT(m.max_batch > 1); /* several requests reached the device at once */
	nbd_close(h);
	stop();
}

static void test_pipelined_async(void)
{
	pipelined(true, MOCK_ASYNC);
}

static void test_pipelined_sync_simple(void)
{
	pipelined(false, MOCK_SYNC);
	mock_set_mode(MOCK_ASYNC);
}

static void errors(bool structured)
{
	static uint8_t buf[4096];
	struct nbd_handle *h;

	start(ALL_FEATURES);
	h = client(structured);
	CU_ASSERT_EQUAL(nbd_pread(h, buf, sizeof(buf), EIO_ZONE, 0), -1);
	CU_ASSERT_EQUAL(nbd_get_errno(), EIO);
	CU_ASSERT_EQUAL(nbd_pwrite(h, buf, sizeof(buf), ENOSPC_ZONE, 0), -1);
	CU_ASSERT_EQUAL(nbd_get_errno(), ENOSPC);
	CU_ASSERT_EQUAL(nbd_pread(h, buf, sizeof(buf), DISK_SIZE, 0), -1);
	CU_ASSERT_EQUAL(nbd_get_errno(), EINVAL);
	CU_ASSERT_EQUAL(nbd_pread(h, buf, 100, 0, 0), -1); /* below the minimum block size */
	CU_ASSERT_EQUAL(nbd_get_errno(), EINVAL);
	/* EOPNOTSUPP from the device: a trim (a hint) succeeds, a write fails with EIO. */
	CU_ASSERT_EQUAL(nbd_trim(h, sizeof(buf), NOTSUP_ZONE, 0), 0);
	CU_ASSERT_EQUAL(nbd_pwrite(h, buf, sizeof(buf), NOTSUP_ZONE, 0), -1);
	CU_ASSERT_EQUAL(nbd_get_errno(), EIO);
	CU_ASSERT_EQUAL(nbd_pread(h, buf, sizeof(buf), 0, 0), 0); /* still in step */
	nbd_close(h);
	stop();
}

static void test_errors_structured(void)
{
	errors(true);
}

static void test_errors_simple(void)
{
	errors(false);
}

static int count_ops(enum pv_nbd_op op, uint32_t flags)
{
	int n = 0;

	for (int i = 0; i < m.nlog; i++)
		n += m.log[i].op == op && m.log[i].flags == flags;
	return n;
}

/* Without device FUA the server writes, then flushes, then replies. */
static void test_fua(void)
{
	static uint8_t buf[4096];
	struct nbd_handle *h;

	mock_set_mode(MOCK_ASYNC);
	start(ALL_FEATURES);
	h = client(true);
	CU_ASSERT_EQUAL(nbd_pwrite(h, buf, sizeof(buf), 0, LIBNBD_CMD_FLAG_FUA), 0);
	CU_ASSERT_EQUAL(m.nlog, 2);
	CU_ASSERT_EQUAL(m.log[0].op, PV_NBD_OP_WRITE);
	CU_ASSERT_EQUAL(m.log[0].flags, 0);
	CU_ASSERT_EQUAL(m.log[1].op, PV_NBD_OP_FLUSH);
	nbd_close(h);
	stop();
	mock_set_mode(MOCK_ASYNC);
	start(ALL_FEATURES | PV_NBD_DEV_FUA);
	h = client(true);
	CU_ASSERT_EQUAL(nbd_pwrite(h, buf, sizeof(buf), 0, LIBNBD_CMD_FLAG_FUA), 0);
	CU_ASSERT_EQUAL(count_ops(PV_NBD_OP_WRITE, PV_NBD_F_FUA), 1);
	CU_ASSERT_EQUAL(count_ops(PV_NBD_OP_FLUSH, 0), 0);
	nbd_close(h);
	stop();
	/*
	 * FUA on a read or a flush: accepted (the NBD spec: valid on every
	 * command once offered), and it costs no extra flush.
	 */
	mock_set_mode(MOCK_ASYNC);
	start(ALL_FEATURES);
	h = client(true);
	CU_ASSERT_EQUAL(nbd_pread(h, buf, sizeof(buf), 0, LIBNBD_CMD_FLAG_FUA), 0);
	CU_ASSERT_EQUAL(nbd_flush(h, LIBNBD_CMD_FLAG_FUA), 0);
	CU_ASSERT_EQUAL(m.nlog, 2);
	CU_ASSERT_EQUAL(count_ops(PV_NBD_OP_READ, 0), 1);
	CU_ASSERT_EQUAL(count_ops(PV_NBD_OP_FLUSH, 0), 1);
	nbd_close(h);
	stop();
}

static void test_trim_zero(void)
{
	static uint8_t buf[8192], back[8192];
	struct nbd_handle *h;

	mock_set_mode(MOCK_ASYNC);
	start(ALL_FEATURES);
	h = client(true);
	memset(buf, 0xab, sizeof(buf));
	CU_ASSERT_EQUAL(nbd_pwrite(h, buf, sizeof(buf), 65536, 0), 0);
	CU_ASSERT_EQUAL(nbd_zero(h, 4096, 65536, LIBNBD_CMD_FLAG_NO_HOLE), 0);
	CU_ASSERT_EQUAL(nbd_trim(h, 4096, 65536 + 4096, 0), 0);
	CU_ASSERT_EQUAL(nbd_pread(h, back, sizeof(back), 65536, 0), 0);
	memset(buf, 0, sizeof(buf));
	CU_ASSERT(memcmp(buf, back, sizeof(back)) == 0);
	CU_ASSERT_EQUAL(count_ops(PV_NBD_OP_WRITE_ZEROES, PV_NBD_F_NO_HOLE), 1);
	CU_ASSERT_EQUAL(count_ops(PV_NBD_OP_TRIM, 0), 1);
	nbd_close(h);
	stop();
}

/*
 * The maximum block size bounds what carries or returns a payload; a TRIM
 * may be longer (NBD spec, "Block size constraints": qemu's client sends
 * discards of up to 2 GiB, the kernel's of any size), and a WRITE_ZEROES
 * too (nbdcopy zeroes a whole hole of a sparse image in one request).
 */
static void test_trim_past_max(void)
{
	static uint8_t buf[2u << 20];
	struct nbd_handle *h;

	mock_set_mode(MOCK_ASYNC);
	start_max(ALL_FEATURES, 1u << 20);
	h = client(true);
	CU_ASSERT_EQUAL(nbd_get_block_size(h, LIBNBD_SIZE_MAXIMUM), 1u << 20);
	CU_ASSERT_EQUAL(nbd_trim(h, 2u << 20, 0, 0), 0);
	CU_ASSERT_EQUAL(count_ops(PV_NBD_OP_TRIM, 0), 1);
	CU_ASSERT_EQUAL(m.log[0].len, 2u << 20);
	CU_ASSERT_EQUAL(nbd_trim(h, DISK_SIZE, 0, LIBNBD_CMD_FLAG_FUA), 0); /* the whole disk */
	CU_ASSERT_EQUAL(nbd_trim(h, DISK_SIZE, 512, 0), -1);                /* past its end */
	CU_ASSERT_EQUAL(nbd_get_errno(), EINVAL);
	CU_ASSERT_EQUAL(nbd_zero(h, 3u << 20, 0, 0), 0);
	CU_ASSERT_EQUAL(count_ops(PV_NBD_OP_WRITE_ZEROES, 0), 1);
	CU_ASSERT_EQUAL(nbd_pread(h, buf, sizeof(buf), 0, 0), -1);
	CU_ASSERT_EQUAL(nbd_get_errno(), EINVAL);
	CU_ASSERT_EQUAL(nbd_pwrite(h, buf, sizeof(buf), 0, 0), -1);
	CU_ASSERT_EQUAL(nbd_get_errno(), EINVAL);
	CU_ASSERT_EQUAL(count_ops(PV_NBD_OP_READ, 0) + count_ops(PV_NBD_OP_WRITE, 0), 0);
	nbd_close(h);
	stop();
}

static void test_read_only(void)
{
	static uint8_t buf[4096], big[2u << 20];
	struct nbd_handle *h;

	mock_set_mode(MOCK_ASYNC);
	start(ALL_FEATURES | PV_NBD_DEV_READ_ONLY);
	h = client(true);
	CU_ASSERT_EQUAL(nbd_is_read_only(h), 1);
	CU_ASSERT_EQUAL(nbd_pwrite(h, buf, sizeof(buf), 0, 0), -1);
	CU_ASSERT_EQUAL(nbd_get_errno(), EPERM);
	/* Larger than the socket holds: the refusal comes once the payload is in. */
	CU_ASSERT_EQUAL(nbd_pwrite(h, big, sizeof(big), 0, 0), -1);
	CU_ASSERT_EQUAL(nbd_get_errno(), EPERM);
	CU_ASSERT_EQUAL(nbd_zero(h, 4096, 0, 0), -1);
	CU_ASSERT_EQUAL(nbd_get_errno(), EPERM);
	CU_ASSERT_EQUAL(count_ops(PV_NBD_OP_WRITE, 0), 0); /* the device never saw them */
	CU_ASSERT_EQUAL(nbd_pread(h, buf, sizeof(buf), 0, 0), 0);
	nbd_close(h);
	stop();
}

/* A client leaves with requests at the device; their completions come later. */
static void test_disconnect_inflight(void)
{
	static uint8_t buf[8][4096];
	struct nbd_handle *h;

	mock_set_mode(MOCK_HOLD);
	start(ALL_FEATURES);
	h = client(true);
	for (int i = 0; i < 8; i++)
		CU_ASSERT(nbd_aio_pread(h, buf[i], 4096, i * 4096, NBD_NULL_COMPLETION, 0) > 0);
	for (int i = 0; i < 200 && mock_pending() < 8; i++)
		usleep(5000);
	CU_ASSERT_EQUAL(mock_pending(), 8);
	nbd_close(h);
	usleep(20000);
	mock_set_mode(MOCK_ASYNC); /* complete into the closed connection */
	h = client(true);
	CU_ASSERT_EQUAL(nbd_pread(h, buf[0], 4096, 0, 0), 0);
	nbd_close(h);
	stop();
}

/* Five clients asking 80 MiB each: the server holds about 256 MiB of buffers at most. */
static void test_server_budget(void)
{
	enum { CLIENTS = 5, EACH = 80, LEN = 1u << 20 };
	static uint8_t buf[1u << 20];
	struct nbd_handle *h[CLIENTS];
	int64_t cookies[CLIENTS][EACH];

	mock_set_mode(MOCK_HOLD);
	start(ALL_FEATURES);
	for (int c = 0; c < CLIENTS; c++) {
		h[c] = client(true);
		for (int i = 0; i < EACH; i++)
			cookies[c][i] = nbd_aio_pread(h[c], buf, LEN, 3u << 20, NBD_NULL_COMPLETION, 0);
	}
	/* The budget fills (256 MiB / 1 MiB), then nothing more arrives... */
	for (int i = 0; i < 400 && mock_pending() < 256; i++)
		usleep(50000);
	usleep(200000);
	/* ...but at most one request for each client that held nothing. */
	CU_ASSERT(mock_pending() >= 256 && mock_pending() <= 256 + CLIENTS);
	mock_set_mode(MOCK_ASYNC);
	for (int c = 0; c < CLIENTS; c++) {
		for (int i = 0; i < EACH; i++) {
			int rc;

			while ((rc = nbd_aio_command_completed(h[c], cookies[c][i])) == 0)
				nbd_poll(h[c], -1);
			CU_ASSERT_EQUAL(rc, 1);
		}
		nbd_close(h[c]);
	}
	stop();
}

/*
 * One client writing 80 MiB: input pauses at the connection's 64 MiB
 * (NBD_CONN_BUDGET), and resumes once writes complete (their buffers go back at completion, before
 * the replies are read).
 */
static void test_conn_budget_writes(void)
{
	enum { EACH = 80, LEN = 1u << 20 };
	static uint8_t buf[1u << 20];
	int64_t cookies[EACH];
	struct nbd_handle *h;

	mock_set_mode(MOCK_HOLD);
	start(ALL_FEATURES);
	h = client(true);
	for (int i = 0; i < EACH; i++)
		cookies[i] = nbd_aio_pwrite(h, buf, LEN, 0, NBD_NULL_COMPLETION, 0);
	for (int i = 0; i < 400 && mock_pending() < 64; i++)
		nbd_poll(h, 50);
	for (int i = 0; i < 4; i++)
		nbd_poll(h, 50);
	/* 64 buffers: the last one's payload waits for budget (it counts from its header). */
	CU_ASSERT(mock_pending() >= 63 && mock_pending() <= 64);
	mock_set_mode(MOCK_ASYNC);
	for (int i = 0; i < EACH; i++) {
		int rc;

		while ((rc = nbd_aio_command_completed(h, cookies[i])) == 0)
			nbd_poll(h, -1);
		CU_ASSERT_EQUAL(rc, 1);
	}
	nbd_close(h);
	stop();
}

/* Stopping waits for requests still at the device. */
static void test_stop_waits(void)
{
	static uint8_t buf[4096];
	struct nbd_handle *h;

	mock_set_mode(MOCK_HOLD);
	start(ALL_FEATURES);
	h = client(true);
	CU_ASSERT(nbd_aio_pread(h, buf, 4096, 0, NBD_NULL_COMPLETION, 0) > 0);
	for (int i = 0; i < 200 && mock_pending() < 1; i++)
		usleep(5000);
	pv_nbd_server_stop(srv);
	usleep(50000);
	CU_ASSERT_EQUAL(pthread_tryjoin_np(srv_thread, NULL), EBUSY);
	nbd_close(h);
	stop(); /* releases the held read, then joins */
}

static void test_bad_config(void)
{
	struct pv_nbd_server_config cfg = {.socket_path = sock};
	struct pv_nbd_dev_info info = {.size = DISK_SIZE, .sector_size = 1000};
	struct pv_nbd_server *s;

	CU_ASSERT_EQUAL(pv_nbd_server_new(&cfg, &info, &mock_ops, &m, &s), -EINVAL);
	info.sector_size = 4096;
	info.size = DISK_SIZE + 512;
	CU_ASSERT_EQUAL(pv_nbd_server_new(&cfg, &info, &mock_ops, &m, &s), -EINVAL);
	info.size = DISK_SIZE;
	cfg.socket_path = NULL;
	CU_ASSERT_EQUAL(pv_nbd_server_new(&cfg, &info, &mock_ops, &m, &s), -EINVAL);
}

static int suite_init(void)
{
	pv_log_set_level(PV_LOG_ERR);
	strcpy(dir, "/tmp/pvkit-nbd-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock, sizeof(sock), "%s/nbd.sock", dir);
	snprintf(uri, sizeof(uri), "nbd+unix:///?socket=%s", sock);
	m.disk = calloc(1, DISK_SIZE);
	pthread_mutex_init(&m.lock, NULL);
	pthread_cond_init(&m.cond, NULL);
	m.mode = MOCK_ASYNC;
	return m.disk && pthread_create(&m.thread, NULL, mock_thread, NULL) == 0 ? 0 : -1;
}

static int suite_clean(void)
{
	pthread_mutex_lock(&m.lock);
	m.quit = true;
	pthread_cond_signal(&m.cond);
	pthread_mutex_unlock(&m.lock);
	pthread_join(m.thread, NULL);
	free(m.disk);
	rmdir(dir);
	return 0;
}

static CU_TestInfo tests[] = {
	{"info and transmission flags", test_info},
	{"pipelined, reverse-order async completion", test_pipelined_async},
	{"pipelined, inline completion, simple replies", test_pipelined_sync_simple},
	{"device errors, structured replies", test_errors_structured},
	{"device errors, simple replies", test_errors_simple},
	{"FUA: emulated by flush, or passed to the device", test_fua},
	{"trim and write-zeroes reach the device", test_trim_zero},
	{"trim and write-zeroes may be longer than the maximum block size", test_trim_past_max},
	{"read-only export refuses writes", test_read_only},
	{"disconnect with requests in flight", test_disconnect_inflight},
	{"server-wide buffer budget", test_server_budget},
	{"connection budget: writes resume after completion", test_conn_budget_writes},
	{"stop waits for in-flight requests", test_stop_waits},
	{"invalid settings refused", test_bad_config},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"nbd-server", suite_init, suite_clean, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

/* SPDX-License-Identifier: MIT */
/*
 * Hostile NBD clients in raw protocol: bad magic, unknown options and
 * commands, out-of-range and oversized requests, truncated frames. The
 * server must answer each with the right error or hang up, and keep serving.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../frontends/blk/nbd.h"
#include "nbd-probe.h"

static const char *sock_path;
static uint64_t export_size;

static int hconnect(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 5};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("pvkit-nbd-probe: connect");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static int sendall(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k <= 0)
			return -1;
		p = (const uint8_t *)p + k;
		n -= k;
	}
	return 0;
}

static int recvall(int fd, void *p, size_t n)
{
	while (n) {
		ssize_t k = recv(fd, p, n, 0);

		if (k <= 0)
			return -1;
		p = (uint8_t *)p + k;
		n -= k;
	}
	return 0;
}

/* The server hung up (EOF or reset) within the receive timeout. */
static int hung_up(int fd)
{
	uint8_t junk[4096];
	ssize_t k;

	while ((k = recv(fd, junk, sizeof(junk), 0)) > 0)
		;
	return k == 0 || errno == ECONNRESET;
}

/* Read the greeting and send client flags. */
static int greet(int fd, uint32_t flags)
{
	uint8_t g[18], f[4];

	if (recvall(fd, g, sizeof(g)) < 0 || nbd_get64(g) != NBD_MAGIC_INIT ||
	    nbd_get64(g + 8) != NBD_MAGIC_OPT)
		return -1;
	nbd_put32(f, flags);
	return sendall(fd, f, 4);
}

static int send_opt(int fd, uint32_t opt, const void *data, uint32_t len)
{
	uint8_t h[16];

	nbd_put64(h, NBD_MAGIC_OPT);
	nbd_put32(h + 8, opt);
	nbd_put32(h + 12, len);
	if (sendall(fd, h, sizeof(h)) < 0)
		return -1;
	return len ? sendall(fd, data, len) : 0;
}

/* One option reply; its data (up to 64 bytes kept) in @data. Returns the reply type or 0. */
static uint32_t opt_reply(int fd, uint32_t opt, uint8_t *data, uint32_t *len)
{
	uint8_t h[20], skip[64];

	if (recvall(fd, h, sizeof(h)) < 0 || nbd_get64(h) != NBD_MAGIC_OPT_REPLY ||
	    nbd_get32(h + 8) != opt)
		return 0;
	*len = nbd_get32(h + 16);
	for (uint32_t left = *len; left;) {
		uint32_t n = left < sizeof(skip) ? left : sizeof(skip);

		if (recvall(fd, data && left == *len ? data : skip, n) < 0)
			return 0;
		left -= n;
	}
	return nbd_get32(h + 12);
}

/* GO with the default export; records its size. Returns 0 once in transmission. */
static int go(int fd, int structured)
{
	uint8_t req[6] = {0}, data[64];
	uint32_t type, len;

	if (greet(fd, NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES) < 0)
		return -1;
	if (structured && (send_opt(fd, NBD_OPT_STRUCTURED_REPLY, NULL, 0) < 0 ||
			   opt_reply(fd, NBD_OPT_STRUCTURED_REPLY, NULL, &len) != NBD_REP_ACK))
		return -1;
	if (send_opt(fd, NBD_OPT_GO, req, sizeof(req)) < 0)
		return -1;
	while ((type = opt_reply(fd, NBD_OPT_GO, data, &len)) == NBD_REP_INFO)
		if (len >= 12 && nbd_get16(data) == NBD_INFO_EXPORT)
			export_size = nbd_get64(data + 2);
	return type == NBD_REP_ACK ? 0 : -1;
}

static int send_req(int fd, uint16_t flags, uint16_t cmd, uint64_t cookie, uint64_t off,
		    uint32_t len)
{
	uint8_t r[NBD_REQUEST_SIZE];

	nbd_put32(r, NBD_MAGIC_REQUEST);
	nbd_put16(r + 4, flags);
	nbd_put16(r + 6, cmd);
	nbd_put64(r + 8, cookie);
	nbd_put64(r + 16, off);
	nbd_put32(r + 24, len);
	return sendall(fd, r, sizeof(r));
}

/* A simple reply: returns its error, or -1 on a bad frame; cookie in *@cookie. */
static int64_t simple_reply(int fd, uint64_t *cookie)
{
	uint8_t r[NBD_SIMPLE_REPLY_SIZE];

	if (recvall(fd, r, sizeof(r)) < 0 || nbd_get32(r) != NBD_MAGIC_SIMPLE_REPLY)
		return -1;
	*cookie = nbd_get64(r + 8);
	return nbd_get32(r + 4);
}

/* Send one request and expect a simple reply with error @err and no payload. */
static int expect_error(int fd, uint16_t flags, uint16_t cmd, uint64_t off, uint32_t len,
			uint32_t err)
{
	uint64_t cookie = 0;

	if (send_req(fd, flags, cmd, 0x1234, off, len) < 0)
		return 0;
	return simple_reply(fd, &cookie) == err && cookie == 0x1234;
}

/* A 4 KiB read at 0 works (the connection is still in step). */
static int read_works(int fd)
{
	static uint8_t buf[4096];
	uint64_t cookie = 0;

	if (send_req(fd, 0, NBD_CMD_READ, 77, 0, sizeof(buf)) < 0 || simple_reply(fd, &cookie) != 0)
		return 0;
	return cookie == 77 && recvall(fd, buf, sizeof(buf)) == 0;
}

static void handshake_cases(void)
{
	uint8_t data[64], bad[8] = {0, 0, 0, 200, 0, 0, 0, 0};
	uint32_t len;
	int fd;

	fd = hconnect();
	probe_result(greet(fd, 0xff) == 0 && hung_up(fd), "unknown client flags: hang up");
	close(fd);
	fd = hconnect();
	greet(fd, NBD_FLAG_C_FIXED_NEWSTYLE);
	sendall(fd, "NOTMAGIC12345678", 16);
	probe_result(hung_up(fd), "bad option magic: hang up");
	close(fd);
	fd = hconnect();
	greet(fd, NBD_FLAG_C_FIXED_NEWSTYLE);
	send_opt(fd, 0x4242, "abcdefghij", 10);
	probe_result(opt_reply(fd, 0x4242, NULL, &len) == NBD_REP_ERR_UNSUP, "unknown option: ERR_UNSUP");
	send_opt(fd, NBD_OPT_GO, bad, sizeof(bad));
	probe_result(opt_reply(fd, NBD_OPT_GO, NULL, &len) == NBD_REP_ERR_INVALID,
		     "NBD_OPT_GO name longer than the option: ERR_INVALID");
	send_opt(fd, NBD_OPT_GO, "\0\0\0\2xy\0\0", 8);
	probe_result(opt_reply(fd, NBD_OPT_GO, NULL, &len) == NBD_REP_ERR_UNKNOWN,
		     "NBD_OPT_GO unknown export: ERR_UNKNOWN");
	send_opt(fd, NBD_OPT_LIST, NULL, 0);
	probe_result(opt_reply(fd, NBD_OPT_LIST, data, &len) == NBD_REP_SERVER && len == 4 &&
			     opt_reply(fd, NBD_OPT_LIST, NULL, &len) == NBD_REP_ACK,
		     "NBD_OPT_LIST: the default export, then ACK");
	send_opt(fd, NBD_OPT_STRUCTURED_REPLY, "x", 1);
	probe_result(opt_reply(fd, NBD_OPT_STRUCTURED_REPLY, NULL, &len) == NBD_REP_ERR_INVALID,
		     "NBD_OPT_STRUCTURED_REPLY with data: ERR_INVALID");
	send_opt(fd, NBD_OPT_ABORT, NULL, 0);
	probe_result(opt_reply(fd, NBD_OPT_ABORT, NULL, &len) == NBD_REP_ACK && hung_up(fd),
		     "NBD_OPT_ABORT: ACK, then hang up");
	close(fd);
	fd = hconnect();
	greet(fd, NBD_FLAG_C_FIXED_NEWSTYLE);
	nbd_put64(data, NBD_MAGIC_OPT);
	nbd_put32(data + 8, NBD_OPT_INFO);
	nbd_put32(data + 12, 1u << 30);
	sendall(fd, data, 16);
	probe_result(hung_up(fd), "option with 1 GiB of data: hang up");
	close(fd);
}

static void export_name_case(void)
{
	uint8_t r[10];
	int fd = hconnect();

	greet(fd, NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES);
	send_opt(fd, NBD_OPT_EXPORT_NAME, NULL, 0);
	probe_result(recvall(fd, r, sizeof(r)) == 0 && nbd_get64(r) == export_size &&
			     (nbd_get16(r + 8) & NBD_FLAG_HAS_FLAGS) && read_works(fd),
		     "NBD_OPT_EXPORT_NAME fallback: size, flags, then transmission");
	close(fd);
	fd = hconnect();
	greet(fd, NBD_FLAG_C_FIXED_NEWSTYLE);
	send_opt(fd, NBD_OPT_EXPORT_NAME, "nope", 4);
	probe_result(hung_up(fd), "NBD_OPT_EXPORT_NAME unknown export: hang up");
	close(fd);
}

static void range_cases(int fd)
{
	probe_result(expect_error(fd, 0, NBD_CMD_READ, export_size, 4096, NBD_EINVAL),
		     "read past the end: EINVAL");
	probe_result(expect_error(fd, 0, NBD_CMD_READ, UINT64_MAX - 511, 4096, NBD_EINVAL),
		     "read with offset + length overflowing: EINVAL");
	probe_result(expect_error(fd, 0, NBD_CMD_READ, 100, 512, NBD_EINVAL), "unaligned read: EINVAL");
	probe_result(expect_error(fd, 0, NBD_CMD_READ, 0, 0, NBD_EINVAL), "zero-length read: EINVAL");
	probe_result(expect_error(fd, 0, NBD_CMD_READ, 0, 64u << 20, NBD_EINVAL),
		     "64 MiB read (over the maximum): EINVAL");
	probe_result(expect_error(fd, 0, 99, 0, 4096, NBD_EINVAL), "unknown command: EINVAL");
	probe_result(expect_error(fd, 1u << 15, NBD_CMD_READ, 0, 4096, NBD_EINVAL),
		     "unknown command flag: EINVAL");
	probe_result(expect_error(fd, 0, NBD_CMD_FLUSH, 4096, 0, NBD_EINVAL),
		     "flush with an offset: EINVAL");
	probe_result(expect_error(fd, 0, NBD_CMD_TRIM, export_size - 512, 1024, NBD_EINVAL),
		     "trim past the end: EINVAL");
	probe_result(read_works(fd), "connection still in step after the errors");
}

/* Send a write with its payload and expect error @err (0: success). */
static int write_expect(int fd, uint16_t flags, uint64_t off, const uint8_t *p, uint32_t len,
			uint32_t err)
{
	uint64_t cookie = 0;

	if (send_req(fd, flags, NBD_CMD_WRITE, 0x5678, off, len) < 0 || sendall(fd, p, len) < 0)
		return 0;
	return simple_reply(fd, &cookie) == err && cookie == 0x5678;
}

/* Refused writes: the payload is consumed, so the next request is in step. */
static void write_cases(int fd)
{
	static uint8_t data[4096], back[4096];
	uint8_t *big = calloc(1, 40u << 20);
	uint64_t cookie = 0;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = i * 7 + 1;
	probe_result(write_expect(fd, 0, export_size, data, sizeof(data), NBD_ENOSPC) &&
			     read_works(fd),
		     "write past the end: ENOSPC, payload skipped");
	probe_result(write_expect(fd, 0, 100, data, 512, NBD_EINVAL) && read_works(fd),
		     "unaligned write: EINVAL, payload skipped");
	probe_result(write_expect(fd, 1u << 14, 0, data, sizeof(data), NBD_EINVAL) && read_works(fd),
		     "write with an unknown flag: EINVAL, payload skipped");
	probe_result(big && write_expect(fd, 0, 0, big, 40u << 20, NBD_EINVAL) && read_works(fd),
		     "40 MiB write (over the maximum): EINVAL, payload skipped");
	probe_result(write_expect(fd, 0, 8192, data, sizeof(data), 0) &&
			     send_req(fd, 0, NBD_CMD_READ, 3, 8192, sizeof(back)) == 0 &&
			     simple_reply(fd, &cookie) == 0 && recvall(fd, back, sizeof(back)) == 0 &&
			     memcmp(data, back, sizeof(data)) == 0,
		     "a good write reads back");
	free(big);
}

static void pipeline_case(int fd)
{
	enum { N = 64 };
	static uint8_t buf[4096];
	int seen[N] = {0}, ok = 1;

	for (int i = 0; i < N; i++)
		ok &= send_req(fd, 0, NBD_CMD_READ, 1000 + i, (uint64_t)i * 4096, 4096) == 0;
	for (int i = 0; i < N && ok; i++) {
		uint64_t cookie = 0;

		ok = simple_reply(fd, &cookie) == 0 && cookie >= 1000 && cookie < 1000 + N &&
		     !seen[cookie - 1000]++ && recvall(fd, buf, sizeof(buf)) == 0;
	}
	probe_result(ok, "64 pipelined reads: 64 replies, each cookie once");
}

/*
 * A client that sends without reading: the server stops reading it once
 * too much is outstanding, and every reply still arrives, in step.
 */
static void flood_case(void)
{
	uint8_t r[NBD_REQUEST_SIZE];
	unsigned int sent = 0, got = 0;
	uint64_t cookie;
	int fd = hconnect();
	int ok = go(fd, 0) == 0;

	nbd_put32(r, NBD_MAGIC_REQUEST);
	nbd_put16(r + 4, 0);
	nbd_put16(r + 6, NBD_CMD_FLUSH);
	nbd_put64(r + 8, 42);
	nbd_put64(r + 16, 512); /* flush with an offset: EINVAL, no payload, no buffer */
	nbd_put32(r + 24, 0);
	while (ok && sent < 200000) {
		ssize_t k = send(fd, r, sizeof(r), MSG_DONTWAIT | MSG_NOSIGNAL);

		if (k < 0 && errno == EAGAIN) {
			/* Wait for room; 300 ms without any means the server stopped reading. */
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};

			if (poll(&pfd, 1, 300) <= 0)
				break;
			continue;
		}
		ok = k > 0 && (k == sizeof(r) || sendall(fd, r + k, sizeof(r) - k) == 0);
		sent++;
	}
	while (ok && got < sent && simple_reply(fd, &cookie) == NBD_EINVAL && cookie == 42)
		got++;
	probe_result(ok && sent > 1024 && got == sent && read_works(fd),
		     "client not reading replies: input pauses, every reply arrives");
	close(fd);
}

static void structured_cases(void)
{
	uint8_t h[NBD_STRUCT_REPLY_SIZE + 8], e[6];
	static uint8_t buf[4096];
	int fd = hconnect();
	int ok = go(fd, 1) == 0;

	ok = ok && send_req(fd, 0, NBD_CMD_READ, 9, 4096, sizeof(buf)) == 0 &&
	     recvall(fd, h, sizeof(h)) == 0 && recvall(fd, buf, sizeof(buf)) == 0;
	probe_result(ok && nbd_get32(h) == NBD_MAGIC_STRUCT_REPLY &&
			     nbd_get16(h + 4) == NBD_REPLY_FLAG_DONE &&
			     nbd_get16(h + 6) == NBD_REPLY_TYPE_OFFSET_DATA && nbd_get64(h + 8) == 9 &&
			     nbd_get32(h + 16) == 8 + sizeof(buf) && nbd_get64(h + 20) == 4096,
		     "structured read: one OFFSET_DATA chunk with DONE");
	ok = send_req(fd, 0, NBD_CMD_READ, 10, export_size, 4096) == 0 &&
	     recvall(fd, h, NBD_STRUCT_REPLY_SIZE) == 0 && recvall(fd, e, sizeof(e)) == 0;
	probe_result(ok && nbd_get16(h + 6) == NBD_REPLY_TYPE_ERROR && nbd_get32(h + 16) == 6 &&
			     nbd_get32(e) == NBD_EINVAL && nbd_get16(e + 4) == 0,
		     "structured read past the end: ERROR chunk, EINVAL");
	send_req(fd, 0, NBD_CMD_DISC, 11, 0, 0);
	probe_result(hung_up(fd), "NBD_CMD_DISC: the server closes");
	close(fd);
}

static void framing_cases(void)
{
	static uint8_t payload[4096];
	int fd = hconnect();

	go(fd, 0);
	sendall(fd, "\x25\x60\x95\x13\0\0\0", 7);
	close(fd);
	fd = hconnect();
	go(fd, 0);
	send_req(fd, 0, NBD_CMD_WRITE, 1, 0, sizeof(payload));
	sendall(fd, payload, 100);
	close(fd);
	fd = hconnect();
	go(fd, 0);
	sendall(fd, "BADMAGIC-------------------------", NBD_REQUEST_SIZE);
	probe_result(hung_up(fd), "bad request magic: hang up");
	close(fd);
}

int probe_hostile(const char *socket_path)
{
	int fd;

	sock_path = socket_path;
	handshake_cases();
	fd = hconnect();
	probe_result(go(fd, 0) == 0 && export_size > (1u << 20), "NBD_OPT_GO, simple replies");
	range_cases(fd);
	write_cases(fd);
	pipeline_case(fd);
	close(fd);
	export_name_case();
	flood_case();
	structured_cases();
	framing_cases();
	fd = hconnect();
	probe_result(go(fd, 0) == 0 && read_works(fd), "the server still serves a new client");
	close(fd);
	return 0;
}

int probe_max_clients(const char *socket_path, int max)
{
	int fds[64], extra, ok = 1;

	sock_path = socket_path;
	if (max < 1 || max > 63)
		return 1;
	for (int i = 0; i < max; i++) {
		fds[i] = hconnect();
		ok &= greet(fds[i], NBD_FLAG_C_FIXED_NEWSTYLE) == 0;
	}
	probe_result(ok, "clients up to the limit are served");
	extra = hconnect();
	probe_result(hung_up(extra), "one client over the limit: hang up");
	close(extra);
	close(fds[0]);
	/* The server notices the departure in its own time: retry while refused. */
	for (int i = 0; i < 100; i++) {
		extra = hconnect();
		ok = go(extra, 0) == 0;
		if (ok)
			break;
		close(extra);
		usleep(50000);
	}
	probe_result(ok && read_works(extra), "a freed slot serves a new client");
	close(extra);
	for (int i = 1; i < max; i++)
		close(fds[i]);
	return 0;
}

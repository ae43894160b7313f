/* SPDX-License-Identifier: MIT */
/*
 * pvkit-nbd-probe: checks of the NBD export that stock tools cannot make:
 * trim / write-zeroes / FUA with libnbd, a read-only export's refusals, and
 * hostile clients speaking raw protocol (nbd-hostile.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnbd.h>

#include "nbd-probe.h"

static int failures;

void probe_result(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failures++;
}

static struct nbd_handle *open_uri(const char *uri)
{
	struct nbd_handle *h = nbd_create();

	if (!h || nbd_connect_uri(h, uri) < 0) {
		fprintf(stderr, "pvkit-nbd-probe: connect %s: %s\n", uri, nbd_get_error());
		exit(1);
	}
	return h;
}

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void fill_random(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rand();
}

/* Write 1 MiB of noise at @off, then check [off+a, off+a+n) reads zero after @op. */
static void zero_case(struct nbd_handle *h, const char *what, uint64_t off, int (*op)(struct nbd_handle *, uint64_t, uint64_t, uint32_t),
		      uint32_t flags)
{
	static unsigned char buf[1 << 20], back[1 << 20];
	const uint64_t a = 64 << 10, n = 256 << 10;
	int ok;

	fill_random(buf, sizeof(buf));
	ok = nbd_pwrite(h, buf, sizeof(buf), off, 0) == 0;
	ok = ok && op(h, n, off + a, flags) == 0;
	ok = ok && nbd_pread(h, back, sizeof(back), off, 0) == 0;
	ok = ok && all_zero(back + a, n);
	ok = ok && memcmp(back, buf, a) == 0;
	ok = ok && memcmp(back + a + n, buf + a + n, sizeof(buf) - a - n) == 0;
	probe_result(ok, what);
}

static int do_trim(struct nbd_handle *h, uint64_t n, uint64_t off, uint32_t flags)
{
	return nbd_trim(h, n, off, flags);
}

static int do_zero(struct nbd_handle *h, uint64_t n, uint64_t off, uint32_t flags)
{
	return nbd_zero(h, n, off, flags);
}

static int probe_zero(const char *uri)
{
	struct nbd_handle *h = open_uri(uri);
	static unsigned char buf[65536], back[65536];

	probe_result(nbd_can_trim(h) == 1 && nbd_can_zero(h) == 1 && nbd_can_flush(h) == 1 &&
			     nbd_can_fua(h) == 1,
		     "trim, write-zeroes, flush and FUA offered");
	zero_case(h, "trim reads back zero, neighbours intact", 0, do_trim, 0);
	zero_case(h, "write-zeroes reads back zero", 4 << 20, do_zero, 0);
	zero_case(h, "write-zeroes NO_HOLE reads back zero", 8 << 20, do_zero, LIBNBD_CMD_FLAG_NO_HOLE);
	zero_case(h, "write-zeroes FUA reads back zero", 12 << 20, do_zero, LIBNBD_CMD_FLAG_FUA);
	fill_random(buf, sizeof(buf));
	probe_result(nbd_pwrite(h, buf, sizeof(buf), 16 << 20, LIBNBD_CMD_FLAG_FUA) == 0 &&
			     nbd_pread(h, back, sizeof(back), 16 << 20, 0) == 0 &&
			     memcmp(buf, back, sizeof(buf)) == 0,
		     "FUA write reads back");
	probe_result(nbd_flush(h, 0) == 0, "flush succeeds");
	nbd_shutdown(h, 0);
	nbd_close(h);
	return failures ? 1 : 0;
}

/* @rc failed with EPERM sent by the server (libnbd's own checks are off). */
static void expect_eperm(int rc, const char *what)
{
	int err = nbd_get_errno();

	probe_result(rc == -1 && err == EPERM, what);
	if (rc != -1 || err != EPERM)
		fprintf(stderr, "  %s: rc %d errno %d (%s)\n", what, rc, err, nbd_get_error());
}

static int probe_readonly(const char *uri)
{
	struct nbd_handle *h = nbd_create();
	static unsigned char buf[65536];

	/* Send what a read-only export must refuse, so the server is what says no. */
	if (!h || nbd_set_strict_mode(h, 0) < 0 || nbd_connect_uri(h, uri) < 0) {
		fprintf(stderr, "pvkit-nbd-probe: connect %s: %s\n", uri, nbd_get_error());
		return 1;
	}
	probe_result(nbd_is_read_only(h) == 1, "export is read-only");
	probe_result(nbd_can_trim(h) == 0 && nbd_can_zero(h) == 0, "no trim or zero offered");
	expect_eperm(nbd_pwrite(h, buf, sizeof(buf), 0, 0), "write refused with EPERM");
	expect_eperm(nbd_trim(h, sizeof(buf), 0, 0), "trim refused with EPERM");
	expect_eperm(nbd_zero(h, sizeof(buf), 0, 0), "write-zeroes refused with EPERM");
	probe_result(nbd_pread(h, buf, sizeof(buf), 0, 0) == 0, "read still works");
	nbd_shutdown(h, 0);
	nbd_close(h);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "zero") == 0)
		return probe_zero(argv[2]);
	if (argc == 3 && strcmp(argv[1], "readonly") == 0)
		return probe_readonly(argv[2]);
	if (argc == 3 && strcmp(argv[1], "hostile") == 0)
		return probe_hostile(argv[2]) || failures ? 1 : 0;
	if (argc == 4 && strcmp(argv[1], "max-clients") == 0)
		return probe_max_clients(argv[2], atoi(argv[3])) || failures ? 1 : 0;
	fprintf(stderr, "usage: pvkit-nbd-probe zero|readonly URI\n"
			"       pvkit-nbd-probe hostile SOCKET\n"
			"       pvkit-nbd-probe max-clients SOCKET N\n");
	return 2;
}

/* SPDX-License-Identifier: MIT */
/*
 * pvkit-nbd-writer: I/O for the hotplug and destroy tests. "write" writes
 * numbered blocks through an NBD export until the export fails, and counts
 * the writes the server acknowledged; "verify" checks those blocks on the
 * disk image afterwards (an acknowledged write must not be lost).
 *
 *   pvkit-nbd-writer write URI SEED [MAX_BLOCKS]
 *     prints "started" after the first acknowledged write, then on its end
 *     "acked N error ERRNO MESSAGE" (the export failed) or "acked N done";
 *     exit 0 either way, 1 when it could not start.
 *   pvkit-nbd-writer verify IMAGE SEED N
 *     exit 0 when the first min(N, blocks of IMAGE) blocks hold their pattern.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libnbd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK 65536u

/* Block @i's contents: every 8 bytes its number, the seed and the word's index. */
static void fill(uint8_t *buf, uint64_t seed, uint64_t i)
{
	for (size_t w = 0; w < BLOCK / 8; w++) {
		uint64_t v = (seed << 40) ^ (i << 16) ^ w;

		memcpy(buf + w * 8, &v, 8);
	}
}

static int do_write(const char *uri, uint64_t seed, uint64_t max)
{
	static uint8_t buf[BLOCK];
	struct nbd_handle *h = nbd_create();
	uint64_t acked = 0, nblocks;
	int64_t size;

	if (!h || nbd_connect_uri(h, uri) < 0 || (size = nbd_get_size(h)) < (int64_t)BLOCK) {
		fprintf(stderr, "pvkit-nbd-writer: %s: %s\n", uri, nbd_get_error());
		return 1;
	}
	nblocks = (uint64_t)size / BLOCK;
	for (;;) {
		uint64_t i = acked % nblocks;

		if (max && acked == max) {
			printf("acked %" PRIu64 " done\n", acked);
			break;
		}
		fill(buf, seed, i);
		if (nbd_pwrite(h, buf, BLOCK, i * BLOCK, 0) < 0) {
			printf("acked %" PRIu64 " error %d %s\n", acked, nbd_get_errno(),
			       nbd_get_error());
			break;
		}
		if (acked++ == 0) {
			printf("started\n");
			fflush(stdout);
		}
	}
	nbd_close(h);
	return 0;
}

static int do_verify(const char *image, uint64_t seed, uint64_t n)
{
	static uint8_t want[BLOCK], got[BLOCK];
	int fd = open(image, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint64_t nblocks, bad = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "pvkit-nbd-writer: %s: %s\n", image, strerror(errno));
		return 1;
	}
	nblocks = (uint64_t)st.st_size / BLOCK;
	if (n > nblocks)
		n = nblocks;
	for (uint64_t i = 0; i < n; i++) {
		fill(want, seed, i);
		if (pread(fd, got, BLOCK, (off_t)(i * BLOCK)) != (ssize_t)BLOCK ||
		    memcmp(want, got, BLOCK)) {
			if (!bad++)
				fprintf(stderr, "pvkit-nbd-writer: %s: block %" PRIu64
						" (acknowledged) is not what was written\n",
					image, i);
		}
	}
	close(fd);
	if (bad)
		fprintf(stderr, "pvkit-nbd-writer: %" PRIu64 " of %" PRIu64 " blocks lost\n", bad, n);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && argc <= 5 && !strcmp(argv[1], "write"))
		return do_write(argv[2], strtoull(argv[3], NULL, 0),
				argc == 5 ? strtoull(argv[4], NULL, 0) : 0);
	if (argc == 5 && !strcmp(argv[1], "verify"))
		return do_verify(argv[2], strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0));
	fprintf(stderr, "usage: pvkit-nbd-writer write URI SEED [MAX_BLOCKS]\n"
			"       pvkit-nbd-writer verify IMAGE SEED N\n");
	return 2;
}

/* SPDX-License-Identifier: MIT */
/*
 * pvkit-blkback storage targets: raw image files and block devices. Open
 * with the right mode, find the size and sector sizes, and what the store
 * can do (flush, discard, secure discard).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common.h"

/* A sysfs queue attribute of block device @rdev, or @dflt when unreadable. */
static uint64_t sysfs_queue_u64(dev_t rdev, const char *attr, uint64_t dflt)
{
	char path[128];
	unsigned long long v;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/%s", major(rdev), minor(rdev),
		 attr);
	f = fopen(path, "re");
	if (!f)
		return dflt;
	if (fscanf(f, "%llu", &v) != 1)
		v = dflt;
	fclose(f);
	return v;
}

/*
 * Does BLKSECDISCARD work? No sysfs attribute says so: ask for a secure
 * discard of nothing at the end of the device. Linux answers EOPNOTSUPP
 * before looking at the range when the device cannot erase securely (EBADF
 * on a read-only descriptor); otherwise it erases nothing, and the
 * page-cache range it drops first is empty. Returns 0 or the errno.
 */
static int probe_secure_discard(int fd, uint64_t size)
{
	uint64_t range[2] = {size - size % 512, 0};

	return ioctl(fd, BLKSECDISCARD, range) < 0 ? errno : 0;
}

static int probe_blockdev(struct blk_target *t, const struct stat *st)
{
	uint64_t size;
	int lss = 0;
	unsigned int pss = 0;

	if (ioctl(t->fd, BLKGETSIZE64, &size) < 0 || ioctl(t->fd, BLKSSZGET, &lss) < 0)
		return -errno;
	if (ioctl(t->fd, BLKPBSZGET, &pss) < 0 || pss < (unsigned int)lss)
		pss = (unsigned int)lss;
	t->is_blockdev = true;
	t->size_bytes = size;
	t->sector_size = (uint32_t)lss;
	t->physical_sector_size = pss;
	t->discard = sysfs_queue_u64(st->st_rdev, "discard_max_bytes", 0) > 0;
	t->discard_granularity =
		(uint32_t)sysfs_queue_u64(st->st_rdev, "discard_granularity", (uint64_t)lss);
	t->secure_probe_err = probe_secure_discard(t->fd, size);
	t->discard_secure = blk_discard_secure_offer(true, true, t->secure_probe_err);
	return 0;
}

/*
 * Is @fd's file in memory (tmpfs, ramfs)? io_uring hands every read and
 * write of such a file to a worker thread (shmem has no non-blocking
 * read: RWF_NOWAIT gives EOPNOTSUPP), a wake-up each way per request for
 * what is only a copy; blkback copies inline instead.
 */
static bool in_memory(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return false;
	return sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC;
}

static int probe_file(struct blk_target *t, const struct stat *st, uint32_t sector_size)
{
	t->is_blockdev = false;
	t->memory = in_memory(t->fd);
	t->size_bytes = (uint64_t)st->st_size;
	t->sector_size = sector_size ? sector_size : 512;
	t->physical_sector_size = t->sector_size > 4096 ? t->sector_size : 4096;
	/* Hole punching works in filesystem blocks; the file system reports EOPNOTSUPP otherwise. */
	t->discard = true;
	t->discard_granularity = st->st_blksize > 0 ? (uint32_t)st->st_blksize : 4096;
	if (t->discard_granularity < t->sector_size)
		t->discard_granularity = t->sector_size;
	/* A punched hole may leave the old blocks on the medium: never "secure". */
	t->secure_probe_err = EOPNOTSUPP;
	t->discard_secure = false;
	return 0;
}

int blk_target_open(struct blk_target *t, const char *path, bool readonly, bool direct,
		    uint32_t sector_size)
{
	struct stat st;
	int flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	int rc;

	memset(t, 0, sizeof(*t));
	t->fd = open(path, flags | (direct ? O_DIRECT : 0));
	if (t->fd < 0 && direct && errno == EINVAL) {
		/* tmpfs and some others refuse O_DIRECT: serve through the page cache. */
		t->fd = open(path, flags);
		direct = false;
	}
	if (t->fd < 0)
		return -errno;
	t->direct = direct;
	t->flush = true;
	if (fstat(t->fd, &st) < 0) {
		rc = -errno;
		goto out_close;
	}
	if (S_ISBLK(st.st_mode))
		rc = probe_blockdev(t, &st);
	else if (S_ISREG(st.st_mode))
		rc = probe_file(t, &st, sector_size);
	else
		rc = -EINVAL;
	if (rc)
		goto out_close;
	if (t->sector_size != 512 && t->sector_size != 4096) {
		rc = -EINVAL;
		goto out_close;
	}
	/* A partial last sector cannot be addressed. */
	t->size_bytes -= t->size_bytes % t->sector_size;
	/* blkif.h: sectors x sector-size must be a multiple of physical-sector-size. */
	if (t->size_bytes % t->physical_sector_size)
		t->physical_sector_size = t->sector_size;
	return 0;

out_close:
	close(t->fd);
	t->fd = -1;
	return rc;
}

void blk_target_close(struct blk_target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

int blk_target_discard_sync(struct blk_target *t, uint64_t off, uint64_t len, bool secure)
{
	uint64_t range[2] = {off, len};

	if (!t->is_blockdev)
		return fallocate(t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
				 (off_t)len) < 0
			       ? -errno
			       : 0;
	if (ioctl(t->fd, secure ? BLKSECDISCARD : BLKDISCARD, range) < 0)
		return -errno;
	return 0;
}

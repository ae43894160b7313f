/* SPDX-License-Identifier: MIT */
/*
 * Per-device counters for `pvkit top`: backends map one small file per
 * device under <rundir>/stats; readers copy it out and check it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pvkit/stats.h"

static int map_file(const char *path, struct pv_stats_counters **out)
{
	size_t size = sizeof(**out);
	void *m;
	int fd, rc = 0;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		rc = -errno;
		goto out_fd;
	}
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		rc = -errno;
	else
		*out = m;
out_fd:
	close(fd);
	return rc;
}

int pv_stats_open(const char *rundir, const char *cls, pv_domid_t domid, uint32_t devid,
		  struct pv_stats **out)
{
	struct pv_stats *s;
	char dir[256];
	int rc;

	*out = NULL;
	if (snprintf(dir, sizeof(dir), "%s/" PV_STATS_DIR, rundir) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (snprintf(s->path, sizeof(s->path), "%s/%s-%u-%u", dir, cls, (unsigned int)domid,
		     (unsigned int)devid) >= (int)sizeof(s->path)) {
		rc = -ENAMETOOLONG;
		goto out_free;
	}
	rc = map_file(s->path, &s->c);
	if (rc)
		goto out_free;
	s->c->size = sizeof(*s->c);
	s->c->version = PV_STATS_VERSION;
	s->c->domid = domid;
	s->c->devid = devid;
	snprintf(s->c->cls, sizeof(s->c->cls), "%s", cls);
	__atomic_store_n(&s->c->magic, PV_STATS_MAGIC, __ATOMIC_RELEASE);
	*out = s;
	return 0;

out_free:
	free(s);
	return rc;
}

void pv_stats_close(struct pv_stats *s)
{
	if (!s)
		return;
	unlink(s->path);
	munmap(s->c, sizeof(*s->c));
	free(s);
}

static void copy_counters(const struct pv_stats_counters *m, struct pv_stats_counters *out)
{
	memcpy(out, m, offsetof(struct pv_stats_counters, requests));
	out->cls[sizeof(out->cls) - 1] = '\0';
	out->requests = __atomic_load_n(&m->requests, __ATOMIC_RELAXED);
	out->bytes_in = __atomic_load_n(&m->bytes_in, __ATOMIC_RELAXED);
	out->bytes_out = __atomic_load_n(&m->bytes_out, __ATOMIC_RELAXED);
	out->errors = __atomic_load_n(&m->errors, __ATOMIC_RELAXED);
	out->drops = __atomic_load_n(&m->drops, __ATOMIC_RELAXED);
	out->inflight = __atomic_load_n(&m->inflight, __ATOMIC_RELAXED);
	out->spurious = __atomic_load_n(&m->spurious, __ATOMIC_RELAXED);
	out->poll_hits = __atomic_load_n(&m->poll_hits, __ATOMIC_RELAXED);
	out->poll_misses = __atomic_load_n(&m->poll_misses, __ATOMIC_RELAXED);
	out->irqs = __atomic_load_n(&m->irqs, __ATOMIC_RELAXED);
}

/*
 * pread, not mmap: a writer resetting the file (O_TRUNC) must not fault the
 * reader. A torn counter shows for one sample at most.
 */
int pv_stats_read(const char *path, struct pv_stats_counters *out)
{
	struct pv_stats_counters raw;
	struct stat st;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != (off_t)sizeof(raw)) {
		close(fd);
		return -EINVAL;
	}
	n = pread(fd, &raw, sizeof(raw), 0);
	err = errno;
	close(fd);
	if (n != (ssize_t)sizeof(raw))
		return n < 0 ? -err : -EINVAL;
	copy_counters(&raw, out);
	if (out->magic != PV_STATS_MAGIC || out->version != PV_STATS_VERSION ||
	    out->size != sizeof(*out))
		return -EINVAL;
	return 0;
}

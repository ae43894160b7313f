/* SPDX-License-Identifier: MIT */
/*
 * What a guest config needs from the host, checked before create starts
 * anything: disk targets that open with their access mode, bridges that exist.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domcfg.h"

static int check_error(struct xlcfg_err *err, int rc, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int check_error(struct xlcfg_err *err, int rc, const char *where, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err->msg, sizeof(err->msg), "%s: ", where);

	if (n < 0 || (size_t)n >= sizeof(err->msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

static int check_disk(const struct diskspec *d, size_t i, const char *where,
		      struct xlcfg_err *err)
{
	struct stat st;
	int fd;

	/* Open it as the backend will, so permissions and read-only media show now. */
	fd = open(d->target, (d->readwrite ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return check_error(err, -errno, where, "disk %zu: target %s: %s", i, d->target,
				   strerror(errno));
	if (fstat(fd, &st) < 0) {
		int rc = -errno;

		close(fd);
		return check_error(err, rc, where, "disk %zu: target %s: %s", i, d->target,
				   strerror(-rc));
	}
	close(fd);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return check_error(err, -EINVAL, where,
				   "disk %zu: target %s: not a regular file or block device", i,
				   d->target);
	return 0;
}

static int check_bridge(const struct vifspec *v, size_t i, const char *where,
			const char *sysfs_net, struct xlcfg_err *err)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s/bridge", sysfs_net, v->bridge);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return check_error(err, -ENODEV, where,
			   "vif %zu: bridge %s does not exist (create it with: ip link add %s type "
			   "bridge)",
			   i, v->bridge, v->bridge);
}

int domcfg_check_host(const struct domcfg *dc, const char *sysfs_net, struct xlcfg_err *err)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < dc->ndisks; i++)
		rc = check_disk(&dc->disks[i], i, dc->disk_where[i], err);
	for (size_t i = 0; !rc && i < dc->nvifs; i++)
		rc = check_bridge(&dc->vifs[i], i, dc->vif_where[i], sysfs_net, err);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * xl disk specs (docs/misc/xl-disk-configuration.txt) and Xen VBD numbers
 * (docs/misc/vbd-interface.txt), with pvkit's narrower set of backends.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devspec.h"

/* --- VBD numbers ----------------------------------------------------------------- */

/*
 * @name after @prefix: letters a-z as a bijective base-26 disk index
 * (a = 0, z = 25, aa = 26), then an optional partition without leading zero.
 */
static int match_disk_name(const char *name, const char *prefix, long max_disk, long max_part,
			   long *disk, long *part)
{
	size_t pl = strlen(prefix);
	const char *p = name + pl;
	long idx = -1;
	char *end;

	if (strncmp(name, prefix, pl) || !(*p >= 'a' && *p <= 'z'))
		return 0;
	for (; *p >= 'a' && *p <= 'z'; p++) {
		idx = (idx + 1) * 26 + (*p - 'a');
		if (idx > max_disk)
			return 0;
	}
	*disk = idx;
	*part = 0;
	if (!*p)
		return 1;
	if (!isdigit((unsigned char)*p) || *p == '0')
		return 0;
	errno = 0;
	*part = strtol(p, &end, 10);
	return !errno && !*end && *part <= max_part;
}

/* d<disk>[p<partition>], decimal, as in the vbd-interface examples "d0", "d536p37". */
static int match_dp(const char *name, long *disk, long *part)
{
	const char *p = name + 1;
	char *end;

	if (name[0] != 'd' || !isdigit((unsigned char)*p))
		return 0;
	errno = 0;
	*disk = strtol(p, &end, 10);
	*part = 0;
	if (*end == 'p' && isdigit((unsigned char)end[1]))
		*part = strtol(end + 1, &end, 10);
	return !errno && !*end && *disk < (1L << 20) && *part < 256;
}

static int match_plain_number(const char *name, uint32_t *number)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*name))
		return 0;
	errno = 0;
	v = strtoul(name, &end, 0);
	if (errno || *end || v > INT_MAX)
		return 0;
	*number = (uint32_t)v;
	return 1;
}

int diskspec_vdev_number(const char *vdev, uint32_t *number)
{
	long disk, part;

	if (match_dp(vdev, &disk, &part) ||
	    match_disk_name(vdev, "xvd", (1L << 20) - 1, 255, &disk, &part)) {
		if (disk <= 15 && part <= 15)
			*number = (202u << 8) | (uint32_t)(disk << 4) | (uint32_t)part;
		else
			*number = (1u << 28) | (uint32_t)(disk << 8) | (uint32_t)part;
		return 0;
	}
	if (match_plain_number(vdev, number))
		return 0;
	if (match_disk_name(vdev, "hd", 3, 63, &disk, &part)) {
		*number = ((disk < 2 ? 3u : 22u) << 8) | (uint32_t)((disk & 1) << 6) | (uint32_t)part;
		return 0;
	}
	if (match_disk_name(vdev, "sd", 15, 15, &disk, &part)) {
		*number = (8u << 8) | (uint32_t)(disk << 4) | (uint32_t)part;
		return 0;
	}
	return -EINVAL;
}

/* --- disk specs --------------------------------------------------------------------- */

int devspec_fail(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, DEVSPEC_ERR_LEN, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

struct diskparse {
	struct diskspec *d;
	int target_set, format_set, vdev_set, access_set, devtype_set;
	int access_given; /* access_set with a non-empty value (an empty one means default) */
	int had_depr_prefix;
	char *err;
};

static int fail(struct diskparse *dp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct diskparse *dp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dp->err, DEVSPEC_ERR_LEN, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int set_format(struct diskparse *dp, const char *v)
{
	static const char *const other[] = {"qcow", "qcow2", "vhd", "qed", "empty"};

	if (dp->format_set)
		return fail(dp, "format specified twice");
	dp->format_set = 1;
	if (!*v || !strcmp(v, "raw"))
		return 0;
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (!strcmp(v, other[i]))
			return fail(dp, "format=%s: not supported by pvkit (only raw)", v);
	return fail(dp, "format=%s: unknown format (xl knows raw, qcow, qcow2, vhd, qed)", v);
}

static int set_access(struct diskparse *dp, const char *v)
{
	if (dp->access_set)
		return fail(dp, "access specified twice");
	dp->access_set = 1;
	dp->access_given = *v != '\0';
	if (!strcmp(v, "r") || !strcmp(v, "ro"))
		dp->d->readwrite = 0;
	else if (!*v || !strcmp(v, "w") || !strcmp(v, "rw"))
		dp->d->readwrite = 1;
	else
		return fail(dp, "access=%s: unknown value (use ro, r, rw or w)", v);
	return 0;
}

static int set_string(struct diskparse *dp, const char *what, int *set, char *dst, size_t len,
		      const char *v)
{
	/* Like xl, an earlier empty value may be overwritten. */
	if (*set && *dst)
		return fail(dp, "%s specified twice", what);
	*set = 1;
	if (strlen(v) >= len)
		return fail(dp, "%s is longer than %zu bytes", what, len - 1);
	strcpy(dst, v);
	return 0;
}

static int set_vdev(struct diskparse *dp, const char *v)
{
	return set_string(dp, "vdev", &dp->vdev_set, dp->d->vdev, sizeof(dp->d->vdev), v);
}

static int set_devtype(struct diskparse *dp, const char *v)
{
	if (!strcmp(v, "cdrom"))
		dp->d->cdrom = 1;
	else if (!strcmp(v, "disk"))
		dp->d->cdrom = 0;
	else
		return fail(dp, "devtype=%s: unknown value (use disk or cdrom)", v);
	dp->devtype_set = 1;
	return 0;
}

/* Old "vdev:devtype" positional form ("hdc:cdrom"). Returns 1 if it was one. */
static int vdev_and_devtype(struct diskparse *dp, const char *v, int *rc)
{
	const char *colon = strrchr(v, ':');
	char vdev[DISKSPEC_VDEV_MAX];

	if (!colon)
		return 0;
	if ((size_t)(colon - v) >= sizeof(vdev)) {
		*rc = fail(dp, "vdev is longer than %zu bytes", sizeof(vdev) - 1);
		return 1;
	}
	memcpy(vdev, v, (size_t)(colon - v));
	vdev[colon - v] = '\0';
	*rc = set_vdev(dp, vdev);
	if (!*rc)
		*rc = set_devtype(dp, colon + 1);
	return 1;
}

static int positional(struct diskparse *dp, const char *v)
{
	int rc = 0;

	if (!dp->target_set)
		return set_string(dp, "target", &dp->target_set, dp->d->target,
				  sizeof(dp->d->target), v);
	if (!dp->had_depr_prefix && !dp->format_set) {
		if (!dp->d->target[0] && vdev_and_devtype(dp, v, &rc))
			return rc ? rc : fail(dp, "empty cdrom drives are not supported by pvkit");
		return set_format(dp, v);
	}
	if (!dp->vdev_set) {
		if (vdev_and_devtype(dp, v, &rc))
			return rc;
		return set_vdev(dp, v);
	}
	if (!dp->access_set)
		return set_access(dp, v);
	return fail(dp, "too many positional parameters at '%s'", v);
}

static int unsupported(struct diskparse *dp, const char *param, const char *why)
{
	return fail(dp, "%s: not supported by pvkit (%s)", param, why);
}

/* Bare keywords. Returns 1 if @p was one (with *rc set). */
static int flag(struct diskparse *dp, const char *p, int *rc)
{
	*rc = 0;
	if (!strcmp(p, "cdrom"))
		dp->d->cdrom = 1;
	else if (!strcmp(p, "discard"))
		dp->d->discard = 1;
	else if (!strcmp(p, "no-discard"))
		dp->d->discard = 0;
	else if (!strcmp(p, "direct-io-safe"))
		dp->d->direct_io_safe = 1;
	else if (!strcmp(p, "trusted"))
		dp->d->trusted = 1;
	else if (!strcmp(p, "untrusted"))
		dp->d->trusted = 0;
	else if (!strcmp(p, "no-colo"))
		;
	else if (!strcmp(p, "colo"))
		*rc = unsupported(dp, p, "no COLO replication");
	else
		return 0;
	return 1;
}

static int key_backend(struct diskparse *dp, const char *param, const char *v)
{
	if (!*v || !strcmp(v, "0") || !strcmp(v, "Domain-0"))
		return 0;
	return unsupported(dp, param, "only Domain-0 serves disks");
}

static int key_enum(struct diskparse *dp, const char *param, const char *v, const char *ok,
		    const char *const *others, const char *why)
{
	if (!strcmp(v, ok))
		return 0;
	for (; *others; others++)
		if (!strcmp(v, *others))
			return unsupported(dp, param, why);
	return fail(dp, "%s: unknown value", param);
}

static int key_value(struct diskparse *dp, const char *param, const char *k, const char *v)
{
	static const char *const backendtypes[] = {"tap", "qdisk", "standalone", NULL};
	static const char *const specs[] = {"virtio", NULL};
	static const char *const colo[] = {"colo-host", "colo-port", "colo-export", "active-disk",
					   "hidden-disk", NULL};

	if (!strcmp(k, "format"))
		return set_format(dp, v);
	if (!strcmp(k, "vdev"))
		return set_vdev(dp, v);
	if (!strcmp(k, "access"))
		return set_access(dp, v);
	if (!strcmp(k, "devtype"))
		return set_devtype(dp, v);
	if (!strcmp(k, "backend"))
		return key_backend(dp, param, v);
	if (!strcmp(k, "backendtype"))
		return key_enum(dp, param, v, "phy", backendtypes, "only phy");
	if (!strcmp(k, "specification"))
		return key_enum(dp, param, v, "xen", specs, "only xen");
	if (!strcmp(k, "grant_usage")) {
		if (strcmp(v, "0") && strcmp(v, "1"))
			return fail(dp, "%s: unknown value (use 0 or 1)", param);
		return 0;
	}
	if (!strcmp(k, "script"))
		return unsupported(dp, param, "it runs no hotplug scripts");
	for (const char *const *c = colo; *c; c++)
		if (!strcmp(k, *c))
			return unsupported(dp, param, "no COLO replication");
	return fail(dp, "unknown disk parameter '%s'", k);
}

/*
 * xl's deprecated "prefix:" on a parameter ("raw:/img", "tap:aio:/img").
 * Returns the length consumed (0 if none) or -EINVAL.
 */
static int depr_prefix(struct diskparse *dp, const char *p)
{
	static const char *const ignored[] = {"tapdisk", "tap", "tap2", "aio", "ioemu", "file",
					      "phy", NULL};
	static const char *const scripts[] = {"iscsi", "nbd", "enbd", "drbd", NULL};
	size_t n = 0;
	char word[16];
	int rc;

	if (!(p[0] >= 'a' && p[0] <= 'z'))
		return 0;
	while (islower((unsigned char)p[n]) || isdigit((unsigned char)p[n]))
		n++;
	if (p[n] != ':')
		return 0;
	if (n < sizeof(word)) {
		memcpy(word, p, n);
		word[n] = '\0';
	} else {
		word[0] = '\0';
	}
	/* Known prefixes apply whatever follows; unknown ones only before a non-alnum. */
	if (!strcmp(word, "raw") || !strcmp(word, "qcow") || !strcmp(word, "qcow2") ||
	    !strcmp(word, "vhd")) {
		dp->had_depr_prefix = 1;
		return (rc = set_format(dp, word)) ? rc : (int)n + 1;
	}
	for (const char *const *s = scripts; *s; s++)
		if (!strcmp(word, *s))
			return fail(dp, "%s: prefix (script=block-%s): not supported by pvkit (it "
					"runs no hotplug scripts)", word, word);
	for (const char *const *s = ignored; *s; s++)
		if (!strcmp(word, *s)) {
			dp->had_depr_prefix = 1;
			return (int)n + 1;
		}
	if (islower((unsigned char)p[n + 1]) || isdigit((unsigned char)p[n + 1]))
		return 0;
	return fail(dp, "unknown deprecated disk prefix '%.*s:'", (int)n, p);
}

static int valid_key(const char *p, const char *eq)
{
	if (!(p[0] >= 'a' && p[0] <= 'z'))
		return 0;
	for (; p < eq; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' ||
		      *p == '_'))
			return 0;
	return 1;
}

static int param(struct diskparse *dp, char *p)
{
	char key[32], *eq;
	int rc, used;

	while ((used = depr_prefix(dp, p)) > 0)
		p += used;
	if (used < 0)
		return used;
	if (flag(dp, p, &rc))
		return rc;
	eq = strchr(p, '=');
	if (!eq)
		return positional(dp, p);
	if (!valid_key(p, eq) || (size_t)(eq - p) >= sizeof(key))
		return fail(dp, "cannot parse disk parameter '%s'", p);
	memcpy(key, p, (size_t)(eq - p));
	key[eq - p] = '\0';
	return key_value(dp, p, key, eq + 1);
}

static void strip_trailing_blanks(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
		s[--n] = '\0';
}

static int parse_params(struct diskparse *dp, char *s)
{
	int rc = 0;

	while (!rc && *s) {
		char *comma;

		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!strncmp(s, "target=", 7)) {
			size_t n = strlen(s + 7);

			if (n && s[7 + n - 1] == ',')
				s[7 + n - 1] = '\0';
			/* set_string lets target= replace an empty positional target only. */
			return set_string(dp, "target", &dp->target_set, dp->d->target,
					  sizeof(dp->d->target), s + 7);
		}
		comma = strchr(s, ',');
		if (comma)
			*comma = '\0';
		strip_trailing_blanks(s);
		if (*s || comma)
			rc = param(dp, s);
		s = comma ? comma + 1 : s + strlen(s);
	}
	return rc;
}

/* After every parameter: defaults, the /dev rule, the vdev number. */
static int finish(struct diskparse *dp)
{
	struct diskspec *d = dp->d;

	if (!dp->access_given)
		d->readwrite = !d->cdrom;
	if (!d->vdev[0])
		return fail(dp, "no vdev (the guest's device name, e.g. vdev=xvda)");
	if (diskspec_vdev_number(d->vdev, &d->virtual_device))
		return fail(dp, "vdev=%s: not a Xen virtual disk name (xvda, hdc, sdb3, d0p1 or a "
				"number)", d->vdev);
	if (!d->target[0])
		return fail(dp, d->cdrom ? "empty cdrom drives are not supported by pvkit"
					 : "no target (the image file or block device)");
	if (d->target[0] != '/') {
		/* xl-disk-configuration: "/dev will be prepended if the path doesn't start with a '/'". */
		if (strlen(d->target) + 5 >= sizeof(d->target))
			return fail(dp, "target is longer than %zu bytes", sizeof(d->target) - 6);
		memmove(d->target + 5, d->target, strlen(d->target) + 1);
		memcpy(d->target, "/dev/", 5);
	}
	return 0;
}

int diskspec_parse(const char *spec, struct diskspec *out, char err[DEVSPEC_ERR_LEN])
{
	struct diskparse dp = {.d = out, .err = err};
	char *copy = strdup(spec);
	int rc;

	if (!copy) {
		snprintf(err, DEVSPEC_ERR_LEN, "out of memory");
		return -ENOMEM;
	}
	memset(out, 0, sizeof(*out));
	out->discard = 1;
	out->trusted = 1;
	err[0] = '\0';
	rc = parse_params(&dp, copy);
	if (!rc)
		rc = finish(&dp);
	free(copy);
	return rc;
}

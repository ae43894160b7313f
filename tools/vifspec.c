/* SPDX-License-Identifier: MIT */
/*
 * xl vif specs (docs/misc/xl-network-configuration.markdown): mac, bridge,
 * ip, rate (computed as xl computes it), mtu and devid, checked for pvkit.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devspec.h"

int vifspec_parse_mac(const char *text, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int hi, lo;

		if (!isxdigit((unsigned char)text[0]) || !isxdigit((unsigned char)text[1]))
			return -EINVAL;
		hi = isdigit((unsigned char)text[0]) ? text[0] - '0' : tolower(text[0]) - 'a' + 10;
		lo = isdigit((unsigned char)text[1]) ? text[1] - '0' : tolower(text[1]) - 'a' + 10;
		mac[i] = (uint8_t)(hi << 4 | lo);
		text += 2;
		if (*text != (i == 5 ? '\0' : ':'))
			return -EINVAL;
		text++;
	}
	return 0;
}

/* Decimal digits at *p (at least one, at most UINT32_MAX like xl's check). */
static int rate_number(const char **p, uint64_t *v)
{
	const char *s = *p;

	*v = 0;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		*v = *v * 10 + (uint64_t)(*s - '0');
		if (*v > UINT32_MAX)
			return -ERANGE;
	}
	*p = s;
	return 0;
}

/* N[G|M|K](B|b)/s -> bytes per second, as xl: decimal multipliers, bits / 8. */
static int rate_bytes_per_sec(const char *s, uint64_t *bps, char *err)
{
	const char *p = s;
	uint64_t v, mult = 1;
	int rc = rate_number(&p, &v), bits;

	if (rc == -ERANGE || (!rc && v == 0))
		return devspec_fail(err, "rate=%s: the rate must be between 1 and 4294967295 units", s);
	if (rc)
		return devspec_fail(err, "rate=%s: not a rate (e.g. 10Mb/s or 1MB/s@20ms)", s);
	if (*p == 'G' || *p == 'M' || *p == 'K') {
		mult = *p == 'G' ? 1000000000 : *p == 'M' ? 1000000 : 1000;
		p++;
	}
	bits = *p == 'b';
	if ((*p != 'b' && *p != 'B') || strcmp(p + 1, "/s"))
		return devspec_fail(err, "rate=%s: not a rate (e.g. 10Mb/s or 1MB/s@20ms)", s);
	*bps = v * mult / (bits ? 8 : 1);
	return 0;
}

/* N[s|ms|us|m|u] (no unit: seconds) -> microseconds, as xl. */
static int rate_interval(const char *s, uint32_t *usecs, char *err)
{
	const char *p = s;
	uint64_t v, mult = 1000000;
	int rc = rate_number(&p, &v);

	if (rc == -ERANGE || (!rc && v == 0))
		return devspec_fail(err, "rate interval '%s' must be above zero and fit in 32 bits", s);
	if (!rc && (*p == 'm' || *p == 'u'))
		mult = *p++ == 'm' ? 1000 : 1;
	if (!rc && *p == 's')
		p++;
	if (rc || *p)
		return devspec_fail(err, "rate interval '%s' is not a time (e.g. 20ms, 500us, 1s)", s);
	if (v * mult > UINT32_MAX)
		return devspec_fail(err, "rate interval '%s' is longer than 4294967295us", s);
	*usecs = (uint32_t)(v * mult);
	return 0;
}

int vifspec_parse_rate(const char *rate, uint64_t *bytes_per_interval, uint32_t *interval_usecs,
		       char err[DEVSPEC_ERR_LEN])
{
	char buf[64], *at;
	uint64_t bps = 0;
	uint32_t us = VIFSPEC_DEFAULT_RATE_INTERVAL_US;
	int rc;

	if (strlen(rate) >= sizeof(buf))
		return devspec_fail(err, "rate=%.32s...: too long", rate);
	strcpy(buf, rate);
	at = strchr(buf, '@');
	if (at)
		*at++ = '\0';
	if (!buf[0])
		return devspec_fail(err, "rate=%s: no rate before '@'", rate);
	rc = rate_bytes_per_sec(buf, &bps, err);
	if (!rc && at)
		rc = rate_interval(at, &us, err);
	if (rc)
		return rc;
	/* bps < 2^32 * 10^9 and us < 2^32: the product fits in 64 bits only below 2^64. */
	if (bps > UINT64_MAX / us)
		return devspec_fail(err, "rate=%s: overflows", rate);
	*bytes_per_interval = bps * us / 1000000;
	*interval_usecs = us;
	return 0;
}

static int valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= VIFSPEC_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (; *s; s++)
		if (!isgraph((unsigned char)*s) || *s == '/' || *s == ':' || *s == ',')
			return 0;
	return 1;
}

static int valid_ip_list(const char *s)
{
	if (strlen(s) >= VIFSPEC_IP_MAX)
		return 0;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) && !strchr(".:/ ", *s))
			return 0;
	return 1;
}

static int key_mac(struct vifspec *v, const char *val, char *err)
{
	if (vifspec_parse_mac(val, v->mac))
		return devspec_fail(err, "mac=%s: not a MAC address (six hex pairs: 00:16:3e:xx:xx:xx)", val);
	if (v->mac[0] & 1)
		return devspec_fail(err, "mac=%s: a multicast address cannot be a guest's MAC", val);
	v->mac_set = 1;
	return 0;
}

static int key_number(const char *key, const char *val, long min, long max, long *out, char *err)
{
	char *end;

	errno = 0;
	*out = strtol(val, &end, 10);
	if (!isdigit((unsigned char)*val) || *end || errno || *out < min || *out > max)
		return devspec_fail(err, "%s=%s: must be a number from %ld to %ld", key, val, min, max);
	return 0;
}

static int key_string(char *dst, const char *key, const char *val, char *err)
{
	if (!valid_ifname(val))
		return devspec_fail(err, "%s=%s: not an interface name (1-15 characters, no '/', ':' or "
				 "blanks)", key, val);
	strcpy(dst, val);
	return 0;
}

static int is_unsupported(const char *key)
{
	static const char *const keys[] = {"script", "model", "gatewaydev", "netdev", "accel",
					   "forwarddev", "vlan", NULL};

	for (const char *const *k = keys; *k; k++)
		if (!strcmp(key, *k))
			return 1;
	return !strncmp(key, "colo_", 5);
}

static int key_value(struct vifspec *v, const char *key, const char *val, char *err)
{
	long n;
	int rc;

	if (!strcmp(key, "mac"))
		return key_mac(v, val, err);
	if (!strcmp(key, "bridge"))
		return key_string(v->bridge, key, val, err);
	if (!strcmp(key, "vifname"))
		return key_string(v->vifname, key, val, err);
	if (!strcmp(key, "ip")) {
		if (!valid_ip_list(val))
			return devspec_fail(err, "ip=%s: not a list of IP addresses", val);
		strcpy(v->ip, val);
		return 0;
	}
	if (!strcmp(key, "type")) {
		if (!strcmp(val, "vif"))
			return 0;
		if (!strcmp(val, "ioemu"))
			return devspec_fail(err, "type=ioemu: not supported by pvkit (PV devices only)");
		return devspec_fail(err, "type=%s: unknown value (use vif)", val);
	}
	if (!strcmp(key, "backend")) {
		if (!*val || !strcmp(val, "0") || !strcmp(val, "Domain-0"))
			return 0;
		return devspec_fail(err, "backend=%s: not supported by pvkit (only Domain-0 serves vifs)",
			    val);
	}
	if (!strcmp(key, "rate"))
		return vifspec_parse_rate(val, &v->rate_bytes_per_interval,
					  &v->rate_interval_usecs, err);
	if (!strcmp(key, "mtu")) {
		rc = key_number(key, val, 68, 65535, &n, err);
		v->mtu = (unsigned)n;
		return rc;
	}
	if (!strcmp(key, "devid")) {
		rc = key_number(key, val, 0, 65535, &n, err);
		v->devid = (int)n;
		return rc;
	}
	if (is_unsupported(key))
		return devspec_fail(err, "%s=%s: not supported by pvkit", key, val);
	return devspec_fail(err, "unknown vif parameter '%s'", key);
}

static int one_param(struct vifspec *v, char *p, char *err)
{
	char *eq;
	size_t n;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	n = strlen(p);
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\n'))
		p[--n] = '\0';
	if (!*p)
		return 0;
	eq = strchr(p, '=');
	if (!eq)
		return devspec_fail(err, "unknown vif parameter '%s' (expected key=value)", p);
	*eq = '\0';
	return key_value(v, p, eq + 1, err);
}

int vifspec_parse(const char *spec, struct vifspec *out, char err[DEVSPEC_ERR_LEN])
{
	char *copy = strdup(spec), *p, *comma;
	int rc = 0;

	if (!copy) {
		devspec_fail(err, "out of memory");
		return -ENOMEM;
	}
	memset(out, 0, sizeof(*out));
	out->devid = -1;
	out->mtu = VIFSPEC_DEFAULT_MTU;
	strcpy(out->bridge, VIFSPEC_DEFAULT_BRIDGE);
	err[0] = '\0';
	for (p = copy; !rc && p; p = comma ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		rc = one_param(out, p, err);
	}
	free(copy);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * xl pci specs: [[DDDD:]BB:]DD.F[@VSLOT][,key=value...] (hex BDF, function
 * '*' for all), with the options xl.cfg(5) documents.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devspec.h"

/* Hex digits from @s up to @end, at most @max. */
static int hex_field(const char *s, const char *end, unsigned max, unsigned *out)
{
	unsigned long v = 0;

	if (s >= end || end - s > 8)
		return -EINVAL;
	for (; s < end; s++) {
		if (!isxdigit((unsigned char)*s))
			return -EINVAL;
		v = v * 16 + (unsigned long)(isdigit((unsigned char)*s) ? *s - '0'
								: tolower(*s) - 'a' + 10);
	}
	if (v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* The BDF part (up to '@', ',' or the end), written into @out. */
static int parse_bdf(const char *s, const char *end, struct pcispec *out)
{
	const char *c1 = memchr(s, ':', (size_t)(end - s)), *c2 = NULL, *dot;

	if (c1)
		c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
	dot = memrchr(s, '.', (size_t)(end - s));
	/* xl needs at least BB:DD.F. */
	if (!dot || !c1 || (c2 && dot < c2) || dot < c1)
		return -EINVAL;
	if (c2) {
		if (hex_field(s, c1, 0xffff, &out->domain) || hex_field(c1 + 1, c2, 0xff, &out->bus))
			return -EINVAL;
		s = c2 + 1;
	} else {
		if (hex_field(s, c1, 0xff, &out->bus))
			return -EINVAL;
		s = c1 + 1;
	}
	if (hex_field(s, dot, 0x1f, &out->dev))
		return -EINVAL;
	if (end - dot == 2 && dot[1] == '*') {
		out->all_functions = 1;
		return 0;
	}
	return hex_field(dot + 1, end, 7, &out->func);
}

static int bool_opt(const char *key, const char *val, int *out, char *err)
{
	if (strcmp(val, "0") && strcmp(val, "1"))
		return devspec_fail(err, "%s=%s: use 0 or 1", key, val);
	*out = val[0] == '1';
	return 0;
}

static int option(struct pcispec *out, char *opt, char *err)
{
	char *eq = strchr(opt, '='), *val;

	if (!eq)
		return devspec_fail(err, "pci option '%s' is not key=value", opt);
	*eq = '\0';
	val = eq + 1;
	if (!strcmp(opt, "permissive"))
		return bool_opt(opt, val, &out->permissive, err);
	if (!strcmp(opt, "msitranslate"))
		return bool_opt(opt, val, &out->msitranslate, err);
	if (!strcmp(opt, "power_mgmt"))
		return bool_opt(opt, val, &out->power_mgmt, err);
	if (!strcmp(opt, "seize"))
		return bool_opt(opt, val, &out->seize, err);
	if (!strcmp(opt, "rdm_policy")) {
		if (!strcmp(val, "strict"))
			out->rdm_policy = PCISPEC_RDM_STRICT;
		else if (!strcmp(val, "relaxed"))
			out->rdm_policy = PCISPEC_RDM_RELAXED;
		else
			return devspec_fail(err, "rdm_policy=%s: use strict or relaxed", val);
		return 0;
	}
	return devspec_fail(err, "unknown pci option '%s'", opt);
}

static int parse_options(struct pcispec *out, char *s, char *err)
{
	char *comma;
	int rc = 0;

	for (; !rc && s; s = comma ? comma + 1 : NULL) {
		comma = strchr(s, ',');
		if (comma)
			*comma = '\0';
		rc = option(out, s, err);
	}
	return rc;
}

int pcispec_parse(const char *spec, struct pcispec *out, char err[DEVSPEC_ERR_LEN])
{
	char *copy = strdup(spec), *opts, *at, *end;
	unsigned slot;
	int rc = -EINVAL;

	if (!copy) {
		devspec_fail(err, "out of memory");
		return -ENOMEM;
	}
	memset(out, 0, sizeof(*out));
	out->vslot = -1;
	out->vfunc = -1;
	out->permissive = out->msitranslate = out->power_mgmt = out->seize = -1;
	err[0] = '\0';
	opts = strchr(copy, ',');
	if (opts)
		*opts++ = '\0';
	at = strchr(copy, '@');
	end = at ? at : copy + strlen(copy);
	if (parse_bdf(copy, end, out)) {
		devspec_fail(err, "'%s' is not a PCI address ([[DDDD:]BB:]DD.F, hex, F may be *)", copy);
		goto out_free;
	}
	if (at && hex_field(at + 1, at + 1 + strlen(at + 1), 0x1f, &slot)) {
		devspec_fail(err, "@%s: the virtual slot must be hex 0 to 1f", at + 1);
		goto out_free;
	}
	if (at)
		out->vslot = (int)slot;
	rc = opts ? parse_options(out, opts, err) : 0;
out_free:
	free(copy);
	return rc;
}

int pcispec_functions(const struct pcispec *p, struct pcispec out[8])
{
	int n = 0;

	if (!p->all_functions) {
		out[0] = *p;
		return 1;
	}
	for (int f = 7; f >= 0; f--) {
		if (!(p->func_mask & (1u << f)))
			continue;
		out[n] = *p;
		out[n].all_functions = 0;
		out[n].func_mask = 0;
		out[n].func = (unsigned)f;
		out[n].vfunc = f;
		n++;
	}
	return n;
}

int pcispec_vdevfn(const struct pcispec *p)
{
	if (p->vslot <= 0)
		return -1;
	return p->vslot << 3 | (p->vfunc >= 0 ? p->vfunc & 7 : 0);
}

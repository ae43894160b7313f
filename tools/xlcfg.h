/* SPDX-License-Identifier: MIT */
/*
 * The xl.cfg(5) syntax for pvkit guest configs: `key = value` statements,
 * strings, numbers and one-level lists, parsed into settings with positions.
 */
#ifndef PVKIT_TOOLS_XLCFG_H
#define PVKIT_TOOLS_XLCFG_H

#include <stddef.h>

/*
 * Every parse error is one line "SOURCE:LINE:COLUMN: message" (or
 * "SOURCE: message" when it has no position), ready to print as is.
 */
struct xlcfg_err {
	char msg[512];
};

enum xlcfg_kind {
	XLCFG_STRING, /* '...' or "..." with the escapes decoded */
	XLCFG_NUMBER, /* a bare [0-9][0-9a-fx]* atom, kept as text like xl does */
	XLCFG_LIST,   /* [ atom, atom, ... ]: atoms only, lists do not nest */
};

/* Where something was written: @source is borrowed from the owning xlcfg. */
struct xlcfg_pos {
	const char *source;
	int line;   /* 1-based */
	int column; /* 1-based, in bytes */
};

struct xlcfg_value {
	enum xlcfg_kind kind;
	char *text;                /* STRING and NUMBER: owned, NUL-terminated */
	struct xlcfg_value *items; /* LIST: owned array of STRING/NUMBER atoms */
	size_t nitems;
	struct xlcfg_pos pos; /* the value's first character */
};

struct xlcfg_setting {
	char *key;
	struct xlcfg_value value;
	struct xlcfg_pos pos; /* the key */
};

/*
 * A parsed file plus any command-line overrides. Settings are kept in the
 * order written; a key set twice keeps both and the later one wins
 * (xlcfg_find returns it), as in xl.
 */
struct xlcfg {
	struct xlcfg_setting *settings;
	size_t nsettings;
	char **sources; /* owned copies of every source name used */
	size_t nsources;
};

/* Zero @cfg before the first xlcfg_parse into it. */
void xlcfg_init(struct xlcfg *cfg);
/* Free everything @cfg owns; it is left empty and reusable. */
void xlcfg_free(struct xlcfg *cfg);

/*
 * Parse @len bytes of @text (need not be NUL-terminated) named @source
 * ("g1.cfg", "command line") and append its settings to @cfg. `key += value`
 * appends to an earlier list (or string) of the same key, as xl does.
 * Returns 0, -EINVAL with @err filled on a syntax error (the first one; @cfg
 * keeps what was parsed before it), or -ENOMEM.
 */
int xlcfg_parse(struct xlcfg *cfg, const char *source, const char *text, size_t len,
		struct xlcfg_err *err);

/* Read @path and parse it (source name: @path). Returns 0 or -errno. */
int xlcfg_parse_file(struct xlcfg *cfg, const char *path, struct xlcfg_err *err);

/*
 * Parse one command-line override "key=value" (the value in config syntax,
 * except that a value not starting with a quote, a digit or '[' is taken as
 * a plain string, so `name=g2` works like xl's `name="g2"`). @argno numbers
 * the argument in error messages: "command line argument 2:1:6: ...".
 */
int xlcfg_parse_override(struct xlcfg *cfg, const char *arg, int argno, struct xlcfg_err *err);

/* The setting that wins for @key, or NULL. */
const struct xlcfg_setting *xlcfg_find(const struct xlcfg *cfg, const char *key);

/* Fill @err with "SOURCE:LINE:COL: fmt..." for a value at @pos. Returns -EINVAL. */
int xlcfg_errorf(struct xlcfg_err *err, const struct xlcfg_pos *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Parse an xl number (strtol base 0: decimal, 0x hex, leading-0 octal, as
 * xl's getters do) that must lie in [@min, @max]. Returns 0 or -EINVAL.
 */
int xlcfg_parse_long(const char *text, long min, long max, long *out);

#endif

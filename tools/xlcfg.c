/* SPDX-License-Identifier: MIT */
/*
 * The xl.cfg(5) syntax: a hand-written lexer and recursive-descent parser
 * that reports the first error with its file, line and column.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xlcfg.h"

/* Longest config file pvkit reads: a guest config is a few hundred bytes. */
#define XLCFG_MAX_FILE (1 << 20)

enum tok {
	T_EOF,
	T_NEWLINE,
	T_IDENT,
	T_NUMBER,
	T_STRING,
	T_EQ,
	T_PLUSEQ,
	T_LBRACKET,
	T_RBRACKET,
	T_COMMA,
	T_SEMI,
};

/* The lexer: a cursor into the text plus the last token it produced. */
struct lexer {
	const char *p, *end;
	struct xlcfg_pos pos; /* of the next character */
	enum tok tok;
	struct xlcfg_pos tpos; /* of the current token */
	char *text;            /* IDENT, NUMBER, STRING: owned until taken */
	struct xlcfg_err *err;
};

int xlcfg_errorf(struct xlcfg_err *err, const struct xlcfg_pos *pos, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (pos && pos->line > 0)
		n = snprintf(err->msg, sizeof(err->msg), "%s:%d:%d: ", pos->source, pos->line,
			     pos->column);
	else if (pos)
		n = snprintf(err->msg, sizeof(err->msg), "%s: ", pos->source);
	if (n < 0 || (size_t)n >= sizeof(err->msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int lex_error(struct lexer *lx, const struct xlcfg_pos *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int lex_error(struct lexer *lx, const struct xlcfg_pos *pos, const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return xlcfg_errorf(lx->err, pos, "%s", buf);
}

static void advance(struct lexer *lx, size_t n)
{
	lx->p += n;
	lx->pos.column += (int)n;
}

/* Describe a byte for an error message: 'x' or a hex code for the rest. */
static const char *describe_byte(char *buf, size_t len, unsigned char c)
{
	if (isprint(c) && c != '\'')
		snprintf(buf, len, "'%c'", c);
	else
		snprintf(buf, len, "byte 0x%02x", c);
	return buf;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode the escape after a backslash at @q; returns bytes consumed or -EINVAL. */
static int decode_escape(struct lexer *lx, const char *q, char *outc)
{
	static const char simple[] = "\"\"''\\\\a\ab\bf\fn\nr\rt\tv\v";
	struct xlcfg_pos at = lx->pos;
	int used = 1, v = 0;

	at.column += (int)(q - lx->p) - 1;
	for (size_t i = 0; simple[i]; i += 2)
		if (*q == simple[i]) {
			*outc = simple[i + 1];
			return 1;
		}
	if (*q == 'x') {
		if (q + 2 >= lx->end || hexval(q[1]) < 0 || hexval(q[2]) < 0)
			return lex_error(lx, &at, "'\\x' must be followed by two hex digits");
		v = hexval(q[1]) * 16 + hexval(q[2]);
		used = 3;
	} else if (*q >= '0' && *q <= '7') {
		for (used = 0; used < 3 && q + used < lx->end && q[used] >= '0' && q[used] <= '7';
		     used++)
			v = v * 8 + (q[used] - '0');
		if (v > 255)
			return lex_error(lx, &at, "octal escape '\\%.3s' is above \\377", q);
	} else {
		char b[16];

		return lex_error(lx, &at, "unknown escape '\\' followed by %s in string",
				 describe_byte(b, sizeof(b), (unsigned char)*q));
	}
	if (v == 0)
		return lex_error(lx, &at, "a NUL byte ('\\0') is not allowed in a string");
	*outc = (char)v;
	return used;
}

/* A quoted string starting at lx->p (the quote). Sets lx->text. */
static int lex_string(struct lexer *lx)
{
	char quote = *lx->p, *out, *o;
	const char *q = lx->p + 1;
	int rc;

	out = o = malloc((size_t)(lx->end - lx->p));
	if (!out)
		return -ENOMEM;
	for (; q < lx->end && *q != quote && *q != '\n'; q++) {
		if (*q == '\0') {
			rc = lex_error(lx, &lx->tpos, "NUL byte inside a string");
			goto out_free;
		}
		if (*q != '\\') {
			*o++ = *q;
			continue;
		}
		if (q + 1 >= lx->end || q[1] == '\n')
			break;
		rc = decode_escape(lx, q + 1, o++);
		if (rc < 0)
			goto out_free;
		q += rc;
	}
	if (q >= lx->end || *q != quote) {
		rc = lex_error(lx, &lx->tpos, "unterminated string (missing closing %c)", quote);
		goto out_free;
	}
	*o = '\0';
	lx->text = out;
	advance(lx, (size_t)(q + 1 - lx->p));
	return 0;
out_free:
	free(out);
	return rc;
}

/* A run of bytes matching @accept starting at lx->p, copied to lx->text. */
static int lex_word(struct lexer *lx, int (*accept)(int c))
{
	size_t n = 1;

	while (lx->p + n < lx->end && accept((unsigned char)lx->p[n]))
		n++;
	lx->text = strndup(lx->p, n);
	if (!lx->text)
		return -ENOMEM;
	advance(lx, n);
	return 0;
}

static int is_ident_char(int c)
{
	return isalnum(c) || c == '_';
}

/* xl's NUMBER atom: [0-9][0-9a-fx]*; the value is checked when it is used. */
static int is_number_char(int c)
{
	return isdigit(c) || (c >= 'a' && c <= 'f') || c == 'x' || c == 'X' ||
	       (c >= 'A' && c <= 'F');
}

/* Skip blanks, then a comment; a token after a comment (end of line) is placed at the '#'. */
static void skip_blanks_and_comment(struct lexer *lx)
{
	while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r'))
		advance(lx, 1);
	lx->tpos = lx->pos;
	if (lx->p < lx->end && *lx->p == '#')
		while (lx->p < lx->end && *lx->p != '\n')
			advance(lx, 1);
}

static int lex_punct(struct lexer *lx)
{
	static const char single[] = "=[],;";
	static const enum tok kinds[] = {T_EQ, T_LBRACKET, T_RBRACKET, T_COMMA, T_SEMI};
	const char *s = memchr(single, *lx->p, sizeof(single) - 1);
	char b[16];

	if (*lx->p == '+' && lx->p + 1 < lx->end && lx->p[1] == '=') {
		lx->tok = T_PLUSEQ;
		advance(lx, 2);
		return 0;
	}
	if (!s || *lx->p == '\0')
		return lex_error(lx, &lx->tpos, "unexpected %s",
				 describe_byte(b, sizeof(b), (unsigned char)*lx->p));
	lx->tok = kinds[s - single];
	advance(lx, 1);
	return 0;
}

/* Read the next token into lx->tok (and lx->text). Returns 0 or -errno. */
static int next(struct lexer *lx)
{
	unsigned char c;

	free(lx->text);
	lx->text = NULL;
	skip_blanks_and_comment(lx);
	if (lx->p >= lx->end) {
		lx->tok = T_EOF;
		return 0;
	}
	c = (unsigned char)*lx->p;
	if (c == '\n') {
		lx->tok = T_NEWLINE;
		lx->p++;
		lx->pos.line++;
		lx->pos.column = 1;
		return 0;
	}
	if (c == '"' || c == '\'') {
		lx->tok = T_STRING;
		return lex_string(lx);
	}
	if (isdigit(c)) {
		lx->tok = T_NUMBER;
		return lex_word(lx, is_number_char);
	}
	if (isalpha(c) || c == '_') {
		lx->tok = T_IDENT;
		return lex_word(lx, is_ident_char);
	}
	return lex_punct(lx);
}

/* --- parser ------------------------------------------------------------- */

static const char *tok_name(enum tok t)
{
	static const char *const names[] = {
		[T_EOF] = "end of file",   [T_NEWLINE] = "end of line", [T_IDENT] = "a name",
		[T_NUMBER] = "a number",   [T_STRING] = "a string",     [T_EQ] = "'='",
		[T_PLUSEQ] = "'+='",       [T_LBRACKET] = "'['",        [T_RBRACKET] = "']'",
		[T_COMMA] = "','",         [T_SEMI] = "';'",
	};
	return names[t];
}

static void value_free(struct xlcfg_value *v)
{
	free(v->text);
	for (size_t i = 0; i < v->nitems; i++)
		free(v->items[i].text);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

/* Take the current atom token into @v. */
static void take_atom(struct lexer *lx, struct xlcfg_value *v)
{
	v->kind = lx->tok == T_STRING ? XLCFG_STRING : XLCFG_NUMBER;
	v->text = lx->text;
	v->pos = lx->tpos;
	lx->text = NULL;
}

static int skip_newlines(struct lexer *lx)
{
	int rc = 0;

	while (!rc && lx->tok == T_NEWLINE)
		rc = next(lx);
	return rc;
}

static int list_append(struct xlcfg_value *list, struct lexer *lx)
{
	struct xlcfg_value *n = realloc(list->items, (list->nitems + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	list->items = n;
	memset(&n[list->nitems], 0, sizeof(*n));
	take_atom(lx, &n[list->nitems++]);
	return 0;
}

/* '[' already current. Parses up to and including ']'. */
static int parse_list(struct lexer *lx, struct xlcfg_value *v)
{
	struct xlcfg_pos open = lx->tpos;
	int rc;

	v->kind = XLCFG_LIST;
	v->pos = open;
	if ((rc = next(lx)) || (rc = skip_newlines(lx)))
		return rc;
	while (lx->tok != T_RBRACKET) {
		if (lx->tok == T_LBRACKET)
			return lex_error(lx, &lx->tpos, "lists cannot be nested");
		if (lx->tok == T_EOF)
			return lex_error(lx, &open, "unterminated list (missing ']')");
		if (lx->tok != T_STRING && lx->tok != T_NUMBER)
			return lex_error(lx, &lx->tpos, "expected a list item or ']', found %s",
					 tok_name(lx->tok));
		if ((rc = list_append(v, lx)) || (rc = next(lx)) || (rc = skip_newlines(lx)))
			return rc;
		if (lx->tok == T_COMMA) {
			if ((rc = next(lx)) || (rc = skip_newlines(lx)))
				return rc;
		} else if (lx->tok == T_EOF) {
			return lex_error(lx, &open, "unterminated list (missing ']')");
		} else if (lx->tok != T_RBRACKET) {
			return lex_error(lx, &lx->tpos, "expected ',' or ']' in list, found %s",
					 tok_name(lx->tok));
		}
	}
	return next(lx);
}

static int parse_value(struct lexer *lx, struct xlcfg_value *v, enum tok op)
{
	if (lx->tok == T_LBRACKET)
		return parse_list(lx, v);
	if (lx->tok == T_STRING || lx->tok == T_NUMBER) {
		take_atom(lx, v);
		return next(lx);
	}
	return lex_error(lx, &lx->tpos, "expected a value after '%s'", op == T_EQ ? "=" : "+=");
}

/* `key += value`: append to the winning earlier setting of the same key. */
static int append_to(struct xlcfg_setting *old, struct xlcfg_value *v)
{
	struct xlcfg_value *o = &old->value;

	if (o->kind == XLCFG_LIST && v->kind == XLCFG_LIST) {
		struct xlcfg_value *n = realloc(o->items, (o->nitems + v->nitems) * sizeof(*n));

		if (!n && o->nitems + v->nitems)
			return -ENOMEM;
		o->items = n;
		memcpy(n + o->nitems, v->items, v->nitems * sizeof(*n));
		o->nitems += v->nitems;
		free(v->items);
		v->items = NULL;
		v->nitems = 0;
		return 0;
	}
	if (o->kind == XLCFG_STRING && v->kind == XLCFG_STRING) {
		size_t a = strlen(o->text), b = strlen(v->text);
		char *s = realloc(o->text, a + b + 1);

		if (!s)
			return -ENOMEM;
		memcpy(s + a, v->text, b + 1);
		o->text = s;
		return 0;
	}
	return -EINVAL;
}

static struct xlcfg_setting *find_mut(struct xlcfg *cfg, const char *key)
{
	for (size_t i = cfg->nsettings; i-- > 0;)
		if (!strcmp(cfg->settings[i].key, key))
			return &cfg->settings[i];
	return NULL;
}

static int store(struct xlcfg *cfg, struct lexer *lx, char *key, struct xlcfg_pos kpos,
		 enum tok op, struct xlcfg_value *v)
{
	struct xlcfg_setting *old = op == T_PLUSEQ ? find_mut(cfg, key) : NULL, *n;
	int rc;

	if (old) {
		rc = append_to(old, v);
		if (rc == -EINVAL)
			rc = lex_error(lx, &v->pos, "'+=' needs a %s like the earlier '%s'",
				       old->value.kind == XLCFG_LIST ? "list" : "string", key);
		free(key);
		value_free(v);
		return rc;
	}
	n = realloc(cfg->settings, (cfg->nsettings + 1) * sizeof(*n));
	if (!n) {
		free(key);
		value_free(v);
		return -ENOMEM;
	}
	cfg->settings = n;
	n[cfg->nsettings].key = key;
	n[cfg->nsettings].value = *v;
	n[cfg->nsettings++].pos = kpos;
	memset(v, 0, sizeof(*v));
	return 0;
}

/* One statement; the current token is its first. */
static int parse_statement(struct xlcfg *cfg, struct lexer *lx)
{
	struct xlcfg_value v = {0};
	struct xlcfg_pos kpos = lx->tpos;
	enum tok op;
	char *key;
	int rc;

	if (lx->tok != T_IDENT)
		return lex_error(lx, &lx->tpos, "expected a setting name, found %s",
				 tok_name(lx->tok));
	key = lx->text;
	lx->text = NULL;
	if ((rc = next(lx)))
		goto out_key;
	op = lx->tok;
	if (op != T_EQ && op != T_PLUSEQ) {
		rc = lex_error(lx, &lx->tpos, "expected '=' after '%s', found %s", key,
			       tok_name(lx->tok));
		goto out_key;
	}
	if ((rc = next(lx)) || (rc = parse_value(lx, &v, op)))
		goto out_value;
	if (lx->tok != T_NEWLINE && lx->tok != T_SEMI && lx->tok != T_EOF) {
		rc = lex_error(lx, &lx->tpos, "expected end of line after the value of '%s', found %s",
			       key, tok_name(lx->tok));
		goto out_value;
	}
	return store(cfg, lx, key, kpos, op, &v);
out_value:
	value_free(&v);
out_key:
	free(key);
	return rc;
}

static const char *intern_source(struct xlcfg *cfg, const char *source)
{
	char **n = realloc(cfg->sources, (cfg->nsources + 1) * sizeof(*n));

	if (!n)
		return NULL;
	cfg->sources = n;
	n[cfg->nsources] = strdup(source);
	return n[cfg->nsources] ? n[cfg->nsources++] : NULL;
}

static int parse_text(struct xlcfg *cfg, struct lexer *lx)
{
	int rc = next(lx);

	while (!rc && lx->tok != T_EOF) {
		if (lx->tok == T_NEWLINE || lx->tok == T_SEMI)
			rc = next(lx);
		else
			rc = parse_statement(cfg, lx);
	}
	free(lx->text);
	lx->text = NULL;
	return rc;
}

int xlcfg_parse(struct xlcfg *cfg, const char *source, const char *text, size_t len,
		struct xlcfg_err *err)
{
	struct lexer lx = {.p = text, .end = text + len, .err = err};

	lx.pos.source = intern_source(cfg, source);
	if (!lx.pos.source)
		return -ENOMEM;
	lx.pos.line = 1;
	lx.pos.column = 1;
	return parse_text(cfg, &lx);
}

static int read_all(int fd, char **out, size_t *outlen)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap), *n;
	ssize_t r;
	int rc;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			rc = cap >= XLCFG_MAX_FILE ? -EFBIG : -ENOMEM;
			if (rc == -EFBIG || !(n = realloc(buf, cap * 2)))
				goto out_free;
			buf = n;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len);
		if (r == 0)
			break;
		if (r < 0 && errno == EINTR)
			continue;
		rc = -errno;
		if (r < 0)
			goto out_free;
		len += (size_t)r;
	}
	*out = buf;
	*outlen = len;
	return 0;
out_free:
	free(buf);
	return rc;
}

int xlcfg_parse_file(struct xlcfg *cfg, const char *path, struct xlcfg_err *err)
{
	struct xlcfg_pos at = {.source = path};
	size_t len = 0;
	char *text = NULL;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		xlcfg_errorf(err, &at, "cannot open: %s", strerror(-rc));
		return rc;
	}
	rc = read_all(fd, &text, &len);
	close(fd);
	if (rc) {
		xlcfg_errorf(err, &at, "cannot read: %s",
			     rc == -EFBIG ? "larger than 1 MiB, not a guest config" : strerror(-rc));
		return rc;
	}
	rc = xlcfg_parse(cfg, path, text, len, err);
	free(text);
	return rc;
}

/* The override's value is a bare word: quote it so `name=g2` means "g2". */
static int override_is_bare(const char *value)
{
	while (*value == ' ' || *value == '\t')
		value++;
	return *value && *value != '"' && *value != '\'' && *value != '[' && !isdigit(
		(unsigned char)*value);
}

static int valid_key(const char *key, size_t len)
{
	if (!len || !(isalpha((unsigned char)key[0]) || key[0] == '_'))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!is_ident_char((unsigned char)key[i]))
			return 0;
	return 1;
}

int xlcfg_parse_override(struct xlcfg *cfg, const char *arg, int argno, struct xlcfg_err *err)
{
	const char *eq = strchr(arg, '=');
	char source[64];
	struct lexer lx = {.p = arg, .end = arg + strlen(arg), .err = err};
	struct xlcfg_value v = {0};
	char *key;

	snprintf(source, sizeof(source), "command line argument %d", argno);
	lx.pos = (struct xlcfg_pos){intern_source(cfg, source), 1, 1};
	if (!lx.pos.source)
		return -ENOMEM;
	if (!eq || !override_is_bare(eq + 1) || !valid_key(arg, (size_t)(eq - arg)))
		return parse_text(cfg, &lx);
	/* KEY=bare words: the rest of the argument is the string. */
	key = strndup(arg, (size_t)(eq - arg));
	v.kind = XLCFG_STRING;
	v.text = strdup(eq + 1);
	v.pos = (struct xlcfg_pos){lx.pos.source, 1, (int)(eq - arg) + 2};
	if (!key || !v.text) {
		free(key);
		value_free(&v);
		return -ENOMEM;
	}
	return store(cfg, &lx, key, lx.pos, T_EQ, &v);
}

const struct xlcfg_setting *xlcfg_find(const struct xlcfg *cfg, const char *key)
{
	return find_mut((struct xlcfg *)cfg, key);
}

void xlcfg_init(struct xlcfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

void xlcfg_free(struct xlcfg *cfg)
{
	for (size_t i = 0; i < cfg->nsettings; i++) {
		free(cfg->settings[i].key);
		value_free(&cfg->settings[i].value);
	}
	free(cfg->settings);
	for (size_t i = 0; i < cfg->nsources; i++)
		free(cfg->sources[i]);
	free(cfg->sources);
	memset(cfg, 0, sizeof(*cfg));
}

int xlcfg_parse_long(const char *text, long min, long max, long *out)
{
	char *end;
	long v;

	if (!text || !*text || isspace((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	v = strtol(text, &end, 0);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for tools/xlcfg.c: every accepted form of the xl.cfg syntax,
 * every syntax error with its exact text and position, and random garbage.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../../tools/xlcfg.h"
#include "../../harness/cunit.h"

/* Parse @text as "t.cfg"; returns rc and leaves the result in *cfg. */
static int parse(struct xlcfg *cfg, const char *text, struct xlcfg_err *err)
{
	xlcfg_init(cfg);
	err->msg[0] = '\0';
	return xlcfg_parse(cfg, "t.cfg", text, strlen(text), err);
}

struct accept_case {
	const char *text;
	const char *key;
	enum xlcfg_kind kind;
	const char *value; /* atom text, or the list items joined with '|' */
	int line, column;  /* of the value */
};

static const struct accept_case accepted[] = {
	{"name = \"g1\"\n", "name", XLCFG_STRING, "g1", 1, 8},
	{"name='g1'", "name", XLCFG_STRING, "g1", 1, 6},
	{"name=\"g1\";", "name", XLCFG_STRING, "g1", 1, 6},
	{"  name\t=\t'g 1'  # comment\n", "name", XLCFG_STRING, "g 1", 1, 10},
	{"# only a comment\n\n\nmemory = 512\n", "memory", XLCFG_NUMBER, "512", 4, 10},
	{"memory = 0x200", "memory", XLCFG_NUMBER, "0x200", 1, 10},
	{"memory = 0777", "memory", XLCFG_NUMBER, "0777", 1, 10},
	{"a = 1; b = 2; memory = 3", "memory", XLCFG_NUMBER, "3", 1, 24},
	{"memory = 1\r\nvcpus = 2\r\n", "vcpus", XLCFG_NUMBER, "2", 2, 9},
	{"memory = 1\nmemory = 2\n", "memory", XLCFG_NUMBER, "2", 2, 10},
	{"init = \"a\\\"b\\'c\\\\d\"", "init", XLCFG_STRING, "a\"b'c\\d", 1, 8},
	{"init = '\\a\\b\\f\\n\\r\\t\\v'", "init", XLCFG_STRING, "\a\b\f\n\r\t\v", 1, 8},
	{"init = '\\x41\\x7a'", "init", XLCFG_STRING, "Az", 1, 8},
	{"init = '\\101\\60\\7x'", "init", XLCFG_STRING, "A0\ax", 1, 8},
	{"init = \"it's\"", "init", XLCFG_STRING, "it's", 1, 8},
	{"init = 'say \"hi\"'", "init", XLCFG_STRING, "say \"hi\"", 1, 8},
	{"init = ''", "init", XLCFG_STRING, "", 1, 8},
	{"disk = []", "disk", XLCFG_LIST, "", 1, 8},
	{"disk = [ ]\n", "disk", XLCFG_LIST, "", 1, 8},
	{"disk = ['a']", "disk", XLCFG_LIST, "a", 1, 8},
	{"disk = [ 'a', \"b\" ]", "disk", XLCFG_LIST, "a|b", 1, 8},
	{"disk = [ 'a', \"b\", ]", "disk", XLCFG_LIST, "a|b", 1, 8},
	{"disk = [\n  'a',\n  'b',\n]\n", "disk", XLCFG_LIST, "a|b", 1, 8},
	{"disk = [\n\n 'a' # first\n , 'b'\n\n ]", "disk", XLCFG_LIST, "a|b", 1, 8},
	{"disk = [ 1, 0x2, 'c' ]", "disk", XLCFG_LIST, "1|0x2|c", 1, 8},
	{"disk = [ 'a' ]\ndisk += [ 'b', 'c' ]", "disk", XLCFG_LIST, "a|b|c", 1, 8},
	{"init = 'a'\ninit += 'b'", "init", XLCFG_STRING, "ab", 1, 8},
	{"disk += [ 'a' ]", "disk", XLCFG_LIST, "a", 1, 9},
	{"on_crash = \"destroy\"", "on_crash", XLCFG_STRING, "destroy", 1, 12},
	{"Key_2 = 1", "Key_2", XLCFG_NUMBER, "1", 1, 9},
	{"name = \"g1\"", "name", XLCFG_STRING, "g1", 1, 8},
};

static void join_items(const struct xlcfg_value *v, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < v->nitems; i++) {
		if (i)
			strncat(buf, "|", len - strlen(buf) - 1);
		strncat(buf, v->items[i].text, len - strlen(buf) - 1);
	}
}

static void test_accepted_forms(void)
{
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		const struct accept_case *c = &accepted[i];
		struct xlcfg cfg;
		struct xlcfg_err err;
		const struct xlcfg_setting *s;
		char got[256];
		int rc = parse(&cfg, c->text, &err);

		if (rc)
			fprintf(stderr, "case %zu: %s\n", i, err.msg);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		s = xlcfg_find(&cfg, c->key);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_EQUAL(s->value.kind, c->kind);
		if (s->value.kind == XLCFG_LIST)
			join_items(&s->value, got, sizeof(got));
		else
			snprintf(got, sizeof(got), "%s", s->value.text);
		if (strcmp(got, c->value))
			fprintf(stderr, "case %zu: got '%s', want '%s'\n", i, got, c->value);
		CU_ASSERT_STRING_EQUAL(got, c->value);
		CU_ASSERT_EQUAL(s->value.pos.line, c->line);
		CU_ASSERT_EQUAL(s->value.pos.column, c->column);
		CU_ASSERT_STRING_EQUAL(s->value.pos.source, "t.cfg");
		xlcfg_free(&cfg);
	}
}

struct reject_case {
	const char *text;
	const char *msg;
};

static const struct reject_case rejected[] = {
	{"memory =\n", "t.cfg:1:9: expected a value after '='"},
	{"memory =", "t.cfg:1:9: expected a value after '='"},
	{"name = \"g1\"\nmemory =   # no value\n", "t.cfg:2:12: expected a value after '='"},
	{"memory = ;", "t.cfg:1:10: expected a value after '='"},
	{"memory = ]", "t.cfg:1:10: expected a value after '='"},
	{"memory += ", "t.cfg:1:11: expected a value after '+='"},
	{"memory 512", "t.cfg:1:8: expected '=' after 'memory', found a number"},
	{"memory\n", "t.cfg:1:7: expected '=' after 'memory', found end of line"},
	{"= 5", "t.cfg:1:1: expected a setting name, found '='"},
	{"'name' = 5", "t.cfg:1:1: expected a setting name, found a string"},
	{"512", "t.cfg:1:1: expected a setting name, found a number"},
	{"a = 1 2", "t.cfg:1:7: expected end of line after the value of 'a', found a number"},
	{"a = 'x' 'y'", "t.cfg:1:9: expected end of line after the value of 'a', found a string"},
	{"a = 'x' = 1", "t.cfg:1:9: expected end of line after the value of 'a', found '='"},
	{"a = 'abc", "t.cfg:1:5: unterminated string (missing closing ')"},
	{"a = \"abc\nb = 1", "t.cfg:1:5: unterminated string (missing closing \")"},
	{"a = 'ab\\", "t.cfg:1:5: unterminated string (missing closing ')"},
	{"a = 'ab\\\n'", "t.cfg:1:5: unterminated string (missing closing ')"},
	{"a = 'x\\q'", "t.cfg:1:7: unknown escape '\\' followed by 'q' in string"},
	{"a = 'x\\xg1'", "t.cfg:1:7: '\\x' must be followed by two hex digits"},
	{"a = 'x\\x4'", "t.cfg:1:7: '\\x' must be followed by two hex digits"},
	{"a = 'x\\0'", "t.cfg:1:7: a NUL byte ('\\0') is not allowed in a string"},
	{"a = 'x\\x00'", "t.cfg:1:7: a NUL byte ('\\0') is not allowed in a string"},
	{"a = '\\777'", "t.cfg:1:6: octal escape '\\777' is above \\377"},
	{"a = [ 'x'", "t.cfg:1:5: unterminated list (missing ']')"},
	{"a = [\n 'x',\n", "t.cfg:1:5: unterminated list (missing ']')"},
	{"a = [ 'x' 'y' ]", "t.cfg:1:11: expected ',' or ']' in list, found a string"},
	{"a = [ 'x' ; ]", "t.cfg:1:11: expected ',' or ']' in list, found ';'"},
	{"a = [ , ]", "t.cfg:1:7: expected a list item or ']', found ','"},
	{"a = [ 'x', , ]", "t.cfg:1:12: expected a list item or ']', found ','"},
	{"a = [ [ 'x' ] ]", "t.cfg:1:7: lists cannot be nested"},
	{"a = [ name ]", "t.cfg:1:7: expected a list item or ']', found a name"},
	{"a = yes", "t.cfg:1:5: expected a value after '='"},
	{"a = -1", "t.cfg:1:5: unexpected '-'"},
	{"a = 1.5", "t.cfg:1:6: unexpected '.'"},
	{"a = (1, 2)", "t.cfg:1:5: unexpected '('"},
	{"a: 1", "t.cfg:1:2: unexpected ':'"},
	{"a = 1\n\n  $x = 2", "t.cfg:3:3: unexpected '$'"},
	{"a = '\xff'\nb = \xc3\xa9", "t.cfg:2:5: unexpected byte 0xc3"},
	{"a = 1 +", "t.cfg:1:7: unexpected '+'"},
	{"a = 'x'\ninit = 'y'\na += [ 'z' ]", "t.cfg:3:6: '+=' needs a string like the earlier 'a'"},
	{"a = [ 'x' ]\na += 'z'", "t.cfg:2:6: '+=' needs a list like the earlier 'a'"},
};

static void test_rejected_forms(void)
{
	for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
		struct xlcfg cfg;
		struct xlcfg_err err;
		int rc = parse(&cfg, rejected[i].text, &err);

		if (rc != -EINVAL || strcmp(err.msg, rejected[i].msg))
			fprintf(stderr, "case %zu: rc %d, got \"%s\", want \"%s\"\n", i, rc, err.msg,
				rejected[i].msg);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_STRING_EQUAL(err.msg, rejected[i].msg);
		xlcfg_free(&cfg);
	}
}

static void test_nul_byte_in_file(void)
{
	static const char text[] = "a = 1\nb\0 = 2\n";
	struct xlcfg cfg;
	struct xlcfg_err err;

	xlcfg_init(&cfg);
	CU_ASSERT_EQUAL(xlcfg_parse(&cfg, "t.cfg", text, sizeof(text) - 1, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.msg, "t.cfg:2:2: unexpected byte 0x00");
	xlcfg_free(&cfg);
	xlcfg_init(&cfg);
	CU_ASSERT_EQUAL(xlcfg_parse(&cfg, "t.cfg", "a = 'x\0y'", 9, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.msg, "t.cfg:1:5: NUL byte inside a string");
	xlcfg_free(&cfg);
}

static void test_settings_in_order(void)
{
	struct xlcfg cfg;
	struct xlcfg_err err;

	CU_ASSERT_EQUAL_FATAL(parse(&cfg, "b = 1\na = 'x'\nb = 2\n", &err), 0);
	CU_ASSERT_EQUAL_FATAL(cfg.nsettings, 3);
	CU_ASSERT_STRING_EQUAL(cfg.settings[0].key, "b");
	CU_ASSERT_EQUAL(cfg.settings[0].pos.line, 1);
	CU_ASSERT_EQUAL(cfg.settings[0].pos.column, 1);
	CU_ASSERT_STRING_EQUAL(cfg.settings[2].value.text, "2");
	CU_ASSERT_PTR_EQUAL(xlcfg_find(&cfg, "b"), &cfg.settings[2]);
	CU_ASSERT_PTR_NULL(xlcfg_find(&cfg, "c"));
	xlcfg_free(&cfg);
	CU_ASSERT_EQUAL(cfg.nsettings, 0);
}

struct override_case {
	const char *arg;
	int rc;
	const char *key, *value, *msg;
};

static const struct override_case overrides[] = {
	{"name=g2", 0, "name", "g2", NULL},
	{"name=two words", 0, "name", "two words", NULL},
	{"init=/bin/echo a=b", 0, "init", "/bin/echo a=b", NULL},
	{"name=\"g3\"", 0, "name", "g3", NULL},
	{"name='g4'", 0, "name", "g4", NULL},
	{"memory=256", 0, "memory", "256", NULL},
	{"memory = 0x100", 0, "memory", "0x100", NULL},
	{"vif=['bridge=br1']", 0, "vif", "bridge=br1", NULL},
	{"memory=", -EINVAL, NULL, NULL, "command line argument 3:1:8: expected a value after '='"},
	{"memory=12 13", -EINVAL, NULL, NULL,
	 "command line argument 3:1:11: expected end of line after the value of 'memory', found a "
	 "number"},
	{"2x=y", -EINVAL, NULL, NULL, "command line argument 3:1:1: expected a setting name, found a "
				     "number"},
	{"na-me=y", -EINVAL, NULL, NULL, "command line argument 3:1:3: unexpected '-'"},
	{"name='x", -EINVAL, NULL, NULL,
	 "command line argument 3:1:6: unterminated string (missing closing ')"},
};

static void test_overrides(void)
{
	for (size_t i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++) {
		const struct override_case *c = &overrides[i];
		struct xlcfg cfg;
		struct xlcfg_err err = {{0}};
		const struct xlcfg_setting *s;
		int rc;

		CU_ASSERT_EQUAL_FATAL(parse(&cfg, "name = 'g1'\nmemory = 128\n", &err), 0);
		rc = xlcfg_parse_override(&cfg, c->arg, 3, &err);
		if (rc != c->rc)
			fprintf(stderr, "override %zu: rc %d (%s)\n", i, rc, err.msg);
		CU_ASSERT_EQUAL(rc, c->rc);
		if (c->msg) {
			if (strcmp(err.msg, c->msg))
				fprintf(stderr, "override %zu: got \"%s\"\n", i, err.msg);
			CU_ASSERT_STRING_EQUAL(err.msg, c->msg);
		} else {
			s = xlcfg_find(&cfg, c->key);
			CU_ASSERT_PTR_NOT_NULL_FATAL(s);
			CU_ASSERT_STRING_EQUAL(s->value.kind == XLCFG_LIST ? s->value.items[0].text
									   : s->value.text,
					       c->value);
			CU_ASSERT_STRING_EQUAL(s->pos.source, "command line argument 3");
		}
		xlcfg_free(&cfg);
	}
}

static void test_parse_file(void)
{
	char path[] = "/tmp/pvkit-test-xlcfg-XXXXXX";
	const char *text = "name = 'g1'\ndisk = [ 'x',\n 'y' ]\n";
	struct xlcfg cfg;
	struct xlcfg_err err;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL((size_t)write(fd, text, strlen(text)), strlen(text));
	close(fd);
	xlcfg_init(&cfg);
	CU_ASSERT_EQUAL(xlcfg_parse_file(&cfg, path, &err), 0);
	CU_ASSERT_EQUAL(xlcfg_find(&cfg, "disk")->value.nitems, 2);
	CU_ASSERT_STRING_EQUAL(xlcfg_find(&cfg, "disk")->value.items[1].pos.source, path);
	CU_ASSERT_EQUAL(xlcfg_find(&cfg, "disk")->value.items[1].pos.line, 3);
	xlcfg_free(&cfg);
	unlink(path);
	xlcfg_init(&cfg);
	CU_ASSERT_EQUAL(xlcfg_parse_file(&cfg, "/nonexistent/g.cfg", &err), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err.msg, "/nonexistent/g.cfg: cannot open: No such file or directory");
	CU_ASSERT_EQUAL(xlcfg_parse_file(&cfg, "/", &err), -EISDIR);
	CU_ASSERT_STRING_EQUAL(err.msg, "/: cannot read: Is a directory");
	xlcfg_free(&cfg);
}

static void test_parse_long(void)
{
	long v;

	CU_ASSERT_EQUAL(xlcfg_parse_long("512", 1, 1024, &v), 0);
	CU_ASSERT_EQUAL(v, 512);
	CU_ASSERT_EQUAL(xlcfg_parse_long("0x200", 1, 1024, &v), 0);
	CU_ASSERT_EQUAL(v, 512);
	CU_ASSERT_EQUAL(xlcfg_parse_long("010", 1, 1024, &v), 0);
	CU_ASSERT_EQUAL(v, 8);
	CU_ASSERT_EQUAL(xlcfg_parse_long("0", 1, 1024, &v), -EINVAL);
	CU_ASSERT_EQUAL(xlcfg_parse_long("1025", 1, 1024, &v), -EINVAL);
	CU_ASSERT_EQUAL(xlcfg_parse_long("12abc", 1, 1024, &v), -EINVAL);
	CU_ASSERT_EQUAL(xlcfg_parse_long("", 1, 1024, &v), -EINVAL);
	CU_ASSERT_EQUAL(xlcfg_parse_long(" 5", 1, 1024, &v), -EINVAL);
	CU_ASSERT_EQUAL(xlcfg_parse_long("99999999999999999999999", 1, 1024, &v), -EINVAL);
}

/* A small deterministic PRNG so a failure reproduces. */
static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Random text biased towards the config alphabet: no crash, always 0 or an error. */
static void test_random_garbage(void)
{
	static const char alphabet[] = "ab=[]'\",;#\n \\x0123+-.\t\r\"'[]=name memory disk";
	char text[96];

	for (int iter = 0; iter < 20000; iter++) {
		struct xlcfg cfg;
		struct xlcfg_err err;
		size_t len = rng() % sizeof(text);
		int rc;

		for (size_t i = 0; i < len; i++)
			text[i] = (rng() % 8) ? alphabet[rng() % (sizeof(alphabet) - 1)]
					      : (char)(rng() & 0xff);
		xlcfg_init(&cfg);
		err.msg[0] = '\0';
		rc = xlcfg_parse(&cfg, "fuzz", text, len, &err);
		CU_ASSERT(rc == 0 || rc == -EINVAL);
		if (rc == -EINVAL)
			CU_ASSERT(!strncmp(err.msg, "fuzz:", 5));
		for (size_t i = 0; !rc && i < cfg.nsettings; i++)
			CU_ASSERT_PTR_NOT_NULL(cfg.settings[i].key);
		xlcfg_free(&cfg);
	}
}

static CU_TestInfo xlcfg_tests[] = {
	{"accepted forms", test_accepted_forms},
	{"rejected forms with position", test_rejected_forms},
	{"NUL bytes", test_nul_byte_in_file},
	{"settings in order, later wins", test_settings_in_order},
	{"command-line overrides", test_overrides},
	{"parse a file", test_parse_file},
	{"numbers as xl reads them", test_parse_long},
	{"random garbage", test_random_garbage},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"xlcfg", NULL, NULL, NULL, NULL, xlcfg_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

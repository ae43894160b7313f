/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for platform/local/xenstored/store.c: the node hash, child
 * lists, permission entries and path helpers.
 */
#include <stdio.h>

#include "xsd_test.h"
#include "../../../../harness/cunit.h"

static void test_hash_put_get_take(void)
{
	struct xsd_store st;
	char path[32];

	CU_ASSERT_EQUAL_FATAL(xsd_store_init(&st), 0);
	for (int i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), "/n/%d", i);
		CU_ASSERT_EQUAL(xsd_store_put(&st, xsd_node_new(path)), 0);
	}
	CU_ASSERT_EQUAL(st.count, 1000);
	CU_ASSERT(st.nbuckets >= 1000);
	CU_ASSERT_PTR_NOT_NULL(xsd_store_get(&st, "/n/999"));
	CU_ASSERT_PTR_NULL(xsd_store_get(&st, "/n/1000"));
	{
		struct xsd_node *dup = xsd_node_new("/n/5");

		CU_ASSERT_EQUAL(xsd_store_put(&st, dup), -EEXIST);
		xsd_node_free(dup);
	}
	xsd_node_free(xsd_store_take(&st, "/n/5"));
	CU_ASSERT_PTR_NULL(xsd_store_get(&st, "/n/5"));
	CU_ASSERT_PTR_NULL(xsd_store_take(&st, "/n/5"));
	CU_ASSERT_EQUAL(st.count, 999);
	xsd_store_free(&st);
}

static void test_kids_and_clone(void)
{
	struct xsd_node *n = xsd_node_new("/a"), *c;
	struct xsd_perm p[2] = {{.dom = 1, .mode = XSD_PERM_READ}, {.dom = 2, .mode = XSD_PERM_BOTH}};

	for (int i = 0; i < 10; i++) {
		char name[8];

		snprintf(name, sizeof(name), "k%d", i);
		CU_ASSERT_EQUAL(xsd_node_kid_add(n, name), 0);
	}
	xsd_node_kid_del(n, "k3");
	xsd_node_kid_del(n, "absent");
	CU_ASSERT_EQUAL(n->nkids, 9);
	CU_ASSERT_STRING_EQUAL(n->kids[3], "k4"); /* creation order kept */
	CU_ASSERT_EQUAL(xsd_node_set_value(n, "v\0w", 3), 0);
	CU_ASSERT_EQUAL(xsd_node_set_perms(n, p, 2), 0);
	c = xsd_node_clone(n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->vlen, 3);
	CU_ASSERT_EQUAL(memcmp(c->value, "v\0w", 3), 0);
	CU_ASSERT_EQUAL(c->nperms, 2);
	CU_ASSERT_EQUAL(c->perms[1].dom, 2);
	CU_ASSERT_EQUAL(c->nkids, 9);
	CU_ASSERT_PTR_NOT_EQUAL(c->kids[0], n->kids[0]);
	xsd_node_free(c);
	xsd_node_free(n);
}

static void test_perm_access(void)
{
	struct xsd_perm p[3] = {{5, XSD_PERM_READ}, {6, XSD_PERM_NONE}, {7, XSD_PERM_WRITE}};

	CU_ASSERT_EQUAL(xsd_perm_access(p, 3, 0), XSD_PERM_BOTH); /* domain 0 */
	CU_ASSERT_EQUAL(xsd_perm_access(p, 3, 5), XSD_PERM_BOTH); /* owner */
	CU_ASSERT_EQUAL(xsd_perm_access(p, 3, 6), XSD_PERM_NONE);
	CU_ASSERT_EQUAL(xsd_perm_access(p, 3, 7), XSD_PERM_WRITE);
	CU_ASSERT_EQUAL(xsd_perm_access(p, 3, 8), XSD_PERM_READ); /* default */
	CU_ASSERT_EQUAL(xsd_perm_access(p, 0, 8), XSD_PERM_NONE);
}

static void test_perm_parse_format(void)
{
	struct xsd_perm p;
	char buf[16];

	CU_ASSERT_EQUAL(xsd_perm_parse("b32751", &p), 0);
	CU_ASSERT_EQUAL(p.mode, XSD_PERM_BOTH);
	CU_ASSERT_EQUAL(p.dom, 32751);
	xsd_perm_format(&p, buf);
	CU_ASSERT_STRING_EQUAL(buf, "b32751");
	CU_ASSERT_EQUAL(xsd_perm_parse("r0", &p), 0);
	CU_ASSERT_EQUAL(xsd_perm_parse("x1", &p), -EINVAL);
	CU_ASSERT_EQUAL(xsd_perm_parse("r", &p), -EINVAL);
	CU_ASSERT_EQUAL(xsd_perm_parse("r1a", &p), -EINVAL);
	CU_ASSERT_EQUAL(xsd_perm_parse("r32752", &p), -EINVAL); /* DOMID_FIRST_RESERVED */
	CU_ASSERT_EQUAL(xsd_perm_parse("r123456", &p), -EINVAL);
	CU_ASSERT_EQUAL(xsd_perm_parse("", &p), -EINVAL);
}

static void test_paths(void)
{
	char buf[16];

	CU_ASSERT_EQUAL(xsd_path_parent("/a/b", buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "/a");
	CU_ASSERT_EQUAL(xsd_path_parent("/a", buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "/");
	CU_ASSERT_EQUAL(xsd_path_parent("/", buf, sizeof(buf)), -EINVAL);
	CU_ASSERT_EQUAL(xsd_path_parent("/0123456789abcdef/x", buf, sizeof(buf)), -E2BIG);
	CU_ASSERT_STRING_EQUAL(xsd_path_base("/a/bc"), "bc");
	CU_ASSERT_TRUE(xsd_path_is_child("/a/b", "/a"));
	CU_ASSERT_TRUE(xsd_path_is_child("/a", "/a"));
	CU_ASSERT_TRUE(xsd_path_is_child("/a", "/"));
	CU_ASSERT_FALSE(xsd_path_is_child("/ab", "/a"));
	CU_ASSERT_FALSE(xsd_path_is_child("/a", "/a/b"));
}

static CU_TestInfo store_tests[] = {
	{"hash put, get, take, grow", test_hash_put_get_take},
	{"children and clone", test_kids_and_clone},
	{"permission rule", test_perm_access},
	{"permission parse and format", test_perm_parse_format},
	{"path helpers", test_paths},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"xenstored store", NULL, NULL, NULL, NULL, store_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

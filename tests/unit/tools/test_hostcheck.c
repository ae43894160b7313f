/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for tools/hostcheck.c: missing, unopenable and odd disk
 * targets, missing bridges, each reported with where the spec was written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../../tools/domcfg.h"
#include "../../harness/cunit.h"

static char dir[] = "/tmp/pvkit-test-hostcheck-XXXXXX";
static char img[300], net[300];

static int setup(void)
{
	char path[400];
	int fd;

	if (!mkdtemp(dir))
		return -1;
	snprintf(img, sizeof(img), "%s/g1.img", dir);
	snprintf(net, sizeof(net), "%s/net", dir);
	fd = open(img, O_CREAT | O_WRONLY, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	mkfifo(path, 0644);
	snprintf(path, sizeof(path), "%s/net/pvbr0/bridge", dir);
	mkdir(net, 0755);
	snprintf(path, sizeof(path), "%s/net/pvbr0", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/net/pvbr0/bridge", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/net/eth0", dir); /* an interface, not a bridge */
	mkdir(path, 0755);
	return 0;
}

static int teardown(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* @in with every '@' replaced by the temp dir. */
static void subst(char *out, size_t len, const char *in)
{
	size_t n = 0;

	for (; *in && n + 1 < len; in++) {
		if (*in != '@') {
			out[n++] = *in;
			continue;
		}
		n += (size_t)snprintf(out + n, len - n, "%s", dir);
		if (n >= len)
			n = len - 1;
	}
	out[n] = '\0';
}

/* Check a config made of @disk (a spec with @ for the temp dir) and @vif. */
static int check(const char *disk, const char *vif, struct xlcfg_err *err)
{
	char text[1024], spec[512];
	struct domcfg *dc = calloc(1, sizeof(*dc));
	struct xlcfg cfg;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dc);
	subst(spec, sizeof(spec), disk);
	snprintf(text, sizeof(text), "name = 'g1'\ndisk = [ '%s' ]\nvif = [ '%s' ]\n", spec, vif);
	xlcfg_init(&cfg);
	rc = xlcfg_parse(&cfg, "g1.cfg", text, strlen(text), err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(domcfg_from_xlcfg(&cfg, dc, err), 0);
	err->msg[0] = '\0';
	rc = domcfg_check_host(dc, net, err);
	xlcfg_free(&cfg);
	domcfg_free(dc);
	free(dc);
	return rc;
}

static void expect(int rc, int want_rc, const struct xlcfg_err *err, const char *fmt)
{
	char want[1024];

	subst(want, sizeof(want), fmt);
	if (rc != want_rc || strcmp(err->msg, want))
		fprintf(stderr, "rc %d \"%s\", want %d \"%s\"\n", rc, err->msg, want_rc, want);
	CU_ASSERT_EQUAL(rc, want_rc);
	CU_ASSERT_STRING_EQUAL(err->msg, want);
}

static void test_good(void)
{
	struct xlcfg_err err;

	expect(check("vdev=xvda, target=@/g1.img", "bridge=pvbr0", &err), 0, &err, "");
	expect(check("vdev=xvda, access=ro, target=@/g1.img", "bridge=pvbr0", &err), 0, &err, "");
}

static void test_disk_targets(void)
{
	struct xlcfg_err err;

	expect(check("vdev=xvda, target=@/none.img", "bridge=pvbr0", &err), -ENOENT, &err,
	       "g1.cfg:2:10: disk 0: target @/none.img: No such file or directory");
	expect(check("vdev=xvda, access=ro, target=@", "bridge=pvbr0", &err), -EINVAL, &err,
	       "g1.cfg:2:10: disk 0: target @: not a regular file or block device");
	expect(check("vdev=xvda, target=@", "bridge=pvbr0", &err), -EISDIR, &err,
	       "g1.cfg:2:10: disk 0: target @: Is a directory");
	expect(check("vdev=xvda, access=ro, target=@/fifo", "bridge=pvbr0", &err), -EINVAL, &err,
	       "g1.cfg:2:10: disk 0: target @/fifo: not a regular file or block device");
}

static void test_bridges(void)
{
	struct xlcfg_err err;

	expect(check("vdev=xvda, target=@/g1.img", "bridge=nobr", &err), -ENODEV, &err,
	       "g1.cfg:3:9: vif 0: bridge nobr does not exist (create it with: ip link add nobr "
	       "type bridge)");
	expect(check("vdev=xvda, target=@/g1.img", "bridge=eth0", &err), -ENODEV, &err,
	       "g1.cfg:3:9: vif 0: bridge eth0 does not exist (create it with: ip link add eth0 "
	       "type bridge)");
}

static CU_TestInfo hostcheck_tests[] = {
	{"a good config", test_good},
	{"disk targets", test_disk_targets},
	{"bridges", test_bridges},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"hostcheck", setup, teardown, NULL, NULL, hostcheck_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

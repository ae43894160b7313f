/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for tools/hostcheck.c: missing, unopenable and odd disk
 * targets, missing bridges, pci devices on a fake sysfs tree (BB:DD.*
 * expanded to the host's functions as libxl does), each reported with
 * where the spec was written.
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
#include "../../harness/fakesysfs.h"

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
	/* The fake host: a two-function device with vfio-pci, one function of a NIC without. */
	if (fakesysfs_init() < 0)
		return -1;
	fakesysfs_device("0000:03:00.0", 0x8086, 0x10d3, 0x020000, 7, "vfio-pci");
	fakesysfs_device("0000:03:00.1", 0x8086, 0x10d3, 0x020000, 7, "vfio-pci");
	fakesysfs_device("0000:04:00.0", 0x8086, 0x10d3, 0x020000, 8, "vfio-pci");
	fakesysfs_device("0000:04:00.3", 0x8086, 0x10d3, 0x020000, 8, "e1000e");
	setenv("PVKIT_SYSFS", fakesysfs_root, 1);
	return 0;
}

static int teardown(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	unsetenv("PVKIT_SYSFS");
	return system(cmd) == 0 && fakesysfs_remove() == 0 ? 0 : -1;
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

static void expect_exact(int rc, int want_rc, const struct xlcfg_err *err, const char *want)
{
	if (rc != want_rc || strcmp(err->msg, want))
		fprintf(stderr, "rc %d \"%s\", want %d \"%s\"\n", rc, err->msg, want_rc, want);
	CU_ASSERT_EQUAL(rc, want_rc);
	CU_ASSERT_STRING_EQUAL(err->msg, want);
}

/* As expect_exact, with each '@' of @fmt the temp dir. */
static void expect(int rc, int want_rc, const struct xlcfg_err *err, const char *fmt)
{
	char want[1024];

	subst(want, sizeof(want), fmt);
	expect_exact(rc, want_rc, err, want);
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

/* A config with pci = [ @pcis ]: its functions looked up, then checked; @dc kept for the caller. */
static int check_pci(const char *pcis, struct domcfg *dc, struct xlcfg_err *err)
{
	char text[1024];
	struct xlcfg cfg;
	int rc;

	snprintf(text, sizeof(text), "name = 'g1'\npci = [ %s ]\n", pcis);
	xlcfg_init(&cfg);
	CU_ASSERT_EQUAL_FATAL(xlcfg_parse(&cfg, "g1.cfg", text, strlen(text), err), 0);
	CU_ASSERT_EQUAL_FATAL(domcfg_from_xlcfg(&cfg, dc, err), 0);
	xlcfg_free(&cfg);
	err->msg[0] = '\0';
	rc = domcfg_pci_functions(dc, err);
	return rc ? rc : domcfg_check_host(dc, net, err);
}

static int check_pci_only(const char *pcis, struct xlcfg_err *err)
{
	struct domcfg *dc = calloc(1, sizeof(*dc));
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dc);
	rc = check_pci(pcis, dc, err);
	domcfg_free(dc);
	free(dc);
	return rc;
}

/* BB:DD.*: the functions sysfs has, each checked like one named alone. */
static void test_pci_all_functions(void)
{
	struct domcfg *dc = calloc(1, sizeof(*dc));
	struct xsnodes nodes = {0};
	struct xlcfg_err err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dc);
	expect(check_pci("'03:00.*@3', '04:00.0'", dc, &err), 0, &err, "");
	CU_ASSERT_EQUAL(dc->pcis[0].func_mask, 0x3);
	CU_ASSERT_EQUAL(dc->pcis[1].func_mask, 0);
	CU_ASSERT_EQUAL_FATAL(domcfg_pci_nodes(dc->pcis, dc->npcis, 9, "g1", 0, &nodes), 0);
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/0/backend/pci/9/0/num_devs"), "3");
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/0/backend/pci/9/0/dev-0"),
			       "0000:03:00.1");
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/0/backend/pci/9/0/vdevfn-0"), "19");
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/0/backend/pci/9/0/dev-1"),
			       "0000:03:00.0");
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/0/backend/pci/9/0/vdevfn-1"), "18");
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/0/backend/pci/9/0/dev-2"),
			       "0000:04:00.0");
	xsnodes_free(&nodes);
	domcfg_free(dc);
	free(dc);
}

static void test_pci_refused(void)
{
	struct xlcfg_err err;

	expect_exact(check_pci_only("'03:00.*'", &err), -EINVAL, &err,
	       "g1.cfg:2:9: pci 0: 03:00.*: all functions need a guest slot (03:00.*@SLOT, SLOT 1 "
	       "to 1f), as xl's");
	expect_exact(check_pci_only("'03:00.*@0'", &err), -EINVAL, &err,
	       "g1.cfg:2:9: pci 0: 03:00.*: all functions need a guest slot (03:00.*@SLOT, SLOT 1 "
	       "to 1f), as xl's");
	expect(check_pci_only("'05:00.*@2'", &err), -ENODEV, &err,
	       "g1.cfg:2:9: pci 0: PCI device 0000:05:00.*: no such PCI device on this host");
	/* One function of the device is still with its host driver: the whole item is refused. */
	expect(check_pci_only("'04:00.*@2'", &err), -EPERM, &err,
	       "g1.cfg:2:9: pci 0: PCI device 0000:04:00.3 is not assignable (e1000e), run pvkit "
	       "pci-assignable-add 0000:04:00.3");
	expect(check_pci_only("'03:00.*@2', '03:00.1'", &err), -EEXIST, &err,
	       "g1.cfg:2:22: pci 1: PCI device 0000:03:00.1 is already pci 0");
	expect(check_pci_only("'03:00.*@2', '04:00.0@2'", &err), -EEXIST, &err,
	       "g1.cfg:2:22: pci 1: guest slot 02.0 is already pci 0's");
	expect(check_pci_only("'03:00.1@2', '04:00.0@2'", &err), -EEXIST, &err,
	       "g1.cfg:2:22: pci 1: guest slot 02.0 is already pci 0's");
	expect(check_pci_only("'03:00.*@2', '04:00.0@3'", &err), 0, &err, "");
}

static CU_TestInfo hostcheck_tests[] = {
	{"pci BB:DD.*: the host's functions", test_pci_all_functions},
	{"pci items refused", test_pci_refused},
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

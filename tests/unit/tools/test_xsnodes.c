/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for tools/xsnodes.c: the xenstore nodes create writes, their
 * paths, values and permissions, against libxl's layout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../tools/domcfg.h"
#include "../../../tools/domcfg_print.h"
#include "../../harness/cunit.h"

struct node_case {
	const char *path, *value;
	int owner, reader;
};

static void check_nodes(const struct xsnodes *got, const struct node_case *want, size_t n)
{
	CU_ASSERT_EQUAL(got->n, n);
	for (size_t i = 0; i < n && i < got->n; i++) {
		const struct xsnode *g = &got->v[i];

		if (strcmp(g->path, want[i].path) || strcmp(g->value, want[i].value) ||
		    g->owner != want[i].owner || g->reader != want[i].reader)
			fprintf(stderr, "node %zu: %s = \"%s\" (n%d,r%d), want %s = \"%s\"\n", i,
				g->path, g->value, g->owner, g->reader, want[i].path, want[i].value);
		CU_ASSERT_STRING_EQUAL(g->path, want[i].path);
		CU_ASSERT_STRING_EQUAL(g->value, want[i].value);
		CU_ASSERT_EQUAL(g->owner, want[i].owner);
		CU_ASSERT_EQUAL(g->reader, want[i].reader);
	}
}

#define FE "/local/domain/7/device/vbd/51728"
#define BE "/local/domain/0/backend/vbd/7/51728"
#define LX "/libxl/7/device/vbd/51728"

static const struct node_case disk_nodes[] = {
	{FE, "", 7, 0},
	{FE "/backend", BE, 7, 0},
	{FE "/backend-id", "0", 7, 0},
	{FE "/state", "1", 7, 0},
	{FE "/virtual-device", "51728", 7, 0},
	{FE "/device-type", "disk", 7, 0},
	{BE, "", 0, 7},
	{BE "/frontend", FE, 0, 7},
	{BE "/params", "/srv/g1.img", 0, 7},
	{BE "/frontend-id", "7", 0, 7},
	{BE "/online", "1", 0, 7},
	{BE "/removable", "0", 0, 7},
	{BE "/bootable", "1", 0, 7},
	{BE "/state", "1", 0, 7},
	{BE "/dev", "xvdb", 0, 7},
	{BE "/type", "phy", 0, 7},
	{BE "/mode", "r", 0, 7},
	{BE "/device-type", "disk", 0, 7},
	{BE "/direct-io-safe", "1", 0, 7},
	{BE "/discard-enable", "0", 0, 7},
	{LX "/frontend", FE, 0, -1},
	{LX "/backend", BE, 0, -1},
	{LX "/params", "/srv/g1.img", 0, -1},
	{LX "/frontend-id", "7", 0, -1},
	{LX "/online", "1", 0, -1},
	{LX "/removable", "0", 0, -1},
	{LX "/bootable", "1", 0, -1},
	{LX "/state", "1", 0, -1},
	{LX "/dev", "xvdb", 0, -1},
	{LX "/type", "phy", 0, -1},
	{LX "/mode", "r", 0, -1},
	{LX "/device-type", "disk", 0, -1},
	{LX "/direct-io-safe", "1", 0, -1},
	{LX "/discard-enable", "0", 0, -1},
};

static void test_disk_nodes(void)
{
	struct diskspec d;
	struct xsnodes nodes = {0};
	char err[DEVSPEC_ERR_LEN];

	CU_ASSERT_EQUAL_FATAL(diskspec_parse("vdev=xvdb, access=ro, no-discard, direct-io-safe, "
					     "target=/srv/g1.img",
					     &d, err),
			      0);
	CU_ASSERT_EQUAL_FATAL(domcfg_disk_nodes(&d, 7, 0, &nodes), 0);
	check_nodes(&nodes, disk_nodes, sizeof(disk_nodes) / sizeof(disk_nodes[0]));
	xsnodes_free(&nodes);
	CU_ASSERT_EQUAL(nodes.n, 0);
}

static void test_cdrom_and_backend_domain(void)
{
	struct diskspec d;
	struct xsnodes nodes = {0};
	char err[DEVSPEC_ERR_LEN];

	CU_ASSERT_EQUAL_FATAL(diskspec_parse("/srv/x.iso,,hdc,cdrom", &d, err), 0);
	CU_ASSERT_EQUAL_FATAL(domcfg_disk_nodes(&d, 3, 2, &nodes), 0);
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/3/device/vbd/5632/device-type"),
			       "cdrom");
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/3/device/vbd/5632/backend"),
			       "/local/domain/2/backend/vbd/3/5632");
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/3/device/vbd/5632/backend-id"),
			       "2");
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/2/backend/vbd/3/5632/mode"), "r");
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/2/backend/vbd/3/5632/discard-enable"),
			       "1");
	CU_ASSERT_PTR_NULL(xsnodes_get(&nodes, "/local/domain/2/backend/vbd/3/5632/direct-io-safe"));
	xsnodes_free(&nodes);
}

#define VFE "/local/domain/7/device/vif/2"
#define VBE "/local/domain/0/backend/vif/7/2"
#define VLX "/libxl/7/device/vif/2"

static const struct node_case vif_nodes[] = {
	{VFE, "", 7, 0},
	{VFE "/backend", VBE, 7, 0},
	{VFE "/backend-id", "0", 7, 0},
	{VFE "/state", "1", 7, 0},
	{VFE "/handle", "2", 7, 0},
	{VFE "/mac", "00:16:3e:0a:0b:0c", 7, 0},
	{VFE "/trusted", "1", 7, 0},
	{VFE "/mtu", "9000", 0, 7},
	{VBE, "", 0, 7},
	{VBE "/frontend", VFE, 0, 7},
	{VBE "/frontend-id", "7", 0, 7},
	{VBE "/online", "1", 0, 7},
	{VBE "/state", "1", 0, 7},
	{VBE "/vifname", "g1-eth0", 0, 7},
	{VBE "/mac", "00:16:3e:0a:0b:0c", 0, 7},
	{VBE "/ip", "198.18.0.2", 0, 7},
	{VBE "/rate", "25000,20000", 0, 7},
	{VBE "/mtu", "9000", 0, 7},
	{VBE "/bridge", "pvbr0", 0, 7},
	{VBE "/handle", "2", 0, 7},
	{VBE "/type", "vif", 0, 7},
	{VLX "/frontend", VFE, 0, -1},
	{VLX "/backend", VBE, 0, -1},
	{VLX "/frontend-id", "7", 0, -1},
	{VLX "/online", "1", 0, -1},
	{VLX "/state", "1", 0, -1},
	{VLX "/vifname", "g1-eth0", 0, -1},
	{VLX "/mac", "00:16:3e:0a:0b:0c", 0, -1},
	{VLX "/ip", "198.18.0.2", 0, -1},
	{VLX "/rate", "25000,20000", 0, -1},
	{VLX "/mtu", "9000", 0, -1},
	{VLX "/bridge", "pvbr0", 0, -1},
	{VLX "/handle", "2", 0, -1},
	{VLX "/type", "vif", 0, -1},
};

static void test_vif_nodes(void)
{
	struct vifspec v;
	struct xsnodes nodes = {0};
	char err[DEVSPEC_ERR_LEN];

	CU_ASSERT_EQUAL_FATAL(vifspec_parse("devid=2, mac=00:16:3E:0A:0B:0C, bridge=pvbr0, "
					    "vifname=g1-eth0, ip=198.18.0.2, rate=10Mb/s@20ms, "
					    "mtu=9000",
					    &v, err),
			      0);
	CU_ASSERT_EQUAL_FATAL(domcfg_vif_nodes(&v, 7, 0, &nodes), 0);
	check_nodes(&nodes, vif_nodes, sizeof(vif_nodes) / sizeof(vif_nodes[0]));
	xsnodes_free(&nodes);
}

static void test_domain_nodes(void)
{
	static const char text[] = "name = 'g1'\nmemory = 64\nvcpus = 2\n"
				   "disk = [ '/a,,xvda', '/b,,xvdb' ]\nvif = [ '' ]\n";
	struct domcfg *dc = calloc(1, sizeof(*dc));
	struct xsnodes nodes = {0};
	struct xlcfg cfg;
	struct xlcfg_err err;
	size_t vbd_dirs = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dc);
	xlcfg_init(&cfg);
	CU_ASSERT_EQUAL_FATAL(xlcfg_parse(&cfg, "t.cfg", text, strlen(text), &err), 0);
	CU_ASSERT_EQUAL_FATAL(domcfg_from_xlcfg(&cfg, dc, &err), 0);
	CU_ASSERT_EQUAL_FATAL(domcfg_xenstore_nodes(dc, 4, &nodes), 0);
	CU_ASSERT_STRING_EQUAL(nodes.v[0].path, "/local/domain/4");
	CU_ASSERT_EQUAL(nodes.v[0].owner, 0);
	CU_ASSERT_EQUAL(nodes.v[0].reader, 4);
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/4/name"), "g1");
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/4/domid"), "4");
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/4/memory/static-max"), "65536");
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/4/memory/target"), "65536");
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/4/cpu/1/availability"), "online");
	CU_ASSERT_PTR_NULL(xsnodes_get(&nodes, "/local/domain/4/cpu/2/availability"));
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/4/control/shutdown"), "");
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/4/device/vif/0/mac"),
			       xsnodes_get(&nodes, "/local/domain/0/backend/vif/4/0/mac"));
	CU_ASSERT_STRING_EQUAL(xsnodes_get(&nodes, "/local/domain/0/backend/vbd/4/51728/params"),
			       "/b");
	for (size_t i = 0; i < nodes.n; i++)
		vbd_dirs += !strncmp(nodes.v[i].path, "/local/domain/4/device/vbd/", 27) &&
			    !strchr(nodes.v[i].path + 27, '/');
	CU_ASSERT_EQUAL(vbd_dirs, 2);
	/* 10 domain nodes (2 vcpus), 32 per plain disk, 28 per default vif. */
	CU_ASSERT_EQUAL(nodes.n, 10 + 2 * 32 + 28);
	xsnodes_free(&nodes);
	xlcfg_free(&cfg);
	domcfg_free(dc);
	free(dc);
}

static void test_print(void)
{
	struct xsnodes nodes = {0};
	struct diskspec d;
	char err[DEVSPEC_ERR_LEN], *text = NULL;
	size_t len = 0;
	FILE *f;

	CU_ASSERT_EQUAL_FATAL(diskspec_parse("vdev=xvda, target=/srv/a \"b\".img", &d, err), 0);
	CU_ASSERT_EQUAL_FATAL(domcfg_disk_nodes(&d, 1, 0, &nodes), 0);
	f = open_memstream(&text, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	xsnodes_print(f, &nodes);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "/local/domain/1/device/vbd/51712 = \"\"  (n1,r0)\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "/local/domain/0/backend/vbd/1/51712/params = "
					    "\"/srv/a \\\"b\\\".img\"  (n0,r1)\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "/libxl/1/device/vbd/51712/mode = \"w\"  (n0)\n"));
	free(text);
	xsnodes_free(&nodes);
}

#define PFE "/local/domain/7/device/pci/0"
#define PBE "/local/domain/0/backend/pci/7/0"

/* libxl__create_pci_backend and libxl_create_pci_backend_device, for two devices. */
static const struct node_case pci_nodes[] = {
	{PBE, "", 0, 7},
	{PBE "/frontend", PFE, 0, 7},
	{PBE "/frontend-id", "7", 0, 7},
	{PBE "/online", "1", 0, 7},
	{PBE "/state", "1", 0, 7},
	{PBE "/domain", "g7", 0, 7},
	{PBE "/num_devs", "2", 0, 7},
	{PBE "/key-0", "0000:03:00.0", 0, 7},
	{PBE "/dev-0", "0000:03:00.0", 0, 7},
	{PBE "/opts-0", "msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict", 0, 7},
	{PBE "/state-0", "1", 0, 7},
	{"/libxl/pci/0000-03-00-0/domid", "7", 0, -1},
	{PBE "/key-1", "0001:0a:1f.7", 0, 7},
	{PBE "/dev-1", "0001:0a:1f.7", 0, 7},
	{PBE "/vdevfn-1", "28", 0, 7}, /* slot 5, function 0: libxl's rule for one function */
	{PBE "/opts-1", "msitranslate=1,power_mgmt=0,permissive=1,rdm_policy=relaxed", 0, 7},
	{PBE "/state-1", "1", 0, 7},
	{"/libxl/pci/0001-0a-1f-7/domid", "7", 0, -1},
	{PFE, "", 7, 0},
	{PFE "/backend", PBE, 7, 0},
	{PFE "/backend-id", "0", 7, 0},
	{PFE "/state", "1", 7, 0},
};

static void test_pci_nodes(void)
{
	struct pcispec p[2];
	struct xsnodes nodes = {0};
	char err[DEVSPEC_ERR_LEN];

	CU_ASSERT_EQUAL_FATAL(pcispec_parse("03:00.0", &p[0], err), 0);
	CU_ASSERT_EQUAL_FATAL(pcispec_parse("1:0a:1f.7@5,permissive=1,msitranslate=1,"
					    "rdm_policy=relaxed", &p[1], err), 0);
	CU_ASSERT_EQUAL_FATAL(domcfg_pci_nodes(p, 2, 7, "g7", 0, &nodes), 0);
	check_nodes(&nodes, pci_nodes, sizeof(pci_nodes) / sizeof(pci_nodes[0]));
	xsnodes_free(&nodes);
}

/* 03:00.* with functions 0 and 1 at slot 4, then one more device: three on the bus. */
static const struct node_case pci_all_nodes[] = {
	{PBE "/num_devs", "3", 0, 7},
	{PBE "/dev-0", "0000:03:00.1", 0, 7},
	{PBE "/vdevfn-0", "21", 0, 7},
	{PBE "/state-0", "1", 0, 7},
	{"/libxl/pci/0000-03-00-1/domid", "7", 0, -1},
	{PBE "/dev-1", "0000:03:00.0", 0, 7},
	{PBE "/vdevfn-1", "20", 0, 7},
	{"/libxl/pci/0000-03-00-0/domid", "7", 0, -1},
	{PBE "/dev-2", "0000:05:00.0", 0, 7},
	{PBE "/state-2", "1", 0, 7},
};

static void test_pci_all_functions(void)
{
	struct pcispec p[2];
	struct xsnodes nodes = {0};
	char err[DEVSPEC_ERR_LEN];

	CU_ASSERT_EQUAL_FATAL(pcispec_parse("03:00.*@4", &p[0], err), 0);
	CU_ASSERT_EQUAL_FATAL(pcispec_parse("05:00.0", &p[1], err), 0);
	p[0].func_mask = 0x3;
	CU_ASSERT_EQUAL_FATAL(domcfg_pci_nodes(p, 2, 7, "g7", 0, &nodes), 0);
	for (size_t i = 0; i < sizeof(pci_all_nodes) / sizeof(pci_all_nodes[0]); i++) {
		const char *v = xsnodes_get(&nodes, pci_all_nodes[i].path);

		if (!v || strcmp(v, pci_all_nodes[i].value))
			fprintf(stderr, "%s: %s, want %s\n", pci_all_nodes[i].path, v ? v : "(none)",
				pci_all_nodes[i].value);
		CU_ASSERT_PTR_NOT_NULL(v);
		CU_ASSERT_STRING_EQUAL(v ? v : "", pci_all_nodes[i].value);
	}
	CU_ASSERT_PTR_NULL(xsnodes_get(&nodes, PBE "/vdevfn-2"));
	CU_ASSERT_PTR_NULL(xsnodes_get(&nodes, PBE "/dev-3"));
	xsnodes_free(&nodes);
}

static CU_TestInfo xsnodes_tests[] = {
	{"pci nodes as libxl writes them", test_pci_nodes},
	{"pci BB:DD.*: one device per function", test_pci_all_functions},
	{"disk nodes as libxl writes them", test_disk_nodes},
	{"cdrom, other backend domain", test_cdrom_and_backend_domain},
	{"vif nodes as libxl writes them", test_vif_nodes},
	{"a whole domain", test_domain_nodes},
	{"printing", test_print},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"xsnodes", NULL, NULL, NULL, NULL, xsnodes_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

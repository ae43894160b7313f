/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for passthrough/pci (host.c, assign.c) on a fake sysfs tree
 * that libpci reads through its forced sysfs method: listing, IOMMU group
 * viability with its reasons, and the driver_override dance of
 * pci-assignable-add/-remove.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pvkit/pcihost.h"
#include "../../../harness/cunit.h"

static char root[] = "/tmp/pvkit-sysfs-XXXXXX";
static char state[300];

static void put(const char *rel, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

static void mkdirs(const char *rel)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, rel);
	if (system(cmd) != 0)
		fprintf(stderr, "mkdir %s failed\n", rel);
}

static void link_to(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
	if (symlink(target, path) < 0)
		perror(path);
}

static char *slurp(const char *rel)
{
	static char buf[256];
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	buf[0] = 0;
	f = fopen(path, "r");
	if (!f)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void driver(const char *name)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s", name);
	mkdirs(rel);
	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/bind", name);
	put(rel, "", 0);
	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/unbind", name);
	put(rel, "", 0);
}

/* One device: IDs, class, its group (-1: none) and driver (NULL: none). */
static void device(const char *bdf, unsigned int ven, unsigned int dev, unsigned int cls, int group,
		   const char *drv)
{
	uint8_t cfg[256] = {0};
	char rel[256], val[64], target[128];

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", bdf);
	mkdirs(rel);
	cfg[0] = ven & 0xff, cfg[1] = ven >> 8, cfg[2] = dev & 0xff, cfg[3] = dev >> 8;
	cfg[9] = cls & 0xff, cfg[10] = (cls >> 8) & 0xff, cfg[11] = cls >> 16;
	cfg[0x0e] = (cls >> 8) == 0x0604 ? 1 : 0;
#define PUT(name, fmt, v)                                                                          \
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/" name, bdf);                               \
	snprintf(val, sizeof(val), fmt "\n", v);                                                   \
	put(rel, val, strlen(val))
	PUT("vendor", "0x%04x", ven);
	PUT("device", "0x%04x", dev);
	PUT("class", "0x%06x", cls);
	PUT("irq", "%d", 0);
	PUT("driver_override", "%s", "(null)");
#undef PUT
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/config", bdf);
	put(rel, cfg, sizeof(cfg));
	if (group >= 0) {
		snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices", group);
		mkdirs(rel);
		snprintf(target, sizeof(target), "../../../../bus/pci/devices/%s", bdf);
		snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices/%s", group, bdf);
		link_to(target, rel);
		snprintf(target, sizeof(target), "../../../../kernel/iommu_groups/%d", group);
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/iommu_group", bdf);
		link_to(target, rel);
	}
	if (drv) {
		driver(drv);
		snprintf(target, sizeof(target), "../../../../bus/pci/drivers/%s", drv);
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/driver", bdf);
		link_to(target, rel);
	}
}

static int setup(void)
{
	if (!mkdtemp(root))
		return -1;
	snprintf(state, sizeof(state), "%s/state", root);
	mkdirs("bus/pci/devices");
	put("bus/pci/drivers_probe", "", 0);
	device("0000:00:00.0", 0x8086, 0x29c0, 0x060000, 0, NULL);      /* host bridge */
	device("0000:00:03.0", 0x1234, 0x11e8, 0x00ff00, 3, NULL);      /* edu, alone */
	device("0000:00:04.0", 0x8086, 0x10d3, 0x020000, 4, "e1000e");  /* NIC ... */
	device("0000:00:04.1", 0x8086, 0x10d3, 0x020000, 4, "e1000e");  /* ... sharing its group */
	device("0000:00:05.0", 0x8086, 0x2922, 0x010601, -1, "ahci");   /* no IOMMU group */
	device("0000:00:1c.0", 0x8086, 0x2940, 0x060400, 4, "pcieport"); /* bridge in group 4 */
	return 0;
}

static int teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static struct pv_pci_host_dev *find(struct pv_pci_host_dev *d, int n, const char *bdf)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(d[i].bdf, bdf))
			return &d[i];
	return NULL;
}

static void test_bdf(void)
{
	char out[PV_PCI_BDF_LEN];

	CU_ASSERT_EQUAL(pv_pci_bdf_normalise("3:0.1", out), 0);
	CU_ASSERT_STRING_EQUAL(out, "0000:03:00.1");
	CU_ASSERT_EQUAL(pv_pci_bdf_normalise("0001:00:1f.7", out), 0);
	CU_ASSERT_STRING_EQUAL(out, "0001:00:1f.7");
	CU_ASSERT_EQUAL(pv_pci_bdf_normalise("00:20.0", out), -EINVAL); /* device > 31 */
	CU_ASSERT_EQUAL(pv_pci_bdf_normalise("00:03.8", out), -EINVAL);
	CU_ASSERT_EQUAL(pv_pci_bdf_normalise("00:03.0x", out), -EINVAL);
	CU_ASSERT_EQUAL(pv_pci_bdf_normalise("garbage", out), -EINVAL);
}

static void test_list(void)
{
	struct pv_pci_host_dev *d, *x;
	char err[200];
	int n = pv_pci_host_list(root, &d, err, sizeof(err));

	CU_ASSERT_EQUAL_FATAL(n, 6);
	CU_ASSERT_STRING_EQUAL(d[0].bdf, "0000:00:00.0"); /* sorted */
	x = find(d, n, "0000:00:03.0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_EQUAL(x->vendor, 0x1234);
	CU_ASSERT_EQUAL(x->device, 0x11e8);
	CU_ASSERT_EQUAL(x->class_code, 0x00ff00);
	CU_ASSERT_EQUAL(x->iommu_group, 3);
	CU_ASSERT_STRING_EQUAL(x->driver, "");
	CU_ASSERT(x->assignable);
	CU_ASSERT(strlen(x->name) > 0);

	x = find(d, n, "0000:00:04.0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_STRING_EQUAL(x->driver, "e1000e");
	CU_ASSERT_FALSE(x->assignable);
	CU_ASSERT_PTR_NOT_NULL(strstr(x->reason, "0000:00:04.1 (bound to e1000e)"));

	x = find(d, n, "0000:00:05.0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_FALSE(x->assignable);
	CU_ASSERT_PTR_NOT_NULL(strstr(x->reason, "no IOMMU group"));

	x = find(d, n, "0000:00:1c.0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT(x->is_bridge);
	CU_ASSERT_FALSE(x->assignable);
	CU_ASSERT_PTR_NOT_NULL(strstr(x->reason, "bridge"));
	free(d);
}

static void test_get_unknown(void)
{
	struct pv_pci_host_dev d;
	char err[200];

	CU_ASSERT_EQUAL(pv_pci_host_get(root, "0000:00:07.0", &d, err, sizeof(err)), -ENODEV);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no such PCI device"));
	CU_ASSERT_EQUAL(pv_pci_host_get(root, "zz", &d, err, sizeof(err)), -EINVAL);
}

static void test_add_needs_vfio_driver(void)
{
	char err[200];

	CU_ASSERT_EQUAL(pv_pci_assignable_add(root, "00:03.0", state, err, sizeof(err)), -ENODEV);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "modprobe vfio-pci"));
}

static void test_add_refuses_unviable_group(void)
{
	char err[200];

	driver("vfio-pci");
	CU_ASSERT_EQUAL(pv_pci_assignable_add(root, "00:04.0", state, err, sizeof(err)), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "make it assignable too"));
	CU_ASSERT_EQUAL(pv_pci_assignable_add(root, "00:05.0", state, err, sizeof(err)), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no IOMMU"));
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/devices/0000:00:04.0/driver_override"), "(null)\n");
}

static void test_add_and_remove(void)
{
	char err[200];

	driver("vfio-pci");
	/* Once its group sibling is with vfio-pci, the NIC can go too. */
	link_to("../../../../bus/pci/drivers/vfio-pci", "bus/pci/devices/0000:00:04.1/driver");
	CU_ASSERT_EQUAL(pv_pci_assignable_add(root, "00:04.0", state, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/devices/0000:00:04.0/driver_override"), "vfio-pci");
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/drivers/e1000e/unbind"), "0000:00:04.0");
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/drivers_probe"), "0000:00:04.0");
	CU_ASSERT_STRING_EQUAL(slurp("state/0000:00:04.0.driver"), "e1000e\n");

	/* Removing a device vfio-pci does not hold is refused. */
	CU_ASSERT_EQUAL(pv_pci_assignable_remove(root, "00:04.0", 1, state, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "its driver is e1000e"));

	/* The kernel would now show vfio-pci as its driver. */
	link_to("../../../../bus/pci/drivers/vfio-pci", "bus/pci/devices/0000:00:04.0/driver");
	CU_ASSERT_EQUAL(pv_pci_assignable_remove(root, "00:04.0", 1, state, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/drivers/vfio-pci/unbind"), "0000:00:04.0");
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/devices/0000:00:04.0/driver_override"), "\n");
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/drivers/e1000e/bind"), "0000:00:04.0");
	CU_ASSERT_EQUAL(access("state/0000:00:04.0.driver", F_OK), -1);
}

static CU_TestInfo tests[] = {
	{"BDF normalisation", test_bdf},
	{"list with names, drivers, groups, reasons", test_list},
	{"unknown device", test_get_unknown},
	{"add without vfio-pci loaded", test_add_needs_vfio_driver},
	{"add refuses a group that is not viable", test_add_refuses_unviable_group},
	{"add and remove with rebind", test_add_and_remove},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"pcihost", setup, teardown, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

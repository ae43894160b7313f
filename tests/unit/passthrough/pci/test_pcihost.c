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
#include "../../../harness/fakesysfs.h"

#define root fakesysfs_root
static char state[300];

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

static int setup(void)
{
	if (fakesysfs_init() < 0)
		return -1;
	snprintf(state, sizeof(state), "%s/state", root);
	fakesysfs_device("0000:00:00.0", 0x8086, 0x29c0, 0x060000, 0, NULL);      /* host bridge */
	fakesysfs_device("0000:00:03.0", 0x1234, 0x11e8, 0x00ff00, 3, NULL);      /* edu, alone */
	fakesysfs_device("0000:00:04.0", 0x8086, 0x10d3, 0x020000, 4, "e1000e");  /* NIC ... */
	fakesysfs_device("0000:00:04.1", 0x8086, 0x10d3, 0x020000, 4, "e1000e");  /* ... sharing its group */
	fakesysfs_device("0000:00:05.0", 0x8086, 0x2922, 0x010601, -1, "ahci");   /* no IOMMU group */
	fakesysfs_device("0000:00:1c.0", 0x8086, 0x2940, 0x060400, 4, "pcieport"); /* bridge in group 4 */
	return 0;
}

static int teardown(void)
{
	return fakesysfs_remove();
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

/* BB:DD.*: the functions sysfs lists at that device, nothing else. */
static void test_slot_functions(void)
{
	char dir[400];

	CU_ASSERT_EQUAL(pv_pci_slot_functions(root, 0, 0, 4), 0x3);
	CU_ASSERT_EQUAL(pv_pci_slot_functions(root, 0, 0, 3), 0x1);
	CU_ASSERT_EQUAL(pv_pci_slot_functions(root, 0, 0, 7), 0);
	CU_ASSERT_EQUAL(pv_pci_slot_functions(root, 0, 1, 4), 0);  /* another bus */
	CU_ASSERT_EQUAL(pv_pci_slot_functions(root, 1, 0, 4), 0);  /* another domain */
	/* Functions need not be contiguous (a device may have 0, 2 and 7 only). */
	fakesysfs_mkdirs("bus/pci/devices/0000:00:06.0");
	fakesysfs_mkdirs("bus/pci/devices/0000:00:06.2");
	fakesysfs_mkdirs("bus/pci/devices/0000:00:06.7");
	CU_ASSERT_EQUAL(pv_pci_slot_functions(root, 0, 0, 6), 0x85);
	snprintf(dir, sizeof(dir), "rm -rf '%s/bus/pci/devices/0000:00:06.'*", root);
	CU_ASSERT_EQUAL(system(dir), 0);
	CU_ASSERT_EQUAL(pv_pci_slot_functions("/nonexistent/sys", 0, 0, 4), -ENOENT);
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

	fakesysfs_driver("vfio-pci");
	CU_ASSERT_EQUAL(pv_pci_assignable_add(root, "00:04.0", state, err, sizeof(err)), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "make it assignable too"));
	CU_ASSERT_EQUAL(pv_pci_assignable_add(root, "00:05.0", state, err, sizeof(err)), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no IOMMU"));
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/devices/0000:00:04.0/driver_override"), "(null)\n");
}

static void test_add_and_remove(void)
{
	char err[200], path[512];

	fakesysfs_driver("vfio-pci");
	/* Once its group sibling is with vfio-pci, the NIC can go too. */
	fakesysfs_link("../../../../bus/pci/drivers/vfio-pci", "bus/pci/devices/0000:00:04.1/driver");
	CU_ASSERT_EQUAL(pv_pci_assignable_add(root, "00:04.0", state, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/devices/0000:00:04.0/driver_override"), "vfio-pci");
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/drivers/e1000e/unbind"), "0000:00:04.0");
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/drivers_probe"), "0000:00:04.0");
	CU_ASSERT_STRING_EQUAL(slurp("state/0000:00:04.0.driver"), "e1000e\n");

	/* Removing a device vfio-pci does not hold is refused. */
	CU_ASSERT_EQUAL(pv_pci_assignable_remove(root, "00:04.0", 1, state, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "its driver is e1000e"));

	/* The kernel would now show vfio-pci as its driver. */
	fakesysfs_link("../../../../bus/pci/drivers/vfio-pci", "bus/pci/devices/0000:00:04.0/driver");
	CU_ASSERT_EQUAL(pv_pci_assignable_remove(root, "00:04.0", 1, state, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/drivers/vfio-pci/unbind"), "0000:00:04.0");
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/devices/0000:00:04.0/driver_override"), "\n");
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/drivers/e1000e/bind"), "0000:00:04.0");
	snprintf(path, sizeof(path), "%s/0000:00:04.0.driver", state); /* forgotten */
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
}

/*
 * BB:DD.*: a two-function NIC whose functions share their IOMMU group
 * goes to vfio-pci together (one at a time, each stands in the other's
 * way); a device of the group that is not one of its functions still
 * blocks, and then neither function is touched.
 */
static void test_add_slot(void)
{
	char err[200];

	fakesysfs_driver("vfio-pci");
	fakesysfs_device("0000:00:08.0", 0x8086, 0x1521, 0x020000, 8, "igb");
	fakesysfs_device("0000:00:08.1", 0x8086, 0x1521, 0x020000, 8, "igb");
	CU_ASSERT_EQUAL(pv_pci_assignable_add(root, "00:08.0", state, err, sizeof(err)), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "also holds 0000:00:08.1"));
	fakesysfs_device("0000:00:09.0", 0x8086, 0x1521, 0x020000, 8, "igb");
	CU_ASSERT_EQUAL(pv_pci_assignable_add_slot(root, 0, 0, 8, state, err, sizeof(err)), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "also holds 0000:00:09.0"));
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/devices/0000:00:08.0/driver_override"), "(null)\n");
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/devices/0000:00:08.1/driver_override"), "(null)\n");
	fakesysfs_link("../../../../bus/pci/drivers/vfio-pci", "bus/pci/devices/0000:00:09.0/driver");
	CU_ASSERT_EQUAL(pv_pci_assignable_add_slot(root, 0, 0, 8, state, err, sizeof(err)), 2);
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/devices/0000:00:08.0/driver_override"), "vfio-pci");
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/devices/0000:00:08.1/driver_override"), "vfio-pci");
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/drivers/igb/unbind"), "0000:00:08.1");
	CU_ASSERT_STRING_EQUAL(slurp("state/0000:00:08.0.driver"), "igb\n");
	CU_ASSERT_STRING_EQUAL(slurp("state/0000:00:08.1.driver"), "igb\n");
	CU_ASSERT_EQUAL(pv_pci_assignable_add_slot(root, 0, 0, 0x0a, state, err, sizeof(err)),
			-ENODEV);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "0000:00:0a.*: no such PCI device"));
}

/*
 * BB:DD.*, all or none: when the kernel will not take the second function
 * (here its driver cannot unbind it), the first, already with vfio-pci,
 * goes back to its driver: driver_override cleared, not remembered.
 */
static void test_add_slot_undone(void)
{
	char err[200], path[512];

	fakesysfs_driver("vfio-pci");
	fakesysfs_device("0000:00:0b.0", 0x8086, 0x1521, 0x020000, 11, "igb");
	fakesysfs_device("0000:00:0b.1", 0x8086, 0x1521, 0x020000, 11, "stuck");
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/stuck/unbind", root);
	CU_ASSERT_EQUAL_FATAL(unlink(path), 0);
	CU_ASSERT_EQUAL(pv_pci_assignable_add_slot(root, 0, 0, 0x0b, state, err, sizeof(err)),
			-ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "0000:00:0b.1: cannot rebind it to vfio-pci"));
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/drivers/igb/unbind"), "0000:00:0b.0");
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/devices/0000:00:0b.0/driver_override"), "\n");
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/devices/0000:00:0b.1/driver_override"), "\n");
	snprintf(path, sizeof(path), "%s/0000:00:0b.0.driver", state);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/0000:00:0b.1.driver", state);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
}

/*
 * Back from BB:DD.*, all or none: with one function away from vfio-pci
 * neither is touched; a function whose driver will not take it back then
 * does not keep the other from going back, and its failure is the one
 * reported; its driver stays remembered for a retry.
 */
static void test_remove_slot(void)
{
	char err[200], path[512];

	fakesysfs_driver("vfio-pci");
	fakesysfs_device("0000:00:0c.0", 0x8086, 0x1521, 0x020000, 12, "stuck2");
	fakesysfs_device("0000:00:0c.1", 0x8086, 0x1521, 0x020000, 12, "igb");
	CU_ASSERT_EQUAL_FATAL(pv_pci_assignable_add_slot(root, 0, 0, 0x0c, state, err, sizeof(err)),
			      2);
	/* The kernel shows 0c.0 with vfio-pci; 0c.1 went back to igb behind our back. */
	fakesysfs_link("../../../../bus/pci/drivers/vfio-pci", "bus/pci/devices/0000:00:0c.0/driver");
	fakesysfs_put("bus/pci/drivers/vfio-pci/unbind", "", 0);
	CU_ASSERT_EQUAL(pv_pci_assignable_remove_slot(root, 0, 0, 0x0c, 1, state, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "0000:00:0c.1: not assignable-bound (its driver is igb)"));
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/drivers/vfio-pci/unbind"), "");
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/devices/0000:00:0c.0/driver_override"), "vfio-pci");

	fakesysfs_link("../../../../bus/pci/drivers/vfio-pci", "bus/pci/devices/0000:00:0c.1/driver");
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/stuck2/bind", root);
	CU_ASSERT_EQUAL_FATAL(unlink(path), 0);
	CU_ASSERT_EQUAL(pv_pci_assignable_remove_slot(root, 0, 0, 0x0c, 1, state, err, sizeof(err)),
			-ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "0000:00:0c.0: stuck2 did not take the device back"));
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/drivers/vfio-pci/unbind"), "0000:00:0c.1");
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/devices/0000:00:0c.1/driver_override"), "\n");
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/drivers/igb/bind"), "0000:00:0c.1");
	snprintf(path, sizeof(path), "%s/0000:00:0c.1.driver", state); /* back: forgotten */
	CU_ASSERT_EQUAL(access(path, F_OK), -1);

	/*
	 * 0c.0 is off vfio-pci with no driver; its own is remembered, so once
	 * that driver can take it, a retry binds it.
	 */
	snprintf(path, sizeof(path), "%s/0000:00:0c.0.driver", state);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:00:0c.0/driver", root);
	CU_ASSERT_EQUAL_FATAL(unlink(path), 0);
	CU_ASSERT_EQUAL(pv_pci_assignable_remove(root, "00:0c.0", 1, state, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "run pci-assignable-remove --rebind again"));
	fakesysfs_put("bus/pci/drivers/stuck2/bind", "", 0);
	CU_ASSERT_EQUAL(pv_pci_assignable_remove(root, "00:0c.0", 1, state, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(slurp("bus/pci/drivers/stuck2/bind"), "0000:00:0c.0");
	snprintf(path, sizeof(path), "%s/0000:00:0c.0.driver", state);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	/* Without a remembered driver, a device with none is not ours to give back. */
	CU_ASSERT_EQUAL(pv_pci_assignable_remove(root, "00:0c.0", 1, state, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "its driver is none"));
	CU_ASSERT_EQUAL(pv_pci_assignable_remove_slot(root, 0, 0, 0x0d, 1, state, err, sizeof(err)),
			-ENODEV);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "0000:00:0d.*: no such PCI device"));
}

static CU_TestInfo tests[] = {
	{"BDF normalisation", test_bdf},
	{"list with names, drivers, groups, reasons", test_list},
	{"unknown device", test_get_unknown},
	{"the functions of BB:DD.*", test_slot_functions},
	{"add without vfio-pci loaded", test_add_needs_vfio_driver},
	{"add refuses a group that is not viable", test_add_refuses_unviable_group},
	{"add and remove with rebind", test_add_and_remove},
	{"add BB:DD.*: the functions together", test_add_slot},
	{"add BB:DD.*: one fails, none stays", test_add_slot_undone},
	{"remove BB:DD.*: all or none, one failing stops no other", test_remove_slot},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"pcihost", setup, teardown, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)

/* SPDX-License-Identifier: MIT */
/*
 * pvkit pci-list-host, pci-assignable-list, pci-assignable-add and
 * pci-assignable-remove: the host's side of PCI passthrough, like xl's.
 * $PVKIT_SYSFS points them at another sysfs tree (tests use a fake one).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvkit/pcihost.h"
#include "pvkit_cmd.h"
#include "toolstack.h"

const char *pvkit_pci_sysfs(void)
{
	const char *s = getenv("PVKIT_SYSFS");

	return s && *s ? s : NULL;
}

void pvkit_pci_statedir(char *buf, size_t len)
{
	snprintf(buf, len, "%s/pci", ts_rundir());
}

static void print_row(const struct pv_pci_host_dev *d, int show_reason)
{
	char group[16];

	if (d->iommu_group >= 0)
		snprintf(group, sizeof(group), "%d", d->iommu_group);
	else
		snprintf(group, sizeof(group), "-");
	printf("%-12s %04x:%04x %06x %-5s %-10s %-3s %.60s\n", d->bdf, d->vendor, d->device,
	       d->class_code, group, d->driver[0] ? d->driver : "-", d->assignable ? "yes" : "no",
	       d->name);
	if (show_reason && !d->assignable)
		printf("%12s   (%s)\n", "", d->reason);
}

/* List every device (@all) or only those bound to vfio-pci. */
static int list(const char *cmd, int all)
{
	struct pv_pci_host_dev *devs;
	char err[256];
	int n = pv_pci_host_list(pvkit_pci_sysfs(), &devs, err, sizeof(err));

	if (n < 0) {
		fprintf(stderr, "pvkit %s: %s\n", cmd, err);
		return PVKIT_EXIT_FAILURE;
	}
	printf("%-12s %-9s %-6s %-5s %-10s %-3s %s\n", "BDF", "ID", "Class", "Group", "Driver",
	       "Ok", "Name");
	for (int i = 0; i < n; i++)
		if (all || !strcmp(devs[i].driver, "vfio-pci"))
			print_row(&devs[i], all);
	free(devs);
	return 0;
}

int pvkit_cmd_pci_list_host(int argc, char **argv)
{
	if (argc > 1)
		return pvkit_usage_error(argv[0], "takes no arguments");
	return list(argv[0], 1);
}

static int all_functions(const char *arg)
{
	size_t len = strlen(arg);

	return len >= 2 && !strcmp(arg + len - 2, ".*");
}

/*
 * BB:DD.* (first function @bdf0) to vfio-pci (@rebind < 0) or back: its
 * functions together, all or none (they share their IOMMU group).
 */
static int assignable_slot(const char *bdf0, int rebind, const char *dir, char *err, size_t errlen)
{
	unsigned int dom, bus, dev;

	if (sscanf(bdf0, "%x:%x:%x", &dom, &bus, &dev) != 3) {
		snprintf(err, errlen, "%s: not a PCI address", bdf0);
		return -EINVAL;
	}
	if (rebind < 0)
		return pv_pci_assignable_add_slot(pvkit_pci_sysfs(), dom, bus, dev, dir, err, errlen);
	return pv_pci_assignable_remove_slot(pvkit_pci_sysfs(), dom, bus, dev, rebind, dir, err,
					     errlen);
}

/*
 * @arg as the BDFs it names into @out: one, or for BB:DD.* every function
 * the host has there (pvkit's extension: xl takes one BDF). How many, or
 * -1 (printed).
 */
static int expand_bdf(const char *cmd, const char *arg, char out[8][PV_PCI_BDF_LEN])
{
	size_t len = strlen(arg);
	int all = all_functions(arg), mask, n = 0;
	unsigned int dom, bus, dev;
	char copy[64];

	if (all)
		snprintf(copy, sizeof(copy), "%.*s.0", (int)(len - 2), arg);
	else
		snprintf(copy, sizeof(copy), "%s", arg);
	if (pv_pci_bdf_normalise(copy, out[0]) < 0 ||
	    sscanf(out[0], "%x:%x:%x", &dom, &bus, &dev) != 3) {
		fprintf(stderr, "pvkit %s: '%s' is not a PCI address ([[DDDD:]BB:]DD.F, F may be *)\n",
			cmd, arg);
		return -1;
	}
	if (!all)
		return 1;
	mask = pv_pci_slot_functions(pvkit_pci_sysfs(), dom, bus, dev);
	if (mask <= 0) {
		fprintf(stderr, "pvkit %s: %04x:%02x:%02x.*: %s\n", cmd, dom, bus, dev,
			mask < 0 ? strerror(-mask) : "no such PCI device on this host");
		return -1;
	}
	for (unsigned int f = 0; f < 8; f++)
		if (mask & (1 << f))
			snprintf(out[n++], PV_PCI_BDF_LEN, "%04x:%02x:%02x.%x", dom, bus, dev, f);
	return n;
}

int pvkit_cmd_pci_assignable(int argc, char **argv)
{
	static const struct option longs[] = {
		{"all", no_argument, NULL, 'a'}, {"rebind", no_argument, NULL, 'r'}, {NULL, 0, NULL, 0},
	};
	const char *cmd = argv[0];
	int all = 0, rebind = 0, add, c, rc = 0, n;
	char dir[4096], err[256], bdfs[8][PV_PCI_BDF_LEN];

	optind = 1;
	while ((c = getopt_long(argc, argv, "ar", longs, NULL)) != -1) {
		if (c == 'a' && !strcmp(cmd, "pci-assignable-list"))
			all = 1;
		else if (c == 'r' && !strcmp(cmd, "pci-assignable-remove"))
			rebind = 1;
		else
			return pvkit_usage_error(cmd, "unknown option");
	}
	if (!strcmp(cmd, "pci-assignable-list")) {
		if (optind != argc)
			return pvkit_usage_error(cmd, "takes no arguments");
		return list(cmd, all);
	}
	if (optind + 1 != argc)
		return pvkit_usage_error(cmd, "expects one BDF");
	n = expand_bdf(cmd, argv[optind], bdfs);
	if (n < 0)
		return PVKIT_EXIT_FAILURE;
	pvkit_pci_statedir(dir, sizeof(dir));
	add = !strcmp(cmd, "pci-assignable-add");
	if (add && all_functions(argv[optind]))
		rc = assignable_slot(bdfs[0], -1, dir, err, sizeof(err));
	else if (add)
		rc = pv_pci_assignable_add(pvkit_pci_sysfs(), bdfs[0], dir, err, sizeof(err));
	else if (all_functions(argv[optind]))
		rc = assignable_slot(bdfs[0], rebind, dir, err, sizeof(err));
	else
		rc = pv_pci_assignable_remove(pvkit_pci_sysfs(), bdfs[0], rebind, dir, err,
					      sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "pvkit %s: %s\n", cmd, err);
		return PVKIT_EXIT_FAILURE;
	}
	return 0;
}

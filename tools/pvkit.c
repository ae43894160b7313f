/* SPDX-License-Identifier: MIT */
/*
 * pvkit: the one command for admins, like Xen's xl. Global options, the
 * subcommand table, help texts and dispatch; each subcommand lives in cmd_*.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvkit/log.h"
#include "pvkit_cmd.h"

/* Set by --rundir (globally or per subcommand); NULL: $PVKIT_RUNDIR or /run/pvkit. */
const char *pvkit_rundir;

#define NAME_OR_ID "NAME|ID"

static const struct pvkit_command commands[] = {
	{"host", pvkit_cmd_host, "host up|down|status [-l] [--rundir DIR]",
	 "start, stop or check the local platform's daemons",
	 "Manage the local platform in domain 0: pvkitd, pvkit-xenstored, pvkit-blkback,\n"
	 "pvkit-netback, pvkit-pciback and pvkit-consoled.\n\n"
	 "  host up      start every daemon, wait until each is ready, and print where\n"
	 "               the logs and sockets are\n"
	 "  host status  show each daemon, its pid and its health; with -l also what\n"
	 "               each domain holds in pvkitd: PINNED (pins on its grants, by\n"
	 "               peers mapping its pages), MAPPED (its pins on others' grants),\n"
	 "               EVTCHNS (event-channel ports), CONNS and LEASES (its\n"
	 "               connections to pvkitd and their page/grant leases)\n"
	 "  host down    stop every daemon cleanly (guests first)\n\n"
	 "Options:\n"
	 "  -l, --long    with status: the per-domain figures above\n"
	 "  --rundir DIR  the run directory (default $PVKIT_RUNDIR or /run/pvkit)\n"},
	{"create", pvkit_cmd_create, "create [OPTIONS] CONFIG [KEY=VALUE...]",
	 "create a guest from an xl-style config file",
	 "Create a guest from CONFIG, an xl-style guest config (see pvkit.cfg(5)).\n"
	 "Each KEY=VALUE argument overrides a setting of the file, as with xl: the\n"
	 "value is in config syntax ('memory=256', 'disk=[\"vdev=xvda, target=/g.img\"]');\n"
	 "a value that is a bare word is taken as a string ('name=g2').\n"
	 "Before starting anything, create checks that every disk target opens with\n"
	 "its access mode and that every vif's bridge exists.\n\n"
	 "Options:\n"
	 "  -n, --dry-run   parse and check CONFIG, print the resulting configuration\n"
	 "                  and the xenstore nodes create would write, and exit\n"
	 "  -f FILE         read the config from FILE (instead of the CONFIG argument)\n"
	 "  --domid N       with -n: the domid to show in the nodes (default 1)\n"
	 "  -c              attach to the guest's console once it runs\n"
	 "  -q              print only errors and the domid\n"
	 "  --timeout SECS  how long to wait for every device to connect (default 30);\n"
	 "                  then the guest is destroyed and the stuck device named\n"
	 "  --rundir DIR    the run directory (default $PVKIT_RUNDIR or /run/pvkit)\n\n"
	 "Exit status: 0 on success, 1 if CONFIG is wrong or create failed, 2 on a\n"
	 "usage error.\n"},
	{"list", pvkit_cmd_list, "list [-l] [" NAME_OR_ID "...]",
	 "list guests (Name, ID, Mem, VCPUs, State, Time)",
	 "List guests like `xl list`: Name, ID, Mem (MiB), VCPUs, State and Time (CPU\n"
	 "seconds of the guest's runtime). State r-----: running; -b----: no runtime;\n"
	 "-----d: dying.\n\n"
	 "Options:\n"
	 "  -l, --long   also list each guest's devices and their xenbus states\n"},
	{"destroy", pvkit_cmd_destroy, "destroy " NAME_OR_ID,
	 "stop a guest at once and release its devices",
	 "Stop the guest at once: its processes are killed, its devices torn down and\n"
	 "its xenstore nodes removed.\n"},
	{"shutdown", pvkit_cmd_shutdown, "shutdown [-w] [-t SECS] " NAME_OR_ID,
	 "ask a guest to shut down cleanly",
	 "Ask the guest to shut down: its init gets SIGTERM, then its devices close in\n"
	 "order. If init is still there after half the timeout (an interactive shell\n"
	 "ignores SIGTERM), the devices are closed anyway; a guest still there at the\n"
	 "end is destroyed. Either way its xenstore nodes are removed.\n\n"
	 "Options:\n"
	 "  -t, --timeout SECS  the bound (default 20)\n"
	 "  -w, --wait          accepted for xl's users: shutdown always waits\n"},
	{"exec", pvkit_cmd_exec, "exec " NAME_OR_ID " -- COMMAND [ARG...]",
	 "run a command inside a guest's namespaces",
	 "Run COMMAND inside the guest's network, mount and UTS namespaces, with the\n"
	 "caller's terminal; the exit status is COMMAND's. Its environment names the\n"
	 "guest (PVKIT_DOMID, and XENSTORED_PATH: xenstore as the guest sees it).\n"},
	{"console", pvkit_cmd_console, "console [--log] " NAME_OR_ID, "attach to a guest's console",
	 "Attach the terminal to the guest's console. Ctrl-] detaches.\n\n"
	 "Options:\n"
	 "  -l, --log   print the console's log (what the guest wrote) instead\n"},
	{"block-attach", pvkit_cmd_hotplug, "block-attach [--timeout SECS] " NAME_OR_ID " DISKSPEC",
	 "hot-plug a disk into a running guest",
	 "Add a disk to a running guest. DISKSPEC is a disk spec as in the config's\n"
	 "disk= list (see pvkit.cfg(5)), e.g. 'vdev=xvdb, access=ro, target=/srv/d.img'.\n"
	 "The target is checked first, as create does; then the disk's nodes are written\n"
	 "and pvkit waits until it is Connected (--timeout, default 30 s; then its nodes\n"
	 "are removed and the command fails).\n"},
	{"block-detach", pvkit_cmd_hotplug, "block-detach [--force] [--timeout SECS] " NAME_OR_ID " VDEV",
	 "hot-unplug a disk from a running guest",
	 "Remove the disk VDEV (xvdb, or its number 51728) from a running guest as libxl\n"
	 "does: the backend's online node goes to 0 and its state to Closing; the guest's\n"
	 "frontend closes (its unanswered I/O fails), the backend follows (Closed) and\n"
	 "releases the disk; then the disk's frontend and backend directories are\n"
	 "removed together. If the two have not closed within --timeout (default 10 s),\n"
	 "the directories are removed anyway, with a warning naming both states.\n\n"
	 "Options:\n"
	 "  -f, --force      remove the directories at once, without waiting\n"
	 "  --timeout SECS   how long to wait for both halves to close\n"},
	{"block-list", pvkit_cmd_block_list, "block-list " NAME_OR_ID,
	 "list a guest's disks and their NBD URIs",
	 "List the guest's disks as xenstore has them: Vdev (the Xen number), Dev (its\n"
	 "name), BE (backend domain), handle, state (the frontend's xenbus state), evt-ch,\n"
	 "ring-ref, BE-path; then NBD-URI, where the guest exports the disk\n"
	 "(nbd+unix:///?socket=RUNDIR/dom/<domid>/xvdX.sock, for nbdinfo, nbdcopy,\n"
	 "qemu-img, nbdfuse), or - while it does not.\n"},
	{"network-attach", pvkit_cmd_hotplug, "network-attach [--timeout SECS] " NAME_OR_ID " VIFSPEC",
	 "hot-plug a network interface into a running guest",
	 "Add a vif to a running guest. VIFSPEC is a vif spec as in the config's vif=\n"
	 "list (see pvkit.cfg(5)), e.g. 'mac=00:16:3e:00:00:01, bridge=pvbr0'. Without\n"
	 "devid= it takes the next free one; without mac= the one create would give.\n"
	 "pvkit waits until it is Connected, as block-attach does.\n"},
	{"network-detach", pvkit_cmd_hotplug,
	 "network-detach [--force] [--timeout SECS] " NAME_OR_ID " DEVID|MAC",
	 "hot-unplug a network interface from a running guest",
	 "Remove the vif with this devid or MAC from a running guest, as block-detach\n"
	 "does (Closing, both halves Closed, then the directories; the same options).\n"},
	{"network-list", pvkit_cmd_network_list, "network-list " NAME_OR_ID,
	 "list a guest's network interfaces",
	 "List the guest's vifs as xenstore has them: Idx, BE, Mac Addr., handle, state\n"
	 "(the frontend's xenbus state), evt-ch, tx/rx-ring-ref, BE-path.\n"},
	{"top", pvkit_cmd_top, "top [-b] [-n ITERATIONS] [-d SECONDS]",
	 "live per-domain and per-device counters, like xentop",
	 "Show the counters the backends publish (<rundir>/stats), per domain and per\n"
	 "device (vbd/DEVID, vif/DEVID, console/0, pci/0): REQS requests taken off the\n"
	 "ring (vif: packets both ways; pci: ops served), IN_BYTES from the guest (disk\n"
	 "writes, packets it sent, console output), OUT_BYTES to the guest (disk reads,\n"
	 "packets delivered, console input), ERRS requests answered with an error (pci:\n"
	 "ops refused), DROPS, INFL requests in flight, IRQS device interrupts delivered\n"
	 "as events (pci), SPUR notifications from the guest that found no work; the /s\n"
	 "columns are rates over the last interval ('-' on the first sample).\n"
	 "Interactive mode redraws the screen until q or Ctrl-C.\n\n"
	 "Options:\n"
	 "  -b, --batch           plain lines, no screen handling\n"
	 "  -n, --iterations N    stop after N samples\n"
	 "  -d, --delay SECONDS   time between samples (default 3)\n"},
	{"pci-list-host", pvkit_cmd_pci_list_host, "pci-list-host",
	 "list every host PCI device and whether it can be assigned",
	 "List every PCI device of the host (names from pci.ids) with its driver and\n"
	 "IOMMU group, and whether it can be given to a guest: VFIO assigns a whole\n"
	 "IOMMU group, so every endpoint in the group must be free of host drivers\n"
	 "(bridges are fine). When it cannot, the reason follows on its own line.\n"
	 "Same as pci-assignable-list --all.\n"},
	{"pci-assignable-list", pvkit_cmd_pci_assignable, "pci-assignable-list [-a|--all]",
	 "list host PCI devices ready for passthrough",
	 "List the host's PCI devices bound to vfio-pci, ready to give to a guest.\n"
	 "With --all, every device, as pci-list-host.\n"},
	{"pci-assignable-add", pvkit_cmd_pci_assignable, "pci-assignable-add BDF|BB:DD.*",
	 "make a host PCI device assignable",
	 "Unbind the device at BDF from its host driver and bind it to vfio-pci\n"
	 "(through driver_override), remembering the original driver. Refused, with\n"
	 "the reason, when the host has no IOMMU, the device is a bridge, or another\n"
	 "endpoint of its IOMMU group is still bound to a host driver. BB:DD.* (pvkit's\n"
	 "extension) binds every function of that device together, all or none.\n"},
	{"pci-assignable-remove", pvkit_cmd_pci_assignable,
	 "pci-assignable-remove [-r|--rebind] BDF|BB:DD.*",
	 "give a PCI device back to the host",
	 "Unbind the device at BDF from vfio-pci and clear its driver_override; with\n"
	 "--rebind, bind the driver it had before pci-assignable-add (if that driver\n"
	 "will not take it, run the command again once it can). BB:DD.*: every\n"
	 "function of that device, none unless all are bound to vfio-pci.\n"},
	{"pci-attach", pvkit_cmd_pci_attach, "pci-attach [--timeout S] " NAME_OR_ID " PCISPEC",
	 "pass a PCI device through to a running guest",
	 "Pass a host PCI device to a running guest. PCISPEC is a pci spec as in the\n"
	 "config's pci= list, e.g. '0000:03:00.0,permissive=1'. The device must be\n"
	 "bound to vfio-pci (pvkit pci-assignable-add; seize=1 does it here). pvkit\n"
	 "writes the nodes where libxl does (a hot-add goes through Reconfiguring) and\n"
	 "waits until pvkit-pciback has opened the device and the guest's bus is\n"
	 "Connected (default 30 s). BB:DD.*@VSLOT attaches every function of the\n"
	 "device at guest slot VSLOT, from the highest to function 0, as libxl does.\n"},
	{"pci-detach", pvkit_cmd_pci_detach,
	 "pci-detach [-f|--force] [--timeout S] " NAME_OR_ID " BDF|BB:DD.*",
	 "take a PCI device back from a running guest",
	 "Remove the passed-through PCI device at BDF from a running guest: the guest\n"
	 "lets it go (Reconfiguring), pvkit-pciback turns its interrupts off, removes\n"
	 "every DMA and BAR mapping and resets it; it stays bound to vfio-pci.\n"
	 "BB:DD.* takes every function of that device the guest has.\n\n"
	 "Options:\n"
	 "  -f, --force      when the guest does not answer in time, remove the device\n"
	 "                   anyway (pvkit-pciback releases it); without -f it stays\n"
	 "  --timeout S      how long to wait for the guest (default 30 s)\n"},
	{"pci-list", pvkit_cmd_pci_list, "pci-list " NAME_OR_ID,
	 "list a guest's passed-through PCI devices",
	 "List the PCI devices passed through to the guest, as xl does: Vdev (the\n"
	 "guest's slot.function) and Device (the host's BDF).\n"},
	{"usbdev-attach", pvkit_cmd_unimplemented, "usbdev-attach " NAME_OR_ID " USBDEVSPEC",
	 "pass a host USB device through to a running guest",
	 "Pass a host USB device to a running guest, e.g. 'hostbus=1, hostaddr=3'.\n"},
	{"usbdev-detach", pvkit_cmd_unimplemented, "usbdev-detach " NAME_OR_ID " CONTROLLER PORT",
	 "take a USB device back from a running guest",
	 "Remove the USB device on CONTROLLER's PORT from a running guest.\n"},
	{"usb-list", pvkit_cmd_unimplemented, "usb-list " NAME_OR_ID,
	 "list a guest's USB controllers and devices",
	 "List the guest's USB controllers and the devices on their ports.\n"},
	{"help", pvkit_cmd_help, "help [SUBCOMMAND]", "show this list, or one subcommand's usage",
	 "Without SUBCOMMAND, list every subcommand; with one, print its usage.\n"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct pvkit_command *pvkit_find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

void pvkit_print_usage(FILE *f, const struct pvkit_command *c)
{
	fprintf(f, "Usage: pvkit %s\n\n%s", c->synopsis, c->help);
}

/* host's verbs get a line each in the overview. */
static void print_host_verbs(FILE *f)
{
	fputs("  host up                start the local platform's daemons\n"
	      "  host status            show each daemon and its health\n"
	      "  host down              stop the local platform's daemons\n",
	      f);
}

static void print_overview(FILE *f)
{
	fputs("Usage: pvkit [--rundir DIR] [-v] SUBCOMMAND [ARGS...]\n\n"
	      "pvkit runs guests on Xen-style split para-virtual drivers, like Xen's xl.\n\n"
	      "Subcommands:\n",
	      f);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct pvkit_command *c = &commands[i];
		int todo = c->run == pvkit_cmd_unimplemented;

		if (c->run == pvkit_cmd_host) {
			print_host_verbs(f);
			continue;
		}
		fprintf(f, "  %-22s %s%s\n", c->name, c->summary, todo ? " *" : "");
	}
	fputs("\n* not implemented yet (the command says so and exits 1)\n"
	      "\nGlobal options:\n"
	      "  --rundir DIR   the run directory (default $PVKIT_RUNDIR or /run/pvkit)\n"
	      "  -v, --verbose  log debug messages\n"
	      "  -h, --help     this text\n"
	      "  --version      the version\n\n"
	      "'pvkit SUBCOMMAND --help' shows one subcommand; pvkit(1) and pvkit.cfg(5)\n"
	      "have everything.\n",
	      f);
}

int pvkit_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	}
	return 0;
}

int pvkit_cmd_help(int argc, char **argv)
{
	const struct pvkit_command *c;

	if (argc < 2) {
		print_overview(stdout);
		return 0;
	}
	c = pvkit_find_command(argv[1]);
	if (!c) {
		fprintf(stderr, "pvkit help: unknown subcommand '%s' (see 'pvkit help')\n", argv[1]);
		return PVKIT_EXIT_USAGE;
	}
	pvkit_print_usage(stdout, c);
	return 0;
}

int pvkit_cmd_unimplemented(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "pvkit %s: not implemented yet\n", argv[0]);
	return PVKIT_EXIT_FAILURE;
}

int pvkit_usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "pvkit %s: %s (see 'pvkit %s --help')\n", cmd, msg, cmd);
	return PVKIT_EXIT_USAGE;
}

/*
 * Global options before the subcommand. Returns the subcommand's index, or
 * -1 when pvkit should exit with *status (after --help, --version, an error).
 */
static int global_options(int argc, char **argv, int *status)
{
	int i = 1;

	*status = 0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--rundir") && i + 1 < argc) {
			pvkit_rundir = argv[++i];
		} else if (!strncmp(argv[i], "--rundir=", 9)) {
			pvkit_rundir = argv[i] + 9;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			pv_log_set_level(PV_LOG_DEBUG);
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			print_overview(stdout);
			return -1;
		} else if (!strcmp(argv[i], "--version")) {
			printf("pvkit %s\n", PVKIT_VERSION);
			return -1;
		} else {
			fprintf(stderr, "pvkit: unknown option '%s' (see 'pvkit --help')\n", argv[i]);
			*status = PVKIT_EXIT_USAGE;
			return -1;
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	const struct pvkit_command *c;
	int i, status;

	pv_log_set_ident("pvkit");
	i = global_options(argc, argv, &status);
	if (i < 0)
		return status;
	if (i >= argc) {
		fputs("Usage: pvkit [--rundir DIR] [-v] SUBCOMMAND [ARGS...]\n"
		      "Try 'pvkit help' for the list of subcommands.\n",
		      stderr);
		return PVKIT_EXIT_USAGE;
	}
	c = pvkit_find_command(argv[i]);
	if (!c) {
		fprintf(stderr, "pvkit: unknown subcommand '%s' (see 'pvkit help')\n", argv[i]);
		return PVKIT_EXIT_USAGE;
	}
	/* host has its own level of subcommands and prints its usage itself. */
	if (c->run != pvkit_cmd_help && c->run != pvkit_cmd_host &&
	    pvkit_wants_help(argc - i, argv + i)) {
		pvkit_print_usage(stdout, c);
		return 0;
	}
	return c->run(argc - i, argv + i);
}

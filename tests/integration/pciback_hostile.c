/* SPDX-License-Identifier: MIT */
/*
 * A hostile PCI frontend against the real pvkit-pciback
 * (tests/integration/pciback-hostile.sh): plays the toolstack (a domain
 * and its pci bus, whose one device cannot be opened here) and then the
 * guest: a wrong magic, a grant reference that is not there, ops for no
 * device and unknown ops, an event storm on the op channel, a close and a
 * reconnect. Every step must get an error code or a closed bus, never a
 * dead daemon; the bus's counters for pvkit top match. Prints ok / not ok
 * lines (pvkit on $PATH).
 *
 *   pciback-hostile RUNDIR BDF
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvkit/local.h"
#include "pvkit/stats.h"
#include "pciback_front.h"

static void ops(struct front *f)
{
	struct pv_pci_op op = {.cmd = PV_PCI_OP_CONF_READ, .size = 4};

	check(front_op(f, &op) == 0 && op.err == PV_PCI_ERR_DEV_NOT_FOUND,
	      "a config read of a device that is not exported: DEV_NOT_FOUND");
	op = (struct pv_pci_op){.cmd = 0xdead};
	check(front_op(f, &op) == 0 && op.err == PV_PCI_ERR_NOT_IMPLEMENTED,
	      "an unknown op: NOT_IMPLEMENTED");
	op = (struct pv_pci_op){.cmd = PV_PCI_OP_ENABLE_MSIX, .value = 100000, .bus = 0xff};
	check(front_op(f, &op) == 0 && op.err == PV_PCI_ERR_DEV_NOT_FOUND,
	      "MSI-X for another bus: DEV_NOT_FOUND");
	op = (struct pv_pci_op){.cmd = PV_PCI_OP_BAR_READ, .size = 8, .devfn = 0xffffffff};
	op.ext.offset = UINT64_MAX;
	check(front_op(f, &op) == 0 && op.err == PV_PCI_ERR_DEV_NOT_FOUND,
	      "a BAR read at a devfn past 0xff: DEV_NOT_FOUND");
	/* An event storm with nothing posted: ignored, counted, the next op still answered. */
	for (int i = 0; i < 20000; i++)
		pv_evtchn_notify(f->evt, f->port);
	op = (struct pv_pci_op){.cmd = PV_PCI_OP_AER_DETECTED};
	check(front_op(f, &op) == 0 && op.err == PV_PCI_ERR_NOT_IMPLEMENTED,
	      "after 20000 empty notifies the backend still answers");
}

/*
 * pvkit top's counters for the bus (<rundir>/stats/pci-<domid>-0): the 5
 * ops above, every one refused; the empty notifies as spurious (fewer
 * than 20000: pending events coalesce); and `pvkit top` shows the same.
 */
static void counters(struct front *f)
{
	struct pv_stats_counters c;
	char path[512], cmd[600], line[512], name[32];
	unsigned long long id, reqs, errs, irqs, spur, n[5];
	int seen = 0;
	FILE *p;

	snprintf(path, sizeof(path), "%s/" PV_STATS_DIR "/pci-%u-0", f->rundir, f->domid);
	check(pv_stats_read(path, &c) == 0 && c.requests == 5 && c.errors == 5 && c.irqs == 0 &&
		      c.spurious >= 1 && c.spurious <= 20000,
	      "counters: 5 ops, 5 refused, no interrupts, the empty notifies as spurious");
	snprintf(cmd, sizeof(cmd), "pvkit --rundir '%s' top -b -n 1", f->rundir);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		/* "  pci/0 ID REQS REQS/s IN OUT IN/s OUT/s ERRS DROPS INFL IRQS SPUR" */
		if (sscanf(line, " %31s %llu %llu %*s %llu %llu %*s %*s %llu %llu %llu %llu %llu",
			   name, &id, &reqs, &n[0], &n[1], &errs, &n[2], &n[3], &irqs, &spur) == 10 &&
		    !strcmp(name, "pci/0") && id == f->domid)
			seen = reqs == 5 && errs == 5 && irqs == 0 && spur == c.spurious;
	}
	if (p)
		pclose(p);
	check(seen, "pvkit top: the pci/0 line with REQS 5, ERRS 5, IRQS 0 and the spurious count");
}

int main(int argc, char **argv)
{
	struct front f = {0};
	char *err = NULL;

	if (argc != 3) {
		fprintf(stderr, "usage: pciback-hostile RUNDIR BDF\n");
		return 2;
	}
	f.rundir = argv[1];
	check(front_make_domain(&f, "hostile", 16 << 20) == 0 && front_write_bus(&f, argv[2]) == 0,
	      "a domain and its pci bus");
	check(front_wait_state(f.xs0, f.be, "state", PV_XENBUS_STATE_INITIALISED) == 0,
	      "pvkit-pciback reaches Initialised");
	check(front_wait_state(f.xs0, f.be, "state-0", PV_XENBUS_STATE_CLOSED) == 0,
	      "the device it cannot open: state-0 Closed");
	check(pv_xs_read(f.xs0, 0, f.be, "error", &err) == 0 && strstr(err, argv[2]),
	      "and the error node names it");
	free(err);
	if (front_guest_open(&f) < 0) {
		check(0, "the guest's platform, page and port");
		return 1;
	}
	front_publish(&f, f.ref, "6");
	check(front_wait_state(f.xs, f.be, "state", PV_XENBUS_STATE_CLOSING) == 0,
	      "a wrong magic: the backend closes the bus");
	check(front_restart(&f) == 0, "the frontend starts over: backend Initialised again");
	front_publish(&f, 4000, PV_PCI_MAGIC);
	check(front_wait_state(f.xs, f.be, "state", PV_XENBUS_STATE_CLOSING) == 0,
	      "a grant reference that is not there: the backend closes the bus");
	check(front_restart(&f) == 0, "and waits for the frontend again");
	pv_xs_write(f.xs, 0, f.fe, "event-channel", "junk");
	pv_xs_printf(f.xs, 0, f.fe, "pci-op-ref", "%u", f.ref);
	pv_xs_write(f.xs, 0, f.fe, "state", "3");
	check(front_wait_state(f.xs, f.be, "state", PV_XENBUS_STATE_CLOSING) == 0,
	      "an event channel that is not a number: closed");
	check(front_restart(&f) == 0, "and back");
	front_publish(&f, f.ref, PV_PCI_MAGIC);
	check(front_wait_state(f.xs, f.be, "state", PV_XENBUS_STATE_CONNECTED) == 0,
	      "the right page, port and magic: Connected");
	ops(&f);
	counters(&f);
	check(front_restart(&f) == 0, "close and reopen while connected");
	/* The backend closed its end of the old channel: a new one, as a real frontend does. */
	pv_evtchn_unbind(f.evt, f.port);
	f.port = (pv_evtchn_port_t)pv_evtchn_alloc_unbound(f.evt, 0);
	front_publish(&f, f.ref, PV_PCI_MAGIC);
	check(front_wait_state(f.xs, f.be, "state", PV_XENBUS_STATE_CONNECTED) == 0,
	      "Connected again");
	pv_xs_write(f.xs0, 0, f.be, "state", "7");
	pv_xs_write(f.xs, 0, f.fe, "state", "7");
	check(front_wait_state(f.xs, f.be, "state", PV_XENBUS_STATE_RECONFIGURED) == 0,
	      "Reconfiguring with nothing to change: Reconfigured");
	pv_xs_write(f.xs, 0, f.fe, "state", "4");
	check(front_wait_state(f.xs, f.be, "state", PV_XENBUS_STATE_CONNECTED) == 0,
	      "frontend Connected: backend Connected");
	/* The guest dies without its toolstack: pvkitd tells pvkit-pciback at once. */
	{
		struct pv_local *l = NULL;

		check(pv_local_open(&l, f.rundir) == 0 && pv_local_domain_destroy(l, f.domid) == 0,
		      "the guest's domain is destroyed");
		if (l)
			pv_local_close(l);
	}
	printf("domid %u\n", f.domid);
	return front_failures ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * pvkit pci-attach, pci-detach and pci-list: a guest's PCI bus in xenstore
 * where libxl_pci.c keeps it (backend/pci/<domid>/0, device/pci/0,
 * /libxl/pci/<BDF>/domid), hot-plug through Reconfiguring as libxl, Linux's
 * xen-pciback and xen-pcifront do it, and xl's messages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "domcfg.h"
#include "hotplug.h"
#include "pvkit/pcihost.h"
#include "pvkit_cmd.h"
#include "toolstack.h"

#define PCI_DEFAULT_TIMEOUT 30 /* seconds for the backend and the guest */

/* The guest's bus: its two directories and how many devices the backend has. */
struct pcibus {
	char be[96], fe[96];
	unsigned num; /* num_devs; 0 when the bus does not exist */
};

static void bus_paths(struct hotplug *h, struct pcibus *b)
{
	uint64_t n;

	snprintf(b->be, sizeof(b->be), "/local/domain/0/backend/pci/%u/0", h->dom.domid);
	snprintf(b->fe, sizeof(b->fe), "/local/domain/%u/device/pci/0", h->dom.domid);
	b->num = pv_xs_read_uint(h->xs, PV_XS_NO_TXN, b->be, "num_devs", 1024, 0, &n) == 0
			 ? (unsigned)n
			 : 0;
}

static int read_state(struct hotplug *h, const char *dir, const char *key)
{
	uint64_t v;

	if (pv_xs_read_uint(h->xs, PV_XS_NO_TXN, dir, key, 8, PV_XENBUS_STATE_UNKNOWN, &v) < 0)
		return PV_XENBUS_STATE_UNKNOWN;
	return (int)v;
}

/* The index of host device @bdf on the bus, or -1. */
static int find_dev(struct hotplug *h, const struct pcibus *b, const char *bdf)
{
	char key[24], *v = NULL, norm[PV_PCI_BDF_LEN];
	int found = -1;

	for (unsigned i = 0; i < b->num && found < 0; i++) {
		snprintf(key, sizeof(key), "dev-%u", i);
		if (pv_xs_read(h->xs, PV_XS_NO_TXN, b->be, key, &v) == 0 &&
		    pv_pci_bdf_normalise(v, norm) == 0 && !strcmp(norm, bdf))
			found = (int)i;
		free(v);
		v = NULL;
	}
	return found;
}

static void libxl_pci_path(char *buf, size_t len, const char *bdf)
{
	char dashed[16];

	snprintf(dashed, sizeof(dashed), "%s", bdf);
	dashed[4] = dashed[7] = dashed[10] = '-';
	snprintf(buf, len, "/libxl/pci/%s", dashed);
}

/* Another running guest holds @bdf (libxl's /libxl/pci/<BDF>/domid): its domid, or -1. */
static int holder(struct hotplug *h, const char *bdf)
{
	struct pv_local_domain_info *v = NULL;
	char path[64];
	uint64_t id;
	int n, found = -1;

	libxl_pci_path(path, sizeof(path), bdf);
	if (pv_xs_read_uint(h->xs, PV_XS_NO_TXN, path, "domid", 0x7fef, UINT64_MAX, &id) < 0 ||
	    id == UINT64_MAX)
		return -1;
	n = pv_local_domain_list(h->l, &v);
	for (int i = 0; i < n; i++)
		if (v[i].domid == id && v[i].state == PV_LOCAL_RUNNING)
			found = (int)id;
	free(v);
	return found;
}

/* Print the backend's error node, if it wrote one. */
static void print_backend_error(struct hotplug *h, const struct pcibus *b)
{
	char *err = NULL;

	/* "<errno> <message>", as Linux's xenbus_dev_error writes it. */
	if (pv_xs_read(h->xs, PV_XS_NO_TXN, b->be, "error", &err) == 0 && *err)
		fprintf(stderr, "pvkit %s: pvkit-pciback: %s\n", h->cmd,
			err + strspn(err, "0123456789 "));
	free(err);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/*
 * Poll until device @i's state-<i> is @want (3 exported, 6 released) with
 * the backend out of Reconfiguring, and (@need_front) the guest's bus
 * Connected. 0; -EIO when the backend gave the device up (state-<i> 6 when
 * 3 was wanted, or the bus closing); -ETIMEDOUT.
 */
static int wait_dev(struct hotplug *h, const struct pcibus *b, unsigned i, int want,
		    int need_front)
{
	long deadline = now_ms() + 1000L * (h->timeout ? h->timeout : PCI_DEFAULT_TIMEOUT);
	char key[24];

	snprintf(key, sizeof(key), "state-%u", i);
	for (;;) {
		int st = read_state(h, b->be, key), be = read_state(h, b->be, "state");
		int fe = read_state(h, b->fe, "state");
		int settled = be == PV_XENBUS_STATE_CONNECTED ||
			      (be == PV_XENBUS_STATE_INITIALISED && !need_front);

		if (st == want && settled && (!need_front || fe == PV_XENBUS_STATE_CONNECTED))
			return 0;
		if ((want == PV_XENBUS_STATE_INITIALISED && st == PV_XENBUS_STATE_CLOSED) ||
		    be == PV_XENBUS_STATE_CLOSING || be == PV_XENBUS_STATE_CLOSED)
			return -EIO;
		if (now_ms() > deadline) {
			fprintf(stderr, "pvkit %s: timed out: backend %s, %s %s, guest's bus %s\n",
				h->cmd, pv_xenbus_state_name(be), key, pv_xenbus_state_name(st),
				pv_xenbus_state_name(fe));
			return -ETIMEDOUT;
		}
		usleep(20000);
	}
}

/* ---- removing device nodes, as libxl__device_pci_remove_xenstore ------------------ */

struct rm_dev {
	const struct pcibus *b;
	unsigned i, num;
	const char *bdf;
};

static const char *const dev_keys[] = {"state", "key", "dev", "vdev", "opts", "vdevfn", "name"};

/* Remove device @i's keys, move the later ones down by one, num_devs - 1. */
static int rm_dev_txn(struct pv_xs *xs, pv_xs_txn_t t, void *opaque)
{
	const struct rm_dev *r = opaque;
	char key[24], *v = NULL, path[64];
	int rc = 0;

	for (size_t k = 0; !rc && k < sizeof(dev_keys) / sizeof(dev_keys[0]); k++) {
		snprintf(key, sizeof(key), "%s-%u", dev_keys[k], r->i);
		rc = pv_xs_rm(xs, t, r->b->be, key);
	}
	for (unsigned j = r->i + 1; !rc && j < r->num; j++) {
		for (size_t k = 0; !rc && k < sizeof(dev_keys) / sizeof(dev_keys[0]); k++) {
			snprintf(key, sizeof(key), "%s-%u", dev_keys[k], j);
			if (pv_xs_read(xs, t, r->b->be, key, &v) < 0)
				continue;
			rc = pv_xs_rm(xs, t, r->b->be, key);
			snprintf(key, sizeof(key), "%s-%u", dev_keys[k], j - 1);
			if (!rc)
				rc = pv_xs_write(xs, t, r->b->be, key, v);
			free(v);
			v = NULL;
		}
	}
	if (!rc)
		rc = pv_xs_printf(xs, t, r->b->be, "num_devs", "%u", r->num - 1);
	libxl_pci_path(path, sizeof(path), r->bdf);
	return rc ? rc : pv_xs_rm(xs, t, path, NULL);
}

/* The last device goes: both directories and its libxl record (libxl__device_destroy). */
static int rm_bus_txn(struct pv_xs *xs, pv_xs_txn_t t, void *opaque)
{
	const struct rm_dev *r = opaque;
	char path[64];
	int rc = pv_xs_rm(xs, t, r->b->fe, NULL);

	if (!rc)
		rc = pv_xs_rm(xs, t, r->b->be, NULL);
	libxl_pci_path(path, sizeof(path), r->bdf);
	return rc ? rc : pv_xs_rm(xs, t, path, NULL);
}

/*
 * pci-detach -f: device @i's keys go as above and the backend's state is
 * written back, Connected when the guest left a reconfiguration half done,
 * else as it is (the write is what makes pvkit-pciback look: it releases
 * the devices no longer listed).
 */
static int rm_dev_forced_txn(struct pv_xs *xs, pv_xs_txn_t t, void *opaque)
{
	const struct rm_dev *r = opaque;
	uint64_t st;
	int rc = rm_dev_txn(xs, t, opaque);

	if (rc == 0)
		rc = pv_xs_read_uint(xs, t, r->b->be, "state", 8, PV_XENBUS_STATE_UNKNOWN, &st);
	if (rc == 0 && (st == PV_XENBUS_STATE_RECONFIGURING || st == PV_XENBUS_STATE_RECONFIGURED))
		st = PV_XENBUS_STATE_CONNECTED;
	return rc ? rc : pv_xs_printf(xs, t, r->b->be, "state", "%u", (unsigned)st);
}

/* Device @i's nodes (the whole bus for the last one); @forced: rm_dev_forced_txn. */
static int rm_nodes(struct hotplug *h, const struct pcibus *b, unsigned i, const char *bdf,
		    int forced)
{
	struct rm_dev r = {b, i, b->num, bdf};
	int rc;

	/* Unplug as the other classes do: online 0, then the directories go. */
	if (b->num <= 1)
		pv_xs_write(h->xs, PV_XS_NO_TXN, b->be, "online", "0");
	rc = pv_xs_transaction(h->xs, b->num <= 1 ? rm_bus_txn : forced ? rm_dev_forced_txn
								 : rm_dev_txn, &r, 0);
	if (rc < 0)
		fprintf(stderr, "pvkit %s: cannot remove the nodes of %s: %s\n", h->cmd, bdf,
			strerror(-rc));
	return rc;
}

/* ---- pci-attach ------------------------------------------------------------------- */

/* seize=1: make the device (every function of BB:DD.*) assignable first, as libxl. */
static int seize(struct hotplug *h, const struct pcispec *p, struct xlcfg_err *err)
{
	char dir[4096], why[256], bdf[16];
	int rc;

	pvkit_pci_statedir(dir, sizeof(dir));
	if (p->all_functions) {
		snprintf(bdf, sizeof(bdf), "%04x:%02x:%02x.*", p->domain, p->bus, p->dev);
		rc = pv_pci_assignable_add_slot(pvkit_pci_sysfs(), p->domain, p->bus, p->dev, dir,
						why, sizeof(why));
	} else {
		domcfg_pci_bdf(p, bdf);
		rc = pv_pci_assignable_add(pvkit_pci_sysfs(), bdf, dir, why, sizeof(why));
	}
	if (rc < 0)
		snprintf(err->msg, sizeof(err->msg), "pvkit %s: seize %s: %s", h->cmd, bdf, why);
	return rc < 0 ? rc : 0;
}

/*
 * What the host must offer, as create checks it: BB:DD.* gets the host's
 * functions into @p->func_mask; seize=1 makes the device assignable first.
 */
static int check_host(struct hotplug *h, struct pcispec *p)
{
	struct domcfg *dc = calloc(1, sizeof(*dc));
	struct xlcfg_err err;
	int rc;

	if (!dc)
		return -ENOMEM;
	dc->pcis[dc->npcis++] = *p;
	snprintf(dc->pci_where[0], sizeof(dc->pci_where[0]), "pvkit %s", h->cmd);
	rc = domcfg_pci_functions(dc, &err);
	p->func_mask = dc->pcis[0].func_mask;
	if (rc == 0 && p->seize == 1)
		rc = seize(h, p, &err);
	if (rc == 0)
		rc = domcfg_check_host(dc, "/sys/class/net", &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	free(dc);
	return rc;
}

/* The first device: the whole bus, both directories (libxl__create_pci_backend). */
static int plug_first(struct hotplug *h, const struct pcispec *p)
{
	struct xsnodes nodes = {0};
	int rc = domcfg_pci_nodes(p, 1, h->dom.domid, h->dom.name, 0, &nodes);

	if (rc)
		fprintf(stderr, "pvkit %s: out of memory\n", h->cmd);
	else
		rc = ts_write_nodes(h->xs, &nodes, h->cmd);
	xsnodes_free(&nodes);
	return rc;
}

/* One more device on a connected bus: its keys, num_devs + 1, backend Reconfiguring. */
static int plug_more(struct hotplug *h, const struct pcibus *b, const struct pcispec *p)
{
	struct xsnodes nodes = {0};
	char num[16], state[4];
	int rc;

	if (read_state(h, b->be, "state") != PV_XENBUS_STATE_CONNECTED) {
		fprintf(stderr, "pvkit %s: pci backend at %s is not ready (not Connected)\n", h->cmd,
			b->be);
		return -EAGAIN;
	}
	snprintf(num, sizeof(num), "%u", b->num + 1);
	snprintf(state, sizeof(state), "%d", PV_XENBUS_STATE_RECONFIGURING);
	rc = domcfg_pci_dev_nodes(p, b->num, h->dom.domid, 0, &nodes);
	if (!rc)
		rc = xsnodes_add(&nodes, 0, (int)h->dom.domid, b->be, "num_devs", num);
	if (!rc)
		rc = xsnodes_add(&nodes, 0, (int)h->dom.domid, b->be, "state", state);
	if (rc)
		fprintf(stderr, "pvkit %s: out of memory\n", h->cmd);
	else
		rc = ts_write_nodes(h->xs, &nodes, h->cmd);
	xsnodes_free(&nodes);
	return rc;
}

/* One function onto the guest's bus (the first creates it); 0 or -errno (printed). */
static int attach_one(struct hotplug *h, const struct pcispec *p)
{
	struct pcibus b;
	char bdf[16];
	int rc, other;
	unsigned i;

	domcfg_pci_bdf(p, bdf);
	bus_paths(h, &b);
	other = holder(h, bdf);
	if (find_dev(h, &b, bdf) >= 0 || other == (int)h->dom.domid) {
		fprintf(stderr, "pvkit %s: PCI device %s is already attached to guest %s\n", h->cmd,
			bdf, h->dom.name);
		return -EEXIST;
	}
	if (other >= 0) {
		fprintf(stderr, "pvkit %s: PCI device %s is not assignable: domain %d has it\n",
			h->cmd, bdf, other);
		return -EBUSY;
	}
	i = b.num;
	rc = b.num ? plug_more(h, &b, p) : plug_first(h, p);
	if (rc == 0) {
		b.num++;
		rc = wait_dev(h, &b, i, PV_XENBUS_STATE_INITIALISED, 1);
		if (rc == -EIO)
			print_backend_error(h, &b);
		if (rc < 0) {
			fprintf(stderr, "pvkit %s: PCI device %s was not attached\n", h->cmd, bdf);
			rm_nodes(h, &b, i, bdf, 0);
		}
	}
	if (rc == 0)
		printf("PCI device %s attached to guest %s\n", bdf, h->dom.name);
	return rc;
}

/* One device, or each function of BB:DD.* in libxl's order (function 0 last). */
static int pci_attach(struct hotplug *h)
{
	struct pcispec p, fn[8];
	char err[DEVSPEC_ERR_LEN], bdf[16];
	int rc = 0, nf;

	if (pcispec_parse(h->arg, &p, err)) {
		fprintf(stderr, "pvkit %s: %s\n", h->cmd, err);
		return PVKIT_EXIT_FAILURE;
	}
	if (check_host(h, &p) || hotplug_open_guest(h))
		return PVKIT_EXIT_FAILURE;
	nf = pcispec_functions(&p, fn);
	for (int f = 0; rc == 0 && f < nf; f++) {
		rc = attach_one(h, &fn[f]);
		for (int g = 0; rc < 0 && g < f; g++) {
			domcfg_pci_bdf(&fn[g], bdf);
			fprintf(stderr, "pvkit %s: PCI device %s stays attached (pvkit pci-detach %s "
					"%s takes it back)\n", h->cmd, bdf, h->dom.name, bdf);
		}
	}
	hotplug_close_guest(h);
	return rc < 0 ? PVKIT_EXIT_FAILURE : 0;
}

/* ---- pci-detach ------------------------------------------------------------------- */

/*
 * state-<i> Closing and the backend Reconfiguring; the guest drops the
 * device and pvkit-pciback releases it (state-<i> Closed). A guest whose
 * bus never connected has nothing to drop: the backend goes on alone.
 */
static int unplug(struct hotplug *h, const struct pcibus *b, unsigned i)
{
	char key[24];
	struct xsnodes nodes = {0};
	char closing[4], reconf[4];
	int rc, be = read_state(h, b->be, "state");

	if (be != PV_XENBUS_STATE_CONNECTED && be != PV_XENBUS_STATE_INITIALISED) {
		fprintf(stderr, "pvkit %s: pci backend at %s is not ready (%s)\n", h->cmd, b->be,
			pv_xenbus_state_name(be));
		return -EAGAIN;
	}
	snprintf(key, sizeof(key), "state-%u", i);
	snprintf(closing, sizeof(closing), "%d", PV_XENBUS_STATE_CLOSING);
	snprintf(reconf, sizeof(reconf), "%d", PV_XENBUS_STATE_RECONFIGURING);
	rc = xsnodes_add(&nodes, 0, (int)h->dom.domid, b->be, key, closing);
	if (!rc)
		rc = xsnodes_add(&nodes, 0, (int)h->dom.domid, b->be, "state", reconf);
	if (!rc)
		rc = ts_write_nodes(h->xs, &nodes, h->cmd);
	xsnodes_free(&nodes);
	if (rc == 0)
		rc = wait_dev(h, b, i, PV_XENBUS_STATE_CLOSED, be == PV_XENBUS_STATE_CONNECTED);
	return rc;
}

/* Detach device @bdf from the guest's bus; 0 or -errno (printed). */
static int detach_one(struct hotplug *h, const char *bdf)
{
	struct pcibus b;
	int i, rc;

	bus_paths(h, &b);
	i = find_dev(h, &b, bdf);
	if (i < 0) {
		fprintf(stderr, "pvkit %s: PCI device %s not attached to this domain (%s)\n",
			h->cmd, bdf, h->dom.name);
		return -ENODEV;
	}
	rc = unplug(h, &b, (unsigned)i);
	if (rc < 0 && b.num > 1 && !h->force) {
		fprintf(stderr, "pvkit %s: the guest did not let %s go; it is still attached "
				"(pvkit %s -f takes it anyway, as pvkit destroy does)\n", h->cmd, bdf,
			h->cmd);
		return rc;
	}
	if (rc < 0 && b.num > 1)
		fprintf(stderr, "pvkit %s: the guest did not let %s go: removing it anyway "
				"(-f)\n", h->cmd, bdf);
	/*
	 * The last device: removing the bus makes pvkit-pciback release it
	 * whatever the guest does; with -f (rm_dev_forced_txn) any device.
	 */
	rc = rm_nodes(h, &b, (unsigned)i, bdf, rc < 0);
	if (rc == 0)
		printf("PCI device %s detached from guest %s\n", bdf, h->dom.name);
	return rc;
}

/*
 * The functions of DDDD:BB:DD on the guest's bus (what BB:DD.* detaches),
 * from 7 down to 0 as libxl removes them, into @out; how many.
 */
static int bus_functions(struct hotplug *h, const struct pcispec *p, char out[8][16])
{
	struct pcispec one = *p;
	struct pcibus b;
	int n = 0;

	bus_paths(h, &b);
	one.all_functions = 0;
	for (int f = 7; f >= 0; f--) {
		one.func = (unsigned)f;
		domcfg_pci_bdf(&one, out[n]);
		if (find_dev(h, &b, out[n]) >= 0)
			n++;
	}
	return n;
}

/* xl's pci-detach: a BDF (options are ignored); BB:DD.* takes every function the guest has. */
static int pci_detach(struct hotplug *h)
{
	char err[DEVSPEC_ERR_LEN], bdfs[8][16];
	struct pcispec p;
	int rc = 0, n = 1;

	if (pcispec_parse(h->arg, &p, err)) {
		fprintf(stderr, "pvkit %s: %s\n", h->cmd, err);
		return PVKIT_EXIT_FAILURE;
	}
	if (hotplug_open_guest(h))
		return PVKIT_EXIT_FAILURE;
	if (p.all_functions)
		n = bus_functions(h, &p, bdfs);
	else
		domcfg_pci_bdf(&p, bdfs[0]);
	if (n == 0) {
		fprintf(stderr, "pvkit %s: PCI device %04x:%02x:%02x.* not attached to this domain "
				"(%s)\n", h->cmd, p.domain, p.bus, p.dev, h->dom.name);
		rc = -ENODEV;
	}
	for (int f = 0; rc == 0 && f < n; f++)
		rc = detach_one(h, bdfs[f]);
	hotplug_close_guest(h);
	return rc < 0 ? PVKIT_EXIT_FAILURE : 0;
}

int pvkit_cmd_pci_attach(int argc, char **argv)
{
	struct hotplug h = {0};
	int rc = hotplug_parse_args(argc, argv, &h);

	return rc ? rc : pci_attach(&h);
}

int pvkit_cmd_pci_detach(int argc, char **argv)
{
	struct hotplug h = {0};
	int rc = hotplug_parse_args(argc, argv, &h);

	return rc ? rc : pci_detach(&h);
}

/* ---- pci-list --------------------------------------------------------------------- */

/* "SS.F" of device @i: the backend's vdev-<i>, else the asked vdevfn-<i>, else "-". */
static void vdev_of(struct hotplug *h, const struct pcibus *b, unsigned i, char out[8])
{
	unsigned dom, bus, slot, func;
	char key[24];

	snprintf(key, sizeof(key), "vdev-%u", i);
	if (pv_xs_scanf(h->xs, PV_XS_NO_TXN, b->be, key, "%x:%x:%x.%x", &dom, &bus, &slot,
			&func) == 4 && slot < 32 && func < 8) {
		snprintf(out, 8, "%02x.%01x", slot, func);
		return;
	}
	snprintf(key, sizeof(key), "vdevfn-%u", i);
	if (pv_xs_scanf(h->xs, PV_XS_NO_TXN, b->be, key, "%x", &slot) == 1 && slot < 256) {
		snprintf(out, 8, "%02x.%01x", slot >> 3, slot & 7);
		return;
	}
	snprintf(out, 8, "-");
}

int pvkit_cmd_pci_list(int argc, char **argv)
{
	struct hotplug h = {.cmd = argv[0]};
	struct pcibus b;
	const char *what = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rundir") && i + 1 < argc)
			pvkit_rundir = argv[++i];
		else if (!what && argv[i][0] != '-')
			what = argv[i];
		else
			return pvkit_usage_error(h.cmd, "unexpected argument '%s'", argv[i]);
	}
	if (!what)
		return pvkit_usage_error(h.cmd, "expected NAME|ID");
	h.what = what;
	if (hotplug_open_guest(&h))
		return PVKIT_EXIT_FAILURE;
	bus_paths(&h, &b);
	printf("Vdev Device\n");
	for (unsigned i = 0; i < b.num; i++) {
		char key[24], *dev = NULL, vdev[8];

		snprintf(key, sizeof(key), "dev-%u", i);
		if (pv_xs_read(h.xs, PV_XS_NO_TXN, b.be, key, &dev) < 0)
			continue;
		vdev_of(&h, &b, i, vdev);
		printf("%-4s %s\n", vdev, dev);
		free(dev);
	}
	hotplug_close_guest(&h);
	return 0;
}

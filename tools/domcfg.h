/* SPDX-License-Identifier: MIT */
/*
 * A guest's typed configuration (what `pvkit create` builds from an xl-style
 * config) and the xenstore nodes that create writes for it, where libxl does.
 */
#ifndef PVKIT_TOOLS_DOMCFG_H
#define PVKIT_TOOLS_DOMCFG_H

#include <stddef.h>

#include "devspec.h"
#include "xlcfg.h"

#define DOMCFG_NAME_MAX      64
#define DOMCFG_INIT_MAX      1024
#define DOMCFG_DEFAULT_INIT  "/bin/sh"
#define DOMCFG_DEFAULT_MEMORY 128 /* MiB */
#define DOMCFG_MAX_MEMORY    (1 << 20)
#define DOMCFG_MAX_VCPUS     128
#define DOMCFG_MAX_DEVICES   64 /* per class */
#define DOMCFG_WHERE_MAX     96

enum domcfg_action {
	DOMCFG_DESTROY,
	DOMCFG_RESTART,
	DOMCFG_PRESERVE,
	DOMCFG_COREDUMP_DESTROY,
	DOMCFG_COREDUMP_RESTART,
	DOMCFG_RENAME_RESTART,
};

struct domcfg {
	char name[DOMCFG_NAME_MAX];
	unsigned memory_mib;
	unsigned vcpus;
	enum domcfg_action on_poweroff, on_reboot, on_crash;
	char init[DOMCFG_INIT_MAX]; /* pvkit's extension: the guest's first command */
	struct diskspec disks[DOMCFG_MAX_DEVICES];
	size_t ndisks;
	struct vifspec vifs[DOMCFG_MAX_DEVICES]; /* devids and MACs filled in */
	size_t nvifs;
	struct pcispec pcis[DOMCFG_MAX_DEVICES];
	size_t npcis;
	char *usbdevs[DOMCFG_MAX_DEVICES]; /* usbdev= specs, kept as written */
	size_t nusbdevs;
	/* Where each disk and vif spec was written ("g1.cfg:5:10"), for later errors. */
	char disk_where[DOMCFG_MAX_DEVICES][DOMCFG_WHERE_MAX];
	char vif_where[DOMCFG_MAX_DEVICES][DOMCFG_WHERE_MAX];
	char pci_where[DOMCFG_MAX_DEVICES][DOMCFG_WHERE_MAX];
};

/*
 * Build @out (caller-allocated; it is large, allocate it) from @cfg.
 * Unknown settings are errors; settings xl knows that mean nothing for a
 * pvkit guest (kernel, vnc, ...) log one warning each and are ignored.
 * Returns 0, or -EINVAL with @err "FILE:LINE:COL: ..." filled, or -ENOMEM.
 * Free with domcfg_free.
 */
int domcfg_from_xlcfg(const struct xlcfg *cfg, struct domcfg *out, struct xlcfg_err *err);
void domcfg_free(struct domcfg *dc);

/*
 * What `pvkit create CONFIG KEY=VALUE...` does first: parse the file at
 * @path, then each of the @noverrides "key=value" arguments (numbered from
 * @first_argno in messages), then build @out. Returns as domcfg_from_xlcfg,
 * or -errno when the file cannot be read (@err says so).
 */
int domcfg_load(const char *path, char *const *overrides, int noverrides, int first_argno,
		struct domcfg *out, struct xlcfg_err *err);

/*
 * What create checks on the host before it starts anything: every disk
 * target exists, is a regular file or a block device and can be opened with
 * the disk's access; every vif's bridge exists (a directory
 * @sysfs_net/BRIDGE/bridge; pass "/sys/class/net"); every pci device
 * function exists and is bound to vfio-pci (sysfs: $PVKIT_SYSFS or /sys),
 * BB:DD.* has a guest slot, and no two name the same device or guest slot. Returns 0 or a -errno
 * with @err "g1.cfg:4:10: disk 0: target /srv/g1.img: No such file or directory".
 */
int domcfg_check_host(const struct domcfg *dc, const char *sysfs_net, struct xlcfg_err *err);

/*
 * Look up the functions of each BB:DD.* pci item on the host (sysfs:
 * $PVKIT_SYSFS or /sys) into its func_mask, as libxl does before it adds
 * them; create and pci-attach call it before domcfg_check_host (which
 * refuses an item with none). Returns 0 or -errno with @err filled.
 */
int domcfg_pci_functions(struct domcfg *dc, struct xlcfg_err *err);

/* "destroy", "coredump-restart", ... */
const char *domcfg_action_name(enum domcfg_action a);

/* The MAC pvkit gives a vif without mac=: 00:16:3e plus a hash of name and devid. */
void domcfg_default_mac(const char *name, int devid, uint8_t mac[6]);

/* --- xenstore nodes ------------------------------------------------------------ */

/*
 * One node to write. Permissions follow libxl: @owner has full control and
 * @reader (or no one, when -1) may read.
 */
struct xsnode {
	char *path;
	char *value;
	int owner;
	int reader;
};

struct xsnodes {
	struct xsnode *v;
	size_t n;
};

void xsnodes_free(struct xsnodes *nodes);
/* Append @dir/@key (@key NULL: @dir) = @value, owned by @owner, readable by @reader (-1: none). */
int xsnodes_add(struct xsnodes *out, int owner, int reader, const char *dir, const char *key,
		const char *value);
/* The value of @path in @nodes, or NULL. */
const char *xsnodes_get(const struct xsnodes *nodes, const char *path);

/*
 * The nodes `pvkit create` writes for @dc as domain @domid with every
 * backend in domain 0: ~/name, ~/domid, ~/memory, ~/cpu, then per disk
 * ~/device/vbd/<vdev number>/ and /local/domain/0/backend/vbd/<domid>/<n>/,
 * per vif ~/device/vif/<devid>/ and .../backend/vif/<domid>/<devid>/, plus
 * libxl's /libxl/<domid>/device/<kind>/<devid>/ copies, all with state 1
 * (Initialising). Appends to @out; returns 0 or -ENOMEM.
 */
int domcfg_xenstore_nodes(const struct domcfg *dc, unsigned domid, struct xsnodes *out);

/* The nodes for one disk or vif (hotplug uses these). Returns 0 or -ENOMEM. */
int domcfg_disk_nodes(const struct diskspec *d, unsigned domid, unsigned backend_domid,
		      struct xsnodes *out);
int domcfg_vif_nodes(const struct vifspec *v, unsigned domid, unsigned backend_domid,
		     struct xsnodes *out);
/*
 * The guest's PCI bus with devices @p[0..@n), as libxl_pci.c writes it:
 * backend/pci/<domid>/0 (frontend, frontend-id, online, state 1, domain,
 * num_devs, then per device (BB:DD.*: per function, as pcispec_functions)
 * key-<i>, dev-<i>, vdevfn-<i> when a slot is asked, opts-<i>,
 * state-<i> 1; the backend domain owns it, the guest
 * reads it), device/pci/0 (backend, backend-id, state 1; the other way
 * round) and /libxl/pci/DDDD-BB-DD-F/domid. Returns 0 or -ENOMEM.
 */
int domcfg_pci_nodes(const struct pcispec *p, size_t n, unsigned domid, const char *name,
		     unsigned backend_domid, struct xsnodes *out);
/* Only device @i's keys and its /libxl/pci record (hot-add to an existing bus). */
int domcfg_pci_dev_nodes(const struct pcispec *p, unsigned i, unsigned domid,
			 unsigned backend_domid, struct xsnodes *out);
/* "DDDD:BB:DD.F" of @p. */
void domcfg_pci_bdf(const struct pcispec *p, char out[16]);

#endif

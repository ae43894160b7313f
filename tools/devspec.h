/* SPDX-License-Identifier: MIT */
/*
 * Device specs in a guest config: disk (xl-disk-configuration), vif
 * (xl-network-configuration) and pci (xl.cfg pci=) strings, parsed and checked.
 */
#ifndef PVKIT_TOOLS_DEVSPEC_H
#define PVKIT_TOOLS_DEVSPEC_H

#include <stddef.h>
#include <stdint.h>

/* Errors are one plain line (no position): the caller adds where. */
#define DEVSPEC_ERR_LEN 256

/* Format an error into @err (DEVSPEC_ERR_LEN bytes). Returns -EINVAL. */
int devspec_fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- disk ------------------------------------------------------------------ */

#define DISKSPEC_TARGET_MAX 1024
#define DISKSPEC_VDEV_MAX   32

struct diskspec {
	char target[DISKSPEC_TARGET_MAX]; /* image file or block device, absolute */
	char vdev[DISKSPEC_VDEV_MAX];     /* as written: "xvda", "hdc", "d1p2", "51712" */
	uint32_t virtual_device;          /* Xen VBD number (docs/misc/vbd-interface.txt) */
	int readwrite;                    /* access: 1 = rw|w, 0 = ro|r */
	int cdrom;                        /* devtype=cdrom (read-only by default) */
	int discard;                      /* discard (default) / no-discard */
	int direct_io_safe;               /* the direct-io-safe flag */
	int trusted;                      /* trusted (default) / untrusted */
};

/*
 * Parse one xl diskspec: positional `target, format, vdev, access`, the
 * key=value form (target= last, eating the rest), the flags, and xl's
 * deprecated prefixes. pvkit accepts format=raw, backendtype=phy,
 * specification=xen and backend domain 0 only; every other xl parameter is
 * rejected by name ("format=qcow2: not supported by pvkit (only raw)").
 * Returns 0, or -EINVAL with @err filled.
 */
int diskspec_parse(const char *spec, struct diskspec *out, char err[DEVSPEC_ERR_LEN]);

/*
 * The Xen VBD number for @vdev: xvd<letters>[N], hd/sd<letter>[N], d<N>[p<M>]
 * or a plain number (decimal, 0x hex or 0 octal), encoded as
 * docs/misc/vbd-interface.txt says. Returns 0 or -EINVAL.
 */
int diskspec_vdev_number(const char *vdev, uint32_t *number);

/* --- vif -------------------------------------------------------------------- */

#define VIFSPEC_IFNAME_MAX 16 /* IFNAMSIZ, with the NUL */
#define VIFSPEC_IP_MAX     256
#define VIFSPEC_DEFAULT_BRIDGE "xenbr0"
#define VIFSPEC_DEFAULT_MTU    1500
/* xl's default replenishment interval for rate= without "@interval". */
#define VIFSPEC_DEFAULT_RATE_INTERVAL_US 50000u

struct vifspec {
	int devid;        /* -1: the next free one (assigned by the domain config) */
	int mac_set;      /* 0: derive one in 00:16:3e (see domcfg) */
	uint8_t mac[6];
	char bridge[VIFSPEC_IFNAME_MAX];
	char vifname[VIFSPEC_IFNAME_MAX]; /* "" = the backend's vif<domid>.<devid> */
	char ip[VIFSPEC_IP_MAX];          /* "" or space-separated addresses */
	unsigned mtu;
	uint64_t rate_bytes_per_interval; /* 0 with interval 0: no limit */
	uint32_t rate_interval_usecs;
};

/*
 * Parse one xl vifspec (comma-separated key=value). Supported: mac, bridge,
 * ip, type=vif, vifname, backend (domain 0 only), rate, mtu, devid; xl's
 * script, model, gatewaydev, netdev, accel, forwarddev, vlan and colo_* are
 * rejected by name, anything else as unknown. Returns 0 or -EINVAL.
 */
int vifspec_parse(const char *spec, struct vifspec *out, char err[DEVSPEC_ERR_LEN]);

/*
 * xl's rate= syntax: RATE[@INTERVAL], RATE = N[K|M|G](B|b)/s (decimal
 * multipliers, b = bits), INTERVAL = N[s|ms|us] (default 50ms). Gives the
 * bytes per interval as xl computes it (bytes/s * interval_us / 10^6).
 */
int vifspec_parse_rate(const char *rate, uint64_t *bytes_per_interval, uint32_t *interval_usecs,
		       char err[DEVSPEC_ERR_LEN]);

/* Parse "xx:xx:xx:xx:xx:xx" (hex pairs). Returns 0 or -EINVAL. */
int vifspec_parse_mac(const char *text, uint8_t mac[6]);

/* --- pci -------------------------------------------------------------------- */

enum pcispec_rdm {
	PCISPEC_RDM_DEFAULT,
	PCISPEC_RDM_STRICT,
	PCISPEC_RDM_RELAXED,
};

struct pcispec {
	unsigned domain, bus, dev, func; /* host BDF, hex in the spec */
	int all_functions;               /* BB:DD.* */
	unsigned func_mask;              /* BB:DD.*: the host's functions (bit F), 0 until looked up */
	int vslot;                       /* -1: any, else the guest slot */
	int vfunc;                       /* -1: function 0 on the guest (xl's rule for one
					    function), else this function (one of BB:DD.*) */
	int permissive, msitranslate, power_mgmt, seize; /* -1: default, else 0/1 */
	enum pcispec_rdm rdm_policy;
};

/*
 * Parse [[DDDD:]BB:]DD.F[@VSLOT][,permissive=0|1][,msitranslate=0|1]
 * [,power_mgmt=0|1][,seize=0|1][,rdm_policy=strict|relaxed]. Returns 0 or -EINVAL.
 */
int pcispec_parse(const char *spec, struct pcispec *out, char err[DEVSPEC_ERR_LEN]);

/*
 * The devices libxl adds for @p, in its order, into @out: @p itself for
 * one function; for BB:DD.* one per function in @p->func_mask from 7 down
 * to 0 (function 0 last: a guest sees a device once its function 0 is
 * there), each at the guest slot @p->vslot with its own function number.
 * Returns how many (0 for BB:DD.* before func_mask is known).
 */
int pcispec_functions(const struct pcispec *p, struct pcispec out[8]);

/*
 * The guest devfn a device asks for (libxl's vdevfn-<n>): VSLOT << 3 with
 * function 0 for one function, its own function for one of BB:DD.*; -1
 * without a slot (the backend picks one).
 */
int pcispec_vdevfn(const struct pcispec *p);

#endif

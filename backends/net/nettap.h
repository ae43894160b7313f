/* SPDX-License-Identifier: MIT */
/*
 * TAP devices for both halves of a vif (netback's vif<dom>.<id> in the
 * backend domain, netfront's eth0 in the guest's network namespace):
 * create or attach with a virtio-net header, offloads, link settings,
 * bridge membership. Shared by backends/net and frontends/net.
 */
#ifndef PVKIT_NETTAP_H
#define PVKIT_NETTAP_H

#include <stdint.h>

/* net/if.h first: linux/if.h then skips what glibc already defined. */
#include <net/if.h>
#include <linux/if_tun.h>

/*
 * Open (creating it if absent) the multi-queue TAP @name with
 * IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE: each call attaches
 * one more queue. Non-blocking, close-on-exec. Returns the fd or -errno.
 */
int nettap_open(const char *name);
/* Keep the device after its last fd closes (@on), or let it go. Returns 0 or -errno. */
int nettap_persist(int fd, int on);
/* TUNSETOFFLOAD: what we accept from the kernel (TUN_F_*). */
int nettap_offload(int fd, unsigned int flags);
/* Link settings by name, in the caller's network namespace. Return 0 or -errno. */
int nettap_set_mtu(const char *name, unsigned int mtu);
int nettap_set_mac(const char *name, const uint8_t mac[6]);
int nettap_set_up(const char *name, int up);
/* Enslave @name to the Linux bridge @bridge (SIOCBRADDIF). */
int nettap_bridge_add(const char *bridge, const char *name);
/* Delete a TAP that may be persistent (attach, clear persist, close). */
int nettap_destroy(const char *name);
/* "xx:xx:xx:xx:xx:xx" to bytes. Returns 0 or -EINVAL. */
int nettap_parse_mac(const char *s, uint8_t mac[6]);
/* 1 when @name is usable as an interface name (1..IFNAMSIZ-1 bytes, no '/', ':', space). */
int nettap_name_ok(const char *name);

#endif

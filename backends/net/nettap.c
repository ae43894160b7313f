/* SPDX-License-Identifier: MIT */
/*
 * TAP devices for both halves of a vif: create or attach a queue with a
 * virtio-net header, offloads, MTU, MAC, up/down, bridge membership.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <net/if_arp.h>
#include <linux/sockios.h>

#include "nettap.h"

int nettap_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	return strcspn(name, "/: \t\n") == n;
}

int nettap_open(const char *name)
{
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE};
	int fd, rc;

	if (!nettap_name_ok(name))
		return -EINVAL;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int nettap_persist(int fd, int on)
{
	return ioctl(fd, TUNSETPERSIST, on) < 0 ? -errno : 0;
}

int nettap_offload(int fd, unsigned int flags)
{
	return ioctl(fd, TUNSETOFFLOAD, flags) < 0 ? -errno : 0;
}

/* One SIOC* ioctl on @name through a throwaway socket. */
static int ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, req, ifr) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int prep(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	if (!nettap_name_ok(name))
		return -EINVAL;
	strcpy(ifr->ifr_name, name);
	return 0;
}

int nettap_set_mtu(const char *name, unsigned int mtu)
{
	struct ifreq ifr;
	int rc = prep(&ifr, name);

	if (rc < 0)
		return rc;
	ifr.ifr_mtu = (int)mtu;
	return ifreq_ioctl(SIOCSIFMTU, &ifr);
}

int nettap_set_mac(const char *name, const uint8_t mac[6])
{
	struct ifreq ifr;
	int rc = prep(&ifr, name);

	if (rc < 0)
		return rc;
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	return ifreq_ioctl(SIOCSIFHWADDR, &ifr);
}

int nettap_set_up(const char *name, int up)
{
	struct ifreq ifr;
	int rc = prep(&ifr, name);

	if (rc == 0)
		rc = ifreq_ioctl(SIOCGIFFLAGS, &ifr);
	if (rc < 0)
		return rc;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	return ifreq_ioctl(SIOCSIFFLAGS, &ifr);
}

int nettap_bridge_add(const char *bridge, const char *name)
{
	struct ifreq ifr;
	int rc = prep(&ifr, bridge), idx;

	if (rc < 0)
		return rc;
	idx = (int)if_nametoindex(name);
	if (!idx)
		return -errno;
	ifr.ifr_ifindex = idx;
	return ifreq_ioctl(SIOCBRADDIF, &ifr);
}

int nettap_destroy(const char *name)
{
	int fd = nettap_open(name), rc;

	if (fd < 0)
		return fd;
	rc = nettap_persist(fd, 0);
	close(fd);
	return rc;
}

int nettap_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6 || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

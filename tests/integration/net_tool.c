/* SPDX-License-Identifier: MIT */
/*
 * Test driver for pvkit-netback and netfront (tests/integration/net.sh):
 * plays the toolstack for vif devices, moves checksummed TCP streams and
 * pings (this host has no ping(8)).
 *
 *   net-tool adddev RUNDIR DOMID DEVID [KEY=VALUE]...  both halves' nodes
 *                 (backend keys such as mac, bridge, mtu, rate; mtu and
 *                 mac also go to the frontend, as libxl writes them)
 *   net-tool recv PORT                   accept one TCP stream; prints "BYTES HASH"
 *   net-tool send ADDR PORT BYTES [SEED] send a pseudo-random stream (ADDR IPv4 or IPv6);
 *                                        prints "BYTES HASH"
 *   net-tool ping ADDR COUNT [SIZE]      ICMP echo; exits 0 when every reply came back
 *   net-tool rr, rrserve                 TCP request/response latency (net_rr.c)
 *   net-tool udp ADDR PORT COUNT SIZE    send COUNT UDP datagrams of SIZE bytes
 *   net-tool hostile                     a hostile frontend (net_hostile.c)
 *   net-tool silent                      a frontend that never posts rx buffers (net_hostile.c)
 *   net-tool hostileback                 a hostile backend for netfront (net_hostileback.c)
 *   net-tool xsa                         a hostile frontend per THREATS.md class (net_xsa.c)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pvkit/xenbus.h"

#define CHUNK 65536

/*
 * A stream hash both ends compute over what they sent or received: FNV-1a
 * over 64-bit words (every step is a bijection of the state, so any one
 * changed word changes the result), the tail byte by byte.
 */
struct hash {
	uint64_t h;
	uint8_t tail[8];
	size_t nt;
};

static void hash_word(struct hash *s, const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	s->h = (s->h ^ w) * 0x100000001b3ull;
	s->h ^= s->h >> 29;
}

static void hash_add(struct hash *s, const uint8_t *p, size_t n)
{
	while (n && s->nt) {
		s->tail[s->nt++] = *p++, n--;
		if (s->nt == 8) {
			hash_word(s, s->tail);
			s->nt = 0;
		}
	}
	for (; n >= 8; p += 8, n -= 8)
		hash_word(s, p);
	memcpy(s->tail, p, n);
	s->nt = n;
}

static uint64_t hash_end(struct hash *s)
{
	for (size_t i = 0; i < s->nt; i++)
		s->h = (s->h ^ s->tail[i]) * 0x100000001b3ull;
	return s->h;
}

static void fill(uint8_t *p, size_t n, uint64_t *state)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t x = *state;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		*state = x;
		memcpy(p + i, &x, n - i < 8 ? n - i : 8);
	}
}

static int do_recv(int port)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
				  .sin6_addr = IN6ADDR_ANY_INIT};
	static uint8_t buf[CHUNK];
	struct hash h = {.h = 0xcbf29ce484222325ull};
	uint64_t total = 0;
	int one = 1, zero = 0, lfd, fd;
	ssize_t n;

	/* One socket for both families: IPv4 peers arrive as ::ffff:a.b.c.d. */
	lfd = socket(AF_INET6, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0) {
		perror("net-tool recv: bind");
		return 1;
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return 1;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		hash_add(&h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	printf("%llu %016llx\n", (unsigned long long)total, (unsigned long long)hash_end(&h));
	return n < 0;
}

/* @addr (IPv4 or IPv6) and @port into @ss; returns its length, 0 when not an address. */
static socklen_t sockaddr_of(const char *addr, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		return sizeof(*in4);
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return sizeof(*in6);
	}
	return 0;
}

static int do_send(const char *addr, int port, uint64_t bytes, uint64_t seed)
{
	struct sockaddr_storage sa;
	socklen_t salen = sockaddr_of(addr, port, &sa);
	static uint8_t buf[CHUNK];
	struct hash h = {.h = 0xcbf29ce484222325ull};
	uint64_t sent = 0;
	int fd, tries = 0;

	if (!salen) {
		fprintf(stderr, "net-tool send: %s is not an address\n", addr);
		return 1;
	}
	fd = socket(sa.ss_family, SOCK_STREAM, 0);
	while (connect(fd, (struct sockaddr *)&sa, salen) < 0) {
		if (++tries > 50) {
			perror("net-tool send: connect");
			return 1;
		}
		close(fd);
		fd = socket(sa.ss_family, SOCK_STREAM, 0);
		usleep(100000);
	}
	while (sent < bytes) {
		size_t n = bytes - sent < CHUNK ? (size_t)(bytes - sent) : CHUNK;

		fill(buf, n, &seed);
		hash_add(&h, buf, n);
		for (size_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, n - off);

			if (w <= 0) {
				perror("net-tool send: write");
				return 1;
			}
			off += (size_t)w;
		}
		sent += n;
	}
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	printf("%llu %016llx\n", (unsigned long long)sent, (unsigned long long)hash_end(&h));
	return 0;
}

static uint16_t icmp_sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* One echo request and its reply within a second. */
static int ping_once(int fd, const struct sockaddr_in *to, uint16_t seq, size_t size)
{
	uint8_t pkt[65536], in[65536];
	struct icmphdr *ic = (struct icmphdr *)pkt;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	memset(pkt, 0, sizeof(struct icmphdr) + size);
	for (size_t i = 0; i < size; i++)
		pkt[sizeof(*ic) + i] = (uint8_t)(i + seq);
	ic->type = ICMP_ECHO;
	ic->un.echo.id = htons((uint16_t)getpid());
	ic->un.echo.sequence = htons(seq);
	ic->checksum = icmp_sum(pkt, sizeof(*ic) + size);
	if (sendto(fd, pkt, sizeof(*ic) + size, 0, (const struct sockaddr *)to, sizeof(*to)) < 0)
		return -1;
	while (poll(&pfd, 1, 1000) == 1) {
		ssize_t n = recv(fd, in, sizeof(in), 0);
		size_t ihl = n > 0 ? (size_t)(in[0] & 0xf) * 4 : 0;
		struct icmphdr *r = (struct icmphdr *)(in + ihl);

		if (n < (ssize_t)(ihl + sizeof(*r)) || r->type != ICMP_ECHOREPLY ||
		    r->un.echo.sequence != htons(seq) || r->un.echo.id != htons((uint16_t)getpid()))
			continue;
		return (size_t)n - ihl - sizeof(*r) == size &&
			       !memcmp(in + ihl + sizeof(*r), pkt + sizeof(*ic), size) ? 0 : -1;
	}
	return -1;
}

static int do_ping(const char *addr, int count, size_t size)
{
	struct sockaddr_in to = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), ok = 0;

	if (fd < 0 || inet_pton(AF_INET, addr, &to.sin_addr) != 1 || size > 65000) {
		perror("net-tool ping");
		return 2;
	}
	for (int i = 0; i < count; i++)
		ok += ping_once(fd, &to, (uint16_t)i, size) == 0;
	printf("%d/%d replies from %s (%zu bytes)\n", ok, count, addr, size);
	return ok == count ? 0 : 1;
}

struct devnodes {
	unsigned int domid, devid;
	int nkv;
	char **kv;
};

static int write_kv(struct pv_xs *xs, pv_xs_txn_t t, const char *fe, const char *be, char *kv)
{
	char *eq = strchr(kv, '=');
	int rc;

	if (!eq)
		return -EINVAL;
	*eq = 0;
	rc = pv_xs_write(xs, t, be, kv, eq + 1);
	if (rc == 0 && (!strcmp(kv, "mtu") || !strcmp(kv, "mac")))
		rc = pv_xs_write(xs, t, fe, kv, eq + 1);
	*eq = '=';
	return rc;
}

static int write_dev(struct pv_xs *xs, pv_xs_txn_t t, void *opaque)
{
	struct devnodes *n = opaque;
	char fe[128], be[128];
	int rc;

	snprintf(fe, sizeof(fe), "/local/domain/%u/device/vif/%u", n->domid, n->devid);
	snprintf(be, sizeof(be), "/local/domain/0/backend/vif/%u/%u", n->domid, n->devid);
	/* Directories and their permissions first, so every node inherits them (as libxl). */
	rc = pv_xs_mkdir(xs, t, fe, NULL);
	rc = rc ?: pv_xs_set_perms(xs, t, fe, (pv_domid_t)n->domid, 'n', 1, (pv_domid_t[]){0}, "r");
	rc = rc ?: pv_xs_mkdir(xs, t, be, NULL);
	rc = rc ?: pv_xs_set_perms(xs, t, be, 0, 'n', 1, (pv_domid_t[]){(pv_domid_t)n->domid}, "r");
	rc = rc ?: pv_xs_write(xs, t, fe, "backend", be);
	rc = rc ?: pv_xs_write(xs, t, fe, "backend-id", "0");
	rc = rc ?: pv_xs_printf(xs, t, fe, "handle", "%u", n->devid);
	rc = rc ?: pv_xs_write(xs, t, fe, "state", "1");
	rc = rc ?: pv_xs_write(xs, t, be, "frontend", fe);
	rc = rc ?: pv_xs_printf(xs, t, be, "frontend-id", "%u", n->domid);
	rc = rc ?: pv_xs_printf(xs, t, be, "handle", "%u", n->devid);
	rc = rc ?: pv_xs_write(xs, t, be, "online", "1");
	rc = rc ?: pv_xs_write(xs, t, be, "state", "1");
	for (int i = 0; rc == 0 && i < n->nkv; i++)
		rc = write_kv(xs, t, fe, be, n->kv[i]);
	return rc;
}

static int adddev(const char *rundir, unsigned int domid, unsigned int devid, int nkv, char **kv)
{
	struct devnodes n = {domid, devid, nkv, kv};
	char path[4096];
	struct pv_xs *xs;
	int rc;

	rc = pv_xs_local_path(path, sizeof(path), rundir, 0);
	rc = rc ?: pv_xs_open(&xs, path);
	if (rc < 0) {
		fprintf(stderr, "net-tool: cannot reach xenstored under %s\n", rundir);
		return 1;
	}
	rc = pv_xs_transaction(xs, write_dev, &n, 0);
	pv_xs_close(xs);
	if (rc < 0)
		fprintf(stderr, "net-tool: cannot write the vif nodes: %s\n", strerror(-rc));
	return rc < 0;
}

/* Blast @count UDP datagrams of @size bytes at @addr:@port (nothing listens: a flood). */
static int do_udp(const char *addr, int port, long count, size_t size)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	static uint8_t buf[65507];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	long sent = 0;

	if (fd < 0 || size > sizeof(buf) || inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "net-tool udp: bad address or size\n");
		return 1;
	}
	memset(buf, 0x5a, size);
	for (long i = 0; i < count; i++)
		sent += sendto(fd, buf, size, 0, (const struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)size;
	printf("%ld\n", sent);
	close(fd);
	return sent ? 0 : 1;
}

int net_tool_hostile(int argc, char **argv);
int net_tool_silent(int argc, char **argv);
int net_tool_rr(int argc, char **argv);
int net_tool_hostileback(int argc, char **argv);
int net_tool_xsa(int argc, char **argv);

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "adddev"))
		return adddev(argv[2], (unsigned int)atoi(argv[3]), (unsigned int)atoi(argv[4]),
			      argc - 5, argv + 5);
	if (argc == 3 && !strcmp(argv[1], "recv"))
		return do_recv(atoi(argv[2]));
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "send"))
		return do_send(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 0),
			       argc == 6 ? strtoull(argv[5], NULL, 0) : 1);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "ping"))
		return do_ping(argv[2], atoi(argv[3]), argc == 5 ? (size_t)atoi(argv[4]) : 56);
	if (argc >= 2 && (!strcmp(argv[1], "rr") || !strcmp(argv[1], "rrserve")))
		return net_tool_rr(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "hostileback"))
		return net_tool_hostileback(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "xsa"))
		return net_tool_xsa(argc, argv);
	if (argc == 6 && !strcmp(argv[1], "udp"))
		return do_udp(argv[2], atoi(argv[3]), atol(argv[4]), (size_t)atol(argv[5]));
	if (argc >= 2 && !strcmp(argv[1], "hostile"))
		return net_tool_hostile(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "silent"))
		return net_tool_silent(argc, argv);
	fprintf(stderr, "usage: see the comment at the top of tests/integration/net_tool.c\n");
	return 2;
}

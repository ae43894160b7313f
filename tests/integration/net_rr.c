/* SPDX-License-Identifier: MIT */
/*
 * net-tool rr / rrserve: a TCP request/response latency probe (netperf's
 * TCP_RR with 1-byte messages) for bench/net-bench.sh.
 *
 *   net-tool rrserve PORT          echo one byte for each byte received, one client
 *   net-tool rr ADDR PORT SECONDS  round trips for SECONDS; prints the mean in us
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int net_tool_rr(int argc, char **argv);

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int serve(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0), fd;
	char c;

	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0)
		return 1;
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (read(fd, &c, 1) == 1)
		if (write(fd, &c, 1) != 1)
			break;
	return 0;
}

static int client(const char *addr, int port, double secs)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0), tries = 0;
	unsigned long n = 0;
	double t0, t;
	char c = 'x';

	inet_pton(AF_INET, addr, &sa.sin_addr);
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (++tries > 50)
			return 1;
		close(fd);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		usleep(100000);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	t0 = now();
	do {
		if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1)
			return 1;
		n++;
		t = now();
	} while (t - t0 < secs);
	printf("%.1f\n", (t - t0) * 1e6 / (double)n);
	return 0;
}

int net_tool_rr(int argc, char **argv)
{
	if (argc == 3)
		return serve(atoi(argv[2]));
	if (argc == 5)
		return client(argv[2], atoi(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: net-tool rrserve PORT | net-tool rr ADDR PORT SECONDS\n");
	return 2;
}

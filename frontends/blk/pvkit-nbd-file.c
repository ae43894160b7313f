/* SPDX-License-Identifier: MIT */
/*
 * pvkit-nbd-file: serve a file through pvkit's NBD export, to test the
 * server with real NBD clients and to measure its own overhead.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvkit/log.h"
#include "pvkit/nbd.h"
#include "nbd-file.h"

static struct pv_nbd_server *server;

static void on_signal(int sig)
{
	(void)sig;
	if (server)
		pv_nbd_server_stop(server);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: pvkit-nbd-file --socket PATH --file FILE [--read-only]\n"
		     "       [--sector-size 512|4096] [--threads N] [--name EXPORT]\n"
		     "       [--description TEXT] [--max-clients N]\n");
}

static long number(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 0);

	if (*s == '\0' || *end != '\0' || v <= 0) {
		pv_err("invalid %s: %s", what, s);
		exit(2);
	}
	return v;
}

static void parse(int argc, char **argv, struct pv_nbd_server_config *cfg, const char **file,
		  bool *ro, uint32_t *sector, unsigned int *threads)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'}, {"file", required_argument, NULL, 'f'},
		{"read-only", no_argument, NULL, 'r'}, {"sector-size", required_argument, NULL, 'b'},
		{"threads", required_argument, NULL, 't'}, {"name", required_argument, NULL, 'n'},
		{"description", required_argument, NULL, 'd'},
		{"max-clients", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int o;

	while ((o = getopt_long(argc, argv, "s:f:rb:t:n:d:m:h", opts, NULL)) != -1) {
		switch (o) {
		case 's': cfg->socket_path = optarg; break;
		case 'f': *file = optarg; break;
		case 'r': *ro = true; break;
		case 'b': *sector = number(optarg, "sector size"); break;
		case 't': *threads = number(optarg, "thread count"); break;
		case 'n': cfg->export_name = optarg; break;
		case 'd': cfg->description = optarg; break;
		case 'm': cfg->max_clients = number(optarg, "client count"); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (!cfg->socket_path || !*file || optind != argc) {
		usage(stderr);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct pv_nbd_server_config cfg = {.log_prefix = "nbd-file"};
	struct sigaction sa = {.sa_handler = on_signal};
	struct pv_nbd_dev_info info;
	struct nbd_file *f;
	const char *file = NULL;
	unsigned int threads = 4;
	uint32_t sector = 512;
	bool ro = false;
	int rc;

	parse(argc, argv, &cfg, &file, &ro, &sector, &threads);
	rc = nbd_file_open(file, ro, threads, sector, &f, &info);
	if (rc < 0)
		return 1;
	rc = pv_nbd_server_new(&cfg, &info, &nbd_file_ops, f, &server);
	if (rc < 0) {
		pv_err_errno(rc, "cannot serve %s on %s", file, cfg.socket_path);
		goto out_file;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pv_info("serving %s (%llu bytes%s) on %s", file, (unsigned long long)info.size,
		ro ? ", read-only" : "", cfg.socket_path);
	rc = pv_nbd_server_run(server);
	pv_nbd_server_free(server);
out_file:
	nbd_file_close(f);
	return rc < 0 ? 1 : 0;
}

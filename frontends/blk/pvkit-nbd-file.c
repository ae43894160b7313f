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
		     "       [--sector-size 512|4096] [--io uring|threads] [--threads N]\n"
		     "       [--name EXPORT]\n"
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

struct file_opts {
	const char *file;
	bool ro;
	uint32_t sector;
	enum nbd_file_io io;
	unsigned int threads;
};

static enum nbd_file_io io_mode(const char *s)
{
	if (strcmp(s, "uring") == 0)
		return NBD_FILE_URING;
	if (strcmp(s, "threads") == 0)
		return NBD_FILE_THREADS;
	pv_err("invalid --io: %s (uring or threads)", s);
	exit(2);
}

static void parse(int argc, char **argv, struct pv_nbd_server_config *cfg, struct file_opts *fo)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'}, {"file", required_argument, NULL, 'f'},
		{"read-only", no_argument, NULL, 'r'}, {"sector-size", required_argument, NULL, 'b'},
		{"threads", required_argument, NULL, 't'}, {"name", required_argument, NULL, 'n'},
		{"description", required_argument, NULL, 'd'},
		{"max-clients", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'},
		{"io", required_argument, NULL, 'i'},
		{NULL, 0, NULL, 0},
	};
	int o;

	while ((o = getopt_long(argc, argv, "s:f:rb:t:n:d:m:hi:", opts, NULL)) != -1) {
		switch (o) {
		case 's': cfg->socket_path = optarg; break;
		case 'f': fo->file = optarg; break;
		case 'r': fo->ro = true; break;
		case 'b': fo->sector = number(optarg, "sector size"); break;
		case 't': fo->threads = number(optarg, "thread count"); break;
		case 'i': fo->io = io_mode(optarg); break;
		case 'n': cfg->export_name = optarg; break;
		case 'd': cfg->description = optarg; break;
		case 'm': cfg->max_clients = number(optarg, "client count"); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (!cfg->socket_path || !fo->file || optind != argc) {
		usage(stderr);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct pv_nbd_server_config cfg = {.log_prefix = "nbd-file"};
	struct file_opts fo = {.sector = 512, .io = NBD_FILE_URING, .threads = 4};
	struct sigaction sa = {.sa_handler = on_signal};
	const struct pv_nbd_dev_ops *ops;
	struct pv_nbd_dev_info info;
	struct nbd_file *f;
	int rc;

	parse(argc, argv, &cfg, &fo);
	rc = nbd_file_open(fo.file, fo.ro, fo.io, fo.threads, fo.sector, &f, &info, &ops);
	if (rc < 0)
		return 1;
	rc = pv_nbd_server_new(&cfg, &info, ops, f, &server);
	if (rc < 0) {
		pv_err_errno(rc, "cannot serve %s on %s", fo.file, cfg.socket_path);
		goto out_file;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pv_info("serving %s (%llu bytes%s, %s) on %s", fo.file, (unsigned long long)info.size,
		fo.ro ? ", read-only" : "", fo.io == NBD_FILE_URING ? "io_uring" : "threads",
		cfg.socket_path);
	rc = pv_nbd_server_run(server);
	pv_nbd_server_free(server);
out_file:
	nbd_file_close(f);
	return rc < 0 ? 1 : 0;
}

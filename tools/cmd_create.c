/* SPDX-License-Identifier: MIT */
/*
 * pvkit create: read and check an xl-style config; with --dry-run print the
 * configuration and the xenstore nodes create would write, else start it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "create.h"
#include "domcfg.h"
#include "domcfg_print.h"
#include "pvkit_cmd.h"

static int parse_options(int argc, char **argv, struct create_opts *o)
{
	static const struct option longopts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"domid", required_argument, NULL, 'D'},
		{"rundir", required_argument, NULL, 'R'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+ncqf:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': o->dry_run = 1; break;
		case 'c': o->console = 1; break;
		case 'q': o->quiet = 1; break;
		case 'f': o->config = optarg; break;
		case 'R': pvkit_rundir = optarg; break;
		case 't':
			o->timeout = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !*optarg || o->timeout < 1 || o->timeout > 3600)
				return pvkit_usage_error("create", "--timeout %s: use 1 to 3600 seconds",
							 optarg);
			break;
		case 'D':
			o->domid = strtol(optarg, &end, 10);
			if (*end || !*optarg || o->domid < 1 || o->domid > 0x7fef)
				return pvkit_usage_error("create", "--domid %s: use 1 to 32751", optarg);
			break;
		default:
			return pvkit_usage_error("create", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!o->config && optind < argc)
		o->config = argv[optind++];
	if (!o->config)
		return pvkit_usage_error("create", "no CONFIG file given");
	for (int i = optind; i < argc; i++)
		if (!strchr(argv[i], '='))
			return pvkit_usage_error("create", "'%s' is not a KEY=VALUE override", argv[i]);
	return 0;
}

static int dry_run(const struct domcfg *dc, const struct create_opts *o)
{
	struct xsnodes nodes = {0};
	int rc = domcfg_xenstore_nodes(dc, (unsigned)o->domid, &nodes);

	if (!rc)
		rc = create_console_nodes((unsigned)o->domid, &nodes);
	if (rc) {
		fprintf(stderr, "pvkit create: out of memory\n");
		xsnodes_free(&nodes);
		return PVKIT_EXIT_FAILURE;
	}
	printf("# pvkit create --dry-run %s: the configuration, as pvkit reads it\n", o->config);
	domcfg_print(stdout, dc);
	printf("\n# the xenstore nodes create would write for domain %ld"
	       " (create picks the real domid)\n",
	       o->domid);
	xsnodes_print(stdout, &nodes);
	xsnodes_free(&nodes);
	return 0;
}

int pvkit_cmd_create(int argc, char **argv)
{
	struct create_opts o = {.domid = 1};
	struct xlcfg_err err;
	struct domcfg *dc;
	int rc = parse_options(argc, argv, &o);

	if (rc)
		return rc;
	dc = malloc(sizeof(*dc));
	if (!dc) {
		fprintf(stderr, "pvkit create: out of memory\n");
		return PVKIT_EXIT_FAILURE;
	}
	if (domcfg_load(o.config, argv + optind, argc - optind, optind, dc, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		free(dc);
		return PVKIT_EXIT_FAILURE;
	}
	if (domcfg_pci_functions(dc, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		rc = PVKIT_EXIT_FAILURE;
	} else if (o.dry_run) {
		rc = dry_run(dc, &o);
	} else if (domcfg_check_host(dc, "/sys/class/net", &err)) {
		fprintf(stderr, "%s\n", err.msg);
		rc = PVKIT_EXIT_FAILURE;
	} else {
		rc = create_guest(dc, &o);
	}
	domcfg_free(dc);
	free(dc);
	return rc;
}

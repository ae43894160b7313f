/* SPDX-License-Identifier: MIT */
/*
 * pvkit block-attach, network-attach, pci-attach: the device spec is checked
 * here, before the running guest is touched.
 */
#include <stdio.h>
#include <string.h>

#include "devspec.h"
#include "pvkit_cmd.h"

/* Check argv = {CMD, NAME|ID, SPEC} with @parse; 0 if the spec is good. */
static int check_spec(int argc, char **argv, int (*parse)(const char *, void *, char *),
		      void *spec)
{
	char err[DEVSPEC_ERR_LEN];

	if (argc != 3)
		return pvkit_usage_error(argv[0], "expected NAME|ID and one spec, got %d "
						  "argument%s", argc - 1, argc == 2 ? "" : "s");
	if (parse(argv[2], spec, err)) {
		fprintf(stderr, "pvkit %s: %s\n", argv[0], err);
		return PVKIT_EXIT_FAILURE;
	}
	return 0;
}

static int parse_disk(const char *s, void *out, char *err)
{
	return diskspec_parse(s, out, err);
}

static int parse_vif(const char *s, void *out, char *err)
{
	return vifspec_parse(s, out, err);
}

static int parse_pci(const char *s, void *out, char *err)
{
	return pcispec_parse(s, out, err);
}

int pvkit_cmd_attach(int argc, char **argv)
{
	union {
		struct diskspec disk;
		struct vifspec vif;
		struct pcispec pci;
	} spec;
	int (*parse)(const char *, void *, char *) = parse_pci;
	int rc;

	if (!strcmp(argv[0], "block-attach"))
		parse = parse_disk;
	else if (!strcmp(argv[0], "network-attach"))
		parse = parse_vif;
	rc = check_spec(argc, argv, parse, &spec);
	return rc ? rc : pvkit_cmd_unimplemented(argc, argv);
}

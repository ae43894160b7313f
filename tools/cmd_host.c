/* SPDX-License-Identifier: MIT */
/*
 * pvkit host up|down|status: the local platform's daemons in domain 0.
 */
#include <stdio.h>
#include <string.h>

#include "pvkit_cmd.h"

int pvkit_cmd_host(int argc, char **argv)
{
	static const char *const verbs[] = {"up", "down", "status", NULL};
	const struct pvkit_command *self = pvkit_find_command("host");

	if (pvkit_wants_help(argc, argv)) {
		pvkit_print_usage(stdout, self);
		return 0;
	}
	if (argc < 2)
		return pvkit_usage_error("host", "which one: up, down or status?");
	for (const char *const *v = verbs; *v; v++)
		if (!strcmp(argv[1], *v)) {
			fprintf(stderr, "pvkit host %s: not implemented yet\n", *v);
			return PVKIT_EXIT_FAILURE;
		}
	return pvkit_usage_error("host", "unknown action '%s' (use up, down or status)", argv[1]);
}

/* SPDX-License-Identifier: MIT */
/*
 * net-tool hostile: placeholder until the hostile frontend lands.
 */
#include <stdio.h>

int net_tool_hostile(int argc, char **argv);

int net_tool_hostile(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "net-tool: hostile mode not built\n");
	return 2;
}

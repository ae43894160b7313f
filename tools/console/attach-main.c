/* SPDX-License-Identifier: MIT */
/*
 * pvkit-console-attach: the standalone form of `pvkit console`, for tests
 * and for use before the toolstack wires pv_console_attach() in.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pvkit/console.h"

static const char usage[] =
	"Usage: pvkit-console-attach [--escape N] PTY\n"
	"       pvkit-console-attach --log LOGFILE\n"
	"Attach this terminal to a guest console (Ctrl-] detaches), or print its log.\n"
	"  --escape N   detach character as a number (default 29, Ctrl-])\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"escape", required_argument, NULL, 'e'},
		{"log", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *log = NULL;
	int escape = PV_CONSOLE_ESCAPE, opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'e': escape = atoi(optarg); break;
		case 'l': log = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (log)
		return pv_console_print_log(log, STDOUT_FILENO) < 0;
	if (optind + 1 != argc) {
		fputs(usage, stderr);
		return 2;
	}
	return pv_console_attach(argv[optind], escape) < 0;
}

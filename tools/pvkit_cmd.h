/* SPDX-License-Identifier: MIT */
/*
 * The pvkit command's subcommand table and the helpers subcommands share
 * (usage errors, help, the run directory).
 */
#ifndef PVKIT_TOOLS_PVKIT_CMD_H
#define PVKIT_TOOLS_PVKIT_CMD_H

#include <stdio.h>

#ifndef PVKIT_VERSION
#define PVKIT_VERSION "0.1"
#endif

/* Exit statuses: like xl, 1 for a failure, 2 for a usage error. */
#define PVKIT_EXIT_FAILURE 1
#define PVKIT_EXIT_USAGE   2

/*
 * One subcommand. run() gets argv[0] = the subcommand's name and returns the
 * exit status. @help is the text after the "Usage:" line of --help.
 */
struct pvkit_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis;
	const char *summary;
	const char *help;
};

/* --rundir, or NULL for the default ($PVKIT_RUNDIR, then /run/pvkit). */
extern const char *pvkit_rundir;

const struct pvkit_command *pvkit_find_command(const char *name);
void pvkit_print_usage(FILE *f, const struct pvkit_command *c);
/* 1 if argv (before any "--") holds -h or --help. */
int pvkit_wants_help(int argc, char **argv);
/* Print "pvkit CMD: message (see 'pvkit CMD --help')" and return PVKIT_EXIT_USAGE. */
int pvkit_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int pvkit_cmd_help(int argc, char **argv);
int pvkit_cmd_host(int argc, char **argv);
int pvkit_cmd_create(int argc, char **argv);
int pvkit_cmd_list(int argc, char **argv);
int pvkit_cmd_top(int argc, char **argv);
int pvkit_cmd_destroy(int argc, char **argv);
int pvkit_cmd_shutdown(int argc, char **argv);
int pvkit_cmd_exec(int argc, char **argv);
int pvkit_cmd_console(int argc, char **argv);
int pvkit_cmd_block_list(int argc, char **argv);
int pvkit_cmd_network_list(int argc, char **argv);
/* block-attach, block-detach, network-attach, network-detach. */
int pvkit_cmd_hotplug(int argc, char **argv);
/* pci-attach, pci-detach and pci-list (cmd_pcidev.c). */
int pvkit_cmd_pci_attach(int argc, char **argv);
int pvkit_cmd_pci_detach(int argc, char **argv);
int pvkit_cmd_pci_list(int argc, char **argv);
/* pci-list-host; pci-assignable-list, -add and -remove (cmd_pci.c). */
int pvkit_cmd_pci_list_host(int argc, char **argv);
int pvkit_cmd_pci_assignable(int argc, char **argv);
/* $PVKIT_SYSFS (tests point it at a fake tree), or NULL for /sys. */
const char *pvkit_pci_sysfs(void);
/* Where pci-assignable-add remembers each device's original driver: <rundir>/pci. */
void pvkit_pci_statedir(char *buf, size_t len);
/* Prints "pvkit NAME: not implemented yet" and returns 1. */
int pvkit_cmd_unimplemented(int argc, char **argv);

#endif

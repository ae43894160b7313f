/* SPDX-License-Identifier: MIT */
/*
 * Printing a guest configuration (in xl.cfg syntax, re-parseable) and the
 * xenstore nodes create writes (like `xenstore-ls -fp`), for --dry-run.
 */
#ifndef PVKIT_TOOLS_DOMCFG_PRINT_H
#define PVKIT_TOOLS_DOMCFG_PRINT_H

#include <stdio.h>

#include "domcfg.h"

/*
 * @dc as an xl.cfg file: every setting with its value after defaults, each
 * device spec in the canonical key=value form (target last).
 */
void domcfg_print(FILE *f, const struct domcfg *dc);

/* One line per node: PATH = "VALUE"  (nOWNER,rREADER). */
void xsnodes_print(FILE *f, const struct xsnodes *nodes);

#endif

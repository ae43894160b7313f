/* SPDX-License-Identifier: MIT */
/*
 * Included first by every ABI test file: what Xen's public headers need
 * before they are included (fixed-width types, offsetof, and the newest
 * interface version, which __XEN_TOOLS__ selects).
 */
#ifndef PVKIT_TESTS_ABI_XEN_H
#define PVKIT_TESTS_ABI_XEN_H

#define __XEN_TOOLS__ 1

#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>

#endif

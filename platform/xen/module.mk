# SPDX-License-Identifier: MIT
# platform/xen: the platform interface over Xen's libraries (libxengnttab,
# which also holds xengntshr, libxenevtchn, and libxenstore for our domid).
LIB_SRCS += platform/xen/xen.c platform/xen/copy.c platform/xen/evtchn.c
LIB_PKGS += xengnttab xenevtchn xenstore xentoollog

UNIT_TESTS += test-xen-copy
test-xen-copy_SRCS := tests/unit/platform/xen/test_copy.c tests/harness/cunit.c
test-xen-copy_LIBS := -lcunit

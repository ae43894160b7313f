# SPDX-License-Identifier: MIT
# frontends/console/: the guest console frontend (a libpvkit API, see
# include/pvkit/console.h) and a test program that runs one as domain N.
LIB_SRCS += frontends/console/consfront.c frontends/console/xenbus.c
LIB_PKGS += xenstore

TEST_PROGRAMS += test-console-guest
test-console-guest_SRCS := tests/integration/console-guest.c
test-console-guest_PKGS := xenstore

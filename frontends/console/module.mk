# SPDX-License-Identifier: MIT
# frontends/console/: the guest console frontend (a libpvkit API, see
# include/pvkit/console.h) and a test program that runs one as domain N.
ifneq ($(wildcard platform/platform.c),)
LIB_SRCS += frontends/console/consfront.c frontends/console/xenbus.c
LIB_PKGS += xenstore
endif

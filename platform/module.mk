# SPDX-License-Identifier: MIT
# platform/: the platform interface core and shared services (logging).
CORE_SRCS += platform/log.c platform/platform.c platform/stats.c
# The dispatcher refers to the xen ops strongly only when they are built too.
EXTRA_CFLAGS_platform/platform.c := $(if $(CROSS),,$(if $(wildcard platform/xen/xen.c),-DPVKIT_LINK_XEN))
PUBLIC_HEADERS += include/pvkit/stats.h include/pvkit/log.h include/pvkit/arch.h include/pvkit/platform.h

UNIT_TESTS += test-log
CORE_UNIT_TESTS += test-log
test-log_SRCS := tests/unit/platform/test_log.c tests/harness/cunit.c
test-log_LIBS := -lcunit

# The counters file pvkit top reads: magic/version/size checks, hostile files.
UNIT_TESTS += test-stats
CORE_UNIT_TESTS += test-stats
test-stats_SRCS := tests/unit/platform/test_stats.c tests/harness/cunit.c
test-stats_LIBS := -lcunit

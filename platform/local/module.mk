# SPDX-License-Identifier: MIT
# platform/local/: the local platform's client (in libpvkit's core: libc only)
# and pvkitd, the daemon that brokers domains, memory, grants and event channels.
CORE_SRCS += platform/local/wire.c platform/local/gntcheck.c platform/local/bitmap.c \
	platform/local/ports.c platform/local/local.c platform/local/local_gnt.c \
	platform/local/local_copy.c platform/local/local_evtchn.c platform/local/local_admin.c
PUBLIC_HEADERS += include/pvkit/local.h

PROGRAMS += pvkitd
pvkitd_DIR := sbin
pvkitd_SRCS := platform/local/pvkitd.c platform/local/pvkitd_dom.c \
	platform/local/pvkitd_gnt.c platform/local/pvkitd_evt.c
pvkitd_PKGS := xenstore

UNIT_TESTS += test-gntcheck test-bitmap test-ports
CORE_UNIT_TESTS += test-gntcheck test-bitmap test-ports
test-gntcheck_SRCS := tests/unit/platform/local/test_gntcheck.c tests/harness/cunit.c
test-gntcheck_LIBS := -lcunit
test-bitmap_SRCS := tests/unit/platform/local/test_bitmap.c tests/harness/cunit.c
test-bitmap_LIBS := -lcunit
test-ports_SRCS := tests/unit/platform/local/test_ports.c tests/harness/cunit.c
test-ports_LIBS := -lcunit

TEST_PROGRAMS += pvkit-test-platform
pvkit-test-platform_SRCS := tests/integration/pvkitd_test.c tests/integration/pvkitd_test_copy.c \
	tests/integration/pvkitd_test_evt.c tests/integration/pvkitd_test_dom.c \
	tests/integration/pvkitd_test_xs.c
pvkit-test-platform_PKGS := xenstore
INTEGRATION_TESTS += tests/integration/pvkitd.sh
MAN_PAGES += platform/local/man/pvkitd.8

TEST_PROGRAMS += pvkit-bench-platform
pvkit-bench-platform_SRCS := platform/local/bench_platform.c
BENCHES += $(B)/bin/pvkit-bench-platform

# The dispatcher (platform/platform.c) is tested here, with the platform it defaults to.
UNIT_TESTS += test-platform
test-platform_SRCS := tests/unit/platform/test_platform.c tests/harness/cunit.c
test-platform_LIBS := -lcunit

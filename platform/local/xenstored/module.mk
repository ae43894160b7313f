# SPDX-License-Identifier: MIT
# platform/local/xenstored/: pvkit-xenstored, the local platform's xenstore daemon.
XENSTORED_CORE := $(addprefix platform/local/xenstored/,store.c txn.c tree.c watch.c conn.c ops.c ops_admin.c domain.c)

PROGRAMS += pvkit-xenstored
pvkit-xenstored_SRCS := $(XENSTORED_CORE) platform/local/xenstored/main.c
pvkit-xenstored_DIR := sbin
INTEGRATION_TESTS += tests/integration/xenstored.sh

PUBLIC_HEADERS += include/pvkit/proto/xs_wire.h
ABI_TESTS += abi-xs-wire
abi-xs-wire_SRCS := tests/abi/test_xs_wire_abi.c tests/harness/cunit.c
abi-xs-wire_LIBS := -lcunit

TEST_PROGRAMS += xenstored-test-libxs xenstored-test-raw
xenstored-test-libxs_SRCS := tests/integration/xenstored_libxs.c tests/harness/cunit.c
xenstored-test-libxs_PKGS := xenstore
xenstored-test-libxs_LIBS := -lcunit
xenstored-test-raw_SRCS := tests/integration/xenstored_raw.c tests/harness/cunit.c
xenstored-test-raw_LIBS := -lcunit
INTEGRATION_TESTS += tests/integration/xenstored-libxs.sh

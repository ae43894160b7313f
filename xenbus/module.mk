# SPDX-License-Identifier: MIT
# xenbus/: the xenstore client library, the XenbusState handshake and the
# backend daemons' skeleton (daemon.c).
LIB_SRCS += xenbus/xs.c xenbus/xenbus.c xenbus/daemon.c
LIB_PKGS += xenstore
PUBLIC_HEADERS += include/pvkit/xenbus.h include/pvkit/daemon.h

TEST_PROGRAMS += xenbus-test
xenbus-test_SRCS := tests/integration/xenbus_test.c tests/harness/cunit.c
xenbus-test_LIBS := -lcunit
INTEGRATION_TESTS += tests/integration/xenbus.sh
# The daemons and pvkit-guest when pvkit-xenstored dies.
INTEGRATION_TESTS += tests/integration/xenstore-loss.sh

# The daemons' skeleton: options, bad usage, --help, the loop's order.
UNIT_TESTS += test-daemon
test-daemon_SRCS := tests/unit/xenbus/test_daemon.c tests/harness/cunit.c
test-daemon_LIBS := -lcunit

# SPDX-License-Identifier: MIT
# xenbus/: the xenstore client library and the XenbusState handshake.
LIB_SRCS += xenbus/xs.c xenbus/xenbus.c
LIB_PKGS += xenstore
PUBLIC_HEADERS += include/pvkit/xenbus.h

TEST_PROGRAMS += xenbus-test
xenbus-test_SRCS := tests/integration/xenbus_test.c tests/harness/cunit.c
xenbus-test_LIBS := -lcunit
INTEGRATION_TESTS += tests/integration/xenbus.sh

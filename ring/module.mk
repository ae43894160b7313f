# SPDX-License-Identifier: MIT
# ring/: typed shared rings (Xen io/ring.h compatible), dependency-free core.
CORE_SRCS += ring/ring.c ring/busypoll.c ring/evstorm.c
PUBLIC_HEADERS += include/pvkit/ring.h include/pvkit/busypoll.h include/pvkit/evstorm.h

UNIT_TESTS += test-ring
CORE_UNIT_TESTS += test-ring
test-ring_SRCS := tests/unit/ring/test_ring.c tests/harness/cunit.c
test-ring_LIBS := -lcunit

# The adaptive poll-before-sleep window, on a fake clock.
UNIT_TESTS += test-busypoll
CORE_UNIT_TESTS += test-busypoll
test-busypoll_SRCS := tests/unit/ring/test_busypoll.c tests/harness/cunit.c
test-busypoll_LIBS := -lcunit

# Event storms (XSA-332/391): counting and back-off, on a fake event channel.
UNIT_TESTS += test-evstorm
CORE_UNIT_TESTS += test-evstorm
test-evstorm_SRCS := tests/unit/ring/test_evstorm.c tests/harness/cunit.c
test-evstorm_LIBS := -lcunit

# Two processes over a memfd ring: >= 10 million requests, none lost, duplicated or reordered.
TEST_PROGRAMS += ring-stress
ring-stress_SRCS := tests/integration/ring-stress.c tests/harness/ringpair.c
INTEGRATION_TESTS += $(B)/bin/ring-stress

# The same operations through pvkit and through Xen's io/ring.h macros agree.
UNIT_TESTS += test-ring-xen
CORE_UNIT_TESTS += test-ring-xen
test-ring-xen_SRCS := tests/unit/ring/test_ring_xen.c tests/harness/cunit.c
test-ring-xen_LIBS := -lcunit

# Persistent grants: frontend page pool and backend grant cache, over the platform interface.
LIB_SRCS += ring/gntpool.c
PUBLIC_HEADERS += include/pvkit/gntpool.h
UNIT_TESTS += test-gntpool
test-gntpool_SRCS := tests/unit/ring/test_gntpool.c ring/gntpool.c tests/harness/cunit.c
test-gntpool_LIBS := -lcunit
TEST_PROGRAMS += pvkit-test-gntpool
pvkit-test-gntpool_SRCS := tests/integration/gntpool_test.c
INTEGRATION_TESTS += tests/integration/gntpool.sh

# SPDX-License-Identifier: MIT
# ring/: typed shared rings (Xen io/ring.h compatible), dependency-free core.
CORE_SRCS += ring/ring.c
PUBLIC_HEADERS += include/pvkit/ring.h

UNIT_TESTS += test-ring
CORE_UNIT_TESTS += test-ring
test-ring_SRCS := tests/unit/ring/test_ring.c tests/harness/cunit.c
test-ring_LIBS := -lcunit

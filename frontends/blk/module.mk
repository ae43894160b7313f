# SPDX-License-Identifier: MIT
# frontends/blk/: blkfront and its guest-facing NBD export.
LIB_SRCS += frontends/blk/nbd-server.c frontends/blk/nbd-handshake.c frontends/blk/nbd-transmit.c
PUBLIC_HEADERS += include/pvkit/nbd.h

# A file served through the NBD export: the test seam and the --file benchmark.
TEST_PROGRAMS += pvkit-nbd-file
pvkit-nbd-file_SRCS := frontends/blk/pvkit-nbd-file.c frontends/blk/nbd-file.c \
	frontends/blk/nbd-file-uring.c
pvkit-nbd-file_PKGS := liburing

# Checks stock clients cannot make: trim / zero / FUA, read-only refusals, hostile clients.
TEST_PROGRAMS += pvkit-nbd-probe
pvkit-nbd-probe_SRCS := tests/integration/nbd-probe.c tests/integration/nbd-hostile.c
pvkit-nbd-probe_PKGS := libnbd

INTEGRATION_TESTS += tests/integration/nbd.sh tests/integration/nbd-hostile.sh

UNIT_TESTS += test-nbd-server
test-nbd-server_SRCS := tests/unit/frontends/blk/test_nbd_server.c tests/harness/cunit.c
test-nbd-server_PKGS := libnbd
test-nbd-server_LIBS := -lcunit
BENCHES += bench/nbd-file.sh

UNIT_TESTS += test-nbd-file
test-nbd-file_SRCS := tests/unit/frontends/blk/test_nbd_file.c tests/harness/cunit.c \
	frontends/blk/nbd-file.c frontends/blk/nbd-file-uring.c
test-nbd-file_PKGS := libnbd liburing
test-nbd-file_LIBS := -lcunit

# blkfront: the library (handshake, datapath, NBD export of a vbd).
LIB_SRCS += frontends/blk/blkfront.c frontends/blk/blkfront-io.c frontends/blk/blkfront-nbd.c \
	frontends/blk/blkfront-name.c
PUBLIC_HEADERS += include/pvkit/blkfront.h

# The datapath over hand-made rings and a fake grant table: request building,
# splitting, zero copy, and the responses of a broken backend.
UNIT_TESTS += test-blkfront
test-blkfront_SRCS := tests/unit/frontends/blk/test_blkfront.c frontends/blk/blkfront-io.c \
	frontends/blk/blkfront-name.c ring/gntpool.c tests/harness/cunit.c
test-blkfront_LIBS := -lcunit

# The toolstack's and guest's part of the blkfront tests and benchmark.
ifneq ($(wildcard platform/platform.c),)
TEST_PROGRAMS += blkfront-test
blkfront-test_SRCS := tests/integration/blkfront_test.c
blkfront-test_PKGS := xenstore
INTEGRATION_TESTS += tests/integration/blkfront.sh tests/integration/blkfront-guest.sh
TEST_PROGRAMS += blkfront-hostile
blkfront-hostile_SRCS := tests/integration/blkfront_hostile.c
INTEGRATION_TESTS += tests/integration/blkfront-hostile.sh
endif
ifneq ($(wildcard platform/platform.c),)
BENCHES += bench/blkfront.sh
endif

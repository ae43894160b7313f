# SPDX-License-Identifier: MIT
# backends/console/: the console ring datapath (shared with the frontend)
# and pvkit-consoled.
CORE_SRCS += backends/console/ring.c
PUBLIC_HEADERS += include/pvkit/console.h

UNIT_TESTS += test-console-ring
CORE_UNIT_TESTS += test-console-ring
test-console-ring_SRCS := tests/unit/backends/console/test_ring.c tests/harness/cunit.c
test-console-ring_LIBS := -lcunit

UNIT_TESTS += test-console-buffer test-console-logfile
test-console-buffer_SRCS := tests/unit/backends/console/test_buffer.c backends/console/buffer.c \
	tests/harness/cunit.c
test-console-buffer_LIBS := -lcunit
test-console-logfile_SRCS := tests/unit/backends/console/test_logfile.c \
	backends/console/logfile.c tests/harness/cunit.c
test-console-logfile_LIBS := -lcunit

UNIT_TESTS += test-consoled
test-consoled_SRCS := tests/unit/backends/console/test_consoled.c backends/console/consoled.c \
	backends/console/buffer.c backends/console/logfile.c tests/harness/cunit.c
test-consoled_LIBS := -lcunit

PROGRAMS += pvkit-consoled
pvkit-consoled_DIR := sbin
pvkit-consoled_SRCS := backends/console/main.c backends/console/xenbus.c backends/console/devices.c \
	backends/console/consoled.c backends/console/buffer.c backends/console/logfile.c
pvkit-consoled_PKGS := xenstore

# End to end, with pvkitd and pvkit-xenstored.
INTEGRATION_TESTS += tests/integration/console.sh tests/integration/console-flood.sh \
	tests/integration/console-device.sh
BENCHES += bench/console-bench.sh
MAN_PAGES += backends/console/man/pvkit-consoled.8

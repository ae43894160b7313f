# SPDX-License-Identifier: MIT
# backends/blk/: pvkit-blkback, the block backend daemon (request intake in
# request.c, datapath in blkback.c, xenbus handshake in xenbus.c).

UNIT_TESTS += test-blk-request
test-blk-request_SRCS := tests/unit/backends/blk/test_request.c backends/blk/request.c \
	tests/harness/cunit.c
test-blk-request_LIBS := -lcunit

# The datapath (queue thread, io_uring, grants) over a mock platform and a temp file.
UNIT_TESTS += test-blkback
test-blkback_SRCS := tests/unit/backends/blk/test_blkback.c tests/unit/backends/blk/mock_platform.c \
	backends/blk/blkback.c backends/blk/target.c backends/blk/request.c ring/gntpool.c \
	tests/harness/cunit.c
test-blkback_PKGS := liburing
test-blkback_LIBS := -lcunit

# pvkit-blkback links the platform: built once platform/platform.c is on main.
BLKBACK_SRCS := backends/blk/main.c backends/blk/xenbus.c backends/blk/blkback.c \
	backends/blk/target.c backends/blk/request.c
ifneq ($(wildcard platform/platform.c),)
PROGRAMS += pvkit-blkback
pvkit-blkback_DIR := sbin
pvkit-blkback_SRCS := $(BLKBACK_SRCS)
pvkit-blkback_PKGS := xenstore liburing
endif

# End to end: a test frontend against the real daemon under pvkitd and pvkit-xenstored.
ifneq ($(wildcard platform/platform.c),)
TEST_PROGRAMS += blkback-test
blkback-test_SRCS := tests/integration/blkback_test.c tests/integration/blkback_front.c \
	tests/integration/blkback_env.c
blkback-test_PKGS := xenstore
INTEGRATION_TESTS += tests/integration/blkback.sh tests/integration/blkback-blockdev.sh
endif
MAN_PAGES += backends/blk/man/pvkit-blkback.8

# make bench: the datapath from a wire-protocol frontend vs fio io_uring on the same file.
ifneq ($(wildcard platform/platform.c),)
TEST_PROGRAMS += blkback-bench
blkback-bench_SRCS := tests/integration/blkback_bench.c tests/integration/blkback_front.c \
	tests/integration/blkback_env.c
blkback-bench_PKGS := xenstore
BENCHES += bench/blkback-bench.sh
endif

# libFuzzer harness of the request intake (clang only; not part of CROSS or SAN builds).
FUZZ_CC ?= clang
ifeq ($(CROSS)$(SAN),)
ifneq ($(shell command -v $(FUZZ_CC) 2>/dev/null),)
BLKIF_FUZZ := $(B)/fuzz/blkif-request-fuzz
all: $(BLKIF_FUZZ)
.PHONY: fuzz-blkif-request
fuzz-blkif-request: $(BLKIF_FUZZ)
$(BLKIF_FUZZ): tests/fuzz/blkif_request_fuzz.c backends/blk/request.c backends/blk/common.h
	$(call msg,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(BASE_CPPFLAGS) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-o $@ tests/fuzz/blkif_request_fuzz.c backends/blk/request.c
INTEGRATION_TESTS += tests/fuzz/blkif_request_smoke.sh
endif
endif
# blkback.sh runs the daemon built with ASan+UBSan when it is there.
ASAN_PROGRAMS += pvkit-blkback

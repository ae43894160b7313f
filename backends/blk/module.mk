# SPDX-License-Identifier: MIT
# backends/blk/: pvkit-blkback, the block backend daemon (request intake in
# request.c, datapath in blkback.c, xenbus handshake in xenbus.c).

UNIT_TESTS += test-blk-request
test-blk-request_SRCS := tests/unit/backends/blk/test_request.c backends/blk/request.c \
	tests/harness/cunit.c
test-blk-request_LIBS := -lcunit

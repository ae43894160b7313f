# SPDX-License-Identifier: MIT
# tests/abi/: prove the wire ABI headers (include/pvkit/proto/) equal Xen's
# public headers in /usr/include/xen: every struct size, field offset and
# size, constant, and ring size for 1-16 pages. Also cross-built (i386,
# aarch64) so each guest width is checked against Xen's native layout there.
ABI_TESTS += abi-proto
CORE_UNIT_TESTS += abi-proto
abi-proto_SRCS := tests/abi/abi_check.c tests/abi/abi_blkif.c tests/abi/abi_netif.c \
	tests/abi/abi_ring.c tests/abi/abi_devices.c tests/harness/cunit.c
abi-proto_LIBS := -lcunit

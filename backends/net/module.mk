# SPDX-License-Identifier: MIT
# backends/net/: pvkit-netback, the network backend daemon (tx parsing in
# txparse.c, rx layout in rxfill.c, packet metadata shared with netfront in
# netpkt.c, TAP devices in tap.c, queue threads in netback.c, the handshake
# in xenbus.c, the daemon in main.c).

UNIT_TESTS += test-net-txparse test-net-rxfill test-netpkt
test-net-txparse_SRCS := tests/unit/backends/net/test_txparse.c backends/net/txparse.c \
	tests/harness/cunit.c
test-net-txparse_LIBS := -lcunit
test-net-rxfill_SRCS := tests/unit/backends/net/test_rxfill.c backends/net/rxfill.c \
	tests/harness/cunit.c
test-net-rxfill_LIBS := -lcunit
test-netpkt_SRCS := tests/unit/backends/net/test_netpkt.c backends/net/netpkt.c \
	tests/harness/cunit.c
test-netpkt_LIBS := -lcunit

PROGRAMS += pvkit-netback
pvkit-netback_DIR := sbin
pvkit-netback_SRCS := backends/net/main.c backends/net/xenbus.c backends/net/netback.c \
	backends/net/txparse.c backends/net/rxfill.c backends/net/netpkt.c backends/net/nettap.c
pvkit-netback_PKGS := xenstore
pvkit-netback_LIBS := -lpthread
MAN_PAGES += backends/net/man/pvkit-netback.8

# End to end: pvkitd, pvkit-xenstored, pvkit-netback and pvkit-guest in network namespaces.
TEST_PROGRAMS += net-tool
net-tool_SRCS := tests/integration/net_tool.c tests/integration/net_hostile.c tests/integration/net_xsa.c \
	tests/integration/net_rr.c tests/integration/net_hostileback.c
net-tool_PKGS := xenstore
INTEGRATION_TESTS += tests/integration/net.sh
BENCHES += bench/net-bench.sh
# The hostile frontend per THREATS.md class, the daemon under ASan+UBSan.
ASAN_PROGRAMS += pvkit-netback
INTEGRATION_TESTS += tests/integration/net-xsa.sh

# SPDX-License-Identifier: MIT
# frontends/guest/: pvkit-guest, the local platform's guest runtime, and the
# frontend drivers it binds (frontends/echo/ is the template class).
PROGRAMS += pvkit-guest
pvkit-guest_DIR := sbin
pvkit-guest_SRCS := frontends/guest/guest.c frontends/guest/drivers.c frontends/echo/echofront.c \
	frontends/blk/blkfront-vbd.c \
	frontends/net/netfront.c frontends/net/rspcheck.c frontends/net/xenbus.c \
	backends/net/netpkt.c backends/net/nettap.c \
	frontends/pci/pcifront.c frontends/pci/pcifront_srv.c frontends/pci/pcifront_irq.c \
	frontends/pci/pcifront_check.c
PUBLIC_HEADERS += include/pvkit/guest.h include/pvkit/proto/echoif.h

# netfront's checks of the backend's responses (frontends/net/rspcheck.c).
UNIT_TESTS += test-netfront-rsp
test-netfront-rsp_SRCS := tests/unit/frontends/net/test_rspcheck.c frontends/net/rspcheck.c \
	tests/harness/cunit.c
test-netfront-rsp_LIBS := -lcunit

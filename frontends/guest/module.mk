# SPDX-License-Identifier: MIT
# frontends/guest/: pvkit-guest, the local platform's guest runtime, and the
# frontend drivers it binds (frontends/echo/ is the template class).
PROGRAMS += pvkit-guest
pvkit-guest_DIR := sbin
pvkit-guest_SRCS := frontends/guest/guest.c frontends/guest/drivers.c frontends/echo/echofront.c \
	frontends/blk/blkfront-vbd.c \
	frontends/net/netfront.c frontends/net/xenbus.c backends/net/netpkt.c backends/net/nettap.c \
	frontends/pci/pcifront.c frontends/pci/pcifront_srv.c frontends/pci/pcifront_irq.c \
	frontends/pci/pcifront_check.c
PUBLIC_HEADERS += include/pvkit/guest.h include/pvkit/proto/echoif.h

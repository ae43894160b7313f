# SPDX-License-Identifier: MIT
# frontends/pci/: the guest's PCI driver API (include/pvkit/pcidev.h) over
# domain 0's VFIO layer (passthrough/pci/vfio.c).
LIB_SRCS += frontends/pci/pcidev.c
PUBLIC_HEADERS += include/pvkit/pcidev.h

UNIT_TESTS += test-pcidev
test-pcidev_SRCS := tests/unit/frontends/pci/test_pcidev.c tests/harness/cunit.c
test-pcidev_LIBS := -lcunit

# SPDX-License-Identifier: MIT
# frontends/pci/: the guest's PCI frontend in pvkit-guest (pcifront*.c, the
# device/pci/0 driver) and the driver API include/pvkit/pcidev.h (pcidev.c
# over pcifront's socket; pcidev_direct.c over domain 0's VFIO layer).
LIB_SRCS += frontends/pci/pcidev.c frontends/pci/pcidev_direct.c
PUBLIC_HEADERS += include/pvkit/pcidev.h

UNIT_TESTS += test-pcifront-check
test-pcifront-check_SRCS := tests/unit/frontends/pci/test_pcifront_check.c \
	frontends/pci/pcifront_check.c tests/harness/cunit.c
test-pcifront-check_LIBS := -lcunit

UNIT_TESTS += test-pcidev
test-pcidev_SRCS := tests/unit/frontends/pci/test_pcidev.c tests/harness/cunit.c
test-pcidev_LIBS := -lcunit

# A hostile backend and a hostile driver against a real pcifront in pvkit-guest.
TEST_PROGRAMS += pcifront-hostile
pcifront-hostile_SRCS := tests/integration/pcifront_hostile.c
pcifront-hostile_LIBS := -lpthread
INTEGRATION_TESTS += tests/integration/pcifront.sh

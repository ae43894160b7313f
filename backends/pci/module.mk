# SPDX-License-Identifier: MIT
# backends/pci/: pvkit-pciback, the PCI backend daemon (op handler in
# pciop.c, interrupts in irq.c, devices in devices.c, the xenbus handshake
# and hot-plug in xenbus.c, VFIO access behind a seam in hw_vfio.c).
PROGRAMS += pvkit-pciback
pvkit-pciback_DIR := sbin
pvkit-pciback_SRCS := backends/pci/main.c backends/pci/xenbus.c backends/pci/devices.c \
	backends/pci/pciop.c backends/pci/irq.c backends/pci/hw_vfio.c
pvkit-pciback_PKGS := xenstore
MAN_PAGES += backends/pci/man/pvkit-pciback.8

# The op handler against a fake device (the seam's only fake) and fake ports: a hostile frontend.
UNIT_TESTS += test-pciback-op
test-pciback-op_SRCS := tests/unit/backends/pci/test_pciop.c backends/pci/pciop.c \
	backends/pci/irq.c backends/pci/devices.c tests/harness/cunit.c
test-pciback-op_LIBS := -lcunit
INTEGRATION_TESTS += tests/integration/pci-attach.sh

# The real daemon against a hostile frontend (no device it can open: the protocol only).
TEST_PROGRAMS += pciback-hostile
pciback-hostile_SRCS := tests/integration/pciback_hostile.c tests/integration/pciback_front.c
pciback-hostile_PKGS := xenstore
INTEGRATION_TESTS += tests/integration/pciback-hostile.sh


# With a real device: QEMU's edu behind an emulated IOMMU, in the boot of
# tests/vm/vfio.sh (tests/vm/pciback-tests.sh after the VFIO tests).
TEST_PROGRAMS += pv-pciback-edu-test
pv-pciback-edu-test_SRCS := tests/vm/pciback_edu_test.c tests/integration/pciback_front.c
pv-pciback-edu-test_PKGS := xenstore

# SPDX-License-Identifier: MIT
# tests/vm: tests that need a machine this host is not: real Xen 4.17 with a
# Linux PV dom0 under qemu-system-x86_64 (see tests/vm/README.md).
INTEGRATION_TESTS += tests/vm/xen.sh

# make check-xen: only the Xen VM test (one boot), with its output.
.PHONY: check-xen
check-xen: all
	$(Q)rm -rf $(B)/results && mkdir -p $(B)/results
	-$(Q)$(RUNNER) --verbose --results $(B)/results --label vm tests/vm/xen.sh
	$(Q)$(RUNNER) --results $(B)/results --summary

# Run inside the VM by xen-tests/20-platform.sh.
TEST_PROGRAMS += pv-xen-platform-test
pv-xen-platform-test_SRCS := tests/vm/xen_platform_test.c

# VFIO: a Debian 6.1 kernel with an emulated Intel IOMMU and QEMU's edu
# device; pvkit's VFIO layer and a driver written against pcidev.h (one boot).
INTEGRATION_TESTS += tests/vm/vfio.sh
TEST_PROGRAMS += pv-vfio-edu-test
pv-vfio-edu-test_SRCS := tests/vm/vfio_edu_test.c

.PHONY: check-vfio
check-vfio: all
	$(Q)rm -rf $(B)/results && mkdir -p $(B)/results
	-$(Q)$(RUNNER) --verbose --results $(B)/results --label vm tests/vm/vfio.sh
	$(Q)$(RUNNER) --results $(B)/results --summary

# Run inside the VM by xen-tests/80-blkfront-linux-blkback.sh: pvkit's
# blkfront against Linux's xen-blkback.
TEST_PROGRAMS += pv-xen-blkfront-test
pv-xen-blkfront-test_SRCS := tests/vm/xen_blkfront_test.c

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make check-vfio: boots Debian's 6.1 kernel under qemu-system-x86_64 (TCG)
# with an emulated Intel IOMMU (interrupt remapping on) and two of QEMU's
# edu devices; inside, pvkit assigns edu to vfio-pci and a driver written
# against include/pvkit/pcidev.h drives it, first in domain 0 (direct mode),
# then from a pvkit guest as an unprivileged user through pcifront and
# pvkit-pciback (tests/vm/vfio-init, vfio-guest; results "vfio: ...");
# then, in the same boot, pvkit-pciback with both edus: pvkit pci-attach /
# pci-list / pci-detach (-f), hot-add and hot-remove while the bus is
# connected, tests/vm/pciback_edu_test.c as the guest at the protocol level
# (tests/vm/pciback-tests.sh; results "pciback: ..."). Each result comes
# back here as an ok / not ok line.
#
# Environment as tests/vm/xen.sh: PVKIT_VM_CACHE, PVKIT_BUILD,
# PVKIT_VM_TIMEOUT (default 420 s), PVKIT_VM_KEEP=1, PVKIT_VM_VERBOSE=1.
. "$(dirname "$0")/../lib.sh"
here=$PV_TOP/tests/vm
. "$here/vm-report.sh"
limit=${PVKIT_VM_TIMEOUT:-420}

vm_setup VFIO "$here/vfio-init"
vm_boot_edu vfio -device edu
pv_done

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pvkit-pciback with a real device: boots Debian's 6.1 kernel under
# qemu-system-x86_64 (TCG) with an emulated Intel IOMMU (interrupt remapping
# on) and two of QEMU's edu devices, as tests/vm/vfio.sh does; inside, pvkit
# host up, pvkit pci-attach / pci-list / pci-detach (the second edu hot-added
# and the first hot-removed while the bus is connected), and
# tests/vm/pciback_edu_test.c as the guest at the protocol level
# (tests/vm/pciback-init).
#
# Environment as tests/vm/xen.sh: PVKIT_VM_CACHE, PVKIT_BUILD,
# PVKIT_VM_TIMEOUT (default 240 s), PVKIT_VM_KEEP=1, PVKIT_VM_VERBOSE=1.
. "$(dirname "$0")/../lib.sh"
here=$PV_TOP/tests/vm
. "$here/vm-report.sh"
limit=${PVKIT_VM_TIMEOUT:-240}

vm_setup PCIBACK "$here/pciback-init"
vm_boot_edu pciback -device edu
pv_done

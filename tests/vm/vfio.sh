#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make check-vfio: boots Debian's 6.1 kernel under qemu-system-x86_64 (TCG)
# with an emulated Intel IOMMU (interrupt remapping on) and QEMU's edu
# device; inside, pvkit assigns edu to vfio-pci and a driver written against
# include/pvkit/pcidev.h drives it (tests/vm/vfio-init). Each result comes
# back here as an ok / not ok line.
#
# Environment as tests/vm/xen.sh: PVKIT_VM_CACHE, PVKIT_BUILD,
# PVKIT_VM_TIMEOUT (default 240 s), PVKIT_VM_KEEP=1, PVKIT_VM_VERBOSE=1.
. "$(dirname "$0")/../lib.sh"
here=$PV_TOP/tests/vm
. "$here/vm-report.sh"
limit=${PVKIT_VM_TIMEOUT:-240}

vm_setup VFIO "$here/vfio-init"
kernel=$(ls "$root"/boot/vmlinuz-6.1*-amd64 | head -n 1)
bios=()
[ -f /usr/share/qemu/qboot.rom ] && bios=(-bios /usr/share/qemu/qboot.rom)

console=$work/console.log
start=$(date +%s)
timeout -k 5 "$limit" qemu-system-x86_64 -machine q35 -accel tcg -cpu max -m 256 -smp 1 \
	"${bios[@]}" -display none -vga none -nic none -no-reboot -monitor none \
	-serial "file:$console" -device intel-iommu,intremap=on -device edu \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$kernel" \
	-initrd "$work/initrd.cpio.gz" \
	-append "console=ttyS0 intel_iommu=on panic=-1 quiet loglevel=3" \
	< /dev/null > "$work/qemu.out" 2>&1 &
qpid=$!
wait "$qpid"
rc=$?
qpid=
secs=$(($(date +%s) - start))
echo "# QEMU exited with status $rc after ${secs}s"
[ $rc = 124 ] && echo "# QEMU was killed after the ${limit}s timeout"

vm_report vfio "$work" "$rc" "$secs"
pv_done

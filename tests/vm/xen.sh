#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make check-xen: boots Xen 4.17 with a Linux PV dom0 under qemu-system-x86_64
# (TCG), runs tests/vm/xen-tests/*.sh inside dom0 and reports each result here.
#
# Environment: PVKIT_VM_CACHE (downloaded packages, default ~/.cache/pvkit/vm),
# PVKIT_BUILD (pvkit's build folder), PVKIT_VM_TIMEOUT (seconds for the whole
# boot, default 600), PVKIT_VM_KEEP=1 keeps the console log and initramfs.
# The run is judged by "PVVM ..." markers on the console, not QEMU's exit status.
. "$(dirname "$0")/../lib.sh"
here=$PV_TOP/tests/vm
. "$here/vm-report.sh"
limit=${PVKIT_VM_TIMEOUT:-600}

vm_setup Xen "$here/xen-init"
kernel=$(ls "$root"/boot/vmlinuz-6.1*-amd64 | head -n 1)
ln -s "$kernel" "$work/vmlinuz"
ln -s "$root/boot/xen-4.17-amd64" "$work/xen"

# -cpu max,-smap: with SMAP, dom0 faults about 4 s in under TCG.
# noreboot: Xen waits instead of rebooting, so the timeout is the backstop.
# PVKIT_VM_SMP=2: two CPUs for QEMU and two vCPUs for dom0 (Linux's blkfront
# then offers two queues); about 3 times slower on a loaded 2-core host. Not
# two dom0 vCPUs on one QEMU CPU: that corrupted user memory under TCG
# (processes died in malloc, see tests/vm/README.md).
console=$work/console.log
start=$(date +%s)
(cd "$work" && exec timeout -k 5 "$limit" qemu-system-x86_64 -machine q35 -accel tcg \
	-cpu max,-smap -m 2048 -smp ${PVKIT_VM_SMP:-1} -display none -vga none -nic none -no-reboot \
	-monitor none -serial "file:$console" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-kernel xen -append "dom0_mem=1024M,max:1024M dom0_max_vcpus=${PVKIT_VM_SMP:-1} console=com1 com1=115200,8n1 noreboot" \
	-initrd "vmlinuz console=hvc0 earlyprintk=xen quiet loglevel=3,initrd.cpio.gz") \
	< /dev/null > "$work/qemu.out" 2>&1 &
qpid=$!
vm_qemu_wait

vm_report xen "$work" "$rc" "$secs"
pv_done

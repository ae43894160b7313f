# SPDX-License-Identifier: MIT
# Sourced by the host side of the VM tests (xen.sh, vfio.sh) after tests/lib.sh:
# prepares a run (packages, work folder, initramfs) and turns the console's
# "PVVM ..." markers into ok / not ok / skip lines.

# vm_setup LABEL INIT: skips when QEMU or the packages are missing; else sets
# $root (unpacked packages), $work (a temporary folder, removed on exit with
# QEMU $qpid killed) and builds $work/initrd.cpio.gz with INIT as /init.
vm_setup() {
	local label=$1 init=$2 cache=${PVKIT_VM_CACHE:-$HOME/.cache/pvkit/vm}
	if ! command -v qemu-system-x86_64 > /dev/null; then
		pv_skip "$label VM: qemu-system-x86_64 is not installed (make deps installs qemu-system-x86)"
		pv_done
	fi
	if ! root=$("$PV_TOP/tests/vm/fetch-debs.sh" "$cache"); then
		pv_skip "$label VM: could not download the Debian packages (apt-get download failed; see above)"
		pv_done
	fi
	work=$(mktemp -d "${TMPDIR:-/tmp}/pvkit-vm.XXXXXX")
	qpid=
	trap vm_cleanup EXIT
	if ! "$PV_TOP/tests/vm/mkinitrd-xen.sh" "$root" "$PVKIT_BUILD" "$work/initrd.cpio.gz" "$init"; then
		pv_fail "$label VM: building the initramfs"
		pv_done
	fi
}

# vm_qemu_wait: wait for QEMU ($qpid, started in the background with its
# timeout); sets $rc and $secs (since $start) and says how it ended.
vm_qemu_wait() {
	wait "$qpid"
	rc=$?
	qpid=
	secs=$(($(date +%s) - start))
	echo "# QEMU exited with status $rc after ${secs}s"
	[ $rc = 124 ] && echo "# QEMU was killed after the ${limit}s timeout"
}

# vm_boot_edu LABEL [QEMU ARGS...]: boot Debian's kernel from $root with
# $work/initrd.cpio.gz under QEMU (TCG) with an emulated Intel IOMMU
# (interrupt remapping on: VFIO needs it), QEMU's edu device and the extra
# arguments, for at most $limit seconds; then report. no_timer_check: under
# TCG on a loaded host the kernel's boot-time timer check can miss its ticks
# and panic ("timer doesn't work through Interrupt-remapped IO-APIC").
vm_boot_edu() {
	local label=$1 kernel bios=()
	shift
	kernel=$(ls "$root"/boot/vmlinuz-6.1*-amd64 | head -n 1)
	[ -f /usr/share/qemu/qboot.rom ] && bios=(-bios /usr/share/qemu/qboot.rom)
	start=$(date +%s)
	timeout -k 5 "$limit" qemu-system-x86_64 -machine q35 -accel tcg -cpu max -m 256 -smp 1 \
		"${bios[@]}" -display none -vga none -nic none -no-reboot -monitor none \
		-serial "file:$work/console.log" -device intel-iommu,intremap=on -device edu \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$kernel" \
		-initrd "$work/initrd.cpio.gz" \
		-append "console=ttyS0 intel_iommu=on no_timer_check panic=-1 quiet loglevel=3" "$@" \
		< /dev/null > "$work/qemu.out" 2>&1 &
	qpid=$!
	vm_qemu_wait
	vm_report "$label" "$work" "$rc" "$secs"
}

vm_cleanup() {
	[ -n "$qpid" ] && kill -KILL "$qpid" 2> /dev/null
	if [ "${PVKIT_VM_KEEP:-0}" = 1 ]; then echo "# kept $work"; else rm -rf "$work"; fi
}

#
#   vm_report LABEL WORK QEMU_STATUS SECONDS
# reads WORK/console.log (and WORK/qemu.out when the run did not finish);
# a "PVVM label NAME" line labels the results after it NAME (one boot, two
# sets of tests).
vm_report() {
	local label=$1 work=$2 rc=$3 secs=$4 line
	tr -d '\r' < "$work/console.log" > "$work/console.txt"
	while IFS= read -r line; do
		case "$line" in
		"PVVM label "*) label=${line#PVVM label } ;;
		"PVVM ok - "*) pv_ok "$label: ${line#PVVM ok - }" ;;
		"PVVM not ok - "*) pv_fail "$label: ${line#PVVM not ok - }" ;;
		"PVVM skip - "*) pv_skip "$label: ${line#PVVM skip - }" ;;
		esac
	done < <(grep -a '^PVVM \(\(not \)\?\(ok\|skip\) - \|label \)' "$work/console.txt")
	label=$1
	if grep -aq '^PVVM done' "$work/console.txt"; then
		pv_ok "$label VM ran to the end (${secs}s)"
	else
		pv_fail "$label VM did not finish (QEMU status $rc after ${secs}s); console tail:"
		tail -n 40 "$work/console.txt" | sed 's/^/#   /'
		cat "$work/qemu.out"
	fi
	if [ "${PVKIT_VM_VERBOSE:-0}" = 1 ] || [ "$PV_FAILED" != 0 ]; then
		echo "# console:"
		grep -av '^PVVM \(not \)\?\(ok\|skip\) - ' "$work/console.txt" | tail -n 200 |
			sed 's/^/#   /'
	fi
}

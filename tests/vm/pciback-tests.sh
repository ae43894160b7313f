# SPDX-License-Identifier: MIT
# Sourced by tests/vm/vfio-init once its VFIO tests are done (one boot for
# both, two of QEMU's edu devices, the VFIO modules loaded, a clean
# /run/pvkit): both edus to vfio-pci, pvkit host up, then
# pv-pciback-edu-test plays `pvkit pci-attach`'s guest at the protocol
# level and drives edu through pvkit-pciback; "PVVM ..." markers on the
# console.

# The BDFs of QEMU's edu devices (1234:11e8), one per line.
edus() {
	grep -l 0x11e8 /sys/bus/pci/devices/*/device | while read -r f; do
		d=${f%/device}
		[ "$(cat "$d/vendor")" = 0x1234 ] && basename "$d"
	done
}

pciback_tests() {
	bdf=$(edus | sed -n 1p)
	bdf2=$(edus | sed -n 2p)
	[ -n "$bdf" ] && [ -n "$bdf2" ] || { vm_fail "two edu devices present"; return; }
	for b in $bdf $bdf2; do
		vm_check "pvkit pci-assignable-add $b" pvkit pci-assignable-add "$b"
	done
	vm_check "pvkit host up (pvkit-pciback among the daemons)" pvkit host up
	vm_check "pvkit-pciback is up" sh -c 'pvkit host status | grep -Eq "^pvkit-pciback +[0-9]+ +up$"'
	vm_run pciback pv-pciback-edu-test /run/pvkit "$bdf" "$bdf2"
	if vm_wait_for 15 sh -c 'dmesg | grep -q "DMAR.*fault addr 0x2000000"'; then
		vm_ok "the IOMMU blocked the DMA past the guest's memory (DMAR fault at 0x2000000)"
	else
		vm_fail "no DMAR fault for the DMA past the guest's memory"
		dmesg | grep -i dmar | tail -n 8 | sed 's/^/  | /' # what was logged instead
	fi
	log=/run/pvkit/log/pvkit-pciback.log
	vm_check "pvkit-pciback released edu at detach" grep -q "$bdf released after" "$log"
	vm_check "pvkit-pciback released edu at pci-detach -f" \
		grep -q "$bdf: taken off the bus without the guest" "$log"
	vm_check "pvkit destroy edu-guest" pvkit destroy edu-guest
	vm_check "pvkit host down" pvkit host down
	for b in $bdf $bdf2; do
		vm_check "edu $b can go back to the host (VFIO let it go)" \
			pvkit pci-assignable-remove --rebind "$b"
	done
	sed 's/^/  pciback| /' "$log"
}


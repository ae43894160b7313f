#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pvkit pci-list-host / pci-assignable-* on a fake sysfs tree (PVKIT_SYSFS):
# listing with reasons, refusals a new user meets, and the driver_override
# writes of add and remove --rebind, one function or BB:DD.* (every
# function, together: a multi-function device's functions share their group).
. "$(dirname "$0")/../lib.sh"

S=$(mktemp -d) R=$(mktemp -d)
trap 'rm -rf "$S" "$R"' EXIT
export PVKIT_SYSFS=$S

drv() { mkdir -p "$S/bus/pci/drivers/$1"; : > "$S/bus/pci/drivers/$1/bind"; : > "$S/bus/pci/drivers/$1/unbind"; }
# dev BDF VENDOR DEVICE CLASS GROUP DRIVER
dev() {
	local d=$S/bus/pci/devices/$1
	mkdir -p "$d"
	printf '%s\n' "0x$2" > "$d/vendor"; printf '%s\n' "0x$3" > "$d/device"
	printf '%s\n' "0x$4" > "$d/class"; echo 0 > "$d/irq"; echo "(null)" > "$d/driver_override"
	python3 -c "import sys; c=bytearray(256); c[0:4]=bytes.fromhex('$2')[::-1]+bytes.fromhex('$3')[::-1]; c[9:12]=bytes.fromhex('$4')[::-1]; open('$d/config','wb').write(c)"
	if [ "$5" != - ]; then
		mkdir -p "$S/kernel/iommu_groups/$5/devices"
		ln -s "../../../../bus/pci/devices/$1" "$S/kernel/iommu_groups/$5/devices/$1"
		ln -s "../../../../kernel/iommu_groups/$5" "$d/iommu_group"
	fi
	if [ "$6" != - ]; then drv "$6"; ln -sfn "../../../../bus/pci/drivers/$6" "$d/driver"; fi
}
mkdir -p "$S/bus/pci/devices"; : > "$S/bus/pci/drivers_probe"
dev 0000:00:03.0 1234 11e8 00ff00 3 -
dev 0000:00:04.0 8086 10d3 020000 4 e1000e
dev 0000:00:04.1 8086 10d3 020000 4 e1000e
dev 0000:00:05.0 8086 2922 010601 - ahci

P=$PV_BIN/pvkit
out=$("$P" pci-list-host)
pv_check_eq "pci-list-host exits 0" 0 $?
echo "$out"
pv_check "edu is listed as assignable" grep -qE '^0000:00:03.0 +1234:11e8 .* yes ' <<< "$out"
pv_check "the NIC is not, naming its group sibling" grep -q "also holds 0000:00:04.1 (bound to e1000e)" <<< "$out"
pv_check "no IOMMU group is explained" grep -q "no IOMMU group" <<< "$out"
pv_check_eq "pci-assignable-list --all is pci-list-host" "$out" "$("$P" pci-assignable-list --all)"

msg=$("$P" --rundir "$R" pci-assignable-add 00:03.0 2>&1)
pv_check_eq "add without vfio-pci loaded fails" 1 $?
pv_check_eq "and says what to do" "pvkit pci-assignable-add: the vfio-pci driver is not loaded (try: modprobe vfio-pci)" "$msg"
drv vfio-pci
msg=$("$P" --rundir "$R" pci-assignable-add 0000:00:04.0 2>&1)
pv_check_eq "a non-viable group is refused" 1 $?
pv_check "with the reason" grep -q "make it assignable too" <<< "$msg"
"$P" --rundir "$R" pci-assignable-add 00:06.0 2>/dev/null
pv_check_eq "an absent device is refused" 1 $?
"$P" pci-assignable-add 2>/dev/null
pv_check_eq "no BDF is a usage error" 2 $?

pv_check "add edu" "$P" --rundir "$R" pci-assignable-add 00:03.0
pv_check_eq "driver_override is vfio-pci" vfio-pci "$(cat "$S/bus/pci/devices/0000:00:03.0/driver_override")"
pv_check_eq "the kernel is asked to probe it" 0000:00:03.0 "$(cat "$S/bus/pci/drivers_probe")"
ln -sfn ../../../../bus/pci/drivers/vfio-pci "$S/bus/pci/devices/0000:00:03.0/driver"   # what the kernel does
pv_check "pci-assignable-list shows it" grep -q '^0000:00:03.0' <<< "$("$P" pci-assignable-list)"
pv_check "remove --rebind" "$P" --rundir "$R" pci-assignable-remove --rebind 00:03.0
pv_check_eq "vfio-pci lets it go" 0000:00:03.0 "$(cat "$S/bus/pci/drivers/vfio-pci/unbind")"
pv_check_eq "driver_override is cleared" "" "$(cat "$S/bus/pci/devices/0000:00:03.0/driver_override")"

# BB:DD.*: the NIC's two functions are in one group, each blocks the other alone.
pv_check "add 00:04.*: both functions at once" "$P" --rundir "$R" pci-assignable-add 00:04.*
for f in 0 1; do
	pv_check_eq "00:04.$f: driver_override is vfio-pci" vfio-pci \
		"$(cat "$S/bus/pci/devices/0000:00:04.$f/driver_override")"
	ln -sfn ../../../../bus/pci/drivers/vfio-pci "$S/bus/pci/devices/0000:00:04.$f/driver"
done
pv_check_eq "pci-assignable-list shows both" "0000:00:04.0 0000:00:04.1" \
	"$("$P" pci-assignable-list | awk '/^0000:00:04/ {print $1}' | xargs)"
msg=$("$P" --rundir "$R" pci-assignable-add 00:07.* 2>&1)
pv_check_eq "00:07.*, no such device: exit 1" 1 $?
pv_check_eq "says so" "pvkit pci-assignable-add: 0000:00:07.*: no such PCI device on this host" "$msg"
# All or none on the way back too: with 00:04.1 away from vfio-pci, 00:04.0 stays.
ln -sfn ../../../../bus/pci/drivers/e1000e "$S/bus/pci/devices/0000:00:04.1/driver"
: >"$S/bus/pci/drivers/vfio-pci/unbind"
msg=$("$P" --rundir "$R" pci-assignable-remove --rebind 00:04.* 2>&1)
pv_check_eq "remove 00:04.* with 00:04.1 not with vfio-pci: exit 1" 1 $?
pv_check_eq "names it" "pvkit pci-assignable-remove: 0000:00:04.1: not assignable-bound (its driver is e1000e)" "$msg"
pv_check_eq "and gave back no function" "" "$(cat "$S/bus/pci/drivers/vfio-pci/unbind")"
pv_check_eq "00:04.0 keeps driver_override vfio-pci" vfio-pci \
	"$(cat "$S/bus/pci/devices/0000:00:04.0/driver_override")"
ln -sfn ../../../../bus/pci/drivers/vfio-pci "$S/bus/pci/devices/0000:00:04.1/driver"
pv_check "remove --rebind 00:04.*" "$P" --rundir "$R" pci-assignable-remove --rebind 00:04.*
pv_check_eq "e1000e is asked to take both back (the last write)" 0000:00:04.1 \
	"$(cat "$S/bus/pci/drivers/e1000e/bind")"
for f in 0 1; do
	pv_check_eq "00:04.$f: driver_override is cleared" "" \
		"$(cat "$S/bus/pci/devices/0000:00:04.$f/driver_override")"
done
pv_done

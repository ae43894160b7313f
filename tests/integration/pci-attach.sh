#!/bin/bash
# SPDX-License-Identifier: MIT
# pvkit pci-attach / pci-detach / pci-list and pci= in a guest config on the
# local platform, against a fake sysfs tree (PVKIT_SYSFS) and the real
# pvkit-pciback: devices that are not assignable are refused with the
# reason and nothing is written; a device pvkit-pciback cannot open through
# VFIO (no such IOMMU group here) fails with pvkit-pciback's own error and
# every node goes again; pci-list reads the bus as libxl keeps it; destroy
# removes libxl's records. The end-to-end run with a real device is
# tests/vm/vfio.sh.
. "$(dirname "$0")/../lib.sh"
PVKIT=$PV_BIN/pvkit
D=$(mktemp -d /tmp/pvkit-pciattach.XXXXXX)
S=$D/sys
P() { "$PVKIT" --rundir "$D" "$@"; }
cleanup() {
	P host down >/dev/null 2>&1
	rm -rf "$D"
}
trap cleanup EXIT
export XENSTORED_PATH=$D/xenstored.sock PVKIT_SYSFS=$S
unset PVKIT_RUNDIR PVKIT_DOMID
run() { "$@" >"$D/out" 2>"$D/err"; echo $?; }

if [ ! -x "$PV_BIN/pvkit-guest" ] || [ ! -x "$PV_BIN/pvkit-pciback" ]; then
	pv_skip "pvkit-guest or pvkit-pciback is not built"
	pv_done
fi

# The fake host: edu bound to vfio-pci (IOMMU group 9003, which /dev/vfio has not),
# a NIC still bound to its host driver, a two-function NIC bound to vfio-pci.
dev() {
	local d=$S/bus/pci/devices/$1
	mkdir -p "$d" "$S/bus/pci/drivers/$6" "$S/kernel/iommu_groups/$5/devices"
	printf '0x%s\n' "$2" >"$d/vendor"; printf '0x%s\n' "$3" >"$d/device"
	printf '0x%s\n' "$4" >"$d/class"; echo 0 >"$d/irq"; echo "(null)" >"$d/driver_override"
	head -c 256 /dev/zero >"$d/config"
	ln -s "../../../../bus/pci/devices/$1" "$S/kernel/iommu_groups/$5/devices/$1"
	ln -s "../../../../kernel/iommu_groups/$5" "$d/iommu_group"
	ln -sfn "../../../../bus/pci/drivers/$6" "$d/driver"
}
dev 0000:00:03.0 1234 11e8 00ff00 9003 vfio-pci
dev 0000:00:04.0 8086 10d3 020000 9004 e1000e
dev 0000:00:05.0 8086 1521 020000 9005 vfio-pci
dev 0000:00:05.1 8086 1521 020000 9005 vfio-pci

pv_check_eq "host up: exit 0" 0 "$(run P host up)"
pv_check "pvkit-pciback serves" grep -Eq "^pvkit-pciback +[0-9]+ +up$" <<<"$(P host status)"
cat >"$D/g1.cfg" <<-EOF
name = "g1"
memory = 16
init = "while :; do sleep 0.1; done"
EOF
pv_check_eq "create g1: exit 0" 0 "$(run P create -q "$D/g1.cfg")"
ID=$(cat "$D/out")
BE=/local/domain/0/backend/pci/$ID/0
FE=/local/domain/$ID/device/pci/0
nodes_gone() { ! xenstore-exists "$BE" 2>/dev/null && ! xenstore-exists "$FE" 2>/dev/null &&
	! xenstore-ls /libxl/pci 2>/dev/null | grep -q .; }

pv_check_eq "pci-list: exit 0" 0 "$(run P pci-list g1)"
pv_check_eq "pci-list of a guest without devices: the header only" "Vdev Device" "$(cat "$D/out")"

pv_check_eq "pci-attach of a device bound to a host driver: exit 1" 1 "$(run P pci-attach g1 00:04.0)"
pv_check_eq "says it is not assignable and what to run" \
	"pvkit pci-attach: pci 0: PCI device 0000:00:04.0 is not assignable (e1000e), run pvkit pci-assignable-add 0000:00:04.0" \
	"$(cat "$D/err")"
pv_check "nothing was written" nodes_gone
pv_check_eq "pci-attach of an absent device: exit 1" 1 "$(run P pci-attach g1 00:06.0)"
pv_check "says so" grep -q "PCI device 0000:00:06.0" "$D/err"
pv_check_eq "pci-attach of a bad spec: exit 1" 1 "$(run P pci-attach g1 00:03)"
pv_check "names the spec" grep -q "'00:03' is not a PCI address" "$D/err"
pv_check_eq "pci-attach without a spec: usage, exit 2" 2 "$(run P pci-attach g1)"
pv_check_eq "pci-attach to no such guest: exit 1" 1 "$(run P pci-attach nosuch 00:03.0)"

# Assignable as far as the toolstack sees, but VFIO has no such group: the backend says why.
pv_check_eq "pci-attach that pvkit-pciback cannot open: exit 1" 1 \
	"$(run P pci-attach --timeout 20 g1 00:03.0,permissive=1)"
cat "$D/err"
pv_check "pvkit-pciback's reason is shown" \
	grep -Eq "pvkit-pciback: .*exporting 0000:00:03.0: (cannot open /dev/vfio|VFIO|IOMMU group)" "$D/err"
pv_check "and that it was not attached" grep -q "PCI device 0000:00:03.0 was not attached" "$D/err"
pv_check "its nodes, both directories and libxl's record are gone" nodes_gone
pv_check "pvkit-pciback logged it" grep -q "exporting 0000:00:03.0" "$D/log/pvkit-pciback.log"
pv_check "pvkit-pciback still serves" grep -Eq "^pvkit-pciback +[0-9]+ +up$" <<<"$(P host status)"

# BB:DD.*: every function, as libxl adds them (7 down to 0), at the slot it needs.
pv_check_eq "pci-attach 00:05.* without a slot: exit 1" 1 "$(run P pci-attach g1 00:05.*)"
pv_check_eq "xl wants a slot for all functions" \
	"pvkit pci-attach: pci 0: 00:05.*: all functions need a guest slot (00:05.*@SLOT, SLOT 1 to 1f), as xl's" \
	"$(cat "$D/err")"
pv_check_eq "pci-attach 00:07.*@2, no such device: exit 1" 1 "$(run P pci-attach g1 00:07.*@2)"
pv_check "says so" grep -q "PCI device 0000:00:07.\*: no such PCI device on this host" "$D/err"
pv_check_eq "pci-attach 00:05.*@2 that pvkit-pciback cannot open: exit 1" 1 \
	"$(run P pci-attach --timeout 20 g1 00:05.*@2)"
pv_check "function 1 goes first, at 02.1: the backend's reason" \
	grep -Eq "pvkit-pciback: .*exporting 0000:00:05.1" "$D/err"
pv_check "and nothing more is tried" sh -c "! grep -q 0000:00:05.0 '$D/err'"
pv_check "pvkit-pciback logged it" \
	grep -q "exporting 0000:00:05.1" "$D/log/pvkit-pciback.log"
pv_check "its nodes are gone again" nodes_gone
pv_check_eq "pci-detach 00:05.* that the guest does not have: exit 1" 1 "$(run P pci-detach g1 00:05.*)"
pv_check_eq "says so" "pvkit pci-detach: PCI device 0000:00:05.* not attached to this domain (g1)" \
	"$(cat "$D/err")"

pv_check_eq "pci-detach of a device the guest does not have: exit 1" 1 "$(run P pci-detach g1 00:03.0)"
pv_check_eq "xl's words" "pvkit pci-detach: PCI device 0000:00:03.0 not attached to this domain (g1)" \
	"$(cat "$D/err")"
pv_check_eq "pci-detach of a bad BDF: exit 1" 1 "$(run P pci-detach g1 zz)"

# pci-list reads the bus where libxl keeps it: dev-N and the backend's vdev-N.
xenstore-write "/libxl/pci/0000-00-03-0/domid" "$ID" "$BE/num_devs" 2 "$BE/dev-0" 0000:00:03.0 \
	"$BE/vdev-0" 0000:00:00.00 "$BE/dev-1" 0000:00:04.0 "$BE/vdevfn-1" 2f
pv_check_eq "pci-list shows Vdev and Device" "Vdev Device
00.0 0000:00:03.0
05.7 0000:00:04.0" "$(P pci-list g1)"
pv_check_eq "pci-attach of a device the guest already has: exit 1" 1 \
	"$(run P pci-attach g1 00:03.0)"
xenstore-write "$BE/num_devs" 4 "$BE/dev-2" 0000:00:05.1 "$BE/vdevfn-2" 11 "$BE/dev-3" 0000:00:05.0 \
	"$BE/vdevfn-3" 10
pv_check_eq "pci-list: the functions of 00:05.* at 02.1 and 02.0" "Vdev Device
00.0 0000:00:03.0
05.7 0000:00:04.0
02.1 0000:00:05.1
02.0 0000:00:05.0" "$(P pci-list g1)"
pv_check "already attached" grep -q "PCI device 0000:00:03.0 is already attached to guest g1" "$D/err"
pv_check_eq "destroy g1: exit 0" 0 "$(run P destroy g1)"
pv_check "destroy removes the bus and libxl's record" nodes_gone

# pci= in a config: checked before anything is created.
cat >"$D/g2.cfg" <<-EOF
name = "g2"
memory = 16
pci = [ '00:03.0', '0000:00:04.0,permissive=1' ]
EOF
pv_check_eq "create with a device that is not assignable: exit 1" 1 "$(run P create -q "$D/g2.cfg")"
pv_check "says which and why" \
	grep -q "g2.cfg:3:.*pci 1: PCI device 0000:00:04.0 is not assignable (e1000e), run pvkit pci-assignable-add 0000:00:04.0" "$D/err"
pv_check "no guest was created" sh -c "! '$PVKIT' --rundir '$D' list | grep -q '^g2 '"
sed -i "s/'0000:00:04.0,permissive=1'/'00:05.*'/" "$D/g2.cfg"
pv_check_eq "create with 00:05.* and no slot: exit 1" 1 "$(run P create -q "$D/g2.cfg")"
pv_check "says where and what xl wants" \
	grep -q "g2.cfg:3:.*pci 1: 00:05.\*: all functions need a guest slot" "$D/err"
sed -i "s/'00:05.\*'/'00:05.*@3'/" "$D/g2.cfg"
pv_check_eq "create --dry-run with 00:05.*@3: exit 0" 0 "$(run P create -n "$D/g2.cfg")"
pv_check "keeps the spec as written" grep -q "00:05.\*@3'" "$D/out"
pv_check "three devices on the bus" grep -q "backend/pci/1/0/num_devs = \"3\"" "$D/out"
pv_check "function 1 at 03.1 before function 0 at 03.0" \
	sh -c "grep -q 'dev-1 = \"0000:00:05.1\"' '$D/out' && grep -q 'vdevfn-1 = \"19\"' '$D/out' &&
		grep -q 'dev-2 = \"0000:00:05.0\"' '$D/out' && grep -q 'vdevfn-2 = \"18\"' '$D/out'"
sed -i "s/'00:05.\*@3'/'00:03.0@2'/" "$D/g2.cfg"
pv_check_eq "create with the same device twice: exit 1" 1 "$(run P create -q "$D/g2.cfg")"
pv_check "says so" grep -q "pci 1: PCI device 0000:00:03.0 is already pci 0" "$D/err"
pv_check_eq "create --dry-run shows the pci list back" 0 "$(run P create -n "$D/g2.cfg")"
pv_check "with both specs" grep -q "00:03.0@2" "$D/out"
pv_done

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pvkit-pciback against a hostile frontend on the local platform: pvkitd,
# pvkit-xenstored and pvkit-pciback in domain 0, a fake sysfs whose device
# VFIO cannot open here, and tests/integration/pciback_hostile.c as the
# guest (wrong magic, missing grant, junk event channel, ops for no device,
# unknown ops, an event storm, close and reopen, Reconfiguring). The daemon
# must answer or close the bus each time, and still be running at the end;
# its counters (pvkit top) match the ops.
. "$(dirname "$0")/../lib.sh"

D=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
export PVKIT_RUNDIR=$D XENSTORED_PATH=$D/xenstored.sock PVKIT_SYSFS=$D/sys
unset PVKIT_DOMID

# edu, bound to vfio-pci as far as sysfs says, in an IOMMU group /dev/vfio has not.
B=0000:00:03.0
d=$D/sys/bus/pci/devices/$B
mkdir -p "$d" "$D/sys/bus/pci/drivers/vfio-pci" "$D/sys/kernel/iommu_groups/9003/devices"
echo 0x1234 >"$d/vendor"; echo 0x11e8 >"$d/device"; echo 0x00ff00 >"$d/class"
ln -s "../../../../bus/pci/devices/$B" "$D/sys/kernel/iommu_groups/9003/devices/$B"
ln -s ../../../../kernel/iommu_groups/9003 "$d/iommu_group"
ln -s ../../../../bus/pci/drivers/vfio-pci "$d/driver"

"$PV_BIN/pvkitd" --rundir "$D" --log "$D/pvkitd.log" 2>/dev/null & pids+=($!)
"$PV_BIN/pvkit-xenstored" --rundir "$D" --log "$D/xenstored.log" 2>/dev/null & pids+=($!)
pv_check "pvkitd and xenstored ready" pv_wait_for 5 test -S "$D/pvkitd.sock" -a -S "$D/xenstored.sock"
"$PV_BIN/pvkit-pciback" --rundir "$D" --log "$D/pciback.log" 2>>"$D/pciback.err" &
back=$!
pids+=($back)
pv_check "pvkit-pciback serves" pv_wait_for 5 grep -q "serving pci buses" "$D/pciback.log"

PATH=$PV_BIN:$PATH "$PV_BIN/pciback-hostile" "$D" "$B" >"$D/out" 2>&1
rc=$?
while IFS= read -r line; do
	case "$line" in
	"ok - "*) pv_ok "${line#ok - }" ;;
	"not ok - "*) pv_fail "${line#not ok - }" ;;
	*) echo "# $line" ;;
	esac
done <"$D/out"
pv_check_eq "the hostile frontend's run: exit 0" 0 "$rc"
pv_check "pvkit-pciback is still running" kill -0 $back
pv_check "it logged the refused ops" grep -q "op 0xdead is not implemented" "$D/pciback.log"
pv_check "and the version mismatch" grep -q "version mismatch" "$D/pciback.log"
dom=$(sed -n 's/^domid //p' "$D/out")
pv_check "pvkitd's death report reaches pvkit-pciback" \
	pv_wait_for 5 grep -q "domain $dom died: releasing its devices" "$D/pciback.log"
xenstore-rm "/local/domain/0/backend/pci/$dom" 2>/dev/null
pv_check "the bus goes when its directory goes" pv_wait_for 5 grep -q "removed after" "$D/pciback.log"
kill $back
wait $back
pv_check_eq "SIGTERM: exit 0" 0 $?
pv_check "no sanitizer or crash report" sh -c "! grep -Eq 'ERROR|runtime error|Segmentation' '$D/pciback.err'"
pv_done

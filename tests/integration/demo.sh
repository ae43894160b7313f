#!/bin/bash
# SPDX-License-Identifier: MIT
# make demo itself: every step of its report passes and it leaves nothing
# behind; a step made to fail (PVKIT_DEMO_FAIL_AT), or the disk step failing
# with the disk mounted (PVKIT_DEMO_STOP_MOUNTED), still leaves nothing.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || { pv_skip "make demo needs root"; pv_done; }
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT

# nothing_left WHY: no run directory, process, mount, namespace or bridge of the last run.
nothing_left() {
	local d ns left
	d=$(sed -n 's/^demo: run directory \([^,]*\), network namespace \(.*\)$/\1/p' "$OUT")
	ns=$(sed -n 's/^demo: run directory \([^,]*\), network namespace \(.*\)$/\2/p' "$OUT")
	pv_check "$1: the demo said where it ran" test -n "$d" -a -n "$ns"
	[ -n "$d" ] && [ -n "$ns" ] || return
	pv_check "$1: its run directory is gone" test ! -e "$d"
	pv_check_eq "$1: no mount of it is left" "" "$(grep -F "$d" /proc/mounts)"
	left=$(grep -lFf <(echo "$d") /proc/[0-9]*/cmdline 2>/dev/null)
	pv_check_eq "$1: no process of it is left (pvkit daemons, guest, nbdfuse)" "" "$left"
	pv_check "$1: its namespace $ns is deleted" sh -c "! ip netns list | grep -qw '$ns'"
	# Another demo may be running; a pvkit-demo namespace whose demo is gone is stale.
	left=
	for n in $(ip netns list | grep -o '^pvkit-demo-[0-9]*'); do
		kill -0 "${n#pvkit-demo-}" 2>/dev/null || left="$left $n"
	done
	pv_check_eq "$1: no stale pvkit-demo namespace" "" "$left"
	pv_check "$1: no bridge pvbr0 in the machine's namespace" sh -c "! ip link show pvbr0 2>/dev/null"
}

"$PV_TOP/tools/demo.sh" >"$OUT" 2>&1
rc=$?
[ $rc = 0 ] || sed 's/^/    | /' "$OUT"
pv_check_eq "the demo exits 0" 0 "$rc"
pv_check "the report says every step passed" grep -q "^demo: all 12 steps passed$" "$OUT"
pv_check_eq "no step failed or was left out" "" "$(grep -E '^ *[0-9]+  .*  (FAIL|-) ' "$OUT")"
for s in "start the host in netns" "make a fresh 64 MiB ext4 image" "make bridge pvbr0" \
	"create guest demo" "guest mounts its disk via NBD, writes a file" \
	"run a command over the guest's console" "hot-detach the disk (pvkit block-detach)" \
	"destroy the guest" "domain 0 reads the guest's file on the image (debugfs)" \
	"stop the host, delete the namespace"; do
	pv_check "report: PASS: $s" grep -qE "^ *[0-9]+  $(printf '%s' "$s" | sed 's/[().]/\\&/g').* PASS +[0-9]+ ms" "$OUT"
done
if [ -x "$PV_BIN/pvkit-netback" ]; then
	pv_check "report: PASS: the guest pinged domain 0" grep -qE "^ *7  guest: eth0 .* PASS " "$OUT"
	pv_check "the ping was answered" grep -q "3 packets transmitted, 3 .*received" "$OUT"
else
	pv_skip "ping over the vif (pvkit-netback is not built)"
fi
pv_check "the console answered from inside the guest" grep -qx "      | console-of-demo-says-42" "$OUT"
nothing_left "after the demo"

# Step 8 (the console) fails on purpose while the guest runs with its disk and vif.
PVKIT_DEMO_FAIL_AT=8 "$PV_TOP/tools/demo.sh" >"$OUT" 2>&1
rc=$?
pv_check_eq "a failed step: the demo exits 1" 1 "$rc"
pv_check "a failed step: the report says FAIL" grep -qE "^  8  run a command .* FAIL " "$OUT"
pv_check "a failed step: the later steps did not run" grep -qE "^ 10  destroy the guest .* - +not run" "$OUT"
pv_check "a failed step: the report says FAILED" grep -qx "demo: FAILED" "$OUT"
nothing_left "after a failed step"

# The guest's disk step fails with the disk still mounted (ext4 on a loop
# device over nbdfuse): the cleanup must not wedge the machine's loop devices.
PVKIT_DEMO_STOP_MOUNTED=1 timeout 120 "$PV_TOP/tools/demo.sh" >"$OUT" 2>&1
rc=$?
pv_check_eq "failed while mounted: the demo exits 1" 1 "$rc"
pv_check "failed while mounted: the report says FAIL" grep -qE "^  6  guest mounts .* FAIL " "$OUT"
pv_check "failed while mounted: loop devices still answer" timeout 20 losetup -a
nothing_left "after a failure while mounted"
pv_done

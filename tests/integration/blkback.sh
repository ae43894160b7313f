#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pvkit-blkback end to end under pvkitd and pvkit-xenstored: the test
# frontend (blkback-test) drives three disks, normal and hostile.
. "$(dirname "$0")/../lib.sh"

rundir=$(mktemp -d)
pid= xspid=
cleanup() {
	[ -n "$xspid" ] && kill "$xspid" 2>/dev/null && wait "$xspid" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$rundir"
}
trap cleanup EXIT

"$PV_BIN/pvkit-blkback" --help | grep -q -- --rundir
pv_check_eq "--help exits 0 and documents --rundir" 0 "${PIPESTATUS[0]}"
"$PV_BIN/pvkit-blkback" --no-such-option 2>/dev/null
pv_check_eq "a bad option exits 2" 2 $?

mkdir -p "$rundir/log"
"$PV_BIN/pvkitd" --rundir "$rundir" --log "$rundir/log/pvkitd.log" 2>/dev/null &
pid=$!
pv_check "pvkitd starts" pv_wait_for 5 test -S "$rundir/pvkitd.sock"
"$PV_BIN/pvkit-xenstored" --rundir "$rundir" 2>"$rundir/log/xenstored.err" &
xspid=$!
pv_check "pvkit-xenstored starts" pv_wait_for 5 test -S "$rundir/xenstored.sock"

timeout 120 "$PV_BIN/blkback-test" "$rundir" "$PV_BIN/pvkit-blkback" > "$rundir/out" 2>&1
rc=$?
while read -r line; do
	case "$line" in
	"ok - "*) pv_ok "${line#ok - }" ;;
	"not ok - "*) pv_fail "${line#not ok - }" ;;
	*) echo "# $line" ;;
	esac
done < "$rundir/out"
pv_check_eq "blkback-test exits 0" 0 $rc
[ $rc = 0 ] || sed 's/^/# blkback: /' "$rundir/log/pvkit-blkback.log" 2>/dev/null | tail -30
pv_done

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ring/gntpool.c against a real pvkitd: persistent grants between a guest
# and domain 0, revoke while mapped, and teardown of a destroyed guest.
. "$(dirname "$0")/../lib.sh"

rundir=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$rundir"
}
trap cleanup EXIT

"$PV_BIN/pvkitd" --rundir "$rundir" --log "$rundir/pvkitd.log" 2>/dev/null &
pid=$!
pv_check "pvkitd creates its socket" pv_wait_for 5 test -S "$rundir/pvkitd.sock"

"$PV_BIN/pvkit-test-gntpool" "$rundir" > "$rundir/out" 2>&1
rc=$?
while read -r line; do
	case "$line" in
	"ok - "*) pv_ok "${line#ok - }" ;;
	"not ok - "*) pv_fail "${line#not ok - }" ;;
	"PVTEST"*) ;;
	*) echo "# $line" ;;
	esac
done < "$rundir/out"
pv_check_eq "pvkit-test-gntpool exits 0" 0 $rc
pv_check "pvkitd survived" kill -0 "$pid"
pv_done

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# blkfront against a hostile fake backend (blkfront-hostile): bad response
# ids, a runaway producer index, odd statuses, a response with another
# operation, an event storm (XSA-332), silence then a vanished backend.
# Each must fail I/O with an error (the storm: I/O still works); nothing
# crashes or hangs.
. "$(dirname "$0")/../lib.sh"

D=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
export PVKIT_RUNDIR=$D XENSTORED_PATH=$D/xenstored.sock
"$PV_BIN/pvkitd" --rundir "$D" --log "$D/pvkitd.log" 2>/dev/null & pids+=($!)
"$PV_BIN/pvkit-xenstored" --rundir "$D" --log "$D/xenstored.log" 2>/dev/null & pids+=($!)
pv_check "pvkitd and xenstored ready" pv_wait_for 5 test -S "$D/pvkitd.sock" -a -S "$D/xenstored.sock"
dom=$("$PV_BIN/blkfront-test" mkdomain "$D" victim 32)
truncate -s 1M "$D/unused.img"
added=0
for i in 0 1 2 3 4 5 6 7; do
	"$PV_BIN/blkfront-test" addvbd "$D" "$dom" $((51712 + 16 * i)) "$D/unused.img" w && added=$((added + 1))
done
pv_check_eq "eight vbds added (no blkback: the test plays it)" 8 "$added"
timeout 120 "$PV_BIN/blkfront-hostile" "$D" "$dom" 51712 > "$D/out" 2>"$D/err"
rc=$?
while read -r line; do
	case "$line" in
	"ok - "*) pv_ok "${line#ok - }" ;;
	"not ok - "*) pv_fail "${line#not ok - }" ;;
	esac
done < "$D/out"
pv_check_eq "blkfront-hostile exits 0 (no crash, no hang)" 0 $rc
[ $rc = 0 ] || sed 's/^/# /' "$D/err" | tail -20
pv_check "blkfront logged the broken protocol" grep -q "broke the protocol" "$D/err"
pv_done

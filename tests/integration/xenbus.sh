#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The xenbus library against a real pvkit-xenstored in a private run directory.
. "$(dirname "$0")/../lib.sh"

D=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT

"$PV_BIN/pvkit-xenstored" --rundir "$D" --log "$D/xs.log" 2>/dev/null &
PID=$!
pv_check "xenstored ready" pv_wait_for 5 test -S "$D/xenstored.sock"
export PVKIT_RUNDIR=$D
unset XENSTORED_PATH PVKIT_DOMID

out=$("$PV_BIN/xenbus-test" 2>&1); rc=$?
echo "$out"
counts=$(echo "$out" | sed -n 's/^PVTEST passed=\([0-9]*\) failed=\([0-9]*\).*/\1 \2/p' | tail -n 1)
if [ -n "$counts" ]; then
	PV_PASSED=$((PV_PASSED + ${counts% *})) PV_FAILED=$((PV_FAILED + ${counts#* }))
	[ $rc = 0 ] || [ "${counts#* }" != 0 ] || pv_fail "xenbus-test exited $rc"
else
	pv_fail "xenbus-test printed no result (exit $rc)"
fi
pv_check "xenstored survived" kill -0 $PID
pv_done

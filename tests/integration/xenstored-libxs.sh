#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Starts pvkit-xenstored with small quotas and runs the C tests on
# libxenstore (three domains) and on raw sockets (hostile clients).
. "$(dirname "$0")/../lib.sh"

D=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT

"$PV_BIN/pvkit-xenstored" --rundir "$D" --log "$D/xs.log" --quota-nodes 40 --quota-watches 8 \
	--quota-transactions 4 --quota-node-size 512 --quota-output 16384 2>/dev/null &
PID=$!
pv_check "daemon ready" pv_wait_for 5 test -S "$D/xenstored.sock"
export PVKIT_RUNDIR=$D

run_c() {
	local out rc
	out=$("$@" 2>&1); rc=$?
	echo "$out"
	local counts
	counts=$(echo "$out" | sed -n 's/^PVTEST passed=\([0-9]*\) failed=\([0-9]*\).*/\1 \2/p' | tail -n 1)
	if [ -z "$counts" ]; then pv_fail "$1 printed no result (exit $rc)"; return; fi
	PV_PASSED=$((PV_PASSED + ${counts% *})) PV_FAILED=$((PV_FAILED + ${counts#* }))
	[ $rc = 0 ] || [ "${counts#* }" != 0 ] || pv_fail "$1 exited $rc"
}
run_c "$PV_BIN/xenstored-test-libxs"
run_c "$PV_BIN/xenstored-test-raw"

pv_check "dropped events were logged" grep -q "dropped" "$D/xs.log"
pv_check "daemon still running" kill -0 $PID
kill -TERM $PID && wait $PID
pv_check_eq "clean exit after the hostile clients" 0 $?
PID=
pv_done

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pvkit-blkback end to end under pvkitd and pvkit-xenstored: the test
# frontend (blkback-test) drives three disks, normal and hostile.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/blkback-lib.sh"

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

# The daemon built with ASan+UBSan when make check built it: the hostile
# requests, the storms and the connect/disconnect cycles with I/O in flight
# (XSA-350) run under the sanitizers; a report aborts the daemon.
if [ -x "$PVKIT_BUILD/asan/bin/pvkit-blkback" ]; then
	export BB_BLKBACK=$PVKIT_BUILD/asan/bin/pvkit-blkback
	export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	pv_ok "pvkit-blkback runs with ASan+UBSan"
fi

bb_start_platform
bb_run_test || sed 's/^/# blkback: /' "$rundir/log/pvkit-blkback.log" 2>/dev/null | tail -30
pv_check "no sanitizer report from blkback" \
	sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' '$rundir/out'"
pv_done

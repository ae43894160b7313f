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

bb_start_platform
bb_run_test || sed 's/^/# blkback: /' "$rundir/log/pvkit-blkback.log" 2>/dev/null | tail -30
pv_done

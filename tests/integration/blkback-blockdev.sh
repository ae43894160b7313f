#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pvkit-blkback with block devices as targets: two loop devices (512- and
# 4096-byte logical sectors) served to the test frontend. Needs root and
# loop devices; skipped otherwise.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/blkback-lib.sh"

rundir=$(mktemp -d)
pid= xspid= loops=()
cleanup() {
	[ -n "$xspid" ] && kill "$xspid" 2>/dev/null && wait "$xspid" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done
	rm -rf "$rundir"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ] || ! command -v losetup >/dev/null; then
	pv_skip "block devices: needs root and losetup"
	pv_done
fi
for ss in 512 4096; do
	truncate -s 8M "$rundir/loop$ss.img"
	l=$(losetup -f --show --sector-size "$ss" "$rundir/loop$ss.img" 2>/dev/null) || break
	loops+=("$l")
done
if [ ${#loops[@]} != 2 ]; then
	pv_skip "block devices: no free loop device"
	pv_done
fi

bb_start_platform
bb_run_test "${loops[0]}" "${loops[1]}"
pv_done

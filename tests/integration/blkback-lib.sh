# SPDX-License-Identifier: MIT
# Shared by the blkback integration scripts (sourced after tests/lib.sh):
# start pvkitd and pvkit-xenstored in $rundir, relay blkback-test's lines.

# bb_start_platform: sets $pid and $xspid (the caller's trap kills them).
bb_start_platform() {
	mkdir -p "$rundir/log"
	"$PV_BIN/pvkitd" --rundir "$rundir" --log "$rundir/log/pvkitd.log" 2>/dev/null &
	pid=$!
	pv_check "pvkitd starts" pv_wait_for 5 test -S "$rundir/pvkitd.sock"
	"$PV_BIN/pvkit-xenstored" --rundir "$rundir" 2>"$rundir/log/xenstored.err" &
	xspid=$!
	pv_check "pvkit-xenstored starts" pv_wait_for 5 test -S "$rundir/xenstored.sock"
}

# bb_run_test ARGS...: run blkback-test RUNDIR BLKBACK ARGS... (BLKBACK is
# $BB_BLKBACK or the plain build), count its ok / not ok lines; returns its
# exit status.
bb_run_test() {
	local rc line
	timeout 120 "$PV_BIN/blkback-test" "$rundir" "${BB_BLKBACK:-$PV_BIN/pvkit-blkback}" "$@" \
		> "$rundir/out" 2>&1
	rc=$?
	while read -r line; do
		case "$line" in
		"ok - "*) pv_ok "${line#ok - }" ;;
		"not ok - "*) pv_fail "${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done < "$rundir/out"
	pv_check_eq "blkback-test exits 0" 0 $rc
	return $rc
}

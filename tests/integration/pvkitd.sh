#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pvkitd end to end: its command line, then the platform tests (grants,
# copy, event channels, domains, hostile clients) against a real pvkitd.
. "$(dirname "$0")/../lib.sh"

rundir=$(mktemp -d)
pid= xspid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$xspid" ] && kill "$xspid" 2>/dev/null && wait "$xspid" 2>/dev/null
	rm -rf "$rundir"
}
trap cleanup EXIT

"$PV_BIN/pvkitd" --help | grep -q -- --rundir
pv_check_eq "--help exits 0 and documents --rundir" 0 "${PIPESTATUS[0]}"
"$PV_BIN/pvkitd" --no-such-option 2>/dev/null
pv_check_eq "a bad option exits 2" 2 $?

"$PV_BIN/pvkitd" --rundir "$rundir" --log "$rundir/pvkitd.log" 2>/dev/null &
pid=$!
pv_check "pvkitd creates its socket" pv_wait_for 5 test -S "$rundir/pvkitd.sock"
"$PV_BIN/pvkitd" --rundir "$rundir" 2>/dev/null
pv_check_eq "a second pvkitd on the same run directory exits 1" 1 $?

# With pvkit-xenstored beside it, a domain's death reaches xenstored as a RELEASE.
if [ -x "$PV_BIN/pvkit-xenstored" ]; then
	"$PV_BIN/pvkit-xenstored" --rundir "$rundir" 2>"$rundir/xenstored.err" &
	xspid=$!
	pv_check "pvkit-xenstored starts beside pvkitd" pv_wait_for 5 test -S "$rundir/xenstored.sock"
fi

PVKIT_PLATFORM=local "$PV_BIN/pvkit-test-platform" -r "$rundir" > "$rundir/out" 2>&1
rc=$?
grep -v "^PVTEST" "$rundir/out"
while read -r line; do
	case "$line" in
	"ok - "*) pv_ok "${line#ok - }" ;;
	"not ok - "*) pv_fail "${line#not ok - }" ;;
	esac
done < "$rundir/out"
pv_check_eq "pvkit-test-platform exits 0" 0 $rc

pv_check "pvkitd is still running" kill -0 "$pid"
kill -TERM "$pid"
wait "$pid"
pv_check_eq "SIGTERM: clean exit 0" 0 $?
pid=
pv_check "the socket is gone after shutdown" test ! -e "$rundir/pvkitd.sock"
pv_check "the log file names the domains it ran" grep -q "pvtest-guest" "$rundir/pvkitd.log"
pv_done

# SPDX-License-Identifier: MIT
# Helpers for shell integration tests. Source it, call pv_ok / pv_fail /
# pv_check / pv_skip for each assertion, and pv_done at the end: it prints
# the "PVTEST passed=N failed=M skipped=K" line and exits non-zero on failure.
PV_PASSED=0 PV_FAILED=0 PV_SKIPPED=0
PV_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${PVKIT_BUILD:=$PV_TOP/build}"
PV_BIN=$PVKIT_BUILD/bin

pv_ok() { PV_PASSED=$((PV_PASSED + 1)); echo "ok - $*"; }
pv_fail() { PV_FAILED=$((PV_FAILED + 1)); echo "not ok - $*"; }
pv_skip() { PV_SKIPPED=$((PV_SKIPPED + 1)); echo "skip - $*"; }

# pv_check "description" command...: passes when the command exits 0.
pv_check() {
	local desc=$1; shift
	if "$@"; then pv_ok "$desc"; else pv_fail "$desc (exit $?: $*)"; fi
}

# pv_check_eq "description" expected actual
pv_check_eq() {
	if [ "$2" = "$3" ]; then pv_ok "$1"; else pv_fail "$1: expected '$2', got '$3'"; fi
}

# pv_wait_for SECONDS command...: polls until the command succeeds.
pv_wait_for() {
	local limit=$(( $1 * 10 )) i=0; shift
	while ! "$@" 2>/dev/null; do
		i=$((i + 1)); [ $i -ge $limit ] && return 1
		sleep 0.1
	done
}

# pv_check_exit "description" SECONDS STATUS PID: the shell's child PID
# exits within SECONDS with exit status STATUS. Else it is killed (-KILL:
# one that did not exit may not heed SIGTERM either) and that is the one
# failure.
pv_check_exit() {
	local desc=$1 secs=$2 want=$3 pid=$4 rc
	if ! pv_wait_for "$secs" bash -c "! kill -0 $pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		pv_fail "$desc: still running after $secs s (killed)"
		return 1
	fi
	wait "$pid"
	rc=$?
	pv_check_eq "$desc" "$want" "$rc"
}

# pv_local_platform: a private run directory $D with pvkitd and
# pvkit-xenstored ($xspid) serving it; PVKIT_RUNDIR and XENSTORED_PATH name
# it. At exit every pid in the array pids (theirs included) is killed and
# $D removed.
pv_local_platform() {
	D=$(mktemp -d)
	pids=()
	trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$D"' EXIT
	export PVKIT_RUNDIR=$D XENSTORED_PATH=$D/xenstored.sock
	unset PVKIT_DOMID
	"$PV_BIN/pvkitd" --rundir "$D" --log "$D/pvkitd.log" 2>/dev/null &
	pids+=($!)
	"$PV_BIN/pvkit-xenstored" --rundir "$D" --log "$D/xenstored.log" 2>/dev/null &
	xspid=$!
	pids+=($xspid)
	pv_check "pvkitd and xenstored ready" pv_wait_for 5 test -S "$D/pvkitd.sock" -a -S "$D/xenstored.sock"
}

pv_done() {
	echo "PVTEST passed=$PV_PASSED failed=$PV_FAILED skipped=$PV_SKIPPED"
	[ $PV_FAILED = 0 ]
	exit
}

# SPDX-License-Identifier: MIT
# Shared set-up for the console integration tests (sourced, not run):
# pvkitd, pvkit-xenstored and pvkit-consoled under a fresh run directory,
# guests made by test-console-guest, and cleanup of all of it on exit.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

D=$(mktemp -d /tmp/pvkit-console-test.XXXXXX)
PIDS=()
CONSOLED=
TMUX_SOCK=pvkit-console-$$
cleanup() {
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	for p in "${PIDS[@]}" $CONSOLED; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT

# start_platform: pvkitd and pvkit-xenstored, ready.
start_platform() {
	"$PV_BIN/pvkitd" --rundir "$D" >"$D/pvkitd.out" 2>&1 &
	PIDS+=($!)
	"$PV_BIN/pvkit-xenstored" --rundir "$D" >"$D/xenstored.out" 2>&1 &
	PIDS+=($!)
	pv_wait_for 10 test -S "$D/pvkitd.sock" && pv_wait_for 10 test -S "$D/xenstored.sock"
}

# start_consoled [OPTION...]: (re)start the daemon; $CONSOLED is its pid.
start_consoled() {
	"$PV_BIN/pvkit-consoled" --rundir "$D" "$@" >>"$D/consoled.out" 2>&1 &
	CONSOLED=$!
	pv_wait_for 10 grep -q "serving consoles" "$D/consoled.out"
}

# start_guest NAME [test-console-guest options] [-- command...]: sets $DOMID and $GUEST (pid).
start_guest() {
	local name=$1; shift
	"$PV_BIN/test-console-guest" --rundir "$D" --name "$name" "$@" >"$D/$name.out" 2>&1 &
	GUEST=$!
	PIDS+=($GUEST)
	pv_wait_for 10 grep -q '^domid ' "$D/$name.out" || return 1
	DOMID=$(sed -n 's/^domid //p' "$D/$name.out")
}

# vmrss PID: resident memory in KiB.
vmrss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# pv_require "description" command...: like pv_check, but stops the test on failure.
pv_require() {
	local desc=$1; shift
	if "$@"; then pv_ok "$desc"; else pv_fail "$desc (exit $?: $*)"; pv_done; fi
}

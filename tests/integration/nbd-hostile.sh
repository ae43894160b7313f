#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hostile NBD clients (raw protocol, from pvkit-nbd-probe) against the
# export: each gets its error or a hang-up, and the server keeps serving.
source "$(dirname "$0")/../lib.sh"

T=$(mktemp -d)
SERVER= SERVER2=
cleanup() {
	[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null
	[ -n "$SERVER2" ] && kill "$SERVER2" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# Count each "ok - " / "not ok - " line of the probe as one result.
count_probe() {
	local line
	while read -r line; do
		case "$line" in
		"ok - "*) pv_ok "${line#ok - }" ;;
		"not ok - "*) pv_fail "${line#not ok - }" ;;
		esac
	done < "$T/probe.out"
}

truncate -s 16M "$T/disk"
"$PV_BIN/pvkit-nbd-file" --socket "$T/nbd.sock" --file "$T/disk" 2>"$T/server.log" &
SERVER=$!
pv_check "server starts" pv_wait_for 5 test -S "$T/nbd.sock"

timeout 60 "$PV_BIN/pvkit-nbd-probe" hostile "$T/nbd.sock" > "$T/probe.out"
rc=$?
count_probe
pv_check_eq "probe exit status" 0 "$rc"

# A second server allowing three clients.
"$PV_BIN/pvkit-nbd-file" --socket "$T/max.sock" --file "$T/disk" --max-clients 3 2>"$T/max.log" &
SERVER2=$!
pv_check "server with --max-clients 3 starts" pv_wait_for 5 test -S "$T/max.sock"
timeout 30 "$PV_BIN/pvkit-nbd-probe" max-clients "$T/max.sock" 3 > "$T/probe.out"
rc=$?
count_probe
pv_check_eq "max-clients probe exit status" 0 "$rc"
kill "$SERVER2"
pv_check "server alive" kill -0 "$SERVER"
pv_check "nbdinfo after the hostile clients" timeout 10 nbdinfo "nbd+unix:///?socket=$T/nbd.sock"
pv_done

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hostile NBD clients (raw protocol, from pvkit-nbd-probe) against the
# export: each gets its error or a hang-up, and the server keeps serving.
source "$(dirname "$0")/../lib.sh"

T=$(mktemp -d)
SERVER=
cleanup() {
	[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

truncate -s 16M "$T/disk"
"$PV_BIN/pvkit-nbd-file" --socket "$T/nbd.sock" --file "$T/disk" 2>"$T/server.log" &
SERVER=$!
pv_check "server starts" pv_wait_for 5 test -S "$T/nbd.sock"

timeout 60 "$PV_BIN/pvkit-nbd-probe" hostile "$T/nbd.sock" > "$T/probe.out"
rc=$?
while read -r line; do
	case "$line" in
	"ok - "*) pv_ok "${line#ok - }" ;;
	"not ok - "*) pv_fail "${line#not ok - }" ;;
	esac
done < "$T/probe.out"
pv_check_eq "probe exit status" 0 "$rc"
pv_check "server alive" kill -0 "$SERVER"
pv_check "nbdinfo after the hostile clients" timeout 10 nbdinfo "nbd+unix:///?socket=$T/nbd.sock"
pv_done

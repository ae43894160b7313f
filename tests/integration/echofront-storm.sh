#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# echofront (pvkit-guest) against a backend that storms it (XSA-332/391):
# 200000 notifications with no response once the device is Connected.
# echofront counts them and backs off as the other frontends do
# (pvkit/evstorm.h), stays Connected and moves data afterwards; its
# counters file (<rundir>/dom/N/stats/echo-N-0) says what it counted.
. "$(dirname "$0")/../lib.sh"

pv_local_platform
EC=$PV_BIN/echo-client
N=200000
# The backend: pvkit-echoback's device code, storming the first device to connect.
"$EC" serve "$D" $N >"$D/serve.out" 2>"$D/serve.err" &
pids+=($!)
pv_check "the storming backend serves" pv_wait_for 5 grep -qx serving "$D/serve.out"
dom=$("$EC" mkdomain "$D" g1)
pv_check "echo device added" "$EC" adddev "$D" "$dom" 0
"$PV_BIN/pvkit-guest" --domid "$dom" --rundir "$D" --no-console --log "$D/guest.log" 2>>"$D/guest.err" &
guest=$!
pids+=($guest)
FE=/local/domain/$dom/device/echo/0
pv_check "the storm: $N notifications sent" pv_wait_for 60 grep -qx "storm sent $N" "$D/serve.out"

C=$D/dom/$dom/stats/echo-$dom-0
field() { "$EC" counters "$C" | sed -n "s/^$1=//p"; }
pv_check "echofront's counters file" "$EC" counters "$C"
sleep 0.2 # the last wake-up's count
spurious=$(field spurious)
echo "# echofront: ${spurious:-no} spurious wake-ups for $N notifications"
pv_check "echofront counts the spurious notifications" test "${spurious:-0}" -gt 0
pv_check "echofront backs off (fewer than 1 spurious wake-up in 50 notifications)" \
	test $(( ${spurious:-$N} * 50 )) -lt $N
pv_check "echofront logged the back-off" grep -q "spurious notifications from the backend: backing off" "$D/guest.log"
pv_check_eq "echofront still Connected" 4 "$(xenstore-read "$FE/state" 2>/dev/null)"
pv_check "1000 round trips after the storm" "$EC" run "$D/dom/$dom/echo-0.sock" 1000
pv_check_eq "counters: 1000 requests" 1000 "$(field requests)"
in=$(field bytes_in) out=$(field bytes_out)
pv_check "counters: bytes in and out, equal ($in, $out)" test "${in:-0}" -gt 0 -a "$in" = "$out"
pv_check_eq "counters: no errors" 0 "$(field errors)"
pv_check "pvkit-guest is alive" kill -0 $guest
kill -TERM $guest
pv_check_exit "pvkit-guest exits 0 on SIGTERM" 10 0 $guest
pv_check "the counters file goes with the device" test ! -e "$C"
pv_done

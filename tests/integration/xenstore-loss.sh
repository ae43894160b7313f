#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pvkit-xenstored dies under running daemons and a running guest.
# pvkit-blkback, pvkit-netback and pvkit-pciback notice within a second or
# two, log it and exit 1, for their supervisor (systemd's
# Restart=on-failure) to start them again (echo.sh and console.sh check
# pvkit-echoback and pvkit-consoled). pvkit-guest does as a Xen domU does:
# it logs the loss once and its connected device goes on moving data (its
# backend here is echo-client serve, which, as a Xen kernel backend does,
# outlives xenstored), without spinning, and it stops cleanly on SIGTERM.
. "$(dirname "$0")/../lib.sh"

pv_local_platform
export PVKIT_SYSFS=$D/sys
mkdir -p "$D/sys/bus/pci/devices" # pciback: no device to hold
EC=$PV_BIN/echo-client

declare -A back
for b in blkback netback pciback; do
	"$PV_BIN/pvkit-$b" --rundir "$D" --log "$D/$b.log" 2>>"$D/$b.err" &
	back[$b]=$!
	pids+=($!)
done
for b in blkback netback pciback; do
	pv_check "pvkit-$b serves" pv_wait_for 10 grep -q "serving" "$D/$b.log"
done

"$EC" serve "$D" >"$D/serve.out" 2>"$D/serve.err" &
pids+=($!)
pv_check "the echo backend serves" pv_wait_for 5 grep -qx serving "$D/serve.out"
dom=$("$EC" mkdomain "$D" g1)
pv_check "domain g1 created" test -n "$dom"
pv_check "echo device added" "$EC" adddev "$D" "$dom" 0
"$PV_BIN/pvkit-guest" --domid "$dom" --rundir "$D" --no-console --log "$D/guest.log" 2>>"$D/guest.err" &
guest=$!
pids+=($guest)
state() { xenstore-read "$1/state" 2>/dev/null; }
connected() { [ "$(state "$1")" = 4 ] && [ "$(state "$2")" = 4 ]; }
pv_check "the echo device connects" \
	pv_wait_for 10 connected "/local/domain/$dom/device/echo/0" "/local/domain/0/backend/echo/$dom/0"
SOCK=$D/dom/$dom/echo-0.sock
pv_check "500 round trips before" "$EC" run "$SOCK" 500

# A client streams while xenstored dies.
"$EC" run "$SOCK" 20000 >"$D/stream.out" 2>&1 &
client=$!
sleep 0.3
pv_check "the client is mid-stream when xenstored is killed" kill -0 $client
kill $xspid; wait $xspid 2>/dev/null

for b in blkback netback pciback; do
	pv_check_exit "xenstored gone: pvkit-$b exits 1" 10 1 "${back[$b]}"
	pv_check "pvkit-$b logged the lost connection" grep -q "xenstore connection lost: exiting" "$D/$b.log"
done

pv_check "pvkit-guest logged the lost connection" \
	pv_wait_for 10 grep -q "xenstore connection lost" "$D/guest.log"
pv_check_eq "... once" 1 "$(grep -c "xenstore connection lost" "$D/guest.log")"
pv_check "the echo backend lost xenstore too" pv_wait_for 10 grep -qx "xenstore lost" "$D/serve.out"
wait $client
pv_check_eq "the stream across xenstored's death: every round trip verified" 0 $?
cat "$D/stream.out"
pv_check "pvkit-guest runs on" kill -0 $guest
pv_check "500 round trips on a new connection after the loss" "$EC" run "$SOCK" 500

# No spinning on the dead connection: the guest's CPU time over 3 s of
# idling stays far below what a loop would take (clock ticks, USER_HZ).
cpu() { awk '{ print $14 + $15 }' "/proc/$guest/stat"; }
t0=$(cpu)
sleep 3
t1=$(cpu)
hz=$(getconf CLK_TCK)
pv_check "pvkit-guest idles after the loss ($((t1 - t0)) ticks of CPU in 3 s, bound $((hz / 2)))" \
	test $((t1 - t0)) -le $((hz / 2))
pv_check_eq "... once, still" 1 "$(grep -c "xenstore connection lost" "$D/guest.log")"

kill -TERM $guest
pv_check_exit "SIGTERM after the loss: pvkit-guest exits 0" 10 0 $guest
pv_check "pvkit-guest logged its stop" grep -q "stopped" "$D/guest.log"
pv_check "no crash or sanitizer report from the guest" \
	sh -c "! grep -Eq 'ERROR|runtime error|Segmentation|Aborted' '$D/guest.err'"
pv_done

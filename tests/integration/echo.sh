#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The echo template device end to end on the local platform: pvkitd,
# pvkit-xenstored, pvkit-echoback in domain 0, pvkit-guest as domain N.
# Handshake, verified data, backend kill -9 and restart under traffic,
# hot-unplug and replug, a hostile frontend beside a good guest, and
# xenstored's death (the backend exits 1).
. "$(dirname "$0")/../lib.sh"

D=$(mktemp -d)
pids=()
backpid=
cleanup() {
	for p in "${pids[@]}" $backpid; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
export PVKIT_RUNDIR=$D XENSTORED_PATH=$D/xenstored.sock
EC=$PV_BIN/echo-client

"$PV_BIN/pvkitd" --rundir "$D" --log "$D/pvkitd.log" 2>/dev/null & pids+=($!)
"$PV_BIN/pvkit-xenstored" --rundir "$D" --log "$D/xenstored.log" 2>/dev/null & pids+=($!)
pv_check "pvkitd and xenstored ready" pv_wait_for 5 test -S "$D/pvkitd.sock" -a -S "$D/xenstored.sock"
start_back() {
	"$PV_BIN/pvkit-echoback" --rundir "$D" --log "$D/echoback.log" 2>>"$D/echoback.err" &
	backpid=$!
}
start_back

state() { xenstore-read "$1/state" 2>/dev/null; }
connected() { [ "$(state "$1")" = 4 ] && [ "$(state "$2")" = 4 ]; }

dom=$("$EC" mkdomain "$D" g1)
pv_check "domain g1 created" test -n "$dom"
pv_check "echo device added" "$EC" adddev "$D" "$dom" 0
"$PV_BIN/pvkit-guest" --domid "$dom" --rundir "$D" --no-console --log "$D/guest.log" 2>>"$D/guest.err" &
pids+=($!)
guestpid=$!
FE=/local/domain/$dom/device/echo/0 BE=/local/domain/0/backend/echo/$dom/0
pv_check "both halves reach Connected" pv_wait_for 10 connected "$FE" "$BE"
SOCK=$D/dom/$dom/echo-0.sock
pv_check "the guest exports its echo socket" test -S "$SOCK"
pv_check "2000 round trips verified" "$EC" run "$SOCK" 2000

# Backend kill -9 while a client is mid-stream: requests are re-issued, none lost.
"$EC" run "$SOCK" 20000 > "$D/stream.out" 2>&1 &
client=$!
sleep 0.3
# The point of the step: the backend dies while the client is still streaming.
pv_check "the client is mid-stream when the backend is killed" kill -0 $client
kill -9 $backpid; wait $backpid 2>/dev/null
start_back
wait $client
pv_check_eq "kill -9 of the backend under traffic: every round trip verified" 0 $?
cat "$D/stream.out"
pv_check "reconnected after the restart" pv_wait_for 10 connected "$FE" "$BE"
pv_check "1000 more round trips after the restart" "$EC" run "$SOCK" 1000

# The reconnect contract (pvkit/xenbus.h): the backend closing makes the
# frontend Closed, and it stays Closed (Initialising would undo a removal)
# until the backend is back in InitWait, here by its restart.
xenstore-write "$BE/state" 5
pv_check "backend Closing: the frontend closes" pv_wait_for 10 sh -c "[ \"\$(xenstore-read $FE/state)\" = 6 ]"
pv_check "and the backend follows (Closed)" pv_wait_for 10 sh -c "[ \"\$(xenstore-read $BE/state)\" = 6 ]"
sleep 1
pv_check_eq "the frontend stays Closed (no Initialising)" "6 6" "$(state "$FE") $(state "$BE")"
kill $backpid; wait $backpid 2>/dev/null
start_back
pv_check "the restarted backend's InitWait: both Connected again" pv_wait_for 10 connected "$FE" "$BE"
pv_check "1000 round trips after the reconnect from Closed" "$EC" run "$SOCK" 1000

# Hot-unplug: the toolstack removes both halves; then plugs a new device in.
xenstore-rm "$BE"; xenstore-rm "$FE"
pv_check "unplug: the guest drops the socket" pv_wait_for 10 test ! -e "$SOCK"
pv_check "replug as devid 1" "$EC" adddev "$D" "$dom" 1
pv_check "devid 1 connects" pv_wait_for 10 connected "/local/domain/$dom/device/echo/1" "/local/domain/0/backend/echo/$dom/1"
pv_check "devid 1 moves data" "$EC" run "$D/dom/$dom/echo-1.sock" 500

# A hostile frontend in another domain: refused requests, then a closed device.
bad=$("$EC" mkdomain "$D" bad)
pv_check "hostile domain's device added" "$EC" adddev "$D" "$bad" 0
"$EC" hostile "$D" "$bad" 0 > "$D/hostile.out" 2>&1
hrc=$?
while read -r line; do
	case "$line" in
	"ok - "*) pv_ok "hostile: ${line#ok - }" ;;
	"not ok - "*) pv_fail "hostile: ${line#not ok - }" ;;
	esac
done < "$D/hostile.out"
pv_check_eq "hostile driver exits 0" 0 $hrc
pv_check "the backend logged the refused requests" grep -q "refused" "$D/echoback.log"
pv_check "echoback survived the hostile frontend" kill -0 $backpid
pv_check "the good guest still moves data" "$EC" run "$D/dom/$dom/echo-1.sock" 500

# Orderly guest shutdown: its device closes, the domain goes away.
kill -TERM $guestpid; wait $guestpid
pv_check_eq "pvkit-guest exits 0 on SIGTERM" 0 $?
closed() { [ "$(state "/local/domain/$dom/device/echo/1")" = 6 ]; }
pv_check "the frontend is Closed after shutdown" pv_wait_for 5 closed

# xenstored goes away: the backend says so and exits 1, for its supervisor
# (systemd's Restart=on-failure) to start it again.
kill "${pids[1]}"; wait "${pids[1]}" 2>/dev/null
pv_check_exit "xenstored gone: echoback exits 1" 10 1 $backpid
backpid=
pv_check "echoback logged the lost connection" grep -q "xenstore connection lost" "$D/echoback.log"
pv_done

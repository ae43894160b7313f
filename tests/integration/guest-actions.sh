#!/bin/bash
# SPDX-License-Identifier: MIT
# on_poweroff / on_crash against the real daemons: restart (the same
# configuration again, a new domid; a guest that keeps ending quickly is
# given up), preserve (the domain stays with its devices, state ---s--,
# until destroy), and xl's other actions rejected by name.
. "$(dirname "$0")/../lib.sh"
PVKIT=$PV_BIN/pvkit
D=$(mktemp -d /tmp/pvkit-actions.XXXXXX)
P() { "$PVKIT" --rundir "$D" "$@"; }
cleanup() {
	P host down >/dev/null 2>&1
	rm -rf "$D"
}
trap cleanup EXIT
export XENSTORED_PATH=$D/xenstored.sock
unset PVKIT_RUNDIR PVKIT_DOMID
run() { "$@" >"$D/out" 2>"$D/err"; echo $?; }
# domid NAME: the running guest's domid, or nothing.
domid() { P list 2>/dev/null | awk -v n="$1" '$1 == n {print $2}'; }
state() { P list 2>/dev/null | awk -v n="$1" '$1 == n {print $5}'; }
# restarted NAME OLD-ID: a guest NAME with another domid runs, and the
# monitor's create of it has finished (it prints the domid in the log).
restarted() {
	local n
	n=$(domid "$1")
	[ -n "$n" ] && [ "$n" != "$2" ] && grep -qx "$n" "$D/log/guest-$1.log"
}

if [ ! -x "$PV_BIN/pvkit-guest" ]; then
	pv_skip "pvkit-guest is not built"
	pv_done
fi
cat >"$D/g.cfg" <<EOF
name = "ga"
memory = 64
init = "sleep 600"
EOF

# --- rejected by name ----------------------------------------------------------
for a in coredump-destroy coredump-restart rename-restart soft-reset; do
	pv_check_eq "on_crash=$a: create exits 1" 1 "$(run P create -n "$D/g.cfg" "on_crash=$a")"
	pv_check "on_crash=$a: rejected by name" grep -q \
		"on_crash = $a: not implemented by pvkit (use destroy, restart or preserve)" "$D/err"
done
pv_check_eq "on_poweroff=explode: create exits 1" 1 "$(run P create -n "$D/g.cfg" on_poweroff=explode)"
pv_check "on_poweroff=explode: the values pvkit takes" grep -q \
	'on_poweroff = "explode": use destroy, restart or preserve' "$D/err"

pv_check_eq "host up: exit 0" 0 "$(run P host up)"

# --- restart ----------------------------------------------------------------------
# init powers off once (status 0), then, restarted, stays.
pv_check_eq "create ga, on_poweroff=restart: exit 0" 0 "$(run P create -q "$D/g.cfg" \
	on_poweroff=restart "init=\"[ -e $D/once ] && exec sleep 600; touch $D/once; sleep 1; exit 0\"")"
ID=$(cat "$D/out")
pv_check "ga is restarted with a new domid" pv_wait_for 30 restarted ga "$ID"
ID2=$(domid ga)
pv_check_eq "the restarted ga runs" "r-----" "$(state ga)"
pv_check "the monitor said why" grep -q "guest ga (domid $ID) powered off; its nodes are removed" \
	"$D/log/guest-ga.log"
pv_check "and that it restarts it" grep -q "guest ga (domid $ID) ended; restarting it" \
	"$D/log/guest-ga.log"
pv_check_eq "the old domid's nodes are gone" "" \
	"$(xenstore-ls -f / 2>&1 | grep -E "^/(local/domain|libxl)/$ID\b|/backend/[a-z]+/$ID\b")"
pv_check_eq "destroy the restarted ga: exit 0" 0 "$(run P destroy ga)"
sleep 1
pv_check_eq "destroy is not a crash: ga is not restarted" "" "$(domid ga)"

# on_crash=restart: init fails once (status 3).
rm -f "$D/once"
pv_check_eq "create ga, on_crash=restart: exit 0" 0 "$(run P create -q "$D/g.cfg" \
	on_crash=restart "init=\"[ -e $D/once ] && exec sleep 600; touch $D/once; sleep 1; exit 3\"")"
ID=$(cat "$D/out")
pv_check "ga crashed and is restarted" pv_wait_for 30 restarted ga "$ID"
pv_check "the monitor logged the crash" grep -q "guest ga (domid $ID) crashed; its nodes are removed" \
	"$D/log/guest-ga.log"
# A runtime killed outright is a crash too.
ID=$(domid ga)
kill -9 "$(cat "$D/dom/$ID/runtime.pid")"
pv_check "a killed runtime: ga is restarted" pv_wait_for 30 restarted ga "$ID"
pv_check_eq "destroy ga: exit 0" 0 "$(run P destroy ga)"
sleep 1
pv_check_eq "destroy of an on_crash=restart guest: not restarted" "" "$(domid ga)"

# A guest that powers off at once keeps being restarted: given up after 5.
pv_check_eq "create ga that always powers off, on_poweroff=restart: exit 0" 0 \
	"$(run P create -q "$D/g.cfg" on_poweroff=restart "init='sleep 2'")"
sed 's/^/#   /' "$D/err"
pv_check "given up after 5 quick restarts" pv_wait_for 60 grep -q \
	"ended 6 times in a row within 10 s: not restarted" "$D/log/guest-ga.log"
pv_check "nothing of ga is left running" pv_wait_for 10 sh -c "[ -z \"\$('$PVKIT' --rundir '$D' list | awk '\$1 == \"ga\"')\" ]"
pv_check_eq "no guest node is left" "" "$(xenstore-ls -f /local/domain 2>&1 | grep -v '^/local/domain/0\b')"

# --- preserve ----------------------------------------------------------------------
truncate -s 1M "$D/p.img"
pv_check_eq "create gp with a disk, on_poweroff=preserve: exit 0" 0 "$(run P create -q "$D/g.cfg" \
	name=gp on_poweroff=preserve "disk=['vdev=xvda, target=$D/p.img']" "init='sleep 1'")"
ID=$(cat "$D/out")
pv_check "gp powered off and is preserved: state ---s--" \
	pv_wait_for 20 sh -c "'$PVKIT' --rundir '$D' list | grep -Eq '^gp +$ID +.* ---s-- '"
run P list -l gp >/dev/null
pv_check "list -l: how it ended" grep -q "shut down (poweroff); preserved until pvkit destroy gp" "$D/out"
pv_check "list -l: its disk is still Connected" \
	grep -Eq "^ +vbd +51712 +frontend Connected +backend Connected" "$D/out"
pv_check_eq "its xenstore nodes stay" gp "$(xenstore-read "/local/domain/$ID/name" 2>&1)"
sleep 1
pv_check "still there a moment later" sh -c "'$PVKIT' --rundir '$D' list | grep -Eq '^gp +$ID +.* ---s-- '"
pv_check_eq "destroy gp: exit 0" 0 "$(run P destroy gp)"
pv_check_eq "destroy gp: nothing of it left" "" \
	"$(xenstore-ls -f / 2>&1 | grep -E "^/(local/domain|libxl)/$ID\b|/backend/[a-z]+/$ID\b")"
pv_check "destroy gp: its run directory is gone" test ! -e "$D/dom/$ID/shutdown"

pv_check_eq "create gc, on_crash=preserve (init fails): exit 0" 0 "$(run P create -q "$D/g.cfg" \
	name=gc on_crash=preserve "init='sleep 1; exit 5'")"
ID=$(cat "$D/out")
pv_check "gc crashed and is preserved" \
	pv_wait_for 20 sh -c "'$PVKIT' --rundir '$D' list | grep -Eq '^gc +$ID +.* ---s-- '"
run P list -l gc >/dev/null
pv_check "list -l: crash" grep -q "shut down (crash); preserved" "$D/out"
pv_check_eq "shutdown of a preserved guest: exit 0" 0 "$(run P shutdown -t 4 gc)"
pv_check_eq "after shutdown: gc is gone" "" "$(domid gc)"

# on_crash=preserve does not keep a guest that powers off.
pv_check_eq "create gd, on_crash=preserve, init exits 0: exit 0" 0 "$(run P create -q "$D/g.cfg" \
	name=gd on_crash=preserve "init='sleep 1'")"
pv_check "gd powered off: destroyed, not preserved" \
	pv_wait_for 20 sh -c "[ -z \"\$('$PVKIT' --rundir '$D' list | awk '\$1 == \"gd\"')\" ]"

pv_check_eq "host down: exit 0" 0 "$(run P host down)"
pv_done

#!/bin/bash
# SPDX-License-Identifier: MIT
# pvkit console as a user meets it: a guest whose init is a shell, attached
# from a terminal (tmux), typed into, detached with Ctrl-], its log printed.
. "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || { pv_skip "tmux not installed"; pv_done; }
[ -x "$PV_BIN/pvkit-guest" ] || { pv_skip "pvkit-guest is not built"; pv_done; }
PVKIT=$PV_BIN/pvkit
D=$(mktemp -d /tmp/pvkit-tsconsole.XXXXXX)
TM="tmux -L pvkit-tsconsole-$$"
cleanup() {
	$TM kill-server 2>/dev/null
	"$PVKIT" --rundir "$D" host down >/dev/null 2>&1
	rm -rf "$D"
}
trap cleanup EXIT
unset PVKIT_RUNDIR PVKIT_DOMID XENSTORED_PATH
P() { "$PVKIT" --rundir "$D" "$@"; }
screen_has() { $TM capture-pane -p -t t -S -100 | grep -qx -- "$1"; }

pv_check "host up" P host up >/dev/null
printf 'name = "c1"\nmemory = 32\ninit = "/bin/sh"\n' >"$D/c1.cfg"
pv_check "create c1 (init: a shell on the console)" P create -q "$D/c1.cfg" >/dev/null

$TM new-session -d -s t -x 120 -y 40 "PS1='host\$ ' bash --norc -i"
$TM send-keys -t t "$PVKIT --rundir $D console c1" Enter
sleep 0.5
$TM send-keys -t t 'echo $((6*7))' Enter
pv_check "typed into the console: 42 comes back" pv_wait_for 30 screen_has 42
$TM send-keys -t t 'hostname' Enter
pv_check "the shell on the console runs in the guest (hostname c1)" pv_wait_for 30 screen_has c1
$TM send-keys -t t 'C-]'
$TM send-keys -t t 'echo "detached rc=$?"' Enter
pv_check "Ctrl-] detaches, exit 0" pv_wait_for 30 screen_has "detached rc=0"
pv_check "the guest still runs after detach" sh -c "'$PVKIT' --rundir '$D' list | grep -q '^c1 '"
pv_check "console --log: what the guest printed" \
	pv_wait_for 5 sh -c "'$PVKIT' --rundir '$D' console --log c1 | tr -d '\\r' | grep -qx 42"
pv_check_eq "console of an unknown guest: exit 1" 1 \
	"$(P console nosuch >/dev/null 2>&1; echo $?)"
pv_check "destroy c1" P destroy c1 >/dev/null

# create -c: straight onto the new guest's console.
$TM send-keys -t t "$PVKIT --rundir $D create -q -c $D/c1.cfg name=c2" Enter
sleep 0.5
# $(hostname): the line could only come from the guest (the host's shell says its own name).
$TM send-keys -t t 'echo $(hostname)-says-$((6*9))' Enter
pv_check "create -c: attached to the new guest's console" pv_wait_for 30 screen_has c2-says-54
$TM send-keys -t t 'C-]'
$TM send-keys -t t 'echo "create rc=$?"' Enter
pv_check "create -c: Ctrl-] detaches, exit 0" pv_wait_for 30 screen_has "create rc=0"
pv_check "destroy c2" P destroy c2 >/dev/null
pv_done

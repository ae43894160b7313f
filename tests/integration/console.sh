#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The console end to end: a shell in a guest through pvkit-consoled, attached
# in tmux (42, Ctrl-C, Ctrl-] and a sane terminal), a second attach refused,
# a hostile guest closed and an event storm while the other console works, a consoled
# restart that loses no output, and consoled's exit 1 when xenstored goes away.
. "$(dirname "$0")/console-env.sh"

command -v tmux >/dev/null || { pv_skip "tmux not installed"; pv_done; }
pv_check "--help exits 0" bash -c "\"$PV_BIN/pvkit-consoled\" --help >/dev/null"
"$PV_BIN/pvkit-consoled" --bogus 2>/dev/null
pv_check_eq "an unknown option is refused" 2 $?

pv_require "pvkitd and xenstored ready" start_platform
pv_require "pvkit-consoled ready" start_consoled
pv_require "guest with a shell" start_guest g1 -- /bin/sh
G1=$DOMID G1PID=$GUEST
PTY=$D/console/$G1.pty
pv_check "pty symlink appears" pv_wait_for 10 test -L "$PTY"
pv_check_eq "console/tty in xenstore names the pty" "$(readlink "$PTY")" \
	"$(XENSTORED_PATH=$D/xenstored.sock xenstore-read /local/domain/$G1/console/tty)"

# Attach from a shell in tmux, so we can look at the terminal afterwards.
T="tmux -L $TMUX_SOCK"
$T new-session -d -s t -x 100 -y 30 "bash --norc --noprofile -i"
pane() { $T capture-pane -p -t t -S -200; }
$T send-keys -t t "PS1='host\$ '; stty -g > $D/stty.before" Enter
pv_wait_for 5 test -s "$D/stty.before"
$T send-keys -t t "$PV_BIN/pvkit-console-attach $PTY" Enter
sleep 0.5
$T send-keys -t t 'echo $((6*7))' Enter
pv_check "echo \$((6*7)) shows 42" pv_wait_for 10 bash -c "$T capture-pane -p -t t | grep -qx '42'"

# A second attach is refused while the first holds the console.
out=$("$PV_BIN/pvkit-console-attach" "$PTY" </dev/null 2>&1)
rc=$?
pv_check_eq "second attach exits 1" 1 $rc
pv_check "second attach says why" grep -q "already attached" <<<"$out"

$T send-keys -t t 'sleep 100' Enter
sleep 0.5
$T send-keys -t t C-c
$T send-keys -t t 'echo "rc=$?"' Enter
pv_check "Ctrl-C interrupts sleep 100 (status 130)" pv_wait_for 10 bash -c "$T capture-pane -p -t t | grep -q 'rc=130'"
$T send-keys -t t 'stty size' Enter
pv_check "the guest shell has a window size" pv_wait_for 10 bash -c "$T capture-pane -p -t t | grep -qx '24 80'"

$T send-keys -t t 'C-]'
$T send-keys -t t "stty -g > $D/stty.after" Enter
pv_check "Ctrl-] detaches" pv_wait_for 10 test -s "$D/stty.after"
pv_check_eq "terminal settings restored" "$(cat "$D/stty.before")" "$(cat "$D/stty.after")"
$T send-keys -t t "stty -a > $D/stty.a" Enter
pv_wait_for 5 test -s "$D/stty.a"
pv_check "terminal is sane (icanon echo)" grep -qE '(^| )icanon( |$).*' "$D/stty.a"
pv_check "terminal echoes" grep -qE '(^| )echo( |$)' "$D/stty.a"

# Attach again (not a terminal): the first client is gone, so this works.
mkfifo "$D/keys"
"$PV_BIN/pvkit-console-attach" "$PTY" <"$D/keys" >"$D/attach2.out" 2>&1 &
A2=$!
exec 3>"$D/keys"
echo 'echo $((7*6))x' >&3
pv_check "re-attach after detach works" pv_wait_for 10 grep -q '^42x' "$D/attach2.out"

# A hostile guest: out_prod far ahead. Its console closes; the rest is fine.
pv_check "hostile guest set up" start_guest bad --hostile
pv_check "protocol error logged" pv_wait_for 10 grep -q "console-$DOMID: protocol error" "$D/consoled.out"
pv_check "consoled still alive" kill -0 $CONSOLED
pv_check "the hostile guest's log says the console closed" \
	pv_wait_for 10 grep -q "console closed: protocol error" "$D/log/console/dom$DOMID.log"
echo 'echo $((5*5))y' >&3
pv_check "the other guest's console still works" pv_wait_for 10 grep -q '^25y' "$D/attach2.out"

# An event storm (XSA-332): a guest notifies in a tight loop with an empty ring.
pv_check "storming guest set up" start_guest storm --storm
STORM=$GUEST
pv_wait_for 10 test -L "$D/console/$DOMID.pty"
echo 'echo $((4*4))s' >&3
pv_check "the other console answers during the storm" pv_wait_for 10 grep -q '^16s' "$D/attach2.out"
pv_check "the storming guest's console is not closed" \
	bash -c "! grep -q 'console-$DOMID: protocol error' '$D/consoled.out'"
kill $STORM

# Restart: output the guest writes while consoled is down is in the log afterwards.
# The guest's shell waits for a file we create once the daemon is gone.
echo "while [ ! -e $D/go ]; do sleep 0.1; done; echo \$((9*9))w; touch $D/done" >&3
pv_wait_for 10 grep -q 'touch' "$D/attach2.out"
printf '\035' >&3
exec 3>&-
wait $A2
pv_check_eq "attach exits 0 on Ctrl-]" 0 $?
kill -TERM $CONSOLED
wait $CONSOLED
pv_check_eq "SIGTERM exits 0" 0 $?
pv_check "pty link removed on shutdown" test ! -e "$PTY"
touch "$D/go"
pv_check "the guest wrote with no daemon serving it" pv_wait_for 10 test -e "$D/done"
pv_check "81w not logged while down" bash -c "! grep -q '^81w' '$D/log/console/dom$G1.log'"
start_consoled
pv_check "consoled restarted" kill -0 $CONSOLED
pv_check "console reconnects after restart" pv_wait_for 10 test -L "$PTY"
pv_check "output written while down reaches the log" \
	pv_wait_for 10 grep -q '^81w' "$D/log/console/dom$G1.log"
mkfifo "$D/keys2"
"$PV_BIN/pvkit-console-attach" "$PTY" <"$D/keys2" >"$D/attach3.out" 2>&1 &
A3=$!
exec 3>"$D/keys2"
echo 'echo $((8*8))z' >&3
pv_check "console works after restart" pv_wait_for 10 grep -q '^64z' "$D/attach3.out"
printf '\035' >&3
exec 3>&-
wait $A3
pv_check "log kept across restart" grep -q '^42x' "$D/log/console/dom$G1.log"

# The guest dies without its toolstack cleaning up: consoled lets go of it.
kill -KILL $G1PID
pv_check "a dead guest's console is disconnected" \
	pv_wait_for 10 grep -q "console-$G1: guest's event channel closed" "$D/consoled.out"
pv_check "consoled still alive after that" kill -0 $CONSOLED

# xenstored goes away: consoled says so and exits 1, for its supervisor to restart it.
kill "${PIDS[1]}"
pv_check_exit "xenstored gone: consoled exits 1" 10 1 $CONSOLED
CONSOLED=
pv_check "consoled logged the lost connection" grep -q "xenstore connection lost" "$D/consoled.out"
pv_done

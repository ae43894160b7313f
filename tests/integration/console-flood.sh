#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A guest writes 100 MiB to its console with nobody attached: the guest
# never blocks (it finishes), pvkit-consoled's memory stays bounded, the
# guest's log holds the tail of the output with a drop marker, and another
# guest's console answers while the flood runs.
. "$(dirname "$0")/console-env.sh"

pv_require "pvkitd and xenstored ready" start_platform
# 512 KiB/s: far below what the guest writes, so the rate limit must drop.
pv_require "pvkit-consoled ready" start_consoled --rate-limit 524288 --log-size 262144 --log-keep 2
RSS0=$(vmrss $CONSOLED)
pv_require "interactive guest" start_guest calm -- /bin/sh
CALM=$DOMID
pv_require "its console is there" pv_wait_for 10 test -L "$D/console/$CALM.pty"
mkfifo "$D/keys"
"$PV_BIN/pvkit-console-attach" "$D/console/$CALM.pty" <"$D/keys" >"$D/calm.out" 2>&1 &
ATTACH=$!
exec 3>"$D/keys"
pv_require "flooding guest" start_guest flood -- \
	sh -c 'yes 0123456789abcdef | head -c 104857600; echo; echo TAIL-OF-THE-FLOOD'
echo 'echo $((6*7))calm' >&3
pv_check "the other console answers during the flood" pv_wait_for 20 grep -q '^42calm' "$D/calm.out"
pv_check "(the flood was still running then)" kill -0 $GUEST
printf '\035' >&3
exec 3>&-
wait $ATTACH
pv_check "the guest finishes its 100 MiB (never blocked)" \
	pv_wait_for 120 bash -c "! kill -0 $GUEST 2>/dev/null"
wait $GUEST
pv_check_eq "the guest's command succeeded" 0 $?
pv_check "consoled alive" kill -0 $CONSOLED
RSS1=$(vmrss $CONSOLED)
echo "# consoled VmRSS: ${RSS0} KiB before, ${RSS1} KiB after 100 MiB"
pv_check "consoled memory bounded (grew < 16 MiB for 100 MiB)" test $((RSS1 - RSS0)) -lt 16384
LOG=$D/log/console/dom$DOMID.log
pv_check "the console was removed with its domain" pv_wait_for 10 test ! -e "$D/console/$DOMID.pty"
pv_check "the log ends with the tail" bash -c "tail -c 100 '$LOG' | grep -q TAIL-OF-THE-FLOOD"
pv_check "a drop marker is logged" bash -c "cat '$LOG'* | grep -aq 'pvkit-consoled: [0-9]* bytes dropped'"
total=$(cat "$LOG"* | wc -c)
echo "# log files hold $total bytes"
pv_check "logs capped (3 files of 256 KiB)" test "$total" -le $((3 * 262144 + 65536))
pv_check "rotated log present" test -e "$LOG.1"
"$PV_BIN/pvkit-console-attach" --log "$LOG" >"$D/printed"
pv_check_eq "--log prints the rotated logs then the current one" \
	"$(cat "$LOG.2" "$LOG.1" "$LOG" 2>/dev/null | md5sum)" "$(md5sum <"$D/printed")"
pv_done

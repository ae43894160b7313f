#!/bin/bash
# SPDX-License-Identifier: MIT
# The toolstack end to end, as an admin uses it: pvkit host up/status/down
# and a guest's life (create, list, exec, shutdown, destroy) under a private
# run directory, checking xenstore is left clean.
. "$(dirname "$0")/../lib.sh"
PVKIT=$PV_BIN/pvkit
D=$(mktemp -d /tmp/pvkit-toolstack.XXXXXX)
P() { "$PVKIT" --rundir "$D" "$@"; }
cleanup() {
	P host down >/dev/null 2>&1
	rm -rf "$D"
}
trap cleanup EXIT
export XENSTORED_PATH=$D/xenstored.sock
unset PVKIT_RUNDIR PVKIT_DOMID

# run CMD...: exit status on stdout; its output in $D/out and $D/err.
run() { "$@" >"$D/out" 2>"$D/err"; echo $?; }
# gone PID: the process has exited (a zombie not yet reaped by init counts).
gone() { ! [ -e "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
# leftovers: live processes whose command line names our run directory.
leftovers() {
	local f p
	for f in /proc/[0-9]*/cmdline; do
		p=${f#/proc/}; p=${p%/cmdline}
		tr '\0' ' ' 2>/dev/null <"$f" | grep -q -- "$D" && ! gone "$p" && echo "$p"
	done
}

# --- the host ------------------------------------------------------------------
pv_check_eq "list before host up: exit 1" 1 "$(run P list)"
pv_check_eq "list before host up: says how to start it" \
	"pvkit: the host is not up under $D (start it with: pvkit host up --rundir $D)" \
	"$(cat "$D/err")"
pv_check_eq "host up: exit 0" 0 "$(run P host up)"
pv_check "host up says where the logs are" grep -q "logs: *$D/log/" "$D/out"
pv_check "pvkitd's socket is there" test -S "$D/pvkitd.sock"
pv_check "xenstored's socket is there" test -S "$D/xenstored.sock"
pv_check "consoled's log is there" test -s "$D/log/pvkit-consoled.log"
pv_check_eq "host status: exit 0" 0 "$(run P host status)"
pv_check "host status: pvkitd up with its pid" \
	grep -Eq "^pvkitd +$(cat "$D/pvkitd.pid") +up$" "$D/out"
pv_check "host status: pvkit-pciback up" grep -Eq "^pvkit-pciback +[0-9]+ +up$" "$D/out"
pv_check_eq "host up again: exit 0" 0 "$(run P host up)"
pv_check "host up again: already up" grep -q "already up" "$D/out"

# --- a guest with no devices ----------------------------------------------------
if [ ! -x "$PV_BIN/pvkit-guest" ]; then
	pv_skip "guests: pvkit-guest is not built"
else
	cat >"$D/g1.cfg" <<-EOF
	name = "g1"
	memory = 64
	init = "trap 'echo term >$D/g1.term; exit 0' TERM; echo hello-from-g1; while :; do sleep 0.1; done"
	EOF
	pv_check_eq "create g1: exit 0" 0 "$(run P create -q "$D/g1.cfg")"
	ID=$(cat "$D/out")
	pv_check "create -q prints the domid" test "$ID" -gt 0
	pv_check_eq "list: exit 0" 0 "$(run P list)"
	pv_check "list: domain 0 first" sh -c "sed -n 2p '$D/out' | grep -q '^Domain-0 '"
	pv_check "list: g1 with its id and memory" grep -Eq "^g1 +$ID +64 +1 +r-----" "$D/out"
	run P list -l >/dev/null
	pv_check "list -l: the console connected" \
		grep -Eq "console +frontend Connected +backend Connected +/dev/pts/" "$D/out"
	pv_check_eq "xenstore has the guest's name" g1 \
		"$(xenstore-read "/local/domain/$ID/name" 2>&1)"
	pv_check_eq "xenstore: control/ is the guest's" "n$ID" \
		"$(xenstore-ls -fp "/local/domain/$ID" | sed -n "s|^/local/domain/$ID/control = .*(\(n[0-9]*\).*|\1|p")"
	pv_check_eq "exec hostname: the guest's name" g1 "$(P exec g1 -- hostname 2>&1)"
	pv_check_eq "exec ip link: only lo in the guest's namespace" "lo" \
		"$(P exec g1 -- ip -o link show 2>&1 | awk -F': ' '{print $2}' | tr '\n' ' ' | sed 's/ $//')"
	pv_check "exec: another network namespace than the host's" test \
		"$(P exec g1 -- readlink /proc/self/ns/net)" != "$(readlink /proc/self/ns/net)"
	pv_check_eq "exec: xenstore as the guest (its own name, relative path)" g1 \
		"$(P exec g1 -- xenstore-read name 2>&1)"
	pv_check "domain 0 reads /local/domain/0" sh -c "xenstore-read /local/domain/0 >/dev/null"
	pv_check "exec: as the guest, /local/domain/0 is not readable" \
		sh -c "'$PVKIT' --rundir '$D' exec g1 -- xenstore-ls /local/domain/0 2>&1 | grep -q 'Permission denied'"
	pv_check_eq "exec: the command's exit status" 7 "$(run P exec "$ID" -- sh -c 'exit 7')"
	pv_check_eq "exec: unknown guest: exit 1" 1 "$(run P exec nosuch -- true)"
	pv_check_eq "exec: unknown guest: the message" \
		"pvkit exec: no guest called nosuch (see 'pvkit list')" "$(cat "$D/err")"
	pv_check "console --log: what init printed" \
		pv_wait_for 5 sh -c "'$PVKIT' --rundir '$D' console --log g1 | grep -q hello-from-g1"
	# block-list and network-list read xenstore: give g1 a disk and a vif there by hand.
	F=/local/domain/$ID/device B=/local/domain/0/backend
	xenstore-write $F/vbd/51712/state 4 $F/vbd/51712/backend-id 0 \
		$F/vbd/51712/event-channel 5 $F/vbd/51712/ring-ref 9 \
		$F/vbd/51712/backend $B/vbd/$ID/51712 $B/vbd/$ID/51712/dev xvda \
		$F/vif/0/state 3 $F/vif/0/backend-id 0 $F/vif/0/mac 00:16:3e:00:00:01 \
		$F/vif/0/tx-ring-ref 10 $F/vif/0/rx-ring-ref 11 $F/vif/0/backend $B/vif/$ID/0
	pv_check_eq "block-list: exit 0" 0 "$(run P block-list g1)"
	pv_check_eq "block-list: the disk (no export: NBD-URI -)" \
		"51712 xvda 0 51712 4 5 9 $B/vbd/$ID/51712 -" "$(sed -n 2p "$D/out" | tr -s ' ')"
	pv_check_eq "network-list: exit 0" 0 "$(run P network-list "$ID")"
	pv_check_eq "network-list: the vif" "0 0 00:16:3e:00:00:01 0 3 - 10/11 $B/vif/$ID/0" \
		"$(sed -n 2p "$D/out" | tr -s ' ')"
	# A multi-queue vif with split channels keeps them under queue-N/.
	xenstore-write $F/vif/1/state 4 $F/vif/1/backend-id 0 $F/vif/1/mac 00:16:3e:00:00:02 \
		$F/vif/1/multi-queue-num-queues 2 $F/vif/1/backend $B/vif/$ID/1 \
		$F/vif/1/queue-0/tx-ring-ref 20 $F/vif/1/queue-0/rx-ring-ref 21 \
		$F/vif/1/queue-0/event-channel-tx 6 $F/vif/1/queue-0/event-channel-rx 7 \
		$F/vif/1/queue-1/tx-ring-ref 22 $F/vif/1/queue-1/rx-ring-ref 23 \
		$F/vif/1/queue-1/event-channel-tx 8 $F/vif/1/queue-1/event-channel-rx 9
	pv_check_eq "network-list: exit 0 (multi-queue vif)" 0 "$(run P network-list "$ID")"
	pv_check_eq "network-list: a multi-queue vif shows queue 0's channels and rings" \
		"1 0 00:16:3e:00:00:02 1 4 6/7 20/21 $B/vif/$ID/1" "$(sed -n 3p "$D/out" | tr -s ' ')"
	pv_check_eq "network-list: then each queue's" \
		" queue 0 of 2: evt-ch 6/7 tx-/rx-ring-ref 20/21| queue 1 of 2: evt-ch 8/9 tx-/rx-ring-ref 22/23" \
		"$(sed -n 4,5p "$D/out" | tr -s ' ' | paste -sd '|')"
	xenstore-rm $F/vif/1
	pv_check_eq "block-list of an unknown guest: exit 1" 1 "$(run P block-list nosuch)"

	# Hotplug. A disk attached at run time: Connected if the runtime has a
	# block frontend, else named as stuck; either way nothing half-made stays.
	truncate -s 1M "$D/h.img"
	rc=$(run P block-attach --timeout 3 g1 "vdev=xvdb, target=$D/h.img")
	if [ "$rc" = 0 ]; then
		pv_check "block-attach: the disk is Connected" \
			sh -c "'$PVKIT' --rundir '$D' block-list g1 | grep -Eq '^51728 +xvdb +0 +51728 +4 '"
		pv_check "block-attach: the guest exports the disk" test -S "$D/dom/$ID/xvdb.sock"
		uri=$("$PVKIT" --rundir "$D" block-list g1 | awk '$1 == 51728 {print $NF}')
		pv_check_eq "block-list: the disk's NBD URI" "nbd+unix:///?socket=$(realpath "$D")/dom/$ID/xvdb.sock" "$uri"
		pv_check_eq "block-list: nbdinfo on that URI" 1048576 \
			"$(timeout 10 nbdinfo --size "$uri" 2>&1)"
		pv_check_eq "block-detach xvdb: exit 0" 0 "$(run P block-detach g1 xvdb)"
		pv_check "block-detach: the guest drops the disk" pv_wait_for 10 test ! -e "$D/dom/$ID/xvdb.sock"
	else
		pv_check "block-attach that does not connect: names the disk and its states" grep -q \
			"^pvkit block-attach: vbd 51728 (xvdb) did not connect in 3 s: frontend" "$D/err"
	fi
	pv_check_eq "after block-attach/-detach: no node of xvdb left" "" \
		"$(xenstore-ls -f / 2>&1 | grep -E "/vbd/($ID/)?51728\b")"
	pv_check_eq "block-attach of a missing target: exit 1" 1 \
		"$(run P block-attach g1 "vdev=xvdc, target=$D/none.img")"
	pv_check_eq "block-attach of a missing target: one line" \
		"pvkit block-attach: disk 0: target $D/none.img: No such file or directory" "$(cat "$D/err")"
	# Detach the disk and the vif written by hand (no backend serves them).
	pv_check_eq "block-detach of a disk nobody serves (--timeout 1): exit 0" 0 \
		"$(run P block-detach --timeout 1 g1 xvda)"
	pv_check_eq "block-detach: nobody closed it, removed anyway, both states named" \
		"pvkit block-detach: vbd 51712 (xvda) did not close in 1 s: frontend Connected, backend Closing; removing it anyway (as --force)" \
		"$(cat "$D/err")"
	pv_check_eq "block-detach: xvda's nodes are gone" "" \
		"$(xenstore-ls -f / 2>&1 | grep -E "/vbd/($ID/)?51712\b")"
	pv_check_eq "block-detach of a disk it does not have: exit 1" 1 "$(run P block-detach g1 xvda)"
	pv_check_eq "block-detach of a disk it does not have: the message" \
		"pvkit block-detach: guest g1 has no vbd 51712 (xvda)" "$(cat "$D/err")"
	pv_check_eq "network-detach --force by MAC: exit 0" 0 \
		"$(run P network-detach --force g1 00:16:3e:00:00:01)"
	pv_check_eq "network-detach --force: no wait, no warning" "" "$(cat "$D/err")"
	pv_check_eq "network-detach by MAC: vif 0's nodes are gone" "" \
		"$(xenstore-ls -f / 2>&1 | grep -E "/vif/($ID/)?0\b")"
	pv_check_eq "network-detach of an unknown MAC: exit 1" 1 \
		"$(run P network-detach g1 00:16:3e:00:00:99)"
	pv_check_eq "create g1 again: exit 1" 1 "$(run P create "$D/g1.cfg")"
	pv_check_eq "create g1 again: one clear line" \
		"pvkit create: a guest called 'g1' is already running (domid $ID); choose another name= or destroy it first" \
		"$(cat "$D/err")"
	pv_check_eq "shutdown g1: exit 0" 0 "$(run P shutdown g1)"
	pv_check "shutdown: init got SIGTERM" test -f "$D/g1.term"
	run P list >/dev/null
	pv_check "shutdown: g1 is not listed" sh -c "! grep -q '^g1 ' '$D/out'"
	pv_check_eq "shutdown: no /local/domain/$ID" "" "$(xenstore-ls -f /local/domain 2>&1 |
		grep "^/local/domain/$ID\b")"
	pv_check_eq "shutdown: no /libxl/$ID" "" "$(xenstore-ls -f / 2>&1 | grep "^/libxl/$ID\b")"
	pv_check_eq "shutdown: no backend directory of domain $ID" "" \
		"$(xenstore-ls -f / 2>&1 | grep -E "/backend/[a-z]+/$ID\b")"

	# destroy, by domid, on a guest whose init ignores SIGTERM.
	pv_check_eq "create g2 (config override name=g2)" 0 \
		"$(run P create -q "$D/g1.cfg" name=g2 "init='sleep 600'")"
	ID2=$(cat "$D/out")
	pv_check "g2 runs" sh -c "'$PVKIT' --rundir '$D' list | grep -q '^g2 '"
	RT=$(cat "$D/dom/$ID2/runtime.pid")
	pv_check_eq "destroy g2 by domid: exit 0" 0 "$(run P destroy "$ID2")"
	pv_check "destroy: the runtime is gone" gone "$RT"
	run P list >/dev/null
	pv_check "destroy: g2 is not listed" sh -c "! grep -q '^g2 ' '$D/out'"
	pv_check_eq "destroy: no xenstore node of domain $ID2 left" "" \
		"$(xenstore-ls -f / 2>&1 | grep -E "^/(local/domain|libxl)/$ID2\b|/backend/[a-z]+/$ID2\b")"
	pv_check_eq "destroy: unknown guest: exit 1" 1 "$(run P destroy g2)"

	# shutdown of a guest whose init ignores SIGTERM: its devices close anyway.
	run P create -q "$D/g1.cfg" name=g7 "init=\"trap '' TERM; while :; do sleep 0.1; done\"" >/dev/null
	ID7=$(cat "$D/out")
	pv_check_eq "shutdown -t 2 of a guest ignoring SIGTERM: exit 0" 0 "$(run P shutdown -t 2 g7)"
	pv_check "shutdown: said init did not stop, closed the devices" \
		grep -q "guest g7: init did not stop in 1 s; closing its devices" "$D/out"
	pv_check "shutdown: g7 shut down without being destroyed" grep -q "guest g7 shut down" "$D/out"
	pv_check_eq "shutdown: no node of g7 left" "" \
		"$(xenstore-ls -f / 2>&1 | grep -E "^/(local/domain|libxl)/$ID7\b")"

	# A guest created with a disk: Connected before create returns.
	truncate -s 4M "$D/g8.img"
	pv_check_eq "create g8 with a disk: exit 0" 0 \
		"$(run P create -q "$D/g1.cfg" name=g8 "disk=['vdev=xvda, target=$D/g8.img']")"
	ID8=$(cat "$D/out")
	run P list -l g8 >/dev/null
	pv_check "list -l: the disk, Connected on both sides" grep -Eq \
		"^ +vbd +51712 +frontend Connected +backend Connected +/local/domain/0/backend/vbd/$ID8/51712$" \
		"$D/out"
	if [ -x "$(command -v nbdinfo)" ] && [ -S "$D/dom/$ID8/xvda.sock" ]; then
		pv_check "the guest's disk answers over its NBD export" \
			sh -c "nbdinfo --size 'nbd+unix:///?socket=$D/dom/$ID8/xvda.sock' | grep -qx 4194304"
	fi
	pv_check_eq "destroy g8: exit 0" 0 "$(run P destroy g8)"
	pv_check_eq "destroy g8: no node of its disk left" "" \
		"$(xenstore-ls -f / 2>&1 | grep -E "/vbd/$ID8\b|^/(local/domain|libxl)/$ID8\b")"
	pv_check "blkback still serves after the destroy" \
		sh -c "'$PVKIT' --rundir '$D' host status | grep -Eq '^pvkit-blkback +[0-9]+ +up$'"

	# A disk whose target is missing: one line, nothing created.
	pv_check_eq "create with a missing disk target: exit 1" 1 \
		"$(run P create "$D/g1.cfg" name=g3 "disk=['vdev=xvda, target=$D/none.img']")"
	pv_check "missing disk target: one line naming the file" \
		sh -c "[ \$(wc -l <'$D/err') = 1 ] && grep -q '$D/none.img: No such file' '$D/err'"

	# A guest whose init ends: its monitor removes what create made.
	pv_check_eq "create g6 (init ends after a second)" 0 \
		"$(run P create -q "$D/g1.cfg" name=g6 "init='sleep 1'")"
	ID6=$(cat "$D/out")
	pv_check "g6 ended: its /local/domain/$ID6 is removed" \
		pv_wait_for 10 sh -c "! xenstore-read /local/domain/$ID6/name >/dev/null 2>&1"
	pv_check "g6 ended: its dom/$ID6/ files are removed" pv_wait_for 5 test ! -e "$D/dom/$ID6/runtime.pid"
	pv_check "g6 ended: the monitor said so" grep -q "guest g6 (domid $ID6) powered off; its nodes are removed" \
		"$D/log/guest-g6.log"
	run P list >/dev/null
	pv_check "g6 ended: not listed" sh -c "! grep -q '^g6 ' '$D/out'"

	# A guest left running is destroyed by host down.
	run P create -q "$D/g1.cfg" name=g4 >/dev/null
	RT=$(cat "$D/dom/$(cat "$D/out")/runtime.pid" 2>/dev/null)
	pv_check "g4 runs" test -n "$RT"

	# A disk nobody serves (blkback stopped): create names it, then leaves nothing.
	BB=$(cat "$D/pvkit-blkback.pid" 2>/dev/null)
	if [ -n "$BB" ]; then
		kill "$BB"
		pv_wait_for 5 gone "$BB"
		pv_check_eq "host status with blkback down: exit 1" 1 "$(run P host status)"
		pv_check "host status: blkback down" grep -Eq '^pvkit-blkback +- +down$' "$D/out"
		truncate -s 1M "$D/d.img"
		pv_check_eq "create with a disk nobody serves: exit 1" 1 "$(run P create --timeout 2 \
			"$D/g1.cfg" name=g5 "disk=['vdev=xvda, target=$D/d.img']")"
		pv_check "the stuck device is named, with both states" grep -q \
			"vbd 51712 (xvda) did not connect in 2 s: frontend [A-Za-z]*, backend Initialising" \
			"$D/err"
		# Ctrl-C while create waits: the half-made guest is destroyed.
		"$PVKIT" --rundir "$D" create --timeout 60 "$D/g1.cfg" name=g9 "disk=['vdev=xvda, target=$D/d.img']" \
			>"$D/g9.out" 2>&1 &
		CP=$!
		pv_wait_for 10 grep -q "vbd 51712 (xvda)" "$D/g9.out"
		kill -INT $CP
		wait $CP
		pv_check_eq "create interrupted: exit 1" 1 "$?"
		pv_check "create interrupted: says so" grep -q "interrupted (signal 2); destroying the guest" \
			"$D/g9.out"
		run P list >/dev/null
		pv_check "create interrupted: g9 is not left running" sh -c "! grep -q '^g9 ' '$D/out'"
		pv_check_eq "create interrupted: no node of g9 left" "" \
			"$(xenstore-ls -f / 2>&1 | grep -E '/vbd/[0-9]|"g9"')"
		run P list >/dev/null
		pv_check "stuck create: g5 is not left running" sh -c "! grep -q '^g5 ' '$D/out'"
		pv_check_eq "stuck create: no vbd node left" "" \
			"$(xenstore-ls -f / 2>&1 | grep -E '/vbd/[0-9]|"g5"')"
		pv_check_eq "host up restarts what is down: exit 0" 0 "$(run P host up)"
		pv_check_eq "host up restarts only blkback" "started pvkit-blkback" \
			"$(grep '^started' "$D/out" | awk '{print $1, $2}')"
	fi
fi

# --- host down ----------------------------------------------------------------
PIDS=$(cat "$D"/*.pid 2>/dev/null)
pv_check_eq "host down: exit 0" 0 "$(run P host down)"
pv_check "host down: stopped pvkitd" grep -q "^stopped pvkitd " "$D/out"
for p in $PIDS $RT; do
	pv_check "host down: pid $p is gone" gone "$p"
done
pv_check_eq "host down: no process of this host is left (runtimes, monitors)" "" \
	"$(pv_wait_for 5 sh -c "[ -z \"\$(echo $(leftovers))\" ]"; leftovers | tr '\n' ' ')"
pv_check_eq "host status after down: exit 1" 1 "$(run P host status)"
pv_check_eq "host down again: exit 0" 0 "$(run P host down)"

# --- host down after pvkit-xenstored died -------------------------------------
# A guest outlives xenstored (pvkit-guest runs on, as a Xen domU does);
# host down must still take it and every runtime away.
if [ -x "$PV_BIN/pvkit-guest" ]; then
	pv_check_eq "host up once more: exit 0" 0 "$(run P host up)"
	run P create -q "$D/g1.cfg" name=x1 >/dev/null
	RT=$(cat "$D/dom/$(cat "$D/out")/runtime.pid" 2>/dev/null)
	pv_check "x1 runs" test -n "$RT"
	kill "$(cat "$D/pvkit-xenstored.pid")"
	pv_check "x1's runtime logs the lost xenstore connection" \
		pv_wait_for 10 grep -q "xenstore connection lost" "$D/log/guest-x1.log"
	pv_check "x1's runtime runs on" test -e "/proc/$RT"
	pv_check_eq "host down without xenstored: exit 0" 0 "$(run P host down)"
	pv_check "host down without xenstored: says so" grep -q "xenstore does not answer" "$D/out"
	pv_check "host down without xenstored: x1's runtime is gone" gone "$RT"
	pv_check_eq "host down without xenstored: no process of this host is left" "" \
		"$(pv_wait_for 5 sh -c "[ -z \"\$(echo $(leftovers))\" ]"; leftovers | tr '\n' ' ')"
fi
pv_done

#!/bin/bash
# SPDX-License-Identifier: MIT
# Hotplug and destroy while I/O runs, and what the backends give back.
# Domain 0's daemons run in a network namespace this test makes (pvhpio-PID,
# bridge 198.18.7.1/24), each guest in its own. I/O: pvkit-nbd-writer writes
# numbered blocks through a guest's NBD export and counts the acknowledged
# ones; net-tool streams TCP from the guest to domain 0 over its vif.
#  - block-attach and network-attach while a disk is being written;
#  - block-detach of a disk being written: the writer ends with an error
#    (never hangs) and every acknowledged block is on the image;
#  - network-detach while a TCP stream runs;
#  - destroy of a guest whose disk and vif are busy.
# After each, what domain 0 holds is back to its baseline: fds of pvkitd,
# pvkit-xenstored, pvkit-blkback, pvkit-netback and pvkit-consoled; grant
# pins, event channels, connections and leases in pvkitd (host status -l);
# the xenstore tree (xenstore-ls); the network interfaces of domain 0's
# namespace (TAPs); the processes naming the run directory.
. "$(dirname "$0")/../lib.sh"
PVKIT=$PV_BIN/pvkit
W=$PV_BIN/pvkit-nbd-writer
NT=$PV_BIN/net-tool
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || [ ! -e /dev/net/tun ] ||
	[ ! -x "$PV_BIN/pvkit-guest" ] || [ ! -x "$PV_BIN/pvkit-netback" ] || [ ! -x "$W" ] ||
	[ ! -x "$NT" ]; then
	pv_skip "needs root, ip(8), /dev/net/tun, pvkit-guest, pvkit-netback, net-tool"
	pv_done
fi
NS=pvhpio$$
D=$(mktemp -d /tmp/pvkit-hpio.XXXXXX)
BG=()
N() { ip netns exec "$NS" "$@"; }
P() { N "$PVKIT" --rundir "$D" "$@"; }
cleanup() {
	for p in "${BG[@]}"; do kill -9 "$p" 2>/dev/null; done
	[ -s "$D/send.pid" ] && kill -9 "$(cat "$D/send.pid")" 2>/dev/null
	P host down >/dev/null 2>&1
	ip netns del "$NS" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
export XENSTORED_PATH=$D/xenstored.sock
unset PVKIT_RUNDIR PVKIT_DOMID
run() { "$@" >"$D/out" 2>"$D/err"; echo $?; }

ip netns add "$NS" && N ip link set lo up
pv_check_eq "host up in $NS: exit 0" 0 "$(run P host up)"
N ip link add pvbr0 type bridge && N ip addr add 198.18.7.1/24 dev pvbr0 && N ip link set pvbr0 up

# --- what must come back --------------------------------------------------------
DAEMONS="pvkitd pvkit-xenstored pvkit-blkback pvkit-netback pvkit-consoled"
# What each kind of figure is now, one line each, prefixed by its kind.
# fds: each daemon's open files by what they are (sockets by kind, not inode).
fig_fds() {
	local d p
	for d in $DAEMONS; do
		p=$(cat "$D/$d.pid")
		find "/proc/$p/fd" -mindepth 1 -printf '%l\n' 2>/dev/null |
			sed -E 's/\[[0-9]+\]$//; s|^/memfd:.*|memfd|' | sort | uniq -c |
			awk -v d="$d" '{print "fds", d, $2, $1}'
	done
}
# pvkitd: host status -l. A guest's LEASES are its own allocator's pool of
# pages and grant references (reused, not given back): not compared.
fig_pvkitd() {
	P host status -l 2>&1 |
		awk '/^DOMAIN/ {on = 1} on && NF {if ($2 != 0 && $2 != "ID") $NF = "-"; print "pvkitd", $0}'
}
fig_xenstore() { xenstore-ls -f / 2>&1 | sed 's/^/xenstore /'; }
fig_netif() { N ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print "netif", $2}'; }
# proc: the live processes whose command line names the run directory.
fig_proc() {
	local p
	for p in $(pgrep -f -- "$D"); do
		grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null ||
			echo "proc $(cat "/proc/$p/comm" 2>/dev/null) $p"
	done | sort
}
KINDS="fds pvkitd xenstore netif proc"
# snap FILE: every kind, once two takes a second apart agree (a baseline
# taken while a daemon still finishes setting a device up would be wrong).
snap() {
	local i
	for k in $KINDS; do fig_$k; done >"$1"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		sleep 1
		for k in $KINDS; do fig_$k; done >"$1.again"
		cmp -s "$1" "$1.again" && break
		mv "$1.again" "$1"
	done
	rm -f "$1.again"
}
# same KIND BASELINE: that kind now equals the baseline's.
same() {
	fig_$1 >"$D/now.$1"
	cmp -s <(grep "^$1 " "$2") "$D/now.$1"
}
# settle SECONDS CMD...: like pv_wait_for, bounded by the clock (each try is slow).
settle() {
	local end=$((SECONDS + $1)); shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}
# released WHAT BASELINE: every kind back to the baseline (given 20 s to settle).
released() {
	local k
	for k in $KINDS; do
		if settle 20 same $k "$2"; then
			pv_ok "$1: $k as before"
		else
			pv_fail "$1: $k not as before"
			diff <(grep "^$k " "$2") "$D/now.$k" | sed 's/^/#   /' | head -20
		fi
	done
}
# writer NAME URI SEED: pvkit-nbd-writer in the background until it is writing.
writer() {
	timeout 120 "$W" write "$2" "$3" >"$D/$1.out" 2>"$D/$1.err" &
	BG+=($!)
	eval "WPID_$1=$!"
	pv_wait_for 30 grep -q '^started' "$D/$1.out"
}
# writer_ended NAME IMAGE SEED: it ended with an error, its acknowledged blocks are on IMAGE.
writer_ended() {
	local pid acked
	pid=$(eval echo "\$WPID_$1")
	pv_check "$1: the writer ends (no hang)" pv_wait_for 60 grep -q '^acked' "$D/$1.out"
	wait "$pid" 2>/dev/null
	cat "$D/$1.out" "$D/$1.err" | sed 's/^/#   /'
	pv_check "$1: the writer's I/O ended with an error" grep -q '^acked [0-9]* error ' "$D/$1.out"
	acked=$(awk '/^acked/ {print $2}' "$D/$1.out")
	pv_check "$1: it had writes acknowledged" test "${acked:-0}" -gt 0
	pv_check "$1: every acknowledged block ($acked) is on the image" \
		"$W" verify "$2" "$3" "${acked:-0}"
}
# running NAME: the writer has not ended.
running() { ! grep -q '^acked' "$D/$1.out"; }
vif_bytes() { P top -b -n 1 | awk -v id="$1" '$1 == "vif/0" && $2 == id {print $5}'; }

# --- hotplug while I/O runs ---------------------------------------------------
cat >"$D/g.cfg" <<EOF
name = "gio"
memory = 64
init = "while :; do sleep 0.1; done"
EOF
pv_check_eq "create gio: exit 0" 0 "$(run P create -q "$D/g.cfg")"
ID=$(cat "$D/out")
truncate -s 16M "$D/a.img" "$D/b.img"
snap "$D/base.gio"
pv_check_eq "block-attach xvda: exit 0" 0 "$(run P block-attach gio "vdev=xvda, target=$D/a.img")"
A="nbd+unix:///?socket=$D/dom/$ID/xvda.sock"
# The xenbus protocol as libxl drives it: the backend Closing makes the
# frontend close and stay Closed; the backend's InitWait brings it back.
FE=/local/domain/$ID/device/vbd/51712 BE=/local/domain/0/backend/vbd/$ID/51712
st() { xenstore-read "$1/state" 2>/dev/null; }
xenstore-write "$BE/state" 5
pv_check "backend Closing: the frontend closes" pv_wait_for 10 sh -c "[ \"\$(xenstore-read $FE/state)\" = 6 ]"
pv_check "and the backend follows (Closed)" pv_wait_for 10 sh -c "[ \"\$(xenstore-read $BE/state)\" = 6 ]"
sleep 1
pv_check_eq "the frontend stays Closed (no reconnect)" "6 6" "$(st "$FE") $(st "$BE")"
xenstore-write "$BE/state" 2
pv_check "backend InitWait again: both Connected" pv_wait_for 10 \
	sh -c "[ \"\$(xenstore-read $FE/state) \$(xenstore-read $BE/state)\" = '4 4' ]"
B="nbd+unix:///?socket=$D/dom/$ID/xvdb.sock"
pv_check "xvda is being written" writer wa "$A" 1
pv_check_eq "block-attach xvdb while xvda is written: exit 0" 0 \
	"$(run P block-attach gio "vdev=xvdb, target=$D/b.img")"
pv_check_eq "network-attach while xvda is written: exit 0" 0 \
	"$(run P network-attach gio "bridge=pvbr0")"
pv_check "the writer of xvda kept going" running wa
pv_check "xvdb is being written" writer wb "$B" 2
pv_check_eq "block-detach xvdb while it is written: exit 0" 0 "$(run P block-detach gio xvdb)"
pv_check_eq "block-detach: both halves closed (no forced removal)" "" "$(cat "$D/err")"
writer_ended wb "$D/b.img" 2
pv_check "the writer of xvda is unaffected" running wa

# A TCP stream from the guest to domain 0, then the vif goes under it.
N timeout 120 "$NT" recv 5001 >"$D/recv.out" 2>&1 &
BG+=($!)
P exec gio -- sh -c "ip addr add 198.18.7.2/24 dev eth0 && ip link set eth0 up &&
	echo \$\$ >'$D/send.pid' && exec '$NT' send 198.18.7.1 5001 1099511627776" \
	>"$D/send.out" 2>&1 &
BG+=($!)
V0=$(vif_bytes "$ID")
pv_check "the stream runs over the vif" pv_wait_for 30 \
	sh -c "[ \"\$('$PVKIT' --rundir '$D' top -b -n 1 | awk -v id=$ID '\$1 == \"vif/0\" && \$2 == id {print \$5}')\" -gt $((${V0:-0} + 1048576)) ]"
pv_check_eq "network-detach while the stream runs: exit 0" 0 "$(run P network-detach gio 0)"
pv_check_eq "network-detach: both halves closed (no forced removal)" "" "$(cat "$D/err")"
pv_check "the guest's eth0 is gone" pv_wait_for 20 sh -c "! '$PVKIT' --rundir '$D' exec gio -- ip link show eth0 >/dev/null 2>&1"
kill -9 "$(cat "$D/send.pid")" 2>/dev/null
pv_check_eq "block-detach xvda while it is written: exit 0" 0 "$(run P block-detach gio xvda)"
pv_check_eq "block-detach xvda: both halves closed (no forced removal)" "" "$(cat "$D/err")"
writer_ended wa "$D/a.img" 1
wait "${BG[@]}" 2>/dev/null
BG=()
released "after attach/detach under I/O" "$D/base.gio"

# --- destroy while I/O runs ---------------------------------------------------
snap "$D/base.host"
pv_check_eq "create g2 with a disk and a vif: exit 0" 0 "$(run P create -q "$D/g.cfg" name=g2 \
	"disk=['vdev=xvda, target=$D/a.img']" "vif=['bridge=pvbr0']")"
ID2=$(cat "$D/out")
pv_check "g2's xvda is being written" writer wc "nbd+unix:///?socket=$D/dom/$ID2/xvda.sock" 3
N timeout 120 "$NT" recv 5002 >"$D/recv.out" 2>&1 &
BG+=($!)
rm -f "$D/send.pid"
P exec g2 -- sh -c "ip addr add 198.18.7.3/24 dev eth0 && ip link set eth0 up &&
	echo \$\$ >'$D/send.pid' && exec '$NT' send 198.18.7.1 5002 1099511627776" \
	>"$D/send.out" 2>&1 &
BG+=($!)
pv_check "g2's stream runs over its vif" pv_wait_for 30 \
	sh -c "[ \"\$('$PVKIT' --rundir '$D' top -b -n 1 | awk -v id=$ID2 '\$1 == \"vif/0\" && \$2 == id {print \$5}')\" -gt 1048576 ]"
pv_check_eq "destroy g2 while its disk and vif are busy: exit 0" 0 "$(run P destroy g2)"
writer_ended wc "$D/a.img" 3
pv_check "the stream's sender died with the guest" pv_wait_for 20 sh -c "! kill -0 $(cat "$D/send.pid" 2>/dev/null || echo 0) 2>/dev/null"
for p in "${BG[@]}"; do kill -9 "$p" 2>/dev/null; done
wait "${BG[@]}" 2>/dev/null
BG=()
released "after destroy under I/O" "$D/base.host"
pv_check_eq "pvkitd knows nothing of g2 (not even dying)" "" \
	"$(P host status -l | awk -v id="$ID2" '$2 == id')"

pv_check_eq "destroy gio: exit 0" 0 "$(run P destroy gio)"
pv_check_eq "host down: exit 0" 0 "$(run P host down)"
pv_done

#!/bin/bash
# SPDX-License-Identifier: MIT
# pvkit top against the real daemons, each class's counters against a known
# volume of traffic: a guest with a disk (1 MiB written and read through its
# NBD export: the vbd's requests and bytes), a console (init writes a known
# number of bytes, a known input is typed: the console's in and out bytes)
# and, as root, a vif (ICMP echoes of a known size and count between the
# guest and domain 0: the vif's packets and bytes both ways). Domain 0's
# daemons then run in a network namespace this test makes (pvtop-PID,
# 198.18.9.1/24 on a bridge). The counters files go away with the guest.
. "$(dirname "$0")/../lib.sh"
PVKIT=$PV_BIN/pvkit
NT=$PV_BIN/net-tool
D=$(mktemp -d /tmp/pvkit-top.XXXXXX)
NS=
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && [ -e /dev/net/tun ] &&
	[ -x "$PV_BIN/pvkit-netback" ] && [ -x "$NT" ]; then
	NS=pvtop$$
fi
# Every domain-0 command runs in the test's namespace, when there is one.
N() { if [ -n "$NS" ]; then ip netns exec "$NS" "$@"; else "$@"; fi; }
P() { N "$PVKIT" --rundir "$D" "$@"; }
cleanup() {
	P host down >/dev/null 2>&1
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
export XENSTORED_PATH=$D/xenstored.sock
unset PVKIT_RUNDIR PVKIT_DOMID
run() { "$@" >"$D/out" 2>"$D/err"; echo $?; }
# dev_line DEV ID: that device's line of one batch sample:
# DEV ID REQS REQS/s IN_BYTES OUT_BYTES IN_B/s OUT_B/s ERRS DROPS INFL
dev_line() { P top -b -n 1 | awk -v d="$1" -v id="$2" '$1 == d && $2 == id'; }
# field DEV ID N: field N of that line (3 REQS, 5 IN_BYTES, 6 OUT_BYTES, 9 ERRS, 10 DROPS).
field() { dev_line "$1" "$2" | awk -v n="$3" '{print $n}'; }
# between VALUE LOW HIGH
between() { [ "${1:-x}" -ge "$2" ] 2>/dev/null && [ "$1" -le "$3" ]; }

[ -n "$NS" ] && ip netns add "$NS" && N ip link set lo up
pv_check_eq "top --help: exit 0" 0 "$(run P top --help)"
pv_check "top --help names -b" grep -q -- "--batch" "$D/out"
pv_check_eq "top -n 0: usage error" 2 "$(run P top -b -n 0)"
pv_check_eq "top -d 0: usage error" 2 "$(run P top -b -d 0)"
pv_check_eq "top before host up: exit 1" 1 "$(run P top -b -n 1)"

if [ ! -x "$PV_BIN/pvkit-guest" ] || [ ! -x "$(command -v nbdcopy)" ]; then
	pv_skip "top with a guest: pvkit-guest or nbdcopy missing"
	pv_done
fi
pv_check_eq "host up: exit 0" 0 "$(run P host up)"
VIF= NDEV=2
if [ -n "$NS" ]; then
	N ip link add pvbr0 type bridge && N ip addr add 198.18.9.1/24 dev pvbr0 &&
		N sysctl -qw net.ipv6.conf.pvbr0.disable_ipv6=1 && N ip link set pvbr0 up &&
		VIF="vif=['bridge=pvbr0']" NDEV=3
else
	pv_skip "vif counters: need root, ip(8), /dev/net/tun, pvkit-netback and net-tool"
fi
# The console: 4096 bytes of x and a marker line, then quiet.
cat >"$D/g.cfg" <<-EOF2
name = "gtop"
memory = 64
init = "head -c 4096 /dev/zero | tr -c x x; echo; echo top-marker; while :; do sleep 0.1; done"
EOF2
truncate -s 4M "$D/g.img"
head -c 1M /dev/urandom >"$D/src"
pv_check_eq "create gtop with a disk${VIF:+, a vif}: exit 0" 0 \
	"$(run P create -q "$D/g.cfg" "disk=['vdev=xvda, target=$D/g.img']" ${VIF:+"$VIF"})"
ID=$(cat "$D/out")
S=$D/stats/vbd-$ID-51712
pv_check "blkback publishes the vbd's counters" test -f "$S"
pv_check "consoled publishes the console's counters" test -f "$D/stats/console-$ID-0"
U="nbd+unix:///?socket=$D/dom/$ID/xvda.sock"
pv_check "write 1 MiB through the guest's disk" timeout 60 nbdcopy "$D/src" "$U"
pv_check "read it back" sh -c "timeout 60 nbdcopy '$U' - | head -c 1048576 | cmp -s - '$D/src'"

pv_check_eq "top -b -n 1: exit 0" 0 "$(run P top -b -n 1)"
cat "$D/out"
pv_check "top: a header line" grep -Eq '^NAME +ID +DEVS +REQS' "$D/out"
pv_check "top: domain 0" grep -Eq '^Domain-0 +0 ' "$D/out"
pv_check "top: gtop with its id and its devices" grep -Eq "^gtop +$ID +$NDEV " "$D/out"
pv_check "top: the console line" grep -Eq "^  console/0 +$ID " "$D/out"
read -r dev did reqs _ bin bout _ _ errs _ _ < <(grep -E "^  vbd/51712 +$ID " "$D/out")
pv_check_eq "top: the vbd line" "vbd/51712 $ID" "$dev $did"
pv_check "top: the vbd served requests" test "${reqs:-0}" -gt 0
pv_check "top: at least 1 MiB written" test "${bin:-0}" -ge 1048576
pv_check "top: at least 1 MiB read" test "${bout:-0}" -ge 1048576
pv_check_eq "top: no errors" 0 "$errs"
pv_check_eq "top -b -n 2 -d 0.2: two samples" 2 \
	"$(P top -b -n 2 -d 0.2 | grep -c '^NAME ')"
pv_check "top: the second sample has rates" \
	sh -c "'$PVKIT' --rundir '$D' top -b -n 2 -d 0.2 | grep -E '^  vbd/51712 ' | tail -1 | awk '{exit !(\$4 ~ /^[0-9]+\$/)}'"

# --- the console: what init wrote, what was typed -----------------------------------
L=$D/log/console/dom$ID.log
pv_check "the console log has init's output" pv_wait_for 10 grep -q top-marker "$L"
# The guest's tty may turn each \n into \r\n: the ring and the log carry the same bytes.
pv_check "console IN_BYTES: what init wrote (4096 x, two lines; the log's size)" \
	pv_wait_for 10 sh -c "n=\$('$PVKIT' --rundir '$D' top -b -n 1 | awk -v id=$ID '\$1 == \"console/0\" && \$2 == id {print \$5}');
		[ \"\$n\" -ge $((4096 + 1 + 11)) ] && [ \"\$n\" -le $((4096 + 2 + 12)) ] && [ \"\$n\" = \$(stat -c %s '$L') ]"
pv_check "the log holds the 4096 x" sh -c "tr -cd x <'$L' | wc -c | grep -qx 4096"
O0=$(field console/0 "$ID" 6)
{ printf 'typed'; sleep 1; printf '\035'; } | P console gtop >/dev/null 2>&1
pv_check "console OUT_BYTES: the 5 bytes typed (not Ctrl-])" \
	pv_wait_for 10 sh -c "[ \"\$('$PVKIT' --rundir '$D' top -b -n 1 | awk -v id=$ID '\$1 == \"console/0\" && \$2 == id {print \$6}')\" = $((${O0:-0} + 5)) ]"
pv_check_eq "console: nothing dropped" 0 "$(field console/0 "$ID" 10)"

# --- the vif: COUNT echoes of SIZE bytes each way ------------------------------------
if [ -n "$VIF" ]; then
	COUNT=100 SIZE=1000 FRAME=$((14 + 20 + 8 + 1000))
	P exec gtop -- sh -c "sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1; ip addr add 198.18.9.2/24 dev eth0 && ip link set eth0 up"
	pv_check "the guest reaches domain 0 (and ARP is done)" P exec gtop -- "$NT" ping 198.18.9.1 3
	sleep 0.5
	read -r r0 t0 x0 < <(dev_line vif/0 "$ID" | awk '{print $3, $5, $6}')
	pv_check "$COUNT echoes of $SIZE bytes from the guest" P exec gtop -- "$NT" ping 198.18.9.1 $COUNT $SIZE
	sleep 0.5
	read -r r1 t1 x1 e1 < <(dev_line vif/0 "$ID" | awk '{print $3, $5, $6, $9}')
	echo "# vif: packets +$((r1 - r0)), from the guest +$((t1 - t0)) bytes, to it +$((x1 - x0)) bytes"
	# Each way COUNT frames of FRAME bytes; a few ARP frames of at most 64 bytes besides.
	pv_check "vif REQS: $((2 * COUNT)) packets (both ways, + at most 8 others)" \
		between $((r1 - r0)) $((2 * COUNT)) $((2 * COUNT + 8))
	pv_check "vif IN_BYTES: $COUNT x $FRAME from the guest (+ at most 4 x 64)" \
		between $((t1 - t0)) $((COUNT * FRAME)) $((COUNT * FRAME + 256))
	pv_check "vif OUT_BYTES: $COUNT x $FRAME to the guest (+ at most 4 x 64)" \
		between $((x1 - x0)) $((COUNT * FRAME)) $((COUNT * FRAME + 256))
	pv_check_eq "vif: no errors" 0 "$e1"
fi

pv_check_eq "destroy gtop: exit 0" 0 "$(run P destroy gtop)"
pv_check "after destroy: the counters file is gone" pv_wait_for 10 test ! -e "$S"
pv_check "after destroy: the console's counters file is gone" \
	pv_wait_for 10 test ! -e "$D/stats/console-$ID-0"
[ -n "$VIF" ] && pv_check "after destroy: the vif's counters file is gone" \
	pv_wait_for 10 test ! -e "$D/stats/vif-$ID-0"
pv_check_eq "top after destroy: no device line" 0 "$(P top -b -n 1 | grep -c '^  [a-z]*/')"
pv_done

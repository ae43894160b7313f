#!/bin/bash
# SPDX-License-Identifier: MIT
# pvkit top against the real daemons: a guest with a disk, I/O through its
# NBD export, then top -b -n 1 shows the vbd's requests and bytes; the
# counters file goes away with the guest.
. "$(dirname "$0")/../lib.sh"
PVKIT=$PV_BIN/pvkit
D=$(mktemp -d /tmp/pvkit-top.XXXXXX)
P() { "$PVKIT" --rundir "$D" "$@"; }
cleanup() {
	P host down >/dev/null 2>&1
	rm -rf "$D"
}
trap cleanup EXIT
export XENSTORED_PATH=$D/xenstored.sock
unset PVKIT_RUNDIR PVKIT_DOMID
run() { "$@" >"$D/out" 2>"$D/err"; echo $?; }

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
cat >"$D/g.cfg" <<-EOF2
name = "gtop"
memory = 64
init = "while :; do sleep 0.1; done"
EOF2
truncate -s 4M "$D/g.img"
head -c 1M /dev/urandom >"$D/src"
pv_check_eq "create gtop with a disk: exit 0" 0 \
	"$(run P create -q "$D/g.cfg" "disk=['vdev=xvda, target=$D/g.img']")"
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
pv_check "top: gtop with its id and two devices" grep -Eq "^gtop +$ID +2 " "$D/out"
pv_check "top: the console line" grep -Eq "^  console/0 +$ID " "$D/out"
# NAME ID REQS REQS/s IN_BYTES OUT_BYTES ... for the device line.
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

pv_check_eq "destroy gtop: exit 0" 0 "$(run P destroy gtop)"
pv_check "after destroy: the counters file is gone" pv_wait_for 10 test ! -e "$S"
pv_check "after destroy: the console's counters file is gone" \
	pv_wait_for 10 test ! -e "$D/stats/console-$ID-0"
pv_check_eq "top after destroy: no vbd line" 0 "$(P top -b -n 1 | grep -c 'vbd/')"
pv_done

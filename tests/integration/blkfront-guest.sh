#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The vbd driver of pvkit-guest: each disk of the guest exported over NBD
# in the guest's run directory (xvda.sock, xvdb.sock). nbdcopy in and out,
# qemu-img compare, fio verify, kill -9 of blkback under fio, a read-only
# disk, hot-unplug, orderly shutdown.
. "$(dirname "$0")/../lib.sh"

D=$(mktemp -d)
pids=() bbpid= guestpid=
cleanup() {
	for p in $guestpid $bbpid "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
export PVKIT_RUNDIR=$D XENSTORED_PATH=$D/xenstored.sock
BT=$PV_BIN/blkfront-test
MB=${BLKFRONT_TEST_MB:-256} # the issue's 256 MiB image (about 10 s of copying here)

"$PV_BIN/pvkitd" --rundir "$D" --log "$D/pvkitd.log" 2>/dev/null & pids+=($!)
"$PV_BIN/pvkit-xenstored" --rundir "$D" --log "$D/xenstored.log" 2>/dev/null & pids+=($!)
pv_check "pvkitd and xenstored ready" pv_wait_for 5 test -S "$D/pvkitd.sock" -a -S "$D/xenstored.sock"
start_bb() {
	"$PV_BIN/pvkit-blkback" --rundir "$D" --log "$D/blkback.log" --max-queues 2 2>>"$D/blkback.err" &
	bbpid=$!
}
start_bb

dom=$("$BT" mkdomain "$D" g1 64)
pv_check "guest domain created" test -n "$dom"
truncate -s ${MB}M "$D/a.img"
head -c 4M /dev/urandom > "$D/b.img"
pv_check "xvda (51712) added" "$BT" addvbd "$D" "$dom" 51712 "$D/a.img" w
pv_check "xvdb (51728) added read-only" "$BT" addvbd "$D" "$dom" 51728 "$D/b.img" r
"$PV_BIN/pvkit-guest" --domid "$dom" --rundir "$D" --no-console --log "$D/guest.log" 2>>"$D/guest.err" &
guestpid=$!
A=$D/dom/$dom/xvda.sock B=$D/dom/$dom/xvdb.sock
UA="nbd+unix:///?socket=$A" UB="nbd+unix:///?socket=$B"
pv_check "the guest exports xvda.sock" pv_wait_for 60 test -S "$A"
pv_check "the guest exports xvdb.sock" pv_wait_for 60 test -S "$B"

head -c ${MB}M /dev/urandom > "$D/src"
pv_check "nbdcopy a random ${MB} MiB image in through the guest" timeout 120 nbdcopy "$D/src" "$UA"
pv_check "nbdcopy it back out" timeout 120 nbdcopy "$UA" "$D/out"
pv_check "byte-identical" cmp -s "$D/src" "$D/out"
pv_check "qemu-img compare agrees with the backing file" \
	timeout 60 qemu-img compare -q -f raw -F raw "$UA" "$D/a.img"
rm -f "$D/out"

pv_check_eq "xvdb is read-only" true "$(timeout 10 nbdinfo "$UB" | awk '/is_read_only:/ {print $2}')"
pv_check "xvdb reads back its image" bash -c "timeout 30 nbdcopy '$UB' - | cmp -s - '$D/b.img'"

fio_verify() {
	timeout 120 fio --name=guest --ioengine=nbd --uri="$UA" --rw=randwrite --bsrange=512-1M \
		--iodepth=16 --size=${MB}M --io_size="$1" --verify=crc32c --do_verify=1 \
		--verify_fatal=1 --verify_state_save=0 --randrepeat=0 "${@:2}" --output="$D/fio.log" >/dev/null
}
pv_check "fio verify bs 512..1M iodepth 16" fio_verify 16M
fio_verify 32M --rate=16m &
fiopid=$!
sleep 1
pv_check "fio is still writing when blkback is killed" kill -0 $fiopid
kill -9 $bbpid; wait $bbpid 2>/dev/null
start_bb
wait $fiopid
pv_check_eq "kill -9 + restart of blkback under fio: every block verifies" 0 $?
pv_check "the guest reconnected" grep -q "reconnect" "$D/guest.log"

# Hot-unplug xvdb: the guest drops its export, xvda keeps working.
xenstore-rm "/local/domain/0/backend/vbd/$dom/51728"
xenstore-rm "/local/domain/$dom/device/vbd/51728"
pv_check "unplug: xvdb.sock goes away" pv_wait_for 10 test ! -e "$B"
pv_check "xvda still works" bash -c "timeout 30 nbdcopy '$UA' - | cmp -s - '$D/a.img'"

kill -TERM $guestpid; wait $guestpid
pv_check_eq "pvkit-guest exits 0 on SIGTERM" 0 $?
guestpid=
pv_check "the export is gone after shutdown" test ! -e "$A"
pv_check_eq "the frontend is Closed" 6 "$(xenstore-read "/local/domain/$dom/device/vbd/51712/state")"
pv_done

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# blkfront end to end on the local platform: pvkitd, pvkit-xenstored and
# pvkit-blkback in domain 0; blkfront in a guest domain exported over NBD
# (blkfront-test serve). nbdcopy in and out, fio verify over each feature
# set at queue depths 1 to 64, flush + kill -9 of blkback under fio, trim and
# write-zeroes (libnbd), a discard longer than the maximum block size, a
# read-only vbd, a disk of 4 KiB sectors.
. "$(dirname "$0")/../lib.sh"

D=$(mktemp -d)
pids=() bbpid= srvpid=
cleanup() {
	for p in $srvpid $bbpid "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $D" || rm -rf "$D"
}
trap cleanup EXIT
export PVKIT_RUNDIR=$D XENSTORED_PATH=$D/xenstored.sock
BT=$PV_BIN/blkfront-test
MB=${BLKFRONT_TEST_MB:-64} # the image: 64 MiB keeps the test short on a loaded 2-core machine

"$PV_BIN/pvkitd" --rundir "$D" --log "$D/pvkitd.log" 2>/dev/null & pids+=($!)
"$PV_BIN/pvkit-xenstored" --rundir "$D" --log "$D/xenstored.log" 2>/dev/null & pids+=($!)
pv_check "pvkitd and xenstored ready" pv_wait_for 5 test -S "$D/pvkitd.sock" -a -S "$D/xenstored.sock"
start_bb() {
	"$PV_BIN/pvkit-blkback" --rundir "$D" --log "$D/blkback.log" --max-queues 4 2>>"$D/blkback.err" &
	bbpid=$!
}
start_bb

dom=$("$BT" mkdomain "$D" g1 64)
pv_check "guest domain created" test -n "$dom"
truncate -s ${MB}M "$D/disk.img"
pv_check "vbd 51712 added" "$BT" addvbd "$D" "$dom" 51712 "$D/disk.img" w
SOCK=$D/dom/$dom/xvda.sock U="nbd+unix:///?socket=$SOCK"

# serve [OPTS]: (re)start the guest's blkfront and its NBD export.
serve() {
	[ -n "$srvpid" ] && kill "$srvpid" 2>/dev/null && wait "$srvpid" 2>/dev/null
	rm -f "$SOCK"
	"$BT" serve "$D" "$dom" 51712 "$SOCK" "$@" >"$D/serve.out" 2>>"$D/serve.err" &
	srvpid=$!
	pv_wait_for 15 test -S "$SOCK"
}
feature() { grep -o "$1=[0-9]*" "$D/serve.out" | cut -d= -f2; }

pv_check "blkfront connects and exports" serve
pv_check_eq "negotiated 4 queues" 4 "$(feature queues)"
pv_check_eq "negotiated 16-page rings" 16 "$(feature ring_pages)"
pv_check_eq "negotiated persistent grants" 1 "$(feature persistent)"
pv_check_eq "negotiated indirect (256 segments)" 256 "$(feature max_segments)"
pv_check_eq "nbdinfo size" $((MB << 20)) "$(timeout 10 nbdinfo "$U" | awk '/export-size:/ {print $2}')"

head -c ${MB}M /dev/urandom > "$D/src"
pv_check "nbdcopy a random ${MB} MiB image in" timeout 120 nbdcopy "$D/src" "$U"
pv_check "nbdcopy it back out" timeout 120 nbdcopy "$U" "$D/out"
pv_check "copied out is byte-identical" cmp -s "$D/src" "$D/out"
pv_check "qemu-img compare agrees with the backing file" \
	timeout 60 qemu-img compare -q -f raw -F raw "$U" "$D/disk.img"
rm -f "$D/out"
# A sparse image: nbdcopy zeroes its 40 MiB hole in one WRITE_ZEROES.
truncate -s ${MB}M "$D/sparse"
head -c 1M /dev/urandom | dd of="$D/sparse" bs=1M seek=40 conv=notrunc status=none
pv_check "nbdcopy a sparse image in (a 40 MiB hole, zeroed)" timeout 120 nbdcopy "$D/sparse" "$U"
pv_check "the backing file equals the sparse image" cmp -s "$D/sparse" "$D/disk.img"

fio_verify() { # NAME IODEPTH [fio options]
	local name=$1 qd=$2; shift 2
	timeout 120 fio --name="$name" --ioengine=nbd --uri="$U" --rw=randwrite --bsrange=512-1M \
		--iodepth="$qd" --size=${MB}M --io_size=16M --verify=crc32c --do_verify=1 \
		--verify_fatal=1 --verify_state_save=0 --randrepeat=0 "$@" \
		--output="$D/fio-$name.log" >/dev/null
}
pv_check "fio verify iodepth 32, 4 queues, persistent, indirect" fio_verify mq 32
# Each feature set at another queue depth (1 to 64 requests in flight).
for qcfg in "1 --queues 1" "8 --queues 1 --no-persistent" "64 --queues 4 --no-persistent --no-indirect" \
	"16 --queues 1 --no-indirect --single-page-ring"; do
	qd=${qcfg%% *} cfg=${qcfg#* }
	# shellcheck disable=SC2086
	if ! serve $cfg; then
		pv_fail "blkfront reconnects with $cfg"
		continue
	fi
	want_q=${cfg#--queues }; want_q=${want_q%% *}
	want_p=1; [[ $cfg == *--no-persistent* ]] && want_p=0
	want_s=256; [[ $cfg == *--no-indirect* ]] && want_s=11
	want_r=16; [[ $cfg == *--single-page-ring* ]] && want_r=1
	pv_check_eq "$cfg: queues, persistent, segments, ring pages" "$want_q $want_p $want_s $want_r" \
		"$(feature queues) $(feature persistent) $(feature max_segments) $(feature ring_pages)"
	pv_check "fio verify bs 512..1M iodepth $qd with $cfg" fio_verify "cfg$RANDOM" "$qd"
done
pv_check "the backend saw persistent grants off" grep -q "persistent grants off" "$D/blkback.log"

# Flush, then kill -9 of blkback while fio writes: the flushed data is in
# the file, blkfront reconnects to the new blkback and re-issues what was
# unanswered, and fio's verification of everything it wrote passes.
serve
pv_check "nbdcopy (ends with a flush) before the kill" timeout 60 nbdcopy "$D/src" "$U"
kill -9 $bbpid; wait $bbpid 2>/dev/null
pv_check "the flushed data is in the backing file after kill -9" cmp -s "$D/src" "$D/disk.img"
start_bb
fio_verify restart 16 --io_size=32M --rate=16m &
fiopid=$!
sleep 1
pv_check "fio is still writing when blkback is killed" kill -0 $fiopid
kill -9 $bbpid; wait $bbpid 2>/dev/null
sleep 0.5
start_bb
wait $fiopid
pv_check_eq "kill -9 + restart of blkback under fio: every block verifies" 0 $?
pv_check "blkfront logged the reconnect" grep -q "reconnect" "$D/serve.err"

# Trim, write-zeroes (plain, NO_HOLE, FUA), FUA writes and flush through libnbd.
pv_check_eq "nbdinfo: can_zero" true "$(timeout 10 nbdinfo "$U" | awk '/can_zero:/ {print $2}')"
pv_check "trim, write-zeroes, FUA and flush through the export" \
	timeout 60 "$PV_BIN/pvkit-nbd-probe" zero "$U"

# Discard: the range reads back zero and the backing file frees its blocks.
# 40 MiB: longer than the export's 32 MiB maximum block size, as qemu sends.
qio() { timeout 30 qemu-io -f raw "$@" "$U" >"$D/qio.out" 2>&1 && ! grep -qi "fail\|error" "$D/qio.out"; }
qemu-io -f raw -c "write -P 0x5a 0 40M" "$U" >/dev/null 2>&1
sync "$D/disk.img"
before=$(du -k "$D/disk.img" | cut -f1)
pv_check "discard 40 MiB in one request" qio -c "discard 0 40M" -c "flush"
pv_check "the discarded range reads back zeros" \
	qio -c "read -P 0 0 40M"
after=$(du -k "$D/disk.img" | cut -f1)
pv_check "discard freed space in the backing file ($before KiB -> $after KiB)" \
	test $((before - after)) -ge 38000

# blkback killed and not restarted: pending I/O fails after the I/O timeout
# instead of hanging; once blkback is back, blkfront reconnects and works.
serve --io-timeout 2000
kill -9 $bbpid; wait $bbpid 2>/dev/null
pv_check "blkback dead: a read fails with an I/O error after the timeout, no hang" \
	bash -c "timeout 60 qemu-io -f raw -c 'read 0 4k' '$U' 2>&1 | grep -q 'read failed'"
start_bb
pv_check "blkback back: blkfront reconnects and reads again" pv_wait_for 20 qio -c "read 0 4k"

# A read-only vbd is exported read-only.
kill "$srvpid"; wait "$srvpid" 2>/dev/null; srvpid=
pv_check "read-only vbd 51728 added" "$BT" addvbd "$D" "$dom" 51728 "$D/disk.img" r
ROSOCK=$D/ro.sock
"$BT" serve "$D" "$dom" 51728 "$ROSOCK" >"$D/ro.out" 2>>"$D/serve.err" &
srvpid=$!
pv_check "read-only vbd exported" pv_wait_for 15 test -S "$ROSOCK"
pv_check_eq "nbdinfo: read-only" true \
	"$(timeout 10 nbdinfo "nbd+unix:///?socket=$ROSOCK" | awk '/is_read_only:/ {print $2}')"
pv_check "a write to the read-only export is refused" \
	bash -c "! timeout 10 qemu-io -f raw -c 'write 0 4k' 'nbd+unix:///?socket=$ROSOCK' 2>/dev/null | grep -q wrote"
kill "$srvpid"; wait "$srvpid"
pv_check_eq "blkfront-test exits 0 on SIGTERM" 0 $?

# A disk of 4096-byte sectors: exported with a 4096-byte minimum block size.
head -c 8M /dev/urandom > "$D/4k.img"
pv_check "4 KiB-sector vbd 51744 added" "$BT" addvbd "$D" "$dom" 51744 "$D/4k.img" w 4096
K=$D/4k.sock UK="nbd+unix:///?socket=$D/4k.sock"
"$BT" serve "$D" "$dom" 51744 "$K" >"$D/4k.out" 2>>"$D/serve.err" &
srvpid=$!
pv_check "4 KiB-sector vbd exported" pv_wait_for 15 test -S "$K"
pv_check_eq "nbdinfo: 4096-byte minimum block, 8 MiB" "4096 8388608" \
	"$(timeout 10 nbdinfo "$UK" | awk '/block_size_minimum:/ {b = $2} /export-size:/ {s = $2} END {print b, s}')"
head -c 8M /dev/urandom > "$D/4k.src"
pv_check "nbdcopy in and out of the 4 KiB-sector disk" \
	bash -c "timeout 30 nbdcopy '$D/4k.src' '$UK' && timeout 30 nbdcopy '$UK' - | cmp -s - '$D/4k.src'"
pv_check "the 4 KiB-sector image holds the data" cmp -s "$D/4k.src" "$D/4k.img"
kill "$srvpid"; wait "$srvpid"
srvpid=
pv_check "blkback survived" kill -0 $bbpid
pv_check "blkback refused none of blkfront's requests" bash -c "! grep -q refused '$D/blkback.log'"
pv_done

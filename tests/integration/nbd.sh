#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The NBD export with real clients (nbdinfo, nbdcopy, qemu-img, fio's nbd
# engine, nbdfuse) over a file-backed device: data in equals data out.
source "$(dirname "$0")/../lib.sh"

T=$(mktemp -d)
PIDS=() SERVERS=()
cleanup() {
	[ -d "$T/mnt" ] && fusermount3 -u "$T/mnt" 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# serve NAME FILE [args...]: start pvkit-nbd-file on $T/NAME.sock
serve() {
	local name=$1 file=$2; shift 2
	"$PV_BIN/pvkit-nbd-file" --socket "$T/$name.sock" --file "$file" "$@" 2>>"$T/$name.log" &
	PIDS+=($!) SERVERS+=($!)
	pv_wait_for 5 test -S "$T/$name.sock"
}
uri() { echo "nbd+unix:///?socket=$T/$1.sock"; }

head -c 64M /dev/urandom > "$T/src"
truncate -s 64M "$T/disk"
pv_check "server starts" serve rw "$T/disk"
U=$(uri rw)

info=$(timeout 10 nbdinfo "$U")
pv_check_eq "nbdinfo size" "67108864" "$(echo "$info" | awk '/export-size:/ {print $2}')"
pv_check_eq "nbdinfo minimum block size" "512" "$(echo "$info" | awk '/block_size_minimum:/ {print $2}')"
pv_check_eq "nbdinfo maximum block size" "33554432" "$(echo "$info" | awk '/block_size_maximum:/ {print $2}')"
pv_check_eq "nbdinfo structured replies" "1" "$(echo "$info" | grep -c 'using structured packets')"
pv_check_eq "nbdinfo can_trim" "true" "$(echo "$info" | awk '/can_trim:/ {print $2}')"
pv_check_eq "nbdinfo can_zero" "true" "$(echo "$info" | awk '/can_zero:/ {print $2}')"
pv_check_eq "nbdinfo can_fua" "true" "$(echo "$info" | awk '/can_fua:/ {print $2}')"
pv_check_eq "nbdinfo --list names the export" "1" "$(timeout 10 nbdinfo --list "$U" | grep -c '^export="":')"

pv_check "nbdcopy in" timeout 60 nbdcopy "$T/src" "$U"
pv_check "backing file equals the source" cmp -s "$T/src" "$T/disk"
pv_check "nbdcopy out" timeout 60 nbdcopy "$U" "$T/out"
pv_check "copied out equals the source" cmp -s "$T/src" "$T/out"
pv_check "qemu-img compare with the backing file" \
	timeout 60 qemu-img compare -q -f raw -F raw "$U" "$T/disk"
# A sparse image over the copied one: nbdcopy zeroes each hole in one
# WRITE_ZEROES, longer than the 32 MiB maximum block size.
truncate -s 64M "$T/sparse"
head -c 1M /dev/urandom | dd of="$T/sparse" bs=1M seek=50 conv=notrunc status=none
pv_check "nbdcopy a sparse image in (a 50 MiB hole)" timeout 60 nbdcopy "$T/sparse" "$U"
pv_check "backing file equals the sparse image" cmp -s "$T/sparse" "$T/disk"
pv_check "nbdcopy the source in again" timeout 60 nbdcopy "$T/src" "$U"
# Single connection, requests pipelined: same bytes.
pv_check "nbdcopy out, one connection" timeout 60 nbdcopy -C 1 --requests 64 "$U" "$T/out1"
pv_check "one-connection copy equals the source" cmp -s "$T/src" "$T/out1"

# fio: mixed block sizes, 16 requests in flight, every block verified.
fio_verify() {
	timeout 120 fio --name=verify --ioengine=nbd --uri="$U" --rw="$1" --bsrange=512-1M \
		--iodepth=16 --size=64M --io_size=24M --verify=crc32c --do_verify=1 \
		--verify_fatal=1 --verify_state_save=0 --randrepeat=0 --output="$T/fio-$1.log" >/dev/null
}
pv_check "fio randwrite bs 512..1M iodepth 16 verify=crc32c" fio_verify randwrite
pv_check "fio write bs 512..1M iodepth 16 verify=crc32c" fio_verify write
pv_check "qemu-img compare after fio" timeout 60 qemu-img compare -q -f raw -F raw "$U" "$T/disk"

# Trim, write-zeroes (with and without NO_HOLE) and FUA, checked by libnbd.
pv_check "trim and write-zeroes read back zero, FUA and flush" \
	timeout 30 "$PV_BIN/pvkit-nbd-probe" zero "$U"

# Several clients at once, and the server still answers afterwards.
par=()
for i in 1 2 3; do timeout 60 nbdcopy "$U" "$T/par$i" & par+=($!); done
par_ok=0
for p in "${par[@]}"; do wait "$p" && par_ok=$((par_ok + 1)); done
pv_check_eq "three concurrent nbdcopy clients" 3 "$par_ok"
pv_check "concurrent copies equal the disk" \
	bash -c "cmp -s '$T/disk' '$T/par1' && cmp -s '$T/disk' '$T/par2' && cmp -s '$T/disk' '$T/par3'"

# nbdfuse: the export as a file.
if [ -c /dev/fuse ] && command -v nbdfuse >/dev/null; then
	mkdir "$T/mnt"
	nbdfuse "$T/mnt" "$U" &
	PIDS+=($!)
	if pv_wait_for 5 test -e "$T/mnt/nbd"; then
		head -c 1M /dev/urandom > "$T/blk"
		dd if="$T/blk" of="$T/mnt/nbd" bs=1M seek=3 conv=notrunc,fsync status=none
		pv_check "nbdfuse write reaches the backing file" \
			cmp -s "$T/blk" <(dd if="$T/disk" bs=1M skip=3 count=1 status=none)
		pv_check "nbdfuse read" cmp -s "$T/blk" \
			<(dd if="$T/mnt/nbd" bs=1M skip=3 count=1 iflag=direct status=none)
		fusermount3 -u "$T/mnt"
	else
		pv_fail "nbdfuse mounts the export"
	fi
else
	pv_skip "nbdfuse (no /dev/fuse)"
fi

# The same through the worker-thread device: completions from other threads.
truncate -s 64M "$T/disk-thr"
pv_check "threads-mode server starts" serve thr "$T/disk-thr" --io threads --threads 3
U=$(uri thr)
pv_check "threads: nbdcopy in" timeout 60 nbdcopy "$T/src" "$U"
pv_check "threads: backing file equals the source" cmp -s "$T/src" "$T/disk-thr"
pv_check "threads: fio randwrite verify=crc32c" fio_verify randwrite
pv_check "threads: trim, write-zeroes, FUA" timeout 30 "$PV_BIN/pvkit-nbd-probe" zero "$U"
pv_check "threads: qemu-img compare" timeout 60 qemu-img compare -q -f raw -F raw "$U" "$T/disk-thr"

# Read-only export: flags say so and writes are refused with EPERM.
cp "$T/src" "$T/ro"
pv_check "read-only server starts" serve ro "$T/ro" --read-only --sector-size 4096
R=$(uri ro)
info=$(timeout 10 nbdinfo "$R")
pv_check_eq "read-only flag" "true" "$(echo "$info" | awk '/is_read_only:/ {print $2}')"
pv_check_eq "4096-byte sectors: minimum block size" "4096" \
	"$(echo "$info" | awk '/block_size_minimum:/ {print $2}')"
pv_check "read-only export refuses writes, trim, zero with EPERM" \
	timeout 30 "$PV_BIN/pvkit-nbd-probe" readonly "$R"
if timeout 30 nbdcopy "$T/out" "$R" 2>/dev/null; then
	pv_fail "nbdcopy into a read-only export fails"
else
	pv_ok "nbdcopy into a read-only export fails"
fi
pv_check "read-only file unchanged" cmp -s "$T/src" "$T/ro"
pv_check "read-only export reads" timeout 60 nbdcopy "$R" "$T/out-ro"
pv_check "read-only data equals the source" cmp -s "$T/src" "$T/out-ro"

pv_check "no server crashed" kill -0 "${SERVERS[@]}"
pv_done

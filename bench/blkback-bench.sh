#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pvkit-blkback's datapath, from a frontend speaking the wire protocol
# (tests/integration/blkback_bench.c: one queue, 8-page ring, persistent
# grants) against fio's io_uring engine on the same file (the limit).
#
#   bench/blkback-bench.sh [--size MiB]
set -u
size=128
[ "${1:-}" = --size ] && size=$2
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${PVKIT_BUILD:-$top/build}/bin
command -v fio >/dev/null || { echo "# blkback-bench: fio not installed, skipped"; exit 0; }

T=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/log"
head -c "${size}M" /dev/urandom > "$T/img"
"$bin/pvkitd" --rundir "$T" --log "$T/log/pvkitd.log" 2>/dev/null &
PIDS+=($!)
"$bin/pvkit-xenstored" --rundir "$T" 2>/dev/null &
PIDS+=($!)
for s in pvkitd xenstored; do
	for _ in $(seq 50); do [ -S "$T/$s.sock" ] && break; sleep 0.1; done
done

cd "$T" # fio leaves state files in the working directory

# fio_run RW BS DEPTH FIELD: terse v3 field 8 = read IOPS, 7 = read KiB/s.
fio_run() {
	fio --name=b --ioengine=io_uring --filename="$T/img" --rw="$1" --bs="$2" --iodepth="$3" \
		--time_based --runtime=2 --ramp_time=0.3 --minimal 2>/dev/null | tail -1 |
		awk -F';' -v f="$4" '{print (f == 8) ? $8 : $7 / 1024}'
}

out=$("$bin/blkback-bench" "$T" "$bin/pvkit-blkback" "$T/img" 2>"$T/bench.err") || {
	echo "# blkback-bench failed: $(tail -3 "$T/bench.err")"; exit 1; }
pv_iops=$(echo "$out" | awk '$1 == "randread_4k_qd32_iops" {print $2}')
pv_bw=$(echo "$out" | awk '$1 == "seqread_1m_qd8_mibs" {print $2}')
fio_iops=$(fio_run randread 4k 32 8)
fio_bw=$(fio_run read 1m 8 7)

line() {
	awk -v n="$1" -v v="$2" -v u="$3" -v bn="$4" -v bv="$5" 'BEGIN {
		printf "BENCH name=%s value=%.0f unit=%s baseline=%s baseline_value=%.0f ratio=%.2f\n",
			n, v, u, bn, bv, (bv > 0) ? v / bv : 0 }'
}
echo "# image ${size} MiB in $(dirname "$T"), page cache; blkback: 1 queue, 256-slot ring, persistent grants"
line blkback_randread_4k_qd32 "$pv_iops" iops fio_io_uring_file "$fio_iops"
line blkback_seqread_1m_qd8 "$pv_bw" MiB/s fio_io_uring_file "$fio_bw"

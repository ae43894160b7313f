#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole block path: fio's nbd engine through blkfront's NBD export
# (guest domain) -> ring -> pvkit-blkback (domain 0) -> the image, against
# nbdkit's file plugin on the same image (the peer baseline) and fio
# io_uring directly on the image (the limit). Then blkfront in-process
# (blkfront-test bench, no NBD) against fio io_uring on the file, also
# with both on one CPU (_one_cpu).
#
#   bench/blkfront.sh [--runtime SECONDS] [--size MiB] [--rounds N] [--dir DIR]
# Each figure is the median of N rounds (default 3; on disk at least
# BLKFRONT_BENCH_DISK_ROUNDS, default 5, as the virtual disk's own speed
# swings by a third from run to run); a round runs every side once, one
# after the other, so all sides see the same load.
# The image is measured on tmpfs (/dev/shm) and on disk (/var/tmp, or
# BLKFRONT_BENCH_DISK_DIR): there nothing may come from the page cache:
# blkback runs with --direct (O_DIRECT), fio io_uring with direct=1, and
# nbdkit (1.32's file plugin has no O_DIRECT) with cache=none fadvise=random
# (pages dropped after each request, no readahead); the image's cached pages
# are dropped before every run; figures end in _disk. One more figure for
# sequential reads keeps nbdkit's cache=none alone (readahead on) for comparison.
# --dir DIR measures that directory only.
set -u
runtime=3 size=256 rounds=3 dirs="/dev/shm ${BLKFRONT_BENCH_DISK_DIR:-/var/tmp}"
while [ $# -gt 0 ]; do
	case "$1" in
	--runtime) runtime=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--dir) dirs=$2; shift 2 ;;
	*) echo "usage: $0 [--runtime S] [--size MiB] [--rounds N] [--dir DIR]" >&2; exit 2 ;;
	esac
done
if [ -z "${BLKFRONT_BENCH_ONE:-}" ]; then
	for d in $dirs; do
		BLKFRONT_BENCH_ONE=$d "$0" --runtime "$runtime" --size "$size" --rounds "$rounds"
	done
	exit 0
fi
dir=$BLKFRONT_BENCH_ONE
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${PVKIT_BUILD:-$top/build}/bin
for tool in fio nbdkit; do
	command -v $tool >/dev/null || { echo "# blkfront: $tool not installed, skipped"; exit 0; }
done
[ -x "$bin/pvkit-blkback" ] || { echo "# blkfront: pvkit-blkback not built, skipped"; exit 0; }

D=$(mktemp -d)          # run directory (sockets)
T=$(mktemp -d -p "$dir") # the image
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$D" "$T"
}
trap cleanup EXIT
export PVKIT_RUNDIR=$D XENSTORED_PATH=$D/xenstored.sock
fstype=$(df --output=fstype "$T" | tail -1)
direct=0 bbopt= nkopt= sfx=
[ "$fstype" != tmpfs ] && direct=1 bbopt=--direct nkopt="cache=none fadvise=random" sfx=_disk
[ $direct = 1 ] && [ "$rounds" -lt "${BLKFRONT_BENCH_DISK_ROUNDS:-5}" ] && rounds=${BLKFRONT_BENCH_DISK_ROUNDS:-5}

head -c "${size}M" /dev/urandom > "$T/img"
# drop_cache: the image's pages out of the page cache (written back first).
drop_cache() {
	[ $direct = 1 ] || return 0
	sync "$T/img" && dd if="$T/img" iflag=nocache count=0 status=none
}
drop_cache
"$bin/pvkitd" --rundir "$D" --log "$D/pvkitd.log" 2>/dev/null & PIDS+=($!)
"$bin/pvkit-xenstored" --rundir "$D" --log "$D/xs.log" 2>/dev/null & PIDS+=($!)
for _ in $(seq 50); do [ -S "$D/pvkitd.sock" ] && [ -S "$D/xenstored.sock" ] && break; sleep 0.1; done
"$bin/pvkit-blkback" --rundir "$D" --log "$D/blkback.log" $bbopt 2>/dev/null & PIDS+=($!)
bb_pid=$!
dom=$("$bin/blkfront-test" mkdomain "$D" bench 64)
"$bin/blkfront-test" addvbd "$D" "$dom" 51712 "$T/img" w
"$bin/blkfront-test" serve "$D" "$dom" 51712 "$D/pvkit.sock" >"$D/serve.out" 2>"$D/serve.log" &
PIDS+=($!)
serve_pid=$!
nbdkit -f -U "$D/nbdkit.sock" file $nkopt "$T/img" 2>"$D/nbdkit.log" &
PIDS+=($!)
socks="pvkit nbdkit"
if [ $direct = 1 ]; then # the earlier baseline: cache=none alone, readahead on
	nbdkit -f -U "$D/nbdkit-ra.sock" file cache=none "$T/img" 2>"$D/nbdkit-ra.log" &
	PIDS+=($!)
	socks="$socks nbdkit-ra"
fi
for s in $socks; do
	for _ in $(seq 100); do [ -S "$D/$s.sock" ] && break; sleep 0.1; done
done

# fio_run TARGET RW BS DEPTH UNIT: IOPS (UNIT=iops) or MiB/s.
fio_run() {
	local target out
	case "$1" in
	file) target=(--ioengine=io_uring --filename="$T/img" --direct=$direct) ;;
	*) target=(--ioengine=nbd --uri="nbd+unix:///?socket=$D/$1.sock") ;;
	esac
	drop_cache
	out=$(fio --name=b "${target[@]}" --rw="$2" --bs="$3" --iodepth="$4" --size="${size}M" \
		--time_based --runtime="$runtime" --ramp_time=500ms --minimal 2>/dev/null | tail -1)
	# Terse v3: fields 7/8 read KiB/s / IOPS, 48/49 the same for writes.
	case "$2" in
	*read) echo "$out" | awk -F';' -v u="$5" '{print (u == "iops") ? $8 : $7 / 1024}' ;;
	*) echo "$out" | awk -F';' -v u="$5" '{print (u == "iops") ? $49 : $48 / 1024}' ;;
	esac
}

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print NR ? v[int((NR + 1) / 2)] : 0}'; }
line() { # NAME VALUE UNIT BASELINE BASE_VALUE
	awk -v n="$1" -v p="$2" -v u="$3" -v b="$4" -v k="$5" 'BEGIN {
		printf "BENCH name=%s value=%.0f unit=%s baseline=%s baseline_value=%.0f ratio=%.2f\n",
			n, p, u, b, k, (k > 0) ? p / k : 0 }'
}
ints() { printf '%.0f ' "$@"; }

# figure NAME RW BS DEPTH UNIT: pvkit vs nbdkit, and pvkit vs io_uring on the file.
figure() {
	local p=() k=() r=() f=() i
	for i in $(seq "$rounds"); do
		p+=("$(fio_run pvkit "$2" "$3" "$4" "$5")")
		k+=("$(fio_run nbdkit "$2" "$3" "$4" "$5")")
		[ $direct = 1 ] && [ "$2" = read ] && r+=("$(fio_run nbdkit-ra "$2" "$3" "$4" "$5")")
		f+=("$(fio_run file "$2" "$3" "$4" "$5")")
	done
	echo "# $1$sfx rounds: pvkit $(ints "${p[@]}")/ nbdkit $(ints "${k[@]}")/ file $(ints "${f[@]}")$([ ${#r[@]} -gt 0 ] && echo "/ nbdkit cache=none $(ints "${r[@]}")")"
	line "$1$sfx" "$(median "${p[@]}")" "$5" nbdkit-file "$(median "${k[@]}")"
	[ ${#r[@]} -gt 0 ] &&
		line "$1_vs_nbdkit_readahead$sfx" "$(median "${p[@]}")" "$5" nbdkit-file-cache=none \
			"$(median "${r[@]}")"
	line "$1_vs_file$sfx" "$(median "${p[@]}")" "$5" fio-io_uring-file$sfx "$(median "${f[@]}")"
}

echo "# blkfront: ${size} MiB image on $fstype in $dir (blkback ${bbopt:-buffered}, fio direct=$direct," \
	"nbdkit ${nkopt:-cache=default}), $(grep -o 'queues=.*' "$D/serve.out" | head -1);" \
	"nbdkit $(nbdkit --version | awk '{print $2}') file plugin; median of $rounds x ${runtime}s; load $(cut -d" " -f1-3 /proc/loadavg)"
figure blkfront_nbd_randread_4k_qd32 randread 4k 32 iops
figure blkfront_nbd_randwrite_4k_qd32 randwrite 4k 32 iops
figure blkfront_nbd_read_1m_qd8 read 1m 8 MiB/s
figure blkfront_nbd_write_1m_qd8 write 1m 8 MiB/s

# In-process blkfront (no NBD), reading into buffers from its granted pool
# (no bounce copy): the export is stopped so the disk is free. Then the
# same with blkfront, pvkit-blkback and fio all on one CPU (fio's one
# thread uses one; on a VM a wake-up of an idle CPU costs the host a round
# trip, and pvkit's path has three per batch where fio's has one).
kill "$serve_pid" 2>/dev/null
sleep 0.5
# The highest CPU this script may use (not nproc - 1: under a cpuset the
# allowed CPUs need not start at 0).
one_cpu=$(awk '/^Cpus_allowed_list/ {n = split($2, c, /[,-]/); print c[n]}' /proc/self/status)
# inproc [taskset ...]: blkfront's IOPS, then fio's, one line each (0 when
# a side printed none, so that a failed blkfront is not given fio's figure).
inproc() {
	local v
	drop_cache
	v=$("$@" "$bin/blkfront-test" bench "$D" "$dom" 51712 "$runtime" 2>/dev/null |
		sed -n 's/^iops=\([0-9]*\).*/\1/p')
	echo "${v:-0}"
	drop_cache
	v=$("$@" fio --name=b --ioengine=io_uring --filename="$T/img" --direct=$direct --rw=randread \
		--bs=4k --iodepth=32 --size="${size}M" --time_based --runtime="$runtime" \
		--ramp_time=500ms --minimal 2>/dev/null | tail -1 | awk -F';' '{print $8}')
	echo "${v:-0}"
}
for tag in "" _one_cpu; do
	p=() f=() wrap=()
	n=blkfront_inproc_randread_4k_qd32$tag$sfx
	if [ -n "$tag" ]; then
		wrap=(taskset -c "$one_cpu")
		if ! taskset -a -p -c "$one_cpu" "$bb_pid" >/dev/null; then
			echo "# $n: cannot pin pvkit-blkback to CPU $one_cpu, skipped"
			break
		fi
	fi
	for i in $(seq "$rounds"); do
		mapfile -t r < <(inproc "${wrap[@]}")
		p+=("${r[0]:-0}") f+=("${r[1]:-0}")
	done
	echo "# $n rounds: pvkit $(ints "${p[@]}")/ file $(ints "${f[@]}")"
	line $n "$(median "${p[@]}")" iops fio-io_uring-file$tag$sfx "$(median "${f[@]}")"
done
echo "# blkfront: done on $fstype, load $(cut -d" " -f1-3 /proc/loadavg)"

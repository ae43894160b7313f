#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The NBD export's own overhead: fio's nbd engine through pvkit-nbd-file
# against nbdkit's file plugin, same file on tmpfs, same UNIX-socket URI form.
#
#   bench/nbd-file.sh [--runtime SECONDS] [--size MiB] [--rounds N]
# Each figure is the best of N interleaved rounds (the machine is shared).
set -u
runtime=4 size=256 rounds=3
while [ $# -gt 0 ]; do
	case "$1" in
	--runtime) runtime=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	*) echo "usage: $0 [--runtime S] [--size MiB] [--rounds N]" >&2; exit 2 ;;
	esac
done
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${PVKIT_BUILD:-$top/build}/bin
for tool in fio nbdkit; do
	command -v $tool >/dev/null || { echo "# nbd-file: $tool not installed, skipped"; exit 0; }
done

T=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

head -c "${size}M" /dev/urandom > "$T/img"
"$bin/pvkit-nbd-file" --socket "$T/pvkit.sock" --file "$T/img" 2>"$T/pvkit.log" &
PIDS+=($!)
nbdkit -f -U "$T/nbdkit.sock" file "$T/img" 2>"$T/nbdkit.log" &
PIDS+=($!)
for s in pvkit nbdkit; do
	for _ in $(seq 50); do [ -S "$T/$s.sock" ] && break; sleep 0.1; done
done

# run SERVER RW BS DEPTH UNIT: prints IOPS (UNIT=iops) or MiB/s (UNIT=MiB/s).
run() {
	local out
	out=$(fio --name=b --ioengine=nbd --uri="nbd+unix:///?socket=$T/$1.sock" --rw="$2" \
		--bs="$3" --iodepth="$4" --size="${size}M" --time_based --runtime="$runtime" \
		--ramp_time=1 --minimal 2>/dev/null | tail -1)
	# Terse v3: field 7/8 read bandwidth KiB/s / IOPS, 48/49 the same for writes.
	case "$2" in
	*read) echo "$out" | awk -F';' -v u="$5" '{print (u == "iops") ? $8 : $7 / 1024}' ;;
	*) echo "$out" | awk -F';' -v u="$5" '{print (u == "iops") ? $49 : $48 / 1024}' ;;
	esac
}

max() { awk -v a="$1" -v b="$2" 'BEGIN {print (a + 0 > b + 0) ? a : b}'; }

# figure NAME RW BS DEPTH UNIT
figure() {
	local p=0 k=0 i
	for i in $(seq "$rounds"); do
		p=$(max "$p" "$(run pvkit "$2" "$3" "$4" "$5")")
		k=$(max "$k" "$(run nbdkit "$2" "$3" "$4" "$5")")
	done
	awk -v n="$1" -v p="$p" -v k="$k" -v u="$5" 'BEGIN {
		printf "BENCH name=%s value=%.0f unit=%s baseline=nbdkit-file baseline_value=%.0f ratio=%.2f\n",
			n, p, u, k, (k > 0) ? p / k : 0 }'
}

# CPU time (user + system, every thread) a server process has used, in ms.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) * 1000 / hz}' "/proc/$1/stat"; }

# cpu_figure NAME RW BS DEPTH OPS: server CPU per request (us) over a fixed
# number of requests; less sensitive to a loaded machine than throughput.
cpu_figure() {
	local p=1e9 k=1e9 i s c0 v
	for i in $(seq "$rounds"); do
		for s in pvkit nbdkit; do
			local pid=${PIDS[0]}
			[ $s = nbdkit ] && pid=${PIDS[1]}
			c0=$(cpu_ms "$pid")
			fio --name=c --ioengine=nbd --uri="nbd+unix:///?socket=$T/$s.sock" --rw="$2" \
				--bs="$3" --iodepth="$4" --size="${size}M" --number_ios="$5" \
				--minimal >/dev/null 2>&1
			v=$(awk -v a="$(cpu_ms "$pid")" -v b="$c0" -v n="$5" 'BEGIN {print (a - b) * 1000 / n}')
			if [ $s = pvkit ]; then p=$(awk -v a="$p" -v b="$v" 'BEGIN {print (b < a) ? b : a}')
			else k=$(awk -v a="$k" -v b="$v" 'BEGIN {print (b < a) ? b : a}'); fi
		done
	done
	awk -v n="$1" -v p="$p" -v k="$k" 'BEGIN {
		printf "BENCH name=%s value=%.2f unit=us baseline=nbdkit-file baseline_value=%.2f ratio=%.2f\n",
			n, p, k, (p > 0) ? k / p : 0 }'
}

echo "# nbd-file: fio nbd engine, ${size} MiB file on $(df --output=fstype "$T" | tail -1)," \
	"pvkit-nbd-file (io_uring) vs nbdkit $(nbdkit --version | awk '{print $2}') file plugin," \
	"best of $rounds x ${runtime}s"
figure nbd_file_randread_4k_qd32 randread 4k 32 iops
figure nbd_file_randwrite_4k_qd32 randwrite 4k 32 iops
figure nbd_file_read_1m_qd8 read 1m 8 MiB/s
figure nbd_file_write_1m_qd8 write 1m 8 MiB/s
echo "# server CPU per request (ratio: nbdkit / pvkit, > 1: pvkit costs less)"
figure_ops=$((size * 256 / 2))
cpu_figure nbd_file_randread_4k_qd32_cpu randread 4k 32 "$figure_ops"
cpu_figure nbd_file_randwrite_4k_qd32_cpu randwrite 4k 32 "$figure_ops"

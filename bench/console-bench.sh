#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Console throughput: a guest writes 32 MiB to its console (pty -> frontend
# -> console ring -> pvkit-consoled -> log), beside the same bytes through a
# plain pty read by `script` (the kernel pty alone). Prints BENCH lines.
. "$(dirname "$0")/../tests/integration/console-env.sh"
MIB=${CONSOLE_BENCH_MIB:-32}
CMD="yes 0123456789abcdef | head -c $((MIB * 1048576))"

now() { date +%s.%N; }
start_platform || { echo "# console-bench: platform did not start"; exit 1; }
start_consoled --rate-limit 0 --log-size 0 || { echo "# console-bench: consoled did not start"; exit 1; }

t0=$(now)
start_guest bench -- sh -c "$CMD" || exit 1
wait $GUEST
t1=$(now)
script -qc "$CMD" /dev/null >/dev/null
t2=$(now)
logged=$(stat -c %s "$D/log/console/dom$DOMID.log")
echo "# $MIB MiB through the console (logged $logged bytes, CR added by the guest's tty) vs a plain pty"
awk -v m="$MIB" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
	cons = m / (b - a); pty = m / (c - b);
	printf "BENCH name=console_stream value=%.1f unit=MiB/s baseline=plain_pty baseline_value=%.1f ratio=%.2f\n",
		cons, pty, cons / pty }'

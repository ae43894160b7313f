#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make bench: starts pvkit-xenstored in a scratch run directory and runs
# xenstored-bench against it through libxenstore.
B=${PVKIT_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
D=$(mktemp -d)
"$B/bin/pvkit-xenstored" --rundir "$D" 2>/dev/null &
PID=$!
trap 'kill $PID 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT
for _ in $(seq 50); do [ -S "$D/xenstored.sock" ] && break; sleep 0.1; done
XENSTORED_PATH=$D/xenstored.sock "$B/bin/xenstored-bench"

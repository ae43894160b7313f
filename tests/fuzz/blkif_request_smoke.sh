#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A short libFuzzer run of blkback's request intake (built when clang is
# present), seeded with a read, an x86_32 write, a discard and an indirect
# request; fails on any crash, sanitizer report or accepted bad request.
. "$(dirname "$0")/../lib.sh"

F=$PVKIT_BUILD/fuzz/blkif-request-fuzz
[ -x "$F" ] || { pv_skip "blkif-request-fuzz not built (needs clang)"; pv_done; }
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
mkdir "$D/corpus"
# flags, disk size in pages (LE32, its third byte picks x86_32 when odd), then the slot.
seed() { printf "$1" > "$D/corpus/$2"; }
seed '\x74\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x07' read
seed '\x64\x00\x01\x01\x00\x01\x01\x00\x00\x09\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x07' write32
seed '\x64\x00\x01\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x08' discard
seed '\x64\x00\x01\x00\x00\x06\x00\x02\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04' indirect
"$F" -runs=20000 -max_total_time=15 -max_len=4300 -timeout=10 "$D/corpus" > "$D/fuzz.log" 2>&1
rc=$?
pv_check_eq "short fuzz run without a crash or an accepted bad request" 0 $rc
[ $rc = 0 ] || tail -n 30 "$D/fuzz.log"
pv_done

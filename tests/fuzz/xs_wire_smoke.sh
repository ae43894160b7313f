#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A short libFuzzer run (5000 inputs or 20 s) of the xs_wire harness (built when clang is present),
# seeded with a few well-formed requests; fails on any crash or sanitizer report.
. "$(dirname "$0")/../lib.sh"

F=$PVKIT_BUILD/fuzz/xs-wire-fuzz
[ -x "$F" ] || { pv_skip "xs-wire-fuzz not built (needs clang)"; pv_done; }
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
mkdir "$D/corpus"
msg() { # type tx payload(printf format)... -> one message on stdout
	local type=$1 tx=$2 p
	p=$(printf "$3" | od -An -tx1 | tr -d ' \n')
	printf '%08x%08x%08x%08x' "$type" 1 "$tx" $(( ${#p} / 2 )) | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/g' | xxd -r -p
	printf "$3"
}
{ printf '\0'; msg 11 0 '/a/b\0v'; msg 2 0 '/a/b\0'; msg 1 0 '/a\0'; } > "$D/corpus/write-read"
{ printf '\1'; msg 4 0 'x\0tok\0'; msg 11 0 'x/y\0z'; msg 13 0 'x\0'; } > "$D/corpus/guest-watch"
{ printf '\0'; msg 6 0 '\0'; msg 11 1 '/t\0v'; msg 7 1 'T\0'; msg 22 0 '/\0000\0'; } > "$D/corpus/txn"
{ printf '\0'; msg 14 0 '/local\0r1\0b2\0'; msg 3 0 '/local\0'; msg 8 0 '3\0000\0000\0'; msg 9 0 '3\0'; } > "$D/corpus/perms"
"$F" -runs=5000 -max_total_time=20 -max_len=4200 -timeout=10 "$D/corpus" > "$D/fuzz.log" 2>&1
rc=$?
pv_check_eq "short fuzz run without a crash" 0 $rc
[ $rc = 0 ] || tail -n 30 "$D/fuzz.log"
pv_done

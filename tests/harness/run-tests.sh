#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs test programs and scripts, one at a time, and records their counts.
# A test reports "PVTEST passed=N failed=M [skipped=K]" as its last such line
# (tests/harness/cunit.c and tests/lib.sh print it); a test that prints none
# counts as one test judged by its exit status. A test that exits non-zero
# counts one failure more unless it already reported one.
#
#   run-tests.sh --results DIR --label L [--verbose] TEST...
#   run-tests.sh --results DIR --summary     (prints "N passed, N failed")
set -u
results= label=test verbose=0 summary=0
: "${PVKIT_TEST_TIMEOUT:=900}"
while [ $# -gt 0 ]; do
	case "$1" in
	--results) results=$2; shift 2 ;;
	--label) label=$2; shift 2 ;;
	--verbose) verbose=1; shift ;;
	--summary) summary=1; shift ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ -n "$results" ] || { echo "run-tests.sh: --results DIR is required" >&2; exit 2; }
mkdir -p "$results"

if [ $summary = 1 ]; then
	p=0 f=0 s=0
	for r in "$results"/*.count; do
		[ -e "$r" ] || continue
		read -r rp rf rs < "$r"
		p=$((p + rp)) f=$((f + rf)) s=$((s + rs))
	done
	if [ -s "$results/failed.list" ]; then
		echo "failed tests (logs in $results):"
		sed 's/^/  /' "$results/failed.list"
	fi
	if [ $s -gt 0 ]; then echo "$p passed, $f failed, $s skipped"; else echo "$p passed, $f failed"; fi
	[ $f = 0 ]
	exit
fi

total_fail=0
for t in "$@"; do
	name="$label/$(basename "$t")"
	log="$results/$(echo "$name" | tr '/' '_').log"
	if [ -x "$t" ] && [ "${t##*.}" != sh ] && [ -n "${PVKIT_TEST_WRAPPER:-}" ]; then
		cmd=("$PVKIT_TEST_WRAPPER" "$t")
	elif [ "${t##*.}" = sh ]; then
		cmd=(bash "$t")
	else
		cmd=("$t")
	fi
	start=$(date +%s)
	if [ $verbose = 1 ]; then
		timeout -k 10 "$PVKIT_TEST_TIMEOUT" "${cmd[@]}" 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
	else
		timeout -k 10 "$PVKIT_TEST_TIMEOUT" "${cmd[@]}" > "$log" 2>&1
		rc=$?
	fi
	secs=$(( $(date +%s) - start ))
	line=$(grep -a '^PVTEST ' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		p=$(echo "$line" | sed -n 's/.*passed=\([0-9]*\).*/\1/p')
		f=$(echo "$line" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')
		s=$(echo "$line" | sed -n 's/.*skipped=\([0-9]*\).*/\1/p')
		: "${p:=0}" "${f:=0}" "${s:=0}"
		[ $rc != 0 ] && [ "$f" = 0 ] && f=1
	elif [ $rc = 0 ]; then p=1 f=0 s=0
	else p=0 f=1 s=0
	fi
	[ $rc = 124 ] && echo "  (timed out after ${PVKIT_TEST_TIMEOUT}s)" >> "$log"
	echo "$p $f $s" > "$results/$(echo "$name" | tr '/' '_').count"
	if [ "$f" != 0 ]; then
		status=FAIL
		echo "$name (exit $rc, log: $log)" >> "$results/failed.list"
		grep -a -E '^(not ok|FAIL|  [0-9]+\. |.*ERROR: AddressSanitizer|.*runtime error:)' "$log" | head -n 20 | sed 's/^/    /'
		total_fail=1
	else
		status=PASS
	fi
	printf '%-4s %-48s %4s passed %3s failed %3s skipped  %ss\n' "$status" "$name" "$p" "$f" "$s" "$secs"
done
exit $total_fail

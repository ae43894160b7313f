# SPDX-License-Identifier: MIT
# Helpers for the tests run inside the Xen test VM (busybox sh): each result
# is one "PVVM ok - ..." or "PVVM not ok - ..." line on the console.
vm_ok() { echo "PVVM ok - $*"; }
vm_fail() { echo "PVVM not ok - $*"; }
vm_skip() { echo "PVVM skip - $*"; }

# vm_check "description" command...: passes when the command exits 0.
vm_check() {
	local desc="$1"
	shift
	if "$@"; then vm_ok "$desc"; else vm_fail "$desc (exit $?: $*)"; fi
}

# vm_check_eq "description" expected actual
vm_check_eq() {
	if [ "$2" = "$3" ]; then vm_ok "$1"; else vm_fail "$1: expected '$2', got '$3'"; fi
}

# vm_wait_for SECONDS command...: polls until the command succeeds.
vm_wait_for() {
	local end=$(($(date +%s) + $1))
	shift
	while ! "$@" > /dev/null 2>&1; do
		[ "$(date +%s)" -ge $end ] && return 1
		sleep 0.1
	done
}

# vm_run NAME command...: runs a test program that prints "ok - X",
# "not ok - X" and "skip - X" lines (tests/lib.sh, CUnit via PVTEST) and forwards each as a
# marker; other output is shown indented. A non-zero exit with no failure
# reported counts as one failure.
vm_run() {
	local name="$1" out=/tmp/vm_run.$$ rc failed
	shift
	"$@" > "$out" 2>&1
	rc=$?
	sed -n -e "/^ok - /{s//PVVM ok - $name: /;p;b" -e "}" \
		-e "/^not ok - /{s//PVVM not ok - $name: /;p;b" -e "}" \
		-e "/^skip - /{s//PVVM skip - $name: /;p;b" -e "}" -e 's/^/  | /p' "$out"
	failed=$(grep -c '^not ok - ' "$out")
	if [ $rc != 0 ] && [ "$failed" = 0 ]; then
		vm_fail "$name (exit $rc)"
	elif [ $rc = 0 ] && ! grep -q '^ok - ' "$out"; then
		vm_ok "$name"
	fi
	rm -f "$out"
}

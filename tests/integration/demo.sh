#!/bin/bash
# SPDX-License-Identifier: MIT
# make demo itself: every step passes, and it leaves nothing behind (no run
# directory, no process, no mount, no bridge in the machine's namespace).
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || { pv_skip "make demo needs root"; pv_done; }
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
"$PV_TOP/tools/demo.sh" >"$OUT" 2>&1
rc=$?
[ $rc = 0 ] || sed 's/^/    | /' "$OUT"
pv_check_eq "the demo exits 0" 0 "$rc"
pv_check "the report says everything worked" grep -q "^demo: everything shown above worked$" "$OUT"
for s in "guest mounts its disk (NBD export) and writes a file" \
	"run a command over the guest's console" "hot-detach the disk (pvkit block-detach)" \
	"domain 0 reads the guest's file on the image (debugfs)"; do
	pv_check "report: $s" grep -q "^  ok    $s" "$OUT"
done
if [ -x "$PV_BIN/pvkit-netback" ]; then
	pv_check "report: the guest pinged domain 0" grep -q "^  ok    guest pings domain 0" "$OUT"
else
	pv_skip "ping over the vif (pvkit-netback is not built)"
fi
D=$(sed -n 's/^demo: run directory \([^ ]*\) .*/\1/p' "$OUT")
pv_check "the demo said where it ran" test -n "$D"
pv_check "its run directory is gone" test ! -e "$D"
pv_check_eq "no mount of it is left" "" "$(grep -F "$D" /proc/mounts)"
left=
for f in /proc/[0-9]*/cmdline; do
	tr '\0' ' ' 2>/dev/null <"$f" | grep -qF -- "$D" && left="$left ${f#/proc/}"
done
pv_check_eq "no process of it is left" "" "$left"
pv_check "no bridge pvbr0 in the machine's network namespace" sh -c "! ip link show pvbr0 2>/dev/null"
pv_done

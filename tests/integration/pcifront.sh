#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pcifront in pvkit-guest against a hostile PCI backend (pcifront-hostile
# plays domain 0): a fake device driven through include/pvkit/pcidev.h,
# then garbage answers, an event storm, a hostile driver on pci.sock,
# hot-plug, what a forced detach leaves (pvkit pci-detach -f), and a
# backend that never answers. pvkit-guest must survive all of it, and the
# socket must be its user's only.
. "$(dirname "$0")/../lib.sh"

D=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
export PVKIT_RUNDIR=$D XENSTORED_PATH=$D/xenstored.sock

"$PV_BIN/pvkitd" --rundir "$D" --log "$D/pvkitd.log" 2>/dev/null & pids+=($!)
"$PV_BIN/pvkit-xenstored" --rundir "$D" --log "$D/xenstored.log" 2>/dev/null & pids+=($!)
pv_check "pvkitd and xenstored ready" pv_wait_for 5 test -S "$D/pvkitd.sock" -a -S "$D/xenstored.sock"

dom=$("$PV_BIN/echo-client" mkdomain "$D" pciguest)
pv_check "domain created" test -n "$dom"
# A short op timeout, so the never-answering backend is found out quickly.
PVKIT_PCIFRONT_TIMEOUT_MS=1000 "$PV_BIN/pvkit-guest" --domid "$dom" --rundir "$D" --no-console \
	--log "$D/guest.log" 2>>"$D/guest.err" &
guestpid=$!
pids+=($guestpid)

"$PV_BIN/pcifront-hostile" "$D" "$dom" > "$D/hostile.out" 2>&1
hrc=$?
while read -r line; do
	case "$line" in
	"ok - "*) pv_ok "${line#ok - }" ;;
	"not ok - "*) pv_fail "${line#not ok - }" ;;
	"#"*) echo "$line" ;;
	esac
done < "$D/hostile.out"
pv_check_eq "pcifront-hostile exits 0" 0 $hrc
pv_check "pvkit-guest survived the hostile backend and driver" kill -0 $guestpid
pv_check "pci.sock is pvkit-guest's user's only (0600)" \
	test "$(stat -c %a "$D/dom/$dom/pci.sock")" = 600
pv_check "the garbled answers were logged" grep -q "impossible values\|unknown error code" "$D/guest.log"
# Whether the storm's events arrive one by one depends on the machine's load.
if grep -q "event storm" "$D/guest.log"; then
	pv_ok "the event storm was backed off"
else
	pv_skip "the spurious events coalesced: no storm to back off"
fi

kill -TERM $guestpid; wait $guestpid
pv_check_eq "pvkit-guest exits 0 on SIGTERM" 0 $?
pv_check "pci.sock removed at shutdown" test ! -e "$D/dom/$dom/pci.sock"
[ -s "$D/guest.err" ] && sed 's/^/# guest: /' "$D/guest.err" | head -n 40
pv_done

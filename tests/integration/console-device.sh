#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pvkit-consoled's secondary consoles (backend/console/<F>/<N>) against
# hostile frontend nodes, on the local platform: a garbage grant and port,
# missing nodes, device 0; each device fails alone (error node, Closing)
# while the daemon and the guest's own console go on; removal cleans up.
# Linux's real frontend is tested in the Xen VM (61-console-pvkit-consoled.sh).
. "$(dirname "$0")/console-env.sh"

pv_require "pvkitd and xenstored ready" start_platform
pv_require "pvkit-consoled ready" start_consoled
pv_require "guest with a console" start_guest g1 -- sleep 60
G=$DOMID
pv_check "the guest's own console is served" pv_wait_for 10 test -L "$D/console/$G.pty"
export XENSTORED_PATH=$D/xenstored.sock

# add N KEY=VALUE...: a console device N of the guest, both ends in one
# transaction, extra frontend nodes last.
add() {
	local n=$1 fe=/local/domain/$G/device/console/$1 be=/local/domain/0/backend/console/$G/$1
	shift
	local args=("$be/frontend" "$fe" "$be/frontend-id" "$G" "$be/online" 1 "$be/state" 1
		"$fe/backend" "$be" "$fe/backend-id" 0)
	for kv in "$@"; do args+=("$fe/${kv%%=*}" "${kv#*=}"); done
	xenstore-write "${args[@]}"
}
del() {
	xenstore-rm "/local/domain/$G/device/console/$1"
	xenstore-rm "/local/domain/0/backend/console/$G/$1"
}
be_state() { xenstore-read "/local/domain/0/backend/console/$G/$1/state" 2>/dev/null; }
be_error() { xenstore-read "/local/domain/0/backend/console/$G/$1/error" 2>/dev/null; }

add 1 ring-ref=123456 port=99999 state=3
pv_check "a garbage grant and port: the device is closed (5)" pv_wait_for 10 \
	bash -c "[ \"\$(xenstore-read /local/domain/0/backend/console/$G/1/state)\" = 5 ]"
pv_check "with an error node saying why" grep -q 'connecting to grant 123456' <<<"$(be_error 1)"
add 2 state=3
pv_check "no ring-ref: closed with an error" pv_wait_for 10 \
	bash -c "xenstore-read /local/domain/0/backend/console/$G/2/error | grep -q ring-ref"
pv_check_eq "and Closing" 5 "$(be_state 2)"
add 3 ring-ref=12x port=junk state=3
pv_check "malformed ring-ref and port: closed with an error" pv_wait_for 10 \
	bash -c "xenstore-read /local/domain/0/backend/console/$G/3/error | grep -q ring-ref"
add 0 ring-ref=1 port=1 state=3
pv_check "device 0 (the domain's own console) is refused" pv_wait_for 10 \
	bash -c "xenstore-read /local/domain/0/backend/console/$G/0/error | grep -q '1..65535'"
pv_check "no pty for device 0" test ! -e "$D/console/$G.0.pty"
pv_check "pvkit-consoled is still running" kill -0 "$CONSOLED"
pv_check "the guest's own console is still served" test -L "$D/console/$G.pty"
pv_check "device 1 has its pty link while it exists" test -L "$D/console/$G.1.pty"
for n in 0 1 2 3; do del $n; done
pv_check "removing the devices removes their pty links" pv_wait_for 10 \
	bash -c "! ls $D/console/$G.[0-9].pty 2>/dev/null | grep -q ."
pv_check "pvkit-consoled logged each device's failure" grep -q "console-$G.1" "$D/consoled.out"
kill -TERM "$CONSOLED"
wait "$CONSOLED"
pv_check_eq "pvkit-consoled exits 0 on SIGTERM" 0 $?
CONSOLED=
pv_done

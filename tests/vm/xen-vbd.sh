# SPDX-License-Identifier: MIT
# In the Xen test VM: attach a virtual block device of dom0 to dom0 itself by
# writing the frontend and backend xenstore nodes by hand (what xl does), so
# Linux's xen-blkfront can be tested against a backend in the same dom0.
#
#   vbd_add DEVID KIND MODE [KEY=VALUE...]
#     DEVID  virtual-device number (51712 = xvda)
#     KIND   backend directory: vbd (Linux xen-blkback, or pvkit-blkback)
#     MODE   w or r
#     KEY=VALUE  extra backend nodes (physical-device=7:0 for xen-blkback,
#            params=/path for a userspace backend)
#   vbd_state fe|be DEVID KIND      prints the XenbusState of one end
#   vbd_wait_state fe|be DEVID KIND STATE SECONDS
#   vbd_del DEVID KIND              closes both ends and removes the nodes
VBD_DOM=0

vbd_fe() { echo "/local/domain/$VBD_DOM/device/vbd/$1"; }
vbd_be() { echo "/local/domain/$VBD_DOM/backend/$2/$VBD_DOM/$1"; }

vbd_add() {
	local dev=$1 kind=$2 mode=$3 fe be kv n
	shift 3
	fe=$(vbd_fe "$dev")
	be=$(vbd_be "$dev" "$kind")
	# Everything in one transaction (xenstore-write makes one), as libxl
	# does: Linux probes either end only once the other end exists and does
	# not retry, and a backend that probes early must not see its state
	# rewritten after it moved on. The KEY=VALUE arguments go last.
	n=$#
	set -- "$@" "$be/frontend" "$fe" "$be/frontend-id" "$VBD_DOM" \
		"$be/online" 1 "$be/removable" 0 "$be/bootable" 1 "$be/type" phy \
		"$be/mode" "$mode" "$be/device-type" disk "$be/dev" xvda "$be/state" 1 \
		"$fe/backend" "$be" "$fe/backend-id" "$VBD_DOM" "$fe/virtual-device" "$dev" \
		"$fe/device-type" disk "$fe/state" 1
	while [ "$n" -gt 0 ]; do
		kv=$1
		shift
		set -- "$@" "$be/${kv%%=*}" "${kv#*=}"
		n=$((n - 1))
	done
	xenstore-write "$@"
}

vbd_state() {
	if [ "$1" = fe ]; then
		xenstore-read "$(vbd_fe "$2")/state" 2> /dev/null
	else
		xenstore-read "$(vbd_be "$2" "$3")/state" 2> /dev/null
	fi
}

vbd_wait_state() {
	local end=$(($(date +%s) + $5))
	while [ "$(vbd_state "$1" "$2" "$3")" != "$4" ]; do
		[ "$(date +%s)" -ge $end ] && return 1
		sleep 0.2
	done
}

# vbd_dump DEVID KIND: both ends' nodes and the kernel's last words, for a failure.
vbd_dump() {
	xenstore-ls -f "$(vbd_fe "$1")" 2>&1 | sed 's/^/  | /'
	xenstore-ls -f "$(vbd_be "$1" "$2")" 2>&1 | sed 's/^/  | /'
	dmesg | tail -n 20 | sed 's/^/  | dmesg: /'
}

# Closing (5) on the backend makes the frontend close; then remove both.
vbd_del() {
	local fe be
	fe=$(vbd_fe "$1")
	be=$(vbd_be "$1" "$2")
	xenstore-write "$be/online" 0 "$be/state" 5
	vbd_wait_state fe "$1" "$2" 6 10
	xenstore-rm "$fe"
	xenstore-rm "$be"
}

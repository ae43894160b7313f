#!/bin/bash
# SPDX-License-Identifier: MIT
# make demo: pvkit end to end for a newcomer, on the local platform, in a
# private run directory and private network/mount namespaces. It starts the
# host, makes a fresh ext4 image, creates a guest with that disk (and a vif
# when pvkit-netback is built) and a console; inside the guest it mounts the
# disk through the guest's NBD export, writes a file, pings domain 0 over the
# vif, and runs a command over the console; then hot-detaches the disk,
# destroys the guest, checks the file from domain 0, and prints a report.
# Nothing is left running or mounted, even when a step fails.
set -u
BIN=${PVKIT_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}/bin
PVKIT=$BIN/pvkit

# Everything runs in namespaces of its own: the bridge and the TAPs never
# touch the machine's network, the guest's mounts never its file system.
if [ -z "${PVKIT_DEMO_INNER:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "make demo: needs root (namespaces, a bridge, a loop mount): sudo make demo" >&2
		exit 1
	fi
	exec env PVKIT_DEMO_INNER=1 unshare --net --mount --propagation private "$0" "$@"
fi
mount -t sysfs sysfs /sys 2>/dev/null # /sys/class/net of this network namespace
ip link set lo up

D=$(mktemp -d /tmp/pvkit-demo.XXXXXX)
P() { "$PVKIT" --rundir "$D" "$@"; }
REPORT=() FAILED=0 GUEST=demo ID=
cleanup() {
	P host down >/dev/null 2>&1
	for m in "$D/mnt" "$D/fuse"; do umount -l "$m" 2>/dev/null; done
	for f in /proc/[0-9]*/cmdline; do # whatever still names the run directory
		p=${f#/proc/}; p=${p%/cmdline}
		tr '\0' ' ' 2>/dev/null <"$f" | grep -q -- "$D" && kill -9 "$p" 2>/dev/null
	done
	rm -rf "$D"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
# step "what" command...: run one step, time it, stop the demo if it fails.
step() {
	local what=$1 t0 rc; shift
	t0=$(now_ms)
	"$@" >"$D/step.out" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		REPORT+=("$(printf '  ok    %-58s %6s ms' "$what" $(($(now_ms) - t0)))")
		echo "demo: $what: ok"
		return 0
	fi
	REPORT+=("$(printf '  FAIL  %-58s (exit %d)' "$what" $rc)")
	echo "demo: $what: FAILED (exit $rc)"
	sed 's/^/    | /' "$D/step.out" | tail -20
	FAILED=1
	report
}
skip() { REPORT+=("$(printf '  skip  %-58s %s' "$1" "$2")"); echo "demo: $1: skipped ($2)"; }
report() {
	echo
	echo "pvkit demo report (run directory $D)"
	printf '%s\n' "${REPORT[@]}"
	[ $FAILED = 0 ] && echo "demo: everything shown above worked" || echo "demo: FAILED"
	exit $FAILED
}

NET=
[ -x "$BIN/pvkit-netback" ] || [ -x "${PVKIT_SBINDIR:-/nonexistent}/pvkit-netback" ] && NET=1

make_image() { truncate -s 64M "$D/disk.img" && mkfs.ext4 -q -F -L pvkit-demo "$D/disk.img"; }
make_bridge() {
	ip link add pvbr0 type bridge && ip addr add 198.18.0.1/24 dev pvbr0 && ip link set pvbr0 up
}
write_config() {
	{
		echo "name = \"$GUEST\""
		echo "memory = 64"
		echo "init = \"/bin/sh\""
		echo "disk = [ 'format=raw, vdev=xvda, access=rw, target=$D/disk.img' ]"
		[ -n "$NET" ] && echo "vif = [ 'mac=00:16:3e:00:00:01, bridge=pvbr0' ]"
	} >"$D/$GUEST.cfg"
}
create_guest() { P create "$D/$GUEST.cfg" && ID=$(P list | awk -v g=$GUEST '$1 == g {print $2}') && [ -n "$ID" ]; }
# Inside the guest: its NBD export -> a FUSE file -> a loop mount, private to the guest.
guest_disk() {
	P exec "$GUEST" -- sh -c "
		set -e
		mkdir -p '$D/fuse' '$D/mnt'
		nbdfuse -P '$D/nbdfuse.pid' '$D/fuse' --unix '$D/dom/$ID/xvda.sock' &
		for i in \$(seq 100); do [ -s '$D/nbdfuse.pid' ] && break; sleep 0.1; done
		mount -o loop '$D/fuse/nbd' '$D/mnt'
		echo \"written by guest \$(hostname) through its NBD export\" >'$D/mnt/hello.txt'
		umount '$D/mnt'
		fusermount3 -u '$D/fuse'
		wait"
}
PING="ping"
command -v ping >/dev/null || PING="busybox ping"
guest_ping() {
	P exec "$GUEST" -- sh -c "ip addr add 198.18.0.2/24 dev eth0 && ip link set eth0 up &&
		$PING -c 3 -W 2 198.18.0.1"
}
# Type into the console (its pty's other end) and look for the answer in its log.
guest_console() {
	printf 'echo console-of-$(hostname)-says-$((6*7))\n' >"$D/console/$ID.pty" || return 1
	for i in $(seq 50); do
		P console --log "$GUEST" | tr -d '\r' | grep -qx "console-of-$GUEST-says-42" && return 0
		sleep 0.1
	done
	return 1
}
no_guest_left() { ! P list | grep -q "^$GUEST "; }
file_on_image() { debugfs -R "cat /hello.txt" "$D/disk.img" 2>/dev/null | grep -q "written by guest $GUEST"; }

echo "demo: run directory $D (private network and mount namespaces)"
step "start the host (pvkit host up)" P host up
step "make a fresh 64 MiB ext4 image" make_image
if [ -n "$NET" ]; then step "make bridge pvbr0, 198.18.0.1/24 (demo's own netns)" make_bridge; fi
write_config
step "create guest $GUEST: disk${NET:+, vif} and console, all Connected" create_guest
step "guest mounts its disk (NBD export) and writes a file" guest_disk
if [ -n "$NET" ]; then
	step "guest pings domain 0 over its vif" guest_ping
else
	skip "guest pings domain 0 over its vif" "pvkit-netback is not built"
fi
step "run a command over the guest's console" guest_console
step "hot-detach the disk (pvkit block-detach)" P block-detach "$GUEST" xvda
step "destroy the guest" P destroy "$GUEST"
step "no guest left" no_guest_left
step "domain 0 reads the guest's file on the image (debugfs)" file_on_image
step "stop the host (pvkit host down)" P host down
report

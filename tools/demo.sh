#!/bin/bash
# SPDX-License-Identifier: MIT
# make demo: pvkit end to end for a newcomer, on the local platform, in a
# private run directory and a network namespace of its own (pvkit-demo-PID):
# host up, a fresh ext4 image, a guest with that disk, a vif on a bridge and a
# console; inside the guest its disk is mounted through the guest's NBD
# export and a file written, domain 0 is pinged over the vif, a command runs
# over the console; then the disk is hot-detached, the guest destroyed and the
# file read from the image in domain 0. It prints a report (PASS/FAIL and the
# time of each step) and leaves nothing running or mounted, even on failure.
# PVKIT_DEMO_FAIL_AT=N makes step N fail, PVKIT_DEMO_STOP_MOUNTED=1 makes the
# guest's disk step fail with the disk still mounted (tests of the cleanup).
set -u
BIN=${PVKIT_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}/bin
PVKIT=$BIN/pvkit
if [ "$(id -u)" != 0 ]; then
	echo "make demo: needs root (a network namespace, a bridge, FUSE and a loop mount): sudo make demo" >&2
	exit 1
fi
for t in ip mkfs.ext4 debugfs nbdfuse fusermount3; do
	command -v $t >/dev/null || { echo "make demo: $t is missing (make deps installs it)" >&2; exit 1; }
done

NS=pvkit-demo-$$
D=$(mktemp -d /tmp/pvkit-demo.XXXXXX) || exit 1
GUEST=demo ID= FAILED=0 NSTEP=0 REPORT=()
# Every domain-0 command that can touch a network runs in the demo's namespace.
N() { ip netns exec "$NS" "$@"; }
P() { N "$PVKIT" --rundir "$D" "$@"; }

# The guest's disk is ext4 on a loop device over nbdfuse's file: if nbdfuse
# died while that mount was up and was the last process of the guest's mount
# namespace, the unmount would wait on nbdfuse itself, and every later loop
# setup on the machine with it. So its FUSE connection is aborted first (the
# I/O fails instead), then nbdfuse is killed and waited for.
stop_nbdfuse() {
	local pid mm i
	pid=$(cat "$D/nbdfuse.pid" 2>/dev/null) && [ -n "$pid" ] || return 0
	tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q "^nbdfuse .*$D" || return 0
	mm=$(awk -v m="$D/fuse" '$5 == m {print $3}' "/proc/$pid/mountinfo" 2>/dev/null)
	[ -n "$mm" ] && unshare -m sh -c "mount -t fusectl none /sys/fs/fuse/connections 2>/dev/null
		echo 1 >/sys/fs/fuse/connections/${mm#*:}/abort" 2>/dev/null
	kill -9 "$pid" 2>/dev/null
	for i in $(seq 50); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
}
cleanup() {
	trap '' INT TERM
	stop_nbdfuse
	[ -n "$ID" ] && P destroy "$GUEST" >/dev/null 2>&1
	P host down >/dev/null 2>&1
	# Whatever is left: processes inside the namespace or naming the run directory.
	for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	for f in $(grep -lFf <(echo "$D") /proc/[0-9]*/cmdline 2>/dev/null); do
		p=${f#/proc/}; p=${p%/cmdline}
		[ "$p" != $$ ] && kill -9 "$p" 2>/dev/null
	done
	grep -F "$D" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m"; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }
# step "what" command...: run one step (after a failure: none), show its
# output indented, record PASS/FAIL and its time for the report.
step() {
	local what=$1 t0 ms rc; shift
	NSTEP=$((NSTEP + 1))
	if [ $FAILED != 0 ]; then
		REPORT+=("$(printf '%3d  %-60s %-5s %s' $NSTEP "$what" "-" "not run")")
		return 1
	fi
	echo "demo: [$NSTEP] $what"
	t0=$(now_ms)
	if [ "${PVKIT_DEMO_FAIL_AT:-}" = $NSTEP ]; then
		echo "PVKIT_DEMO_FAIL_AT=$NSTEP: this step fails on purpose" >"$D/step.out"
		rc=99
	else
		"$@" >"$D/step.out" 2>&1
		rc=$?
	fi
	ms=$(($(now_ms) - t0))
	tr -d '\r' <"$D/step.out" | tail -15 | sed 's/^/      | /'
	if [ $rc = 0 ]; then
		REPORT+=("$(printf '%3d  %-60s %-5s %6d ms' $NSTEP "$what" PASS $ms)")
		return 0
	fi
	echo "demo: [$NSTEP] FAILED (exit $rc)"
	REPORT+=("$(printf '%3d  %-60s %-5s %6d ms (exit %d)' $NSTEP "$what" FAIL $ms $rc)")
	FAILED=1
	return 1
}

# --- the steps ----------------------------------------------------------------
start_host() {
	ip netns add "$NS" && N ip link set lo up && P host up
}
make_image() {
	truncate -s 64M "$D/disk.img" && mkfs.ext4 -q -F -L pvkit-demo "$D/disk.img" &&
		ls -l "$D/disk.img"
}
make_bridge() {
	N ip link add pvbr0 type bridge && N ip addr add 198.18.0.1/24 dev pvbr0 &&
		N ip link set pvbr0 up && N ip -br addr show pvbr0
}
write_config() {
	cat >"$D/$GUEST.cfg" <<-EOF
	# pvkit demo guest (xl.cfg syntax; see pvkit.cfg(5))
	name = "$GUEST"
	memory = 64
	init = "/bin/sh"
	disk = [ 'format=raw, vdev=xvda, access=rw, target=$D/disk.img' ]
	EOF
	[ -n "$NET" ] && echo "vif = [ 'bridge=pvbr0' ]" >>"$D/$GUEST.cfg"
	cat "$D/$GUEST.cfg"
}
create_guest() {
	P create "$D/$GUEST.cfg" && ID=$(P list | awk -v g=$GUEST '$1 == g {print $2}') &&
		[ -n "$ID" ] && P list -l && P network-list "$GUEST"
}
# Inside the guest: its NBD export -> a file (nbdfuse) -> a loop mount; the
# mounts live in the guest's own mount namespace.
guest_disk() {
	P exec "$GUEST" -- sh -c "
		set -e
		mkdir -p '$D/fuse' '$D/mnt'
		nbdfuse -P '$D/nbdfuse.pid' '$D/fuse' --unix '$D/dom/$ID/xvda.sock' &
		for i in \$(seq 100); do [ -s '$D/nbdfuse.pid' ] && break; sleep 0.1; done
		echo \"guest: export $D/dom/$ID/xvda.sock is \$(stat -c %s '$D/fuse/nbd') bytes at $D/fuse/nbd\"
		mount -o loop '$D/fuse/nbd' '$D/mnt'
		echo \"written by guest \$(hostname) through its NBD export\" >'$D/mnt/hello.txt'
		sync
		df -h '$D/mnt' | tail -1
		echo \"guest: wrote /hello.txt: \$(cat '$D/mnt/hello.txt')\"
		[ -z '${PVKIT_DEMO_STOP_MOUNTED:-}' ] || exit 98
		umount '$D/mnt'
		fusermount3 -u '$D/fuse'
		wait"
}
NET= # the vif and the ping need pvkit-netback
[ -x "$BIN/pvkit-netback" ] && NET=1
PING="ping"
command -v ping >/dev/null || PING="busybox ping"
guest_ping() {
	P exec "$GUEST" -- sh -c "ip addr add 198.18.0.2/24 dev eth0 && ip link set eth0 up &&
		ip -br addr show eth0 && $PING -c 3 -i 0.2 -W 2 198.18.0.1" &&
		echo "domain 0: the guest's vif on the bridge:" && N ip -br link show master pvbr0
}
# pvkit console with its input scripted: a command, then (once its answer
# shows) Ctrl-] to detach. $(hostname) runs in the guest: the answer names it.
guest_console() {
	local want="console-of-$GUEST-says-42"
	{
		printf 'echo console-of-$(hostname)-says-$((6*7))\n'
		for _ in $(seq 100); do
			tr -d '\r' <"$D/console.out" 2>/dev/null | grep -qx "$want" && break
			sleep 0.1
		done
		printf '\035'
	} | P console "$GUEST" >"$D/console.out" 2>&1
	tr -d '\r' <"$D/console.out" | grep -v '^$'
	tr -d '\r' <"$D/console.out" | grep -qx "$want"
}
detach_disk() {
	P block-detach "$GUEST" xvda && P block-list "$GUEST" &&
		! P exec "$GUEST" -- test -e "$D/dom/$ID/xvda.sock" &&
		echo "the guest's xvda and its NBD export are gone"
}
destroy_guest() {
	P destroy "$GUEST" && ID= && ! P list | grep "^$GUEST " && P list
}
file_on_image() {
	debugfs -R "cat /hello.txt" "$D/disk.img" 2>/dev/null | tee /dev/stderr |
		grep -qx "written by guest $GUEST through its NBD export"
}
stop_host() {
	P host down && ip netns del "$NS"
}

# --- the demo -----------------------------------------------------------------
echo "demo: run directory $D, network namespace $NS"
T0=$(now_ms)
step "start the host in netns $NS (pvkit host up)" start_host
step "make a fresh 64 MiB ext4 image" make_image
step "make bridge pvbr0 198.18.0.1/24 in domain 0's netns" make_bridge
step "write the guest's config ($GUEST.cfg)" write_config
step "create guest $GUEST (disk,${NET:+ vif,} console: all Connected)" create_guest
step "guest mounts its disk via NBD, writes a file, unmounts" guest_disk
if [ -n "$NET" ]; then
	step "guest: eth0 198.18.0.2/24, pings domain 0's bridge" guest_ping
else
	NSTEP=$((NSTEP + 1))
	REPORT+=("$(printf '%3d  %-60s %-5s %s' $NSTEP "guest pings domain 0 over its vif" SKIP "pvkit-netback is not built")")
fi
step "run a command over the guest's console (pvkit console)" guest_console
step "hot-detach the disk (pvkit block-detach)" detach_disk
step "destroy the guest" destroy_guest
step "domain 0 reads the guest's file on the image (debugfs)" file_on_image
step "stop the host, delete the namespace" stop_host

echo
echo "pvkit demo report"
printf '%s\n' "${REPORT[@]}"
printf '     %-60s       %6d ms\n' "total" $(($(now_ms) - T0))
if [ $FAILED = 0 ]; then
	echo "demo: all $NSTEP steps passed"
else
	echo "demo: FAILED"
fi
exit $FAILED

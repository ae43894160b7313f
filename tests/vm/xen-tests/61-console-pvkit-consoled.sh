# SPDX-License-Identifier: MIT
# Inside the Xen test VM: Linux's console frontend (hvc_xen's xenbus driver
# for device/console/N, N >= 1) in dom0 against pvkit-consoled on the xen
# platform in the same dom0. Dom0's own console (hvc0) is Xen's, through
# hypercalls, so the test attaches a secondary console, device/console/1, as
# libxl writes one for a channel: text written to /dev/hvc1 arrives in the
# pty and the log pvkit-consoled keeps, text written to the pty arrives on
# /dev/hvc1.
dev=1 run=/tmp/pvrun61
fe=/local/domain/0/device/console/$dev be=/local/domain/0/backend/console/0/$dev
if [ ! -x /pvkit/bin/pvkit-consoled ]; then
	vm_skip "pvkit-consoled is not built"
	exit 0
fi
mkdir -p $run /dev/pts
grep -q ' /dev/pts ' /proc/mounts || mount -t devpts devpts /dev/pts
for s in /run/xenstored/socket /var/run/xenstored/socket; do
	[ -S "$s" ] && export XENSTORED_PATH=$s && break
done
state() { xenstore-read $1/state 2> /dev/null; }
is_state() { [ "$(state $1)" = $2 ]; }

# No --rundir: on Xen it would name a local xenstored socket.
PVKIT_RUNDIR=$run pvkit-consoled --platform xen > $run/consoled.out 2>&1 &
cpid=$!
vm_check "pvkit-consoled starts on the xen platform" \
	vm_wait_for 10 grep -q 'serving consoles' $run/consoled.out

xenstore-write $be/frontend $fe $be/frontend-id 0 $be/online 1 $be/state 1 \
	$be/protocol vt100 $be/name pvkit-test $be/type xenconsoled \
	$fe/backend $be $fe/backend-id 0 $fe/limit 1048576 $fe/type xenconsoled \
	$fe/output pty $fe/tty "" $fe/state 1
if vm_wait_for 30 is_state $fe 4 && vm_wait_for 5 is_state $be 4; then
	vm_ok "Linux's console frontend and pvkit-consoled reach Connected (4)"
else
	vm_fail "Linux's console frontend and pvkit-consoled reach Connected (4): fe $(state $fe), be $(state $be)"
	xenstore-ls -f $fe $be 2>&1 | sed 's/^/  | /'
	sed 's/^/  | consoled: /' $run/consoled.out | tail -n 20
	xenstore-rm $fe
	xenstore-rm $be
	kill -TERM $cpid
	exit 0
fi
vm_check "the frontend shared a page and an event channel" \
	sh -c "xenstore-read $fe/ring-ref $fe/port > /dev/null"
pty=$(readlink $run/console/0.1.pty)
vm_check "the pty is linked as console/0.1.pty" test -c "$pty"
vm_check_eq "the frontend's tty node names it" "$pty" "$(xenstore-read $fe/tty)"
vm_check "/dev/hvc1 is a character device" test -c /dev/hvc1

# Output: dom0 writes to hvc1; the pty and the log get it.
timeout 20 cat $pty > $run/pty.out 2> /dev/null &
catpid=$!
sleep 1
echo "hello from hvc1 $$" > /dev/hvc1
vm_check "text written to /dev/hvc1 comes out of the pty" \
	vm_wait_for 15 grep -q "hello from hvc1 $$" $run/pty.out
vm_check "and is in pvkit-consoled's log dom0.1.log" \
	vm_wait_for 10 grep -q "hello from hvc1 $$" $run/log/console/dom0.1.log
kill $catpid 2> /dev/null

# Input: a line written to the pty, read from /dev/hvc1 (a cooked tty).
timeout 20 head -n 1 /dev/hvc1 > $run/hvc.in &
headpid=$!
sleep 1
printf 'typed into pty 42\n' > $pty
vm_check "text written to the pty arrives on /dev/hvc1" \
	vm_wait_for 15 grep -q "typed into pty 42" $run/hvc.in
kill $headpid 2> /dev/null

# Detach as the toolstack does: the backend closes, then both directories go.
xenstore-write $be/online 0 $be/state 5
vm_check "the frontend closes after the backend" vm_wait_for 15 is_state $fe 6
xenstore-rm $fe
xenstore-rm $be
vm_check "the pty link goes with the device" vm_wait_for 10 test ! -e $run/console/0.1.pty
vm_check "pvkit-consoled is still running" kill -0 $cpid
kill -TERM $cpid
wait $cpid
vm_check_eq "pvkit-consoled exits 0 on SIGTERM" 0 $?
tail -n 6 $run/consoled.out | sed 's/^/  | consoled: /'

# SPDX-License-Identifier: MIT
# Inside the Xen test VM: a vbd configured with xl (libxl writes the nodes)
# served by pvkit-blkback: `xl block-attach 0` with a disk spec naming a
# hotplug script of our own (Xen's block script sets up a loop device,
# which pvkit-blkback does not need; it is not in the VM), Linux's blkfront
# in dom0 connects, I/O, `xl block-list`, `xl block-detach`.
dev=51744 run=/tmp/pvrun62 img=/tmp/disk62.img
if ! command -v xl > /dev/null || [ ! -x /pvkit/bin/pvkit-blkback ]; then
	vm_skip "xl or pvkit-blkback missing"
	exit 0
fi
grep -q '^xen_blkback ' /proc/modules && rmmod xen-blkback
grep -q '^xen_blkfront ' /proc/modules || insmod /lib/modules/xen-blkfront.ko
mkdir -p $run /var/lib/xen /var/run/xen /var/log/xen /etc/xen
touch /etc/xen/xl.conf
# What xencommons runs at boot: dom0's libxl configuration (a libxl-json
# userdata file under /var/lib/xen), without which libxl cannot add devices
# to domain 0. It does nothing once domid exists (xen-init wrote it).
xenstore-rm /local/domain/0/domid
vm_check "xen-init-dom0" timeout 30 xen-init-dom0
vm_check_eq "domid is back" 0 "$(xenstore-read /local/domain/0/domid)"
for s in /run/xenstored/socket /var/run/xenstored/socket; do
	[ -S "$s" ] && export XENSTORED_PATH=$s && break
done
dd if=/dev/zero of=$img bs=1M count=0 seek=16 2> /dev/null
# libxl runs a vbd's hotplug script with "add" or "remove" and XENBUS_PATH
# once the backend is in InitWait; pvkit-blkback opens params itself, so
# the script only reports success.
cat > $run/hotplug <<'EOF'
#!/bin/sh
[ "$1" = add ] && xenstore-write "$XENBUS_PATH/hotplug-status" connected
exit 0
EOF
chmod +x $run/hotplug
PVKIT_RUNDIR=$run pvkit-blkback --platform xen --log $run/blkback.log 2> $run/blkback.err &
bbpid=$!
vm_check "pvkit-blkback starts" vm_wait_for 10 test -e $run/pvkit-blkback.pid
fe=/local/domain/0/device/vbd/$dev be=/local/domain/0/backend/vbd/0/$dev
if timeout 60 xl -vvv block-attach 0 "format=raw, vdev=xvdc, access=rw, script=$run/hotplug, target=$img" \
	> $run/xl.out 2>&1; then
	vm_ok "xl block-attach 0 with pvkit-blkback as the backend"
	grep 'using backend\|hotplug script:' $run/xl.out | sed 's/^/  | xl: /'
else
	vm_fail "xl block-attach 0 with pvkit-blkback as the backend"
	grep -v "^libxl: debug: libxl_event.c\|xencall:buffer" $run/xl.out | sed 's/^/  | xl: /' |
		tail -n 40
fi
state() { xenstore-read $1/state 2> /dev/null; }
is_state() { [ "$(state $1)" = $2 ]; }
if vm_wait_for 30 is_state $fe 4 && vm_wait_for 10 test -b /dev/xvdc; then
	vm_ok "xvdc from xl's nodes is Connected"
	vm_check_eq "backend type phy, as libxl chose" phy "$(xenstore-read $be/type)"
	vm_check_eq "our hotplug script ran" connected "$(xenstore-read $be/hotplug-status)"
	vm_check_eq "params is the image" "$img" "$(xenstore-read $be/params)"
	dd if=/dev/urandom of=$run/page bs=4k count=4 2> /dev/null
	vm_check "a write through xvdc lands in the image" \
		sh -c "dd if=$run/page of=/dev/xvdc bs=4k count=4 oflag=direct 2>/dev/null && cmp -s -n 16384 $img $run/page"
	xl block-list 0 2>&1 | sed 's/^/  | xl: /'
else
	vm_fail "xvdc from xl's nodes is Connected: fe $(state $fe), be $(state $be)"
	xenstore-ls -f $fe $be 2>&1 | sed 's/^/  | /'
	xenstore-ls -f /libxl 2>&1 | head -n 20 | sed 's/^/  | /'
fi
if timeout 60 xl -v block-detach 0 xvdc > $run/xl.out 2>&1; then
	vm_ok "xl block-detach 0 xvdc"
else
	vm_fail "xl block-detach 0 xvdc"
	sed 's/^/  | xl: /' $run/xl.out | tail -n 15
fi
vm_check "xvdc is gone" vm_wait_for 10 test ! -b /dev/xvdc
vm_check "the backend directory is gone" sh -c "! xenstore-exists $be"
xenstore-rm $fe 2> /dev/null
xenstore-rm $be 2> /dev/null
kill -TERM $bbpid
wait $bbpid
vm_check_eq "pvkit-blkback exits 0 on SIGTERM" 0 $?
tail -n 6 $run/blkback.log | sed 's/^/  | blkback: /'

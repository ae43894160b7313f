# SPDX-License-Identifier: MIT
# Inside the Xen test VM: Linux xen-blkfront in dom0 against pvkit-blkback on
# the xen platform in the same dom0 (real grants, real event channels, Xen's
# xenstored), attached by xen-vbd.sh.
. /pvkit/xen-vbd.sh
dev=51712 run=/tmp/pvrun
if [ ! -x /pvkit/bin/pvkit-blkback ]; then
	vm_skip "pvkit-blkback is not built"
	exit 0
fi
# Linux's backend serves backend/vbd too: only one of them may run.
grep -q '^xen_blkback ' /proc/modules && rmmod xen-blkback
vm_check "xen-blkback is not loaded" sh -c '! grep -q "^xen_blkback " /proc/modules'
grep -q '^xen_blkfront ' /proc/modules || insmod /lib/modules/xen-blkfront.ko
mkdir -p $run
for s in /run/xenstored/socket /var/run/xenstored/socket; do
	[ -S "$s" ] && export XENSTORED_PATH=$s && break
done
dd if=/dev/zero of=/tmp/disk2.img bs=1M count=8 2> /dev/null
PVKIT_RUNDIR=$run pvkit-blkback --platform xen --log $run/blkback.log 2> $run/blkback.err &
bbpid=$!
vm_check "pvkit-blkback starts on the xen platform" vm_wait_for 10 test -e $run/pvkit-blkback.pid
vm_check "write the vbd's nodes (params = image file)" vbd_add $dev vbd w params=/tmp/disk2.img
if vbd_wait_state fe $dev vbd 4 30 && vbd_wait_state be $dev vbd 4 5; then
	vm_ok "pvkit-blkback and Linux blkfront reach Connected (4)"
else
	vm_fail "pvkit-blkback and Linux blkfront reach Connected (4): fe $(vbd_state fe $dev vbd), be $(vbd_state be $dev vbd)"
	vbd_dump $dev vbd
	sed 's/^/  | blkback: /' $run/blkback.log $run/blkback.err | tail -n 20
fi
fe=$(vbd_fe $dev)
be=$(vbd_be $dev vbd)
if vm_wait_for 10 test -b /dev/xvda; then
	vm_ok "/dev/xvda appears"
	vm_check_eq "xvda has the image's 16384 sectors" 16384 "$(cat /sys/block/xvda/size)"
	vm_check_eq "blkfront took persistent grants" 1 "$(xenstore-read $fe/feature-persistent)"
	vm_check "indirect descriptors offered" test "$(xenstore-read $be/feature-max-indirect-segments)" -gt 0
	vm_check "blkfront uses indirect descriptors (max_segments > 11)" \
		test "$(cat /sys/block/xvda/queue/max_segments)" -gt 11
	# One-page requests, with O_DIRECT so they reach the backend now.
	dd if=/dev/urandom of=/tmp/disk2.img bs=4k count=1 seek=1000 conv=notrunc 2> /dev/null
	vm_check "a 4 KiB read through xvda returns the image's bytes" \
		sh -c 'timeout 20 dd if=/dev/xvda bs=4k skip=1000 count=1 iflag=direct 2>/dev/null | cmp -s -n 4096 - /tmp/disk2.img 0 4096000'
	dd if=/dev/urandom of=/tmp/page bs=4k count=1 2> /dev/null
	vm_check "a 4 KiB write through xvda completes" \
		timeout 20 dd if=/tmp/page of=/dev/xvda bs=4k seek=30 oflag=direct
	vm_check "and lands in the image file" cmp -s -n 4096 /tmp/disk2.img /tmp/page 122880 0
	# 64 KiB requests: 16 segments, so indirect descriptors; then a FLUSH.
	dd if=/dev/urandom of=/tmp/pattern bs=64k count=16 2> /dev/null
	vm_check "a 1 MiB write in 64 KiB blocks with fsync completes" \
		timeout 20 dd if=/tmp/pattern of=/dev/xvda bs=64k seek=4 conv=fsync
	vm_check "and lands in the image file" cmp -s -n 1048576 /tmp/disk2.img /tmp/pattern 262144 0
	echo 3 > /proc/sys/vm/drop_caches
	vm_check "reading it back through xvda gives the same bytes" \
		sh -c 'timeout 20 dd if=/dev/xvda bs=64k skip=4 count=16 2>/dev/null | cmp -s - /tmp/pattern'
else
	vm_fail "/dev/xvda appears"
fi
vbd_del $dev vbd
vm_check "xvda is gone after the backend closes" vm_wait_for 10 test ! -b /dev/xvda
vm_check "pvkit-blkback is still running" kill -0 $bbpid
kill -TERM $bbpid
wait $bbpid
vm_check_eq "pvkit-blkback exits 0 on SIGTERM" 0 $?
tail -n 15 $run/blkback.log | sed 's/^/  | blkback: /'

# SPDX-License-Identifier: MIT
# Inside the Xen test VM: Linux xen-blkfront in dom0 against Linux xen-blkback
# in the same dom0, exporting a loop device, attached by xen-vbd.sh. Proves
# the vbd harness pieces that pvkit-blkback's interop test uses.
. /pvkit/xen-vbd.sh
dev=51712

# blk_io: a pattern written through xvda lands in the image and reads back.
blk_io() {
	dd if=/dev/urandom of=/tmp/pattern bs=64k count=16 2> /dev/null
	dd if=/tmp/pattern of=/dev/xvda bs=64k seek=4 conv=fsync 2> /dev/null
	vm_check "a write through xvda lands in the backing file" \
		cmp -s -n 1048576 /tmp/disk.img /tmp/pattern 262144 0
	echo 3 > /proc/sys/vm/drop_caches
	vm_check "reading xvda back gives the same bytes" \
		sh -c 'dd if=/dev/xvda bs=64k skip=4 count=16 2>/dev/null | cmp -s - /tmp/pattern'
}

vm_check "insmod loop" insmod /lib/modules/loop.ko
vm_check "insmod xen-blkback" insmod /lib/modules/xen-blkback.ko
vm_check "insmod xen-blkfront" insmod /lib/modules/xen-blkfront.ko
dd if=/dev/zero of=/tmp/disk.img bs=1M count=8 2> /dev/null
loopdev=$(losetup -f)
losetup "$loopdev" /tmp/disk.img
vm_check "loop device for the disk image ($loopdev)" test -b "$loopdev"
# xen-blkback takes the device as major:minor in hex, as the hotplug script writes it.
mm=$(stat -c '%t:%T' "$loopdev")
vm_check "write the vbd's frontend and backend nodes" vbd_add $dev vbd w "physical-device=$mm"
if vbd_wait_state fe $dev vbd 4 30 && vbd_wait_state be $dev vbd 4 5; then
	vm_ok "frontend and backend reach Connected (4)"
else
	vm_fail "frontend and backend reach Connected (4): fe $(vbd_state fe $dev vbd), be $(vbd_state be $dev vbd)"
	vbd_dump $dev vbd
fi
if vm_wait_for 10 test -b /dev/xvda; then
	vm_ok "/dev/xvda appears"
	vm_check_eq "xvda has the image's 16384 sectors" 16384 "$(cat /sys/block/xvda/size)"
	blk_io
else
	vm_fail "/dev/xvda appears"
fi
vbd_del $dev vbd
vm_check "xvda is gone after the backend closes" vm_wait_for 10 test ! -b /dev/xvda
losetup -d "$loopdev"

# SPDX-License-Identifier: MIT
# Inside the Xen test VM: Linux xen-blkfront against pvkit-blkback on the xen
# platform, used as a disk: multi-queue as Linux negotiates it (one queue
# per vCPU),
# persistent grants and indirect descriptors from the frontend's nodes, fio
# with crc32c verification on the raw device, then ext4: mkfs, files with
# checksums across an unmount and a remount, fsck, and fsck of the image file
# once the device is detached (everything reached the backend's file).
# vm-timeout: 240
. /pvkit/xen-vbd.sh
dev=51728 run=/tmp/pvrun51 img=/tmp/disk51.img mnt=/tmp/mnt51
if [ ! -x /pvkit/bin/pvkit-blkback ]; then
	vm_skip "pvkit-blkback is not built"
	exit 0
fi
grep -q '^xen_blkback ' /proc/modules && rmmod xen-blkback
grep -q '^xen_blkfront ' /proc/modules || insmod /lib/modules/xen-blkfront.ko
mkdir -p $run $mnt
for s in /run/xenstored/socket /var/run/xenstored/socket; do
	[ -S "$s" ] && export XENSTORED_PATH=$s && break
done
ncpu=$(grep -c '^processor' /proc/cpuinfo)
dd if=/dev/zero of=$img bs=1M count=0 seek=64 2> /dev/null
# Offer more queues than Linux wants: it takes one per vCPU.
PVKIT_RUNDIR=$run pvkit-blkback --platform xen --max-queues 4 --log $run/blkback.log \
	2> $run/blkback.err &
bbpid=$!
vm_check "pvkit-blkback starts" vm_wait_for 10 test -e $run/pvkit-blkback.pid
vbd_add $dev vbd w params=$img dev=xvdb
if ! vbd_wait_state fe $dev vbd 4 30 || ! vm_wait_for 10 test -b /dev/xvdb; then
	vm_fail "xvdb on pvkit-blkback is Connected: fe $(vbd_state fe $dev vbd), be $(vbd_state be $dev vbd)"
	vbd_dump $dev vbd
	sed 's/^/  | blkback: /' $run/blkback.log $run/blkback.err | tail -n 20
	kill -TERM $bbpid
	wait $bbpid
	exit 0
fi
vm_ok "xvdb on pvkit-blkback is Connected"
fe=$(vbd_fe $dev)
be=$(vbd_be $dev vbd)

# Negotiation, from both ends' nodes.
vm_check_eq "backend offers 4 queues" 4 "$(xenstore-read $be/multi-queue-max-queues)"
# Linux's blkfront asks for one queue per vCPU (make check-xen gives dom0
# one; PVKIT_VM_SMP=2 two), and writes per-queue nodes only for several.
if [ "$ncpu" -gt 1 ]; then
	vm_check_eq "blkfront asks for $ncpu queues (one per vCPU)" $ncpu \
		"$(xenstore-read $fe/multi-queue-num-queues)"
	for q in $(seq 0 $((ncpu - 1))); do
		vm_check "blkfront's queue-$q has ring-ref and event-channel" \
			sh -c "xenstore-read $fe/queue-$q/ring-ref $fe/queue-$q/event-channel > /dev/null"
	done
	vm_check "no single-queue ring-ref at the top" sh -c "! xenstore-read $fe/ring-ref 2>/dev/null"
else
	vm_check "one vCPU: blkfront uses one queue, nodes at the top" \
		sh -c "xenstore-read $fe/ring-ref $fe/event-channel > /dev/null"
fi
vm_check_eq "blkdev has $ncpu hardware queue(s)" $ncpu "$(ls /sys/block/xvdb/mq | wc -l)"
vm_check "pvkit-blkback connected $ncpu queue(s)" grep -q "connected: $ncpu queue(s)" $run/blkback.log
vm_check_eq "blkfront took persistent grants" 1 "$(xenstore-read $fe/feature-persistent)"
vm_check_eq "backend offers persistent grants" 1 "$(xenstore-read $be/feature-persistent)"
vm_check "backend offers indirect descriptors" \
	test "$(xenstore-read $be/feature-max-indirect-segments)" -gt 11
vm_check "blkfront uses them (max_segments > 11)" \
	test "$(cat /sys/block/xvdb/queue/max_segments)" -gt 11
vm_check_eq "flush offered" 1 "$(xenstore-read $be/feature-flush-cache)"
vm_check_eq "xvdb has the image's 131072 sectors" 131072 "$(cat /sys/block/xvdb/size)"

# fio on the raw device: two jobs (both queues with two vCPUs) write random blocks of
# 4-64 KiB with O_DIRECT through libaio, then read them back and check
# each block's crc32c.
if command -v fio > /dev/null; then
	if timeout 90 fio --name=verify --filename=/dev/xvdb --thread --direct=1 --ioengine=libaio \
		--iodepth=8 --rw=randwrite --bsrange=4k-64k --size=4m --numjobs=2 \
		--offset_increment=16m --verify=crc32c --verify_fatal=1 --do_verify=1 \
		--output=$run/fio.out > /dev/null 2>&1 && grep -q 'err= 0' $run/fio.out &&
		! grep -q 'verify: bad' $run/fio.out; then
		vm_ok "fio: 2 jobs of random 4-64 KiB O_DIRECT writes read back with crc32c intact"
	else
		vm_fail "fio: 2 jobs of random 4-64 KiB O_DIRECT writes read back with crc32c intact"
		sed 's/^/  | fio: /' $run/fio.out | tail -n 30
	fi
	grep -E 'READ:|WRITE:' $run/fio.out | sed 's/^/  | fio: /'
else
	vm_skip "fio: not on the host, so not in the VM (make deps installs it)"
fi

# ext4 on xvdb.
for m in crc16 mbcache jbd2 crc32c_generic ext4; do
	grep -q "^$(echo $m | tr - _) " /proc/modules || insmod /lib/modules/$m.ko
done
if command -v mkfs.ext4 > /dev/null && grep -q ext4 /proc/filesystems; then
	vm_check "mkfs.ext4 on xvdb" timeout 60 mkfs.ext4 -q -F -E nodiscard /dev/xvdb
	vm_check "mount xvdb" mount -t ext4 /dev/xvdb $mnt
	mkdir -p $mnt/d
	dd if=/dev/urandom of=$mnt/big bs=64k count=64 2> /dev/null
	for i in 1 2 3 4 5 6 7 8; do
		dd if=/dev/urandom of=$mnt/d/f$i bs=1k count=$((i * 7)) 2> /dev/null
	done
	echo hello > $mnt/d/small
	(cd $mnt && sha256sum big d/*) > $run/sums
	vm_check "sync" timeout 30 sync
	vm_check "unmount" umount $mnt
	vm_check "fsck finds the file system clean" timeout 60 e2fsck -fn /dev/xvdb
	echo 3 > /proc/sys/vm/drop_caches
	vm_check "mount it again" mount -t ext4 /dev/xvdb $mnt
	vm_check "9 files read back with their checksums" \
		sh -c "cd $mnt && sha256sum -c $run/sums > /dev/null"
	vm_check "unmount again" umount $mnt
	# Linux's blkfront turns flush and FUA off for good when a flush fails.
	vm_check_eq "xvdb still has a write-back cache (no flush failed)" "write back" \
		"$(cat /sys/block/xvdb/queue/write_cache)"
else
	vm_skip "ext4: no mkfs.ext4 on the host or no ext4 module"
fi

vbd_del $dev vbd
vm_check "xvdb is gone after the backend closes" vm_wait_for 10 test ! -b /dev/xvdb
kill -TERM $bbpid
wait $bbpid
vm_check_eq "pvkit-blkback exits 0 on SIGTERM" 0 $?
if [ -s $run/sums ]; then
	vm_check "the image file alone holds a clean file system" timeout 60 e2fsck -fn $img
fi
vm_check "pvkit-blkback refused no request" sh -c "! grep -q refused $run/blkback.log"
tail -n 5 $run/blkback.log | sed 's/^/  | blkback: /'
dmesg | grep -i 'blkfront\|xvdb' | tail -n 5 | sed 's/^/  | dmesg: /'

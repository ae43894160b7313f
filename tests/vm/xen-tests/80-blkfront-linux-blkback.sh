# SPDX-License-Identifier: MIT
# Inside the Xen test VM: pvkit's blkfront (pv-xen-blkfront-test, on the xen
# platform) against Linux's xen-blkback in the same dom0, exporting a loop
# device; the vbd's nodes written by xen-vbd.sh as libxl and the hotplug
# script would (physical-device = the loop device's major:minor).
# vm-timeout: 180
. /pvkit/xen-vbd.sh
t0=$(date +%s)
dev=51728
# Linux's own xen-blkfront would bind the frontend too: only ours may.
grep -q '^xen_blkfront ' /proc/modules && rmmod xen-blkfront
vm_check "xen-blkfront is not loaded" sh -c '! grep -q "^xen_blkfront " /proc/modules'
grep -q '^loop ' /proc/modules || insmod /lib/modules/loop.ko
# Two queues whatever dom0's vCPUs (xen-blkback offers one per vCPU by default).
grep -q '^xen_blkback ' /proc/modules && rmmod xen-blkback
vm_check "insmod xen-blkback max_queues=2" insmod /lib/modules/xen-blkback.ko max_queues=2
# A file on tmpfs: the loop device then offers discard (hole punching).
dd if=/dev/zero of=/tmp/disk80.img bs=1M count=32 2> /dev/null
loopdev=$(losetup -f)
losetup "$loopdev" /tmp/disk80.img
vm_check "loop device for the disk image ($loopdev)" test -b "$loopdev"
mm=$(stat -c '%t:%T' "$loopdev")
vm_check "write the vbd's nodes (physical-device $mm)" vbd_add $dev vbd w "physical-device=$mm"
if vbd_wait_state be $dev vbd 2 20; then
	vm_ok "xen-blkback waits for the frontend (InitWait)"
else
	vm_fail "xen-blkback waits for the frontend (InitWait): be $(vbd_state be $dev vbd)"
	vbd_dump $dev vbd
fi
vm_run blkfront pv-xen-blkfront-test "$(vbd_fe $dev)" "$loopdev"
# xen-blkback reports a refused connection under error/ (xenbus_dev_fatal).
if xenstore-exists /local/domain/0/error/backend/vbd/0/$dev 2> /dev/null; then
	vm_fail "xen-blkback reported: $(xenstore-read /local/domain/0/error/backend/vbd/0/$dev/error)"
	xenstore-rm /local/domain/0/error/backend/vbd/0/$dev
fi
# The bytes the program wrote, seen from the image file: the first pattern
# was read back through the loop device by the program; here one more
# independent look at the backing file.
vm_check "the image file is no longer all zeros" \
	sh -c '! cmp -s -n 1048576 /tmp/disk80.img /dev/zero 1048576 0'
# The same vbd through pvkit-guest's vbd driver (blkfront exported over
# NBD), driven by a libnbd client: trim, write-zeroes (written as zeros:
# blkif has no such operation), FUA, flush end to end.
run=/tmp/pvg80
sock=$run/dom/0/xvdb.sock
mkdir -p $run
pvkit-guest --platform xen --rundir $run --log $run/guest.log 2> $run/guest.err &
gpid=$!
vm_check "pvkit-guest --platform xen exports the vbd at $sock" vm_wait_for 30 test -S $sock
vm_check "pvkit-guest: both ends Connected" sh -c "[ $(vbd_state fe $dev vbd) = 4 ] && [ $(vbd_state be $dev vbd) = 4 ]"
vm_run nbd pvkit-nbd-probe zero "nbd+unix:///?socket=$sock"
# What the probe did, seen in the image file behind the loop device: noise at 0, 256 KiB of it trimmed at 64 KiB.
vm_check "the trimmed range is zeros in the image" cmp -s -n 262144 /tmp/disk80.img /dev/zero 65536 0
vm_check "the range before it kept the probe's bytes" sh -c "! cmp -s -n 65536 /tmp/disk80.img /dev/zero 0 0"
kill -TERM $gpid
wait $gpid
vm_check_eq "pvkit-guest exits 0 on SIGTERM" 0 $?
vm_check_eq "pvkit-guest's blkfront closed (6)" 6 "$(vbd_state fe $dev vbd)"
grep -i 'error\|warn' $run/guest.log | head -n 10 | sed 's/^/  | guest: /'

if [ "$(vbd_state be $dev vbd)" != 6 ]; then
	vbd_dump $dev vbd
fi
vbd_del $dev vbd
losetup -d "$loopdev"
rm -f /tmp/disk80.img
echo "  | 80-blkfront-linux-blkback.sh took $(($(date +%s) - t0))s"

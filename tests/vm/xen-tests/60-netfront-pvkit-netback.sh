# SPDX-License-Identifier: MIT
# Inside the Xen test VM: Linux xen-netfront in dom0 against pvkit-netback on
# the xen platform in the same dom0. The vif's nodes are written by hand as
# libxl writes them; pvkit-netback runs in network namespace B, so its TAP
# vif0.1 lives there; the netfront device is moved to namespace A. Then ping
# both ways and TCP both ways with checksums (GSO-sized segments), and the
# features both ends negotiated.
# vm-timeout: 150
dev=1 run=/tmp/pvrun60 tap=vif0.1 ipa=198.18.60.1 ipb=198.18.60.2
fe=/local/domain/0/device/vif/$dev be=/local/domain/0/backend/vif/0/$dev
if [ ! -x /pvkit/bin/pvkit-netback ]; then
	vm_skip "pvkit-netback is not built"
	exit 0
fi
grep -q '^xen_netback ' /proc/modules && rmmod xen-netback
for m in tun xen-netfront; do
	grep -q "^$(echo $m | tr - _) " /proc/modules || insmod /lib/modules/$m.ko
done
# netfront asks for max_queues queues (default: one per vCPU, and dom0 has
# one): ask for 2, so both ends run two queue pairs.
echo 2 > /sys/module/xen_netfront/parameters/max_queues
mkdir -p $run
for s in /run/xenstored/socket /var/run/xenstored/socket; do
	[ -S "$s" ] && export XENSTORED_PATH=$s && break
done

# Two network namespaces, bound to files (as `ip netns add` does), each
# with a sleeping process in it whose pid names it to `ip link set netns`.
# Busybox applets run inside them through /bin/busybox.
mkdir -p $run/ns
for n in a b; do
	touch $run/ns/$n
	unshare --net=$run/ns/$n /bin/busybox true
	nsenter --net=$run/ns/$n /bin/busybox sleep 1000 &
	eval ns$n=\$!
done
ina() { nsenter --net=$run/ns/a /bin/busybox "$@"; }
inb() { nsenter --net=$run/ns/b /bin/busybox "$@"; }
cleanup() {
	xenstore-rm $fe 2> /dev/null
	xenstore-rm $be 2> /dev/null
	[ -n "$nbpid" ] && kill -TERM $nbpid 2> /dev/null
	kill $nsa $nsb 2> /dev/null
	umount $run/ns/a $run/ns/b 2> /dev/null
}

PVKIT_RUNDIR=$run nsenter --net=$run/ns/b /pvkit/bin/pvkit-netback --platform xen --log $run/netback.log 2> $run/netback.err &
nbpid=$!
vm_check "pvkit-netback starts in namespace B" \
	vm_wait_for 10 grep -q 'serving vifs' $run/netback.log

# The nodes libxl writes for a vif, in one transaction.
xenstore-write $be/frontend $fe $be/frontend-id 0 $be/online 1 $be/state 1 \
	$be/mac 00:16:3e:00:60:01 $be/handle $dev $be/type vif \
	$fe/backend $be $fe/backend-id 0 $fe/handle $dev $fe/mac 00:16:3e:00:60:01 $fe/state 1
state() { xenstore-read $1/state 2> /dev/null; }
is_state() { [ "$(state $1)" = $2 ]; }
if vm_wait_for 30 is_state $fe 4 && vm_wait_for 5 is_state $be 4; then
	vm_ok "Linux netfront and pvkit-netback reach Connected (4)"
else
	vm_fail "Linux netfront and pvkit-netback reach Connected (4): fe $(state $fe), be $(state $be)"
	xenstore-ls -f $fe $be 2>&1 | sed 's/^/  | /'
	sed 's/^/  | netback: /' $run/netback.log $run/netback.err | tail -n 20
	dmesg | tail -n 10 | sed 's/^/  | dmesg: /'
	cleanup
	exit 0
fi

# Feature negotiation, from the frontend's nodes and the backend's log.
vm_check_eq "netfront asks for rx-copy" 1 "$(xenstore-read $fe/request-rx-copy)"
vm_check_eq "netfront does scatter-gather" 1 "$(xenstore-read $fe/feature-sg)"
vm_check_eq "netfront does TCPv4 GSO" 1 "$(xenstore-read $fe/feature-gso-tcpv4)"
vm_check_eq "netfront does TCPv6 GSO" 1 "$(xenstore-read $fe/feature-gso-tcpv6)"
vm_check_eq "netback offers 2 queues" 2 "$(xenstore-read $be/multi-queue-max-queues)"
vm_check_eq "netfront asks for 2 queues (its max_queues)" 2 \
	"$(xenstore-read $fe/multi-queue-num-queues)"
for q in 0 1; do
	vm_check "queue-$q: tx and rx rings, split event channels" \
		sh -c "xenstore-read $fe/queue-$q/tx-ring-ref $fe/queue-$q/rx-ring-ref \
			$fe/queue-$q/event-channel-tx $fe/queue-$q/event-channel-rx > /dev/null"
done
vm_check "pvkit-netback connected vif0.1 with 2 queues, sg, gso and csum offload" \
	grep -q "connected: $tap, 2 queue(s), sg 1, gso 1/1, csum 1" $run/netback.log

eth=$(ls /sys/bus/xen/devices/vif-$dev/net 2> /dev/null)
if [ -n "$eth" ]; then
	vm_ok "netfront's device $eth appears"
else
	vm_fail "netfront's device appears"
	cleanup
	exit 0
fi
vm_check_eq "$eth has the MAC from xenstore" 00:16:3e:00:60:01 "$(cat /sys/class/net/$eth/address)"
vm_check_eq "$eth has 2 tx queues" 2 "$(ls -d /sys/class/net/$eth/queues/tx-* | wc -l)"
vm_check "the TAP $tap is in namespace B" inb ip link show $tap
vm_check "move $eth to namespace A" ip link set dev $eth netns $nsa
ina ip link set lo up
ina ip addr add $ipa/24 dev $eth
ina ip link set $eth up
inb ip link set lo up
inb ip addr add $ipb/24 dev $tap
inb ip link set $tap up
vm_check "ping from netfront (A) to the vif (B)" ina ping -c 3 -W 10 $ipb
vm_check "ping from the vif (B) to netfront (A)" inb ping -c 3 -W 10 $ipa

# TCP both ways: 4 MiB of random bytes, sent by `cat` behind nc -e.
dd if=/dev/urandom of=$run/send bs=64k count=64 2> /dev/null
sum=$(sha256sum < $run/send)
inb nc -l -p 6001 > $run/recv-b &
lpid=$!
sleep 1
vm_check "TCP A -> B: nc sends 4 MiB" ina timeout 60 /bin/busybox nc $ipb 6001 -e /bin/busybox cat $run/send
vm_wait_for 30 sh -c "! kill -0 $lpid"
vm_check_eq "TCP A -> B: the bytes arrive intact" "$sum" "$(sha256sum < $run/recv-b)"
kill $lpid 2> /dev/null
ina nc -l -p 6002 -e /bin/busybox cat $run/send &
lpid=$!
sleep 1
vm_check "TCP B -> A: nc receives 4 MiB" sh -c "nsenter --net=$run/ns/b /bin/busybox timeout 60 /bin/busybox nc $ipa 6002 > $run/recv-a"
vm_check_eq "TCP B -> A: the bytes arrive intact" "$sum" "$(sha256sum < $run/recv-a)"
kill $lpid 2> /dev/null
rm -f $run/send $run/recv-a $run/recv-b

# Detach as the toolstack does: the backend closes, then both directories go.
xenstore-write $be/online 0 $be/state 5
vm_check "netfront closes after the backend" vm_wait_for 15 is_state $fe 6
xenstore-rm $fe
xenstore-rm $be
vm_check "the TAP is gone" vm_wait_for 10 sh -c "! nsenter --net=$run/ns/b /bin/busybox ip link show $tap 2>/dev/null"
kill -TERM $nbpid
wait $nbpid
vm_check_eq "pvkit-netback exits 0 on SIGTERM" 0 $?
nbpid=
cleanup
tail -n 6 $run/netback.log | sed 's/^/  | netback: /'

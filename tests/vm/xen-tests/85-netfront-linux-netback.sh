# SPDX-License-Identifier: MIT
# Inside the Xen test VM: pvkit's netfront (pvkit-guest --platform xen, the
# vif driver: a TAP eth<devid>) against Linux's xen-netback (vif0.<devid>)
# in the same dom0, each end in a network namespace of its own; the vif's
# nodes written as libxl writes them, hotplug-status as the vif script.
# vm-timeout: 240
t0=$(date +%s)
dev=7
fe=/local/domain/0/device/vif/$dev
be=/local/domain/0/backend/vif/0/$dev
run=/tmp/pvg85
mac=00:16:3e:5e:00:07
if [ ! -x /pvkit/bin/pvkit-guest ]; then
	vm_skip "pvkit-guest is not built"
	exit 0
fi
# Linux's own xen-netfront would bind the frontend too: only ours may.
grep -q '^xen_netfront ' /proc/modules && rmmod xen-netfront
vm_check "xen-netfront is not loaded" sh -c '! grep -q "^xen_netfront " /proc/modules'
grep -q '^tun ' /proc/modules || insmod /lib/modules/tun.ko
# Two queues whatever dom0's vCPUs (xen-netback offers one per vCPU by default).
grep -q '^xen_netback ' /proc/modules && rmmod xen-netback
vm_check "insmod xen-netback max_queues=2" insmod /lib/modules/xen-netback.ko max_queues=2

# Two network namespaces, each held by a sleeping process: A for netfront's
# TAP, B for xen-netback's vif.
unshare -n sleep 600 &
nsa=$!
unshare -n sleep 600 &
nsb=$!
ina() { nsenter -t $nsa -n "$@"; }
inb() { nsenter -t $nsb -n "$@"; }
vm_check "two network namespaces" vm_wait_for 5 sh -c "[ \$(readlink /proc/$nsa/ns/net) != \$(readlink /proc/$nsb/ns/net) ] && [ \$(readlink /proc/$nsb/ns/net) != \$(readlink /proc/self/ns/net) ]"

state() { xenstore-read "$1/state" 2> /dev/null; }
wait_state() {
	local end=$(($(date +%s) + $3))
	while [ "$(state "$1")" != "$2" ]; do
		[ "$(date +%s)" -ge $end ] && return 1
		sleep 0.2
	done
}
dump() {
	xenstore-ls -f "$fe" 2>&1 | sed 's/^/  | /'
	xenstore-ls -f "$be" 2>&1 | sed 's/^/  | /'
	xenstore-ls -f /local/domain/0/error 2>&1 | sed 's/^/  | /'
	sed 's/^/  | guest: /' $run/guest.log 2> /dev/null | tail -n 20
	dmesg | tail -n 15 | sed 's/^/  | dmesg: /'
}

# Both ends in one transaction, as libxl (xen-vbd.sh explains why).
vm_check "write the vif's frontend and backend nodes" xenstore-write \
	"$be/frontend" "$fe" "$be/frontend-id" 0 "$be/online" 1 "$be/state" 1 \
	"$be/script" /etc/xen/scripts/vif-bridge "$be/mac" $mac "$be/handle" $dev \
	"$be/type" vif "$be/hotplug-status" connected \
	"$fe/backend" "$be" "$fe/backend-id" 0 "$fe/handle" $dev "$fe/mac" $mac "$fe/mtu" 1500 \
	"$fe/state" 1
if wait_state "$be" 2 20; then
	vm_ok "xen-netback waits for the frontend (InitWait)"
else
	vm_fail "xen-netback waits for the frontend (InitWait): be $(state "$be")"
	dump
fi
vm_check "xen-netback created vif0.$dev" vm_wait_for 10 test -e /sys/class/net/vif0.$dev
vm_check "move vif0.$dev into namespace B" ip link set vif0.$dev netns $nsb

mkdir -p $run
# start_guest: pvkit-guest in namespace A; both ends reach Connected.
start_guest() {
	# nsenter execs pvkit-guest: $! is pvkit-guest itself (for SIGTERM).
	nsenter -t $nsa -n pvkit-guest --platform xen --rundir $run --log $run/guest.log \
		2> $run/guest.err &
	gpid=$!
	if wait_state "$fe" 4 30 && wait_state "$be" 4 10; then
		vm_ok "$1: netfront and xen-netback reach Connected (4)"
	else
		vm_fail "$1: netfront and xen-netback reach Connected (4): fe $(state "$fe"), be $(state "$be")"
		dump
	fi
		# (/sys shows the namespace that mounted it: ask ip.)
	vm_check "$1: netfront's TAP eth$dev is in namespace A" vm_wait_for 10 ina ip link show eth$dev
}
# stop_guest: SIGTERM closes the frontend; xen-netback follows.
stop_guest() {
	kill -TERM $gpid
	wait $gpid
	vm_check_eq "$1: pvkit-guest exits 0 on SIGTERM" 0 $?
	vm_check_eq "$1: netfront is Closed (6)" 6 "$(state "$fe")"
	if wait_state "$be" 6 10; then
		vm_ok "$1: xen-netback is Closed (6)"
	else
		vm_fail "$1: xen-netback is Closed (6): be $(state "$be")"
		dump
	fi
	grep -i 'error\|warn' $run/guest.log | head -n 10 | sed 's/^/  | guest: /'
	rm -f $run/guest.log
}
feat() { xenstore-read "$1/$2" 2> /dev/null || echo -; }

# First connection with gntalloc's default limit (1024 pages, system-wide):
# two queues need 1028, so netfront makes do with one.
limit=/sys/module/xen_gntalloc/parameters/limit
if [ "$(cat $limit)" = 1024 ]; then
	start_guest "default grant limit"
	vm_check_eq "default grant limit: one queue of the 2 offered" "2 1" \
		"$(feat $be multi-queue-max-queues) $(feat $fe multi-queue-num-queues)"
	vm_check "default grant limit: netfront said why" grep -q "out of grants for queue 1" $run/guest.log
	ina ip addr add 198.18.85.2/24 dev eth$dev
	inb ip addr add 198.18.85.1/24 dev vif0.$dev
	inb ip link set vif0.$dev up
	vm_check "default grant limit: ping netfront -> vif" vm_wait_for 20 ina ping -c 1 -W 2 198.18.85.1
	stop_guest "default grant limit"
	ina ip addr flush dev eth$dev 2> /dev/null
else
	vm_skip "xen-gntalloc's limit is $(cat $limit), not the default 1024: the fewer-queues case is not tested"
fi

# Second connection to the same backend, with room for two queues.
echo 4096 > $limit
start_guest "second connection"
vm_check "eth$dev has the MAC from xenstore" sh -c "nsenter -t $nsa -n ip link show eth$dev | grep -q 'ether $mac'"

# What the two ends agreed on.
echo "  | backend offers: rx-copy $(feat $be feature-rx-copy) sg $(feat $be feature-sg) gso-tcpv4 $(feat $be feature-gso-tcpv4) gso-tcpv6 $(feat $be feature-gso-tcpv6) split-event-channels $(feat $be feature-split-event-channels) multi-queue-max-queues $(feat $be multi-queue-max-queues) ctrl-ring $(feat $be feature-ctrl-ring)"
echo "  | netfront asks: rx-copy $(feat $fe request-rx-copy) rx-notify $(feat $fe feature-rx-notify) sg $(feat $fe feature-sg) gso-tcpv4 $(feat $fe feature-gso-tcpv4) gso-tcpv6 $(feat $fe feature-gso-tcpv6) queues $(feat $fe multi-queue-num-queues)"
vm_check_eq "rx-copy: offered and requested" "1 1" "$(feat $be feature-rx-copy) $(feat $fe request-rx-copy)"
vm_check_eq "scatter-gather: offered and requested" "1 1" "$(feat $be feature-sg) $(feat $fe feature-sg)"
vm_check_eq "TCPv4 GSO: offered and requested" "1 1" "$(feat $be feature-gso-tcpv4) $(feat $fe feature-gso-tcpv4)"
vm_check_eq "multi-queue: 2 offered, 2 in use" "2 2" "$(feat $be multi-queue-max-queues) $(feat $fe multi-queue-num-queues)"
vm_check "queue-1 has its own rings" xenstore-exists $fe/queue-1/tx-ring-ref
if [ "$(feat $be feature-split-event-channels)" = 1 ]; then
	vm_check "split event channels used" xenstore-exists $fe/queue-0/event-channel-rx
fi

ina ip addr add 198.18.85.2/24 dev eth$dev
inb ip addr add 198.18.85.1/24 dev vif0.$dev 2> /dev/null
inb ip link set vif0.$dev up
ina ip link set lo up
inb ip link set lo up
vm_check "ping netfront -> xen-netback's vif" vm_wait_for 20 ina ping -c 1 -W 2 198.18.85.1
vm_check "ping xen-netback's vif -> netfront" sh -c "nsenter -t $nsb -n ping -c 3 -W 5 198.18.85.2 > /dev/null"

# same_bytes WHAT FILE: FILE holds /tmp/tx85's bytes.
same_bytes() {
	if [ "$(sha256sum < "$2")" = "$sum" ]; then
		vm_ok "$1: the bytes arrive intact (sha256)"
	else
		vm_fail "$1: the bytes arrive intact (sha256): got $(wc -c < "$2") bytes; $(cmp /tmp/tx85 "$2" 2>&1 | head -n 1)"
	fi
}
# TCP both ways, 1 MiB each (TCG under load moves about 100 KiB/s-1 MiB/s), checksummed (GSO both ways when offered).
dd if=/dev/urandom of=/tmp/tx85 bs=1M count=1 2> /dev/null
sum=$(sha256sum < /tmp/tx85)
# The receiver runs cat on the connection: a plain "nc -l" shuts its side
# down when its own stdin ends, and the sender's nc then exits with data
# still unsent.
inb timeout 60 nc -l -p 5085 -e sh -c 'cat > /tmp/rx85b' < /dev/null &
lpid=$!
sleep 0.5
vm_check "TCP netfront -> vif: 1 MiB sent" ina timeout 60 nc 198.18.85.1 5085 < /tmp/tx85
wait $lpid
same_bytes "TCP netfront -> vif" /tmp/rx85b
echo "  | $(($(date +%s) - t0))s in"
ina timeout 60 nc -l -p 5086 -e sh -c 'cat > /tmp/rx85a' < /dev/null &
lpid=$!
sleep 0.5
vm_check "TCP vif -> netfront: 1 MiB sent" inb timeout 60 nc 198.18.85.2 5086 < /tmp/tx85
wait $lpid
same_bytes "TCP vif -> netfront" /tmp/rx85a
ina grep eth$dev /proc/net/dev | sed 's/^/  | A: /'
inb grep vif0.$dev /proc/net/dev | sed 's/^/  | B: /'

stop_guest "second connection"
xenstore-write "$be/online" 0
xenstore-rm "$fe"
xenstore-rm "$be"
vm_check "vif0.$dev is gone once the backend's nodes are" vm_wait_for 10 sh -c "! nsenter -t $nsb -n ip link show vif0.$dev"
kill $nsa $nsb 2> /dev/null
echo 1024 > $limit
rm -f /tmp/tx85 /tmp/rx85a /tmp/rx85b
echo "  | 85-netfront-linux-netback.sh took $(($(date +%s) - t0))s"

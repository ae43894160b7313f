#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pvkit-netback and netfront end to end on the local platform. Domain 0's
# side (pvkitd, pvkit-xenstored, pvkit-netback, the vifs and a bridge) runs
# in a network namespace this test makes, each guest (pvkit-guest) in its
# own; addresses come from 198.18.0.0/15 and IPv6 ULA fd00:198:18::/64.
# Ping both ways, checksummed TCP streams both ways (1 GiB each way between
# a guest and domain 0), IPv6 streams, MTU 1500 and 9000, multi-queue 2
# then 1, split event channels, GSO on then off (seen in the packet sizes
# the interfaces count on both sides), two guests on one bridge, xl rate
# limiting and a rate changed while the vif runs, kill -9 of netback and
# its restart, an orderly restart that keeps the vifs, a hostile frontend
# beside the good guests, netback's memory under a flood at a frontend that
# posts no rx buffers, and a hostile backend against netfront.
. "$(dirname "$0")/../lib.sh"

command -v ip >/dev/null && [ -e /dev/net/tun ] && [ "$(id -u)" = 0 ] || {
	pv_skip "needs root, ip(8) and /dev/net/tun"
	pv_done
}
D=$(mktemp -d)
H=pvnh$$
NS=()
pids=()
backpid=
cleanup() {
	for p in "${pids[@]}" $backpid; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for n in "${NS[@]}" $H; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$D"
}
trap cleanup EXIT
export PVKIT_RUNDIR=$D XENSTORED_PATH=$D/xenstored.sock
NT=$PV_BIN/net-tool
BYTES=${PV_NET_BYTES:-1073741824} # the guest <-> domain 0 transfers, both ways
SMALL=${PV_NET_SMALL_BYTES:-67108864} # every other stream

ip netns add $H && ip -n $H link set lo up
inh() { ip netns exec $H "$@"; }
# Daemons start with ip netns exec itself (it execs), so $! is the daemon's pid.
ip netns exec $H "$PV_BIN/pvkitd" --rundir "$D" --log "$D/pvkitd.log" 2>/dev/null & pids+=($!)
ip netns exec $H "$PV_BIN/pvkit-xenstored" --rundir "$D" --log "$D/xenstored.log" 2>/dev/null & pids+=($!)
pv_check "pvkitd and xenstored ready" pv_wait_for 5 test -S "$D/pvkitd.sock" -a -S "$D/xenstored.sock"
inh ip link add br0 type bridge && inh ip addr add 198.18.0.1/24 dev br0 && inh ip link set br0 up
start_back() {
	ip netns exec $H "$PV_BIN/pvkit-netback" --rundir "$D" --log "$D/netback.log" "$@" 2>>"$D/netback.err" &
	backpid=$!
}
start_back --max-queues 2
pv_check "netback busy-polls by default (adaptive, up to \$PVKIT_BUSYPOLL_NS or 50 us)" \
	pv_wait_for 5 grep -q "busy poll up to ${PVKIT_BUSYPOLL_NS:-50000} ns" "$D/netback.log"

state() { xenstore-read "$1/state" 2>/dev/null; }
connected() { [ "$(state "$1")" = 4 ] && [ "$(state "$2")" = 4 ]; }
fe() { echo "/local/domain/$1/device/vif/0"; }
be() { echo "/local/domain/0/backend/vif/$1/0"; }

# guest NAME IP/PREFIX VIFKEY=VALUE...: a domain with one vif, its runtime in
# its own namespace, eth0 configured. Sets DOM to the new domid.
guest() {
	local name=$1 addr=$2
	shift 2
	DOM=$("$PV_BIN/echo-client" mkdomain "$D" "$name")
	"$NT" adddev "$D" "$DOM" 0 "mac=00:16:3e:12:00:$(printf %02x "$DOM")" "$@" || return 1
	NS+=("pvng$$-$DOM")
	ip netns add "pvng$$-$DOM" && ip -n "pvng$$-$DOM" link set lo up
	ip netns exec "pvng$$-$DOM" "$PV_BIN/pvkit-guest" --domid "$DOM" --rundir "$D" --no-console \
		--log "$D/guest-$DOM.log" 2>>"$D/guest-$DOM.err" &
	pids+=($!)
	pv_wait_for 10 connected "$(fe "$DOM")" "$(be "$DOM")" || return 1
	ip -n "pvng$$-$DOM" addr add "$addr" dev eth0 && ip -n "pvng$$-$DOM" link set eth0 up
}
ing() { local d=$1; shift; ip netns exec "pvng$$-$d" "$@"; }

# stream FROM-NS-CMD TO-NS-CMD ADDR [N]: N (default SMALL) bytes over TCP;
# both ends print "bytes hash" and must agree.
PORT=5000
stream() {
	local from=$1 to=$2 addr=$3 n=${4:-$SMALL} out
	PORT=$((PORT + 1))
	$to timeout 120 "$NT" recv $PORT > "$D/recv.out" &
	local r=$!
	out=$($from timeout 120 "$NT" send "$addr" $PORT "$n" $PORT) || { wait $r; return 1; }
	wait $r || return 1
	[ "$out" = "$(cat "$D/recv.out")" ] && [ "${out%% *}" = "$n" ]
}

# sized NS IFACE DIR CMD...: run CMD; AVG is then the average size of the
# packets IFACE counted in DIR (rx or tx) meanwhile. A TAP counts what
# crosses it, a GSO packet as one: over 1514 bytes on average at MTU 1500
# means TCP segmentation was offloaded through the vif, at most 1514 that
# it was not.
counters() {
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3_packets" "/sys/class/net/$2/statistics/$3_bytes"
}
sized() {
	local ns=$1 ifc=$2 dir=$3 p0 b0 p1 b1
	shift 3
	{ read -r p0; read -r b0; } < <(counters "$ns" "$ifc" "$dir")
	"$@" || return 1
	{ read -r p1; read -r b1; } < <(counters "$ns" "$ifc" "$dir")
	AVG=$(( (b1 - b0) / (p1 > p0 ? p1 - p0 : 1) ))
}
# gso_seen WHAT on|off: AVG (from sized) says GSO was used, or not.
gso_seen() {
	if [ "$2" = on ]; then
		pv_check "$1: GSO packets (average $AVG bytes)" test "$AVG" -gt 3000
	else
		pv_check "$1: no GSO packet (average $AVG bytes)" test "$AVG" -le 1514
	fi
}

guest g1 198.18.0.2/24 bridge=br0 mtu=1500 || pv_fail "guest g1 connects"
G1=$DOM
pv_check "g1: eth0 has the MAC from xenstore" ing $G1 sh -c "ip link show eth0 | grep -q 00:16:3e:12:00:$(printf %02x $G1)"
pv_check "g1: the vif is vif$G1.0 on br0" inh sh -c "ip link show vif$G1.0 | grep -q 'master br0'"
pv_check_eq "g1: two queues negotiated" 2 "$(xenstore-read "$(fe $G1)/multi-queue-num-queues")"
pv_check "g1: vif$G1.0 is up while its frontend is connected" pv_wait_for 5 inh grep -qx up /sys/class/net/vif$G1.0/operstate
pv_check "g1: split event channels (queue-1/event-channel-tx and -rx)" \
	sh -c "xenstore-read $(fe $G1)/queue-1/event-channel-tx && xenstore-read $(fe $G1)/queue-1/event-channel-rx"
pv_check "ping dom0 -> g1" inh "$NT" ping 198.18.0.2 3
pv_check "ping g1 -> dom0" ing $G1 "$NT" ping 198.18.0.1 3
pv_check "ping with 8000-byte payloads (fragments, multi-slot)" ing $G1 "$NT" ping 198.18.0.1 2 8000
pv_check "TCP $BYTES bytes g1 -> dom0, hashes equal (GSO, 2 queues)" \
	sized "pvng$$-$G1" eth0 tx stream "ing $G1" inh 198.18.0.1 $BYTES
gso_seen "g1 -> dom0: netfront's eth0 sends" on
pv_check "TCP $BYTES bytes dom0 -> g1, hashes equal (GSO, 2 queues)" \
	sized $H vif$G1.0 tx stream inh "ing $G1" 198.18.0.2 $BYTES
gso_seen "dom0 -> g1: the kernel hands netback's vif$G1.0" on
# netfront's counters file (the guest's side, as netback counts its own).
fe_field() { "$PV_BIN/echo-client" counters "$D/dom/$1/stats/vif-$1-0" | sed -n "s/^$2=//p"; }
in=$(fe_field $G1 bytes_in) out=$(fe_field $G1 bytes_out)
pv_check "g1's netfront counters: at least $BYTES bytes sent and received (${in:-none}, ${out:-none})" \
	test "${in:-0}" -ge $BYTES -a "${out:-0}" -ge $BYTES
pv_check "g1's netfront counters: packets both ways, no bad response" \
	test "$(fe_field $G1 requests)" -gt 0 -a "$(fe_field $G1 errors)" = 0
# IPv6 (feature-gso-tcpv6, feature-ipv6-csum-offload): ULA addresses, no DAD wait.
inh ip addr add fd00:198:18::1/64 dev br0 nodad
ing $G1 ip addr add fd00:198:18::2/64 dev eth0 nodad
pv_check "IPv6 TCP g1 -> dom0, hashes equal" sized $H vif$G1.0 rx stream "ing $G1" inh fd00:198:18::1
gso_seen "IPv6 g1 -> dom0: netback's vif$G1.0 receives" on
pv_check "IPv6 TCP dom0 -> g1, hashes equal" sized "pvng$$-$G1" eth0 rx stream inh "ing $G1" fd00:198:18::2
gso_seen "IPv6 dom0 -> g1: netfront's eth0 receives" on

guest g2 198.18.0.3/24 bridge=br0 || pv_fail "guest g2 connects"
G2=$DOM
pv_wait_for 5 ing $G1 "$NT" ping 198.18.0.3 1 >/dev/null # g2's port and ARP settle
pv_check "two guests on one bridge: g1 -> g2" ing $G1 "$NT" ping 198.18.0.3 3
pv_check "two guests on one bridge: g2 -> g1" ing $G2 "$NT" ping 198.18.0.2 3
pv_check "TCP g2 -> g1 across the bridge" stream "ing $G2" "ing $G1" 198.18.0.2

# MTU 9000, no bridge: domain 0's address is on the vif itself.
guest g9 198.18.1.2/24 mtu=9000 || pv_fail "guest g9 connects"
G9=$DOM
inh ip addr add 198.18.1.1/24 dev vif$G9.0
pv_check_eq "g9: eth0 has MTU 9000" 9000 "$(ing $G9 cat /sys/class/net/eth0/mtu)"
pv_check_eq "g9: vif$G9.0 has MTU 9000" 9000 "$(inh cat /sys/class/net/vif$G9.0/mtu)"
pv_check "MTU 9000: ping with 8900-byte payloads both ways" \
	sh -c "ip netns exec $H $NT ping 198.18.1.2 2 8900 && ip netns exec pvng$$-$G9 $NT ping 198.18.1.1 2 8900"
pv_check "MTU 9000: TCP g9 -> dom0" stream "ing $G9" inh 198.18.1.1
pv_check "MTU 9000: TCP dom0 -> g9" stream inh "ing $G9" 198.18.1.2

# xl's rate= (bytes per interval): 500000 bytes every 50 ms is 10 MB/s, so
# 8 MiB from the guest cannot take less than ~0.7 s (checked: at least 0.5 s).
guest gr 198.18.0.5/24 bridge=br0 rate=500000,50000 || pv_fail "guest gr connects"
GR=$DOM
t0=$(date +%s%N)
pv_check "rate-limited vif: TCP 8 MiB gr -> dom0, hashes equal" stream "ing $GR" inh 198.18.0.1 8388608
t1=$(date +%s%N)
pv_check "rate-limited vif: the guest's 8 MiB took at least 0.5 s ($(( (t1 - t0) / 1000000 )) ms)" \
	test $(( (t1 - t0) / 1000000 )) -ge 500
# The rate node rewritten while the vif runs (netback watches it, as Linux's
# does): 125000 bytes every 50 ms is 2.5 MB/s, so 4 MiB take ~1.6 s (checked:
# at least 1.2 s; at the old rate they would take 0.4 s).
xenstore-write "$(be $GR)/rate" 125000,50000
pv_check "netback took the new rate" pv_wait_for 5 grep -q "vif-$GR-0: rate now 125000 bytes every 50000 us" "$D/netback.log"
t0=$(date +%s%N)
pv_check "new rate: TCP 4 MiB gr -> dom0, hashes equal" stream "ing $GR" inh 198.18.0.1 4194304
t1=$(date +%s%N)
pv_check "new rate: the guest's 4 MiB took at least 1.2 s ($(( (t1 - t0) / 1000000 )) ms)" \
	test $(( (t1 - t0) / 1000000 )) -ge 1200
xenstore-rm "$(be $GR)/rate"
pv_check "rate node removed: netback lifts the limit" pv_wait_for 5 grep -q "vif-$GR-0: rate now unlimited" "$D/netback.log"
xenstore-write "$(be $GR)/rate" 10Mb/s # xl's syntax, not what libxl writes down
pv_check "a malformed rate node: netback says so and stays unlimited" pv_wait_for 5 \
	grep -q 'rate = "10Mb/s": not "bytes,usecs": unlimited' "$D/netback.log"
xenstore-rm "$(be $GR)/rate"
pv_check "unlimited again: TCP gr -> dom0" stream "ing $GR" inh 198.18.0.1

# kill -9 of the backend and a restart with one queue, no GSO, grant copy
# only (no mapped pages) and no busy polling: the vifs (persistent TAPs,
# still on the bridge, addresses kept) come back.
kill -9 $backpid; wait $backpid 2>/dev/null
mv "$D/netback.log" "$D/netback-1.log" # the new instance's log tells when it connected
start_back --max-queues 1 --no-gso --grant-copy --busypoll-ns 0
reconnected() { grep -q "vif-$1-0: connected" "$D/netback.log" && connected "$(fe $1)" "$(be $1)"; }
for d in $G1 $G2 $G9 $GR; do
	pv_check "dom$d reconnects after kill -9 of netback" pv_wait_for 10 reconnected $d
done
pv_check_eq "g1: one queue after the restart" 1 "$(xenstore-read "$(fe $G1)/multi-queue-num-queues")"
pv_check "netback logged GSO off" pv_wait_for 5 grep -q "gso 0/0" "$D/netback.log"
pv_check "netback runs grant copy only" grep -q "grant copy only" "$D/netback.log"
pv_check "netback does not busy-poll with --busypoll-ns 0" grep -q "busy poll up to 0 ns" "$D/netback.log"
pv_check "after restart: ping dom0 -> g1" pv_wait_for 10 inh "$NT" ping 198.18.0.2 1
pv_check "after restart: ping g2 -> g1" ing $G2 "$NT" ping 198.18.0.2 2
pv_check "no GSO, 1 queue: TCP g1 -> dom0" sized $H vif$G1.0 rx stream "ing $G1" inh 198.18.0.1
gso_seen "no GSO: netback's vif$G1.0 receives" off
pv_check "no GSO, 1 queue: TCP dom0 -> g1" sized $H vif$G1.0 tx stream inh "ing $G1" 198.18.0.2
gso_seen "no GSO: the kernel hands netback's vif$G1.0" off
pv_check "no GSO: IPv6 TCP g1 -> dom0" sized "pvng$$-$G1" eth0 tx stream "ing $G1" inh fd00:198:18::1
gso_seen "no GSO: IPv6 from netfront's eth0" off
pv_check "no GSO: IPv6 TCP dom0 -> g1" sized "pvng$$-$G1" eth0 rx stream inh "ing $G1" fd00:198:18::2
gso_seen "no GSO: IPv6 into netfront's eth0" off
pv_check "no GSO, MTU 9000 (3 slots a packet): TCP g9 -> dom0" stream "ing $G9" inh 198.18.1.1
pv_check "no GSO, MTU 9000: TCP dom0 -> g9" stream inh "ing $G9" 198.18.1.2

# An orderly stop (SIGTERM: systemctl restart) keeps the vifs as kill -9
# does: their bridge ports, dom0's address on vif$G9.0 and its route.
kill -TERM $backpid
wait $backpid
pv_check_eq "netback exits 0 on SIGTERM" 0 $?
pv_check "after SIGTERM: vif$G9.0 is still there with dom0's address" \
	inh sh -c "ip -4 addr show dev vif$G9.0 | grep -q 198.18.1.1/24"
pv_check "after SIGTERM: vif$G1.0 is still on br0" inh sh -c "ip link show vif$G1.0 | grep -q 'master br0'"
mv "$D/netback.log" "$D/netback-2.log"
start_back --max-queues 1 --no-gso --grant-copy
for d in $G1 $G9; do
	pv_check "dom$d reconnects after the orderly restart" pv_wait_for 10 reconnected $d
done
pv_check "after the orderly restart: ping dom0 -> g9 over its vif" pv_wait_for 10 inh "$NT" ping 198.18.1.2 1
pv_check "after the orderly restart: TCP g1 -> dom0" stream "ing $G1" inh 198.18.0.1

pv_check "no tx drops or bad grants from good guests" \
	sh -c "! grep -E 'tx packet dropped|grant refused' '$D/netback-1.log' '$D/netback-2.log' '$D/netback.log'"

# A hostile frontend on the same bridge: it posts no rx buffers but two
# (the backend holds one packet, the rest stays in the kernel's TAP queue),
# one with a bad grant, sends every bad tx shape and overflows both rings
# (it runs in domain 0's namespace to send frames out of its vif); the good
# guests keep working.
bad=$("$PV_BIN/echo-client" mkdomain "$D" bad)
pv_check "hostile domain's vif added" "$NT" adddev "$D" "$bad" 0 bridge=br0
# Routed set-ups put addresses and routes on the vif itself: as with Linux's
# netback, a frontend that goes away or is disabled takes the carrier with
# it, not the link (setting it down would flush dom0's IPv6 address and the
# routes through it).
# As xl's vif-route script does: the vif up, an address and a route on it.
pv_check "the hostile vif is there" pv_wait_for 10 inh ip link show vif$bad.0
pv_check "vif-route style set-up on vif$bad.0" inh sh -c "ip link set vif$bad.0 up &&
	ip addr add fd00:198:19::1/64 dev vif$bad.0 nodad && ip route add 198.18.9.0/24 dev vif$bad.0"
inh "$NT" hostile "$D" "$bad" 0 > "$D/hostile.out" 2>&1
hrc=$?
while read -r line; do
	case "$line" in
	"ok - "*) pv_ok "hostile: ${line#ok - }" ;;
	"not ok - "*) pv_fail "hostile: ${line#not ok - }" ;;
	esac
done < "$D/hostile.out"
pv_check_eq "hostile driver exits 0" 0 $hrc
pv_check "netback counted the dropped packets" grep -q "tx packet dropped" "$D/netback.log"
# (The kernel's link-state work may take a second to note the carrier.)
pv_check "the disabled hostile vif has no carrier" pv_wait_for 5 inh grep -qx down /sys/class/net/vif$bad.0/operstate
pv_check "after the hostile frontend's disconnects: dom0's IPv6 address is still on vif$bad.0" \
	inh sh -c "ip -6 addr show dev vif$bad.0 | grep -q fd00:198:19::1/64"
pv_check "after the hostile frontend's disconnects: the route through vif$bad.0 is still there" \
	inh sh -c "ip route show 198.18.9.0/24 | grep -q vif$bad.0"
pv_check "netback is alive" kill -0 $backpid
pv_check "g1 still streams to dom0 after the hostile frontend" stream "ing $G1" inh 198.18.0.1

# A frontend that never posts rx buffers while domain 0 floods its vif
# (a static bridge entry and neighbour send 198.18.0.99 there): netback
# holds one packet, the kernel's TAP queue drops the rest, netback's memory
# stays where it was.
SIL=$("$PV_BIN/echo-client" mkdomain "$D" silent)
"$NT" adddev "$D" "$SIL" 0 bridge=br0 mac=00:16:3e:12:00:ee
"$NT" silent "$D" "$SIL" 0 120 > "$D/silent.out" 2>&1 &
silpid=$!
pids+=($silpid)
pv_check "silent frontend connected" pv_wait_for 10 grep -qx connected "$D/silent.out"
inh bridge fdb replace 00:16:3e:12:00:ee dev vif$SIL.0 master static || pv_fail "static bridge entry for the silent vif"
inh ip neigh replace 198.18.0.99 lladdr 00:16:3e:12:00:ee dev br0 nud permanent
rss() { awk '/^VmRSS/ { print $2 }' /proc/$backpid/status; }
vif_tx() { inh cat /sys/class/net/vif$SIL.0/statistics/tx_packets /sys/class/net/vif$SIL.0/statistics/tx_dropped | awk '{ n += $1 } END { print n }'; }
inh "$NT" udp 198.18.0.99 9 2000 1400 >/dev/null # a first packet is held, buffers touched
rss0=$(rss) tx0=$(vif_tx)
inh "$NT" udp 198.18.0.99 9 200000 1400 >/dev/null
inh "$NT" udp 198.18.0.99 9 20000 8000 >/dev/null # fragments, several slots a packet
rss1=$(rss) tx1=$(vif_tx)
pv_check "the flood reached the silent vif ($((tx1 - tx0)) packets)" test $((tx1 - tx0)) -gt 1000
pv_check "netback's RSS stays bounded with a frontend that posts no rx buffers (${rss0} -> ${rss1} KiB)" \
	test $((rss1 - rss0)) -lt 8192
pv_check "netback is alive after the flood" kill -0 $backpid
pv_check "g1 still reaches dom0 beside the silent vif" ing $G1 "$NT" ping 198.18.0.1 2
kill $silpid 2>/dev/null
# Hot-unplug: the toolstack removes both halves; the vif goes away.
xenstore-rm "$(be $G2)"; xenstore-rm "$(fe $G2)"
pv_check "unplug: vif$G2.0 is gone" pv_wait_for 10 inh sh -c "! ip link show vif$G2.0 2>/dev/null"
pv_check "g1 still reaches dom0 after g2's unplug" ing $G1 "$NT" ping 198.18.0.1 2

# A hostile backend (netback stopped) against a real netfront: bad rx
# responses are dropped and counted, a runaway rsp_prod closes the device,
# the guest runtime lives on. It offers no feature-sg, so netfront brings
# the MTU of 9000 the toolstack wrote down to 1500.
# SIGHUP stops netback in order too, as the other daemons.
kill -HUP $backpid
pv_check_exit "netback exits 0 on SIGHUP" 10 0 $backpid
backpid=
HB=$("$PV_BIN/echo-client" mkdomain "$D" hb)
"$NT" adddev "$D" "$HB" 0 mtu=9000
NS+=("pvng$$-$HB")
ip netns add "pvng$$-$HB"
ip netns exec "pvng$$-$HB" "$PV_BIN/pvkit-guest" --domid "$HB" --rundir "$D" --no-console \
	--log "$D/guest-$HB.log" 2>>"$D/guest-$HB.err" &
hbpid=$!
pids+=($hbpid)
"$NT" hostileback "$D" "$HB" 0 > "$D/hostileback.out" 2>&1
hrc=$?
while read -r line; do
	case "$line" in
	"ok - "*) pv_ok "hostile backend: ${line#ok - }" ;;
	"not ok - "*) pv_fail "hostile backend: ${line#not ok - }" ;;
	"#"*) echo "$line" ;;
	esac
done < "$D/hostileback.out"
pv_check_eq "hostile backend driver exits 0" 0 $hrc
pv_check "netfront logged the bad responses" grep -q "bad response from the backend" "$D/guest-$HB.log"
pv_check_eq "a backend without feature-sg: eth0's MTU 1500, not the 9000 of xenstore (as Linux's netfront)" \
	1500 "$(ip netns exec "pvng$$-$HB" cat /sys/class/net/eth0/mtu)"
pv_check "netfront's error node names the overflow" \
	sh -c "xenstore-read $(fe $HB)/error | grep -q 'out of range'"
pv_check "pvkit-guest survived the hostile backend" kill -0 $hbpid

# Bad numbers are usage errors.
for bad in 2x 0 9; do
	"$PV_BIN/pvkit-netback" --max-queues $bad 2>/dev/null
	pv_check_eq "pvkit-netback --max-queues $bad: exit 2" 2 $?
done
pv_done

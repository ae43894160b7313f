#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pvkit-netback against a hostile frontend, one THREATS.md class at a time
# (net-tool xsa, tests/integration/net_xsa.c), with the daemon built with
# ASan+UBSan when `make check` built it (build/asan/bin): XSA-350
# connect/disconnect cycles with packets in flight, XSA-349 state-node
# flood, XSA-332/391 event storm on empty rings (spurious notifications
# counted in the vif's stats file, netback backs off), XSA-155 slots rewritten
# while consumed, XSA-216 every byte of every response slot defined.
# A good guest on a bridge keeps pinging domain 0 throughout; after each
# class the daemon is alive, its fd count back where it was, its RSS
# bounded, and no sanitizer report (the flood runs first, against the plain
# daemon, whose RSS it measures). Domain 0's side runs in a network
# namespace this test makes, the guest in its own; 198.18.0.0/15 only.
. "$(dirname "$0")/../lib.sh"

command -v ip >/dev/null && [ -e /dev/net/tun ] && [ "$(id -u)" = 0 ] || {
	pv_skip "needs root, ip(8) and /dev/net/tun"
	pv_done
}
D=$(mktemp -d)
H=pvxh$$
G=pvxg$$
pids=()
backpid=
cleanup() {
	for p in "${pids[@]}" $backpid; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del $G 2>/dev/null
	ip netns del $H 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
export PVKIT_RUNDIR=$D XENSTORED_PATH=$D/xenstored.sock
NT=$PV_BIN/net-tool
NETBACK=$PV_BIN/pvkit-netback
if [ -x "$PVKIT_BUILD/asan/bin/pvkit-netback" ]; then
	NETBACK=$PVKIT_BUILD/asan/bin/pvkit-netback
	pv_ok "pvkit-netback runs with ASan+UBSan (after the watch flood)"
else
	echo "# no build/asan/bin/pvkit-netback (make asan-programs): the plain daemon"
fi
# A small quarantine: freed memory held by ASan would read as growth of the RSS.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:quarantine_size_mb=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

ip netns add $H && ip -n $H link set lo up
inh() { ip netns exec $H "$@"; }
ip netns exec $H "$PV_BIN/pvkitd" --rundir "$D" --log "$D/pvkitd.log" 2>/dev/null & pids+=($!)
ip netns exec $H "$PV_BIN/pvkit-xenstored" --rundir "$D" --log "$D/xenstored.log" 2>/dev/null & pids+=($!)
pv_check "pvkitd and xenstored ready" pv_wait_for 5 test -S "$D/pvkitd.sock" -a -S "$D/xenstored.sock"
inh ip link add br0 type bridge && inh ip addr add 198.18.0.1/24 dev br0 && inh ip link set br0 up
# start_back BINARY: netback in domain 0's namespace, its pid in $backpid.
start_back() {
	ip netns exec $H "$1" --rundir "$D" --log "$D/netback.log" --max-queues 1 2>>"$D/netback.err" &
	backpid=$!
}
# The watch flood measures memory: the plain daemon first (ASan's allocator blurs RSS).
start_back "$PV_BIN/pvkit-netback"

state() { xenstore-read "$1/state" 2>/dev/null; }
fe() { echo "/local/domain/$1/device/vif/0"; }
be() { echo "/local/domain/0/backend/vif/$1/0"; }
connected() { [ "$(state "$(fe "$1")")" = 4 ] && [ "$(state "$(be "$1")")" = 4 ]; }

# The good guest: pvkit-guest in its own namespace, eth0 on br0.
G1=$("$PV_BIN/echo-client" mkdomain "$D" good)
"$NT" adddev "$D" "$G1" 0 "mac=00:16:3e:13:00:01" bridge=br0
ip netns add $G && ip -n $G link set lo up
ip netns exec $G "$PV_BIN/pvkit-guest" --domid "$G1" --rundir "$D" --no-console \
	--log "$D/guest.log" 2>>"$D/guest.err" &
pids+=($!)
pv_check "the good guest connects" pv_wait_for 20 connected "$G1"
ip -n $G addr add 198.18.0.2/24 dev eth0 && ip -n $G link set eth0 up
pv_check "good guest pings dom0" pv_wait_for 10 ip netns exec $G "$NT" ping 198.18.0.1 1

# The hostile domain's vif: not on the bridge (its frames stay between it and the test).
BAD=$("$PV_BIN/echo-client" mkdomain "$D" bad)
pv_check "hostile domain's vif added" "$NT" adddev "$D" "$BAD" 0
offered() { [ "$(state "$(be "$BAD")")" = 2 ]; }
pv_check "netback offers the hostile vif (InitWait)" pv_wait_for 10 offered
inh sysctl -qw "net.ipv6.conf.vif$BAD.0.disable_ipv6=1" 2>/dev/null

fds() { ls "/proc/$backpid/fd" 2>/dev/null | wc -l; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$backpid/status" 2>/dev/null; }
sanitizer_clean() { ! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$D/netback.err"; }

# xsa CASE ARGS...: run one class, relay its ok/not ok lines.
xsa() {
	local name=$1 rc
	shift
	inh "$NT" xsa "$D" "$BAD" 0 "$@" > "$D/xsa-$name.out" 2>&1
	rc=$?
	while read -r line; do
		case "$line" in
		"ok - "*) pv_ok "${line#ok - }" ;;
		"not ok - "*) pv_fail "${line#not ok - }" ;;
		"# "*) echo "$line" ;;
		esac
	done < "$D/xsa-$name.out"
	pv_check_eq "$name: net-tool xsa exits 0" 0 $rc
}

# after NAME: the daemon and the good guest are fine after class NAME.
after() {
	pv_check "$1: netback is alive" kill -0 $backpid
	pv_check "$1: no sanitizer report" sanitizer_clean
	pv_check "$1: the good guest still pings dom0" ip netns exec $G "$NT" ping 198.18.0.1 2
	echo "# netback after $1: $(fds) fds, RSS $(rss_kb) kB"
}

# XSA-349 (the plain daemon): 4 writers, 50000 rewrites each, while the
# good guest pings. Pending watch work stays bounded: before
# pv_xs_dispatch() coalesced identical events, netback's RSS grew with the
# length of the flood (about 80 bytes an event: +16 MB here); now ~+1 MB.
RSSF=$(rss_kb)
ip netns exec $G "$NT" ping 198.18.0.1 10 > "$D/ping-flood.out" 2>&1 &
ping=$!
xsa stateflood stateflood 50000 4
wait $ping
pv_check_eq "XSA-349: the good guest's pings during the flood all came back" 0 $?
pv_check "XSA-349: netback's RSS $(rss_kb) kB after 200000 events, $RSSF kB before (+8 MiB at most)" \
	test "$(rss_kb)" -le $((RSSF + 8192))
after "XSA-349"

# The other classes against the sanitized daemon (when built): a restart,
# the vifs come back.
kill -TERM $backpid
wait $backpid
pv_check_eq "the plain netback exits 0 on SIGTERM" 0 $?
mv "$D/netback.log" "$D/netback-plain.log"
start_back "$NETBACK"
pv_check "the good guest reconnects to the new netback" \
	pv_wait_for 20 sh -c "grep -q 'vif-$G1-0: connected' '$D/netback.log'"
pv_check "good guest pings dom0 again" pv_wait_for 10 ip netns exec $G "$NT" ping 198.18.0.1 1

# A first connection, so the fd and RSS baselines include one connected vif.
xsa rspbytes rspbytes
after "XSA-216"
FD0=$(fds)
RSS0=$(rss_kb)
echo "# netback: $FD0 fds, RSS $RSS0 kB after the first connection"

# XSA-332/391 while the good guest pings.
ip netns exec $G "$NT" ping 198.18.0.1 20 > "$D/ping-storm.out" 2>&1 &
ping=$!
xsa storm storm 5
wait $ping
pv_check_eq "XSA-332: the good guest's pings during the storm all came back" 0 $?
pv_check "XSA-391: netback logged its back-off" \
	grep -q "spurious notifications: backing off" "$D/netback.log"
after "XSA-332"

xsa doublefetch doublefetch 5
after "XSA-155"

# XSA-350: at least 300 cycles; on to 3000 while 20 s last.
xsa cycles cycles 20 300 3000
after "XSA-350"
FD1=$(fds)
RSS1=$(rss_kb)
echo "# netback: $FD1 fds, RSS $RSS1 kB after every class"
pv_check "fd count bounded: $FD1 now, $FD0 after the first connection" test "$FD1" -le $((FD0 + 4))
pv_check "RSS bounded: $RSS1 kB now, $RSS0 kB after the first connection (at most +32 MiB)" \
	test "$RSS1" -le $((RSS0 + 32768))
pv_check "the good guest streams to dom0 afterwards" \
	sh -c "ip netns exec $H timeout 60 '$NT' recv 5001 > '$D/recv.out' & ip netns exec $G timeout 60 '$NT' send 198.18.0.1 5001 8388608 > '$D/send.out'; wait; test -s '$D/send.out' && cmp -s '$D/send.out' '$D/recv.out'"

kill -TERM $backpid
wait $backpid
pv_check_eq "netback exits 0 on SIGTERM" 0 $?
backpid=
pv_check "no sanitizer report at exit" sanitizer_clean
[ -s "$D/netback.err" ] && sed 's/^/# netback: /' "$D/netback.err" | head -40
pv_done

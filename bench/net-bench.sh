#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Network throughput and latency through pvkit (netfront in a guest
# namespace -> netif rings -> pvkit-netback -> vif on a bridge in domain
# 0's namespace) beside a veth pair between two namespaces (the kernel's
# own path) and pasta (passt: a namespace connected in user space).
# iperf3 TCP, NET_BENCH_SECONDS (default 10) per figure, guest to domain 0
# and domain 0 to guest, 1 and 4 streams; a 1-byte TCP request/response
# round trip (net-tool rr). Every address is in 198.18.0.0/15, inside
# namespaces this script makes. Prints BENCH lines.
# Each figure is the median of NET_BENCH_ROUNDS (default 3) rounds; a round
# runs pvkit, veth and pasta one after the other, so that all three see the
# same load (throughput on this kind of VM swings by a third between runs).
. "$(dirname "$0")/../tests/lib.sh"
SECS=${NET_BENCH_SECONDS:-10}
ROUNDS=${NET_BENCH_ROUNDS:-3}
RR_SECS=${NET_BENCH_RR_SECONDS:-3}
# One queue per CPU, at most netfront's 4: what Linux's xen-netfront and xen-netback choose.
NPROC=$(nproc)
QUEUES=${NET_BENCH_QUEUES:-$((NPROC < 4 ? NPROC : 4))}
NT=$PV_BIN/net-tool
for t in iperf3 ip; do
	command -v $t >/dev/null || { echo "# net-bench: $t not installed: skipped"; exit 0; }
done
D=$(mktemp -d)
H=pvbh$$ G=pvbg$$ VA=pvbva$$ VB=pvbvb$$ P=pvbp$$
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for n in $H $G $VA $VB $P; do ip netns del $n 2>/dev/null; done
	rm -rf "$D"
}
trap cleanup EXIT
export PVKIT_RUNDIR=$D XENSTORED_PATH=$D/xenstored.sock

# ---- set-up: pvkit, veth, pasta ----------------------------------------------------
for n in $H $G $VA $VB $P; do ip netns add $n && ip -n $n link set lo up; done
ip netns exec $H "$PV_BIN/pvkitd" --rundir "$D" --log "$D/pvkitd.log" 2>/dev/null & pids+=($!)
ip netns exec $H "$PV_BIN/pvkit-xenstored" --rundir "$D" --log "$D/xs.log" 2>/dev/null & pids+=($!)
pv_wait_for 5 test -S "$D/pvkitd.sock" -a -S "$D/xenstored.sock" || { echo "# net-bench: no pvkitd"; exit 1; }
ip -n $H link add br0 type bridge && ip -n $H addr add 198.18.0.1/24 dev br0 && ip -n $H link set br0 up
ip netns exec $H "$PV_BIN/pvkit-netback" --rundir "$D" --log "$D/netback.log" --max-queues $QUEUES 2>/dev/null &
pids+=($!) NBPID=$!
DOM=$("$PV_BIN/echo-client" mkdomain "$D" bench)
"$NT" adddev "$D" "$DOM" 0 mac=00:16:3e:12:34:56 bridge=br0 mtu=1500
ip netns exec $G "$PV_BIN/pvkit-guest" --domid "$DOM" --rundir "$D" --no-console \
	--log "$D/guest.log" 2>/dev/null & pids+=($!) GPID=$!
up() { [ "$(xenstore-read /local/domain/$DOM/device/vif/0/state 2>/dev/null)" = 4 ]; }
pv_wait_for 10 up || { echo "# net-bench: the vif did not connect"; exit 1; }
# What the two halves agreed (netback logs it): the figures need GSO and the queues.
neg=$(grep -o 'connected: vif.*' "$D/netback.log" | tail -1)
echo "# negotiated: ${neg#connected: }"
case "$neg" in
*"$QUEUES queue(s)"*"gso 1/1"*) ;;
*) echo "# net-bench: expected $QUEUES queues and GSO both ways" ;;
esac
ip -n $G addr add 198.18.0.2/24 dev eth0 && ip -n $G link set eth0 up
ip -n $VA link add v0 type veth peer name v1 netns $VB
ip -n $VA addr add 198.18.2.1/24 dev v0 && ip -n $VA link set v0 up
ip -n $VB addr add 198.18.2.2/24 dev v1 && ip -n $VB link set v1 up
# pasta's namespace is made by pasta inside $P, whose veth (both ends in $P) is the
# template interface; the guest side reaches $P's own sockets through the gateway.
ip -n $P link add p0 type veth peer name p1 && ip -n $P addr add 198.18.3.1/24 dev p0
ip -n $P link set p0 up && ip -n $P link set p1 up
ip -n $P route add default via 198.18.3.254 dev p0 onlink
pv_wait_for 5 ip netns exec $G "$NT" ping 198.18.0.1 1 >/dev/null

# CPU seconds (user + system) the processes @pids... have used so far, all threads.
cpu_of() {
	local p
	for p in "$@"; do cat /proc/$p/task/*/stat 2>/dev/null; done |
		awk -v hz="$(getconf CLK_TCK)" '{ s += $14 + $15 } END { printf "%.2f", s / hz }'
}
# iperf NS-SERVER NS-CLIENT-CMD ADDR STREAMS [-R] [PIDS...]: "Mbit/s cpu-seconds-per-GB"
# received; the CPU is both iperf3 processes' plus that of PIDS (the path's own
# daemons) over the run, per GB moved: what the path costs, whatever the load.
iperf() {
	local srv=$1 cli=$2 addr=$3 p=$4 r=$5 c0 c1 mbit
	shift 5
	c0=$(cpu_of "$@")
	# Bounded: a run that fails must not leave the one-shot server waiting forever.
	( TIMEFORMAT='%U %S'
	  { time ip netns exec $srv timeout $((SECS + 30)) iperf3 -s -1 >/dev/null 2>&1; } 2>"$D/srv.time" ) &
	local s=$!
	sleep 0.3
	mbit=$( TIMEFORMAT='%U %S'
		{ time $cli timeout $((SECS + 30)) iperf3 -c $addr -t $SECS -P $p $r -f m >"$D/iperf.out" 2>/dev/null; } 2>"$D/cli.time"
		awk '/receiver/ && ($0 ~ /SUM/ || '"$p"' == 1) { print $(NF-2) }' "$D/iperf.out" | tail -1 )
	wait $s 2>/dev/null
	c1=$(cpu_of "$@")
	cat "$D/srv.time" "$D/cli.time" | awk -v m="${mbit:-0}" -v secs=$SECS -v d=$c1-$c0 '
		{ s += $1 + $2 } END { split(d, c, "-"); gb = m * secs / 8000
			printf "%s %.3f\n", m, (gb > 0 ? (s + c[1] - c[2]) / gb : 0) }'
}
rr() {
	local srv=$1 cli=$2 addr=$3
	ip netns exec $srv "$NT" rrserve 5201 >/dev/null 2>&1 &
	local s=$!
	sleep 0.3
	$cli "$NT" rr $addr 5201 $RR_SECS 2>/dev/null
	kill $s 2>/dev/null; wait $s 2>/dev/null
}
report() { # name value unit baseline-name baseline-value higher-is-better
	awk -v n="$1" -v v="$2" -v u="$3" -v bn="$4" -v bv="$5" -v hi="$6" 'BEGIN {
		r = (v > 0 && bv > 0) ? (hi ? v / bv : bv / v) : 0
		printf "BENCH name=%s value=%s unit=%s baseline=%s baseline_value=%s ratio=%.2f\n", n, v, u, bn, bv, r }'
}

PASTA="ip netns exec $P pasta --runas 0 --config-net -q -i p0 --"
have_pasta=0
command -v pasta >/dev/null && $PASTA true 2>/dev/null && have_pasta=1
echo "# iperf3 TCP ${SECS}s per run, median of $ROUNDS rounds; pvkit: guest ns -> netif rings -> netback -> vif/br0 (GSO, $QUEUES queues, MTU 1500)"
echo "# *_cpu: CPU seconds per GB moved: both iperf3 processes, plus pvkit-netback and pvkit-guest for pvkit; less load-sensitive than Mbit/s (ratio = veth / pvkit)"
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print NR ? v[int((NR + 1) / 2)] : 0}'; }
for p in 1 4; do
	for dir in g2h h2g; do
		[ $dir = g2h ] && r= || r=-R
		echo "# load average $(cut -d' ' -f1-3 /proc/loadavg)"
		pvm=() pvc=() vem=() vec=() pam=()
		for _ in $(seq "$ROUNDS"); do
			pv=($(iperf $H "ip netns exec $G" 198.18.0.1 $p "$r" $NBPID $GPID))
			ve=($(iperf $VA "ip netns exec $VB" 198.18.2.1 $p "$r"))
			pvm+=("${pv[0]:-0}") pvc+=("${pv[1]:-0}") vem+=("${ve[0]:-0}") vec+=("${ve[1]:-0}")
			if [ $have_pasta = 1 ]; then
				pa=($(iperf $P "$PASTA" 198.18.3.254 $p "$r"))
				pam+=("${pa[0]:-0}")
			fi
		done
		echo "# net_tcp_${dir}_p$p rounds (Mbit/s): pvkit ${pvm[*]} / veth ${vem[*]}${pam:+ / pasta ${pam[*]}}; s/GB: pvkit ${pvc[*]} / veth ${vec[*]}"
		report "net_tcp_${dir}_p$p" "$(median "${pvm[@]}")" Mbit/s veth "$(median "${vem[@]}")" 1
		[ $have_pasta = 1 ] &&
			report "net_tcp_${dir}_p${p}_vs_pasta" "$(median "${pvm[@]}")" Mbit/s pasta "$(median "${pam[@]}")" 1
		report "net_tcp_${dir}_p${p}_cpu" "$(median "${pvc[@]}")" s/GB veth "$(median "${vec[@]}")" 0
	done
done
echo "# 1-byte TCP request/response round trip, mean over ${RR_SECS}s (lower is better; ratio = baseline / pvkit)"
pv=$(rr $H "ip netns exec $G" 198.18.0.1)
ve=$(rr $VA "ip netns exec $VB" 198.18.2.1)
report net_tcp_rr_latency "$pv" us veth "$ve" 0
if [ $have_pasta = 1 ]; then
	pa=$(rr $P "$PASTA" 198.18.3.254)
	report net_tcp_rr_latency_vs_pasta "$pv" us pasta "$pa" 0
fi

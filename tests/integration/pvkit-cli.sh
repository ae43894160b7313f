#!/bin/bash
# SPDX-License-Identifier: MIT
# The pvkit command as a user meets it: help, dispatch, exit statuses, and
# create --dry-run on good and bad configs (no daemons needed).
. "$(dirname "$0")/../lib.sh"
PVKIT=$PV_BIN/pvkit
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# Never the real /run/pvkit: nothing runs under this one.
export PVKIT_RUNDIR=$T/run
NOT_UP="pvkit: the host is not up under $T/run (start it with: pvkit host up)"

run() { "$PVKIT" "$@" >"$T/out" 2>"$T/err"; echo $?; }

pv_check_eq "pvkit help exits 0" 0 "$(run help)"
pv_check "help lists create" grep -q '^  create ' "$T/out"
missing=
for c in host create list destroy shutdown exec console block-attach block-detach block-list \
	network-attach network-detach network-list top pci-assignable-list pci-attach pci-detach \
	pci-list; do
	grep -q "^  $c " "$T/out" || missing="$missing $c"
done
pv_check_eq "help lists every subcommand of the issue" "" "$missing"
pv_check_eq "pvkit --help exits 0" 0 "$(run --help)"
pv_check "--help shows the usage" grep -q '^Usage: pvkit \[--rundir DIR\]' "$T/out"
pv_check_eq "no subcommand exits 2" 2 "$(run)"
pv_check_eq "unknown subcommand exits 2" 2 "$(run frobnicate)"
pv_check_eq "unknown subcommand: one clear line" \
	"pvkit: unknown subcommand 'frobnicate' (see 'pvkit help')" "$(cat "$T/err")"
pv_check_eq "unknown global option exits 2" 2 "$(run --bogus list)"
pv_check_eq "create --help exits 0" 0 "$(run create --help)"
pv_check "create --help shows the synopsis" grep -q '^Usage: pvkit create \[OPTIONS\] CONFIG' "$T/out"
pv_check "create --help documents -n" grep -q -- '-n, --dry-run' "$T/out"
pv_check_eq "help create = create --help" "$("$PVKIT" create --help)" "$("$PVKIT" help create)"
pv_check_eq "block-attach --help exits 0" 0 "$(run block-attach --help)"
pv_check_eq "host up --help exits 0" 0 "$(run host up --help)"
pv_check_eq "pci-detach --help exits 0" 0 "$(run pci-detach --help)"
pv_check "pci-detach --help: -f and BB:DD.* in the synopsis" \
	grep -qF 'Usage: pvkit pci-detach [-f|--force] [--timeout S] NAME|ID BDF|BB:DD.*' "$T/out"
pv_check "pci-detach --help documents -f" grep -q -- '-f, --force' "$T/out"
run pci-assignable-add --help >/dev/null
pv_check "pci-assignable-add --help: BB:DD.*" grep -qF 'pci-assignable-add BDF|BB:DD.*' "$T/out"
run top --help >/dev/null
pv_check "top --help: the IRQS column" grep -q 'IRQS device interrupts' "$T/out"
pv_check "top --help: the SPUR column" grep -q 'SPUR notifications' "$T/out"
pv_check_eq "list: host not up, exit 1" 1 "$(run list)"
pv_check_eq "list: the message says how to start it" "$NOT_UP" "$(cat "$T/err")"
pv_check_eq "host status: host not up, exit 1" 1 "$(run host status)"
"$PVKIT" host status --rundir "$T/other" >"$T/out" 2>"$T/err"
pv_check "host status --rundir: the message" \
	grep -Eq "^pvkit host status: [0-9]+ daemons down under $T/other \(start: pvkit host up --rundir $T/other\)$" "$T/err"
pv_check "host status: pvkitd down" grep -Eq '^pvkitd +- +down$' "$T/out"
pv_check_eq "exec without the host: exit 1" 1 "$(run exec g1 -- true)"
pv_check_eq "exec: the message" "$NOT_UP" "$(cat "$T/err")"
pv_check_eq "exec without a command: usage error" 2 "$(run exec g1)"
pv_check_eq "host frob: usage error" 2 "$(run host frob)"
pv_check_eq "block-attach checks the spec" 1 "$(run block-attach g1 'format=qcow2, vdev=xvdb, target=/x')"
pv_check_eq "block-attach: the message" \
	"pvkit block-attach: format=qcow2: not supported by pvkit (only raw)" "$(cat "$T/err")"
pv_check_eq "block-attach with a missing target: exit 1" 1 \
	"$(run block-attach g1 'vdev=xvdb, target=/nonexistent/x.img')"
pv_check_eq "block-attach: the target is checked first, one line" \
	"pvkit block-attach: disk 0: target /nonexistent/x.img: No such file or directory" "$(cat "$T/err")"
: >"$T/x.img"
pv_check_eq "block-attach with a good spec and no host: exit 1" 1 \
	"$(run block-attach g1 "vdev=xvdb, target=$T/x.img")"
pv_check_eq "block-attach: the host is not up" "$NOT_UP" "$(cat "$T/err")"
pv_check_eq "block-detach of a name that is no disk: exit 1" 1 "$(run block-detach g1 eth0)"
pv_check_eq "network-detach of neither devid nor MAC: usage error" 2 "$(run network-detach g1 xx)"
pv_check_eq "block-attach without a spec: usage error" 2 "$(run block-attach g1)"
pv_check_eq "network-attach checks the spec" 1 "$(run network-attach g1 'model=e1000')"
pv_check_eq "network-attach: the message" \
	"pvkit network-attach: model=e1000: not supported by pvkit" "$(cat "$T/err")"
pv_check_eq "pci-attach checks the spec" 1 "$(run pci-attach g1 '03:00.0,seize=2')"
pv_check_eq "pci-attach: the message" "pvkit pci-attach: seize=2: use 0 or 1" "$(cat "$T/err")"
pv_check_eq "help frob: usage error" 2 "$(run help frob)"

cat >"$T/g1.cfg" <<'CFG'
# a guest
name = "g1"
memory = 512
disk = [ 'format=raw, vdev=xvda, access=rw, target=/srv/g1.img' ]
vif = [ 'mac=00:16:3e:00:00:01, bridge=pvbr0' ]
CFG
pv_check_eq "create -n exits 0" 0 "$(run create -n "$T/g1.cfg")"
pv_check "dry run prints the config" grep -q '^memory = 512$' "$T/out"
pv_check "dry run prints the vbd backend params" \
	grep -qxF '/local/domain/0/backend/vbd/1/51712/params = "/srv/g1.img"  (n0,r1)' "$T/out"
pv_check "dry run prints the vif frontend mac" \
	grep -qxF '/local/domain/1/device/vif/0/mac = "00:16:3e:00:00:01"  (n1,r0)' "$T/out"
pv_check_eq "create --dry-run --domid 9 with overrides" 0 \
	"$(run create --dry-run --domid 9 "$T/g1.cfg" memory=256 name=g9)"
pv_check "override applied" grep -qxF '/local/domain/9/name = "g9"  (n0,r9)' "$T/out"
pv_check "override memory" grep -qxF '/local/domain/9/memory/target = "262144"  (n0,r9)' "$T/out"
# The printed config is itself a valid config.
sed -n '/^# the xenstore/q;p' "$T/out" >"$T/again.cfg"
pv_check_eq "the printed config parses again" 0 "$(run create -n "$T/again.cfg")"
pv_check "and gives the same nodes" grep -qxF '/local/domain/1/name = "g9"  (n0,r1)' "$T/out"
# Without -n, create checks the host first: the disk target, then the bridge.
pv_check_eq "create: missing disk target" 1 "$(run create "$T/g1.cfg")"
pv_check_eq "create: missing disk target, the message" \
	"$T/g1.cfg:4:10: disk 0: target /srv/g1.img: No such file or directory" "$(cat "$T/err")"
: >"$T/g1.img"
pv_check_eq "create: missing bridge" 1 "$(run create "$T/g1.cfg" "disk=['vdev=xvda, target=$T/g1.img']" \
	vif=[\'bridge=nosuchbr0\'])"
pv_check_eq "create: missing bridge, the message" \
	"command line argument 3:1:6: vif 0: bridge nosuchbr0 does not exist (create it with: ip link add nosuchbr0 type bridge)" \
	"$(cat "$T/err")"
# With the bridge in a private network namespace, create gets as far as it goes today.
if unshare -n -m true 2>/dev/null; then
	out=$(unshare -n -m sh -c 'mount -t sysfs sysfs /sys && ip link add pvbr0 type bridge &&
		"$0" create "$1" "$2" 2>&1; echo "rc=$?"' "$PVKIT" "$T/g1.cfg" \
		"disk=['vdev=xvda, target=$T/g1.img']")
	pv_check_eq "create without -n and no host: says how to start it" \
		"$NOT_UP rc=1" "$(echo $out)"
else
	pv_skip "create without -n (needs unshare -n -m)"
fi

printf 'name = "g1"\nmemory =  \n' >"$T/bad.cfg"
pv_check_eq "syntax error exits 1" 1 "$(run create -n "$T/bad.cfg")"
pv_check_eq "syntax error: file, line, column" "$T/bad.cfg:2:11: expected a value after '='" \
	"$(cat "$T/err")"
printf 'name = "g1"\ndisk = [ "format=qcow2, vdev=xvda, target=/x" ]\n' >"$T/q.cfg"
pv_check_eq "qcow2 rejected" 1 "$(run create -n "$T/q.cfg")"
pv_check_eq "qcow2: the message" \
	"$T/q.cfg:2:10: disk 0: format=qcow2: not supported by pvkit (only raw)" "$(cat "$T/err")"
pv_check_eq "missing config file" 1 "$(run create -n "$T/none.cfg")"
pv_check_eq "missing config: the message" \
	"$T/none.cfg: cannot open: No such file or directory" "$(cat "$T/err")"
pv_check_eq "create without CONFIG: usage error" 2 "$(run create -n)"
pv_check_eq "override without '='" 2 "$(run create -n "$T/g1.cfg" memory)"
pv_check_eq "bad override value" 1 "$(run create -n "$T/g1.cfg" memory=lots)"
pv_check_eq "bad override: the message" \
	"command line argument 3:1:8: memory = lots: expected a number of MiB from 1 to 1048576" \
	"$(cat "$T/err")"
# Every man page in the tree (tools/man and each daemon's <dir>/man).
for page in "$PV_TOP"/tools/man/*.[1-8] "$PV_TOP"/*/*/man/*.[1-8]; do
	pv_check_eq "man -l ${page#"$PV_TOP"/} renders without warnings" "" \
		"$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)"
done
pv_done

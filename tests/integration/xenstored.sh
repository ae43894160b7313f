#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pvkit-xenstored through Debian's xenstore-utils: every tool, watches,
# permissions as dom0 sees them, --help, and a clean SIGTERM shutdown.
. "$(dirname "$0")/../lib.sh"

command -v xenstore-write >/dev/null || { pv_skip "xenstore-utils not installed"; pv_done; }
D=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT

pv_check "--help exits 0" bash -c "\"$PV_BIN/pvkit-xenstored\" --help >/dev/null"
"$PV_BIN/pvkit-xenstored" --bogus 2>/dev/null
pv_check_eq "an unknown option is refused" 2 $?

"$PV_BIN/pvkit-xenstored" --rundir "$D" --pid-file "$D/xs.pid" --log "$D/xs.log" 2>"$D/stderr" &
PID=$!
pv_check "socket appears when ready" pv_wait_for 5 test -S "$D/xenstored.sock"
export XENSTORED_PATH=$D/xenstored.sock
pv_check_eq "domain 0's socket is private to its owner" 600 "$(stat -c %a "$D/xenstored.sock")"

pv_check_eq "initial tree" "local" "$(xenstore-list /)"
pv_check_eq "/local/domain/0 exists" "0" "$(xenstore-list /local/domain)"
pv_check_eq "initial perms are n0" "n0" "$(xenstore-ls -p /local | sed -n 's/.*(\(.*\))$/\1/p' | sort -u)"
pv_check "write creates parents" xenstore-write /a/b/c hello
pv_check_eq "read back" "hello" "$(xenstore-read /a/b/c)"
pv_check_eq "parent created empty" "" "$(xenstore-read /a/b)"
pv_check "exists" xenstore-exists /a/b
! xenstore-exists /a/nope 2>/dev/null
pv_check_eq "missing node does not exist" 0 $?
! xenstore-read /a/nope 2>/dev/null
pv_check_eq "reading a missing node fails" 0 $?
xenstore-write /a/b/d "two words" /a/e x
pv_check_eq "list in creation order" "c d" "$(xenstore-list /a/b | tr '\n' ' ' | sed 's/ $//')"
pv_check_eq "value with spaces" "two words" "$(xenstore-read /a/b/d)"
pv_check_eq "ls shows the tree" 'b = ""|c = "hello"|d = "two words"|e = "x"' \
	"$(xenstore-ls /a | sed 's/^ *//' | tr '\n' '|' | sed 's/|$//')"
pv_check "relative path resolves under /local/domain/0" xenstore-write rel/x 1
pv_check_eq "relative read" "1" "$(xenstore-read /local/domain/0/rel/x)"

pv_check "chmod" xenstore-chmod /a/b/c r1 w2 b3
pv_check_eq "perms read back" "(r1,w2,b3)" "$(xenstore-ls -p /a/b | grep '^c ' | sed 's/.*\(([^)]*)\)$/\1/')"
pv_check "chmod with a bad mode is refused" bash -c '! xenstore-chmod /a/b/c x1 2>/dev/null'
pv_check "rm removes a subtree" xenstore-rm /a/b
! xenstore-exists /a/b/c 2>/dev/null
pv_check_eq "children gone" 0 $?
pv_check "rm of a missing node under an existing parent succeeds" xenstore-rm /a/b
pv_check "rm under a missing parent fails" bash -c '! xenstore-rm /zz/yy 2>/dev/null'
pv_check "invalid path refused" bash -c '! xenstore-write "/bad//path" 1 2>/dev/null'
pv_check "invalid character refused" bash -c '! xenstore-write "/bad path" 1 2>/dev/null'

# Watches: the first event is the registration itself, then one per change.
xenstore-watch -n 3 /w > "$D/watch.out" &
WPID=$!
pv_wait_for 5 grep -q '^/w$' "$D/watch.out"
pv_check "watch fires once on registration" grep -qx /w "$D/watch.out"
xenstore-write /w/x 1
xenstore-write /other 1
xenstore-rm /w
wait $WPID
pv_check_eq "watch events: registration, child write, removal" "/w /w/x /w" "$(tr '\n' ' ' < "$D/watch.out" | sed 's/ $//')"

# Many children: DIRECTORY answers E2BIG and libxenstore falls back to DIRECTORY_PART.
names=()
for i in $(seq 1 300); do names+=("/big/child-with-a-long-name-$i" x); done
xenstore-write "${names[@]}"
pv_check_eq "directory of 300 long names (DIRECTORY_PART)" 300 "$(xenstore-list /big | wc -l)"
pv_check_eq "last name intact" "child-with-a-long-name-300" "$(xenstore-list /big | tail -n 1)"

pv_check "domain 0 grants a guest the @releaseDomain watch" xenstore-chmod @releaseDomain n0 r5

kill -TERM $PID
wait $PID
pv_check_eq "SIGTERM exits 0" 0 $?
PID=
pv_check "socket removed on shutdown" test ! -e "$D/xenstored.sock"
pv_check "pid file removed on shutdown" test ! -e "$D/xs.pid"
pv_check "log file written" grep -q "shutting down" "$D/xs.log"
pv_done

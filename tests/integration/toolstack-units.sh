#!/bin/bash
# SPDX-License-Identifier: MIT
# The systemd units make install puts in place: one per daemon plus
# pvkit.target, each starting a program that is built, on /run/pvkit.
. "$(dirname "$0")/../lib.sh"
U=$PVKIT_BUILD/systemd
DAEMONS="pvkitd pvkit-xenstored pvkit-consoled pvkit-blkback pvkit-pciback"
[ -x "$PV_BIN/pvkit-netback" ] && DAEMONS="$DAEMONS pvkit-netback"
for d in $DAEMONS; do
	f=$U/$d.service
	pv_check "$d.service is generated" test -f "$f"
	exec_start=$(sed -n 's/^ExecStart=//p' "$f")
	prog=${exec_start%% *}
	pv_check_eq "$d.service starts $d" "$d" "$(basename "$prog")"
	pv_check "$d.service: the program is absolute, under an sbin" \
		sh -c "case '$prog' in /*/sbin/$d) exit 0;; esac; exit 1"
	pv_check "$d.service: $d is built" test -x "$PV_BIN/$d"
	pv_check "$d.service: runs on /run/pvkit" sh -c "echo '$exec_start' | grep -q -- '--rundir /run/pvkit'"
	pv_check "$d.service: no @placeholder@ left" sh -c "! grep -q '@[A-Z]*@' '$f'"
	pv_check "pvkit.target wants $d" grep -q "^Wants=.*\b$d.service" "$U/pvkit.target"
done
pv_check_eq "the daemons that need pvkitd say so" "$(($(echo $DAEMONS | wc -w) - 1))" \
	"$(grep -l '^Requires=pvkitd.service' "$U"/*.service | wc -l)"
pv_check "no unit for a daemon that is not built" \
	sh -c "for f in '$U'/*.service; do [ -x '$PV_BIN'/\$(basename \$f .service) ] || exit 1; done"
# make install copies every unit (dry run: nothing is installed).
n=$(make -s -n -C "$PV_TOP" B="$PVKIT_BUILD" install DESTDIR=/nonexistent 2>/dev/null |
	grep -o 'systemd/[a-z.-]*\.\(service\|target\)' | sort -u | wc -l)
pv_check_eq "make install installs every unit and pvkit.target" "$(($(echo $DAEMONS | wc -w) + 1))" "$n"
pv_done

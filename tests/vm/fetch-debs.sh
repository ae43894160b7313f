#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fetches the Debian packages the Xen test VM needs with `apt-get download`
# and unpacks them with dpkg-deb -x into CACHE/root; installs nothing.
#
#   fetch-debs.sh CACHE     prints CACHE/root on success, exits 1 on failure
#
# The kernel is the linux-image-6.1.*-amd64 that linux-image-amd64 depends on
# in the host's apt lists. A package already in CACHE/debs is not fetched
# again, so a warm cache works offline.
set -eu
cache=$1
debs=$cache/debs root=$cache/root
mkdir -p "$debs"

kernel=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-6\.1[^ ]*-amd64\)$/\1/p' | head -n 1)
if [ -z "$kernel" ]; then
	# No apt lists: fall back to whatever kernel an earlier run fetched.
	kernel=$(cd "$debs" && ls linux-image-6.1*-amd64_*.deb 2>/dev/null | head -n 1 | cut -d_ -f1)
fi
[ -n "$kernel" ] || { echo "fetch-debs: no linux-image-6.1.*-amd64 known to apt" >&2; exit 1; }

# The hypervisor, the dom0 kernel, Xen's C xenstored (xen-utils-4.17) and
# the runtime libraries it and xenstore-utils link against (found with ldd).
pkgs="xen-hypervisor-4.17-amd64 xen-utils-4.17 $kernel xenstore-utils busybox-static
libxenstore4 libxenmisc4.17 libxencall1 libxenevtchn1 libxenforeignmemory1
libxengnttab1 libxentoollog1 libxentoolcore1 libxendevicemodel1 libxenhypfs1 libyajl2"

missing=
for p in $pkgs; do
	ls "$debs/${p}_"*.deb > /dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "fetch-debs: apt-get download$missing" >&2
	(cd "$debs" && apt-get download -q $missing >&2) ||
		{ echo "fetch-debs: apt-get download failed" >&2; exit 1; }
fi

stamp=$root/.pvkit-stamp
want=$(cd "$debs" && for p in $pkgs; do ls "${p}_"*.deb | tail -n 1; done)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
	rm -rf "$root" && mkdir -p "$root"
	for d in $want; do dpkg-deb -x "$debs/$d" "$root"; done
	gunzip -c "$root/boot/xen-4.17-amd64.gz" > "$root/boot/xen-4.17-amd64"
	echo "$want" > "$stamp"
fi
echo "$root"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the Xen test VM's initramfs: busybox, Xen's C xenstored and
# xenstore-utils, the Xen kernel modules, pvkit's programs and the in-VM tests.
#
#   mkinitrd-xen.sh ROOT BUILD OUT.cpio.gz [INIT]
#     ROOT   the unpacked Debian packages (fetch-debs.sh)
#     BUILD  pvkit's build folder ($PVKIT_BUILD): bin/* go to /pvkit/bin
#     INIT   the VM's /init (default xen-init; vfio.sh gives vfio-init)
# Shared libraries come from ROOT when it has them, else from the host (libc,
# libgcc_s: the binaries were built against the host's), as ldd resolves them.
set -eu
root=$1 build=$2 out=$3 init=${4:-$(dirname "$0")/xen-init}
here=$(cd "$(dirname "$0")" && pwd)
kver=$(ls "$root/lib/modules" | head -n 1)
stage=$(mktemp -d)
chmod 755 "$stage" # the VM's /: the VFIO test's unprivileged driver must get through it
trap 'rm -rf "$stage"' EXIT
libdir=$stage/lib/x86_64-linux-gnu
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,var/run,var/lib/xenstored,etc} \
	"$stage/lib/modules" "$stage/lib64" "$libdir" "$stage/pvkit/bin" "$stage/pvkit/xen-tests"

# copy_elf FILE DEST: the file and every shared library ldd finds for it.
copy_elf() {
	install -m 755 "$1" "$2"
	LD_LIBRARY_PATH=$root/usr/lib/x86_64-linux-gnu ldd "$1" 2>/dev/null |
		sed -n 's/.*=> \(\/[^ ]*\).*/\1/p' | while read -r lib; do
			local base; base=$(basename "$lib")
			[ -e "$libdir/$base" ] || cp -L "$lib" "$libdir/$base"
		done
}

cp "$root/bin/busybox" "$stage/bin/busybox"
cp -L /lib64/ld-linux-x86-64.so.2 "$stage/lib64/"
# libgcc_s: pthread_cancel in libxenstore's watch thread unwinds with it.
cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$libdir/"
copy_elf "$root/usr/lib/xen-4.17/bin/xenstored" "$stage/usr/sbin/xenstored"
# xenstore-utils is one binary that dispatches on its name.
copy_elf "$root/usr/bin/xenstore" "$stage/usr/bin/xenstore"
for t in ls read write list rm exists watch chmod; do
	ln -s xenstore "$stage/usr/bin/xenstore-$t"
done
for m in xen-privcmd xenfs xen-evtchn xen-gntdev xen-gntalloc xen-blkfront xen-blkback loop \
	irqbypass vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci \
	crc16 mbcache jbd2 crc32c_generic ext4 xen-netfront tun veth \
	xen-netback; do
	f=$(find "$root/lib/modules/$kver" -name "$m.ko" | head -n 1)
	[ -n "$f" ] && cp "$f" "$stage/lib/modules/"
done
for f in "$build"/bin/*; do
	[ -f "$f" ] && [ -x "$f" ] && copy_elf "$f" "$stage/pvkit/bin/$(basename "$f")"
done
# Tools the Xen interop tests use, from the host (`make deps` installs
# them); a test skips what is missing. Only for the Xen VM: fio's libraries
# (about 80 MB unpacked) do not fit a small VM's memory.
if [ "$(basename "$init")" = xen-init ]; then
	for t in mke2fs e2fsck fio; do
		p=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v $t) && copy_elf "$p" "$stage/usr/sbin/$t"
	done
	[ -e "$stage/usr/sbin/mke2fs" ] && ln -s mke2fs "$stage/usr/sbin/mkfs.ext4"
	# xl itself (Debian's /usr/sbin/xl is a wrapper script that finds it)
	# and xen-init-dom0, which records dom0's configuration for libxl.
	for t in xl xen-init-dom0; do
		p=$root/usr/lib/xen-4.17/bin/$t
		[ -x "$p" ] && copy_elf "$p" "$stage/usr/sbin/$t"
	done
fi
install -m 755 "$init" "$stage/init"
install -m 644 "$here/xen-vmlib.sh" "$here/xen-vbd.sh" "$here/pciback-tests.sh" "$stage/pvkit/"
install -m 755 "$here/vfio-guest" "$stage/pvkit/"
# PVKIT_VM_TESTS: a glob of the tests to run (default all), e.g. '5[0-9]-*'.
install -m 644 "$here"/xen-tests/${PVKIT_VM_TESTS:-*}.sh "$stage/pvkit/xen-tests/"
printf 'root:x:0:0:root:/:/bin/sh\ndriver:x:1000:1000:unprivileged driver:/tmp:/bin/sh\n' > "$stage/etc/passwd"
printf 'root:x:0:\ndriver:x:1000:\n' > "$stage/etc/group"
(cd "$stage" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out"

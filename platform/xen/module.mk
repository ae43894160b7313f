# SPDX-License-Identifier: MIT
# platform/xen: the platform interface over Xen's libraries (libxengnttab,
# which also holds xengntshr, libxenevtchn, and libxenstore for our domid).
LIB_SRCS += platform/xen/xen.c platform/xen/copy.c platform/xen/evtchn.c
LIB_PKGS += xengnttab xenevtchn xenstore

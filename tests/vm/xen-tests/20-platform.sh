# SPDX-License-Identifier: MIT
# Inside the Xen test VM: pvkit's platform interface on the xen platform in
# dom0 (self-grants and self event channels to domid 0).
vm_run platform env PVKIT_PLATFORM=xen pv-xen-platform-test
# The platform tests the local platform is built with, on xen: they take
# the peer domid as a parameter (0: self-grants and self event channels).
if [ -x /pvkit/bin/pvkit-test-platform ]; then
	vm_run pvkit-test-platform env PVKIT_PLATFORM=xen pvkit-test-platform -p 0
else
	vm_skip "pvkit-test-platform is not built"
fi

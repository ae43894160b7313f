# SPDX-License-Identifier: MIT
# Inside the Xen test VM: the real C xenstored and xenstore-utils work.
vm_check "xenstore-write" xenstore-write /pvkit/test/key hello
vm_check_eq "xenstore-read reads back" hello "$(xenstore-read /pvkit/test/key)"
vm_check "xenstore-ls lists /pvkit" sh -c 'xenstore-ls /pvkit | grep -q "key = \"hello\""'
vm_check "xenstore-rm" xenstore-rm /pvkit/test
vm_check "removed node is gone" sh -c '! xenstore-exists /pvkit/test/key'
vm_check "xenstore-ls / works" sh -c 'xenstore-ls / > /dev/null'

# SPDX-License-Identifier: MIT
# passthrough/pci/: the host's side of PCI passthrough (listing, IOMMU group
# viability, vfio-pci binding) and the config-space write filter.
LIB_SRCS += passthrough/pci/sysfs.c passthrough/pci/host.c passthrough/pci/assign.c \
	passthrough/pci/vfio.c passthrough/pci/vfio_cfg.c
CORE_SRCS += passthrough/pci/cfgfilter.c
LIB_PKGS += libpci
PUBLIC_HEADERS += include/pvkit/pcihost.h include/pvkit/vfio.h

UNIT_TESTS += test-pcihost test-cfgfilter
CORE_UNIT_TESTS += test-cfgfilter
test-pcihost_SRCS := tests/unit/passthrough/pci/test_pcihost.c tests/harness/cunit.c \
	tests/harness/fakesysfs.c
test-pcihost_LIBS := -lcunit
test-cfgfilter_SRCS := tests/unit/passthrough/pci/test_cfgfilter.c tests/harness/cunit.c
test-cfgfilter_LIBS := -lcunit
INTEGRATION_TESTS += tests/integration/pci-host.sh

# Config-space mediation of an open VFIO device, against a fake device fd.
UNIT_TESTS += test-vfio-cfg
test-vfio-cfg_SRCS := tests/unit/passthrough/pci/test_vfio_cfg.c tests/harness/cunit.c
test-vfio-cfg_LIBS := -lcunit

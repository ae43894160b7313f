# SPDX-License-Identifier: MIT
# tools/: the pvkit command. The config and device-spec parsers need only
# libc, so their unit tests also run cross-built (CORE_UNIT_TESTS).
TOOLS_PARSER_SRCS := tools/xlcfg.c tools/diskspec.c tools/vifspec.c tools/pcispec.c \
	tools/domcfg.c tools/domcfg_print.c tools/xsnodes.c

PROGRAMS += pvkit
pvkit_SRCS := tools/pvkit.c tools/cmd_create.c tools/cmd_host.c tools/cmd_device.c \
	tools/toolstack.c tools/create_run.c tools/cmd_guest.c tools/cmd_exec.c tools/cmd_devlist.c tools/cmd_top.c tools/monitor.c tools/devwait.c \
	$(TOOLS_PARSER_SRCS) tools/hostcheck.c
pvkit_PKGS := xenstore
pvkit_SRCS += tools/cmd_pci.c tools/cmd_pcidev.c
# Where an installed pvkit looks for the daemons and pvkit-guest.
EXTRA_CFLAGS_tools/toolstack.c := -DPVKIT_PREFIX='"$(PREFIX)"' -DPVKIT_SBINDIR='"$(SBINDIR)"'
pvkit_DIR := bin

MAN_PAGES += tools/man/pvkit.1 tools/man/pvkit.cfg.5

TOOLS_UNIT_TESTS := test-xlcfg test-diskspec test-vifspec test-pcispec test-domcfg test-xsnodes
UNIT_TESTS += $(TOOLS_UNIT_TESTS)
CORE_UNIT_TESTS += $(TOOLS_UNIT_TESTS)
$(foreach t,$(TOOLS_UNIT_TESTS),$(eval $(t)_SRCS := tests/unit/tools/$(subst -,_,$(t)).c \
	$(TOOLS_PARSER_SRCS) tests/harness/cunit.c))
$(foreach t,$(TOOLS_UNIT_TESTS),$(eval $(t)_LIBS := -lcunit))
# The host checks look devices up through libpci (passthrough/pci): native only.
UNIT_TESTS += test-hostcheck
test-hostcheck_SRCS := tests/unit/tools/test_hostcheck.c $(TOOLS_PARSER_SRCS) tools/hostcheck.c \
	tests/harness/cunit.c tests/harness/fakesysfs.c
test-hostcheck_LIBS := -lcunit

# The command itself, run as a program: help, dispatch, create --dry-run.
INTEGRATION_TESTS += tests/integration/pvkit-cli.sh
# The toolstack against the real daemons: host up/status/down and a guest's
# life (create, list, exec, console --log, shutdown, destroy), xenstore left clean.
INTEGRATION_TESTS += tests/integration/toolstack.sh
# pvkit console attached from a terminal (tmux): typing, Ctrl-], --log.
INTEGRATION_TESTS += tests/integration/toolstack-console.sh

# systemd units for the daemons (make install), ExecStart under the install prefix.
# (pvkit-netback's only once it is built: backends/ is included before tools/.)
TOOLS_UNITS := $(patsubst tools/systemd/%.in,$(B)/systemd/%,$(wildcard tools/systemd/*.in))
ifeq ($(filter pvkit-netback,$(PROGRAMS)),)
TOOLS_UNITS := $(filter-out $(B)/systemd/pvkit-netback.service,$(TOOLS_UNITS))
endif
SYSTEMD_UNITS += $(TOOLS_UNITS)
all: $(TOOLS_UNITS)
# Rewritten only when PREFIX or SBINDIR change: then the units and the
# paths compiled into pvkit are made again.
TOOLS_PREFIX_STAMP := $(B)/systemd/prefix
$(TOOLS_PREFIX_STAMP): tools-prefix-check
	@mkdir -p $(dir $@)
	@echo '$(PREFIX) $(SBINDIR)' | cmp -s - $@ || echo '$(PREFIX) $(SBINDIR)' > $@
.PHONY: tools-prefix-check
$(B)/obj/tools/toolstack.o: $(TOOLS_PREFIX_STAMP)
$(B)/systemd/%: tools/systemd/%.in $(TOOLS_PREFIX_STAMP)
	$(call msg,GEN,$@)
	@mkdir -p $(dir $@)
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g' $< > $@
# The units name programs that are built, and say where they run.
INTEGRATION_TESTS += tests/integration/toolstack-units.sh

# The helpers the subcommands share (needs libpvkit's pvkitd and xenstore clients).
UNIT_TESTS += test-toolstack
test-toolstack_SRCS := tests/unit/tools/test_toolstack.c tools/toolstack.c tests/harness/cunit.c \
	$(TOOLS_PARSER_SRCS)
test-toolstack_LIBS := -lcunit
# make demo itself (tools/demo.sh): every step, and nothing left behind.
INTEGRATION_TESTS += tests/integration/demo.sh
# pvkit top: a guest's disk I/O shows in the vbd's counters; gone after destroy.
INTEGRATION_TESTS += tests/integration/top.sh
# Hotplug and destroy while I/O runs: every backend releases what it held
# (fds, grants, event channels, xenstore nodes, TAPs, processes).
TEST_PROGRAMS += pvkit-nbd-writer
pvkit-nbd-writer_SRCS := tests/integration/nbd_writer.c
pvkit-nbd-writer_PKGS := libnbd
INTEGRATION_TESTS += tests/integration/hotplug-io.sh
# on_poweroff / on_crash: restart, preserve, and xl's others rejected by name.
INTEGRATION_TESTS += tests/integration/guest-actions.sh

# SPDX-License-Identifier: MIT
# pvkit: the one top-level, non-recursive GNU Makefile. Each folder adds its
# sources, programs and tests through a module.mk fragment included below.
#
#   make            build everything into build/
#   make check      unit (plain and ASan+UBSan), ABI and integration tests
#   make bench      benchmarks, each figure beside its baseline
#   make deps       install the Debian packages pvkit needs (root)
#   make V=1        show the full commands
#   make B=dir      put objects and binaries in another build folder

# Fragments may define targets of their own (check-xen); keep `make` = all.
.DEFAULT_GOAL := all

B ?= build
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
PKG_CONFIG ?= pkg-config
AR ?= ar

# SAN=address,undefined builds everything with those sanitizers.
SAN ?=
# CROSS=1: only the dependency-free core library and its unit tests.
CROSS ?=

CFLAGS ?= -O2 -g
WARNFLAGS := -std=gnu11 -Wall -Wextra -Wshadow -Wformat=2 -Werror
BASE_CPPFLAGS := -Iinclude -D_GNU_SOURCE
BASE_CFLAGS := $(WARNFLAGS) -fPIC -pthread
BASE_LDFLAGS := -pthread
ifneq ($(SAN),)
BASE_CFLAGS += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
BASE_LDFLAGS += -fsanitize=$(SAN)
endif
DEPFLAGS = -MMD -MP

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-7s %s\n' $(1) $(2);
endif

# Filled in by the module.mk fragments.
CORE_SRCS :=           # libpvkit core: no dependency beyond libc (cross-built)
LIB_SRCS :=            # the rest of libpvkit (may use LIB_PKGS)
LIB_PKGS :=            # pkg-config names libpvkit needs
PROGRAMS :=            # daemons and tools: <name>_SRCS, <name>_PKGS, <name>_DIR (bin|sbin|libexec)
UNIT_TESTS :=          # CUnit programs run plain and under ASan+UBSan: <name>_SRCS, <name>_PKGS
CORE_UNIT_TESTS :=     # the subset that needs only the core (cross-built and run under qemu-user)
TEST_PROGRAMS :=       # helper programs for integration tests (not run by themselves)
ASAN_PROGRAMS :=       # PROGRAMS also built with ASan+UBSan into $(B)/asan/bin for the hostile-peer tests
INTEGRATION_TESTS :=   # test programs (C, in TEST_PROGRAMS) or scripts run by make check
ABI_TESTS :=           # programs run by make check-abi
BENCHES :=             # scripts or programs run by make bench
PUBLIC_HEADERS :=      # installed under include/pvkit
MAN_PAGES :=           # installed under share/man
SYSTEMD_UNITS :=       # installed under lib/systemd/system

include $(sort $(wildcard */module.mk */*/module.mk */*/*/module.mk))

ifneq ($(CROSS),)
LIB_SRCS :=
LIB_PKGS :=
endif

LIB_PKGS := $(sort $(LIB_PKGS))
ALL_LIB_SRCS := $(CORE_SRCS) $(LIB_SRCS)
LIB_CFLAGS := $(if $(strip $(LIB_PKGS)),$(shell $(PKG_CONFIG) --cflags $(LIB_PKGS)))
LIB_LIBS := $(if $(strip $(LIB_PKGS)),$(shell $(PKG_CONFIG) --libs $(LIB_PKGS)))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

LIBPVKIT_A := $(B)/lib/libpvkit.a
LIBPVKIT_SO := $(B)/lib/libpvkit.so.0

.PHONY: all
all: $(LIBPVKIT_A) $(if $(CROSS),,$(LIBPVKIT_SO)) \
	$(if $(CROSS),,$(addprefix $(B)/bin/,$(PROGRAMS) $(TEST_PROGRAMS))) \
	$(addprefix $(B)/tests/,$(if $(CROSS),$(CORE_UNIT_TESTS),$(UNIT_TESTS) $(ABI_TESTS)))

$(B)/obj/%.o: %.c
	$(call msg,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(BASE_CFLAGS) $(CFLAGS) $(LIB_CFLAGS) $(EXTRA_CFLAGS_$<) $(DEPFLAGS) -c -o $@ $<

$(LIBPVKIT_A): $(call obj,$(ALL_LIB_SRCS))
	$(call msg,AR,$@)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(LIBPVKIT_SO): $(call obj,$(ALL_LIB_SRCS))
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -shared -Wl,-soname,libpvkit.so.0 $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIB_LIBS)

# link_template(name, outdir): one executable from <name>_SRCS linked with libpvkit.
define link_template
$(B)/$(2)/$(1): $(call obj,$($(1)_SRCS)) $(LIBPVKIT_A)
	$$(call msg,LD,$$@)
	@mkdir -p $$(dir $$@)
	$$(Q)$$(CC) $$(BASE_LDFLAGS) $$(LDFLAGS) -o $$@ $(call obj,$($(1)_SRCS)) $$(LIBPVKIT_A) \
		$(LIB_LIBS) $(if $(strip $($(1)_PKGS)),$$(shell $$(PKG_CONFIG) --libs $($(1)_PKGS))) $($(1)_LIBS) $$(CROSS_LDFLAGS)
$(call obj,$($(1)_SRCS)): LIB_CFLAGS += $(if $(strip $($(1)_PKGS)),$$(shell $$(PKG_CONFIG) --cflags $($(1)_PKGS)))
endef

$(foreach p,$(PROGRAMS) $(TEST_PROGRAMS),$(eval $(call link_template,$(p),bin)))
$(foreach t,$(UNIT_TESTS) $(ABI_TESTS),$(eval $(call link_template,$(t),tests)))

# --- tests -----------------------------------------------------------------
RUNNER := tests/harness/run-tests.sh
export PVKIT_BUILD := $(abspath $(B))

.PHONY: check check-unit check-asan check-abi check-integration check-cross
# make check: everything a newcomer needs to trust the tree. Results are
# gathered by the runner into one closing line "N passed, N failed".
check: all
	$(Q)rm -rf $(B)/results && mkdir -p $(B)/results
	$(Q)$(MAKE) --no-print-directory B=$(B)/asan SAN=address,undefined \
		$(addprefix $(B)/asan/tests/,$(UNIT_TESTS)) $(addprefix $(B)/asan/bin/,$(ASAN_PROGRAMS))
	-$(Q)$(RUNNER) --results $(B)/results --label unit $(addprefix $(B)/tests/,$(UNIT_TESTS))
	-$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(RUNNER) --results $(B)/results --label asan $(addprefix $(B)/asan/tests/,$(UNIT_TESTS))
	-$(Q)$(RUNNER) --results $(B)/results --label abi $(addprefix $(B)/tests/,$(ABI_TESTS))
	-$(Q)$(RUNNER) --results $(B)/results --label integration $(INTEGRATION_TESTS)
	$(Q)$(RUNNER) --results $(B)/results --summary

check-unit: all
	$(Q)rm -rf $(B)/results && mkdir -p $(B)/results
	-$(Q)$(RUNNER) --results $(B)/results --label unit $(addprefix $(B)/tests/,$(UNIT_TESTS))
	$(Q)$(RUNNER) --results $(B)/results --summary

check-asan:
	$(Q)$(MAKE) --no-print-directory B=$(B)/asan SAN=address,undefined \
		$(addprefix $(B)/asan/tests/,$(UNIT_TESTS))
	$(Q)rm -rf $(B)/asan/results && mkdir -p $(B)/asan/results
	-$(Q)$(RUNNER) --results $(B)/asan/results --label asan $(addprefix $(B)/asan/tests/,$(UNIT_TESTS))
	$(Q)$(RUNNER) --results $(B)/asan/results --summary

check-abi: all
	$(Q)rm -rf $(B)/results && mkdir -p $(B)/results
	-$(Q)$(RUNNER) --results $(B)/results --label abi $(addprefix $(B)/tests/,$(ABI_TESTS))
	$(Q)$(RUNNER) --results $(B)/results --summary

# The sanitized daemons the integration tests use when they are there.
.PHONY: asan-programs
asan-programs:
	$(Q)$(MAKE) --no-print-directory B=$(B)/asan SAN=address,undefined \
		$(addprefix $(B)/asan/bin/,$(ASAN_PROGRAMS))

check-integration: all asan-programs
	$(Q)rm -rf $(B)/results && mkdir -p $(B)/results
	-$(Q)$(RUNNER) --results $(B)/results --label integration $(INTEGRATION_TESTS)
	$(Q)$(RUNNER) --results $(B)/results --summary

# Run one test by hand: make check-one T=tests/integration/foo.sh
.PHONY: check-one
check-one: all asan-programs
	$(Q)rm -rf $(B)/results && mkdir -p $(B)/results
	-$(Q)$(RUNNER) --verbose --results $(B)/results --label one $(T)
	$(Q)$(RUNNER) --results $(B)/results --summary

# --- benchmarks --------------------------------------------------------------
.PHONY: bench
bench: all
	$(Q)for b in $(BENCHES); do echo "# $$b"; $$b || echo "# $$b failed (exit $$?)"; done

# --- install -------------------------------------------------------------------
.PHONY: install
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR)/pvkit/proto $(DESTDIR)$(PREFIX)/libexec/pvkit
	install -m 644 $(LIBPVKIT_A) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIBPVKIT_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libpvkit.so.0 $(DESTDIR)$(LIBDIR)/libpvkit.so
	install -m 644 include/pvkit/*.h $(DESTDIR)$(INCLUDEDIR)/pvkit/
	install -m 644 include/pvkit/proto/*.h $(DESTDIR)$(INCLUDEDIR)/pvkit/proto/
	$(foreach p,$(PROGRAMS),install -m 755 $(B)/bin/$(p) \
		$(DESTDIR)$(if $(filter sbin,$($(p)_DIR)),$(SBINDIR),$(if $(filter libexec,$($(p)_DIR)),$(PREFIX)/libexec/pvkit,$(BINDIR)))/ &&) true
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
		-e 's|@LIB_PKGS@|$(LIB_PKGS)|g' pvkit.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/pvkit.pc
	$(if $(strip $(MAN_PAGES)),$(foreach m,$(MAN_PAGES),install -D -m 644 $(m) \
		$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)) &&) true)
	$(if $(strip $(SYSTEMD_UNITS)),install -d $(DESTDIR)$(SYSTEMDDIR) && \
		install -m 644 $(SYSTEMD_UNITS) $(DESTDIR)$(SYSTEMDDIR)/)

# --- dependencies (Debian 12) ----------------------------------------------------
# Every Debian package the build, the tests, the benchmarks and the VM tests
# use. Idempotent: apt-get skips what is installed.
DEB_PACKAGES := build-essential pkg-config clang-format \
	libxen-dev xenstore-utils liburing-dev libpci-dev pci.ids libusb-1.0-0-dev \
	libseccomp-dev libcunit1-dev libnbd-dev libnbd-bin nbdkit nbdfuse fuse3 \
	qemu-utils fio iperf3 passt iproute2 bridge-utils e2fsprogs tmux \
	qemu-system-x86 qemu-user busybox-static cpio kmod \
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-i686-linux-gnu libc6-dev-i386-cross
DEB_CROSS_PACKAGES := libcunit1-dev:arm64 libcunit1-dev:i386

.PHONY: deps
deps:
	@if [ "$$(id -u)" != 0 ]; then echo "make deps: needs root (try: sudo make deps)" >&2; exit 1; fi
	dpkg --add-architecture arm64
	dpkg --add-architecture i386
	@# A mirror mid-sync can fail one index; retry, then let the install decide.
	for i in 1 2 3; do apt-get update -qq && break; echo "apt-get update failed, retrying ($$i)"; sleep 5; done
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEB_PACKAGES)
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEB_CROSS_PACKAGES)

# --- cross builds ---------------------------------------------------------------
# The core library and its unit tests for aarch64 and i386, run under qemu-user.
CROSS_TARGETS := aarch64-linux-gnu i686-linux-gnu
qemu_for = $(if $(filter aarch64%,$(1)),qemu-aarch64,qemu-i386)

check-cross:
	$(Q)rm -rf $(B)/cross-results && mkdir -p $(B)/cross-results
	$(Q)for t in $(CROSS_TARGETS); do \
		$(MAKE) --no-print-directory B=$(B)/$$t CROSS=1 CC=$$t-gcc AR=$$t-ar \
			CROSS_LDFLAGS=-static all || exit 1; \
	done
	-$(Q)for t in $(CROSS_TARGETS); do \
		q=$$(case $$t in aarch64*) echo qemu-aarch64;; *) echo qemu-i386;; esac); \
		PVKIT_TEST_WRAPPER=$$q $(RUNNER) --results $(B)/cross-results --label $$t \
			$(addprefix $(B)/$$t/tests/,$(CORE_UNIT_TESTS)); \
	done
	$(Q)$(RUNNER) --results $(B)/cross-results --summary

# --- demo ----------------------------------------------------------------------
.PHONY: demo
demo: all
	$(Q)if [ -x tools/demo.sh ]; then tools/demo.sh; else echo "make demo: not built yet (see README)"; exit 1; fi

.PHONY: clean
clean:
	rm -rf $(B)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

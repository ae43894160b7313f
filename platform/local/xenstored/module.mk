# SPDX-License-Identifier: MIT
# platform/local/xenstored/: pvkit-xenstored, the local platform's xenstore daemon.
XENSTORED_CORE := $(addprefix platform/local/xenstored/,store.c txn.c tree.c watch.c conn.c ops.c ops_admin.c domain.c)

PROGRAMS += pvkit-xenstored
pvkit-xenstored_SRCS := $(XENSTORED_CORE) platform/local/xenstored/main.c
pvkit-xenstored_DIR := sbin
INTEGRATION_TESTS += tests/integration/xenstored.sh

PUBLIC_HEADERS += include/pvkit/proto/xs_wire.h
ABI_TESTS += abi-xs-wire
abi-xs-wire_SRCS := tests/abi/test_xs_wire_abi.c tests/harness/cunit.c
abi-xs-wire_LIBS := -lcunit

TEST_PROGRAMS += xenstored-test-libxs xenstored-test-raw
xenstored-test-libxs_SRCS := tests/integration/xenstored_libxs.c tests/harness/cunit.c
xenstored-test-libxs_PKGS := xenstore
xenstored-test-libxs_LIBS := -lcunit
xenstored-test-raw_SRCS := tests/integration/xenstored_raw.c tests/harness/cunit.c
xenstored-test-raw_LIBS := -lcunit
INTEGRATION_TESTS += tests/integration/xenstored-libxs.sh

XSD_UNIT_DIR := tests/unit/platform/local/xenstored
XSD_UNITS := store txn tree watch conn ops ops_admin domain
UNIT_TESTS += $(foreach u,$(XSD_UNITS),test-xsd-$(subst _,-,$(u)))
$(foreach u,$(XSD_UNITS),$(eval test-xsd-$(subst _,-,$(u))_SRCS := $(XSD_UNIT_DIR)/test_$(u).c $(XENSTORED_CORE) tests/harness/cunit.c))
$(foreach u,$(XSD_UNITS),$(eval test-xsd-$(subst _,-,$(u))_LIBS := -lcunit))

# libFuzzer harness of the message handling (clang only; not part of CROSS or SAN builds).
FUZZ_CC ?= clang
ifeq ($(CROSS)$(SAN),)
ifneq ($(shell command -v $(FUZZ_CC) 2>/dev/null),)
XS_FUZZ := $(B)/fuzz/xs-wire-fuzz
all: $(XS_FUZZ)
.PHONY: fuzz-xs-wire
fuzz-xs-wire: $(XS_FUZZ)
$(XS_FUZZ): tests/fuzz/xs_wire_fuzz.c $(XENSTORED_CORE) platform/log.c $(wildcard platform/local/xenstored/*.h)
	$(call msg,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(BASE_CPPFLAGS) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-o $@ tests/fuzz/xs_wire_fuzz.c $(XENSTORED_CORE) platform/log.c -pthread
INTEGRATION_TESTS += tests/fuzz/xs_wire_smoke.sh
endif
endif

TEST_PROGRAMS += xenstored-bench
xenstored-bench_SRCS := bench/xenstored-bench.c
xenstored-bench_PKGS := xenstore
BENCHES += bench/xenstored-bench.sh
MAN_PAGES += platform/local/xenstored/pvkit-xenstored.8

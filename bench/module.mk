# SPDX-License-Identifier: MIT
# bench/: benchmarks run by `make bench`; each prints BENCH lines beside a
# baseline measured in the same run (see bench/README.md).
TEST_PROGRAMS += ring-bench
ring-bench_SRCS := bench/ring-bench.c tests/harness/ringpair.c
BENCHES += $(B)/bin/ring-bench

#!/usr/bin/env bash
# scripts/test.sh — builds mqrelay and runs every test, on a fresh Debian 12 machine too.
#   1. installs the Debian packages it needs (scripts/setup.sh, idempotent)
#   2. ASan+UBSan build (build-asan/): every test — unit, TLS, fuzz-corpus replay, and the
#      integration tests that drive the real binary between real mosquitto brokers
#   3. TSan build (build-tsan/): the relay binary and the integration tests (the relay's threads)
#   4. libFuzzer smoke run (build-fuzz/, clang): every fuzz target for FUZZ_SECONDS (default 20)
# The benchmarks are compiled in step 2 (not run: speed is measured with bench/run.sh, never in
# tests). MQRELAY_TEST_QUICK=1 instead runs one Release build (build/) with every test.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/setup.sh
jobs=${JOBS:-2}
section() { printf '\n==== %s ==== (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

configure() { # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
}

if [ "${MQRELAY_TEST_QUICK:-0}" = 1 ]; then
  section "Release build: all tests"
  configure build -DCMAKE_BUILD_TYPE=Release
  cmake --build build -j "$jobs"
  (cd build && ctest --output-on-failure -j "$jobs" --timeout 600)
  exit 0
fi

section "ASan+UBSan build: all tests"
# -O1 keeps the sanitized relay fast enough for the integration tests and the build short.
configure build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DCMAKE_C_FLAGS_DEBUG="-O1 -g1" \
  -DMQRELAY_SANITIZE=ON -DMQRELAY_BUILD_BENCH=ON
cmake --build build-asan -j "$jobs"
(cd build-asan && ASAN_OPTIONS="detect_leaks=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
   ctest --output-on-failure -j "$jobs" --timeout 600)

section "TSan build: integration tests"
configure build-tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DCMAKE_C_FLAGS_DEBUG="-O1 -g1" \
  -DMQRELAY_TSAN=ON -DMQRELAY_BUILD_BENCH=OFF
cmake --build build-tsan -j "$jobs" --target mqrelay integration_tests
(cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp" \
   ctest --output-on-failure -j "$jobs" -L integration --timeout 600)

section "libFuzzer smoke run"
CC=clang CXX=clang++ configure build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMQRELAY_FUZZ=ON -DMQRELAY_BUILD_BENCH=OFF
cmake --build build-fuzz -j "$jobs" --target fuzz_targets
bash tests/fuzz/smoke.sh build-fuzz "${FUZZ_SECONDS:-20}"

section "all tests passed"

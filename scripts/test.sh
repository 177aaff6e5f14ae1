#!/usr/bin/env bash
# scripts/test.sh — builds mqrelay and runs every test, on a fresh Debian 12 machine too.
#   1. installs the Debian packages it needs (scripts/setup.sh, idempotent)
#   2. Release build (build/): unit, integration and fuzz-corpus tests through ctest
#   3. ASan+UBSan build (build-asan/): the same tests except the slow integration label
#   4. TSan build (build-tsan/): the integration tests (real brokers, the relay's threads)
#   5. libFuzzer smoke run (build-fuzz/, clang): every fuzz target for FUZZ_SECONDS (default 20)
# MQRELAY_TEST_QUICK=1 runs step 2 only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=${JOBS:-2}
section() { printf '\n==== %s ====\n' "$*"; }

build() { # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DMQRELAY_BUILD_BENCH=OFF "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

if [ "${MQRELAY_TEST_QUICK:-0}" != 1 ]; then
  section "ASan+UBSan build: unit and fuzz-corpus tests"
  build build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMQRELAY_SANITIZE=ON
  (cd build-asan && ctest --output-on-failure -j "$jobs" -LE integration --timeout 300)

  section "TSan build: integration tests"
  build build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMQRELAY_TSAN=ON
  (cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
     ctest --output-on-failure -j 1 -L integration --timeout 600)

  section "libFuzzer smoke run"
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMQRELAY_FUZZ=ON -DMQRELAY_BUILD_BENCH=OFF >/dev/null
  cmake --build build-fuzz -j "$jobs" --target fuzz_targets
  bash tests/fuzz/smoke.sh build-fuzz "${FUZZ_SECONDS:-20}"
fi

# Last, so its summary line is the one CI reads.
section "Release build: all tests"
build build -DCMAKE_BUILD_TYPE=Release
(cd build && ctest --output-on-failure -j "$jobs" --timeout 600)

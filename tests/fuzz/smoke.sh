#!/bin/sh
# Fuzz smoke run: each libFuzzer binary built in BUILD_DIR/tests/fuzz (a -DMQRELAY_FUZZ=ON clang
# build, target fuzz_targets) runs for SECONDS over its seed corpus tests/fuzz/corpus/NAME/ (or
# corpus/SHORT/, NAME without "fuzz_": the lookup of tests/fuzz/CMakeLists.txt).
#
#   tests/fuzz/smoke.sh BUILD_DIR SECONDS
#
# Exit 0 when every target ran its time without a crash, leak, timeout or sanitizer report;
# 1 when one failed (its reproducer is kept and named); 2 on usage errors or when no libFuzzer
# binary is found (a build without MQRELAY_FUZZ has replay binaries only: nothing to fuzz).
# New inputs go to a temporary folder, never into the seed corpus in the source tree.
set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$1
seconds=$2
case $seconds in ''|*[!0-9]*) echo "smoke.sh: SECONDS must be a whole number, not '$seconds'" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
bindir=$build/tests/fuzz
if [ ! -d "$bindir" ]; then
  echo "smoke.sh: no $bindir (configure with -DMQRELAY_FUZZ=ON -DMQRELAY_BUILD_TESTS=ON, build fuzz_targets)" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mqrelay-fuzz.XXXXXX")
failed=0
ran=0
for bin in "$bindir"/fuzz_*; do
  if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then continue; fi
  # libFuzzer binaries carry their driver's flag names; replay binaries do not.
  grep -aq 'max_total_time' "$bin" || continue
  name=$(basename "$bin")
  seeds=$here/corpus/$name
  [ -d "$seeds" ] || seeds=$here/corpus/${name#fuzz_}
  mkdir -p "$work/$name/new" "$work/$name/artifacts"
  set -- "$work/$name/new"
  if [ -d "$seeds" ]; then set -- "$@" "$seeds"; else echo "smoke.sh: $name: no seed corpus $seeds" >&2; fi
  echo "== $name: ${seconds}s"
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$work/$name/artifacts/" "$@" >"$work/$name/log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^Done ' "$work/$name/log" | tail -2
  else
    echo "FAILED: $name (log and reproducer kept in $work/$name)" >&2
    tail -40 "$work/$name/log" >&2
    failed=1
  fi
  ran=$((ran + 1))
done

if [ "$ran" -eq 0 ]; then
  echo "smoke.sh: no libFuzzer binary in $bindir (configure with -DMQRELAY_FUZZ=ON, build fuzz_targets)" >&2
  rm -rf "$work"
  exit 2
fi
if [ "$failed" -eq 0 ]; then
  rm -rf "$work"
  echo "smoke.sh: $ran target(s) ran ${seconds}s each, no failure"
fi
exit "$failed"

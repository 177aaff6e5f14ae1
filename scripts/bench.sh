#!/usr/bin/env bash
# The end-to-end relay benchmark: see bench/results/README.md. BENCH_QUICK=1 for a smoke run.
set -euo pipefail
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/bench/run.sh" "$@"

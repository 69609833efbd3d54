#!/usr/bin/env bash
# Runs every benchmark script bench/bench_*.sh in turn. Each one measures prestige and DuckDB
# (or curl) in the same run and prints the ratio, because these machines are shared and noisy.
# BENCH=pattern limits the run.
set -uo pipefail
cd "$(dirname "$0")/.."
export PRESTIGE_ROOT="$PWD"
mkdir -p build/bench
rc=0
for s in bench/bench_*.sh; do
  [ -e "$s" ] || continue
  [ -n "${BENCH:-}" ] && [[ "$s" != *$BENCH* ]] && continue
  echo "=== $s"
  bash "$s" || { echo "benchmark $s failed"; rc=1; }
done
exit $rc

#!/usr/bin/env bash
# Filters against DuckDB's WHERE on random tables and predicates (see filter_diff.mjs).
# FILTER_TABLES, FILTER_PREDICATES and FILTER_SEED change the run (defaults: 6 tables, 40
# predicates each, seed 13); FILTER_SEED=random draws a fresh seed (make fuzz does), printed so a
# failure can be replayed.
set -euo pipefail
cd "$(dirname "$0")/../.."
export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
seed="${FILTER_SEED:-13}"
[ "$seed" = random ] && seed=$(( (RANDOM << 15 | RANDOM) % 2000000000 + 1 ))
echo "filter differential seed $seed"
node tests/parquet/filter_diff.mjs build/release/prestige build/asan/prestige "${FILTER_TABLES:-6}" "${FILTER_PREDICATES:-40}" "$seed"

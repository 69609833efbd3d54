#!/usr/bin/env bash
# Filters against DuckDB's WHERE on random tables and predicates (see filter_diff.mjs).
# FILTER_TABLES, FILTER_PREDICATES and FILTER_SEED change the run (defaults: 6 tables, 40
# predicates each, seed 13); FILTER_SEED=random draws a fresh seed (make fuzz does), printed so a
# failure can be replayed.
source "$(dirname "$0")/../common/prologue.sh"
seed="${FILTER_SEED:-13}"
[ "$seed" = random ] && seed=$(( (RANDOM << 15 | RANDOM) % 2000000000 + 1 ))
echo "filter differential seed $seed"
result_from node tests/parquet/filter_diff.mjs "$PR" "$P" "${FILTER_TABLES:-6}" "${FILTER_PREDICATES:-40}" "$seed"

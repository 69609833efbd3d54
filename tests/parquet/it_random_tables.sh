#!/usr/bin/env bash
# Files DuckDB writes from randomly generated tables read back equal (see random_tables.mjs).
# RANDOM_TABLES and RANDOM_SEED change the run (defaults: 40 tables, seed 2026).
set -euo pipefail
cd "$(dirname "$0")/../.."
export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
node tests/parquet/random_tables.mjs build/asan/prestige "${RANDOM_TABLES:-40}" "${RANDOM_SEED:-2026}"

#!/usr/bin/env bash
# Files DuckDB writes from randomly generated tables read back equal (see random_tables.mjs).
# RANDOM_TABLES and RANDOM_SEED change the run (defaults: 40 tables, seed 2026).
source "$(dirname "$0")/../common/prologue.sh"
result_from node tests/parquet/random_tables.mjs "$P" "${RANDOM_TABLES:-40}" "${RANDOM_SEED:-2026}"

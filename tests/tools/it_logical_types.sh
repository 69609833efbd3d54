#!/usr/bin/env bash
# Logical types (UUID, JSON, INTERVAL from DuckDB; FLOAT16 and INT96 from the corpus) through
# `prestige convert` and `prestige cat`, checked against DuckDB (see logical_types.mjs).
# LOGICAL_ROWS and LOGICAL_SEED change the run (defaults: 2500 rows, seed 2026).
set -euo pipefail
cd "$(dirname "$0")/../.."
export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
node tests/tools/logical_types.mjs build/asan/prestige "${LOGICAL_ROWS:-2500}" "${LOGICAL_SEED:-2026}"

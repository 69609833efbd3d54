#!/usr/bin/env bash
# Logical types (UUID, JSON, INTERVAL from DuckDB; FLOAT16 and INT96 from the corpus) through
# `prestige convert` and `prestige cat`, checked against DuckDB (see logical_types.mjs).
# LOGICAL_ROWS and LOGICAL_SEED change the run (defaults: 2500 rows, seed 2026).
source "$(dirname "$0")/../common/prologue.sh"
result_from node tests/tools/logical_types.mjs "$P" "${LOGICAL_ROWS:-2500}" "${LOGICAL_SEED:-2026}"

#!/usr/bin/env bash
# Reader conformance over the parquet-testing corpus against DuckDB (see corpus_check.mjs).
set -euo pipefail
cd "$(dirname "$0")/../.."
export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
node tests/parquet/corpus_check.mjs "$PWD" build/asan/prestige

#!/usr/bin/env bash
# Reader conformance over the parquet-testing corpus against DuckDB (see corpus_check.mjs).
source "$(dirname "$0")/../common/prologue.sh"
result_from node tests/parquet/corpus_check.mjs "$ROOT" "$P"

#!/usr/bin/env bash
# The parallel writer: `prestige convert` writes the same bytes with --threads 1 and 2..4, over the
# parquet-testing corpus and random tables (see writer_threads_equal.mjs).
source "$(dirname "$0")/../common/prologue.sh"
result_from node tests/parquet/writer_threads_equal.mjs "$ROOT" "$P" "${WRITER_THREADS_TABLES:-6}" "${RANDOM_SEED:-2026}" "$ROOT/build/release/prestige"

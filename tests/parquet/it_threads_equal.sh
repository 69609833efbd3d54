#!/usr/bin/env bash
# The parallel reader: same rows in the same order (and the same errors) with --threads 1 and
# more, over the parquet-testing corpus and random files (see threads_equal.mjs).
source "$(dirname "$0")/../common/prologue.sh"
result_from node tests/parquet/threads_equal.mjs "$ROOT" "$P" "${THREADS_RANDOM_FILES:-12}" "${RANDOM_SEED:-2026}"

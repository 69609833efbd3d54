#!/usr/bin/env bash
# CSV and JSON-lines input against DuckDB on random files with tricky cells (quoting, line breaks,
# "" vs empty, spaces, leading zeros, signs, exponents, inf/nan, huge integers, booleans, dates
# and timestamps, non-ASCII): inferred types and values, and again with an explicit schema.
# Differences are classified; only the documented ones (text.h) pass (see text_differential.mjs).
# TEXTDIFF_FILES and TEXTDIFF_SEED change the run (defaults: 40 files, seed 2026);
# TEXTDIFF_VERBOSE=1 prints each known difference.
source "$(dirname "$0")/../common/prologue.sh"
result_from node tests/text/text_differential.mjs "$P" "${TEXTDIFF_FILES:-40}" "${TEXTDIFF_SEED:-2026}"

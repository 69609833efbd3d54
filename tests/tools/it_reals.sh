#!/usr/bin/env bash
# prestige cat prints floats and doubles as the shortest text that reads back as the same value
# (28.81, not 28.809999465942383), checked on random bit patterns written by DuckDB (reals.mjs).
source "$(dirname "$0")/../common/prologue.sh"
result_from node tests/tools/reals.mjs "$P" "$T"

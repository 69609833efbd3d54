#!/usr/bin/env bash
# The libFuzzer target over the reader runs for FUZZ_SECONDS (default 60) as part of make test.
set -euo pipefail
cd "$(dirname "$0")/../.."
# a fixed seed keeps make test reproducible; `make fuzz` explores with fresh seeds
FUZZ_SEED="${FUZZ_SEED:-1}" bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
echo "RESULT 1 0"

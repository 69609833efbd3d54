#!/usr/bin/env bash
# The libFuzzer target over the reader runs as part of make test (seed 1, 250000 inputs).
set -euo pipefail
cd "$(dirname "$0")/../.."
# a fixed seed and run count make this the same inputs every time (about a minute here);
# `make fuzz` explores with fresh seeds
FUZZ_SEED="${FUZZ_SEED:-1}" FUZZ_RUNS="${FUZZ_RUNS:-250000}" bash scripts/fuzz.sh "${FUZZ_SECONDS:-180}"
echo "RESULT 1 0"

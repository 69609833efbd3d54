#!/usr/bin/env bash
# The libFuzzer target over the reader runs as part of make test (seed 1, 250000 inputs).
source "$(dirname "$0")/../common/prologue.sh"
# a fixed seed and run count make this the same inputs every time (about a minute on an idle
# machine); on a loaded one the time bound (FUZZ_SECONDS) may stop it earlier, which is no failure.
# `make fuzz` explores with fresh seeds
FUZZ_SEED="${FUZZ_SEED:-1}" FUZZ_RUNS="${FUZZ_RUNS:-250000}" bash scripts/fuzz.sh "${FUZZ_SECONDS:-180}"
ok
result

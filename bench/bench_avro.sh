#!/usr/bin/env bash
# Avro manifests: 100,000 Iceberg manifest entries written and read (entries/s), per write codec.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "avro (Iceberg manifest entries, write / full decode / decode through a reader schema):"
build/release/bench/bench_avro "${ROWS_AVRO:-100000}"

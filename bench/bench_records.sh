#!/usr/bin/env bash
# Typed records: 10 million SensorData structs to Parquet (ZSTD) and back, structs/s each way.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/bench
echo "records (SensorData structs <-> Parquet, ZSTD):"
build/release/bench/bench_records "${ROWS_RECORDS:-10000000}" build/bench/records.parquet
rm -f build/bench/records.parquet

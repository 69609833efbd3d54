#!/usr/bin/env bash
# The demo runs end to end on a small dataset: six files of rotation, every row in DuckDB's summary.
source "$(dirname "$0")/../common/prologue.sh"
out=$(DEMO_ROWS=60000 bash scripts/demo.sh 2>&1)
echo "$out" | tail -14
if echo "$out" | grep -qE "'6' +│ '60000'"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: summary"; fi
if echo "$out" | grep -q "DELTA_BINARY_PACKED\|RLE_DICTIONARY"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: meta"; fi
if [ "$(ls build/demo/bucket/sensor_data/*.parquet | wc -l)" -eq 6 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: 6 files"; fi
result

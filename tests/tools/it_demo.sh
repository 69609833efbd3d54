#!/usr/bin/env bash
# The demo runs end to end on a small dataset and DuckDB's summary shows every row.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(DEMO_ROWS=20000 bash scripts/demo.sh 2>&1)
echo "$out" | tail -12
n=$(echo "$out" | grep -c "'20000'" || true)
[ "$n" -eq 4 ] || { echo "expected 4 codecs with 20000 rows each, got $n"; exit 1; }
echo "$out" | grep -q "DELTA_BINARY_PACKED" || { echo "meta output missing"; exit 1; }
echo "RESULT 2 0"

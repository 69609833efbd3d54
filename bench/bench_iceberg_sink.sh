#!/usr/bin/env bash
# IcebergSink ingest vs the ParquetSink on the same SensorData input (1 and 4 producer threads,
# zstd, 100k rows a file / a commit), in the same run: the target is at least 0.8x the
# ParquetSink's rate. Also the IcebergSink's commit latency p50/p99 (seal to acknowledgement, SQLite
# catalog) and an IcebergPoller's delivery lag after each commit (poll interval 50 ms).
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/release/bench/bench_iceberg_sink
T=$(mktemp -d "${TMPDIR:-/tmp}/prestige-bench-icesink.XXXXXX")
trap 'rm -rf "$T"' EXIT
N=${ICE_SINK_ROWS:-3000000}
best() { local b=""; for l in "$@"; do r=$(echo "$l" | awk '{print $4}'); if [ -z "$b" ] || [ "$(echo "$r > $(echo "$b" | awk '{print $4}')" | bc)" = 1 ]; then b="$l"; fi; done; echo "$b"; }
for th in 1 4; do
  pl=(); il=()
  for round in 1 2; do
    rm -rf "$T"/p "$T"/i; pl+=("$($B parquet $th "$N" "$T/p")")
    rm -rf "$T"/p "$T"/i; il+=("$($B iceberg $th "$N" "$T/i")")
  done
  p=$(best "${pl[@]}"); i=$(best "${il[@]}")
  pr=$(echo "$p" | awk '{print $4}'); ir=$(echo "$i" | awk '{print $4}')
  printf '%d producer(s), %d SensorData records: ParquetSink %s rows/s, IcebergSink %s rows/s: %.2fx\n' \
    "$th" "$N" "$pr" "$ir" "$(echo "$ir / $pr" | bc -l)"
  echo "$i" | awk '{printf "  IcebergSink: %d commits, commit latency p50 %d ms, p99 %d ms\n", $5, $6, $7}'
done
rm -rf "$T"/i
$B iceberg-lag 1 "$N" "$T/i" | awk '{printf "IcebergPoller (50 ms poll interval) while the sink writes: delivery lag after a commit p50 %d ms, max %d ms (%d commits)\n", $8, $9, $5}'

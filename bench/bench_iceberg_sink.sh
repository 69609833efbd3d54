#!/usr/bin/env bash
# IcebergSink ingest vs the ParquetSink on the same SensorData input (1 and 4 producer threads,
# zstd, 100k rows a file / a commit), in the same run, ICE_SINK_ROUNDS (3) alternated runs a side,
# medians compared: the target is at least 0.8x the ParquetSink's rate. Also the IcebergSink's commit latency p50/p99 (seal to acknowledgement, SQLite
# catalog) and an IcebergPoller's delivery lag after each commit (poll interval 50 ms).
# WRITER_THREADS (default 1): encoding threads of each data file, the same on both sides.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
B=build/release/bench/bench_iceberg_sink
T=$(mktemp -d "${TMPDIR:-/tmp}/prestige-bench-icesink.XXXXXX")
trap 'rm -rf "$T"' EXIT
N=${ICE_SINK_ROWS:-3000000}
ROUNDS=${ICE_SINK_ROUNDS:-3}
# the run with the median rate of its lines (field 4)
median() { printf '%s\n' "$@" | sort -n -k4 | sed -n "$(( ($# + 1) / 2 ))p"; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for th in 1 4; do
  pl=(); il=()
  for round in $(seq "$ROUNDS"); do # alternated, so both sides see the same machine
    rm -rf "$T"/p "$T"/i; pl+=("$($B parquet $th "$N" "$T/p")")
    rm -rf "$T"/p "$T"/i; il+=("$($B iceberg $th "$N" "$T/i")")
  done
  p=$(median "${pl[@]}"); i=$(median "${il[@]}")
  pr=$(echo "$p" | awk '{print $4}'); ir=$(echo "$i" | awk '{print $4}')
  printf '%d producer(s), %d SensorData records, median of %d alternated runs: ParquetSink %s rows/s, IcebergSink %s rows/s: %.2fx\n' \
    "$th" "$N" "$ROUNDS" "$pr" "$ir" "$(echo "$ir / $pr" | bc -l)"
  bench_record iceberg_sink "$N records, $th producer(s), IcebergSink vs ParquetSink" "$ir" "$pr" "$(echo "$ir / $pr" | bc -l)" rows/s "ParquetSink, same input"
  printf '  ParquetSink runs: %s\n  IcebergSink runs: %s\n' "$(printf '%s ' "${pl[@]}" | awk '{for(i=4;i<=NF;i+=9) printf "%s ", $i}')" \
    "$(printf '%s ' "${il[@]}" | awk '{for(i=4;i<=NF;i+=9) printf "%s ", $i}')"
  echo "$i" | awk '{printf "  IcebergSink: %d commits, commit latency p50 %d ms, p99 %d ms\n", $5, $6, $7}'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$T"/i
$B iceberg-lag 1 "$N" "$T/i" | awk '{printf "IcebergPoller (50 ms poll interval) while the sink writes: delivery lag after a commit p50 %d ms, max %d ms (%d commits)\n", $8, $9, $5}'

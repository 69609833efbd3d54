#!/usr/bin/env bash
# Parquet writer: prestige vs DuckDB COPY (threads=1) on identical tables, measured in the same run.
# MB/s is the size of the Arrow input (the same table for both) divided by the time.
# ROWS_SENSOR / ROWS_WIDE override the sizes (defaults 10,000,000 and 2,000,000).
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/release/bench/bench_writer
D=build/bench
mkdir -p "$D"
rs=${ROWS_SENSOR:-10000000}
rw=${ROWS_WIDE:-2000000}
printf "%-8s %-7s %10s %14s %14s %8s %9s %9s %12s %12s %8s %10s\n" dataset codec rows prestige_r/s duckdb_r/s ratio p_MB/s d_MB/s prestige_B duckdb_B size_x peak_MB
for kind in sensor wide; do
  rows=$rs; [ $kind = wide ] && rows=$rw
  for codec in zstd snappy; do
    p=$($B $kind $rows $codec "$D/p-$kind-$codec.parquet")
    d=$(node bench/duckdb_writer.mjs $kind $rows $codec "$D/d-$kind-$codec.parquet")
    node -e '
      const p = JSON.parse(process.argv[1]), d = JSON.parse(process.argv[2]);
      const f = (x) => x.toLocaleString("en-US");
      console.log([process.argv[3].padEnd(8), process.argv[4].padEnd(7), String(p.rows).padStart(10),
        f(p.rows_per_s).padStart(14), f(d.rows_per_s).padStart(14), (p.rows_per_s / d.rows_per_s).toFixed(2).padStart(8),
        p.mb_per_s.toFixed(0).padStart(9), (p.input_mb / d.seconds).toFixed(0).padStart(9),
        String(p.file_size).padStart(12), String(d.file_size).padStart(12), (p.file_size / d.file_size).toFixed(3).padStart(8),
        p.peak_rss_mb.toFixed(0).padStart(10)].join(" "));' "$p" "$d" $kind $codec
  done
done
# memory stays bounded as the row count grows: batches are made, written and freed one at a time
echo
echo "peak RSS while streaming SensorData (ZSTD, default row groups of 1,048,576 rows):"
for rows in 1000000 ${ROWS_STREAM:-50000000}; do
  r=$($B sensor $rows zstd "$D/stream.parquet" stream)
  node -e 'const r = JSON.parse(process.argv[1]); console.log(`  ${String(r.rows).padStart(10)} rows: ${r.peak_rss_mb.toFixed(0)} MB`)' "$r"
done
rm -f "$D/stream.parquet"

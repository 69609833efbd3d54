#!/usr/bin/env bash
# Parquet reader: full scan into Arrow batches (prestige scan decodes and sums every value) vs
# DuckDB threads=1 summing every column, on the same files, measured in the same run. Both read
# the file DuckDB wrote and the file prestige wrote.
set -euo pipefail
cd "$(dirname "$0")/.."
D=build/bench
mkdir -p "$D"
rows=${ROWS_SENSOR:-10000000}
build/release/bench/bench_writer sensor "$rows" zstd "$D/r-sensor-p.parquet" >/dev/null
node bench/duckdb_writer.mjs sensor "$rows" zstd "$D/r-sensor-d.parquet" >/dev/null
rw=${ROWS_WIDE:-2000000}
build/release/bench/bench_writer wide "$rw" zstd "$D/r-wide-p.parquet" >/dev/null
node bench/duckdb_writer.mjs wide "$rw" zstd "$D/r-wide-d.parquet" >/dev/null
printf "%-26s %10s %14s %14s %8s\n" file rows prestige_r/s duckdb_r/s ratio
for f in r-sensor-p r-sensor-d r-wide-p r-wide-d; do
  kind=sensor; [[ $f == r-wide* ]] && kind=wide
  # both sides in process, best of 3, the same work: integers summed exactly, floats as double,
  # strings by length (bench/bench_reader.c and bench/duckdb_scan.mjs)
  p=$(build/release/bench/bench_reader "$D/$f.parquet" 3 65536)
  d=$(node bench/duckdb_scan.mjs "$D/$f.parquet" $kind)
  node -e 'const p=JSON.parse(process.argv[1]), d=JSON.parse(process.argv[2]);
    console.log(process.argv[3].padEnd(26), String(p.rows).padStart(10), Math.round(p.rows_per_s).toLocaleString("en-US").padStart(14),
      d.rows_per_s.toLocaleString("en-US").padStart(14), (p.rows_per_s/d.rows_per_s).toFixed(2).padStart(8))' "$p" "$d" "$f.parquet"
done
echo "(both figures are the scan alone, in process, best of 3; DuckDB threads=1)"
# selective scan: one column, a timestamp range that keeps about 1% of the row groups
lo=1700000000000; hi=$((lo + rows * 10 / 100))
for f in r-sensor-p r-sensor-d; do
  p=$(build/release/bench/bench_reader "$D/$f.parquet" 3 65536 timestamp,temperature "timestamp < $hi")
  o=$(build/release/prestige scan "$D/$f.parquet" --columns timestamp,temperature --where "timestamp < $hi")
  d=$(node bench/duckdb_scan.mjs "$D/$f.parquet" selective "timestamp < $hi")
  node -e 'const p=JSON.parse(process.argv[1]), o=JSON.parse(process.argv[2]), d=JSON.parse(process.argv[3]);
    console.log(`selective ${process.argv[4]}: ${p.rows} rows match; ${o.row_groups_pruned} row groups and ${o.pages_pruned} pages pruned; prestige ${(p.seconds*1000).toFixed(1)} ms, DuckDB ${(d.seconds*1000).toFixed(1)} ms, ratio ${(d.seconds/p.seconds).toFixed(2)}`)' "$p" "$o" "$d" "$f.parquet"
done
echo "(selective: both in process, best of 3; prestige counts and sums only the rows that satisfy the predicate, as DuckDB does)"

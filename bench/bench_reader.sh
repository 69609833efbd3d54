#!/usr/bin/env bash
# Parquet reader: full scan into Arrow batches (prestige scan decodes and sums every value) vs
# DuckDB summing every column, on the same files, measured in the same run: one thread each, and
# all cores each. Both read the file DuckDB wrote and the file prestige wrote.
set -euo pipefail
cd "$(dirname "$0")/.."
D=build/bench
mkdir -p "$D"
source bench/lib.sh
# BENCH_REUSE=1 keeps the files of an earlier run instead of writing them again
rows=${ROWS_SENSOR:-10000000}
rw=${ROWS_WIDE:-2000000}
[ "${BENCH_REUSE:-0}" = 1 ] && [ -s "$D/r-sensor-p.parquet" ] || build/release/bench/bench_writer sensor "$rows" zstd "$D/r-sensor-p.parquet" >/dev/null
[ "${BENCH_REUSE:-0}" = 1 ] && [ -s "$D/r-sensor-d.parquet" ] || node bench/duckdb_writer.mjs sensor "$rows" zstd "$D/r-sensor-d.parquet" >/dev/null
[ "${BENCH_REUSE:-0}" = 1 ] && [ -s "$D/r-wide-p.parquet" ] || build/release/bench/bench_writer wide "$rw" zstd "$D/r-wide-p.parquet" >/dev/null
[ "${BENCH_REUSE:-0}" = 1 ] && [ -s "$D/r-wide-d.parquet" ] || node bench/duckdb_writer.mjs wide "$rw" zstd "$D/r-wide-d.parquet" >/dev/null
cores=$(nproc)
# Both sides in process, the median of 3 runs each, the same work: integers summed exactly,
# floats as double, strings by length (bench/bench_reader.c and bench/duckdb_scan.mjs). Two
# pairings: one thread each, and prestige with threads = the core count against DuckDB with its
# default threads (the core count).
printf "%-20s %10s %14s %14s %7s %14s %14s %7s\n" file rows "prestige t=1" "duckdb t=1" ratio "prestige t=$cores" "duckdb dflt" ratio
for f in r-sensor-p r-sensor-d r-wide-p r-wide-d; do
  kind=sensor; [[ $f == r-wide* ]] && kind=wide
  p1=$(THREADS=1 build/release/bench/bench_reader "$D/$f.parquet" 3 65536)
  d1=$(THREADS=1 node bench/duckdb_scan.mjs "$D/$f.parquet" $kind)
  pn=$(THREADS=$cores build/release/bench/bench_reader "$D/$f.parquet" 3 65536)
  dn=$(THREADS=default node bench/duckdb_scan.mjs "$D/$f.parquet" $kind)
  line=$(node -e 'const [p1, d1, pn, dn] = process.argv.slice(1, 5).map((x) => JSON.parse(x));
    const f = (x) => Math.round(x).toLocaleString("en-US");
    console.log([process.argv[5].padEnd(20), String(p1.rows).padStart(10), f(p1.rows_per_s).padStart(14), f(d1.rows_per_s).padStart(14),
      (p1.rows_per_s / d1.rows_per_s).toFixed(2).padStart(7), f(pn.rows_per_s).padStart(14), f(dn.rows_per_s).padStart(14),
      (pn.rows_per_s / dn.rows_per_s).toFixed(2).padStart(7)].join(" "));
    console.log([p1.rows_per_s, d1.rows_per_s, pn.rows_per_s, dn.rows_per_s].join(" "));' "$p1" "$d1" "$pn" "$dn" "$f.parquet")
  echo "$line" | head -1
  read -r a b c d <<< "$(echo "$line" | tail -1)"
  bench_record reader "scan $f.parquet, threads=1 vs DuckDB threads=1" "$a" "$b" "$(echo "$a / $b" | bc -l)" rows/s "DuckDB threads=1"
  bench_record reader "scan $f.parquet, threads=$cores vs DuckDB default" "$c" "$d" "$(echo "$c / $d" | bc -l)" rows/s "DuckDB default threads ($cores)"
done
echo "(both figures are the scan alone, in process, median of 3; -p files prestige wrote, -d DuckDB wrote)"
# selective scan: one column, a timestamp range that keeps about 1% of the row groups
lo=1700000000000; hi=$((lo + rows * 10 / 100))
for f in r-sensor-p r-sensor-d; do
  p=$(THREADS=$cores build/release/bench/bench_reader "$D/$f.parquet" 3 65536 timestamp,temperature "timestamp < $hi")
  o=$(build/release/prestige scan "$D/$f.parquet" --columns timestamp,temperature --where "timestamp < $hi")
  d=$(THREADS=default node bench/duckdb_scan.mjs "$D/$f.parquet" selective "timestamp < $hi")
  node -e 'const p=JSON.parse(process.argv[1]), o=JSON.parse(process.argv[2]), d=JSON.parse(process.argv[3]);
    console.log(`selective ${process.argv[4]}: ${p.rows} rows match; ${o.row_groups_pruned} row groups and ${o.pages_pruned} pages pruned; prestige ${(p.seconds*1000).toFixed(1)} ms, DuckDB ${(d.seconds*1000).toFixed(1)} ms, ratio ${(d.seconds/p.seconds).toFixed(2)}`)' "$p" "$o" "$d" "$f.parquet"
  ps=$(node -e 'console.log(JSON.parse(process.argv[1]).seconds)' "$p"); ds=$(node -e 'console.log(JSON.parse(process.argv[1]).seconds)' "$d")
  bench_record reader "selective scan $f.parquet (1% of rows), all cores" "$ps" "$ds" "$(echo "$ds / $ps" | bc -l)" s "DuckDB default threads"
done
echo "(selective: both in process, median of 3, all cores; prestige counts and sums only the rows that satisfy the predicate, as DuckDB does)"

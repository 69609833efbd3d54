#!/usr/bin/env bash
# File source: scan 20 SensorData files (500k rows each) from local disk and from s3rver on
# loopback, ordered (2 files read ahead) and unordered (4 in flight), touching every value; DuckDB
# (threads=1 and its default threads) scans the same local files in the same run. Median of 3.
# (Timestamps are printed with %.0f: awk's %d stops at 2^31 - 1 in mawk, which made them all equal.)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/prestige-bench-src.XXXXXX")
source tests/common/s3_env.sh
trap 'rm -rf "$T"; _s3_cleanup' EXIT
ROWS=${SOURCE_ROWS:-10000000}
rm -rf "$T/files"
mkdir -p "$T/files"
SINK_MAX=$((ROWS / 20))
awk -v n="$ROWS" 'BEGIN { print "timestamp,sensor_id,temperature"; for (i = 0; i < n; i++) printf "%.0f,sensor-%04d,%.1f\n", 1700000000000 + i, (i * 7919) % 1000, 15 + (i % 200) / 10 }' \
  | build/release/prestige sink --name sensor_data --dir "$T/files" --format csv --keep-local \
      --schema 'timestamp:uint64,sensor_id:string,temperature:float' --max-rows "$SINK_MAX" --compression zstd > /dev/null
s3rver_start "$T/s3" "bench" > /dev/null
for f in "$T"/files/*.parquet; do build/release/prestige cp "$f" "s3://bench/src/$(basename "$f")" --quiet; done
nf=$(ls "$T"/files/*.parquet | wc -l)
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
o=(); u=(); lo=(); lu=(); lot=(); lut=(); d=(); dd=()
NT=$(nproc)
dsec() { node -e 'let s="";process.stdin.on("data",x=>s+=x).on("end",()=>console.log(JSON.parse(s).seconds))'; }
for r in 1 2 3; do
  o+=("$(build/release/bench/bench_source s3://bench/ src/ ordered | awk '{print $2}')")
  u+=("$(build/release/bench/bench_source s3://bench/ src/ unordered | awk '{print $2}')")
  lo+=("$(build/release/bench/bench_source "file://$T/files" "" ordered | awk '{print $2}')")
  lu+=("$(build/release/bench/bench_source "file://$T/files" "" unordered | awk '{print $2}')")
  lot+=("$(build/release/bench/bench_source "file://$T/files" "" ordered "$NT" | awk '{print $2}')")
  lut+=("$(build/release/bench/bench_source "file://$T/files" "" unordered "$NT" | awk '{print $2}')")
  d+=("$(THREADS=1 node bench/duckdb_scan.mjs "$T/files/*.parquet" sensor | dsec)")
  dd+=("$(THREADS=default node bench/duckdb_scan.mjs "$T/files/*.parquet" sensor | dsec)")
done
blot=$(median "${lot[@]}"); blut=$(median "${lut[@]}"); bo=$(median "${o[@]}"); bu=$(median "${u[@]}"); blo=$(median "${lo[@]}"); blu=$(median "${lu[@]}"); bd=$(median "${d[@]}"); bdd=$(median "${dd[@]}")
cores=$(nproc)
printf '%-50s %10s %14s %9s %9s\n' "scan $nf files, $ROWS rows (median of 3)" "seconds" "rows/s" "vs t=1" "vs dflt"
row() { printf '%-50s %10.3f %14.0f %8.2fx %8.2fx\n' "$1" "$2" "$(echo "$ROWS / $2" | bc -l)" "$(echo "$bd / $2" | bc -l)" "$(echo "$bdd / $2" | bc -l)"; }
row "DuckDB, local files (threads=1)" "$bd"
row "DuckDB, local files (default threads: $cores)" "$bdd"
row "prestige source, local, ordered (read-ahead 2)" "$blo"
row "prestige source, local, unordered (4 in flight)" "$blu"
row "prestige source, local, ordered, reader threads $NT" "$blot"
row "prestige source, local, unordered, reader threads $NT" "$blut"
row "prestige source, s3rver, ordered (read-ahead 2)" "$bo"
row "prestige source, s3rver, unordered (4 in flight)" "$bu"
for c in "local ordered:$blo" "local unordered:$blu" "local ordered threads $NT:$blot" "local unordered threads $NT:$blut" "s3rver ordered:$bo" "s3rver unordered:$bu"; do
  name=${c%%:*}; t=${c#*:}
  bench_record source "$nf files, $name vs DuckDB threads=1 (local)" "$t" "$bd" "$(echo "$bd / $t" | bc -l)" s "DuckDB threads=1, local files"
  bench_record source "$nf files, $name vs DuckDB default (local)" "$t" "$bdd" "$(echo "$bdd / $t" | bc -l)" s "DuckDB default threads ($cores), local files"
done
echo "(prestige's times include listing the files and process start; DuckDB's the query alone; load average $(cut -d' ' -f1-3 /proc/loadavg))"

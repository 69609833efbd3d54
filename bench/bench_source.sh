#!/usr/bin/env bash
# File source: scan 20 SensorData files (500k rows each) from s3rver on loopback, ordered (2 files
# read ahead) and unordered (4 in flight), touching every value; DuckDB (threads=1) scans the same
# files from local disk in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
T=$(mktemp -d "${TMPDIR:-/tmp}/prestige-bench-src.XXXXXX")
source tests/common/s3_env.sh
trap 'rm -rf "$T"; _s3_cleanup' EXIT
ROWS=${SOURCE_ROWS:-10000000}
rm -rf "$T/files"
mkdir -p "$T/files"
SINK_MAX=$((ROWS / 20))
awk -v n="$ROWS" 'BEGIN { print "timestamp,sensor_id,temperature"; for (i = 0; i < n; i++) printf "%d,sensor-%04d,%.1f\n", 1700000000000 + i, (i * 7919) % 1000, 15 + (i % 200) / 10 }' \
  | build/release/prestige sink --name sensor_data --dir "$T/files" --format csv --keep-local \
      --schema 'timestamp:uint64,sensor_id:string,temperature:float' --max-rows "$SINK_MAX" --compression zstd > /dev/null
s3rver_start "$T/s3" "bench" > /dev/null
for f in "$T"/files/*.parquet; do build/release/prestige cp "$f" "s3://bench/src/$(basename "$f")" --quiet; done
nf=$(ls "$T"/files/*.parquet | wc -l)
best() { printf '%s\n' "$@" | sort -g | head -1; }
o=(); u=(); d=()
for r in 1 2 3; do
  o+=("$(build/release/bench/bench_source s3://bench/ src/ ordered | awk '{print $2}')")
  u+=("$(build/release/bench/bench_source s3://bench/ src/ unordered | awk '{print $2}')")
  d+=("$(node bench/duckdb_scan.mjs "$T/files/*.parquet" sensor | node -e 'let s="";process.stdin.on("data",x=>s+=x).on("end",()=>console.log(JSON.parse(s).seconds))')")
done
bo=$(best "${o[@]}"); bu=$(best "${u[@]}"); bd=$(best "${d[@]}")
printf '%-48s %10s %14s %8s\n' "scan $nf files, $ROWS rows" "seconds" "rows/s" "ratio"
printf '%-48s %10.3f %14.0f %8s\n' "DuckDB, local files (threads=1)" "$bd" "$(echo "$ROWS / $bd" | bc -l)" "1.00x"
printf '%-48s %10.3f %14.0f %7.2fx\n' "prestige source, s3rver, ordered (read-ahead 2)" "$bo" "$(echo "$ROWS / $bo" | bc -l)" "$(echo "$bd / $bo" | bc -l)"
printf '%-48s %10.3f %14.0f %7.2fx\n' "prestige source, s3rver, unordered (4 in flight)" "$bu" "$(echo "$ROWS / $bu" | bc -l)" "$(echo "$bd / $bu" | bc -l)"
echo "(prestige's times include listing the bucket and process start; DuckDB's the query alone)"

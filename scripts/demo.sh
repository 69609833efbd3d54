#!/usr/bin/env bash
# The demo on the embedded defaults (a local directory as the bucket): a ParquetSink lands a few
# million SensorData records (the reference's example record: u64 timestamp, string sensor_id,
# f32 temperature) with rotation, uploading each finished file to the bucket; the demo prints the
# commit manifests, `prestige ls` of the bucket, `prestige meta` of one file and DuckDB's
# independent summary of every file.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/demo
rm -rf "$out"; mkdir -p "$out"
rows=${DEMO_ROWS:-3000000}
per_file=$(( rows / 6 > 0 ? rows / 6 : 1 ))
echo "== a sink writes $rows SensorData records, rotating every $per_file rows, into the bucket $out/bucket"
t0=$(date +%s.%N)
awk -v n="$rows" 'BEGIN {
  srand(42); t = 1700000000000; print "timestamp,sensor_id,temperature";
  for (i = 0; i < n; i++) {
    t += int(rand() * 10);
    printf "%.0f,sensor-%04d,%.2f\n", t, int(rand() * 1000), 15 + rand() * 20;
  }
}' | build/release/prestige sink --name sensor_data --dir "$out/spool" --upload "$out/bucket/sensor_data" \
      --format csv --schema "timestamp:uint64,sensor_id:string,temperature:float" \
      --max-rows "$per_file" --compression zstd > "$out/manifests.jsonl" < /dev/stdin
t1=$(date +%s.%N)
echo "== commit manifests (one JSON line per durable commit)"
cut -c1-400 "$out/manifests.jsonl"
awk -v a="$t0" -v b="$t1" -v n="$rows" 'BEGIN { printf "== %d records landed in %.2fs (%.0f records/s, text parsing included)\n", n, b - a, n / (b - a) }'
echo "== prestige ls $out/bucket/sensor_data"
build/release/prestige ls "$out/bucket/sensor_data"
first=$(ls "$out"/bucket/sensor_data/*.parquet | head -1)
echo "== prestige meta $first"
build/release/prestige meta "$first" | head -n 40
echo "== DuckDB reads the files"
cat > "$out/summary.sql" <<SQL
SELECT count(*) AS files, sum(rows) AS rows, sum(sensors) AS sensor_file_pairs, min(first_ts) AS first_ts,
       max(last_ts) AS last_ts, round(sum(temp_sum) / sum(rows), 3) AS avg_temp
FROM (SELECT filename, count(*) AS rows, count(DISTINCT sensor_id) AS sensors, min(timestamp) AS first_ts,
             max(timestamp) AS last_ts, sum(temperature) AS temp_sum
      FROM read_parquet('$out/bucket/sensor_data/*.parquet', filename = true) GROUP BY filename);
SQL
node tests/common/duckdb_query.mjs "$out/summary.sql" | node -e '
  let s = ""; process.stdin.on("data", d => s += d).on("end", () => console.table(JSON.parse(s)));'

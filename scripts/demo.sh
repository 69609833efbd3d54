#!/usr/bin/env bash
# The demo on the embedded defaults: generate a SensorData dataset (the reference's example
# record: u64 timestamp, string sensor_id, f32 temperature), convert it to Parquet with several
# codecs, print `prestige meta` of one file and DuckDB's independent reading of all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/demo
rm -rf "$out"; mkdir -p "$out"
rows=${DEMO_ROWS:-1000000}
echo "== generating $rows SensorData rows as CSV"
awk -v n="$rows" 'BEGIN {
  srand(42); print "timestamp,sensor_id,temperature";
  t = 1700000000000;
  for (i = 0; i < n; i++) {
    t += int(rand() * 10);
    printf "%.0f,sensor-%04d,%.2f\n", t, int(rand() * 1000), 15 + rand() * 20;
  }
}' > "$out/sensor_data.csv"
ls -l "$out/sensor_data.csv" | awk '{print "   " $5 " bytes"}'
schema="timestamp:uint64,sensor_id:string,temperature:float"
for c in zstd snappy gzip none; do
  t0=$(date +%s.%N)
  build/release/prestige convert "$out/sensor_data.csv" "$out/sensor_data.$c.parquet" \
    --schema "$schema" --compression "$c" --quiet
  t1=$(date +%s.%N)
  printf "== converted with %-7s %10d bytes in %ss\n" "$c" "$(stat -c %s "$out/sensor_data.$c.parquet")" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
done
echo "== prestige meta $out/sensor_data.zstd.parquet"
build/release/prestige meta "$out/sensor_data.zstd.parquet" | head -n 60
echo "== DuckDB reads the files"
cat > "$out/summary.sql" <<SQL
SELECT regexp_extract(filename, 'sensor_data\.(\w+)\.parquet', 1) AS codec, count(*) AS rows,
       count(DISTINCT sensor_id) AS sensors, min(timestamp) AS first_ts, max(timestamp) AS last_ts,
       round(avg(temperature), 3) AS avg_temp
FROM read_parquet('$out/sensor_data.*.parquet', filename = true) GROUP BY ALL ORDER BY codec;
SQL
node tests/common/duckdb_query.mjs "$out/summary.sql" | node -e '
  let s = ""; process.stdin.on("data", d => s += d).on("end", () => console.table(JSON.parse(s)));'

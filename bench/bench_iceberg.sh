#!/usr/bin/env bash
# Iceberg tables, ratios measured in the same run:
#   - append: `prestige iceberg append` of N SensorData rows from Parquet into a table partitioned
#     by day(timestamp) vs `prestige convert` of the same file to Parquet (both zstd, whole
#     processes, best of 2);
#   - scan: a full scan of that table through prestige_iceberg_scan vs DuckDB (threads=1)
#     reading the same data files with the same sums (in process, best of 3);
#   - planning: a table of 10,000 data files in 100 manifests, planned with and without a filter
#     that prunes by column bounds (time and peak memory).
# ROWS_ICEBERG (default 10000000), PLAN_FILES (10000), PLAN_MANIFESTS (100).
set -euo pipefail
cd "$(dirname "$0")/.."
D=build/bench/iceberg
rm -rf "$D" && mkdir -p "$D"
B=build/release/bench/bench_iceberg
PR=build/release/prestige
rows=${ROWS_ICEBERG:-10000000}
$B gen "$rows" "$D/sensor.parquet"
C=(--catalog "sqlite:$D/cat.db" --warehouse "file://$PWD/$D/wh")
$PR iceberg create-namespace b "${C[@]}" >/dev/null
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); python3 -c "print($t1 - $t0)"; }
conv=(); app=()
for rep in 1 2; do
  conv+=("$(secs $PR convert "$D/sensor.parquet" "$D/converted.parquet" --compression zstd --quiet)")
  $PR iceberg drop b.sensor --purge "${C[@]}" >/dev/null 2>&1 || true
  $PR iceberg create b.sensor --like "$D/sensor.parquet" --partition 'day(timestamp)' "${C[@]}" >/dev/null
  app+=("$(secs $PR iceberg append b.sensor "$D/sensor.parquet" "${C[@]}")")
done
python3 -c '
import sys
rows, c, a = int(sys.argv[1]), min(map(float, sys.argv[2].split())), min(map(float, sys.argv[3].split()))
print("append %d rows: iceberg append %.2f s (%.0f rows/s), convert %.2f s (%.0f rows/s), ratio %.2f (append throughput / convert)" % (rows, a, rows / a, c, rows / c, c / a))' "$rows" "${conv[*]}" "${app[*]}"
p=$($B scan "sqlite:$D/cat.db" b.sensor 3)
d=$(node bench/duckdb_iceberg_scan.mjs "$PWD/$D/wh/b/sensor/data/**/*.parquet")
node -e 'const p=JSON.parse(process.argv[1]), d=JSON.parse(process.argv[2]);
  console.log(`scan ${p.rows} rows in ${p.files} files: prestige ${Math.round(p.rows_per_s).toLocaleString("en-US")} rows/s, DuckDB ${d.rows_per_s.toLocaleString("en-US")} rows/s (threads=1), ratio ${(p.rows_per_s/d.rows_per_s).toFixed(2)}`);
  if (p.rows !== d.rows) { console.log("row counts differ"); process.exit(1) }' "$p" "$d"
pl=$($B plan "sqlite:$D/plan.db" "file://$PWD/$D/pwh" "${PLAN_FILES:-10000}" "${PLAN_MANIFESTS:-100}" 3)
node -e 'const p=JSON.parse(process.argv[1]);
  console.log(`plan ${p.files} files in ${p.manifests} manifests: ${p.plan_ms} ms; with a filter keeping ${p.planned_filtered} files: ${p.plan_filtered_ms} ms; peak RSS ${p.peak_rss_mb} MB (${p.rss_before_plan_mb} MB before planning)`)' "$pl"

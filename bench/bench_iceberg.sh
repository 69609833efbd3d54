#!/usr/bin/env bash
# Iceberg tables, ratios measured in the same run:
#   - append: `prestige iceberg append` of N SensorData rows from Parquet into a table partitioned
#     by day(timestamp) vs `prestige convert` of the same file to Parquet (both zstd, whole
#     processes, best of 2);
#   - scan: a full scan of that table through prestige_iceberg_scan vs DuckDB reading the same
#     data files with the same sums (in process, medians; one thread each, and all cores each);
#   - planning: a table of 10,000 data files in 100 manifests, planned with and without a filter
#     that prunes by column bounds (time and peak memory).
# ROWS_ICEBERG (default 10000000), PLAN_FILES (10000), PLAN_MANIFESTS (100), ROUNDS (3).
# BENCH_SCAN_ONLY=1: the table and the scan figures only (no append, no planning).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
D=build/bench/iceberg
rm -rf "$D" && mkdir -p "$D"
B=build/release/bench/bench_iceberg
PR=build/release/prestige
rows=${ROWS_ICEBERG:-10000000}
$B gen "$rows" "$D/sensor.parquet"
C=(--catalog "sqlite:$D/cat.db" --warehouse "file://$PWD/$D/wh")
$PR iceberg create-namespace b "${C[@]}" >/dev/null
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); python3 -c "print($t1 - $t0)"; }
if [ "${BENCH_SCAN_ONLY:-0}" = 1 ]; then
  $PR iceberg create b.sensor --like "$D/sensor.parquet" --partition 'day(timestamp)' "${C[@]}" >/dev/null
  $PR iceberg append b.sensor "$D/sensor.parquet" "${C[@]}" >/dev/null
else
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
print("append %d rows: iceberg append %.2f s (%.0f rows/s), convert %.2f s (%.0f rows/s), ratio %.2f (append throughput / convert)" % (rows, a, rows / a, c, rows / c, c / a))
with open(sys.argv[4], "a") as f:
    f.write("iceberg\tappend %d rows vs prestige convert\t%.3f\t%.3f\t%.3f\ts\tprestige convert of the same rows\n" % (rows, a, c, c / a))' "$rows" "${conv[*]}" "${app[*]}" "$BENCH_RESULTS"
fi
# Scan: both sides in process, each process REPS=3 queries/scans on one connection/table handle
# (its median), ROUNDS (default 3) processes per side alternated; the figure is the median of the
# rounds. Two pairings: one decoding thread each (prestige files_in_flight=1 threads=1, this
# thread only sums; DuckDB threads=1), and all cores (prestige files_in_flight=2 threads=cores;
# DuckDB its default threads). Both sides touch every value of the same data files: count, sum of
# timestamps, of sensor_id lengths, of temperatures (nothing formatted, nothing only counted).
cores=$(nproc)
glob="$PWD/$D/wh/b/sensor/data/**/*.parquet"
p1=(); d1=(); pn=(); dn=()
for round in $(seq "${ROUNDS:-3}"); do
  p1+=("$($B scan "sqlite:$D/cat.db" b.sensor 3 1 1)")
  d1+=("$(THREADS=1 node bench/duckdb_iceberg_scan.mjs "$glob")")
  pn+=("$($B scan "sqlite:$D/cat.db" b.sensor 3 2 "$cores")")
  dn+=("$(THREADS=default node bench/duckdb_iceberg_scan.mjs "$glob")")
done
node -e '
const [p1, d1, pn, dn] = process.argv.slice(1).map((x) => x.split("\n").map((l) => JSON.parse(l)));
const med = (a, k) => { const v = a.map((x) => x[k]).sort((x, y) => x - y); return v[Math.floor(v.length / 2)]; };
const f = (x) => Math.round(x).toLocaleString("en-US");
for (const [name, p, d] of [["one thread each (prestige files_in_flight=1 threads=1, DuckDB threads=1)", p1, d1],
                            [`all cores (prestige files_in_flight=2 threads=${pn[0].threads}, DuckDB default threads=${dn[0].threads})`, pn, dn]]) {
  if (p.some((x) => x.rows !== d[0].rows) || d.some((x) => x.rows !== d[0].rows)) { console.log("row counts differ"); process.exit(1); }
  const ps = med(p, "seconds"), ds = med(d, "seconds");
  require("fs").appendFileSync(process.env.BENCH_RESULTS, `iceberg\tscan ${p[0].rows} rows, ${name.split(" (")[0]}, warm\t${ps.toFixed(4)}\t${ds.toFixed(4)}\t${(ds / ps).toFixed(3)}\ts\tDuckDB read_parquet, median\n` +
    `iceberg\tscan ${p[0].rows} rows, ${name.split(" (")[0]}, first in a process\t${med(p, "first_seconds").toFixed(4)}\t${med(d, "first_seconds").toFixed(4)}\t${(med(d, "first_seconds") / med(p, "first_seconds")).toFixed(3)}\ts\tDuckDB read_parquet, median\n`);
  console.log(`scan ${p[0].rows} rows in ${p[0].files} files, ${name}: prestige ${f(p[0].rows / ps)} rows/s (${(ps * 1000).toFixed(1)} ms), DuckDB ${f(d[0].rows / ds)} rows/s (${(ds * 1000).toFixed(1)} ms), ratio ${(ds / ps).toFixed(2)}`);
  console.log(`  rounds (median of 3 in process each): prestige ${p.map((x) => (x.seconds * 1000).toFixed(1)).join(" ")} ms; DuckDB ${d.map((x) => (x.seconds * 1000).toFixed(1)).join(" ")} ms; first scan of each process: prestige ${p.map((x) => (x.first_seconds * 1000).toFixed(1)).join(" ")} ms, DuckDB ${d.map((x) => (x.first_seconds * 1000).toFixed(1)).join(" ")} ms; prestige page faults per scan: first ${med(p, "page_faults_first")}, later ${med(p, "page_faults_later")}`);
}' "$(printf '%s\n' "${p1[@]}" | sed '/^$/d')" "$(printf '%s\n' "${d1[@]}" | sed '/^$/d')" "$(printf '%s\n' "${pn[@]}" | sed '/^$/d')" "$(printf '%s\n' "${dn[@]}" | sed '/^$/d')"
echo "(load average: $(cut -d' ' -f1-3 /proc/loadavg))"
[ "${BENCH_SCAN_ONLY:-0}" = 1 ] && exit 0
pl=$($B plan "sqlite:$D/plan.db" "file://$PWD/$D/pwh" "${PLAN_FILES:-10000}" "${PLAN_MANIFESTS:-100}" 3)
node -e 'const p=JSON.parse(process.argv[1]);
  console.log(`plan ${p.files} files in ${p.manifests} manifests: ${p.plan_ms} ms; with a filter keeping ${p.planned_filtered} files: ${p.plan_filtered_ms} ms; peak RSS ${p.peak_rss_mb} MB (${p.rss_before_plan_mb} MB before planning)`)' "$pl"

#!/usr/bin/env bash
# Compaction: FILES small Parquet files (ROWS rows in all, random ids) appended to a table sorted by
# id, then compacted by prestige into sorted target-size files, against DuckDB (threads=1) doing the
# same rewrite: COPY (SELECT * FROM read_parquet([...]) ORDER BY id) TO ... (snappy, both).
# FILES (200) and ROWS (10,000,000) override the sizes; TARGET the file size (512 MiB).
# RUNS (1) runs of each side, alternated, medians reported (the table is restored between runs);
# BASELINE=path/to/an/older/bench_compact adds it as a third side (before/after in one run). The
# machine's load average is printed: on a shared machine wall times are noisy, CPU times less so.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
B=build/release/bench/bench_compact
D=build/bench/compact
files=${FILES:-200}
rows=${ROWS:-10000000}
target=${TARGET:-536870912}
runs=${RUNS:-1}
base=${BASELINE:-}
rm -rf "$D" "$D.saved"
mkdir -p "$D/src"
per=$((rows / files))
node bench/duckdb_compact.mjs gen "$D/src" "$files" "$per"
$B setup "$D" "$D"/src/*.parquet
cp -a "$D" "$D.saved"
restore() { rm -rf "$D"; cp -a "$D.saved" "$D"; }
P=() ; K=() ; Q=()
for i in $(seq 1 "$runs"); do
  if [ -n "$base" ]; then restore; K+=("$($base compact "$D" "$target")"); fi
  restore; P+=("$($B compact "$D" "$target")")
  Q+=("$(node bench/duckdb_compact.mjs copy "$D/src" "$D/duck.parquet")")
done
rm -rf "$D.saved"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
node -e '
  const [p, k, d] = [1, 2, 3].map(i => JSON.parse(process.argv[i]));
  const medf = f => a => { const s = a.map(f).sort((x, y) => x - y); return s[(s.length - 1) >> 1]; };
  const med = medf(x => x.seconds), cmed = medf(x => x.cpu_seconds ?? NaN);
  const last = p[p.length - 1];
  console.log(`files ${last.files_read} -> ${last.files_written}, rows ${last.rows_written}, runs ${p.length}`);
  console.log(`prestige ${p.map(x => x.seconds.toFixed(2)).join(" ")} s; duckdb ${d.map(x => x.seconds.toFixed(2)).join(" ")} s`);
  if (k.length) console.log(`baseline ${k.map(x => x.seconds.toFixed(2)).join(" ")} s (median ${med(k).toFixed(2)}, ratio ${(med(d) / med(k)).toFixed(2)}x)`);
  console.log(`cpu (user+sys, median): prestige ${cmed(p).toFixed(2)} s` + (k.length ? `, baseline ${cmed(k).toFixed(2)} s` : "") +
              `, duckdb ${cmed(d).toFixed(2)} s`);
  console.log(`median: prestige ${med(p).toFixed(2)} s, duckdb ${med(d).toFixed(2)} s, ratio ${(med(d) / med(p)).toFixed(2)}x` +
              ` (bytes written: prestige ${last.bytes_written}, duckdb ${d[d.length - 1].bytes})`);
  require("fs").appendFileSync(process.env.BENCH_RESULTS,
    `compact\t${last.files_read} files -> ${last.files_written}, wall\t${med(p).toFixed(3)}\t${med(d).toFixed(3)}\t${(med(d) / med(p)).toFixed(3)}\ts\tDuckDB COPY ... ORDER BY, threads=1\n` +
    `compact\t${last.files_read} files -> ${last.files_written}, CPU\t${cmed(p).toFixed(3)}\t${cmed(d).toFixed(3)}\t${(cmed(d) / cmed(p)).toFixed(3)}\ts\tDuckDB COPY ... ORDER BY, threads=1\n`);' \
  "[$(IFS=,; echo "${P[*]}")]" "[$(IFS=,; echo "${K[*]:-}")]" "[$(IFS=,; echo "${Q[*]}")]"

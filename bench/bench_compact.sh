#!/usr/bin/env bash
# Compaction: FILES small Parquet files (ROWS rows in all, random ids) appended to a table sorted by
# id, then compacted by prestige into sorted target-size files, against DuckDB (threads=1) doing the
# same rewrite: COPY (SELECT * FROM read_parquet([...]) ORDER BY id) TO ... (snappy, both).
# FILES (200) and ROWS (10,000,000) override the sizes; TARGET the file size (512 MiB).
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/release/bench/bench_compact
D=build/bench/compact
files=${FILES:-200}
rows=${ROWS:-10000000}
target=${TARGET:-536870912}
rm -rf "$D"
mkdir -p "$D/src"
per=$((rows / files))
node bench/duckdb_compact.mjs gen "$D/src" "$files" "$per"
$B setup "$D" "$D"/src/*.parquet
p=$($B compact "$D" "$target")
d=$(node bench/duckdb_compact.mjs copy "$D/src" "$D/duck.parquet")
node -e '
  const p = JSON.parse(process.argv[1]), d = JSON.parse(process.argv[2]);
  console.log(`files ${p.files_read} -> ${p.files_written}, rows ${p.rows_written}`);
  console.log(`prestige ${p.seconds.toFixed(2)} s, duckdb ${d.seconds.toFixed(2)} s, ratio ${(d.seconds / p.seconds).toFixed(2)}x` +
              ` (bytes written: prestige ${p.bytes_written}, duckdb ${d.bytes})`);' "$p" "$d"

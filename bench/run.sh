#!/usr/bin/env bash
# Runs every benchmark script bench/bench_*.sh in turn. Each one measures prestige and DuckDB
# (or curl) in the same run and prints the ratio, because these machines are shared and noisy.
# BENCH=pattern limits the run.
set -uo pipefail
cd "$(dirname "$0")/.."
export PRESTIGE_ROOT="$PWD"
mkdir -p build/bench
export BENCH_RESULTS="$PWD/build/bench/results.tsv"
rm -f "$BENCH_RESULTS"
rc=0
for s in bench/bench_*.sh; do
  [ -e "$s" ] || continue
  [ -n "${BENCH:-}" ] && [[ "$s" != *$BENCH* ]] && continue
  echo "=== $s"
  bash "$s" || { echo "benchmark $s failed"; rc=1; }
done
# every figure the scripts recorded (bench/lib.sh), in one table and as build/bench/results.json
node -e '
const fs = require("fs");
const file = process.argv[1];
const rows = fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => {
  const [bench, name, prestige, peer, ratio, unit, note] = l.split("\t");
  return { bench, case: name, prestige: Number(prestige), peer: Number(peer), ratio: Number(ratio), unit, note };
}) : [];
const fmt = (x) => Math.abs(x) >= 1000 ? Math.round(x).toLocaleString("en-US") : String(Number(x.toPrecision(4)));
const w = [8, 52, 14, 14, 7, 8];
console.log("\n=== results (" + rows.length + " figures; ratio > 1: prestige ahead)");
console.log(["bench", "case", "prestige", "peer", "ratio", "unit"].map((h, i) => i >= 2 && i <= 4 ? h.padStart(w[i]) : h.padEnd(w[i])).join(" ") + " peer");
for (const r of rows)
  console.log([r.bench.padEnd(w[0]), r.case.padEnd(w[1]), fmt(r.prestige).padStart(w[2]), fmt(r.peer).padStart(w[3]),
               (r.ratio.toFixed(2) + "x").padStart(w[4]), (r.unit || "").padEnd(w[5]), r.note || ""].join(" "));
fs.writeFileSync(process.argv[2], JSON.stringify({ date: new Date().toISOString(), host_cores: require("os").cpus().length, results: rows }, null, 2) + "\n");
console.log("(written to " + process.argv[2] + ")");
' "$BENCH_RESULTS" build/bench/results.json || rc=1
exit $rc

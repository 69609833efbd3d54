#!/usr/bin/env bash
# Parquet writer: prestige vs DuckDB COPY (threads=1) on identical tables, measured in the same run;
# then prestige's encoding threads (THREADS of bench_writer) against DuckDB's default threads.
# MB/s is the size of the Arrow input (the same table for both) divided by the time.
# ROWS_SENSOR / ROWS_WIDE override the sizes (defaults 10,000,000 and 2,000,000).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
B=build/release/bench/bench_writer
D=build/bench
mkdir -p "$D"
rs=${ROWS_SENSOR:-10000000}
rw=${ROWS_WIDE:-2000000}
printf "%-8s %-7s %10s %14s %14s %8s %9s %9s %12s %12s %8s %10s\n" dataset codec rows prestige_r/s duckdb_r/s ratio p_MB/s d_MB/s prestige_B duckdb_B size_x peak_MB
for kind in sensor wide; do
  rows=$rs; [ $kind = wide ] && rows=$rw
  for codec in zstd snappy; do
    p=$($B $kind $rows $codec "$D/p-$kind-$codec.parquet")
    d=$(node bench/duckdb_writer.mjs $kind $rows $codec "$D/d-$kind-$codec.parquet")
    node -e '
      const p = JSON.parse(process.argv[1]), d = JSON.parse(process.argv[2]);
      const f = (x) => x.toLocaleString("en-US");
      console.log([process.argv[3].padEnd(8), process.argv[4].padEnd(7), String(p.rows).padStart(10),
        f(p.rows_per_s).padStart(14), f(d.rows_per_s).padStart(14), (p.rows_per_s / d.rows_per_s).toFixed(2).padStart(8),
        p.mb_per_s.toFixed(0).padStart(9), (p.input_mb / d.seconds).toFixed(0).padStart(9),
        String(p.file_size).padStart(12), String(d.file_size).padStart(12), (p.file_size / d.file_size).toFixed(3).padStart(8),
        p.peak_rss_mb.toFixed(0).padStart(10)].join(" "));' "$p" "$d" $kind $codec
  done
done
# threads: prestige threads=1 vs DuckDB threads=1, and prestige with the core count vs DuckDB with
# its default threads (all cores); 3 rounds, the sides alternating, medians compared
# (WRITER_ROUNDS changes the rounds; the load average is printed since the machine may be shared)
echo
cores=$(nproc)
echo "SensorData $rs rows, median of ${WRITER_ROUNDS:-3} alternating rounds (load average: $(cut -d' ' -f1-3 /proc/loadavg)):"
printf "%-7s %-34s %9s %9s %8s\n" codec case prestige_s duckdb_s ratio
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for codec in zstd snappy; do
  for mode in single multi; do
    pt=(); dt=()
    for ((round = 0; round < ${WRITER_ROUNDS:-3}; round++)); do
      if [ $mode = single ]; then pth=1; dth=1; else pth=$cores; dth=default; fi
      pt+=("$(THREADS=$pth $B sensor $rs $codec "$D/p-threads.parquet" | node -e 'process.stdin.on("data", (b) => console.log(JSON.parse(b).seconds))')")
      dt+=("$(DUCKDB_THREADS=$dth node bench/duckdb_writer.mjs sensor $rs $codec "$D/d-threads.parquet" | node -e 'process.stdin.on("data", (b) => console.log(JSON.parse(b).seconds))')")
    done
    p=$(median "${pt[@]}"); d=$(median "${dt[@]}")
    if [ $mode = single ]; then what="threads=1 vs DuckDB threads=1"; else what="threads=$cores vs DuckDB default threads"; fi
    printf "%-7s %-34s %9s %9s %7.2fx   (prestige %s; DuckDB %s)\n" $codec "$what" "$p" "$d" "$(echo "$d / $p" | bc -l)" "${pt[*]}" "${dt[*]}"
    bench_record writer "write $rs SensorData, $codec, $what" "$p" "$d" "$(echo "$d / $p" | bc -l)" s "DuckDB COPY, median of ${WRITER_ROUNDS:-3}"
  done
done
rm -f "$D/p-threads.parquet" "$D/d-threads.parquet"

# memory stays bounded as the row count grows: batches are made, written and freed one at a time
echo
echo "peak RSS while streaming SensorData (ZSTD, default row groups of 1,048,576 rows):"
for rows in 1000000 ${ROWS_STREAM:-50000000}; do
  r=$($B sensor $rows zstd "$D/stream.parquet" stream)
  node -e 'const r = JSON.parse(process.argv[1]); console.log(`  ${String(r.rows).padStart(10)} rows: ${r.peak_rss_mb.toFixed(0)} MB`)' "$r"
done
rm -f "$D/stream.parquet"

#!/usr/bin/env bash
# ParquetSink throughput: SensorData records from 1 and 4 producer threads (ZSTD, 100k-row files, medians)
# against DuckDB's appender inserting the same rows and exporting them to Parquet (threads=1), in
# the same run; and peak RSS as the record count grows from 1 to 50 million (it must stay flat).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
B=build/release/bench/bench_sink
T=$(mktemp -d "${TMPDIR:-/tmp}/prestige-bench-sink.XXXXXX")
trap 'rm -rf "$T"' EXIT
N=${SINK_ROWS:-5000000}
# median of 3 rounds (SINK_ROUNDS), the sides alternating; the sink's writer encodes on the
# number of cores (WRITER_THREADS to change it)
median_rate() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
r1=(); r4=(); rd=()
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 0; round < ${SINK_ROUNDS:-3}; round++)); do
  rm -rf "$T"/s1 "$T"/s4; r1+=("$($B 1 "$N" "$T/s1" | awk '{print $4}')"); r4+=("$($B 4 "$N" "$T/s4" | awk '{print $4}')")
  rd+=("$(node bench/duckdb_appender.mjs "$N" "$T/duck.parquet" | awk '{printf "%.0f", $1 / $2}')")
done
p1=$(median_rate "${r1[@]}"); p4=$(median_rate "${r4[@]}"); d=$(median_rate "${rd[@]}")
printf '%-36s %14s %8s\n' "$N SensorData records" "records/s" "ratio"
printf '%-36s %14s %8s\n' "DuckDB appender + COPY (threads=1)" "$d" "1.00x"
printf '%-36s %14s %7.2fx\n' "prestige sink, 1 producer thread" "$p1" "$(echo "$p1 / $d" | bc -l)"
printf '%-36s %14s %7.2fx\n' "prestige sink, 4 producer threads" "$p4" "$(echo "$p4 / $d" | bc -l)"
printf '%-36s %14s %7.2fx   (1 producer: %s; 4 producers: %s)\n' "4 producers vs 1" "" "$(echo "$p4 / $p1" | bc -l)" "${r1[*]}" "${r4[*]}"
bench_record sink "$N records, 1 producer vs DuckDB appender + COPY" "$p1" "$d" "$(echo "$p1 / $d" | bc -l)" records/s "DuckDB appender + COPY, threads=1"
bench_record sink "$N records, 4 producers vs 1 producer" "$p4" "$p1" "$(echo "$p4 / $p1" | bc -l)" records/s "the same sink with 1 producer"
echo "peak RSS (1 producer) as the record count grows:"
for n in 1000000 10000000 ${RSS_MAX_ROWS:-50000000}; do
  rm -rf "$T/rss"
  $B 1 "$n" "$T/rss" | awk '{printf "  %10d records: %4d MB peak RSS, %3d files, %.0f records/s\n", $2, $5, $6, $4}'
done

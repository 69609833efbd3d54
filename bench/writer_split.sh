#!/usr/bin/env bash
# Where the single-threaded writer's time goes (perf, DWARF call graphs, 2 kHz): the CPU ms of
# prestige_parquet_writer_write + _close (total), of pq_compress (compress), of the output's
# writes (write) and the rest (encode: levels, values, dictionary, statistics, page assembly).
# usage: bench/writer_split.sh [BENCH_WRITER_BINARY] [ROWS]   (SensorData, zstd and snappy)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release/bench/bench_writer}
rows=${2:-3000000}
P=$(mktemp "${TMPDIR:-/tmp}/writer-split.XXXXXX")
trap 'rm -f "$P" "$P.parquet"' EXIT
printf "%-7s %10s %10s %10s %10s\n" codec total_ms encode_ms compress_ms write_ms
for codec in zstd snappy; do
  THREADS=1 perf record -q --call-graph dwarf,16384 -F 2000 -o "$P" "$B" sensor "$rows" $codec "$P.parquet" >/dev/null 2>&1
  total=$(perf report -i "$P" -n --no-children --sort dso --stdio -g none 2>/dev/null | awk '/^ +[0-9.]+%/ { n += $2 } END { print n }')
  perf report -i "$P" --children --sort symbol --stdio -g none 2>/dev/null | awk -v codec=$codec -v n="$total" '
    / \[\.\] prestige_parquet_writer_(write|close) / { t += $1 }
    / \[\.\] pq_compress / { c += $1 }
    / \[\.\] write_out / { w += $1 }
    END { k = n / 2000 * 1000 / 100; printf "%-7s %10.0f %10.0f %10.0f %10.0f\n", codec, t * k, (t - c - w) * k, c * k, w * k }'
done

# Sourced by bench/bench_*.sh: bench_record files one figure for the results table bench/run.sh
# prints at the end and writes as build/bench/results.json.
#   bench_record BENCH CASE PRESTIGE PEER RATIO [UNIT] [NOTE]
# PRESTIGE and PEER are the two measurements (in UNIT, e.g. rows/s or s), RATIO is prestige's
# advantage (>1: prestige is faster), NOTE says what the peer is.
export BENCH_RESULTS=${BENCH_RESULTS:-$PWD/build/bench/results.tsv}
mkdir -p "$(dirname "$BENCH_RESULTS")"
bench_record() {
  mkdir -p "$(dirname "$BENCH_RESULTS")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "${6:-}" "${7:-}" >> "$BENCH_RESULTS"
}

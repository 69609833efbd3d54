#!/usr/bin/env bash
# Builds every fuzz/*.c target with clang (libFuzzer + ASan + UBSan) over the library sources
# and runs each for SECONDS seconds (default 60), seeded with the parquet-testing corpus.
# A crash leaves the reproducer in build/fuzz/ and fails the run. FUZZ_SEED fixes libFuzzer's
# seed and FUZZ_RUNS bounds the number of inputs (make test uses seed 1 and 250000 runs, so its
# run is the same inputs every time); unset, every run explores anew for SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
out=build/fuzz
root=$PWD
mkdir -p "$out"
LIBS="-lzstd -lsnappy -lz -llz4 -lbrotlienc -lbrotlidec -lcurl -lssl -lcrypto -ljansson -lsqlite3 -lpq -lmicrohttpd -lpthread -lm"
srcs=$(ls src/*/*.c)
for t in fuzz/*.c; do
  name=$(basename "$t" .c)
  clang -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -Isrc $(pkg-config --cflags libpq 2>/dev/null) \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    "$t" $srcs -o "$out/$name" $LIBS
  corpus="$out/$name-corpus"
  mkdir -p "$corpus"
  rm -f "$corpus"/large_string_map*
  # seeds: the corpus files except large_string_map (a legitimate 1 GiB page, beyond the fuzzer's memory limit)
  for f in ../shared/parquet-testing/data/*.parquet; do
    case "$f" in *large_string_map*) continue ;; esac
    [ -e "$corpus/$(basename "$f")" ] || cp "$f" "$corpus/"
  done
  cp tests/parquet/fuzz_regressions/*.parquet "$corpus/" 2>/dev/null || true
  echo "fuzzing $name for ${secs}s"
  rc=0
  seed_arg=""
  [ -n "${FUZZ_SEED:-}" ] && seed_arg="-seed=$FUZZ_SEED"
  [ -n "${FUZZ_RUNS:-}" ] && seed_arg="$seed_arg -runs=$FUZZ_RUNS"
  (cd "$out" && "./$name" $seed_arg -max_total_time="$secs" -max_len=262144 -rss_limit_mb=2048 -timeout=20 \
      -artifact_prefix="$root/$out/$name-" "$name-corpus" > "$name.log" 2>&1) || rc=$?
  tail -4 "$out/$name.log"
  if [ $rc -ne 0 ]; then echo "fuzz target $name failed (exit $rc); see $out/$name.log"; exit 1; fi
done

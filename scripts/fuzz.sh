#!/usr/bin/env bash
# Builds every fuzz/*.c target with clang (libFuzzer + ASan + UBSan) over the library sources
# (compiled once, shared by the targets) and runs each for SECONDS seconds (default 60), seeded
# per target: fuzz_reader with the parquet-testing corpus and tests/parquet/fuzz_regressions,
# fuzz_avro with tests/avro/seeds (small files from our writer and python3-avro's, every codec).
# A crash leaves the reproducer in build/fuzz/ and fails the run. FUZZ_SEED fixes libFuzzer's
# seed and FUZZ_RUNS bounds the number of inputs, FUZZ_RUNS_<target> for one target (make test
# uses seed 1 and fixed counts, so its run is the same inputs every time); unset, every run
# explores anew for SECONDS. Arguments after SECONDS name the targets to run (default: all).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
out=build/fuzz
root=$PWD
mkdir -p "$out/obj"
LIBS="-lzstd -lsnappy -lz -llz4 -lbrotlienc -lbrotlidec -lcurl -lssl -lcrypto -ljansson -lsqlite3 -lpq -lmicrohttpd -lpthread -lm"
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -Isrc $(pkg-config --cflags libpq 2>/dev/null) -fno-sanitize-recover=undefined"

# the library once, two compilers at a time; objects are rebuilt when their source is newer
objs=()
stale=()
for s in src/*/*.c; do
  o="$out/obj/$(echo "${s%.c}" | tr '/' '_').o"
  objs+=("$o")
  if [ "$o" -nt "$s" ] && [ "$o" -nt scripts/fuzz.sh ] && ! find src include -name '*.h' -newer "$o" | grep -q .; then continue; fi
  stale+=("$s" "$o")
done
if [ ${#stale[@]} -gt 0 ]; then
  printf '%s\n' "${stale[@]}" | xargs -n 2 -P 2 sh -c "clang $CFLAGS -fsanitize=fuzzer-no-link,address,undefined -c \"\$0\" -o \"\$1\""
fi

seed_corpus() { # target corpus-dir
  case "$1" in
    fuzz_reader)
      rm -f "$2"/large_string_map*
      # the corpus files except large_string_map (a legitimate 1 GiB page, beyond the fuzzer's memory limit)
      for f in ../shared/parquet-testing/data/*.parquet; do
        case "$f" in *large_string_map*) continue ;; esac
        [ -e "$2/$(basename "$f")" ] || cp "$f" "$2/"
      done
      cp tests/parquet/fuzz_regressions/*.parquet "$2/" 2>/dev/null || true
      ;;
    fuzz_avro) cp tests/avro/seeds/*.avro "$2/" ;;
  esac
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=($(ls fuzz/*.c | xargs -n1 basename | sed 's/\.c$//'))
for name in "${targets[@]}"; do
  clang $CFLAGS -fsanitize=fuzzer,address,undefined "fuzz/$name.c" "${objs[@]}" -o "$out/$name" $LIBS
  corpus="$out/$name-corpus"
  mkdir -p "$corpus"
  seed_corpus "$name" "$corpus"
  runs_var="FUZZ_RUNS_$name"
  runs="${!runs_var:-${FUZZ_RUNS:-}}"
  echo "fuzzing $name for ${secs}s${runs:+ or $runs inputs}"
  rc=0
  seed_arg=""
  [ -n "${FUZZ_SEED:-}" ] && seed_arg="-seed=$FUZZ_SEED"
  [ -n "$runs" ] && seed_arg="$seed_arg -runs=$runs"
  (cd "$out" && "./$name" $seed_arg -max_total_time="$secs" -max_len=262144 -rss_limit_mb=2048 -timeout=20 \
      -artifact_prefix="$root/$out/$name-" "$name-corpus" > "$name.log" 2>&1) || rc=$?
  tail -4 "$out/$name.log"
  if [ $rc -ne 0 ]; then echo "fuzz target $name failed (exit $rc); see $out/$name.log"; exit 1; fi
done

#!/usr/bin/env bash
# Bad input never crashes the reader: every file of parquet-testing/bad_data, the encrypted
# files, and truncated and bit-flipped copies of good files give exit status 0 or 1 (never a
# crash, a sanitizer report or a hang), and the bad files give a clear error.
set -uo pipefail
cd "$(dirname "$0")/../.."
P=build/asan/prestige
export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
T=$(mktemp -d "${TMPDIR:-/tmp}/prestige-bad.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
run() { # file -> sets rc, err
  timeout 30 "$P" scan "$1" >/dev/null 2>"$T/err"; rc=$?
  if [ $rc -gt 1 ] || grep -q "Sanitizer\|runtime error" "$T/err"; then
    fail=$((fail + 1)); echo "FAIL $1: exit $rc"; head -5 "$T/err"
  else pass=$((pass + 1)); fi
}
for f in ../shared/parquet-testing/bad_data/*; do
  run "$f"
  if [ $rc -eq 0 ]; then echo "note: $(basename "$f") read without error"; fi
  [ $rc -eq 1 ] && echo "bad_data $(basename "$f"): $(head -1 "$T/err" | cut -c1-160)"
done
for f in tests/parquet/fuzz_regressions/*.parquet; do  # inputs the fuzzer once broke us with
  run "$f"
done
for f in ../shared/parquet-testing/data/*.encrypted; do
  run "$f"
  grep -q "encrypted files are not supported" "$T/err" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL $f: no clear encryption error"; }
done
# truncations and bit flips of good files (deterministic positions)
n=0
for f in $(ls ../shared/parquet-testing/data/*.parquet | head -40); do
  size=$(stat -c %s "$f")
  for frac in 10 50 90 99; do
    head -c $((size * frac / 100)) "$f" > "$T/cut.parquet"; run "$T/cut.parquet"; n=$((n + 1))
  done
  for k in 1 2 3 4 5; do
    cp "$f" "$T/flip.parquet"
    pos=$(( (size * k * 13 / 71) % size ))
    printf "\\x$(printf %02x $(( (k * 37 + 101) % 256 )))" | dd of="$T/flip.parquet" bs=1 seek=$pos conv=notrunc 2>/dev/null
    run "$T/flip.parquet"; n=$((n + 1))
  done
done
echo "mutated copies: $n"
echo "RESULT $pass $fail"
[ $fail -eq 0 ]

#!/usr/bin/env bash
# Bad input never crashes the reader: every file of parquet-testing/bad_data, the encrypted
# files, and truncated and bit-flipped copies of good files give exit status 0 or 1 (never a
# crash, a sanitizer report or a hang), and the bad files give a clear error.
# Each scan runs under a CPU-time limit, which measures work rather than wall time, so a loaded
# machine does not fail it. The most work any copy legitimately takes is reading a bit-flipped
# large_string_map whole (its 1 GiB pages: about 90 s of CPU under ASan), so files whose row groups
# hold more than 256 MiB are truncated but not bit-flipped; a corrupt page fails when its decoding
# reaches the corruption. SCAN_CPU_SECONDS (default 300) sets the limit.
source "$(dirname "$0")/../common/prologue.sh"
cpu=${SCAN_CPU_SECONDS:-300}
run() { # file -> sets rc
  st_of cpu_limit "$cpu" "$P" scan "$1" >/dev/null 2>"$T/err"
  rc=$st
  if [ $rc -gt 1 ] || grep -q "Sanitizer\|runtime error" "$T/err"; then
    fail=$((fail + 1)); echo "FAIL $1: exit $rc"; head -5 "$T/err"
  else pass=$((pass + 1)); fi
}
for f in ../shared/parquet-testing/bad_data/*; do
  run "$f"
  if [ $rc -eq 0 ]; then echo "note: $(basename "$f") read without error"; fi
  if [ $rc -eq 1 ]; then echo "bad_data $(basename "$f"): $(head -1 "$T/err" | cut -c1-160)"; fi
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
good=(../shared/parquet-testing/data/*.parquet)
for f in "${good[@]:0:40}"; do
  size=$(stat -c %s "$f")
  for frac in 10 50 90 99; do
    head -c $((size * frac / 100)) "$f" > "$T/cut.parquet"; run "$T/cut.parquet"; n=$((n + 1))
  done
  # a bit flip in a file whose pages hold gigabytes (large_string_map: 2 GiB in two values) can
  # make the copy read them all, minutes of CPU under ASan that test the decoder no more than the
  # small files do; its truncations stay (they fail at the cut)
  ubytes=$("$P" meta "$f" 2>/dev/null | sed -n 's/.* rows, \([0-9]*\) bytes uncompressed.*/\1/p' | sort -n | tail -1)
  if [ "${ubytes:-0}" -gt $((256 << 20)) ]; then echo "bit flips skipped: $(basename "$f") ($ubytes bytes uncompressed)"; continue; fi
  for k in 1 2 3 4 5; do
    cp "$f" "$T/flip.parquet"
    pos=$(( (size * k * 13 / 71) % size ))
    printf "\\x$(printf %02x $(( (k * 37 + 101) % 256 )))" | dd of="$T/flip.parquet" bs=1 seek=$pos conv=notrunc 2>/dev/null
    run "$T/flip.parquet"; n=$((n + 1))
  done
done
echo "mutated copies: $n"
result

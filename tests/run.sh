#!/usr/bin/env bash
# Runs every test: unit-test binaries (built under ASan + UBSan in build/asan/tests) and
# integration scripts (tests/*/it_*.sh). Prints one line per test and the closing count.
# TESTS=pattern limits the run to tests whose path matches the pattern.
set -uo pipefail
cd "$(dirname "$0")/.."
export PRESTIGE_ROOT="$PWD"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:${LSAN_OPTIONS:-}"
pattern="${TESTS:-}"
mkdir -p build/test-logs
passed=0; failed=0; failed_names=()
start_all=$(date +%s)

run_one() {
  local name="$1"; shift
  local log="build/test-logs/$(echo "$name" | tr '/' '_').log"
  local t0=$(date +%s)
  timeout "${TEST_TIMEOUT:-900}" "$@" >"$log" 2>&1
  local rc=$?
  local t1=$(date +%s)
  local result; result=$(grep -E '^RESULT [0-9]+ [0-9]+$' "$log" | tail -1)
  local checks=""
  [ -n "$result" ] && checks=" ($(echo "$result" | awk '{print $2" checks passed, "$3" failed"}'))"
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1)); echo "ok   $name$checks [$((t1 - t0))s]"
  else
    failed=$((failed + 1)); failed_names+=("$name")
    echo "FAIL $name (exit $rc)$checks [$((t1 - t0))s] — log: $log"
    tail -n 30 "$log" | sed 's/^/     | /'
  fi
}

for bin in $(find build/asan/tests -type f -perm -u+x -name 'test_*' 2>/dev/null | sort); do
  name=${bin#build/asan/}
  [ -n "$pattern" ] && [[ "$name" != *$pattern* ]] && continue
  run_one "$name" "$bin"
done
for script in $(ls tests/*/it_*.sh 2>/dev/null | sort); do
  [ -n "$pattern" ] && [[ "$script" != *$pattern* ]] && continue
  run_one "$script" bash "$script"
done

echo "total time: $(( $(date +%s) - start_all ))s"
[ $failed -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

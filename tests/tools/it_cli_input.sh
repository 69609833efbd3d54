#!/usr/bin/env bash
# CLI input handling: strict option values (usage errors, exit 2), file:// URLs, poll on a missing
# directory, CSV columns matched by header name, duplicate names and keys, keys the schema lacks,
# invalid UTF-8 (rejected with line and column, or read as binary on request), epoch numbers in
# timestamp columns. Values written are read back with DuckDB.
source "$(dirname "$0")/../common/prologue.sh"
set +e # the checks below read exit statuses themselves (ok/bad/check count them)
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

# --- CSV with --schema: columns matched by header name, in any order (DuckDB reads the values back)
printf 'a,b\n1,hello\n2,world\n' > "$T/ab.csv"
check "$P sink --name s --dir '$T/sd1' --format csv --schema 'b:string,a:string' < '$T/ab.csv' > /dev/null"
got=$(duck "SELECT string_agg(b || '=' || a, ' ' ORDER BY a) v FROM read_parquet('$T/sd1/*.parquet')")
check "echo '$got' | grep -q '\"v\":\"hello=1 world=2\"'"
check "$P convert '$T/ab.csv' '$T/ab.parquet' --schema 'b:string,a:int32' --quiet"
got=$(duck "SELECT string_agg(column_name || ':' || column_type, ',') t FROM (DESCRIBE SELECT * FROM read_parquet('$T/ab.parquet'))")
check "echo '$got' | grep -q '\"t\":\"b:VARCHAR,a:INTEGER\"'"
got=$(duck "SELECT sum(a)::VARCHAR s, min(b) m FROM read_parquet('$T/ab.parquet')")
check "echo '$got' | grep -q '\"s\":\"3\",\"m\":\"hello\"'"
$P convert "$T/ab.csv" "$T/x.parquet" --schema 'b:string,c:string' > /dev/null 2> "$T/err"; rc=$?
check "[ $rc -eq 1 ] && grep -q 'the header has no column \"c\"' '$T/err' && [ ! -e '$T/x.parquet' ]"
printf 'a,b,extra\n1,x,9\n' > "$T/abx.csv"
$P convert "$T/abx.csv" "$T/abx.parquet" --schema 'a:int64,b:string' --quiet 2> "$T/err"; rc=$?
check "[ $rc -eq 0 ] && grep -q '\"extra\" is not a column of the schema' '$T/err' && [ \$(wc -l < '$T/err') -eq 1 ]"
$P convert "$T/abx.csv" "$T/x.parquet" --schema 'a:int64,b:string' --strict --quiet 2> "$T/err"; rc=$?
check "[ $rc -eq 1 ] && grep -q 'column \"extra\": the schema does not name it' '$T/err'"

# --- duplicate names: CSV header, JSON keys (with the line)
printf 'a,a\n1,2\n' > "$T/dup.csv"
$P convert "$T/dup.csv" "$T/x.parquet" --quiet 2> "$T/err"; rc=$?
check "[ $rc -eq 1 ] && grep -q 'columns 1 and 2 are both named \"a\"' '$T/err' && [ ! -e '$T/x.parquet' ]"
printf '{"a":1}\n{"a":1,"a":2}\n' > "$T/dup.jsonl"
$P convert "$T/dup.jsonl" "$T/x.parquet" --quiet 2> "$T/err"; rc=$?
check "[ $rc -eq 1 ] && grep -q 'line 2, character [0-9]*: duplicate key \"a\"' '$T/err'"

# --- JSON keys the schema lacks: reported once each on stderr, or an error with --strict
awk 'BEGIN { for (i = 0; i < 100; i++) printf "{\"a\":%d,\"b\":\"x\",\"c\":%d}\n", i, i }' > "$T/keys.jsonl"
$P sink --name k --dir "$T/sd2" --schema 'a:int64' < "$T/keys.jsonl" > /dev/null 2> "$T/err"; rc=$?
check "[ $rc -eq 0 ] && [ \$(grep -c 'is not a column of the schema' '$T/err') -eq 2 ] && grep -q 'line 1: \"b\"' '$T/err'"
got=$(duck "SELECT count(*)::VARCHAR n, sum(a)::VARCHAR s FROM read_parquet('$T/sd2/*.parquet')")
check "echo '$got' | grep -q '\"n\":\"100\",\"s\":\"4950\"'"
$P sink --name k --dir "$T/sd3" --schema 'a:int64' --strict < "$T/keys.jsonl" > "$T/out" 2> "$T/err"; rc=$?
check "[ $rc -eq 1 ] && grep -q 'line 1: key \"b\": the schema does not name it' '$T/err'"

# --- invalid UTF-8: rejected with line and column, or kept as binary when the schema says so
printf 'id,name\n1,caf\xc3\xa9\n2,ab\xff\n' > "$T/bad8.csv"
$P convert "$T/bad8.csv" "$T/x.parquet" --quiet 2> "$T/err"; rc=$?
check "[ $rc -eq 1 ] && grep -q 'line 3, column 2 (\"name\"): invalid UTF-8 at byte 3' '$T/err' && [ ! -e '$T/x.parquet' ]"
$P sink --name u --dir "$T/sd4" --format csv --schema 'id:int64,name:string' < "$T/bad8.csv" > /dev/null 2> "$T/err"; rc=$?
check "[ $rc -eq 1 ] && grep -q 'line 3, column 2' '$T/err'"
check "$P convert '$T/bad8.csv' '$T/bin.parquet' --schema 'id:int64,name:binary' --quiet"
got=$(duck "SELECT string_agg(hex(name), ',' ORDER BY id) h FROM read_parquet('$T/bin.parquet')")
check "echo '$got' | grep -q '\"h\":\"636166C3A9,6162FF\"'"
check "$P convert '$T/bad8.csv' '$T/ok8.parquet' --schema 'id:int64,name:binary' --quiet"

# --- epoch numbers in timestamp columns, in the column's unit
printf '{"ts":1700000000000,"s":1700000000}\n{"ts":"2024-01-01T00:00:00Z","s":"2024-01-01T00:00:00Z"}\n' > "$T/ts.jsonl"
check "$P convert '$T/ts.jsonl' '$T/ts.parquet' --schema 'ts:timestamp(ms,UTC),s:timestamp(s,UTC)' --quiet"
got=$(duck "SELECT string_agg(epoch_ms(ts)::VARCHAR || '/' || epoch(s)::BIGINT::VARCHAR, ' ') v FROM read_parquet('$T/ts.parquet')")
check "echo '$got' | grep -q '\"v\":\"1700000000000/1700000000 1704067200000/1704067200\"'"
printf 'ts\n1700000000123\n' > "$T/ts.csv"
check "$P convert '$T/ts.csv' '$T/tsc.parquet' --schema 'ts:timestamp(ms,UTC)' --quiet"
got=$(duck "SELECT epoch_ms(ts)::VARCHAR v FROM read_parquet('$T/tsc.parquet')")
check "echo '$got' | grep -q '\"v\":\"1700000000123\"'"

result

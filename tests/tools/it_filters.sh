#!/usr/bin/env bash
# --where from the command line (issue 13 §1-3): a filter on a column left out of --columns, for
# one file and many; unknown columns and literals their column cannot hold are usage errors
# (exit 2) naming the column; comparisons that must agree with DuckDB's WHERE (timestamps and
# dates with and without zones, decimals, unsigned above 2^63, NaN), on a file DuckDB wrote and
# on the same rows rewritten by prestige (whose statistics prune).
source "$(dirname "$0")/../common/prologue.sh"
set +e # the checks below read exit statuses themselves (ok/bad/check count them)
json_field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let v;try{v=process.argv[1].split(".").reduce((o,k)=>o&&o[k],JSON.parse(s))}catch(e){};console.log(v)})' "$1"; }

# --- §1: the filter's column is not among --columns (cat and scan, one file and many)
printf 'a,b\n1,2\n6,3\n' > "$T/t.csv"
check "$P convert '$T/t.csv' '$T/t.parquet' --quiet"
check "[ \"\$($P cat '$T/t.parquet' --columns b --where 'a > 5')\" = '{\"b\":3}' ]"
check "[ \"\$($P cat '$T/t.parquet' --columns b --where 'a > 5' --format csv)\" = \"\$(printf 'b\n3')\" ]"
check "[ \"\$($P scan '$T/t.parquet' --columns b --where 'a > 5' | json_field rows)\" = 1 ]"
check "[ \"\$($P scan '$T/t.parquet' --columns b --where 'a > 5' | json_field 'columns.b.checksum')\" = 3 ]"
mkdir -p "$T/dir"
cp "$T/t.parquet" "$T/dir/1.parquet"; cp "$T/t.parquet" "$T/dir/2.parquet"
check "[ \"\$($P cat '$T/dir' --columns b --where 'a > 5' | sort | uniq -c | awk '{print \$1, \$2}')\" = '2 {\"b\":3}' ]"
check "[ \"\$($P cat '$T/dir/1.parquet' '$T/dir/2.parquet' --unordered --columns b --where 'NOT a <= 5' | wc -l)\" -eq 2 ]"
check "[ \"\$($P cat '$T/t.parquet' --where 'a > 5 AND b IS NOT NULL' --columns a)\" = '{\"a\":6}' ]"

# --- §2: unknown columns and incomparable literals are usage errors naming the column
for where in "zz > 5|\"zz\"" "a = 'x'|column \"a\"" "b = true|column \"b\"" "a.x = 1|a.x"; do
  w=${where%%|*}; says=${where#*|}
  for files in "'$T/t.parquet'" "'$T/dir'" "'$T/dir/1.parquet' '$T/dir/2.parquet' --unordered"; do
    eval "$P cat $files --where \"\$w\"" >"$T/out" 2>"$T/err"; rc=$?
    check "[ $rc -eq 2 ] && grep -qF -- '$says' '$T/err' && [ ! -s '$T/out' ]"
  done
  $P scan "$T/t.parquet" --where "$w" >/dev/null 2>"$T/err"; rc=$?
  check "[ $rc -eq 2 ] && grep -qF -- '$says' '$T/err'"
done
$P cat "$T/t.parquet" --where "a = 'x'" >/dev/null 2>"$T/err"
check "grep -q \"cannot be compared with 'x'\" '$T/err'"

# --- §3: counts equal DuckDB's, on a DuckDB file and on prestige's rewrite of it
duck "COPY (SELECT i AS id,
  TIMESTAMP '2023-12-28' + to_microseconds(i * 5000000) AS ts,
  TIMESTAMPTZ '2023-12-28 00:00:00+00' + to_microseconds(i * 5000000) AS tstz,
  (TIMESTAMP '2023-12-28' + to_microseconds(i * 5000000))::TIMESTAMP_NS AS tsns,
  (TIMESTAMP '2023-12-28' + to_milliseconds(i * 5000))::TIMESTAMP_MS AS tsms,
  DATE '2023-12-01' + (i // 1000)::INT AS day,
  (i * 0.14)::DECIMAL(12,2) AS dec,
  (CASE WHEN i % 1000 = 0 THEN 18446744073709551615::UBIGINT ELSE 18446744073709351616::UBIGINT + i::UBIGINT END)::UBIGINT AS u,
  CASE WHEN i % 10 = 0 THEN 'NaN'::FLOAT WHEN i % 10 = 1 THEN NULL ELSE (i % 7)::FLOAT END AS f,
  CASE WHEN i % 3 = 0 THEN NULL ELSE i % 100 - 50 END AS small
  FROM range(100000) r(i)) TO '$T/dd.parquet' (FORMAT parquet, ROW_GROUP_SIZE 20000)" >/dev/null
check "[ -s '$T/dd.parquet' ]"
check "$P convert '$T/dd.parquet' '$T/ours.parquet' --row-group-rows 10000 --quiet"
check "[ \"\$($P schema '$T/ours.parquet' | tr '\n' ' ')\" = 'id: int64 (l) ts: timestamp (tsu:) tstz: timestamp (tsu:UTC) tsns: timestamp (tsn:) tsms: timestamp (tsm:) day: date32 (tdD) dec: decimal128 (d:12,2) u: uint64 (L) f: float (f) small: int64 (l) ' ]"
cases=(
  "ts >= '2024-01-02'"
  "ts >= '2024-01-02 03:04:05'"
  "ts < '2024-01-02T03:04:05.5'"
  "ts >= '2024-01-02 00:00:00+05:00'|ts >= '2024-01-01 19:00:00'"
  "ts < '2024-01-01 21:00:00-03'|ts < '2024-01-02 00:00:00'"
  "tstz >= '2024-01-02'"
  "tstz >= '2024-01-02 00:00:00+05:00'"
  "tstz BETWEEN '2024-01-01T12:00:00Z' AND '2024-01-01 13:00:00-01:30'"
  "tsns > '2024-01-02 00:00:00.0000000005'"
  "tsms <= '2024-01-02 00:00:00.0004'"
  "day = '2023-12-31 23:00:00'"
  "day > '2024-01-01'"
  "dec > 14000"
  "dec >= 1.005"
  "dec > 1.005 AND dec < 1.5"
  "dec IN (0.14, 0.28, 0.285, 14000.00)"
  "u <= 18446744073709451616"
  "u > 9223372036854775807"
  "u = 18446744073709551615"
  "u < 18446744073709351616.5"
  "f != 1"
  "f > 1e30"
  "f = 'NaN'"
  "NOT f < 3"
  "f IS NULL OR f <= 2"
  "small > 9.5 OR small IS NULL"
  "NOT (small > 9.5)"
  "NOT (small > 9.5 AND f > 3)"
  "small NOT IN (1, 2, 3)"
)
# DuckDB's counts: WHERE on a table loaded from each file, so its Parquet pushdown plays no part.
# "ours|DuckDB's": an offset on a TIMESTAMP without zone makes the literal an instant, converted to
# UTC, as DuckDB does for TIMESTAMP_NS; DuckDB drops it for TIMESTAMP, so it gets the UTC literal.
{
  echo "-- each"
  for f in dd ours; do
    echo "CREATE OR REPLACE TABLE t_$f AS SELECT * FROM read_parquet('$T/$f.parquet')"
    for c in "${cases[@]}"; do echo "SELECT count(*)::VARCHAR AS n FROM t_$f WHERE ${c#*|}"; done
  done
} > "$T/counts.sql"
node tests/common/duckdb_query.mjs "$T/counts.sql" > "$T/counts.json"
for f in dd ours; do
  k=0
  [ $f = ours ] && k=$(( ${#cases[@]} + 1 ))
  k=$((k + 1)) # past CREATE
  for c in "${cases[@]}"; do
    want=$(node -e "const j=require('$T/counts.json');const r=j[$k];console.log(Array.isArray(r)?r[0].n:'error: '+r.error)")
    got=$($P scan "$T/$f.parquet" --columns id --where "${c%%|*}" 2>&1 | json_field rows)
    if [ "$got" = "$want" ]; then ok; else bad "$f.parquet: $c: prestige $got, DuckDB $want"; fi
    k=$((k + 1))
  done
done
# the statistics prestige writes (nan_count included) let selective filters skip row groups
check "[ \"\$($P scan '$T/ours.parquet' --where \"ts < '2023-12-28 01:00:00'\" | json_field row_groups_pruned)\" -ge 9 ]"
check "[ \"\$($P scan '$T/ours.parquet' --where 'u > 18446744073709551614' | json_field row_groups_pruned)\" -eq 0 ]"
check "[ \"\$($P scan '$T/ours.parquet' --where \"f < 0\" | json_field row_groups_pruned)\" -eq 10 ]"
check "[ \"\$($P scan '$T/ours.parquet' --where \"f > 100\" | json_field row_groups_pruned)\" -eq 0 ]" # every group holds NaN

result

#!/usr/bin/env bash
# CLI integration: convert CSV/JSONL with several codecs and check DuckDB reads the same values;
# meta on our files and the corpus; error exits and messages; help for every verb.
source "$(dirname "$0")/../common/prologue.sh"

# --- CSV with every inferred type, quoting, embedded newlines and nulls
awk 'BEGIN { print "id,name,score,day,ts,flag";
  for (i = 0; i < 5000; i++) {
    name = (i % 7 == 0) ? "\"quoted, \"\"name\"\"\nline\"" : "n" i;
    score = (i % 5 == 0) ? "" : sprintf("%.3f", i / 8);
    printf "%d,%s,%s,2024-%02d-%02d,2024-01-01T00:00:%02d.%06dZ,%s\n", i, name, score, i % 12 + 1, i % 28 + 1, i % 60, i, (i % 2 ? "true" : "false") }
}' > "$T/in.csv"
for c in snappy zstd:7 gzip brotli lz4 none; do
  out="$T/out-${c%%:*}.parquet"
  check "$P convert '$T/in.csv' '$out' --compression $c --row-group-rows 1000 --page-bytes 4096 --quiet"
  got=$(duck "SELECT count(*) c, sum(id) s, count(score) cs, round(sum(score), 3) ss, sum(length(name)) ln, count(*) FILTER (WHERE flag) f, min(day) d0, max(ts) t1 FROM read_parquet('$out')")
  want=$(duck "SELECT count(*) c, sum(id) s, count(score) cs, round(sum(score), 3) ss, sum(length(name)) ln, count(*) FILTER (WHERE flag) f, min(day) d0, max(ts) t1 FROM read_csv('$T/in.csv', header=true, types={'ts':'TIMESTAMPTZ'})")
  check "[ '$got' = '$want' ]"
done
# types as inferred
types=$(duck "SELECT string_agg(column_name || ':' || column_type, ',') t FROM (DESCRIBE SELECT * FROM read_parquet('$T/out-snappy.parquet'))")
check "echo '$types' | grep -q 'id:BIGINT,name:VARCHAR,score:DOUBLE,day:DATE,ts:TIMESTAMP WITH TIME ZONE,flag:BOOLEAN'"
# explicit schema
check "$P convert '$T/in.csv' '$T/typed.parquet' --schema 'id:int32,name:string,score:decimal(10,3),day:date,ts:timestamp(ms,UTC),flag:bool' --quiet"
types=$(duck "SELECT string_agg(column_name || ':' || column_type, ',') t FROM (DESCRIBE SELECT * FROM read_parquet('$T/typed.parquet'))")
check "echo '$types' | grep -q 'id:INTEGER,name:VARCHAR,score:DECIMAL(10,3),day:DATE,ts:TIMESTAMP WITH TIME ZONE,flag:BOOLEAN'"
got=$(duck "SELECT sum(score)::VARCHAR s FROM read_parquet('$T/typed.parquet')")
want=$(duck "SELECT sum(score::DECIMAL(10,3))::VARCHAR s FROM read_csv('$T/in.csv', header=true)")
check "[ '$got' = '$want' ]"

# --- Parquet input: rewrite with other options; values unchanged
sums=()
check "$P convert '$T/out-snappy.parquet' '$T/re.parquet' --compression zstd --page-version 2 --quiet"
for f in "$T/out-snappy.parquet" "$T/re.parquet"; do
  sums[${#sums[@]}]=$(duck "SELECT count(*) c, sum(id) s, count(score) cs, round(sum(score), 3) ss, sum(length(name)) ln, min(ts) t FROM read_parquet('$f')")
done
check "[ '${sums[0]}' = '${sums[1]}' ]"
check "$P meta '$T/re.parquet' | grep -q zstd"
for f in ../shared/parquet-testing/data/alltypes_plain.parquet ../shared/parquet-testing/data/nested_lists.snappy.parquet; do
  check "$P convert '$f' '$T/rw.parquet' --quiet"
  a=$($P scan "$f"); b=$($P scan "$T/rw.parquet")
  check "[ '$a' = '$b' ]"
done

# --- text output: Parquet -> CSV / JSON lines -> Parquet keeps the values
check "$P convert '$T/out-snappy.parquet' '$T/back.csv' --quiet"
check "$P convert '$T/out-snappy.parquet' '$T/back.jsonl' --quiet"
check "$P convert '$T/back.csv' '$T/back-csv.parquet' --quiet"
check "$P convert '$T/back.jsonl' '$T/back-jsonl.parquet' --quiet"
q="SELECT count(*) c, sum(id) s, count(score) cs, round(sum(score), 3) ss, sum(length(name)) ln, min(day) d, count(*) FILTER (WHERE flag) f"
orig=$(duck "$q FROM read_parquet('$T/out-snappy.parquet')")
check "[ '$orig' = \"\$(duck \"$q FROM read_parquet('$T/back-csv.parquet')\")\" ]"
check "[ '$orig' = \"\$(duck \"$q FROM read_parquet('$T/back-jsonl.parquet')\")\" ]"
st_of $P convert "$T/in.csv" "$T/x.txt" >/dev/null 2>&1; check "[ $st -eq 2 ]"

# --- JSON lines
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "{\"k\": %d, \"v\": \"s%d\", \"x\": %s, \"o\": {\"a\": %d}}\n", i, i % 10, (i % 3 ? i * 0.5 : "null"), i }' > "$T/in.jsonl"
check "$P convert '$T/in.jsonl' '$T/j.parquet' --quiet"
got=$(duck "SELECT count(*) c, sum(k) s, count(x) cx, sum(x) sx, count(DISTINCT v) dv, min(o) mo FROM read_parquet('$T/j.parquet')")
check "echo '$got' | grep -q '\"c\":\"3000\",\"s\":\"4498500\",\"cx\":\"2000\",\"sx\":1500000,\"dv\":\"10\",\"mo\":\"{\\\\\"a\\\\\":0}\"'"

# --- errors: bad line names line and column, no output left, exit 1
printf 'a,b\n1,2\n3,oops\n' > "$T/bad.csv"
msg=$($P convert "$T/bad.csv" "$T/bad.parquet" --schema 'a:int32,b:int64' 2>&1) && rc=0 || rc=$?
check "[ $rc -eq 1 ]"
check "echo \"$msg\" | grep -q 'line 3, column 2'"
check "[ -z \"\$(ls $T/bad.parquet* 2>/dev/null)\" ]"
printf '{"a": 1}\n{"a": \n' > "$T/bad.jsonl"
msg=$($P convert "$T/bad.jsonl" "$T/bad2.parquet" 2>&1) && rc=0 || rc=$?
check "[ $rc -eq 1 ] && echo \"$msg\" | grep -q 'line 2'"
st_of $P convert "$T/missing.csv" "$T/x.parquet" 2>/dev/null; check "[ $st -eq 1 ]"
st_of $P convert "$T/in.csv" 2>/dev/null; check "[ $st -eq 2 ]"
st_of $P convert "$T/in.csv" "$T/x.parquet" --compression lzo 2>/dev/null; check "[ $st -eq 2 ]"
st_of $P convert "$T/in.csv" "$T/x.parquet" --bogus 1 2>/dev/null; check "[ $st -eq 2 ]"
st_of $P nosuchverb 2>/dev/null; check "[ $st -eq 2 ]"
st_of $P convert "$T/in.csv" "$T/x.parquet" --schema 'x:int128' 2>/dev/null; check "[ $st -eq 2 ]"
st_of $P convert "$T/in.csv" "$T/x.parquet" --schema 'a:int64,b' 2>/dev/null; check "[ $st -eq 2 ]"

# --- meta
metaout=$($P meta "$T/out-zstd.parquet")
check "echo \"\$metaout\" | grep -q 'zstd'"
check "echo \"\$metaout\" | grep -q 'rows:        5000'"
check "$P meta --json '$T/typed.parquet' | node -e 'let s=\"\";process.stdin.on(\"data\",d=>s+=d).on(\"end\",()=>{const m=JSON.parse(s);process.exit(m.rows===5000&&m.row_groups.length===1?0:1)})'"
n=0; okc=0
for f in ../shared/parquet-testing/data/*.parquet; do
  n=$((n + 1)); $P meta "$f" >/dev/null 2>"$T/err" && okc=$((okc + 1))
  grep -q "AddressSanitizer\|runtime error" "$T/err" && bad "meta $f: sanitizer report"
done
check "[ $okc -ge 60 ]"
for f in ../shared/parquet-testing/bad_data/*; do
  st_of $P meta "$f" >/dev/null 2>"$T/err"; rc=$st
  check "[ $rc -le 1 ]"
  grep -q "AddressSanitizer\|runtime error" "$T/err" && bad "meta $f: sanitizer report"
done
st_of $P meta ../shared/parquet-testing/data/encrypt_columns_and_footer.parquet.encrypted 2>"$T/err"
check "grep -q 'encrypted files are not supported' '$T/err'"
st_of $P meta Makefile 2>"$T/err"; check "[ $st -eq 1 ] && grep -q 'not a Parquet file' '$T/err'"

# --- cat and schema
check "[ \"\$($P cat '$T/out-snappy.parquet' | wc -l)\" -eq 5000 ]"
check "[ \"\$($P cat '$T/out-snappy.parquet' --format csv --columns id,day --limit 10 | wc -l)\" -eq 11 ]"
check "$P cat '$T/out-snappy.parquet' --format csv --limit 1 | head -1 | grep -q '^id,name,score,day,ts,flag$'"
check "$P cat '$T/typed.parquet' --columns id,score --limit 1 | grep -q '^{\"id\":0,\"score\":null}$'"
check "$P schema '$T/typed.parquet' | grep -q 'score: decimal128 (d:10,3)'"
st_of $P cat "$T/typed.parquet" --columns nope >/dev/null 2>&1; check "[ $st -eq 1 ]"
st_of $P cat "$T/typed.parquet" --format xml >/dev/null 2>&1; check "[ $st -eq 2 ]"

# --- --where: filtered counts equal DuckDB's WHERE; selective filters skip row groups (5 groups of 1000 rows)
f="$T/out-snappy.parquet"
while IFS='|' read -r ours sql minpruned; do
  got=$($P scan "$f" --where "$ours" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(j.rows+" "+j.row_groups_pruned)})')
  want=$(duck "SELECT count(*)::VARCHAR c FROM read_parquet('$f') WHERE $sql" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].c))')
  check "[ '${got% *}' = '$want' ]"
  check "[ ${got#* } -ge $minpruned ]"
done <<'CASES'
id < 1500|id < 1500|3
id >= 4500 AND flag = true|id >= 4500 AND flag|4
name = 'n42'|name = 'n42'|0
score IS NULL|score IS NULL|0
score IS NOT NULL AND score > 600|score > 600|4
day = '2024-03-03'|day = DATE '2024-03-03'|0
id IN (1, 4999)|id IN (1, 4999)|3
id != 3 OR name = 'x'|id != 3 OR name = 'x'|0
(id < 10 OR id > 4990) AND flag = false|(id < 10 OR id > 4990) AND NOT flag|3
id = 99999|id = 99999|5
CASES
check "[ \"\$($P cat '$f' --where 'id < 3' | wc -l)\" -eq 3 ]"
st_of $P scan "$f" --where "id <" >/dev/null 2>&1; check "[ $st -eq 2 ]"

# --- nested-path projection reads just that struct field
nf=../shared/parquet-testing/data/nested_structs.rust.parquet
got=$($P scan "$nf" --columns roll_num.min | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(Object.keys(j.columns).join(",")+" "+j.columns.roll_num.checksum)})')
want=$(duck "SELECT sum(roll_num.min)::DOUBLE s FROM read_parquet('$nf')" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].s))')
check "[ '$got' = 'roll_num $want' ]"
schema_out=$($P schema "$nf")
check "echo \"\$schema_out\" | grep -q 'roll_num: struct'"

# --- help
check "$P --help | grep -q convert"
for verb in meta convert scan cat schema; do check "$P $verb --help | grep -q usage"; done

echo "meta read $okc of $n corpus files"
result

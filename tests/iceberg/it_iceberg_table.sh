#!/usr/bin/env bash
# prestige iceberg append / scan, differential: random tables partitioned by every transform
# (identity, bucket, truncate, year, month, day, hour, void) and of every common type, several
# appends from CSV, JSON lines and Parquet, then random filters and projections: the scan's rows
# equal (as multisets) DuckDB's read_parquet of the table's data files and of the appended rows
# with the same WHERE. icebird reads the tables and agrees. Two processes appending 20 times each
# at once, on SQLite and on PostgreSQL, lose nothing. Corrupt metadata, a missing data file and a
# truncated manifest give clear errors; the header's example is the one test_iceberg_api compiles.
source "$(dirname "$0")/../common/prologue.sh"
source "$ROOT/tests/common/pg_env.sh"
PY=/usr/bin/python3
unset PRESTIGE_CATALOG PRESTIGE_WAREHOUSE
expect_fail() { # CODE SUBSTRING CMD...
  local code="$1" sub="$2"; shift 2
  st_of "$@" >"$T/out" 2>"$T/err"
  if [ "$st" -eq "$code" ] && grep -qF -- "$sub" "$T/err"; then ok; else bad "exit $st (wanted $code), stderr lacks \"$sub\": $* -- $(head -c 400 "$T/err")"; fi
}
jget() { "$PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())[sys.argv[1]])' "$1"; }

# the header's example is the code test_iceberg_api runs
sed -n '/\/\/ example:begin/,/\/\/ example:end/p' include/prestige/iceberg.h | sed 's/^ \* *//' > "$T/ex.h"
sed -n '/\/\/ example:begin/,/\/\/ example:end/p' tests/iceberg/test_iceberg_api.c | sed 's/^ *//' > "$T/ex.c"
check "[ \$(wc -l < $T/ex.h) -ge 10 ] && diff -q $T/ex.h $T/ex.c >/dev/null"

C=(--catalog "sqlite:$T/cat.db" --warehouse "file://$T/wh")
$P iceberg create-namespace db "${C[@]}" >/dev/null
SCHEMA='id:int64!,i:int32,ts:timestamp(us,UTC),d:date,s:string,price:decimal(9,2),f:double,b:bool'

# gen SEED ROWS BASE TS_SPAN_HOURS D_SPAN_DAYS: random rows as CSV (unquoted empty = null, "" = empty string; strings with
# commas, quotes and UTF-8)
gen() {
  "$PY" - "$@" <<'EOF'
import random, sys, datetime
seed, n, base, ts_span, d_span = (int(x) for x in sys.argv[1:6])
r = random.Random(seed)
words = ["alpha", "beta", "gamma", "delta", "héllo", "日本語", "a,b", 'q"t', "", "zeta zeta", "eta"]
print("id,i,ts,d,s,price,f,b")
t0 = datetime.datetime(2023, 12, 20, tzinfo=datetime.timezone.utc)
def maybe(v): return "" if r.random() < 0.1 else v
def q(s): return '"' + s.replace('"', '""') + '"' if (s == "" or "," in s or '"' in s) else s
for k in range(n):
    ts = t0 + datetime.timedelta(seconds=r.randrange(0, 3600 * ts_span), microseconds=r.randrange(1000000))
    d = datetime.date(2023, 11, 15) - datetime.timedelta(days=r.randrange(0, d_span))
    print(",".join([str(base + k), maybe(str(r.randrange(-500, 500))), maybe(ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
                    maybe(d.isoformat()), maybe(q(r.choice(words))), maybe("%d.%02d" % (r.randrange(-999, 9999), r.randrange(100))),
                    maybe(repr(r.uniform(-1000, 1000))), maybe(r.choice(["true", "false"]))]))
EOF
}

tables=(ta tb tc)
# partitions per table kept to a few dozen (about 10 rows a file): time spans chosen per table
parts=('bucket(4,id),day(ts)' 'year(d),b,truncate(3,s),void(i)' 'month(d),hour(ts),identity(b)')
spans=('192 900' '1440 900' '12 60')
for k in 0 1 2; do
  t=${tables[$k]}
  $P iceberg create db.$t --schema "$SCHEMA" --partition "${parts[$k]}" "${C[@]}" >/dev/null
  gen $((k * 10 + 1)) 240 $((k * 100000)) ${spans[$k]} > "$T/$t-1.csv"
  gen $((k * 10 + 2)) 180 $((k * 100000 + 1000)) ${spans[$k]} > "$T/$t-2.csv"
  gen $((k * 10 + 3)) 180 $((k * 100000 + 2000)) ${spans[$k]} > "$T/$t-3.csv"
  # the same rows as Parquet (the appended truth) and as JSON lines
  for j in 1 2 3; do $PR convert "$T/$t-$j.csv" "$T/$t-$j.parquet" --schema "${SCHEMA//!/}" --quiet; done
  $PR convert "$T/$t-2.parquet" "$T/$t-2.jsonl" --quiet
  s1=$($P iceberg append db.$t "$T/$t-1.csv" "${C[@]}" | jget snapshot_id)
  out=$($P iceberg append db.$t "$T/$t-2.jsonl" "${C[@]}")
  check "[ \"\$(echo '$out' | jget added_records)\" = 180 ] && [ \"\$(echo '$out' | jget rows)\" = 180 ]"
  s2=$(echo "$out" | jget snapshot_id)
  # stdin, Parquet: one commit
  $P iceberg append db.$t "$T/$t-3.parquet" "${C[@]}" > "$T/a3" < /dev/null
  check "[ \"\$(jget added_records < $T/a3)\" = 180 ]"
  eval "S1_$t=$s1 S2_$t=$s2"
done

# random filters and projections: each becomes one scan and two DuckDB checks
"$PY" - > "$T/preds" <<'EOF'
import random
r = random.Random(7)
words = ["alpha", "beta", "gamma", "héllo", "日本語", "a,b", "zeta zeta", ""]
def leaf():
    k = r.randrange(10)
    if k == 0: return "id < %d" % r.randrange(0, 202000)
    if k == 1: return "ts %s '2023-12-%02d %02d:%02d:00Z'" % (r.choice([">=", "<"]), r.randrange(20, 29), r.randrange(24), r.randrange(60))
    if k == 2: return "d BETWEEN '202%d-%02d-01' AND '2023-%02d-15'" % (r.randrange(1, 4), r.randrange(1, 13), r.randrange(9, 12))
    if k == 3: return "s = '%s'" % r.choice(words).replace("'", "''")
    if k == 4: return "s IN ('%s', '%s')" % (r.choice(words), r.choice(words))
    if k == 5: return "price > %d.%02d" % (r.randrange(-999, 9999), r.randrange(100))
    if k == 6: return "i IS NULL" if r.random() < 0.5 else "i IS NOT NULL"
    if k == 7: return "b = %s" % r.choice(["true", "false"])
    if k == 8: return "f <= %f" % r.uniform(-1000, 1000)
    return "i >= %d" % r.randrange(-500, 500)
def expr(depth=0):
    if depth > 1 or r.random() < 0.4: return leaf()
    op = r.choice(["AND", "OR", "AND NOT"])
    return "(%s %s %s)" % (expr(depth + 1), op, expr(depth + 1))
cols = ["id", "i", "ts", "d", "s", "price", "f", "b"]
for n in range(8):
    c = r.sample(cols, r.randrange(1, 5)) if r.random() < 0.7 else ["*"]
    print(",".join(c) + "\t" + expr())
EOF
echo "SET TimeZone='UTC'" > "$T/checks"
q=0
for t in "${tables[@]}"; do
  files=$(find "$T/wh/db/$t/data" -name '*.parquet' | sort | sed "s/.*/'&'/" | paste -sd,)
  src="'$T/$t-1.parquet','$T/$t-2.parquet','$T/$t-3.parquet'"
  while IFS=$'\t' read -r cols where; do
    q=$((q + 1))
    label="$t: ${where//\'/\'\'}"
    if [ "$cols" = "*" ]; then colopt=(); sel='*'; else colopt=(--columns "$cols"); sel="$cols"; fi
    $PR iceberg scan db.$t "${colopt[@]}" --where "$where" --format parquet -o "$T/scan-$q.parquet" "${C[@]}" 2>"$T/scan-$q.err" \
      || bad "scan db.$t --where \"$where\": $(head -c 300 "$T/scan-$q.err")"
    for against in "$files" "$src"; do
      echo "WITH x AS (SELECT $sel FROM read_parquet([$against], union_by_name=true, hive_partitioning=false) WHERE $where), y AS (SELECT * FROM read_parquet('$T/scan-$q.parquet')) SELECT (SELECT count(*) FROM (SELECT * FROM x EXCEPT ALL SELECT * FROM y)) + (SELECT count(*) FROM (SELECT * FROM y EXCEPT ALL SELECT * FROM x)) AS d, (SELECT count(*) FROM x) AS n, '$label' AS label" >> "$T/checks"
    done
  done < "$T/preds"
  # time travel and incremental on the CLI too
  eval "s1=\$S1_$t s2=\$S2_$t"
  $P iceberg scan db.$t --snapshot "$s1" --format parquet -o "$T/tt-$t.parquet" "${C[@]}"
  echo "WITH x AS (SELECT * FROM read_parquet('$T/$t-1.parquet')), y AS (SELECT * FROM read_parquet('$T/tt-$t.parquet')) SELECT (SELECT count(*) FROM (SELECT * FROM x EXCEPT ALL SELECT * FROM y)) + (SELECT count(*) FROM (SELECT * FROM y EXCEPT ALL SELECT * FROM x)) AS d, (SELECT count(*) FROM x) AS n, '$t: snapshot 1' AS label" >> "$T/checks"
  $P iceberg scan db.$t --since "$s1" --until "$s2" --format parquet -o "$T/inc-$t.parquet" "${C[@]}"
  echo "WITH x AS (SELECT * FROM read_parquet('$T/$t-2.parquet')), y AS (SELECT * FROM read_parquet('$T/inc-$t.parquet')) SELECT (SELECT count(*) FROM (SELECT * FROM x EXCEPT ALL SELECT * FROM y)) + (SELECT count(*) FROM (SELECT * FROM y EXCEPT ALL SELECT * FROM x)) AS d, (SELECT count(*) FROM x) AS n, '$t: since 1 until 2' AS label" >> "$T/checks"
done
{ echo "-- each"; cat "$T/checks"; } > "$T/checks.sql"
node tests/common/duckdb_query.mjs "$T/checks.sql" > "$T/answers"
"$PY" - "$T/answers" "$T/checks" > "$T/verdict" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))[1:]
qs = open(sys.argv[2]).read().splitlines()[1:]
bad = [(x, q) for x, q in zip(a, qs) if not isinstance(x, list) or str(x[0]["d"]) != "0"]
nonempty = sum(1 for x in a if isinstance(x, list) and int(x[0]["n"]) > 0)
print(len(a), len(bad), nonempty)
for x, q in bad[:5]: print(x, q[:600], file=sys.stderr)
EOF
read -r n_checks n_bad n_nonempty < "$T/verdict"
check "[ $n_checks -eq $((q * 2 + 6)) ] && [ $n_bad -eq 0 ]"
check "[ $n_nonempty -ge $((q)) ]" # most filters select something
for k in $(seq 1 $((n_checks - n_bad))); do ok; done

# --stats: partition pruning by the day transform; --limit; csv equals cat's printing
$P iceberg scan db.ta --where "ts >= '2023-12-23T00:00:00Z' AND ts < '2023-12-24T00:00:00Z'" --stats "${C[@]}" > "$T/day.jsonl" 2> "$T/stats"
check "[ \$(jget files_pruned_partition < $T/stats) -gt 0 ] && [ \$(jget rows < $T/stats) -eq \$(wc -l < $T/day.jsonl) ]"
check "[ \$($P iceberg scan db.ta --limit 7 ${C[*]} | wc -l) -eq 7 ]"
$P iceberg scan db.tb --snapshot "$S1_tb" --format csv "${C[@]}" > "$T/tb1.csv"
$P cat "$T/tb-1.parquet" --format csv > "$T/tb1-cat.csv"
check "[ \"\$(sort $T/tb1.csv | md5sum)\" = \"\$(sort $T/tb1-cat.csv | md5sum)\" ]"

# icebird reads every table (current snapshot) with the same rows
for t in "${tables[@]}"; do
  ml=$($P iceberg describe db.$t "${C[@]}" | jget metadata_location)
  node tests/iceberg/icebird_table_rows.mjs "$ml" id,s,i | sort > "$T/ib-$t"
  $P iceberg scan db.$t --columns id,s,i "${C[@]}" | "$PY" -c '
import json,sys
for l in sys.stdin:
    d=json.loads(l); print(json.dumps({"id":str(d["id"]),"s":d["s"],"i":d["i"]}, ensure_ascii=False, separators=(",",":")))' | sort > "$T/our-$t"
  check "[ \$(wc -l < $T/ib-$t) -eq 600 ] && cmp -s $T/ib-$t $T/our-$t"
done

# bad input: nothing committed, the message names the problem
printf 'id,i\n1,notanumber\n' > "$T/bad.csv"
expect_fail 1 "notanumber" $P iceberg append db.ta "$T/bad.csv" "${C[@]}"
check "[ \$($P iceberg snapshots db.ta ${C[*]} | wc -l) -eq 3 ]"
expect_fail 1 "no-such.csv" $P iceberg append db.ta "$T/no-such.csv" "${C[@]}"
expect_fail 2 "not a .parquet" $P iceberg append db.ta "$T/x.txt" "${C[@]}"
expect_fail 2 "at most one" $P iceberg scan db.ta --snapshot 1 --ref main "${C[@]}"
expect_fail 2 "--until needs --since" $P iceberg scan db.ta --until 1 "${C[@]}"
expect_fail 1 "db.nope" $P iceberg scan db.nope "${C[@]}"
expect_fail 1 "snapshot 42" $P iceberg scan db.ta --snapshot 42 "${C[@]}"
# a missing data file, a truncated manifest, corrupt metadata (copies of tc)
victim=$(find "$T/wh/db/tc/data" -name '*.parquet' -print -quit)
mv "$victim" "$T/saved.parquet"
expect_fail 1 "$(basename "$victim")" $P iceberg scan db.tc "${C[@]}"
mv "$T/saved.parquet" "$victim"
mans=("$T"/wh/db/tc/metadata/*-m0.avro); man=${mans[0]}
cp "$man" "$T/saved.avro"; head -c 300 "$T/saved.avro" > "$man"
expect_fail 1 "$(basename "$man")" $P iceberg scan db.tc "${C[@]}"
cp "$T/saved.avro" "$man"
ml=$($P iceberg describe db.tc "${C[@]}" | jget metadata_location); mf=${ml#file://}
cp "$mf" "$T/saved.json"; head -c 200 "$T/saved.json" > "$mf"
expect_fail 1 "$(basename "$mf")" $P iceberg scan db.tc "${C[@]}"
cp "$T/saved.json" "$mf"
check "[ \$($P iceberg scan db.tc ${C[*]} | wc -l) -eq 600 ]"

# the README's "Iceberg tables" examples run: the CLI block (with the ASan CLI) and the library one
mkdir -p "$T/readme/bin" && ln -s "$P" "$T/readme/bin/prestige"
sed -n '/iceberg-cli:begin/,/iceberg-cli:end/p' README.md | grep -v -e '^<!--' -e '^```' > "$T/readme/cli.sh"
check "[ \$(wc -l < $T/readme/cli.sh) -ge 8 ] && (cd $T/readme && PATH=$T/readme/bin:\$PATH bash -e cli.sh > out 2> err) && grep -qF '{\"ts\":\"2024-01-03T11:00:00.000000Z\",\"id\":2}' $T/readme/out"
mkdir -p "$T/example"
check "build/release/examples/iceberg_table $T/example | grep -qF 'filtered scan: 224 rows'"

# concurrent appends: 2 processes x 20 appends at once, on SQLite and PostgreSQL
concurrent() {
  local label="$1"; shift
  local CC=("$@")
  $PR iceberg create-namespace c "${CC[@]}" >/dev/null
  # a loaded machine can make one writer lose the compare-and-set more than Java's default 4
  # retries allow: the test table allows more (the point here is that nothing is lost)
  $PR iceberg create c.t --schema 'w:int32,k:int32' --partition 'w' --property commit.retry.num-retries=20 "${CC[@]}" >/dev/null
  local pids=()
  for w in 1 2; do
    (for k in $(seq 1 20); do printf 'w,k\n%d,%d\n%d,%d\n' $w $k $w $k > "$T/c-$label-$w-$k.csv"
       $PR iceberg append c.t "$T/c-$label-$w-$k.csv" "${CC[@]}" >/dev/null || echo "fail $w $k"; done) > "$T/c-$label-$w.log" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}" # not a bare wait: the PostgreSQL server is a background job too
  if [ ! -s "$T/c-$label-1.log" ] && [ ! -s "$T/c-$label-2.log" ]; then ok; else bad "$label appends failed: $(head -c 600 "$T/c-$label-1.log" "$T/c-$label-2.log")"; fi
  check "[ \$($PR iceberg snapshots c.t ${CC[*]} | wc -l) -eq 40 ]"
  check "[ \$($PR iceberg scan c.t ${CC[*]} --format csv | tail -n +2 | sort -u | wc -l) -eq 40 ] && [ \$($PR iceberg scan c.t ${CC[*]} | wc -l) -eq 80 ]"
}
concurrent sqlite --catalog "sqlite:$T/conc.db" --warehouse "file://$T/cwh"
pg_start
at_exit pg_stop
concurrent pg --catalog "$PG_URL" --warehouse "file://$T/pwh"

result

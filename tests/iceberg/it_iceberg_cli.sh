#!/usr/bin/env bash
# prestige iceberg: every verb on a file:// warehouse, a plain directory and s3rver (SQLite
# catalogs), and the main ones on a PostgreSQL catalog. Checks the printed JSON values, the
# files on the store, icebird reading the metadata we write, snapshots of a registered table
# against the metadata file itself, bad input (exit 1, the message naming what is wrong: table,
# namespace, schema, partition, sort, identifier, format version 1, V1 writes, truncated and
# spec-violating metadata files) and usage errors (exit 2), and --help for each verb.
source "$(dirname "$0")/../common/prologue.sh"
PY=/usr/bin/python3  # Debian's: starts in a tenth of the time of the pyenv shim
# json EXPR: evaluates a Python expression over d = the JSON on stdin
json() { "$PY" -c 'import json,sys; d=json.loads(sys.stdin.read()); r=eval(sys.argv[1]); print(json.dumps(r) if not isinstance(r, str) else r)' "$1"; }
# jsonl EXPR: the same over each line (JSON lines), one result a line
jsonl() { "$PY" -c 'import json,sys
for l in sys.stdin:
    d=json.loads(l); r=eval(sys.argv[1]); print(json.dumps(r) if not isinstance(r, str) else r)' "$1"; }
# expect_fail CODE SUBSTRING CMD...: the command exits CODE and its stderr holds SUBSTRING
expect_fail() {
  local code="$1" sub="$2"; shift 2
  st_of "$@" >"$T/out" 2>"$T/err"
  if [ "$st" -eq "$code" ] && grep -qF -- "$sub" "$T/err"; then ok; else bad "exit $st (wanted $code), stderr lacks \"$sub\": $* -- $(head -c 400 "$T/err")"; fi
}

s3rver_start "$T/s3" lake >/dev/null
unset PRESTIGE_CATALOG PRESTIGE_WAREHOUSE

printf 'id,name,amount,day\n1,a,1.5,2024-01-02\n2,b,,2024-01-03\n' > "$T/in.csv"
$P convert "$T/in.csv" "$T/in.parquet" --quiet || bad "convert"
$P cp "$T/in.parquet" s3://lake/in.parquet >/dev/null || bad "cp to s3"

# suite LABEL WAREHOUSE TABLE_ROOT: TABLE_ROOT is the warehouse as table locations spell it
suite() {
  local label="$1" wh="$2" root="$3"
  local C=(--catalog "sqlite:$T/cat-$label.db" --warehouse "$wh")
  local local_dir=""
  [[ "$root" == file://* ]] && local_dir="${root#file://}"

  # namespaces
  check "[ \"\$($P iceberg create-namespace db ${C[*]})\" = '{\"namespace\":\"db\"}' ]"
  check "$P iceberg create-namespace db.raw --property owner=me ${C[*]} >/dev/null"
  check "$P iceberg create-namespace --property a=b ${C[*]} db.clean >/dev/null"
  expect_fail 1 "namespace db already exists" $P iceberg create-namespace db "${C[@]}"
  $P iceberg namespaces "${C[@]}" > "$T/ns"
  check "[ \"\$(jsonl 'd[\"namespace\"]' < $T/ns | tr '\n' ' ')\" = 'db db.clean db.raw ' ]"
  check "[ \"\$(sed -n 3p $T/ns | json 'd[\"properties\"][\"owner\"]')\" = me ]"
  check "[ \"\$(sed -n 3p $T/ns | json 'd[\"properties\"][\"location\"]')\" = '$root/db/raw' ]"

  # create with every option, options before and after the name
  local schema='id:int64!,ts:timestamp(us,UTC)!,name:string,region:string,score:double'
  $P iceberg create "${C[@]}" --schema "$schema" db.raw.events --partition 'day(ts),bucket(16,id),truncate(4,name),region' \
     --sort 'ts desc, id asc nulls last' --identifier id --property write.target-file-size-bytes=1048576 --property note=x > "$T/created"
  local ml; ml=$(json 'd["metadata_location"]' < "$T/created")
  check "[ \"\$(json 'd[\"table\"]' < $T/created)\" = db.raw.events ]"
  check "[[ '$ml' == '$root/db/raw/events/metadata/00000-'*.metadata.json ]]"
  if [ -n "$local_dir" ]; then check "[ -f '${ml#file://}' ]"; else
    check "$P ls s3://lake/wh3/db/raw/events/metadata/ | grep -q '00000-'"
    # --endpoint names the S3 endpoint when the environment does not
    check "[ \"\$(env -u AWS_ENDPOINT_URL $P iceberg describe db.raw.events --endpoint $S3_ENDPOINT ${C[*]} | json 'd[\"metadata_location\"]')\" = '$ml' ]"
  fi
  $P iceberg describe db.raw.events "${C[@]}" > "$T/desc"
  check "[ \"\$(json 'd[\"format_version\"]' < $T/desc)\" = 2 ]"
  check "[ \"\$(json 'd[\"location\"]' < $T/desc)\" = '$root/db/raw/events' ]"
  check "[ \"\$(json 'd[\"metadata_location\"]' < $T/desc)\" = '$ml' ]"
  check "[ \"\$(json 'd[\"current_snapshot_id\"]' < $T/desc)\" = null ]"
  check "[ \"\$(json '[(f[\"id\"], f[\"name\"], f[\"type\"], f[\"required\"]) for f in d[\"schema\"][\"fields\"]]' < $T/desc)\" = '[[1, \"id\", \"long\", true], [2, \"ts\", \"timestamptz\", true], [3, \"name\", \"string\", false], [4, \"region\", \"string\", false], [5, \"score\", \"double\", false]]' ]"
  check "[ \"\$(json '[(f[\"name\"], f[\"transform\"], f[\"source-id\"], f[\"field-id\"]) for f in d[\"partition_spec\"][\"fields\"]]' < $T/desc)\" = '[[\"ts_day\", \"day\", 2, 1000], [\"id_bucket\", \"bucket[16]\", 1, 1001], [\"name_trunc\", \"truncate[4]\", 3, 1002], [\"region\", \"identity\", 4, 1003]]' ]"
  check "[ \"\$(json '[(f[\"source-id\"], f[\"direction\"], f[\"null-order\"]) for f in d[\"sort_order\"][\"fields\"]]' < $T/desc)\" = '[[2, \"desc\", \"nulls-last\"], [1, \"asc\", \"nulls-last\"]]' ]"
  check "[ \"\$(json 'd[\"identifier_fields\"]' < $T/desc)\" = '[\"id\"]' ]"
  check "[ \"\$(json 'd[\"properties\"]' < $T/desc)\" = '{\"write.target-file-size-bytes\": \"1048576\", \"note\": \"x\"}' ]"
  check "[ \"\$(json 'd[\"refs\"]' < $T/desc)\" = '{}' ]"
  if [ -n "$local_dir" ]; then
    check "node tests/iceberg/icebird_meta.mjs '$ml' $T/desc | grep -qx OK"
  fi
  check "[ -z \"\$($P iceberg snapshots db.raw.events ${C[*]})\" ]"

  # --like a CSV file and a Parquet file (local and on S3)
  check "$P iceberg create db.clean.fromcsv --like $T/in.csv ${C[*]} >/dev/null"
  check "[ \"\$($P iceberg describe db.clean.fromcsv ${C[*]} | json '[(f[\"name\"], f[\"type\"]) for f in d[\"schema\"][\"fields\"]]')\" = '[[\"id\", \"long\"], [\"name\", \"string\"], [\"amount\", \"double\"], [\"day\", \"date\"]]' ]"
  local pq="$T/in.parquet"; [ -z "$local_dir" ] && pq=s3://lake/in.parquet
  check "$P iceberg create db.clean.frompq --like $pq ${C[*]} >/dev/null"
  check "[ \"\$($P iceberg describe db.clean.frompq ${C[*]} | json '[(f[\"name\"], f[\"type\"]) for f in d[\"schema\"][\"fields\"]]')\" = '[[\"id\", \"long\"], [\"name\", \"string\"], [\"amount\", \"double\"], [\"day\", \"date\"]]' ]"
  check "[ \"\$($P iceberg tables db.clean ${C[*]} | jsonl 'd[\"table\"]' | tr '\n' ' ')\" = 'db.clean.fromcsv db.clean.frompq ' ]"
  check "[ \"\$($P iceberg tables db.clean ${C[*]} | head -1)\" = '{\"table\":\"db.clean.fromcsv\",\"namespace\":\"db.clean\",\"name\":\"fromcsv\"}' ]"
  check "[ -z \"\$($P iceberg tables db ${C[*]})\" ]"

  # register a table with snapshots; snapshots oldest first, as the file holds them
  local ext="$T/ext-$label.metadata.json" extloc
  sed "s#s3://bucket/test/location#$root/ext#" tests/iceberg/data/TableMetadataV2Valid.json > "$ext"
  if [ -n "$local_dir" ]; then extloc="$ext"; else $P cp "$ext" s3://lake/wh3/ext/metadata/00003-a.metadata.json >/dev/null; extloc=s3://lake/wh3/ext/metadata/00003-a.metadata.json; fi
  check "[ \"\$($P iceberg register db.raw.ext $extloc ${C[*]} | json 'd[\"table\"]')\" = db.raw.ext ]"
  $P iceberg snapshots db.raw.ext "${C[@]}" > "$T/snaps"
  local want; want=$("$PY" -c '
import json, sys
m = json.load(open(sys.argv[1]))
for s in sorted(m["snapshots"], key=lambda s: (s["timestamp-ms"], s.get("sequence-number", 0))):
    print(json.dumps([s["snapshot-id"], s.get("parent-snapshot-id"), s["sequence-number"], s["timestamp-ms"], s["summary"]["operation"], s["summary"]]))' "$ext")
  local got; got=$("$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    print(json.dumps([d["snapshot_id"], d["parent_id"], d["sequence_number"], d["timestamp_ms"], d["operation"], d["summary"]]))' "$T/snaps")
  check "[ \"\$(wc -l < $T/snaps)\" -eq 2 ]"
  check "[ '$got' = '$want' ]"
  check "[ \"\$($P iceberg describe db.raw.ext ${C[*]} | json 'd[\"current_snapshot_id\"]')\" = \"\$(json 'd[\"current-snapshot-id\"]' < $ext)\" ]"
  expect_fail 1 "db.raw.ext already exists" $P iceberg register db.raw.ext "$extloc" "${C[@]}"

  # set-properties, rename, drop, drop --purge
  check "[[ \"\$($P iceberg set-properties db.raw.events k=v k2=v2 ${C[*]} | json 'd[\"metadata_location\"]')\" == '$root/db/raw/events/metadata/00001-'* ]]"
  check "$P iceberg set-properties db.raw.events --remove k ${C[*]} >/dev/null"
  check "[ \"\$($P iceberg describe db.raw.events ${C[*]} | json '[d[\"properties\"].get(\"k\"), d[\"properties\"].get(\"k2\")]')\" = '[null, \"v2\"]' ]"
  check "[ \"\$($P iceberg rename db.raw.events db.events2 ${C[*]})\" = '{\"renamed\":\"db.raw.events\",\"to\":\"db.events2\"}' ]"
  check "[ \"\$($P iceberg tables db ${C[*]} | json 'd[\"table\"]')\" = db.events2 ]"
  expect_fail 1 "namespace nowhere does not exist" $P iceberg rename db.events2 nowhere.t "${C[@]}"
  expect_fail 1 "db.clean.frompq already exists" $P iceberg rename db.events2 db.clean.frompq "${C[@]}"
  check "[ \"\$($P iceberg drop db.events2 ${C[*]})\" = '{\"dropped\":\"db.events2\",\"purged\":false}' ]"
  expect_fail 1 "table db.events2 does not exist" $P iceberg describe db.events2 "${C[@]}"
  if [ -n "$local_dir" ]; then check "[ -f '${ml#file://}' ]"; fi   # dropped, not purged
  check "$P iceberg create db.raw.gone --schema 'id:int64' ${C[*]} >/dev/null && $P iceberg set-properties db.raw.gone a=1 ${C[*]} >/dev/null"
  check "[ \"\$($P iceberg drop --purge db.raw.gone ${C[*]} | json 'd[\"purged\"]')\" = true ]"
  if [ -n "$local_dir" ]; then check "[ ! -e '$local_dir/db/raw/gone/metadata' ]"; else check "[ -z \"\$($P ls s3://lake/wh3/db/raw/gone/)\" ]"; fi

  # bad input: exit 1, the message names the fault
  expect_fail 1 "table db.raw.nope does not exist" $P iceberg describe db.raw.nope "${C[@]}"
  expect_fail 1 "table db.raw.nope does not exist" $P iceberg snapshots db.raw.nope "${C[@]}"
  expect_fail 1 "namespace nope does not exist" $P iceberg tables nope "${C[@]}"
  expect_fail 1 "namespace nope does not exist" $P iceberg create nope.t --schema 'id:int64' "${C[@]}"
  expect_fail 1 'unknown type "wat"' $P iceberg create db.raw.b --schema 'id:wat' "${C[@]}"
  expect_fail 1 "'!' must end a field's type" $P iceberg create db.raw.b --schema 'id:int64!x' "${C[@]}"
  expect_fail 1 'unknown transform "week"' $P iceberg create db.raw.b --schema "$schema" --partition 'week(ts)' "${C[@]}"
  expect_fail 1 'no column "nosuch"' $P iceberg create db.raw.b --schema "$schema" --partition 'day(nosuch)' "${C[@]}"
  expect_fail 1 'bucket' $P iceberg create db.raw.b --schema "$schema" --partition 'bucket(x,id)' "${C[@]}"
  expect_fail 1 'day' $P iceberg create db.raw.b --schema "$schema" --partition 'day(name)' "${C[@]}"
  expect_fail 1 '"id sideways" is not a column name' $P iceberg create db.raw.b --schema "$schema" --sort 'id sideways' "${C[@]}"
  expect_fail 1 'identifier column "name" is optional' $P iceberg create db.raw.b --schema "$schema" --identifier id,name "${C[@]}"
  expect_fail 1 'format version 1' $P iceberg create db.raw.b --schema "$schema" --format-version 1 "${C[@]}"
  expect_fail 1 'nanosecond' $P iceberg create db.raw.b --schema 'ts:timestamp(ns)' "${C[@]}"
  check "$P iceberg create db.raw.v3 --schema 'ts:timestamp(ns)' --format-version 3 ${C[*]} >/dev/null"
  expect_fail 1 "No such file" $P iceberg create db.raw.b --like "$T/none.csv" "${C[@]}"
  check "! $P iceberg tables db.raw ${C[*]} | grep -q '\"db.raw.b\"'"
  # a V1 table is read, never written
  local v1="$T/v1-$label.metadata.json"
  cp tests/iceberg/data/TableMetadataV1Valid.json "$v1"
  check "$P iceberg register db.raw.old $v1 ${C[*]} >/dev/null"
  check "[ \"\$($P iceberg describe db.raw.old ${C[*]} | json 'd[\"format_version\"]')\" = 1 ]"
  expect_fail 1 "format version 1" $P iceberg set-properties db.raw.old k=v "${C[@]}"
  # truncated and spec-violating metadata files are named
  head -c 300 "$ext" > "$T/trunc-$label.metadata.json"
  expect_fail 1 "$T/trunc-$label.metadata.json" $P iceberg register db.raw.t1 "$T/trunc-$label.metadata.json" "${C[@]}"
  "$PY" -c 'import json,sys; m=json.load(open(sys.argv[1])); m["current-snapshot-id"]=42; json.dump(m, open(sys.argv[2],"w"))' "$ext" "$T/bad-$label.metadata.json"
  expect_fail 1 "$T/bad-$label.metadata.json" $P iceberg register db.raw.t2 "$T/bad-$label.metadata.json" "${C[@]}"
  expect_fail 1 "does not exist" $P iceberg register db.raw.t3 "$T/missing.metadata.json" "${C[@]}"
  if [ -n "$local_dir" ]; then
    # a registered table whose current file is truncated afterwards
    cp "$ext" "$T/later-$label.metadata.json"
    check "$P iceberg register db.raw.later $T/later-$label.metadata.json ${C[*]} >/dev/null"
    head -c 100 "$ext" > "$T/later-$label.metadata.json"
    expect_fail 1 "$T/later-$label.metadata.json" $P iceberg describe db.raw.later "${C[@]}"
    check "$P iceberg drop db.raw.later ${C[*]} >/dev/null"
  fi
  # namespaces
  expect_fail 1 "not empty" $P iceberg drop-namespace db.clean "${C[@]}"
  check "$P iceberg drop db.clean.fromcsv ${C[*]} >/dev/null && $P iceberg drop db.clean.frompq ${C[*]} >/dev/null"
  check "[ \"\$($P iceberg drop-namespace db.clean ${C[*]})\" = '{\"dropped\":\"db.clean\"}' ]"
  expect_fail 1 "namespace db.clean does not exist" $P iceberg drop-namespace db.clean "${C[@]}"
  # the environment defaults
  check "[ \"\$(PRESTIGE_CATALOG=sqlite:$T/cat-$label.db PRESTIGE_WAREHOUSE=$wh $P iceberg tables db.raw | wc -l)\" -ge 3 ]"
}

suite file "file://$T/wh1" "file://$T/wh1"
suite dir "$T/wh2" "file://$T/wh2"
suite s3 "s3://lake/wh3" "s3://lake/wh3"

# usage errors: exit 2
C=(--catalog "sqlite:$T/cat-file.db")
expect_fail 2 "usage: prestige iceberg" $P iceberg
expect_fail 2 'unknown verb "nosuch"' $P iceberg nosuch
expect_fail 2 "which table" $P iceberg create "${C[@]}"
expect_fail 2 "unknown option --bogus" $P iceberg create db.t --schema id:int64 --bogus "${C[@]}"
expect_fail 2 "exactly one of --schema" $P iceberg create db.t "${C[@]}"
expect_fail 2 "--format-version takes 2 or 3" $P iceberg create db.t --schema id:int64 --format-version two "${C[@]}"
expect_fail 2 "--catalog needs a value" $P iceberg namespaces --catalog
expect_fail 2 "no catalog" env -u PRESTIGE_CATALOG $P iceberg namespaces
expect_fail 2 "which table" $P iceberg drop "${C[@]}"
expect_fail 2 "expected one namespace" $P iceberg tables "${C[@]}"
expect_fail 2 "--property takes K=V" $P iceberg create-namespace x --property novalue "${C[@]}"
expect_fail 2 "nothing to set" $P iceberg set-properties db.raw.v3 "${C[@]}"
expect_fail 1 'not one prestige knows' $P iceberg namespaces --catalog mysql://x
expect_fail 1 'connecting to the REST catalog' $P iceberg namespaces --catalog http://127.0.0.1:1/
# a bad value names the file, its line and column, once
C=(--catalog "sqlite:$T/cat-bad.db" --warehouse "$T/whbad")
$P iceberg create-namespace b "${C[@]}" >/dev/null && $P iceberg create b.t --schema id:int64,name:string "${C[@]}" >/dev/null || bad "create b.t"
printf 'id,name\nx,a\n' > "$T/bad.csv"
expect_fail 1 "append: $T/bad.csv: line 2, column 1 (\"id\"): \"x\" is not an integer" $P iceberg append b.t "$T/bad.csv" "${C[@]}"
check "! grep -qF '$T/bad.csv: $T/bad.csv' $T/err"
# a required column without a value: an error naming the line (text) or the row (Parquet), nothing
# committed and no data file left (it was written as 0 before)
$P iceberg create b.r --schema 'id:int64!,name:string' "${C[@]}" >/dev/null || bad "create b.r"
printf 'id,name\n1,a\n,b\n' > "$T/noid.csv"
expect_fail 1 "append: $T/noid.csv: line 3: column \"id\" is required (not null) but has no value" $P iceberg append b.r "$T/noid.csv" "${C[@]}"
printf '{"id":1}\n{"name":"x"}\n' > "$T/noid.jsonl"
expect_fail 1 "line 2: column \"id\" is required" $P iceberg append b.r "$T/noid.jsonl" "${C[@]}"
printf 'id,name\n1,a\n,b\n' | $P convert - "$T/noid.parquet" --format csv --schema id:int64,name:string --quiet || bad "convert noid"
expect_fail 1 "row 1: column \"id\" is required (not null) but the value is null" $P iceberg append b.r "$T/noid.parquet" "${C[@]}"
check "[ -z \"\$($P iceberg snapshots b.r ${C[*]})\" ]"
check "[ -z \"\$(find $T/whbad/b/r -name '*.parquet')\" ]"
printf '\357\273\277id,name\n8,bom\n' > "$T/bom.csv"   # Excel's byte order mark: not part of the name "id"
$P iceberg create b.bom --schema 'id:int64!,name:string' "${C[@]}" >/dev/null || bad "create b.bom"
check "$P iceberg append b.bom $T/bom.csv ${C[*]} >/dev/null"
check "[ \"\$($P iceberg scan b.bom ${C[*]})\" = '{\"id\":8,\"name\":\"bom\"}' ]"
printf 'id,name\n7,\n' > "$T/okid.csv"
check "[ \"\$($P iceberg append b.r $T/okid.csv ${C[*]} | json 'd[\"rows\"]')\" = 1 ]"
check "[ \"\$($P iceberg scan b.r ${C[*]})\" = '{\"id\":7,\"name\":null}' ]"
# a signal while rows are written: exit 128+N at once, nothing committed, no data file left behind
# (rows 1..300000 are read and written, then the input stays open until the signal)
mkfifo "$T/fifo"
touch "$T/before-signal"
{ "$PY" -c 'print("id,name"); [print("%d,n%d" % (i, i)) for i in range(1, 300001)]'; exec sleep 30; } > "$T/fifo" 2>/dev/null &
feeder=$!
setsid $P iceberg append b.r - --format csv "${C[@]}" < "$T/fifo" > "$T/out" 2> "$T/err" &
app=$!
for _ in $(seq 100); do [ -n "$(find $T/whbad/b/r -path '*prestige-tmp*' -type f 2>/dev/null)" ] && break; sleep 0.1; done
check "[ -n \"\$(find $T/whbad/b/r -path '*prestige-tmp*' -type f)\" ]"   # a data file was being written
kill -INT $app; st=0; wait $app || st=$?
check "[ $st = 130 ]"
check "grep -q 'stopped by SIGINT; nothing was committed and the data files written were deleted' $T/err"
check "[ \"\$($P iceberg snapshots b.r ${C[*]} | wc -l)\" = 1 ]"
check "[ -z \"\$(find $T/whbad/b/r -type f -newer $T/before-signal ! -path '*/metadata/*')\" ]"
check "[ -z \"\$(find $T/whbad/b/r -path '*prestige-tmp*' -type f)\" ]"
kill $feeder 2>/dev/null || true; wait $feeder 2>/dev/null || true
# scan -o: a signal (or failure) never leaves a half-written file under the name; whenever the
# scan ends first, the file is whole
"$PY" -c 'print("id,name"); [print("%d,n%d" % (i, i)) for i in range(1, 400001)]' > "$T/big.csv"
$P iceberg append b.r "$T/big.csv" "${C[@]}" >/dev/null || bad "append big"
for d in 0.05 0.3; do
  rm -f "$T/scan.parquet"
  setsid $P iceberg scan b.r --format parquet -o "$T/scan.parquet" "${C[@]}" 2> "$T/err" & app=$!
  sleep $d; kill -TERM $app 2>/dev/null || true; st=0; wait $app || st=$?
  if [ $st = 143 ]; then check "[ ! -e $T/scan.parquet ]"   # (killed outright when the signal came before the handlers)
  else check "[ $st = 0 ] && $P meta $T/scan.parquet | grep -q 'rows: *400001'"; fi
  check "[ -z \"\$(ls $T | grep 'scan.parquet.tmp')\" ]"
done
expect_fail 1 "creating" $P iceberg scan b.r --format csv -o "$T/nodir/x.csv" "${C[@]}"
# convert's --schema takes the same '!': a REQUIRED Parquet column, and a row without it fails
printf 'id\n1\n2\n' | $P convert - "$T/req.parquet" --format csv --schema 'id:int64!' --quiet || bad "convert required"
check "$P meta $T/req.parquet | grep -q 'REQUIRED id INT64'"
printf 'id,v\n"",a\n,b\n' > "$T/req.csv"   # "" is an empty string, an unquoted empty field a null
expect_fail 1 "line 3: column \"id\" is required" $P convert "$T/req.csv" "$T/req2.parquet" --schema 'id:string!,v:string' --quiet
check "[ ! -e $T/req2.parquet ]"
for v in expire remove-orphans rewrite-manifests delete; do
  expect_fail 2 "expected one table" $P iceberg $v b.t b.u "${C[@]}"
  expect_fail 2 "unknown option --nope" $P iceberg $v b.t --nope "${C[@]}"
  [ $v = delete ] || expect_fail 2 "which table" $P iceberg $v "${C[@]}"
done
for v in create-namespace namespaces tables drop drop-namespace create describe snapshots rename register set-properties; do
  check "$P iceberg $v --help | head -1 | grep -q '^usage: prestige iceberg $v'"
done
check "$P iceberg --help | grep -q 'create-namespace'"
check "$P --help | grep -q iceberg"

# a PostgreSQL catalog
if pg_start >/dev/null; then
  C=(--catalog "$PG_URL" --warehouse "$T/whpg")
  check "$P iceberg create-namespace a.b ${C[*]} >/dev/null"
  check "$P iceberg create a.b.t --schema 'id:int64!,v:string' --identifier id --partition 'bucket(4,id)' ${C[*]} >/dev/null"
  check "[ \"\$($P iceberg namespaces ${C[*]} | jsonl 'd[\"namespace\"]' | tr '\n' ' ')\" = 'a a.b ' ]"
  check "[[ \"\$($P iceberg set-properties a.b.t x=1 ${C[*]} | json 'd[\"metadata_location\"]')\" == 'file://$T/whpg/a/b/t/metadata/00001-'* ]]"
  $P iceberg describe a.b.t "${C[@]}" > "$T/pgdesc"
  check "node tests/iceberg/icebird_meta.mjs \"\$(json 'd[\"metadata_location\"]' < $T/pgdesc)\" $T/pgdesc | grep -qx OK"
  check "[ \"\$($P iceberg tables a.b --catalog-name other ${C[*]} 2>&1)\" != '' ]"   # another catalog: no namespace a.b
  expect_fail 1 "namespace a.b does not exist" $P iceberg tables a.b --catalog-name other "${C[@]}"
  check "$P iceberg drop a.b.t --purge ${C[*]} >/dev/null"
  check "[ ! -e $T/whpg/a/b/t/metadata ]"
else
  bad "PostgreSQL did not start"
fi

result

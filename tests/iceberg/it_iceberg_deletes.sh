#!/usr/bin/env bash
# Row-level deletes, compaction and maintenance through the CLI on a SQLite catalog, checked
# differentially: random tables (fixed seeds) and random delete predicates, position and equality
# mode; after each delete and after compaction the scan equals DuckDB's
# SELECT * FROM <source rows> WHERE (p1) IS NOT TRUE AND ... (a NULL comparison deletes nothing),
# and deleted_rows equals DuckDB's count. icebird (which applies position and equality deletes)
# reads the table with deletes to the same rows. Compaction never resurrects deleted rows;
# concurrent append + compact both land; concurrent delete + compact: each lands or aborts
# cleanly and the result agrees with what landed. Expire, remove-orphans and rewrite-manifests
# keep the rows. Data goes in and out through tests/iceberg/test_ice_driver (append/scan).
source "$(dirname "$0")/../common/prologue.sh"
PY=/usr/bin/python3
json() { "$PY" -c 'import json,sys; d=json.loads(sys.stdin.read()); r=eval(sys.argv[1]); print(json.dumps(r) if not isinstance(r, str) else r)' "$1"; }
D="$ROOT/build/asan/tests/iceberg/test_ice_driver"
[ -x "$D" ] || { echo "build $D first (make tests)" >&2; exit 1; }
unset PRESTIGE_CATALOG PRESTIGE_WAREHOUSE
C=(--catalog "sqlite:$T/cat.db" --warehouse "$T/wh")
URI="sqlite:$T/cat.db"
WH="$T/wh"
$P iceberg create-namespace db "${C[@]}" >/dev/null

# duckn SQL: the single number DuckDB answers (first column of the first row)
duckn() { duck "$1" | json 'list(d[0].values())[0]'; }

# source rows: NF files of 400 rows, ids disjoint, a few nulls
make_sources() { # SEED PREFIX NF
  local seed="$1" pre="$2" nf="$3" f
  for ((f = 0; f < nf; f++)); do
    duck "SELECT setseed($seed + $f * 0.001); COPY (SELECT (i + $f * 10000)::BIGINT AS id, CASE WHEN random() < 0.08 THEN NULL ELSE (random() * 100)::INT - 50 END AS k,
          CASE WHEN random() < 0.1 THEN NULL ELSE ['alpha','beta','gamma','delta','kappa','zeta'][1 + floor(random() * 6)::INT] END AS name,
          round(random() * 1000, 3) AS amount FROM range(400) t(i)) TO '$pre-$f.parquet' (FORMAT parquet)" >/dev/null
  done
}

# random_pred: one of a few shapes over the columns, from bash's RANDOM (seeded)
random_pred() {
  local words=(alpha beta gamma delta kappa zeta)
  case $((RANDOM % 6)) in
    0) echo "k < $((RANDOM % 80 - 40))" ;;
    1) echo "name = '${words[RANDOM % 6]}'" ;;
    2) local a=$((RANDOM % 40000)); echo "id BETWEEN $a AND $((a + RANDOM % 3000))" ;;
    3) echo "amount > $((RANDOM % 1000)) OR k IS NULL" ;;
    4) echo "name IS NULL AND k > $((RANDOM % 60 - 30))" ;;
    *) echo "k IN ($((RANDOM % 100 - 50)), $((RANDOM % 100 - 50)), $((RANDOM % 100 - 50))) OR name >= 'kappa'" ;;
  esac
}

# same_rows SCAN.parquet WHERE: the scan equals the source rows that survive WHERE (multisets)
same_rows() {
  local scan="$1" where="$2" label="$3" d
  d=$(duckn "WITH x AS (SELECT * FROM read_parquet('$T/src-*.parquet') WHERE $where), y AS (SELECT * FROM read_parquet('$scan'))
      SELECT (SELECT count(*) FROM (SELECT * FROM x EXCEPT ALL SELECT * FROM y)) + (SELECT count(*) FROM (SELECT * FROM y EXCEPT ALL SELECT * FROM x)) AS d")
  if [ "$d" = 0 ]; then ok; else bad "$label: $d rows differ from DuckDB's WHERE $where"; fi
}

RANDOM=4242
make_sources 0.17 "$T/src" 5
$P iceberg create db.t --schema 'id:int64!,k:int32,name:string,amount:double' --partition 'bucket(3,id)' --sort id \
  --identifier id "${C[@]}" >/dev/null
for f in 0 1 2 3 4; do "$D" append "$URI" "$WH" db.t "$T/src-$f.parquet" >/dev/null || bad "append $f"; done
"$D" scan "$URI" "$WH" db.t "$T/scan0.parquet" >/dev/null
same_rows "$T/scan0.parquet" "true" "appended"

where="true"
for step in 0 1 2 3 4 5; do
  pred="$(random_pred)"
  mode=position; [ $((step % 2)) = 1 ] && mode=equality
  want=$(duckn "SELECT count(*) FROM read_parquet('$T/src-*.parquet') WHERE ($where) AND ($pred) IS TRUE")
  out=$($P iceberg delete db.t --where "$pred" --mode $mode "${C[@]}") || { bad "delete $pred"; continue; }
  got=$(echo "$out" | json 'd["deleted_rows"]')
  check "[ '$got' = '$want' ]"
  [ "$got" = "$want" ] || echo "step $step ($mode) $pred: deleted $got, DuckDB $want" >&2
  where="$where AND ($pred) IS NOT TRUE"
  "$D" scan "$URI" "$WH" db.t "$T/scan-$step.parquet" >/dev/null
  same_rows "$T/scan-$step.parquet" "$where" "after delete $step ($mode: $pred)"
done
ops=$($P iceberg snapshots db.t "${C[@]}" | "$PY" -c 'import json,sys; print(" ".join(sorted(set(json.loads(l)["operation"] for l in sys.stdin))))')
check "[ '$ops' = 'append delete' ]"

# icebird applies our position and equality deletes to the same rows
ml=$($P iceberg describe db.t "${C[@]}" | json 'd["metadata_location"]')
if node "$ROOT/tests/iceberg/icebird_read.mjs" "$ml" > "$T/icebird.tsv" 2>"$T/icebird.err"; then
  duck "COPY (SELECT id, coalesce(name, '\\N') AS name FROM read_parquet('$T/scan-5.parquet') ORDER BY id) TO '$T/ours.tsv' (HEADER false, DELIMITER '\t', QUOTE '')" >/dev/null
  if cmp -s "$T/icebird.tsv" "$T/ours.tsv"; then ok; else bad "icebird rows differ: $(diff "$T/icebird.tsv" "$T/ours.tsv" | head -5)"; fi
else
  bad "icebird could not read the table: $(head -c 300 "$T/icebird.err")"
fi

# compaction: the same rows, no delete file left, sorted files
out=$($P iceberg compact db.t --min-files 2 "${C[@]}")
check "[ \"\$(echo '$out' | json 'd[\"files_written\"]')\" = 3 ]"
check "[ \"\$(echo '$out' | json 'd[\"delete_files_removed\"] > 0')\" = true ]"
"$D" scan "$URI" "$WH" db.t "$T/scan-c.parquet" >/dev/null
same_rows "$T/scan-c.parquet" "$where" "after compaction (no resurrection)"
last=$($P iceberg snapshots db.t "${C[@]}" | tail -1)
check "[ \"\$(echo '$last' | json 'd[\"operation\"]')\" = replace ]"
check "[ \"\$(echo '$last' | json 'd[\"summary\"][\"total-delete-files\"]')\" = 0 ]"
# each data file sorted by id
unsorted=0
live=$(ls -t $(find "$T/wh/db/t/data" -name '*.parquet' ! -name "*deletes*") | sed -n 1,3p)
for f in $live; do
  n=$(duckn "SELECT count(*) FROM (SELECT id, lag(id) OVER () AS p FROM read_parquet('$f')) WHERE p > id")
  [ "$n" = 0 ] || unsorted=$((unsorted + 1))
done
check "[ $unsorted = 0 ]"

# dedup: append a newer version of some ids (name changed), compact with --dedup: one row per id, the newest
duck "COPY (SELECT id, k, 'newer' AS name, amount FROM read_parquet('$T/src-0.parquet') WHERE id % 7 = 0) TO '$T/upd.parquet' (FORMAT parquet)" >/dev/null
"$D" append "$URI" "$WH" db.t "$T/upd.parquet" >/dev/null
out=$($P iceberg compact db.t --min-files 1 --dedup "${C[@]}")
dups=$(echo "$out" | json 'd["duplicates_eliminated"]')
want=$(duckn "SELECT count(*) FROM read_parquet('$T/src-0.parquet') WHERE id % 7 = 0 AND ($where)")
check "[ '$dups' = '$want' ]"
"$D" scan "$URI" "$WH" db.t "$T/scan-d.parquet" >/dev/null
d=$(duckn "WITH src AS (SELECT *, 0 AS s FROM read_parquet('$T/src-*.parquet') WHERE $where UNION ALL SELECT *, 1 AS s FROM read_parquet('$T/upd.parquet')),
    x AS (SELECT * EXCLUDE (s) FROM src QUALIFY row_number() OVER (PARTITION BY id ORDER BY s DESC) = 1), y AS (SELECT * FROM read_parquet('$T/scan-d.parquet'))
    SELECT (SELECT count(*) FROM (SELECT * FROM x EXCEPT ALL SELECT * FROM y)) + (SELECT count(*) FROM (SELECT * FROM y EXCEPT ALL SELECT * FROM x))")
check "[ '$d' = 0 ]"
"$D" scan "$URI" "$WH" db.t "$T/base.parquet" >/dev/null
base_rows=$(duckn "SELECT count(*) FROM read_parquet('$T/base.parquet')")

# races: an append while a compaction runs: both land
make_sources 0.61 "$T/more" 3
for f in 0 1 2; do "$D" append "$URI" "$WH" db.t "$T/more-$f.parquet" >/dev/null; done
duck "COPY (SELECT id + 500000 AS id, k, name, amount FROM read_parquet('$T/src-1.parquet')) TO '$T/late.parquet' (FORMAT parquet)" >/dev/null
( set +e; $P iceberg compact db.t --min-files 2 "${C[@]}" > "$T/c1.out" 2>"$T/c1.err"; echo $? > "$T/c1.st" ) &
( set +e; "$D" append "$URI" "$WH" db.t "$T/late.parquet" > "$T/a1.out" 2>"$T/a1.err"; echo $? > "$T/a1.st" ) &
wait
check "[ \"\$(cat $T/c1.st)\" = 0 ] && [ \"\$(cat $T/a1.st)\" = 0 ]"
"$D" scan "$URI" "$WH" db.t "$T/race1.parquet" >/dev/null
check "[ \"\$(duckn \"SELECT count(*) FROM read_parquet('$T/race1.parquet')\")\" = $((base_rows + 1200 + 400)) ]"
# a delete and a compaction at once on the same files: each lands or aborts cleanly
for f in 0 1 2; do "$D" append "$URI" "$WH" db.t "$T/more-$f.parquet" >/dev/null; done
"$D" scan "$URI" "$WH" db.t "$T/before2.parquet" >/dev/null
( set +e; $P iceberg compact db.t --min-files 2 "${C[@]}" > "$T/c2.out" 2>"$T/c2.err"; echo $? > "$T/c2.st" ) &
( set +e; $P iceberg delete db.t --where "k < 0" "${C[@]}" > "$T/d2.out" 2>"$T/d2.err"; echo $? > "$T/d2.st" ) &
wait
cst=$(cat "$T/c2.st"); dst=$(cat "$T/d2.st")
check "[ $cst = 0 ] || grep -q 'conflict' $T/c2.err"
check "[ $dst = 0 ] || grep -q 'concurrent commit' $T/d2.err"
"$D" scan "$URI" "$WH" db.t "$T/race2.parquet" >/dev/null
if [ "$dst" = 0 ]; then w="(k < 0) IS NOT TRUE"; else w="true"; fi
d=$(duckn "WITH x AS (SELECT * FROM read_parquet('$T/before2.parquet') WHERE $w), y AS (SELECT * FROM read_parquet('$T/race2.parquet'))
    SELECT (SELECT count(*) FROM (SELECT * FROM x EXCEPT ALL SELECT * FROM y)) + (SELECT count(*) FROM (SELECT * FROM y EXCEPT ALL SELECT * FROM x))")
check "[ '$d' = 0 ]"
[ "$d" = 0 ] || echo "race: compact $cst $(cat "$T/c2.err"), delete $dst $(cat "$T/d2.err")" >&2

# maintenance keeps the rows: rewrite manifests, expire all but the last 2, remove orphans
"$D" scan "$URI" "$WH" db.t "$T/m0.parquet" >/dev/null
out=$($P iceberg rewrite-manifests db.t "${C[@]}")
check "[ \"\$(echo '$out' | json 'd[\"manifests_replaced\"] >= 2')\" = true ]"
n_before=$($P iceberg snapshots db.t "${C[@]}" | wc -l)
out=$($P iceberg expire db.t --older-than 0s --retain-last 2 "${C[@]}")
check "[ \"\$(echo '$out' | json 'd[\"snapshots_expired\"]')\" = $((n_before - 2)) ]"
check "[ \"\$(echo '$out' | json 'd[\"data_files_deleted\"] > 0 and d[\"manifest_lists_deleted\"] == $((n_before - 2))')\" = true ]"
check "[ \"\$($P iceberg snapshots db.t ${C[*]} | wc -l)\" = 2 ]"
touch -d '5 days ago' "$T/wh/db/t/data/stray.parquet"
out=$($P iceberg remove-orphans db.t "${C[@]}")
check "[ \"\$(echo '$out' | json 'd[\"deleted\"]')\" = 1 ] && [ ! -e '$T/wh/db/t/data/stray.parquet' ]"
"$D" scan "$URI" "$WH" db.t "$T/m1.parquet" >/dev/null
d=$(duckn "SELECT (SELECT count(*) FROM (SELECT * FROM read_parquet('$T/m0.parquet') EXCEPT ALL SELECT * FROM read_parquet('$T/m1.parquet'))) +
    (SELECT count(*) FROM (SELECT * FROM read_parquet('$T/m1.parquet') EXCEPT ALL SELECT * FROM read_parquet('$T/m0.parquet')))")
check "[ '$d' = 0 ]"
prev=$($P iceberg snapshots db.t "${C[@]}" | sed -n 1p | json 'd["snapshot_id"]')
check "'$D' scan '$URI' '$WH' db.t '$T/tt.parquet' $prev >/dev/null"

# the scheduler: --max-runs 1 compacts the partitions past the threshold
for f in 0 1; do "$D" append "$URI" "$WH" db.t "$T/more-$f.parquet" >/dev/null; done
out=$($P iceberg maintain db.t --interval 100ms --max-runs 1 --min-files 2 "${C[@]}")
check "[ \"\$(echo '$out' | tail -1 | json 'd[\"compactions\"]')\" = 1 ]"

# bad input: exit 1 naming what is wrong, usage errors exit 2
st_of $P iceberg delete db.t --where "nosuch = 1" "${C[@]}"; check "[ $st = 1 ]"
st_of $P iceberg delete db.t "${C[@]}"; check "[ $st = 2 ]"
st_of $P iceberg delete db.t --where "k = 1" --mode sideways "${C[@]}"; check "[ $st = 2 ]"
st_of $P iceberg compact db.t --min-files 0 "${C[@]}"; check "[ $st = 2 ]"
st_of $P iceberg compact db.t --compression nope "${C[@]}"; check "[ $st = 2 ]"
st_of $P iceberg maintain db.t "${C[@]}"; check "[ $st = 2 ]"
st_of $P iceberg expire db.nope "${C[@]}"; check "[ $st = 1 ]"
for v in delete compact maintain expire remove-orphans rewrite-manifests; do
  check "$P iceberg $v --help | grep -q 'usage: prestige iceberg $v'"
done
result

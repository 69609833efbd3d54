#!/usr/bin/env bash
# Row groups of Iceberg data files: an append into a table without write.parquet.row-group-size-bytes
# writes 131,072-row row groups (ICE_ROW_GROUP_ROWS; a reader decodes one at a time, so a first scan
# stays small), one with the property set writes by its byte target (300,000 small rows: one row
# group). Both tables scan back the appended rows (count and sums equal to the generated data), and
# position deletes with a filtered scan that prunes row groups leave exactly the expected rows.
source "$(dirname "$0")/../common/prologue.sh"
PY=/usr/bin/python3
unset PRESTIGE_CATALOG PRESTIGE_WAREHOUSE
C=(--catalog "sqlite:$T/cat.db" --warehouse "file://$T/wh")
$P iceberg create-namespace db "${C[@]}" >/dev/null
"$PY" - "$T/rows.csv" <<'PYEOF'
import random, sys
r = random.Random(15)
with open(sys.argv[1], "w") as f:
    f.write("id,v\n")
    for i in range(300000):
        f.write("%d,%d\n" % (i, r.randrange(-10**9, 10**9)))
PYEOF
want=$("$PY" -c 'import csv,sys; rows=list(csv.DictReader(open(sys.argv[1]))); print(len(rows), sum(int(x["id"]) for x in rows), sum(int(x["v"]) for x in rows))' "$T/rows.csv")
# rgcounts TABLE: the row counts of each row group of the table's data files, sorted, space-separated
rgcounts() {
  local f
  for f in $(find "$T/wh/db/$1/data" -name '*.parquet' | sort); do
    $P meta "$f" | sed -n 's/^row group [0-9]*: \([0-9]*\) rows.*/\1/p'
  done | sort -n | tr '\n' ' ' | sed 's/ $//'
}
for tb in dflt prop; do
  extra=()
  [ "$tb" = prop ] && extra=(--property write.parquet.row-group-size-bytes=134217728)
  $P iceberg create "db.$tb" --schema 'id:int64,v:int64' "${extra[@]}" "${C[@]}" >/dev/null
  $P iceberg append "db.$tb" "$T/rows.csv" "${C[@]}" >/dev/null
  got=$($P iceberg scan "db.$tb" --format csv "${C[@]}" | "$PY" -c 'import csv,sys; rows=list(csv.DictReader(sys.stdin)); print(len(rows), sum(int(x["id"]) for x in rows), sum(int(x["v"]) for x in rows))')
  check "[ '$got' = '$want' ]"
done
check "[ '$(rgcounts dflt)' = '37856 131072 131072' ]"
check "[ '$(rgcounts prop)' = '300000' ]"
# position deletes and row-group pruning across several row groups of one file: the deleted rows
# and a filter that rules out the first two row groups by the id bounds give exactly the rows left
$P iceberg delete db.dflt --where 'v < -500000000 or (id >= 131000 and id < 131200)' --mode position "${C[@]}" >/dev/null
want=$("$PY" -c '
import csv, sys
rows = [(int(x["id"]), int(x["v"])) for x in csv.DictReader(open(sys.argv[1]))]
keep = [r for r in rows if not (r[1] < -500000000 or 131000 <= r[0] < 131200) and r[0] > 262000 and r[1] > 0]
print(len(keep), sum(i for i, _ in keep), sum(v for _, v in keep))' "$T/rows.csv")
got=$($P iceberg scan db.dflt --where 'id > 262000 and v > 0' --format csv "${C[@]}" | "$PY" -c 'import csv,sys; rows=list(csv.DictReader(sys.stdin)); print(len(rows), sum(int(x["id"]) for x in rows), sum(int(x["v"]) for x in rows))')
check "[ '$got' = '$want' ]"
want=$("$PY" -c '
import csv, sys
rows = [(int(x["id"]), int(x["v"])) for x in csv.DictReader(open(sys.argv[1]))]
print(sum(1 for r in rows if not (r[1] < -500000000 or 131000 <= r[0] < 131200)))' "$T/rows.csv")
got=$($P iceberg scan db.dflt --format csv "${C[@]}" | tail -n +2 | wc -l)
check "[ '$got' = '$want' ]"
result

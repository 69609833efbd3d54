#!/usr/bin/env bash
# Row groups of Iceberg data files: an append into a table without write.parquet.row-group-size-bytes
# writes 131,072-row row groups (ICE_ROW_GROUP_ROWS; a reader decodes one at a time, so a first scan
# stays small), one with the property set writes by its byte target (300,000 small rows: one row
# group). Both tables scan back the appended rows (count and sums equal to the generated data).
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
result

#!/usr/bin/env bash
# Our manifests and manifest lists (format versions 2 and 3) read by two independent Avro
# implementations:
#  - Debian's python3-avro reads every record with the values our own reader sees, and the
#    header keys the spec requires (schema, schema-id, partition-spec, partition-spec-id,
#    format-version, content; snapshot-id, parent-snapshot-id, sequence-number, format-version
#    and V3 first-row-id for lists), and finds every field id of the spec in avro.schema;
#  - avsc (npm, given the raw JSON schema) reads every record with equal values and counts the
#    same id attributes in the header's avro.schema.
source "$(dirname "$0")/../common/prologue.sh"
set +e # the checks below read exit statuses themselves (ok/bad/check count them)
TOOL=build/asan/tests/iceberg/test_manifest
AVRO=build/asan/tests/avro/test_avro
PY=/usr/bin/python3
PEER=tests/avro/avro_peer.py
bad() { # also shows the failed step's log
  fail=$((fail + 1))
  echo "FAIL: $*"
  [ -s "$T/log" ] && sed 's/^/  | /' "$T/log" | head -20
}
run() {
  local what="$1"
  shift
  if "$@" >"$T/log" 2>&1; then ok; else bad "$what"; fi
}

[ -x "$TOOL" ] && [ -x "$AVRO" ] || { echo "build the tests first (make tests)"; exit 1; }
$PY -c 'import avro' || { echo "python3-avro missing"; exit 1; }

run "write manifests" "$TOOL" write "$T"

# field ids the spec puts in manifests and lists (Appendix A / Manifests / Manifest Lists)
cat >"$T/ids.py" <<'EOF'
import json, sys, warnings
warnings.simplefilter("ignore")
import avro.datafile, avro.io
kind, version, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, "rb") as f:
    r = avro.datafile.DataFileReader(f, avro.io.DatumReader())
    schema = json.loads(r.get_meta("avro.schema").decode())
seen = {}
def walk(j):
    if isinstance(j, dict):
        for k in ("field-id", "element-id", "key-id", "value-id"):
            if k in j:
                seen[j[k]] = seen.get(j[k], 0) + 1
        for v in j.values():
            walk(v)
    elif isinstance(j, list):
        for v in j:
            walk(v)
walk(schema)
if kind == "manifest":
    want = [0, 1, 2, 3, 4, 100, 101, 102, 103, 104, 108, 109, 110, 117, 118, 119, 120, 121, 122, 125, 126, 127,
            128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 143] + list(range(1000, 1007))
    if version >= 3:
        want += [142, 144, 145]
else:
    want = list(range(500, 520)) + ([520] if version >= 3 else [])
missing = [i for i in want if seen.get(i) != 1]
extra = [i for i in seen if i not in want]
if missing or extra:
    print("missing or repeated ids:", missing, "unexpected:", extra)
    sys.exit(1)
print(len(want), "ids")
EOF

for v in 2 3; do
  for kind in manifest list; do
    f=$T/$kind-v$v.avro
    if [ $kind = manifest ]; then
      keys="format-version content partition-spec-id schema-id"
      expect="format-version=$v
content=data
partition-spec-id=0
schema-id=0"
    else
      keys="format-version snapshot-id parent-snapshot-id sequence-number"
      expect="format-version=$v
snapshot-id=77
parent-snapshot-id=null
sequence-number=1"
      [ $v = 3 ] && { keys="$keys first-row-id"; expect="$expect
first-row-id=0"; }
    fi
    run "$kind v$v: our reader" sh -c "$AVRO avro2json $f > $T/ours.jsonl"
    run "$kind v$v: python3-avro reads" $PY $PEER read "$f" "$T/py.jsonl" $keys
    got=$(cat "$T/log")
    if [ "$got" = "$expect" ]; then ok; else bad "$kind v$v: header keys as python3-avro sees them: $got"; fi
    run "$kind v$v: python3-avro values equal ours" $PY $PEER cmp "$T/ours.jsonl" "$T/py.jsonl"
    [ "$(wc -l <"$T/ours.jsonl")" -ge 1 ] && ok || bad "$kind v$v: no records"
    run "$kind v$v: every spec field id in avro.schema" $PY "$T/ids.py" $kind $v "$f"
    if [ $kind = manifest ]; then
      # the schema and partition-spec keys are the table schema and the spec's fields as JSON
      run "$kind v$v: schema and partition-spec JSON" $PY -c "
import json, sys, warnings, avro.datafile, avro.io; warnings.simplefilter('ignore')
r = avro.datafile.DataFileReader(open('$f', 'rb'), avro.io.DatumReader())
s = json.loads(r.get_meta('schema').decode()); p = json.loads(r.get_meta('partition-spec').decode())
assert s['type'] == 'struct' and [x['name'] for x in s['fields']] == ['id', 'ts', 'name', 'price', 'f', 'u'], s
assert [x['transform'] for x in p] == ['identity', 'day', 'bucket[4]', 'truncate[3]', 'identity', 'identity', 'identity'], p
assert [x['field-id'] for x in p] == list(range(1000, 1007)), p
"
    fi
    # avsc: values and the ids it finds in the header's schema
    $PY -c "
import avro.datafile, avro.io, sys, warnings; warnings.simplefilter('ignore')
r = avro.datafile.DataFileReader(open('$f', 'rb'), avro.io.DatumReader())
sys.stdout.buffer.write(r.get_meta('avro.schema'))" >"$T/schema.avsc"
    run "$kind v$v: avsc reads" node tests/avro/avsc_peer.mjs read "$f" "$T/avsc.jsonl"
    run "$kind v$v: avsc values equal ours" $PY $PEER cmp "$T/ours.jsonl" "$T/avsc.jsonl"
    want_ids=$($PY $PEER ids "$T/schema.avsc")
    got_ids=$(node tests/avro/avsc_peer.mjs header "$f" "$T/schema.avsc" 2>&1)
    if [ "$got_ids" = "$want_ids" ] && [ "$got_ids" -gt 10 ]; then ok; else bad "$kind v$v: avsc found '$got_ids' ids, python3-avro $want_ids"; fi
  done
done
result

#!/usr/bin/env bash
# Avro interop against two independent implementations, on an Iceberg manifest-entry schema and
# on one with every other type (tests/avro/schemas/), 500 random records each (fixed seed):
#  - Debian's python3-avro reads what we write (null, deflate; snappy and zstandard through the
#    codecs tests/avro/avro_peer.py registers) with equal values and header metadata, and we read
#    what it writes with each codec;
#  - avsc (npm, given the raw JSON schema) reads what we write with every codec, and the header's
#    avro.schema is the schema text we were given, byte for byte, with every field-id,
#    element-id, key-id and value-id in it.
# Values are compared as canonical JSON lines (tests/avro/avro_util.h describes the form).
source "$(dirname "$0")/../common/prologue.sh"
set +e # the checks below read exit statuses themselves (ok/bad/check count them)
TOOL=build/asan/tests/avro/test_avro
PY=/usr/bin/python3
PEER=tests/avro/avro_peer.py
bad() { # also shows the failed step's log
  fail=$((fail + 1))
  echo "FAIL: $*"
  [ -s "$T/log" ] && sed 's/^/  | /' "$T/log" | head -20
}
# run WHAT CMD...: counts a pass when CMD succeeds, shows its output otherwise
run() {
  local what="$1"
  shift
  if "$@" >"$T/log" 2>&1; then ok; else bad "$what"; fi
}

[ -x "$TOOL" ] || { echo "build the tests first (make tests)"; exit 1; }
$PY -c 'import avro' || { echo "python3-avro missing (apt-get install python3-avro)"; exit 1; }
have_zstd_cli=0
command -v zstd >/dev/null && have_zstd_cli=1

for S in manifest_entry interop_types; do
  SCH=tests/avro/schemas/$S.avsc
  run "$S: generate" sh -c "$TOOL gen $SCH 42 500 > $T/$S.jsonl"
  want_ids=$($PY $PEER ids "$SCH")
  echo "$S: 500 records, $want_ids id attributes in the schema"
  for c in null deflate snappy zstandard; do
    ours=$T/ours.$S.$c.avro
    run "$S/$c: we write" "$TOOL" json2avro "$SCH" "$T/$S.jsonl" "$ours" $c 64 \
      format-version=2 content=data partition-spec-id=0 "schema={\"type\":\"struct\",\"schema-id\":0,\"fields\":[]}"

    # python3-avro reads ours (its zstandard codec needs the zstd command)
    if [ $c != zstandard ] || [ $have_zstd_cli = 1 ]; then
      run "$S/$c: python3-avro reads ours" $PY $PEER read "$ours" "$T/py.jsonl" format-version content partition-spec-id schema avro.codec
      cp "$T/log" "$T/meta"
      run "$S/$c: python3-avro values equal" $PY $PEER cmp "$T/$S.jsonl" "$T/py.jsonl"
      expect="format-version=2
content=data
partition-spec-id=0
schema={\"type\":\"struct\",\"schema-id\":0,\"fields\":[]}
avro.codec=$c"
      if [ "$(cat "$T/meta")" = "$expect" ]; then ok; else bad "$S/$c: header metadata as python3-avro sees it: $(cat "$T/meta")"; fi
    else
      echo "$S/$c: no zstd command, python3-avro cannot decompress (avsc checks this file)"
    fi

    # avsc reads ours; the schema in the header is exactly ours, ids and all
    run "$S/$c: avsc reads ours" node tests/avro/avsc_peer.mjs read "$ours" "$T/avsc.jsonl"
    run "$S/$c: avsc values equal" $PY $PEER cmp "$T/$S.jsonl" "$T/avsc.jsonl"
    got_ids=$(node tests/avro/avsc_peer.mjs header "$ours" "$SCH" 2>&1)
    if [ "$got_ids" = "$want_ids" ]; then ok; else bad "$S/$c: avsc found '$got_ids' id attributes in avro.schema, want $want_ids"; fi

    # we read what python3-avro writes
    theirs=$T/theirs.$S.$c.avro
    run "$S/$c: python3-avro writes" $PY $PEER write "$SCH" "$T/$S.jsonl" "$theirs" $c 64 format-version=2
    run "$S/$c: we read python3-avro's" sh -c "$TOOL avro2json $theirs > $T/back.jsonl"
    run "$S/$c: our values equal" $PY $PEER cmp "$T/$S.jsonl" "$T/back.jsonl"
  done
done
result

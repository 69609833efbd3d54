#!/usr/bin/env bash
# prestige iceberg sink / publish / poll (IcebergSink, write-audit-publish, IcebergPoller) on a
# SQLite catalog:
#   - SIGKILL campaign: the sink (pipelined commits, --manifest-dir) killed at random moments, on a
#     local warehouse and on s3rver, restarted on the same manifest dir each round, then a recovery
#     run (uploads to s3rver slowed by the fault proxy, so some kills land during them): every acknowledged row (printed input_rows) is in the table exactly once, checked by
#     icebird (an independent reader), by DuckDB over the data files the manifests list, and by a
#     full replay of the poller; no data file referenced
#     twice; no (writer-id, commit-seq) in two snapshots; recovered lines name real snapshots;
#   - streaming behind a FIFO that stays open: a commit every --commit-every rows (latency printed),
#     --roll-time commits while idle, SIGTERM: a final commit, exit 0;
#   - WAP: staged commits invisible on main (poller delivers nothing), publish by fast-forward and
#     by cherry-pick after main moved, publishing twice adds nothing, auto-publish;
#   - poller: checkpoints per consumer (SQLite and PostgreSQL state stores), resume exactly after
#     the last ack after SIGKILL;
#   - two sinks appending to one table at once (catalog conflicts retried): both exactly once.
source "$(dirname "$0")/../common/prologue.sh"
PY=/usr/bin/python3
unset PRESTIGE_CATALOG PRESTIGE_WAREHOUSE
now_ms() { date +%s%3N; }
C=(--catalog "sqlite:$T/cat.db" --warehouse "$T/wh")
SCHEMA='id:int64,round:int64,msg:string'
$P iceberg create-namespace db "${C[@]}" >/dev/null

# gen BASE N: N JSON lines with ids BASE..BASE+N-1
gen() { awk -v b="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "{\"id\":%d,\"round\":%d,\"msg\":\"m-%d\"}\n", b + i, int(b / 100000), i }'; }
# acked FILE: the input rows acknowledged by a sink's output (the last non-recovered input_rows)
acked() { "$PY" -c '
import json, sys
v = 0
for line in open(sys.argv[1]):
    try: d = json.loads(line)
    except Exception: continue
    if not d.get("recovered"): v = max(v, d["input_rows"])
print(v)' "$1"; }
metadata_of() { $P iceberg describe "$1" "${C[@]}" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["metadata_location"])'; }

# verify TABLE ACKED_FILE LABEL [icebird]: ACKED_FILE has "base count" lines; every id base..base+count-1
# must be in the table once; no id twice; nothing outside the rounds' inputs.
verify() {
  local table=$1 ackf=$2 label=$3 use_icebird=${4:-}
  $P iceberg poll "$table" --process verify-$RANDOM --once "${C[@]}" > "$T/replay.jsonl" 2> "$T/replay.err" || bad "$label: replay: $(cat "$T/replay.err")"
  "$PY" - "$ackf" "$T/replay.jsonl" "$label" <<'EOF' && ok || bad "$3: poller replay check"
import json, sys, collections
ack = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
ids = [json.loads(l)["id"] for l in open(sys.argv[2])]
c = collections.Counter(ids)
dups = [k for k, v in c.items() if v > 1]
missing = [b + i for b, n in ack for i in range(n) if (b + i) not in c]
print(f"{sys.argv[3]}: {len(ids)} rows in the table, {sum(n for _, n in ack)} acknowledged, {len(dups)} duplicated, {len(missing)} missing")
sys.exit(1 if dups or missing else 0)
EOF
  if [ -n "$use_icebird" ]; then
    local ml; ml=$(metadata_of "$table")
    node tests/iceberg/icebird_rows.mjs "$ml" id > "$T/icebird.json" 2> "$T/icebird.err" || bad "$label: icebird: $(head -c 300 "$T/icebird.err")"
    "$PY" - "$ackf" "$T/icebird.json" "$T/replay.jsonl" "$label" <<'EOF' && ok || bad "$4: icebird check"
import json, sys, collections
ack = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
d = json.load(open(sys.argv[2]))
c = collections.Counter(d["values"])
ours = sorted(json.loads(l)["id"] for l in open(sys.argv[3]))
dups = [k for k, v in c.items() if v > 1]
missing = [b + i for b, n in ack for i in range(n) if (b + i) not in c]
print(f"{sys.argv[4]}: icebird reads {d['rows']} rows from {d['files']} data files ({d['dup_files']} referenced twice), {len(dups)} duplicated ids, {len(missing)} acknowledged ids missing, same rows as prestige: {d['values'] == ours}")
sys.exit(1 if dups or missing or d["dup_files"] or d["values"] != ours else 0)
EOF
    # DuckDB over the data files the manifests list: the same rows, no id twice
    local list; list=$("$PY" -c 'import json,sys; print(",".join("\x27" + p.replace("file://", "") + "\x27" for p in json.load(open(sys.argv[1]))["paths"]))' "$T/icebird.json")
    local got; got=$(duck "SELECT count(*)::VARCHAR c, count(DISTINCT id)::VARCHAR d FROM read_parquet([$list])")
    local want; want=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["values"]))' "$T/icebird.json")
    echo "$label: DuckDB over the listed data files: $got"
    check "echo '$got' | grep -q '\"c\":\"$want\",\"d\":\"$want\"'"
  fi
  # every (writer-id, commit-seq) once among the snapshots
  $P iceberg snapshots "$table" "${C[@]}" > "$T/snaps.jsonl"
  "$PY" - "$T/snaps.jsonl" "$label" <<'EOF' && ok || bad "$2: a commit landed twice"
import json, sys, collections
c = collections.Counter()
for l in open(sys.argv[1]):
    s = json.loads(l)["summary"]
    if "prestige.writer-id" in s: c[(s["prestige.writer-id"], s["prestige.commit-seq"])] += 1
twice = [k for k, v in c.items() if v > 1]
print(f"{sys.argv[2]}: {sum(c.values())} sink snapshots, {len(twice)} commit seqs landed twice")
sys.exit(1 if twice else 0)
EOF
}

# ---- SIGKILL campaign ------------------------------------------------------------------------------
# campaign TABLE ROUNDS LABEL [sink options]: each round feeds 6000 fresh rows and kills the sink
# with SIGKILL after a random delay (seeded); a final run with empty input recovers what is left.
campaign() {
  local table=$1 rounds=$2 label=$3; shift 3
  local md="$T/man-$label" ackf="$T/acked-$label" during_commit=0 recovered_lines=0 during_upload=0
  : > "$ackf"
  RANDOM=42
  for round in $(seq 1 "$rounds"); do
    local base=$((round * 100000))
    gen $base 6000 > "$T/in.jsonl"
    $PR iceberg sink "$table" --schema "$SCHEMA" --commit-every 250 --max-pending-commits 3 --manifest-dir "$md" "${C[@]}" "$@" \
      < "$T/in.jsonl" > "$T/out-$label.$round" 2>> "$T/err-$label.log" &
    local pid=$!
    sleep "0.$(printf '%03d' $((RANDOM % 900 + 50)))"
    if [ -n "${PROXY_ENDPOINT:-}" ]; then # a kill while an upload is in flight: a PUT without a status yet
      local inflight
      inflight=$(curl -s "$PROXY_ENDPOINT/__proxy/log" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const l=JSON.parse(s);console.log(l.filter(e=>e.method==="PUT"&&e.status===null).length)})')
      [ "${inflight:-0}" -gt 0 ] && during_upload=$((during_upload + 1))
      curl -sf -X POST "$PROXY_ENDPOINT/__proxy/reset" >/dev/null
      curl -sf -X POST "$PROXY_ENDPOINT/__proxy/faults" -d '[{"match":{"method":"PUT"},"times":-1,"action":{"type":"delay","ms":40}}]' >/dev/null
    fi
    kill -9 $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    echo "$base $(acked "$T/out-$label.$round")" >> "$ackf"
    local rl; rl=$(grep -c '"recovered":true' "$T/out-$label.$round" || true)
    recovered_lines=$((recovered_lines + rl))
    # the previous kill left commits in flight (sealed, manifest written, not acknowledged)
    [ "$round" -gt 1 ] && [ "$rl" -gt 0 ] && during_commit=$((during_commit + 1))
  done
  $PR iceberg sink "$table" --schema "$SCHEMA" --manifest-dir "$md" "${C[@]}" "$@" < /dev/null > "$T/out-$label.final" 2>> "$T/err-$label.log" \
    || bad "$label: the recovery run failed: $(tail -3 "$T/err-$label.log")"
  local rl; rl=$(grep -c '"recovered":true' "$T/out-$label.final" || true)
  recovered_lines=$((recovered_lines + rl))
  [ "$rl" -gt 0 ] && during_commit=$((during_commit + 1))
  check "[ -z \"\$(ls '$md' | grep '^commit-')\" ]"   # every manifest resolved
  # recovered lines carry the snapshot id of a snapshot with their commit seq
  $P iceberg snapshots "$table" "${C[@]}" > "$T/snaps.jsonl"
  cat "$T"/out-$label.* | "$PY" -c '
import json, sys
snaps = {}
for l in open(sys.argv[1]):
    d = json.loads(l); snaps[d["snapshot_id"]] = d["summary"].get("prestige.commit-seq")
bad = 0
for l in sys.stdin:
    try: d = json.loads(l)
    except Exception: continue
    if snaps.get(d["snapshot_id"]) != str(d["commit_seq"]): bad += 1
sys.exit(1 if bad else 0)' "$T/snaps.jsonl" && ok || bad "$label: a printed line names a snapshot without its commit seq"
  echo "$label: $rounds rounds, $during_commit killed with a commit in flight, $during_upload during an upload, $recovered_lines recovered commits printed"
  check "[ $during_commit -gt 0 ]"
  [ -z "${PROXY_ENDPOINT:-}" ] || check "[ $during_upload -gt 0 ]"
}

t0=$(now_ms)
campaign db.crash "${ICE_CRASH_ROUNDS:-40}" local
verify db.crash "$T/acked-local" local icebird
echo "local campaign: $(( ($(now_ms) - t0) / 1000 )) s"

s3rver_start "$T/s3" lake >/dev/null
proxy_start "$S3_ENDPOINT"   # uploads slowed (40 ms a PUT) so that kills land during them
export AWS_ENDPOINT_URL="$PROXY_ENDPOINT"
curl -sf -X POST "$PROXY_ENDPOINT/__proxy/faults" -d '[{"match":{"method":"PUT"},"times":-1,"action":{"type":"delay","ms":40}}]' >/dev/null
t0=$(now_ms)
C=(--catalog "sqlite:$T/cat.db" --warehouse "s3://lake/wh")
$P iceberg create-namespace s3db "${C[@]}" >/dev/null
campaign s3db.crash "${ICE_CRASH_ROUNDS_S3:-12}" s3
verify s3db.crash "$T/acked-s3" s3
echo "s3 campaign: $(( ($(now_ms) - t0) / 1000 )) s"
export AWS_ENDPOINT_URL="$S3_ENDPOINT"; unset PROXY_ENDPOINT
C=(--catalog "sqlite:$T/cat.db" --warehouse "$T/wh")

# ---- streaming behind a FIFO --------------------------------------------------------------------------
mkfifo "$T/fifo"
$P iceberg sink db.stream --schema "$SCHEMA" --commit-every 2 "${C[@]}" < "$T/fifo" > "$T/stream.jsonl" 2> "$T/stream.err" &
spid=$!
exec 7> "$T/fifo"
max_lat=0; late=0
for i in $(seq 1 8); do
  gen $i 1 >&7
  if [ $((i % 2)) -eq 0 ]; then
    ts=$(now_ms)
    if wait_for 10 "grep -q '\"input_rows\": *$i[,}]' '$T/stream.jsonl'"; then
      lat=$(( $(now_ms) - ts )); [ $lat -gt $max_lat ] && max_lat=$lat
    else late=$((late + 1)); bad "stream: no commit of $i rows within 10 s: $(cat "$T/stream.jsonl")"; fi
  fi
done
echo "stream: commit acknowledged at most ${max_lat} ms after --commit-every was reached"
check "[ $late -eq 0 ] && [ \$(wc -l < '$T/stream.jsonl') -eq 4 ] && kill -0 $spid"
gen 9 3 >&7
sleep 0.5
kill -TERM $spid
wait $spid; rc=$?
exec 7>&-
check "[ $rc -eq 0 ] && grep -q 'stopped by SIGTERM after a final commit' '$T/stream.err'"
check "[ \"\$(acked '$T/stream.jsonl')\" = 11 ]"
echo "0 0" > "$T/acked-stream"; echo "1 11" >> "$T/acked-stream"
verify db.stream "$T/acked-stream" stream icebird
# an existing table and no --schema: text takes the table's types at once (no inference that would
# wait for thousands of rows), so two lines make a commit and SIGTERM a final one
rm -f "$T/fifo"; mkfifo "$T/fifo"
$P iceberg sink db.stream --commit-every 2 "${C[@]}" < "$T/fifo" > "$T/noschema.jsonl" 2> "$T/noschema.err" &
spid=$!
exec 7> "$T/fifo"
gen 500 2 >&7
check "wait_for 10 \"grep -q '\\\"input_rows\\\": *2[,}]' '$T/noschema.jsonl'\""
gen 502 1 >&7
sleep 0.5
kill -TERM $spid
wait $spid; rc=$?
exec 7>&-
check "[ $rc -eq 0 ] && grep -q 'stopped by SIGTERM after a final commit' '$T/noschema.err' && [ \"\$(acked '$T/noschema.jsonl')\" = 3 ]"
# --roll-time: commits while the input is idle
rm -f "$T/fifo"; mkfifo "$T/fifo"
$P iceberg sink db.roll --schema "$SCHEMA" --roll-time 1s --metrics 127.0.0.1:0 "${C[@]}" < "$T/fifo" > "$T/roll.jsonl" 2> "$T/roll.err" &
spid=$!
exec 7> "$T/fifo"
gen 1 3 >&7
ts=$(now_ms)
check "wait_for 15 \"grep -q '\\\"input_rows\\\": *3' '$T/roll.jsonl'\""
echo "roll-time 1s: commit while idle after $(( $(now_ms) - ts )) ms"
check "kill -0 $spid"
murl=$(grep -o 'http://127.0.0.1:[0-9]*/metrics' "$T/roll.err" | head -1)
curl -s "$murl" > "$T/metrics.txt" || true
check "grep -q 'prestige_iceberg_sink_commits_total{sink=\"db.roll\"} 1' '$T/metrics.txt' && grep -q 'prestige_iceberg_sink_records_written_total{sink=\"db.roll\"} 3' '$T/metrics.txt' && grep -q 'prestige_iceberg_sink_commits_in_flight{sink=\"db.roll\"} 0' '$T/metrics.txt'"
exec 7>&-
wait $spid; rc=$?
check "[ $rc -eq 0 ] && [ \$(wc -l < '$T/roll.jsonl') -eq 1 ]"

# ---- write-audit-publish ----------------------------------------------------------------------------
gen 1000 5 | $P iceberg sink db.wap --schema "$SCHEMA" --wap audit --no-publish "${C[@]}" > "$T/wap1.jsonl" || bad "wap: staging"
$P iceberg describe db.wap "${C[@]}" > "$T/wap.desc"
check "[ \"\$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[\"current_snapshot_id\"], sorted(d[\"refs\"]))' '$T/wap.desc')\" = \"None ['audit']\" ]"
check "[ -z \"\$($P iceberg poll db.wap --process w1 --once ${C[*]})\" ]"      # nothing on main yet
check "$P iceberg snapshots db.wap ${C[*]} | grep -q '\"wap.id\":\"audit\"'"
$P iceberg publish db.wap --branch audit "${C[@]}" > "$T/pub1.json" || bad "wap: publish"
staged=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["snapshot_id"])' "$T/wap1.jsonl")
check "grep -q '\"snapshot_id\": *$staged' '$T/pub1.json'"              # fast-forward: main = the staged snapshot
# stage more, move main meanwhile, publish: a cherry-pick
gen 2000 3 | $P iceberg sink db.wap --schema "$SCHEMA" --wap audit --no-publish "${C[@]}" > /dev/null || bad "wap: staging 2"
gen 3000 2 | $P iceberg sink db.wap --schema "$SCHEMA" "${C[@]}" > /dev/null || bad "wap: main moves"
$P iceberg publish db.wap --branch audit "${C[@]}" > "$T/pub2.json" || bad "wap: publish 2"
$P iceberg publish db.wap --branch audit "${C[@]}" > "$T/pub3.json" || bad "wap: publish 3"
check "cmp -s '$T/pub2.json' '$T/pub3.json'"                              # publishing twice adds nothing
check "$P iceberg snapshots db.wap ${C[*]} | grep -q '\"source-snapshot-id\"'"
printf '1000 5\n2000 3\n3000 2\n' > "$T/acked-wap"
verify db.wap "$T/acked-wap" wap icebird
check "[ \$($P iceberg poll db.wap --process w2 --once ${C[*]} | wc -l) -eq 10 ]"
# auto-publish: --wap without --no-publish
gen 4000 4 | $P iceberg sink db.wap2 --schema "$SCHEMA" --wap b2 "${C[@]}" > /dev/null || bad "wap: auto-publish"
check "[ \$($P iceberg poll db.wap2 --process w --once ${C[*]} | wc -l) -eq 4 ]"
expect_bad_publish=$($P iceberg publish db.wap --branch nope "${C[@]}" 2>&1 >/dev/null; echo "exit $?")
check "echo '$expect_bad_publish' | grep -q 'no branch nope' && echo '$expect_bad_publish' | grep -q 'exit 1'"

# ---- poller checkpoints and resume ----------------------------------------------------------------------
gen 5000 6 | $P iceberg sink db.poll --schema "$SCHEMA" --commit-every 2 "${C[@]}" > /dev/null || bad "poll: sink"
ST=(--state "sqlite:$T/state.db")
check "[ \$($P iceberg poll db.poll --process c1 ${ST[*]} --once ${C[*]} | wc -l) -eq 6 ]"
gen 6000 4 | $P iceberg sink db.poll --schema "$SCHEMA" --commit-every 2 "${C[@]}" > /dev/null || bad "poll: sink 2"
$P iceberg poll db.poll --process c1 "${ST[@]}" --once "${C[@]}" > "$T/c1b.jsonl"
check "[ \$(wc -l < '$T/c1b.jsonl') -eq 4 ] && ! grep -q '\"id\": *500' '$T/c1b.jsonl'"   # only the new rows
check "[ \$($P iceberg poll db.poll --process c2 ${ST[*]} --once ${C[*]} | wc -l) -eq 10 ]"  # its own checkpoint
check "[ -z \"\$($P iceberg poll db.poll --process c1 ${ST[*]} --once ${C[*]})\" ]"
$P iceberg poll db.poll --process c3 "${ST[@]}" --once --summary "${C[@]}" > "$T/sum.jsonl"
check "[ \$(wc -l < '$T/sum.jsonl') -eq 5 ] && [ \"\$(grep -c '\"operation\": *\"append\", *\"rows\": *2' '$T/sum.jsonl')\" = 5 ]"
# SIGKILL in the middle, then resume exactly after the last ack
gen 7000 20 | $P iceberg sink db.poll --schema "$SCHEMA" --commit-every 1 "${C[@]}" > /dev/null || bad "poll: sink 3"
$P iceberg poll db.poll --process c4 "${ST[@]}" --summary --poll-interval 100ms "${C[@]}" > "$T/k1.jsonl" 2>/dev/null &
ppid=$!
wait_for 30 "[ \$(wc -l < '$T/k1.jsonl') -ge 12 ]" || bad "poll: no progress"
kill -9 $ppid; wait $ppid 2>/dev/null || true
"$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT key FROM prestige_poller_state WHERE process=\x27c4\x27 ORDER BY ts DESC LIMIT 1").fetchone()[0])' "$T/state.db" > "$T/c4.key"
$P iceberg poll db.poll --process c4 "${ST[@]}" --summary --once "${C[@]}" > "$T/k2.jsonl"
$P iceberg snapshots db.poll "${C[@]}" > "$T/psnaps.jsonl"
"$PY" - "$T/c4.key" "$T/k1.jsonl" "$T/k2.jsonl" "$T/psnaps.jsonl" <<'EOF' && ok || bad "poll: resume after SIGKILL"
import json, sqlite3, sys
key = open(sys.argv[1]).read().strip()
before = [json.loads(l)["snapshot_id"] for l in open(sys.argv[2])]
after = [json.loads(l)["snapshot_id"] for l in open(sys.argv[3])]
allsn = [json.loads(l)["snapshot_id"] for l in open(sys.argv[4])]
if int(key) not in before:
    print("poll resume: last ack", key, "not among the delivered", before); sys.exit(1)
i = before.index(int(key))
ok = before[:i + 1] + after == allsn
print(f"poll resume: {len(before)} delivered before the kill, last ack #{i + 1}, {len(after)} after the restart, {len(allsn)} snapshots")
sys.exit(0 if ok else 1)
EOF

# checkpoints in PostgreSQL: the same resume
pg_start >/dev/null
PGS=(--state "$PG_URL")
check "[ \$($P iceberg poll db.poll --process pg1 ${PGS[*]} --once ${C[*]} | wc -l) -eq 30 ]"
gen 8000 3 | $P iceberg sink db.poll --schema "$SCHEMA" "${C[@]}" > /dev/null || bad "poll: sink 4"
$P iceberg poll db.poll --process pg1 "${PGS[@]}" --once "${C[@]}" > "$T/pg1.jsonl"
check "[ \$(wc -l < '$T/pg1.jsonl') -eq 3 ] && grep -q '\"id\": *8002' '$T/pg1.jsonl'"

# ---- two sinks on one table at once: conflicts retried, both exactly once ---------------------------------
gen 800000 3000 > "$T/a.jsonl"; gen 900000 3000 > "$T/b.jsonl"
$PR iceberg sink db.conc --schema "$SCHEMA" --commit-every 100 --manifest-dir "$T/ma" "${C[@]}" < "$T/a.jsonl" > "$T/ca.jsonl" 2> "$T/ca.err" &
pa=$!
$PR iceberg sink db.conc --schema "$SCHEMA" --commit-every 100 --manifest-dir "$T/mb" "${C[@]}" < "$T/b.jsonl" > "$T/cb.jsonl" 2> "$T/cb.err" &
pb=$!
wait $pa; ra=$?; wait $pb; rb=$?
check "[ $ra -eq 0 ] && [ $rb -eq 0 ]" || cat "$T/ca.err" "$T/cb.err" | tail -5
printf '800000 3000\n900000 3000\n' > "$T/acked-conc"
verify db.conc "$T/acked-conc" concurrent icebird

# ---- --threads: the same rows whatever the encoding threads ------------------------------------------------
gen 950000 2000 > "$T/th.jsonl"
$PR iceberg sink db.th --schema "$SCHEMA" --threads 2 --commit-every 700 "${C[@]}" < "$T/th.jsonl" > "$T/th.out" 2> "$T/th.err"
rth=$?
check "[ $rth -eq 0 ] && [ \"\$(acked '$T/th.out')\" = 2000 ]" || tail -3 "$T/th.err"
printf '950000 2000\n' > "$T/acked-th"
verify db.th "$T/acked-th" threads

# ---- bad input --------------------------------------------------------------------------------------------
st_of $P iceberg sink db.x --threads 0 "${C[@]}" < /dev/null 2> "$T/e0"
check "[ $st -eq 2 ] && grep -q -- '--threads' '$T/e0'"
st_of $P iceberg sink db.x --no-publish "${C[@]}" < /dev/null 2> "$T/e1"
check "[ $st -eq 2 ] && grep -q -- '--no-publish goes with --wap' '$T/e1'"
st_of $P iceberg sink db.x --max-pending-commits 0 "${C[@]}" < /dev/null 2> "$T/e2"
check "[ $st -eq 2 ]"
st_of $P iceberg poll db.poll --once "${C[@]}" 2> "$T/e3"
check "[ $st -eq 2 ] && grep -q -- '--process NAME is required' '$T/e3'"
st_of $P iceberg poll db.nope --process a --once "${C[@]}" 2> "$T/e4"
check "[ $st -eq 1 ] && grep -q 'db.nope' '$T/e4'"
echo 'garbage' > "$T/man-local/commit-00000000000000099999.avro"
st_of $P iceberg sink db.crash --schema "$SCHEMA" --manifest-dir "$T/man-local" "${C[@]}" < /dev/null 2> "$T/e5"
check "[ $st -eq 1 ] && grep -q 'commit-00000000000000099999.avro' '$T/e5'"
result

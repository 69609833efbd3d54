#!/usr/bin/env bash
# Crash test of `prestige sink` (the ParquetSink behind it) uploading to s3rver: 55 rounds, each
# killed with SIGKILL at a random moment (uploads are slowed by the fault proxy so that many kills
# land during them, others after a checkpoint of the file being written), then restarted on the
# same directory. Afterwards every record acknowledged by
# a printed manifest must be in the bucket exactly once, no record may appear twice, and DuckDB
# must read every uploaded file.
# Kills are timed by progress, not only by the clock, so that a loaded machine changes nothing: round
# 0 waits for the file being written, every fourth round waits for an upload in flight (its PUTs
# held 2 s at the proxy) before the kill, every fourth other round (round % 4 == 2) waits until all its
# rows are acknowledged with the input still open (the last file unfinished, checkpointed); the other
# rounds kill at a random moment.
source "$(dirname "$0")/../common/prologue.sh"
P=$PR

s3rver_start "$T/s3" "crash"
proxy_start "$S3_ENDPOINT"
export AWS_ENDPOINT_URL="$PROXY_ENDPOINT"
curl -sf -X POST "$PROXY_ENDPOINT/__proxy/faults" \
  -d '[{"match":{"method":"PUT"},"times":-1,"action":{"type":"delay","ms":25}}]' >/dev/null || bad "proxy faults"

SINK=($P sink --name ev --dir "$T/out" --upload s3://crash/landing --schema 'n:int64,ts:timestamp(ms,UTC),msg:string'
      --commit-every 200 --max-rows 450)
# round 0: killed while a file is certainly being written (the input pauses without ending)
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "{\"n\":%d,\"ts\":\"2024-01-01T00:00:00.000Z\",\"msg\":\"round-0\"}\n", i }' > "$T/in0.jsonl"
( cat "$T/in0.jsonl"; sleep 3600 & echo $! > "$T/sleep.pid"; wait ) | $P sink --name ev --dir "$T/out" --upload s3://crash/landing \
    --schema 'n:int64,ts:timestamp(ms,UTC),msg:string' --max-rows 1000000 > "$T/manifests.0" 2>> "$T/stderr.log" &
sink0=$!
wait_for 300 "ls '$T'/out/*.parquet.tmp >/dev/null 2>&1" || bad "round 0: no file was being written"
sleep 0.3
kill -9 "$sink0" || true; kill "$(cat "$T/sleep.pid")" 2>/dev/null || true; wait "$sink0" 2>/dev/null || true
check "[ ! -s '$T/manifests.0' ]"   # nothing was acknowledged in round 0
echo "0 0" >> "$T/acked.txt"
ROUNDS=${CRASH_ROUNDS:-55}
RANDOM=42
killed_during_upload=0
# PUTs without a status yet (parsed, not matched by key order: the proxy's log entries grow fields)
puts_in_flight() {
  curl -s "$PROXY_ENDPOINT/__proxy/log" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const l=JSON.parse(s);console.log(l.filter(e=>e.method==="PUT"&&e.status===null).length)})'
}
for round in $(seq 1 "$ROUNDS"); do
  base=$((round * 100000))
  targeted=$((round % 4 == 0))
  if [ $targeted -eq 1 ]; then
    curl -sf -X POST "$PROXY_ENDPOINT/__proxy/reset" >/dev/null
    curl -sf -X POST "$PROXY_ENDPOINT/__proxy/faults" \
      -d '[{"match":{"method":"PUT"},"times":-1,"action":{"type":"delay","ms":2000}}]' >/dev/null
  fi
  awk -v base=$base -v r=$round 'BEGIN { for (i = 0; i < 3000; i++) printf "{\"n\":%d,\"ts\":\"2024-01-01T%02d:%02d:%02d.%03dZ\",\"msg\":\"round-%d-%d\"}\n", base + i, r % 24, int(i / 1000), i % 60, i % 1000, base, i }' > "$T/in.jsonl"
  after_ckpt=$((round % 4 == 2))
  if [ $after_ckpt -eq 1 ]; then
    # the input stays open after its last line: the sink acknowledges all 3000 rows (the last file,
    # unfinished, checkpointed at a commit point) and waits for more; the kill lands then, however
    # fast or slow the machine is, and the restart must restore that file at its checkpoint
    ( cat "$T/in.jsonl"; sleep 3600 & echo $! > "$T/sleep.pid"; wait ) | "${SINK[@]}" > "$T/manifests.$round" 2>> "$T/stderr.log" &
  else
    "${SINK[@]}" < "$T/in.jsonl" > "$T/manifests.$round" 2>> "$T/stderr.log" &
  fi
  pid=$!
  delay="0.$(printf '%03d' $((RANDOM % 700 + 20)))" # drawn every round: the sequence stays that of seed 42
  if [ $targeted -eq 1 ]; then
    wait_for 300 "[ \$(puts_in_flight) -gt 0 ] || ! kill -0 $pid 2>/dev/null" || true
  elif [ $after_ckpt -eq 1 ]; then
    wait_for 300 "grep -q '\"input_rows\":3000}' '$T/manifests.$round'" || bad "round $round: 3000 rows were not acknowledged"
  else
    sleep "$delay"
  fi
  # a kill while an upload is in flight: the proxy has a PUT without a status yet
  inflight=$(curl -s "$PROXY_ENDPOINT/__proxy/log" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const l=JSON.parse(s);console.log(l.filter(e=>e.method==="PUT"&&e.status===null).length)})')
  kill -9 $pid 2>/dev/null && [ "${inflight:-0}" -gt 0 ] && killed_during_upload=$((killed_during_upload + 1))
  [ $after_ckpt -eq 1 ] && { kill "$(cat "$T/sleep.pid")" 2>/dev/null || true; }
  wait $pid 2>/dev/null || true
  curl -sf -X POST "$PROXY_ENDPOINT/__proxy/reset" >/dev/null
  curl -sf -X POST "$PROXY_ENDPOINT/__proxy/faults" \
    -d '[{"match":{"method":"PUT"},"times":-1,"action":{"type":"delay","ms":25}}]' >/dev/null
  # acknowledged = input_rows of the last complete manifest line
  acked=$(python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1], errors="replace"):
    try:
        n = json.loads(line)["input_rows"]
    except Exception:
        pass
print(n)' "$T/manifests.$round")
  echo "$base $acked" >> "$T/acked.txt"
done
# a last run recovers what the last kill left and finishes pending uploads
st_of "${SINK[@]}" < /dev/null > "$T/manifests.final" 2>> "$T/stderr.log"
check "[ $st -eq 0 ]"
check "grep -q 'recovered' '$T/stderr.log'"
check "[ $killed_during_upload -ge 3 ]"
# kills that landed after a checkpoint of the file being written: recovery finished that file at
# its checkpoint (the rows --commit-every acknowledged without cutting the file)
restored=$(grep -c 'restored [0-9]* unfinished files at their last checkpoint' "$T/stderr.log")
echo "restarts that restored a checkpointed file: $restored"
check "[ $restored -ge 3 ]"
echo "rounds: $ROUNDS, killed during an upload: $killed_during_upload, acknowledged rows: $(awk '{s+=$2} END {print s}' "$T/acked.txt")"
check "[ -d '$T/out/.incomplete' ]"   # some kills interrupted a file being written

# the bucket's objects, read where s3rver stores them (one file per object)
$P ls s3://crash/landing/ | cut -f1 > "$T/keys.txt"
nkeys=$(wc -l < "$T/keys.txt")
check "[ $nkeys -gt 10 ]"
check "! grep -v '\.parquet$' '$T/keys.txt'"
OBJ="$T/s3/crash/landing/*._S3rver_object"
check "[ \$(ls $OBJ | wc -l) -eq $nkeys ]"
got=$(duck "SELECT count(*) AS n, count(DISTINCT n) AS d FROM read_parquet('$OBJ')")
check "echo '$got' | python3 -c 'import json,sys; r=json.load(sys.stdin)[0]; sys.exit(0 if r[\"n\"]==r[\"d\"] else 1)'"   # nothing twice
# every acknowledged record is present (exactly once, given the line above)
awk '{ printf "(%d, %d),", $1, $2 }' "$T/acked.txt" | sed 's/,$//' > "$T/acked.values"
missing=$(duck "WITH a(base, acked) AS (VALUES $(cat "$T/acked.values")), r AS (SELECT base + i AS n FROM a, range(acked) t(i)) SELECT count(*) AS m FROM r WHERE n NOT IN (SELECT n FROM read_parquet('$OBJ'))")
check "echo '$missing' | grep -q '\"m\":\"0\"'"
# the files' own row counts agree with what DuckDB reads (no partial file)
for f in $OBJ; do
  $P meta "$f" > /dev/null 2>&1 || bad "prestige cannot read $f"
done
ok
result

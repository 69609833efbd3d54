#!/usr/bin/env bash
# Against s3rver behind the fault proxy (which slows requests down and emulates AbortMultipartUpload):
# a listing whose continuation token repeats, or whose pages do not advance, fails instead of looping;
# SIGTERM/SIGINT in the middle of a multipart `cp` upload, a `cp` download and a `convert` to S3 leave
# no temporary file, no object, and no multipart upload in progress (every upload id that received
# parts was aborted; the in-progress ones are listed from the proxy's log).
source "$(dirname "$0")/../common/prologue.sh"
set +e # the checks below read exit statuses themselves (ok/bad/check count them)
pids=()
kill_pids() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; }
at_exit kill_pids
now_ms() { date +%s%3N; }
wait_until() { local end=$(( $(now_ms) + $2 * 1000 )); while [ "$(now_ms)" -lt $end ]; do eval "$1" && return 0; sleep 0.05; done; return 1; }

s3rver_start "$T/s3" "data" || { echo "FAIL: s3rver"; exit 1; }
proxy_start "$S3_ENDPOINT" || { echo "FAIL: proxy"; exit 1; }
export AWS_ENDPOINT_URL="$PROXY_ENDPOINT"
ctl() { curl -sf -X POST "$PROXY_ENDPOINT/__proxy/$1" ${2:+-d "$2"} >/dev/null; }
# upload ids that got parts, minus those completed or aborted: the uploads still in progress
in_progress() {
  curl -s "$PROXY_ENDPOINT/__proxy/log" > "$T/log.json"
  curl -s "$PROXY_ENDPOINT/__proxy/aborted" > "$T/aborted.json"
  node -e '
const fs = require("fs");
const log = JSON.parse(fs.readFileSync(process.argv[1])), aborted = new Set(JSON.parse(fs.readFileSync(process.argv[2])));
const id = (q) => new URLSearchParams(q).get("uploadId");
const started = new Set(log.filter((e) => e.method === "PUT" && id(e.query)).map((e) => id(e.query)));
const done = new Set(log.filter((e) => e.method === "POST" && id(e.query) && e.status === 200).map((e) => id(e.query)));
const open = [...started].filter((u) => !done.has(u) && !aborted.has(u));
console.log(`${started.size} ${open.length} ${open.join(",")}`);' "$T/log.json" "$T/aborted.json"
}

# --- a listing that repeats its continuation token fails (it looped forever before)
page() { # token, keys...
  local tok=$1; shift
  local c=""
  for k in "$@"; do c="$c<Contents><Key>$k</Key><Size>1</Size><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>\"x\"</ETag></Contents>"; done
  printf '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>data</Name><IsTruncated>true</IsTruncated>%s<NextContinuationToken>%s</NextContinuationToken></ListBucketResult>' "$c" "$tok"
}
json_str() { node -e 'console.log(JSON.stringify(process.argv[1]))' "$1"; }
ctl reset
ctl faults "[{\"match\":{\"method\":\"GET\",\"query\":\"list-type=2\"},\"times\":-1,\"action\":{\"type\":\"reply\",\"status\":200,\"body\":$(json_str "$(page same a.txt b.txt)")}}]"
timeout 60 $P ls s3://data/ > "$T/out" 2> "$T/err"; rc=$?
check "[ $rc -eq 1 ] && grep -q 'continuation token \"same\" twice' '$T/err' && grep -q 's3://data/' '$T/err'"
check "[ \$(wc -l < '$T/out') -le 4 ]"
# new tokens, the same page each time: the listing does not advance either
ctl reset
ctl faults "[{\"match\":{\"method\":\"GET\",\"query\":\"list-type=2\"},\"times\":1,\"action\":{\"type\":\"reply\",\"status\":200,\"body\":$(json_str "$(page t1 a.txt b.txt)")}},
             {\"match\":{\"method\":\"GET\",\"query\":\"list-type=2\"},\"times\":-1,\"action\":{\"type\":\"reply\",\"status\":200,\"body\":$(json_str "$(page t2 a.txt b.txt)")}}]"
timeout 60 $P ls s3://data/ > "$T/out" 2> "$T/err"; rc=$?
check "[ $rc -eq 1 ] && grep -q 'returned the same page (a.txt .. b.txt) again' '$T/err'"
# empty pages that always claim more
ctl reset
ctl faults "[{\"match\":{\"method\":\"GET\",\"query\":\"list-type=2\"},\"times\":-1,\"action\":{\"type\":\"reply\",\"status\":200,\"body\":$(json_str "$(page e1)")}}]"
timeout 60 $P ls s3://data/ > "$T/out" 2> "$T/err"; rc=$?
check "[ $rc -eq 1 ] && grep -q 'does not advance' '$T/err'"
ctl reset
check "$P ls s3://data/ > /dev/null"                   # a real listing still works

# --- SIGTERM / SIGINT in the middle of a multipart upload: aborted, nothing left
export PRESTIGE_S3_PART_SIZE=5M
head -c $((60 * 1024 * 1024)) /dev/urandom > "$T/big.bin"
for sig in TERM INT; do
  ctl reset
  ctl faults '[{"match":{"method":"PUT","query":"uploadId"},"times":-1,"action":{"type":"delay","ms":400}}]'
  $P cp "$T/big.bin" s3://data/up/big-$sig.bin --quiet > /dev/null 2> "$T/err" &
  pid=$!; pids+=($pid)
  check "wait_until \"curl -s '$PROXY_ENDPOINT/__proxy/log' | grep -q '\\\"method\\\":\\\"PUT\\\",[^}]*uploadId'\" 20"
  sleep 0.2
  kill -$sig $pid
  wait $pid; rc=$?
  want=$([ $sig = TERM ] && echo 143 || echo 130)
  check "[ $rc -eq $want ] && grep -q 'stopped by SIG$sig' '$T/err'"
  read -r started open ids <<< "$(in_progress)"
  echo "cp upload stopped by SIG$sig: $started multipart upload(s) started, in progress: ${open} ${ids:-}"
  check "[ '$started' -ge 1 ] && [ '$open' = 0 ]"
  check "! $P ls s3://data/up/ 2>/dev/null | grep -q big-$sig"
  check "[ -z \"\$(ls '$T' | grep prestige-tmp)\" ]"
done
ctl reset

# --- SIGTERM in the middle of a download: no partial file, no temporary file
check "$P cp '$T/big.bin' s3://data/whole.bin --quiet"
mkdir -p "$T/dl"
ctl faults '[{"match":{"method":"GET","path":"whole.bin"},"times":-1,"action":{"type":"delay","ms":700}}]'
$P cp s3://data/whole.bin "$T/dl/whole.bin" --quiet > /dev/null 2> "$T/err" &
pid=$!; pids+=($pid)
check "wait_until \"ls '$T/dl' | grep -q prestige-tmp\" 20"
sleep 0.2
kill -TERM $pid
wait $pid; rc=$?
check "[ $rc -eq 143 ] && [ -z \"\$(ls -A '$T/dl')\" ]"
ctl reset
check "$P cp s3://data/whole.bin '$T/dl/whole.bin' --quiet && cmp -s '$T/big.bin' '$T/dl/whole.bin'"

# --- convert to S3 stopped while uploading (1 MiB parts, one in flight, so the upload is still streaming when
# the signal comes): aborted; no temporary file in TMPDIR, no object
mkdir -p "$T/tmpdir"
awk 'BEGIN { srand(7); print "id,v,s"; for (i = 0; i < 400000; i++) printf "%d,%.6f,%08x%08x%08x\n", i, rand(), rand() * 4294967295, rand() * 4294967295, i }' > "$T/in.csv"
ctl faults '[{"match":{"method":"PUT","query":"uploadId"},"times":-1,"action":{"type":"delay","ms":600}}]'
PRESTIGE_S3_PART_SIZE=1M PRESTIGE_S3_CONCURRENCY=1 TMPDIR="$T/tmpdir" $P convert "$T/in.csv" s3://data/conv/out.parquet --compression none --quiet > /dev/null 2> "$T/err" &
pid=$!; pids+=($pid)
check "wait_until \"curl -s '$PROXY_ENDPOINT/__proxy/log' | grep -q '\\\"method\\\":\\\"PUT\\\",[^}]*uploadId'\" 60"
kill -TERM $pid
wait $pid; rc=$?
check "[ $rc -eq 143 ] && grep -q 'stopped by SIGTERM' '$T/err'"
read -r started open ids <<< "$(in_progress)"
echo "convert upload stopped: $started multipart upload(s) started, in progress: ${open} ${ids:-}"
check "[ '$started' -ge 1 ] && [ '$open' = 0 ]"
check "[ -z \"\$(ls -A '$T/tmpdir')\" ] && ! $P ls s3://data/conv/ 2>/dev/null | grep -q out.parquet"
ctl reset

result

#!/usr/bin/env bash
# Streaming: `prestige sink` behind a FIFO that stays open (as `tail -F | prestige sink` does).
# With --commit-every 2 every second line is committed while the input is still open (each commit
# is waited for up to 10 s on a loaded machine; the latency is printed); the time rotation fires
# while the input is idle; SIGTERM and SIGINT give a final commit, its manifest and exit 0; the rows
# read back with DuckDB are exactly those written. `convert` stopped by a signal leaves nothing.
source "$(dirname "$0")/../common/prologue.sh"
set +e # the checks below read exit statuses themselves (ok/bad/check count them)
pids=()
kill_pids() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; exec 7>&- 2>/dev/null; }
at_exit kill_pids
now_ms() { date +%s%3N; }
# last_field FILE FIELD: FIELD of the last complete manifest line (or -1)
last_field() { python3 -c '
import json, sys
v = -1
for line in open(sys.argv[1]):
    try: v = json.loads(line)[sys.argv[2]]
    except Exception: pass
print(v)' "$1" "$2"; }
# wait_until COND SECONDS: polls COND every 50 ms; 0 when it held in time
wait_until() { local end=$(( $(now_ms) + $2 * 1000 )); while [ "$(now_ms)" -lt $end ]; do eval "$1" && return 0; sleep 0.05; done; return 1; }
line() { printf '{"n":%d,"ts":%d,"msg":"line %d"}\n' "$1" $((1700000000000 + $1)) "$1"; }

# --- --commit-every 2 on a FIFO kept open: a commit for every second line, before the input ends
mkfifo "$T/in"
$P sink --name ev --dir "$T/out" --schema 'n:int64,ts:timestamp(ms,UTC),msg:string' --commit-every 2 \
  < "$T/in" > "$T/man.jsonl" 2> "$T/err.txt" &
pid=$!; pids+=($pid)
exec 7> "$T/in"
max_lat=0; late=0
for i in $(seq 1 10); do
  line $i >&7
  if [ $((i % 2)) -eq 0 ]; then
    t0=$(now_ms)
    if wait_until "grep -q '\"input_rows\":$i}' '$T/man.jsonl'" 10; then
      lat=$(( $(now_ms) - t0 )); [ $lat -gt $max_lat ] && max_lat=$lat
    else
      late=$((late + 1)); bad "no commit of $i rows within 10 s (manifests: $(cat "$T/man.jsonl"))"
    fi
  fi
done
echo "commit latency after --commit-every was reached: at most ${max_lat} ms"
check "[ $late -eq 0 ] && [ \$(wc -l < '$T/man.jsonl') -eq 5 ]"
check "kill -0 $pid"                                  # still running: the input has not ended
# the checkpoints kept one file growing: no file finished, the open file's durable rows grow by 2
check "[ \"\$(grep -o '\"open_rows\":[0-9]*' '$T/man.jsonl' | cut -d: -f2 | tr '\n' ' ')\" = '2 4 6 8 10 ' ]"
check "! grep -q '\"files\":\[{' '$T/man.jsonl' && [ -z \"\$(ls '$T/out' | grep '\.parquet\$')\" ]"

# --- SIGTERM: a final commit, its manifest, exit 0
line 11 >&7; line 12 >&7; line 13 >&7
check "wait_until \"grep -q '\\\"input_rows\\\":12}' '$T/man.jsonl'\" 10"
sleep 0.3
kill -TERM $pid
wait $pid; rc=$?
exec 7>&-
check "[ $rc -eq 0 ]"
check "grep -q 'stopped by SIGTERM after a final commit' '$T/err.txt'"
check "[ \"\$(last_field '$T/man.jsonl' input_rows)\" = 13 ]"
check "tail -1 '$T/man.jsonl' | grep -q '\"rows\":13'"       # one file: the checkpoints did not cut it
check "[ -z \"\$(ls '$T/out' | grep -v '\.parquet\$')\" ] && [ \$(ls '$T/out' | wc -l) -eq 1 ]"  # no .tmp, no slots
got=$(duck "SELECT count(*)::VARCHAR c, count(DISTINCT n)::VARCHAR d, sum(n)::VARCHAR s, max(epoch_ms(ts))::VARCHAR t FROM read_parquet('$T/out/*.parquet')")
check "echo '$got' | grep -q '\"c\":\"13\",\"d\":\"13\",\"s\":\"91\",\"t\":\"1700000000013\"'"

# --- idle: the time rotation fires without new input, and its manifest is printed at once
rm -f "$T/in"; mkfifo "$T/in"
$P sink --name ev3 --dir "$T/out3" --schema 'n:int64,ts:timestamp(ms,UTC),msg:string' --rotate-secs 2 \
  < "$T/in" > "$T/man3.jsonl" 2> "$T/err3.txt" &
pid=$!; pids+=($pid)
exec 7> "$T/in"
for i in 1 2 3; do line $i >&7; done
t0=$(now_ms)
check "wait_until \"grep -q '\\\"files\\\":\\\\[{' '$T/man3.jsonl'\" 15"
echo "rotation while idle reported after $(( $(now_ms) - t0 )) ms (--rotate-secs 2)"
check "kill -0 $pid && [ \"\$(last_field '$T/man3.jsonl' input_rows)\" = 3 ] && grep -q '\"rows\":3' '$T/man3.jsonl'"
got=$(duck "SELECT count(*)::VARCHAR c, sum(n)::VARCHAR s FROM read_parquet('$T/out3/*.parquet')")
check "echo '$got' | grep -q '\"c\":\"3\",\"s\":\"6\"'"
line 4 >&7
exec 7>&-                                              # the end of the input: a final commit
wait $pid; rc=$?
check "[ $rc -eq 0 ] && [ \"\$(last_field '$T/man3.jsonl' input_rows)\" = 4 ]"

# --- SIGINT with nothing committed yet: the final commit holds every line read
rm -f "$T/in"; mkfifo "$T/in"
$P sink --name ev2 --dir "$T/out2" --schema 'n:int64,ts:timestamp(ms,UTC),msg:string' --commit-every 1000 \
  < "$T/in" > "$T/man2.jsonl" 2> "$T/err2.txt" &
pid=$!; pids+=($pid)
exec 7> "$T/in"
for i in 1 2 3; do line $i >&7; done
check "wait_until \"ls '$T/out2' 2>/dev/null | grep -q '\\.parquet\\.tmp'\" 10"
sleep 0.3
kill -INT $pid
wait $pid; rc=$?
exec 7>&-
check "[ $rc -eq 0 ] && [ \"\$(last_field '$T/man2.jsonl' input_rows)\" = 3 ]"
got=$(duck "SELECT count(*)::VARCHAR c FROM read_parquet('$T/out2/*.parquet')")
check "echo '$got' | grep -q '\"c\":\"3\"'"

# --- sizes as the options say: a commit every 10,000 rows exactly, files growing to 100,000 rows
awk 'BEGIN { for (i = 0; i < 250000; i++) printf "{\"n\":%d,\"ts\":%d,\"msg\":\"m\"}\n", i, 1700000000000 + i }' > "$T/bulk.jsonl"
check "build/release/prestige sink --name bulk --dir '$T/bulk' --schema 'n:int64,ts:timestamp(ms,UTC),msg:string' --commit-every 10000 --max-rows 100000 < '$T/bulk.jsonl' > '$T/bulk.man' 2> '$T/bulk.err'"
acks=$(grep -o '"input_rows":[0-9]*' "$T/bulk.man" | cut -d: -f2 | tr '\n' ' ')
want=$(seq 10000 10000 250000 | tr '\n' ' ')
uniq=$(printf '%s\n' $acks | sort -un | tr '\n' ' ')
check "[ '$uniq' = '$want' ]"   # every multiple of 10,000 and the end, nothing else
files=$(for f in "$T"/bulk/*.parquet; do build/release/prestige meta "$f" | awk '/^rows:/ {r=$2} /^row groups:/ {g=$3} END {print r "/" g}'; done | tr '\n' ' ')
echo "files (rows/row groups): $files"
check "[ '$files' = '100000/10 100000/10 50000/5 ' ]"
got=$(duck "SELECT count(*)::VARCHAR c, count(DISTINCT n)::VARCHAR d FROM read_parquet('$T/bulk/*.parquet')")
check "echo '$got' | grep -q '\"c\":\"250000\",\"d\":\"250000\"'"

# --- a producer whose writes end exactly at line ends (awk through a pipe): no line is lost
lost=0
for k in 1 2 3; do
  # 32-byte lines after a 32-byte header: awk's 4096-byte writes end at line ends
  awk 'BEGIN { print "timestamp_milliseconds,sensor,t"; for (i = 0; i < 60000; i++) printf "%.0f,sensor-%04d,%.2f\n", 1700000000000 + i, i % 1000, 10 + i % 90 }' |
    build/release/prestige sink --name p$k --dir "$T/pipe$k" --format csv --schema 'timestamp_milliseconds:uint64,sensor:string,t:double' \
      --max-rows 10000 > "$T/pipe.man" 2>> "$T/pipe.err"
  [ "$(last_field "$T/pipe.man" input_rows)" = 60000 ] || lost=$((lost + 1))
done
check "[ $lost -eq 0 ]"

# --- convert stopped by a signal while reading a FIFO: no output, no temporary file
for sig in TERM INT; do
  rm -f "$T/in"; mkfifo "$T/in"
  mkdir -p "$T/conv"
  $P convert - "$T/conv/out.parquet" --format jsonl --schema 'n:int64,ts:timestamp(ms,UTC),msg:string' --quiet \
    < "$T/in" > /dev/null 2> "$T/err3.txt" &
  pid=$!; pids+=($pid)
  exec 7> "$T/in"
  for i in 1 2 3; do line $i >&7; done
  check "wait_until \"ls '$T/conv' | grep -q tmp\" 10"
  kill -$sig $pid
  wait $pid; rc=$?
  exec 7>&-
  want=$([ $sig = TERM ] && echo 143 || echo 130)
  check "[ $rc -eq $want ] && grep -q 'stopped by SIG$sig' '$T/err3.txt'"
  check "[ -z \"\$(ls -A '$T/conv')\" ]"
done

result

#!/usr/bin/env bash
# --metrics ADDR:PORT on the long-running verbs: `prestige poll` and `prestige sink` serve the
# Prometheus exposition while they run; it is scraped live, its counters checked against what the
# verb did, and the whole text passes `promtool check metrics`. Malformed or unusable addresses
# are usage errors (exit 2) or errors naming the address (exit 1).
source "$(dirname "$0")/../common/prologue.sh"
set +e # the checks below read exit statuses themselves (ok/bad/check count them)
pids=()
stop_pids() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
at_exit stop_pids

# waits (up to 60 s) for "metrics at http://...:PORT/metrics" on a verb's stderr
metrics_url() {
  for _ in $(seq 1 600); do
    local u; u=$(grep -o 'http://[^ ]*/metrics' "$1" 2>/dev/null | head -1)
    [ -n "$u" ] && { echo "$u"; return 0; }
    sleep 0.1
  done
  return 1
}
# value of the first sample whose line starts with $2
sample() { grep -F "$2" "$1" | head -1 | awk '{print $NF}'; }

# ---- poll: every file delivered is counted ------------------------------------------------------
now=$(( $(date +%s) * 1000 ))
mkdir -p "$T/bucket/ev"
for i in 1 2 3 4 5; do echo x > "$T/bucket/ev/ev.$((now + i)).parquet"; done
$P poll "$T/bucket" --prefix ev/ --process live --interval 200ms --metrics 127.0.0.1:0 > "$T/poll.out" 2> "$T/poll.err" &
pids+=($!); ppid=$!
url=$(metrics_url "$T/poll.err") || bad "poll printed no metrics URL: $(cat "$T/poll.err")"
for _ in $(seq 1 300); do [ "$(wc -l < "$T/poll.out")" -ge 5 ] && break; sleep 0.1; done
check '[ "$(wc -l < "$T/poll.out")" -eq 5 ]'
curl -sf "$url" -o "$T/poll.prom" || bad "scraping $url"
check '[ "$(sample "$T/poll.prom" "prestige_file_poller_files_processed_total{prefix=\"ev/\",process=\"live\",status=\"success\"}")" = 5 ]'
check '[ "$(sample "$T/poll.prom" "prestige_file_poller_latency_seconds_count{prefix=\"ev/\",process=\"live\"}")" = 5 ]'
check 'grep -q "^# HELP prestige_file_poller_files_processed_total " "$T/poll.prom"'
check 'promtool check metrics < "$T/poll.prom" > "$T/lint" 2>&1 && [ ! -s "$T/lint" ] || { cat "$T/lint" >&2; false; }'
kill -TERM "$ppid"; wait "$ppid"; rc=$?
check '[ $rc -eq 0 ]'
check '! curl -sf "$url" -o /dev/null'   # the endpoint goes with the verb

# ---- sink: records written while the input is still open ------------------------------------------
mkfifo "$T/in"
$P sink --name ev --dir "$T/spool" --schema 'n:int64,msg:string' --max-rows 5000 --metrics 0 < "$T/in" > "$T/sink.out" 2> "$T/sink.err" &
pids+=($!); spid=$!
exec 3> "$T/in"
url=$(metrics_url "$T/sink.err") || bad "sink printed no metrics URL: $(cat "$T/sink.err")"
check '[[ "$url" == http://127.0.0.1:* ]]'   # PORT alone: loopback
# 2 MB: more than the text reader's largest block, so rows are written however the input is buffered
awk 'BEGIN { for (i = 0; i < 40000; i++) printf "{\"n\":%d,\"msg\":\"message number %d with some padding\"}\n", i, i }' >&3
written=0; created=0
# files are counted once the finisher thread has finished them (footer, fsync, rename): a moment
# after their rows were written
for _ in $(seq 1 600); do
  curl -sf "$url" -o "$T/sink.prom" && written=$(sample "$T/sink.prom" 'prestige_file_sink_records_written_total{sink="ev"}') &&
    created=$(sample "$T/sink.prom" 'prestige_file_sink_files_created_total{sink="ev"}')
  [ "${written:-0}" -ge 10000 ] 2>/dev/null && [ "${created:-0}" -ge 2 ] 2>/dev/null && break
  sleep 0.1
done
check '[ "${written:-0}" -ge 10000 ]'
check '[ "${created:-0}" -ge 2 ]'
check 'grep -q "^prestige_file_sink_write_duration_seconds_bucket{sink=\"ev\",le=\"0.001\"}" "$T/sink.prom"'
check 'promtool check metrics < "$T/sink.prom" > "$T/lint" 2>&1 && [ ! -s "$T/lint" ] || { cat "$T/lint" >&2; false; }'
exec 3>&-
wait "$spid"; rc=$?
check '[ $rc -eq 0 ]'
check '[ "$(tail -1 "$T/sink.out" | grep -o "\"input_rows\":[0-9]*")" = "\"input_rows\":40000" ]'

# ---- bad addresses ----------------------------------------------------------------------------------
for bad_spec in nope 1.2.3.4:99999 ::1:9464 "[::1]" "127.0.0.1:"; do
  $P poll "$T/bucket" --prefix ev/ --once --metrics "$bad_spec" > /dev/null 2> "$T/err"; rc=$?
  check '[ $rc -eq 2 ] && grep -q -- "--metrics takes ADDR:PORT" "$T/err"'
done
$P poll "$T/bucket" --prefix ev/ --once --metrics "example.org:9464" > /dev/null 2> "$T/err"; rc=$?
check '[ $rc -eq 1 ] && grep -q "\"example.org\" is not a numeric" "$T/err"'
# a port that is taken
python3 -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)' > "$T/port" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.1; done
busy=$(cat "$T/port")
$P poll "$T/bucket" --prefix ev/ --once --metrics "127.0.0.1:$busy" > /dev/null 2> "$T/err"; rc=$?
check '[ $rc -eq 1 ] && grep -q "cannot listen on 127.0.0.1:$busy" "$T/err"'

result

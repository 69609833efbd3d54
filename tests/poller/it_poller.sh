#!/usr/bin/env bash
# `prestige poll` with both state stores (SQLite file and a real PostgreSQL server started here),
# on a local-directory bucket and on s3rver: files that appear while it runs are printed once each,
# in order; killed (SIGKILL) and restarted it prints only files it had not printed; --lookback and
# --since windows; two process names share one store.
# The poller is watched for progress (files printed), not given fixed times, so a loaded machine
# only makes it slower; after the last file it gets 1.5 s more to print anything twice.
source "$(dirname "$0")/../common/prologue.sh"

pg_start
s3rver_start "$T/s3" "polled"
echo x > "$T/blob"
now=$(( $(date +%s) * 1000 ))

printed() { grep -c 'ev\.[0-9]*' "$T/out1" || true; }
put() { # BUCKETURL KEY
  if [[ "$1" == s3://* ]]; then $P cp "$T/blob" "$1$2" --quiet; else mkdir -p "$(dirname "$1/$2")"; cp "$T/blob" "$1/$2"; fi
}

for bucket in "$T/local" s3://polled/; do
  for state in "sqlite:$T/state-$RANDOM.db" "$PG_URL"; do
    tag="$bucket with ${state%%:*}"
    proc="p$RANDOM"
    # 3 files before it starts
    for i in 1 2 3; do put "$bucket" "ev/ev.$((now + i)).parquet"; done
    put "$bucket" "ev/readme.txt"
    $P poll "$bucket" --prefix ev/ --state "$state" --process "$proc" --interval 200ms > "$T/out1" 2>"$T/err1" &
    pid=$!
    wait_for 300 "[ \$(printed) -ge 3 ]" || bad "$tag: the first files were not printed"
    for i in 4 5; do put "$bucket" "ev/ev.$((now + i)).parquet"; done   # appear while it runs
    wait_for 300 "[ \$(printed) -ge 5 ]" || bad "$tag: the new files were not printed"
    sleep 1.5
    kill -9 $pid || true; wait $pid 2>/dev/null || true
    got=$(grep -o 'ev\.[0-9]*' "$T/out1" | tr '\n' ' ' || true)
    want="ev.$((now + 1)) ev.$((now + 2)) ev.$((now + 3)) ev.$((now + 4)) ev.$((now + 5)) "
    check "[ '$got' = '$want' ]   # $tag: in order, once each"
    # restart: nothing old again; a new file is printed
    put "$bucket" "ev/ev.$((now + 6)).parquet"
    $P poll "$bucket" --prefix ev/ --state "$state" --process "$proc" --once > "$T/out2"
    check "[ \"\$(grep -o 'ev\.[0-9]*' '$T/out2' | tr '\n' ' ')\" = 'ev.$((now + 6)) ' ]   # $tag: restart"
    # another process name sharing the store sees everything
    $P poll "$bucket" --prefix ev/ --state "$state" --process "other$proc" --once > "$T/out3"
    check "[ \$(wc -l < '$T/out3') -eq 6 ]   # $tag: second process"
    # lookback windows: old files are outside a 1 h lookback, inside --since
    put "$bucket" "ev/ev.$((now - 7200000)).parquet"
    $P poll "$bucket" --prefix ev/ --process "lb$proc" --lookback 1h --once > "$T/out4"
    check "[ \$(wc -l < '$T/out4') -eq 6 ]   # $tag: lookback 1h"
    $P poll "$bucket" --prefix ev/ --process "lb$proc" --since $((now - 10000000)) --once > "$T/out5"
    check "[ \$(wc -l < '$T/out5') -eq 7 ]   # $tag: since"
    if [[ "$bucket" == s3://* ]]; then $P ls s3://polled/ev/ | cut -f1 | while read -r k; do :; done; fi
    # clean the bucket for the next combination
    if [[ "$bucket" == s3://* ]]; then
      rm -rf "$T/s3/polled/ev"
    else
      rm -rf "$T/local/ev"
    fi
  done
done
# the state survives in PostgreSQL
rows=$(runuser -u postgres -- psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -Atc "SELECT count(*) FROM prestige_poller_state" 2>/dev/null || psql "$PG_URL" -Atc "SELECT count(*) FROM prestige_poller_state")
check "[ '${rows:-0}' -ge 12 ]"
# errors: bad state spec, unreachable PostgreSQL
st_of $P poll "$T/local" --prefix ev/ --state "postgresql://postgres@127.0.0.1:9/none" --once > /dev/null 2> "$T/err"; rc=$st
check "[ $rc -eq 1 ] && grep -q 'cannot connect' '$T/err'"
result

#!/usr/bin/env bash
# `prestige poll` with both state stores (SQLite file and a real PostgreSQL server started here),
# on a local-directory bucket and on s3rver: files that appear while it runs are printed once each,
# in order; killed (SIGKILL) and restarted it prints only files it had not printed; --lookback and
# --since windows; two process names share one store.
set -uo pipefail
cd "$(dirname "$0")/../.."
P=build/asan/prestige
export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
T=$(mktemp -d "${TMPDIR:-/tmp}/prestige-poll.XXXXXX")
chmod 755 "$T"
source tests/common/s3_env.sh
source tests/common/pg_env.sh
trap 'pg_stop; _s3_cleanup; rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { if eval "$1"; then ok; else bad "$1"; fi; }

pg_start "$T/pg" || { echo "FAIL: PostgreSQL did not start"; echo "RESULT 0 1"; exit 1; }
s3rver_start "$T/s3" "polled" || { echo "FAIL: s3rver"; exit 1; }
echo x > "$T/blob"
now=$(( $(date +%s) * 1000 ))

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
    sleep 1.5
    for i in 4 5; do put "$bucket" "ev/ev.$((now + i)).parquet"; done   # appear while it runs
    sleep 1.5
    kill -9 $pid; wait $pid 2>/dev/null
    got=$(grep -o 'ev\.[0-9]*' "$T/out1" | tr '\n' ' ')
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
$P poll "$T/local" --prefix ev/ --state "postgresql://postgres@127.0.0.1:9/none" --once > /dev/null 2> "$T/err"; rc=$?
check "[ $rc -eq 1 ] && grep -q 'cannot connect' '$T/err'"
echo "RESULT $pass $fail"
[ $fail -eq 0 ]

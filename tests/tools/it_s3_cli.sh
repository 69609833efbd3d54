#!/usr/bin/env bash
# CLI against s3rver: cp both ways (multipart), ls with time windows, meta/scan/cat/convert on
# s3:// URLs, --endpoint, bad URLs and wrong credentials.
set -uo pipefail
cd "$(dirname "$0")/../.."
P=build/asan/prestige
export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
T=$(mktemp -d "${TMPDIR:-/tmp}/prestige-s3cli.XXXXXX")
source tests/common/s3_env.sh
trap 'rm -rf "$T"; _s3_cleanup' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { if eval "$1"; then ok; else bad "$1"; fi; }
duck() { printf '%s' "$1" > "$T/q.sql"; node tests/common/duckdb_query.mjs "$T/q.sql"; }

s3rver_start "$T/s3" "data,other" || { echo "FAIL: s3rver"; exit 1; }

# cp local -> s3 -> local, a 40 MiB file (multipart: 8 MiB parts) and a small one
head -c $((40 * 1024 * 1024 + 123)) /dev/urandom > "$T/big.bin"
check "$P cp '$T/big.bin' s3://data/blobs/big.bin --quiet"
check "$P cp s3://data/blobs/big.bin '$T/big.back' --quiet"
check "cmp -s '$T/big.bin' '$T/big.back'"
echo hello > "$T/small.txt"
check "$P cp '$T/small.txt' s3://data/blobs/ --quiet"          # trailing slash: keeps the name
check "$P cp s3://data/blobs/small.txt '$T/' --quiet 2>/dev/null || true; [ -f '$T/small.txt' ]"
mkdir -p "$T/dl"
check "$P cp s3://data/blobs/small.txt '$T/dl' --quiet && cmp -s '$T/small.txt' '$T/dl/small.txt'"
check "$P cp s3://data/blobs/big.bin s3://other/copy.bin --quiet"   # S3 to S3
check "$P cp s3://other/copy.bin '$T/copy.bin' --quiet && cmp -s '$T/big.bin' '$T/copy.bin'"

# ls: key, size, last-modified
out=$($P ls s3://data/blobs/)
check "echo \"\$out\" | grep -qP '^blobs/big.bin\t41943163\t20[0-9]{2}-'"
check "[ \$(echo \"\$out\" | wc -l) -eq 2 ]"

# timestamped files and --after/--before
for ts in 1700000000000 1700000060000 1700000120000 1700000180000; do
  check "$P cp '$T/small.txt' s3://data/sensor/sensor_data.$ts.parquet --quiet"
done
check "$P cp '$T/small.txt' s3://data/sensor/readme.txt --quiet"
out=$($P ls s3://data/sensor/sensor_data --after 1700000060000 --before 1700000180000 | cut -f1 | tr '\n' ' ')
check "[ '$out' = 'sensor/sensor_data.1700000060000.parquet sensor/sensor_data.1700000120000.parquet ' ]"
out=$($P ls s3://data/sensor/ --after 2023-11-14T22:14:00Z | wc -l)
check "[ $out -eq 3 ]"

# Parquet verbs on s3:// URLs (ranged reads) and convert to and from S3
awk 'BEGIN { print "id,name,v"; for (i = 0; i < 20000; i++) printf "%d,n%d,%.2f\n", i, i % 97, i / 3 }' > "$T/in.csv"
check "$P cp '$T/in.csv' s3://data/in/table.csv --quiet"
check "$P convert s3://data/in/table.csv s3://data/out/table.parquet --compression zstd --row-group-rows 5000 --quiet"
check "$P meta s3://data/out/table.parquet | grep -qE '^rows: +20000'"
got=$($P scan s3://data/out/table.parquet --columns id | head -c 200)
check "echo '$got' | grep -q '\"rows\": *20000'"
check "[ \$($P cat s3://data/out/table.parquet --where 'id >= 19990' --format csv | wc -l) -eq 11 ]"
check "$P convert s3://data/out/table.parquet '$T/back.jsonl' --quiet"
check "$P schema s3://data/out/table.parquet | grep -q '^id: int64'"
check "{ $P meta file://$T/in.csv || true; } 2>&1 | grep -qE 'not a Parquet file|too small for a Parquet file'"
check "[ \$(wc -l < '$T/back.jsonl') -eq 20000 ]"
check "$P cp s3://data/out/table.parquet '$T/t.parquet' --quiet"
got=$(duck "SELECT count(*) c, sum(id) s, round(sum(v), 2) v FROM read_parquet('$T/t.parquet')")
want=$(duck "SELECT count(*) c, sum(id) s, round(sum(v), 2) v FROM read_csv('$T/in.csv', header=true)")
check "[ '$got' = '$want' ]"

# cat over several files: an s3:// prefix, a local directory, explicit files; ordered and unordered
for i in 1 2 3; do check "$P convert '$T/in.csv' s3://data/many/part.$i.parquet --row-group-rows 4000 --quiet"; done
check "[ \$($P cat s3://data/many/ --columns id | wc -l) -eq 60000 ]"
check "[ \$($P cat s3://data/many/ --unordered --read-ahead 3 --columns id --format csv | wc -l) -eq 60001 ]"
got=$($P cat s3://data/many/ --columns id | head -20001 | tail -1)
check "[ '$got' = '{\"id\":0}' ]"   # the second file starts after the first, in key order
mkdir -p "$T/dir"
for i in 1 2; do $P cp s3://data/many/part.$i.parquet "$T/dir/" --quiet; done
check "[ \$($P cat '$T/dir' --where 'id < 10' | wc -l) -eq 20 ]"
check "[ \$($P cat '$T/dir/part.1.parquet' '$T/dir/part.2.parquet' --limit 5 | wc -l) -eq 5 ]"
err=$($P cat s3://data/many/ '$T/dir' 2>&1); check "[ \$? -ne 0 ]"

# --endpoint overrides the environment
saved=$AWS_ENDPOINT_URL; unset AWS_ENDPOINT_URL
check "$P ls s3://data/in/ --endpoint $saved | grep -q table.csv"
check "$P ls s3://data/in/ --endpoint=$saved | grep -q table.csv"
export AWS_ENDPOINT_URL=$saved

# errors: missing object, bad bucket, wrong credentials, unreachable endpoint
err=$($P cp s3://data/nope.bin "$T/x" 2>&1); rc=$?
check "[ $rc -eq 1 ] && echo '$err' | grep -q 'NoSuchKey'"
err=$($P meta s3://data/nope.parquet 2>&1); rc=$?
check "[ $rc -eq 1 ] && echo '$err' | grep -q 's3://data/nope.parquet'"
err=$($P ls s3://x 2>&1); rc=$?
check "[ $rc -eq 1 ] && echo '$err' | grep -q 'invalid S3 bucket name'"
err=$(AWS_ACCESS_KEY_ID=NOTAKEY AWS_SECRET_ACCESS_KEY=topsecretvalue $P ls s3://data/ 2>&1); rc=$?
check "[ $rc -eq 1 ] && echo '$err' | grep -q 'InvalidAccessKeyId' && ! echo '$err' | grep -q topsecretvalue"
$P ls s3://data/ --endpoint http://127.0.0.1:9 > "$T/err.txt" 2>&1; rc=$?
check "[ $rc -eq 1 ] && grep -q 'http://127.0.0.1:9' '$T/err.txt'"
check "[ ! -e '$T/x' ]"
# a profile that does not exist: an error naming it, at once (no anonymous requests, no retries)
t0=$(date +%s)
AWS_PROFILE=nope $P ls s3://data/ > "$T/err.txt" 2>&1; rc=$?
check "[ $rc -eq 1 ] && grep -q 'AWS profile \"nope\" (from AWS_PROFILE) not found' '$T/err.txt' && [ \$(( \$(date +%s) - t0 )) -lt 20 ]"

echo "RESULT $pass $fail"
[ $fail -eq 0 ]

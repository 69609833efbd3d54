#!/usr/bin/env bash
# Disk full: `prestige sink` writes into a 1 MiB tmpfs (a private mount namespace made by the test)
# and keeps its local files, so the file system fills up. The commit that hits ENOSPC must fail
# with an error naming it (exit status 1), and everything committed before must be in the bucket,
# intact and exactly once.
source "$(dirname "$0")/../common/prologue.sh"

mkdir -p "$T/small" "$T/bucket"
awk 'BEGIN { for (i = 0; i < 20000; i++) { printf "{\"id\":%d,\"msg\":\"", i; for (k = 0; k < 12; k++) printf "%08x", (i * 2654435761 + k * 40503) % 4294967296; print "\"}" } }' > "$T/in.jsonl"
cat > "$T/inner.sh" <<INNER
set -u
mount -t tmpfs -o size=1m tmpfs "$T/small" || exit 77
"$ROOT/build/asan/prestige" sink --name full --dir "$T/small/out" --upload "$T/bucket" --keep-local \
  --schema 'id:int64,msg:string' --compression none --commit-every 2000 --max-rows 1000000 \
  < "$T/in.jsonl" > "$T/manifests.jsonl" 2> "$T/stderr.txt"
echo \$? > "$T/rc"
INNER
if unshare -m bash "$T/inner.sh" 2>/dev/null || unshare -rm bash "$T/inner.sh"; then :; fi
if [ ! -f "$T/rc" ]; then
  bad "cannot mount a tmpfs in a private mount namespace here (unshare -m / -rm)"
  result
fi
rc=$(cat "$T/rc")
check "[ '$rc' = 1 ]"
check "grep -q 'No space left on device' '$T/stderr.txt'"
head -3 "$T/stderr.txt"
acked=$(python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    n = json.loads(line)["input_rows"]
print(n)' "$T/manifests.jsonl")
echo "acknowledged before the disk filled: $acked rows"
check "[ $acked -ge 2000 ] && [ $acked -lt 20000 ]"
got=$(duck "SELECT count(*) AS n, count(DISTINCT id) AS d, min(id) AS lo, max(id) AS hi FROM read_parquet('$T/bucket/*.parquet')")
check "[ '$got' = '[{\"n\":\"$acked\",\"d\":\"$acked\",\"lo\":\"0\",\"hi\":\"$((acked - 1))\"}]' ]"
check "[ \$(ls '$T/bucket' | grep -c '\.tmp') -eq 0 ]"
result

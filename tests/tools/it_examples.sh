#!/usr/bin/env bash
# Every example builds (make builds examples/*.c) and runs successfully; DuckDB reads their files
# with the types the reference describes.
set -uo pipefail
cd "$(dirname "$0")/../.."
T=$(mktemp -d "${TMPDIR:-/tmp}/prestige-ex.XXXXXX")
source tests/common/s3_env.sh
trap 'rm -rf "$T"; _s3_cleanup' EXIT
pass=0; fail=0
# every example once on the embedded defaults (local directories) ...
for ex in $(find build/release/examples -type f -perm -u+x ! -name "*.*" | sort); do
  name=$(basename "$ex")
  if (cd "$T" && "$OLDPWD/$ex" "$T/$name.parquet"); then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $name"; fi
done
# ... and the ones with a bucket once more against s3rver
s3rver_start "$T/s3" "examples" || { echo "FAIL: s3rver"; exit 1; }
mkdir -p "$T/s3run"
for name in sink_sensor_data pipeline file_source file_poller; do
  if PRESTIGE_BUCKET=s3://examples/run-$name/ build/release/examples/$name "$T/s3run/$name"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $name on s3rver"; fi
done
if build/release/prestige ls s3://examples/run-sink_sensor_data/sensor_data/ | grep -c 'sensor_data\.[0-9]*\.parquet' | grep -qx 3; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: sink example objects"; fi
printf '%s' "SELECT string_agg(column_name || ':' || column_type, ',') t FROM (DESCRIBE SELECT * FROM read_parquet('$T/records_my_data.parquet'))" > "$T/q.sql"
types=$(node tests/common/duckdb_query.mjs "$T/q.sql")
echo "MyData in DuckDB: $types"
for want in "id:UBIGINT" "name:VARCHAR" "value:DOUBLE" "optional_field:INTEGER" "raw_bytes:UTINYINT[]" "binary_data:BLOB" "payload:BLOB"; do
  if echo "$types" | grep -qF "$want"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $want missing"; fi
done
echo "RESULT $pass $fail"
[ $fail -eq 0 ]

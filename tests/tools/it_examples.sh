#!/usr/bin/env bash
# Every example builds (make builds examples/*.c) and runs successfully; DuckDB reads their files
# with the types the reference describes.
source "$(dirname "$0")/../common/prologue.sh"
# every example once on the embedded defaults (local directories) ...
for ex in $(find build/release/examples -type f -perm -u+x ! -name "*.*" | sort); do
  name=$(basename "$ex")
  if (cd "$T" && "$OLDPWD/$ex" "$T/$name.parquet"); then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $name"; fi
done
# ... and the ones with a bucket once more against s3rver
s3rver_start "$T/s3" "examples"
mkdir -p "$T/s3run"
for name in sink_sensor_data pipeline file_source file_poller; do
  if PRESTIGE_BUCKET=s3://examples/run-$name/ build/release/examples/$name "$T/s3run/$name"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $name on s3rver"; fi
done
if build/release/prestige ls s3://examples/run-sink_sensor_data/sensor_data/ | grep -c 'sensor_data\.[0-9]*\.parquet' | grep -qx 3; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: sink example objects"; fi
types=$(duck "SELECT string_agg(column_name || ':' || column_type, ',') t FROM (DESCRIBE SELECT * FROM read_parquet('$T/records_my_data.parquet'))")
echo "MyData in DuckDB: $types"
for want in "id:UBIGINT" "name:VARCHAR" "value:DOUBLE" "optional_field:INTEGER" "raw_bytes:UTINYINT[]" "binary_data:BLOB" "payload:BLOB"; do
  if echo "$types" | grep -qF "$want"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $want missing"; fi
done
result

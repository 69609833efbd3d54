#!/usr/bin/env bash
# Upload and download of a 512 MiB object to s3rver on loopback: prestige cp against curl doing the
# same transfer in the same run (best of 3 rounds each; ratio > 1 means prestige is faster).
#   upload:   prestige (multipart, 8 MiB parts, 4 in flight, SHA-256 payload signing as over plain
#             http) vs curl (one PUT signed with a SHA-256 of the body computed by sha256sum), and
#             curl with UNSIGNED-PAYLOAD for reference.
#   download: prestige (ranges in parallel written in place, fsync'd: the file is durable when cp
#             returns) vs curl followed by an fsync of the file, and plain curl for reference.
# s3rver assembles multipart uploads by copying every part once more when they complete, which
# real S3 does not charge to the client. SIZE_MIB overrides the size.
set -uo pipefail
cd "$(dirname "$0")/.."
P=build/release/prestige
MIB=${SIZE_MIB:-512}
T=$(mktemp -d "${TMPDIR:-/tmp}/prestige-bench-s3.XXXXXX")
source tests/common/s3_env.sh
trap 'rm -rf "$T"; _s3_cleanup' EXIT
s3rver_start "$T/s3" "bench" || exit 1
head -c $((MIB * 1024 * 1024)) /dev/urandom > "$T/obj.bin"
sync
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }
best() { printf '%s\n' "$@" | sort -g | head -1; }
SIG=(--aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY")
up_p=(); up_c=(); up_u=(); down_p=(); down_c=(); down_u=()
for round in 1 2 3; do
  t0=$(now); $P cp "$T/obj.bin" s3://bench/p.bin --quiet || exit 1; t1=$(now); up_p+=("$(secs $t0 $t1)")
  t0=$(now)
  h=$(sha256sum "$T/obj.bin" | cut -d' ' -f1)
  curl -sf -X PUT -T "$T/obj.bin" "${SIG[@]}" -H "x-amz-content-sha256: $h" -H "Expect:" "$S3_ENDPOINT/bench/c.bin" -o /dev/null || exit 1
  t1=$(now); up_c+=("$(secs $t0 $t1)")
  t0=$(now)
  curl -sf -X PUT -T "$T/obj.bin" "${SIG[@]}" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -H "Expect:" "$S3_ENDPOINT/bench/u.bin" -o /dev/null || exit 1
  t1=$(now); up_u+=("$(secs $t0 $t1)")
  rm -f "$T/p.out" "$T/c.out" "$T/u.out"; sync
  t0=$(now); $P cp s3://bench/p.bin "$T/p.out" --quiet || exit 1; t1=$(now); down_p+=("$(secs $t0 $t1)")
  sync
  t0=$(now)
  curl -sf "${SIG[@]}" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$S3_ENDPOINT/bench/c.bin" -o "$T/c.out" || exit 1
  sync "$T/c.out"
  t1=$(now); down_c+=("$(secs $t0 $t1)")
  t0=$(now)
  curl -sf "${SIG[@]}" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$S3_ENDPOINT/bench/u.bin" -o "$T/u.out" || exit 1
  t1=$(now); down_u+=("$(secs $t0 $t1)")
  for f in p c u; do cmp -s "$T/obj.bin" "$T/$f.out" || { echo "download $f differs"; exit 1; }; done
  sync
done
rate() { echo "$MIB / $1" | bc -l; }
bp=$(best "${up_p[@]}"); bc_=$(best "${up_c[@]}"); bu=$(best "${up_u[@]}")
dp=$(best "${down_p[@]}"); dc=$(best "${down_c[@]}"); du=$(best "${down_u[@]}")
printf '%-9s %-44s %10s\n' "$MIB MiB" "transfer" "MiB/s"
printf '%-9s %-44s %10.1f\n' upload "prestige cp (multipart, signed payload)" "$(rate $bp)"
printf '%-9s %-44s %10.1f   ratio %.2fx\n' "" "curl PUT (sha256sum + signed payload)" "$(rate $bc_)" "$(echo "$bc_ / $bp" | bc -l)"
printf '%-9s %-44s %10.1f   ratio %.2fx\n' "" "curl PUT (UNSIGNED-PAYLOAD, reference)" "$(rate $bu)" "$(echo "$bu / $bp" | bc -l)"
printf '%-9s %-44s %10.1f\n' download "prestige cp (parallel ranges, fsync'd)" "$(rate $dp)"
printf '%-9s %-44s %10.1f   ratio %.2fx\n' "" "curl GET + fsync" "$(rate $dc)" "$(echo "$dc / $dp" | bc -l)"
printf '%-9s %-44s %10.1f   ratio %.2fx\n' "" "curl GET (not durable, reference)" "$(rate $du)" "$(echo "$du / $dp" | bc -l)"
echo "(best of 3 rounds; s3rver on loopback; ratio = curl time / prestige time)"

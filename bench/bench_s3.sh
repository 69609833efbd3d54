#!/usr/bin/env bash
# Upload and download of a 512 MiB object to s3rver on loopback: prestige cp against curl doing the
# same transfer in the same run (3 rounds, the sides alternating; median of 3; ratio > 1 means
# prestige is faster). Over plain http, as here, prestige signs the payload (SHA-256) by default;
# PRESTIGE_S3_PAYLOAD=unsigned forces UNSIGNED-PAYLOAD, which is what it sends over https. Every
# prestige upload also sends a CRC32C checksum of each part (S3 verifies it; s3rver ignores it).
#   upload:   prestige (multipart, 8 MiB parts, 4 in flight) signed, and unsigned; prestige
#             unsigned in one PutObject (part size above the object's: the same transfer as curl's)
#             vs curl (one PUT, UNSIGNED-PAYLOAD), and curl signed with sha256sum's hash.
#   download: prestige (ranges in parallel written in place, fsync'd: the file is durable when cp
#             returns) vs curl followed by an fsync of the file, and plain curl for reference.
# s3rver assembles multipart uploads by copying every part once more when they complete (with an
# MD5 of the whole object), which real S3 does not charge to the client: on this machine that
# step alone takes longer than sending the parts. SIZE_MIB overrides the size.
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
source bench/lib.sh
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
SIG=(--aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY")
up_p=(); up_pu=(); up_p1=(); up_c=(); up_u=(); down_p=(); down_c=(); down_u=()
load0=$(cut -d' ' -f1-3 /proc/loadavg)
p_signed() { $P cp "$T/obj.bin" s3://bench/p.bin --quiet; }
p_unsigned() { PRESTIGE_S3_PAYLOAD=unsigned $P cp "$T/obj.bin" s3://bench/pu.bin --quiet; }
p_one_put() { PRESTIGE_S3_PAYLOAD=unsigned PRESTIGE_S3_PART_SIZE=$((MIB + 1))m $P cp "$T/obj.bin" s3://bench/p1.bin --quiet; }
c_unsigned() { curl -sf -X PUT -T "$T/obj.bin" "${SIG[@]}" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -H "Expect:" "$S3_ENDPOINT/bench/u.bin" -o /dev/null; }
c_signed() {
  local h
  h=$(sha256sum "$T/obj.bin" | cut -d' ' -f1)
  curl -sf -X PUT -T "$T/obj.bin" "${SIG[@]}" -H "x-amz-content-sha256: $h" -H "Expect:" "$S3_ENDPOINT/bench/c.bin" -o /dev/null
}
timed() { local t0 t1; t0=$(now); "$1" || { echo "$1 failed" >&2; exit 1; }; t1=$(now); secs "$t0" "$t1"; }
for round in 1 2 3; do
  # the order rotates so no side always runs first (after the previous side's writes settle)
  if [ $((round % 2)) = 1 ]; then order="c_unsigned p_one_put p_unsigned c_signed p_signed"; else order="p_signed c_signed p_unsigned p_one_put c_unsigned"; fi
  for f in $order; do
    v=$(timed $f) || exit 1
    case $f in
      p_signed) up_p+=("$v") ;; p_unsigned) up_pu+=("$v") ;; p_one_put) up_p1+=("$v") ;;
      c_unsigned) up_u+=("$v") ;; c_signed) up_c+=("$v") ;;
    esac
    sync
  done
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
  for k in pu p1; do
    $P cp "s3://bench/$k.bin" "$T/$k.chk" --quiet && cmp -s "$T/obj.bin" "$T/$k.chk" || { echo "upload $k differs"; exit 1; }
    rm -f "$T/$k.chk"
  done
  sync
done
rate() { echo "$MIB / $1" | bc -l; }
all() { printf '%.2f ' "$@"; }
bp=$(median "${up_p[@]}"); bpu=$(median "${up_pu[@]}"); bp1=$(median "${up_p1[@]}"); bc_=$(median "${up_c[@]}"); bu=$(median "${up_u[@]}")
dp=$(median "${down_p[@]}"); dc=$(median "${down_c[@]}"); du=$(median "${down_u[@]}")
printf '%-9s %-52s %10s   %s\n' "$MIB MiB" "transfer (median of 3)" "MiB/s" "vs curl PUT unsigned   [seconds of the 3 rounds]"
line() { printf '%-9s %-52s %10.1f   %.2fx   [%s]\n' "$1" "$2" "$(rate "$3")" "$(echo "$bu / $3" | bc -l)" "$4"; }
line upload "prestige cp, multipart, signed payload (http default)" "$bp" "$(all "${up_p[@]}")"
line "" "prestige cp, multipart, UNSIGNED-PAYLOAD (forced)" "$bpu" "$(all "${up_pu[@]}")"
line "" "prestige cp, one PutObject, UNSIGNED-PAYLOAD (forced)" "$bp1" "$(all "${up_p1[@]}")"
line "" "curl PUT, UNSIGNED-PAYLOAD (the peer)" "$bu" "$(all "${up_u[@]}")"
line "" "curl PUT, sha256sum + signed payload" "$bc_" "$(all "${up_c[@]}")"
dline() { printf '%-9s %-52s %10.1f   %.2fx   [%s]\n' "$1" "$2" "$(rate "$3")" "$(echo "$4 / $3" | bc -l)" "$5"; }
dline download "prestige cp (parallel ranges, fsync'd) vs curl + fsync" "$dp" "$dc" "$(all "${down_p[@]}")"
dline "" "curl GET + fsync" "$dc" "$dc" "$(all "${down_c[@]}")"
dline "" "curl GET (not durable, reference)" "$du" "$dp" "$(all "${down_u[@]}")"
echo "(s3rver on loopback; ratio = peer time / prestige time; load average before $load0, after $(cut -d' ' -f1-3 /proc/loadavg))"
bench_record s3 "upload $MIB MiB, multipart, signed payload vs curl PUT unsigned" "$bp" "$bu" "$(echo "$bu / $bp" | bc -l)" s "curl PUT, UNSIGNED-PAYLOAD"
bench_record s3 "upload $MIB MiB, multipart, unsigned payload vs curl PUT unsigned" "$bpu" "$bu" "$(echo "$bu / $bpu" | bc -l)" s "curl PUT, UNSIGNED-PAYLOAD"
bench_record s3 "upload $MIB MiB, one PutObject, unsigned payload vs curl PUT unsigned" "$bp1" "$bu" "$(echo "$bu / $bp1" | bc -l)" s "curl PUT, UNSIGNED-PAYLOAD"
bench_record s3 "upload $MIB MiB, multipart, signed payload vs curl PUT signed (sha256sum)" "$bp" "$bc_" "$(echo "$bc_ / $bp" | bc -l)" s "sha256sum + curl PUT"
bench_record s3 "download $MIB MiB, fsync'd" "$dp" "$dc" "$(echo "$dc / $dp" | bc -l)" s "curl GET + fsync"

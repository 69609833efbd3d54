# Sourceable helpers for integration scripts: s3rver and the fault proxy on loopback ports,
# stopped when the script exits.
#   s3rver_start DIR BUCKETS   sets S3_PORT, S3_ENDPOINT; exports AWS_* for the client
#   proxy_start UPSTREAM       sets PROXY_ENDPOINT
_s3_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
_s3_pids=()
_s3_cleanup() { for p in "${_s3_pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap _s3_cleanup EXIT

_s3_spawn() { # outfile cmd...
  local out="$1"; shift
  "$@" >"$out" 2>"$out.err" &
  _s3_pids+=($!)
  for _ in $(seq 1 200); do
    if grep -q '^READY ' "$out" 2>/dev/null; then awk '/^READY/{print $2; exit}' "$out"; return 0; fi
    sleep 0.05
  done
  echo "could not start: $* ($(cat "$out.err"))" >&2
  return 1
}

s3rver_start() {
  local dir="$1" buckets="$2"
  mkdir -p "$dir"
  # s3rver encrypts continuation tokens with DES, kept in OpenSSL 3's legacy provider
  S3_PORT=$(_s3_spawn "$dir.ready" node --openssl-legacy-provider "$_s3_root/tests/common/s3rver.mjs" --dir "$dir" --buckets "$buckets") || return 1
  S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
  export AWS_ENDPOINT_URL="$S3_ENDPOINT" AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
  unset AWS_PROFILE AWS_SESSION_TOKEN
}

proxy_start() {
  local up="$1"
  local port
  port=$(_s3_spawn "$(mktemp)" node "$_s3_root/tests/common/fault_proxy.mjs" --upstream "$up") || return 1
  PROXY_ENDPOINT="http://127.0.0.1:$port"
}

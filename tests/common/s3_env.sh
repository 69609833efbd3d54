# Sourceable (bash): s3rver and the fault proxy on loopback ports, stopped when the script exits.
#   s3rver_start DIR BUCKETS   sets S3_PORT, S3_ENDPOINT; exports AWS_* for the client
#   proxy_start UPSTREAM       sets PROXY_PORT, PROXY_ENDPOINT
# With tests/common/prologue.sh the servers are stopped by its exit handler (at_exit); sourced on
# its own this file sets an EXIT trap that does it (and _s3_cleanup stops them on demand).
# Safe under set -euo pipefail.
_s3_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
_s3_pids=()

_s3_stop_pid() { # pid: SIGTERM, up to 5 s to exit, then SIGKILL
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}
_s3_cleanup() {
  local p
  for p in "${_s3_pids[@]+"${_s3_pids[@]}"}"; do _s3_stop_pid "$p"; done
  _s3_pids=()
}
if declare -F at_exit >/dev/null; then at_exit _s3_cleanup; else trap _s3_cleanup EXIT; fi

# _s3_spawn VAR OUTFILE CMD...: starts CMD in the background of this shell (not in a subshell: its
# pid must be known here to stop it) and waits for its "READY <port>" line; the port goes to VAR.
_s3_spawn() {
  local var=$1 out=$2 pid deadline
  shift 2
  "$@" >"$out" 2>"$out.err" </dev/null &
  pid=$!
  _s3_pids+=("$pid")
  deadline=$((SECONDS + ${SERVER_START_TIMEOUT:-180})) # a hang backstop: node starts slowly under load
  until grep -q '^READY ' "$out" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "could not start: $* (it exited: $(cat "$out.err"))" >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "could not start within ${SERVER_START_TIMEOUT:-180} s: $* ($(cat "$out.err"))" >&2
      return 1
    fi
    sleep 0.05
  done
  printf -v "$var" '%s' "$(awk '/^READY/ {print $2; exit}' "$out")"
}

s3rver_start() {
  local dir=$1 buckets=$2
  mkdir -p "$dir"
  # s3rver encrypts continuation tokens with DES, kept in OpenSSL 3's legacy provider
  _s3_spawn S3_PORT "$dir.ready" node --openssl-legacy-provider "$_s3_root/tests/common/s3rver.mjs" --dir "$dir" \
    --buckets "$buckets" || return 1
  S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
  export AWS_ENDPOINT_URL="$S3_ENDPOINT" AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
  unset AWS_PROFILE AWS_SESSION_TOKEN
}

proxy_start() {
  local up=$1 out
  out=$(mktemp "${T:-${TMPDIR:-/tmp}}/proxy.XXXXXX")
  _s3_spawn PROXY_PORT "$out" node "$_s3_root/tests/common/fault_proxy.mjs" --upstream "$up" || return 1
  PROXY_ENDPOINT="http://127.0.0.1:$PROXY_PORT"
}

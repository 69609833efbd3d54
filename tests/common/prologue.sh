# The common start of every integration script (tests/*/it_*.sh):
#
#   #!/usr/bin/env bash
#   # What the script checks, in a sentence or two.
#   source "$(dirname "$0")/../common/prologue.sh"
#   s3rver_start "$T/s3" "bucket"          # optional: servers, stopped on exit
#   check "$P meta '$T/x.parquet' | grep -q zstd"
#   st_of $P convert in.csv out.txt; check "[ $st -eq 2 ]"
#   result                                  # prints RESULT <passed> <failed>, exits 0 or 1
#
# It gives:
#   set -euo pipefail (plus errtrace), the working directory at the project root;
#   ROOT, P (the ASan CLI), PR (the release CLI), and the sanitizer options of tests/run.sh;
#   T, a fresh temporary directory (under TMPDIR, which tests/run.sh gives each test), removed on
#     exit;
#   ok / bad MSG / check "SHELL CONDITION" count checks; result ends the script with the RESULT
#     line (an unexpected failure, caught by set -e, ends it with the command and line named and a
#     RESULT that counts it as failed); result_from CMD... instead runs a checker (a .mjs) that
#     counts and prints the RESULT line itself, and ends the script with its status;
#   st_of CMD...: runs CMD and puts its exit status in st, without tripping set -e;
#   wait_for SECONDS "SHELL CONDITION": waits until the condition holds (polling); for a positive
#     wait, give a generous backstop: it returns as soon as the condition holds, so only a hang
#     pays the full time;
#   cpu_limit SECONDS CMD...: runs CMD with a CPU-time limit (work, not wall time, so it holds on
#     a loaded machine);
#   duck SQL: runs SQL in DuckDB, prints the rows as JSON;
#   at_exit CMD ARGS...: registers a cleanup; cleanups run in reverse order on every exit (normal,
#     failure, SIGINT/SIGTERM/SIGHUP);
#   s3rver_start DIR BUCKETS, proxy_start UPSTREAM (tests/common/s3_env.sh) and pg_start
#     (tests/common/pg_env.sh): servers on loopback ports, stopped on exit.
# When a script is killed outright (SIGKILL), tests/run.sh still stops its servers: it runs every
# test in a process group of its own and kills the group when the test ends.
set -euo pipefail
set -E

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
P="$ROOT/build/asan/prestige"
PR="$ROOT/build/release/prestige"
export PRESTIGE_ROOT="$ROOT"
export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$ROOT/tests/lsan.supp}"

_cleanups=()
at_exit() {
  local cmd
  printf -v cmd '%q ' "$@"
  _cleanups+=("$cmd")
}

pass=0
fail=0
_result_done=0
_err_where=""
ok() { pass=$((pass + 1)); }
bad() {
  fail=$((fail + 1))
  echo "FAIL: $*" >&2
}
check() { if eval "$1"; then ok; else bad "$1"; fi; }
result() {
  echo "RESULT $pass $fail"
  _result_done=1
  exit $((fail == 0 ? 0 : 1))
}
result_from() {
  _result_done=1
  st_of "$@"
  exit "$st"
}
st_of() { "$@" && st=0 || st=$?; }
wait_for() {
  local deadline=$((SECONDS + $1))
  until eval "$2"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
cpu_limit() {
  local secs=$1
  shift
  prlimit --cpu="$secs:$secs" -- "$@"
}
duck() {
  printf '%s' "$1" >"$T/q.sql"
  node "$ROOT/tests/common/duckdb_query.mjs" "$T/q.sql"
}

_on_err() { _err_where="line $2: $BASH_COMMAND (exit $1)"; }
_on_exit() {
  local rc=$? i
  set +eu
  trap - ERR
  if [ "$_result_done" -eq 0 ] && [ "$rc" -ne 0 ]; then
    echo "FAIL: $(basename "$0") stopped at ${_err_where:-exit $rc}" >&2
    echo "RESULT $pass $((fail + 1))"
  fi
  for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[$i]}"; done
  exit "$rc"
}
trap '_on_err $? $LINENO' ERR
trap _on_exit EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

T=$(mktemp -d "${TMPDIR:-/tmp}/prestige-$(basename "$0" .sh).XXXXXX")
at_exit rm -rf "$T"

source "$ROOT/tests/common/s3_env.sh"
source "$ROOT/tests/common/pg_env.sh"

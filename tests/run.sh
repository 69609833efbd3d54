#!/usr/bin/env bash
# Runs every test: unit-test binaries (built under ASan + UBSan in build/asan/tests) and
# integration scripts (tests/*/it_*.sh). Prints one line per test and the closing count.
#   TESTS=pattern       only the tests whose path contains the pattern (several: a|b|c)
#   TEST_JOBS=N         tests run N at a time (default 2: the suite ran green two at a time at a load
#                       average of 20). The known long tests start first, so the short ones fill in
#                       around them. Each test's lines are printed together when it ends.
#   TEST_TIMEOUT=secs   per-test wall-clock backstop against hangs (default 1800): a test still
#                       running then is stopped and fails. Limits inside tests measure work (CPU
#                       time, progress), not wall time, so a loaded machine only makes them slower.
#
# Nothing a test starts outlives it:
#   - each test runs in a session (and process group) of its own (setsid), and when it ends
#     (passed, failed, timed out, or killed) whatever is left in the session is stopped: SIGTERM,
#     then SIGKILL after 5 s. Servers a test forgot (or could not stop because it was killed)
#     are named in a note;
#   - every process a test starts inherits PRESTIGE_TEST_TAG (run id and test name). One that
#     still carries the tag after its session was stopped left it (a daemon, a setsid of its
#     own): it is named, killed, and fails the test. At the end the whole run is checked the same
#     way, and any survivor fails the suite;
#   - each test gets its own TMPDIR (mode 711 so that a server running as another user, e.g.
#     PostgreSQL, can use a directory made in it), removed when the test ends. They live under
#     PRESTIGE_TEST_TMP, else TMPDIR, else /tmp: never in the checkout, which may be in a
#     directory other users cannot enter.
set -uo pipefail
cd "$(dirname "$0")/.."
export PRESTIGE_ROOT="$PWD"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:${LSAN_OPTIONS:-}"
pattern="${TESTS:-}"
selected() { # path: does it contain one of the '|'-separated patterns?
  [ -z "$pattern" ] && return 0
  local p
  IFS='|' read -ra pats <<< "$pattern"
  for p in "${pats[@]}"; do [[ "$1" == *"$p"* ]] && return 0; done
  return 1
}
timeout_s="${TEST_TIMEOUT:-1800}"
mkdir -p build/test-logs
passed=0; failed=0; failed_names=()
start_all=$SECONDS

run_dir=$(mktemp -d "${PRESTIGE_TEST_TMP:-${TMPDIR:-/tmp}}/prestige-tests.XXXXXX") || exit 1
chmod 711 "$run_dir"
run_id="run-$$-$(basename "$run_dir")"

# pids (one per line) of the processes whose PRESTIGE_TEST_TAG holds the tag $1 (exactly), or a
# tag that starts with $1 when $2 is "prefix". A nested run appends its tags to the one it
# inherited ("outer|inner"), so an outer run still finds its tests' grandchildren.
tagged() {
  local re=$1 # tags are made of [A-Za-z0-9._:-] (a dot matching any character is harmless here)
  if [ "${2:-}" = prefix ]; then re="$re[^|]*"; fi
  grep -lsazE "^PRESTIGE_TEST_TAG=(.*[|])?$re([|].*)?\$" /proc/[0-9]*/environ 2>/dev/null |
    sed 's|^/proc/\([0-9]*\)/environ$|\1|' | grep -vx -e "$$" -e "$BASHPID"
}
describe() { # pid -> "pid (user) command line"
  local cmd
  cmd=$(tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | cut -c1-160)
  echo "$1 ($(ps -o user= -p "$1" 2>/dev/null | tr -d ' ')) ${cmd:-?}"
}
in_session() { ps -o pid=,stat= --sid "$1" 2>/dev/null | awk '$2 !~ /^Z/ {print $1}'; } # zombies are gone already
stop_session() { # sid: SIGTERM to each member, up to 5 s, then SIGKILL; names what was running
  local sid=$1 i p left
  [ -n "$sid" ] || return 0
  left=$(in_session "$sid")
  [ -n "$left" ] || return 0
  for p in $left; do [ -r "/proc/$p/cmdline" ] && echo "     | note: stopped at the end of the test: $(describe "$p")"; done
  kill -TERM $left 2>/dev/null
  for i in $(seq 1 50); do
    left=$(in_session "$sid")
    [ -n "$left" ] || return 0
    sleep 0.1
  done
  kill -KILL $left 2>/dev/null
  return 0
}
kill_tagged() { # tag [prefix] -> names and kills the tagged processes; status 1 when there were any
  local pids p
  pids=$(tagged "$1" "${2:-}")
  [ -n "$pids" ] || return 0
  for p in $pids; do echo "     | left running: $(describe "$p")"; done
  kill -KILL $pids 2>/dev/null
  return 1
}
on_signal() {
  local f
  for f in "$run_dir"/.results/*.sid; do [ -f "$f" ] && stop_session "$(cat "$f")" >/dev/null; done
  kill_tagged "$run_id:" prefix >/dev/null
  rm -rf "$run_dir"
  exit 130
}
trap on_signal INT TERM HUP

run_one() { # status_file name command...
  local status_file="$1" name="$2"; shift 2
  local slug=${name//\//_}
  local log="build/test-logs/$slug.log"
  local tag="$run_id:$slug"
  local tmp="$run_dir/$slug"
  mkdir -p "$tmp" && chmod 711 "$tmp"
  local t0=$SECONDS
  PRESTIGE_TEST_TAG="${PRESTIGE_TEST_TAG:+$PRESTIGE_TEST_TAG|}$tag" TMPDIR="$tmp" \
    setsid timeout -k 10 "$timeout_s" "$@" >"$log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" > "$status_file.sid" # setsid did not fork (a background job is no group leader): pid = sid
  wait "$pid"
  local rc=$?
  local t1=$SECONDS
  local notes; notes=$(stop_session "$pid")
  rm -f "$status_file.sid"
  local leaked; leaked=$(kill_tagged "$tag")
  rm -rf "$tmp"
  local result; result=$(grep -E '^RESULT [0-9]+ [0-9]+$' "$log" | tail -1)
  local checks=""
  [ -n "$result" ] && checks=" ($(echo "$result" | awk '{print $2" checks passed, "$3" failed"}'))"
  local why=""
  [ $rc -eq 124 ] && why=", timed out after ${timeout_s}s"
  if [ $rc -eq 0 ] && [ -z "$leaked" ]; then
    echo "ok   $name$checks [$((t1 - t0))s]"
    [ -n "$notes" ] && echo "$notes"
    echo pass > "$status_file"
  else
    if [ $rc -eq 0 ]; then
      echo "FAIL $name (processes it started outlived it)$checks [$((t1 - t0))s]"
    else
      echo "FAIL $name (exit $rc$why)$checks [$((t1 - t0))s] — log: $log"
      tail -n 30 "$log" | sed 's/^/     | /'
    fi
    [ -n "$notes" ] && echo "$notes"
    [ -n "$leaked" ] && echo "$leaked"
    echo fail > "$status_file"
  fi
}

# Runs the tests TEST_JOBS at a time; each writes its lines and status into the results directory
# and they are printed when it ends.
jobs_max="${TEST_JOBS:-2}"
[[ "$jobs_max" =~ ^[1-9][0-9]*$ ]] || { echo "TEST_JOBS must be a positive integer" >&2; exit 2; }
results="$run_dir/.results"
mkdir -p "$results"
names=(); cmds=()
for bin in $(find build/asan/tests -type f -perm -u+x -name 'test_*' 2>/dev/null | sort); do
  name=${bin#build/asan/}
  selected "$name" || continue
  names+=("$name"); cmds+=("$bin")
done
for script in $(ls tests/*/it_*.sh 2>/dev/null | sort); do
  selected "$script" || continue
  names+=("$script"); cmds+=("bash $script")
done
# Longest first (the classic bound for list scheduling): these took the most time in past runs.
slow_first='it_fuzz|it_iceberg_sink|it_sink_crash|it_threads_equal|it_corpus|it_bad_data|it_cli.sh|it_filters|it_iceberg|it_filter_diff|it_fresh_clone|test_table'
order=(); queued=()
IFS='|' read -r -a slow_list <<< "$slow_first"
for pat in "${slow_list[@]}" ""; do # the listed ones in the listed order, then the rest
  for i in "${!names[@]}"; do
    [ -z "${queued[$i]:-}" ] || continue
    if [ -z "$pat" ] || [[ "${names[$i]}" == *"$pat"* ]]; then order+=("$i"); queued[$i]=1; fi
  done
done
printed=()
print_done() { # prints the finished tests' lines once each, and counts them
  local i
  for i in "${!names[@]}"; do
    [ -f "$results/$i.st" ] && [ -z "${printed[$i]:-}" ] || continue
    printed[$i]=1
    cat "$results/$i.out"
    grep -E '^(ok|FAIL) ' "$results/$i.out" >> "$summary" 2>/dev/null
    if [ "$(cat "$results/$i.st")" = pass ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failed_names+=("${names[$i]}"); fi
  done
}
# every test's result line, also kept after the run: build/test-logs/summary.txt (the slow ones are
# the first to look at when the suite grows)
summary=build/test-logs/summary.txt
: > "$summary"
running=0
for i in "${order[@]}"; do
  while [ "$running" -ge "$jobs_max" ]; do
    wait -n 2>/dev/null
    running=$(jobs -rp | wc -l)
    print_done
  done
  # shellcheck disable=SC2086  # the command is "binary" or "bash script"
  run_one "$results/$i.st" "${names[$i]}" ${cmds[$i]} > "$results/$i.out" 2>&1 &
  running=$(jobs -rp | wc -l)
done
wait
print_done

# the end: nothing this run started may still be running
survivors=$(kill_tagged "$run_id:" prefix)
if [ -n "$survivors" ]; then
  echo "FAIL processes started by the suite are still running:"
  echo "$survivors"
  failed=$((failed + 1)); failed_names+=("(leftover processes)")
fi
rm -rf "$run_dir"

echo "total time: $((SECONDS - start_all))s" | tee -a "$summary"
[ $failed -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

#!/usr/bin/env bash
# The runner (tests/run.sh) leaves nothing running, on every path. In a scratch tree with this
# checkout's runner and helpers, five throwaway tests: one leaves a server behind (stopped, noted,
# passes), one starts a daemon that leaves its session (named, killed, fails), one hangs (timed
# out, its children stopped), one starts s3rver through the prologue and is killed with SIGKILL
# (its trap never runs: the runner stops s3rver), one starts s3rver and PostgreSQL and exits
# normally (its own cleanup stops both: nothing for the runner to do). Afterwards no process of
# the scratch run exists.
source "$(dirname "$0")/../common/prologue.sh"

s="$T/tree"
mkdir -p "$s/tests/common" "$s/tests/x"
cp tests/run.sh "$s/tests/"
cp tests/common/prologue.sh tests/common/s3_env.sh tests/common/pg_env.sh tests/common/s3rver.mjs "$s/tests/common/"
touch "$s/tests/lsan.supp"
ln -s "$(readlink -f node_modules)" "$s/node_modules"
mark="runner-selftest-$$-$RANDOM"
cat > "$s/tests/x/it_a_server.sh" <<EOF
export SELFTEST_MARK=$mark
sleep 2999 &
echo "RESULT 1 0"
EOF
cat > "$s/tests/x/it_b_daemon.sh" <<EOF
export SELFTEST_MARK=$mark
setsid sleep 3000 &
echo "RESULT 1 0"
EOF
cat > "$s/tests/x/it_d_killed.sh" <<EOF
export SELFTEST_MARK=$mark
source "\$(dirname "\$0")/../common/prologue.sh"
s3rver_start "\$T/s3" "b"
kill -9 \$\$
EOF
cat > "$s/tests/x/it_e_clean.sh" <<EOF
export SELFTEST_MARK=$mark
source "\$(dirname "\$0")/../common/prologue.sh"
s3rver_start "\$T/s3" "b"
pg_start
check "psql '\$PG_URL' -Atc 'SELECT 1' | grep -qx 1"
check "curl -s -o /dev/null -w '%{http_code}' '\$S3_ENDPOINT/b' | grep -qx 200"
result
EOF

st_of env TESTS= bash "$s/tests/run.sh" >"$T/out.log" 2>&1
check "[ $st -eq 1 ]"
# the hang alone, with a short TEST_TIMEOUT
mkdir -p "$s/hang/tests/x" && cp -a "$s/tests/run.sh" "$s/tests/common" "$s/tests/lsan.supp" "$s/hang/tests/"
cat > "$s/hang/tests/x/it_c_hang.sh" <<EOF
export SELFTEST_MARK=$mark
sleep 3001 &
sleep 3002
EOF
st_of env TESTS= TEST_TIMEOUT=5 bash "$s/hang/tests/run.sh" >>"$T/out.log" 2>&1
check "[ $st -eq 1 ]"
sed 's/^/  scratch | /' "$T/out.log"
check "grep -q '^ok   tests/x/it_a_server.sh ' '$T/out.log'"
check "grep -A3 '^ok   tests/x/it_a_server.sh ' '$T/out.log' | grep -q 'note: stopped at the end of the test: .*sleep 2999'"
check "grep -q '^FAIL tests/x/it_b_daemon.sh (processes it started outlived it)' '$T/out.log'"
check "grep -q 'left running: .*sleep 3000' '$T/out.log'"
check "grep -q '^FAIL tests/x/it_c_hang.sh (exit 124, timed out after 5s)' '$T/out.log'"
check "grep -q '^FAIL tests/x/it_d_killed.sh (exit 137)' '$T/out.log'"
check "grep -A40 '^FAIL tests/x/it_d_killed.sh' '$T/out.log' | grep -q 'note: stopped at the end of the test: .*s3rver.mjs'"
check "grep -q '^ok   tests/x/it_e_clean.sh (2 checks passed, 0 failed)' '$T/out.log'"
check "! grep -A3 '^ok   tests/x/it_e_clean.sh' '$T/out.log' | grep -q 'note:'"
check "! grep -q 'still running' '$T/out.log'"
check "grep -q '^2 passed, 2 failed$' '$T/out.log'"
check "grep -q '^0 passed, 1 failed$' '$T/out.log'"
left=$(grep -lsaz "^SELFTEST_MARK=$mark\$" /proc/[0-9]*/environ || true)
check "[ -z '$left' ]"
[ -z "$left" ] || for e in $left; do tr '\0' ' ' < "${e%/environ}/cmdline"; echo; done
result

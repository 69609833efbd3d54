#!/usr/bin/env bash
# A fresh clone in a directory only its owner can enter (mode 700, like root's home or any
# mktemp -d) runs the PostgreSQL-backed tests. The PostgreSQL server runs as the postgres user,
# who cannot enter such a clone: the tests must keep its cluster elsewhere and reach it over TCP.
# The clone is of HEAD, with ../shared and node_modules linked from this checkout. To keep this
# short, the clone reuses this checkout's ASan objects: a tracked file whose content is the same
# here takes this checkout's modification time, so make rebuilds exactly what differs (as it
# would here) and links only the few binaries these tests need.
source "$(dirname "$0")/../common/prologue.sh"

if ! git -C "$ROOT" rev-parse --verify -q HEAD >/dev/null; then
  echo "not a git checkout: nothing to clone (this check needs one)"
  result
fi
parent=$(mktemp -d) # under TMPDIR; mktemp -d makes it mode 700
at_exit rm -rf "$parent"
clone="$parent/prestige"
check "[ \"\$(stat -c %a '$parent')\" = 700 ]"
if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1; then
  check "! runuser -u postgres -- test -x '$parent'"   # the situation this test is about
fi

git clone -q "$ROOT" "$clone"
git -C "$clone" checkout -q --detach "$(git -C "$ROOT" rev-parse HEAD)"
ln -s "$(cd "$ROOT/.." && pwd)/shared" "$parent/shared"
ln -s "$(readlink -f "$ROOT/node_modules")" "$clone/node_modules"

if [ -d "$ROOT/build/asan" ]; then
  mkdir -p "$clone/build/asan/tests"
  cp -a "$ROOT/build/flags.list" "$ROOT/build/srcs.list" "$clone/build/"
  for d in src tools tests/common tests/poller; do
    [ -d "$ROOT/build/asan/$d" ] && mkdir -p "$clone/build/asan/$(dirname "$d")" && cp -a "$ROOT/build/asan/$d" "$clone/build/asan/$d"
  done
  python3 - "$ROOT" "$clone" <<'PY'
import filecmp, os, subprocess, sys
root, clone = sys.argv[1], sys.argv[2]
files = subprocess.run(["git", "-C", clone, "ls-files", "-z"], check=True, capture_output=True).stdout.split(b"\0")
same = 0
for f in filter(None, files):
    a, b = os.path.join(root, f.decode()), os.path.join(clone, f.decode())
    if os.path.isfile(a) and not os.path.islink(b) and filecmp.cmp(a, b, shallow=False):
        st = os.stat(a)
        os.utime(b, ns=(st.st_atime_ns, st.st_mtime_ns))
        same += 1
print(f"{same} of {len(files) - 1} tracked files as in this checkout")
PY
fi
t0=$SECONDS
make -s -C "$clone" -j2 build/asan/tests/poller/test_poller build/asan/tests/poller/test_metrics_live build/asan/prestige \
  >"$T/make.log" 2>&1 || { tail -20 "$T/make.log"; bad "the clone does not build"; result; }
echo "built in $((SECONDS - t0)) s"

# the clone's own runner, as `make test` there would run it (only the poller tests)
st_of env TESTS=poller bash "$clone/tests/run.sh" >"$T/suite.log" 2>&1
sed 's/^/  clone | /' "$T/suite.log"
check "[ $st -eq 0 ]"
check "grep -q '^ok   tests/poller/test_poller ' '$T/suite.log'"
check "grep -q '^ok   tests/poller/it_poller.sh ' '$T/suite.log'"
check "grep -q '^3 passed, 0 failed$' '$T/suite.log'"
result

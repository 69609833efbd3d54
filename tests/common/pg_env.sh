# Sourceable (bash): a throwaway PostgreSQL server for the tests, reached over TCP on loopback.
#   pg_start        starts one; sets PG_DIR, PG_PORT, PG_PID and PG_URL
#                   (postgresql://postgres@127.0.0.1:PORT/postgres)
#   pg_stop [DIR]   stops the server of DIR (default PG_DIR) and removes DIR
# With tests/common/prologue.sh (its at_exit) the server is stopped on exit; C tests call both
# through bash -c.
# Safe under set -euo pipefail.
#
# Any checkout location works: PostgreSQL refuses to run as root, so as root the server runs as
# the postgres user, who may not be able to enter the checkout (a clone in root's mode-700 home or
# in a mktemp -d). The cluster therefore lives in a fresh directory owned by the server's user
# under $TMPDIR when that user can reach it (tests/run.sh gives each test a TMPDIR it removes
# afterwards), else under /tmp, and clients connect over TCP, never through a socket in the tree.
# The server is started in the foreground of a background job rather than by pg_ctl, which would
# detach it into a session of its own: this way it stays in the test's process group, and the
# runner's kill of that group stops it even when the test itself was killed.
_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
_pg_as() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
_pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

pg_start() {
  local bin base dir tries deadline pid port
  bin=$(_pg_bin)
  [ -x "$bin/initdb" ] || { echo "pg_start: PostgreSQL server binaries not found (package postgresql)" >&2; return 1; }
  base=/tmp
  if [ -n "${TMPDIR:-}" ] && [ -d "$TMPDIR" ] && _pg_as test -x "$TMPDIR" 2>/dev/null; then base=$TMPDIR; fi
  dir=$(mktemp -d "$base/prestige-pg.XXXXXX") || return 1
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  # run from the cluster's directory: the server's user may not be able to enter the caller's
  if ! (cd "$dir" && _pg_as "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8) >"$dir/initdb.log" 2>&1; then
    echo "pg_start: initdb failed in $dir:" >&2; cat "$dir/initdb.log" >&2; rm -rf "$dir"; return 1
  fi
  for tries in 1 2 3; do # a port picked free can be taken before the server binds it: pick again
    port=$(_pg_free_port)
    # TCP only (-k ''): a socket path under a deep TMPDIR can pass the 107-byte limit
    (cd "$dir" && _pg_as "$bin/postgres" -D "$dir/data" -p "$port" -k '' -c listen_addresses=127.0.0.1 -c fsync=off \
      -c full_page_writes=off -c synchronous_commit=off) </dev/null >"$dir/server.log" 2>&1 &
    pid=$!
    deadline=$((SECONDS + ${PG_START_TIMEOUT:-180})) # a hang backstop; a loaded machine may take a while
    while ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -t 5 2>/dev/null; do
      if ! kill -0 "$pid" 2>/dev/null; then pid=""; break; fi
      if [ "$SECONDS" -ge "$deadline" ]; then
        echo "pg_start: no answer on port $port within ${PG_START_TIMEOUT:-180} s" >&2; cat "$dir/server.log" >&2
        kill -KILL "$pid" 2>/dev/null || true; pg_stop "$dir"; return 1
      fi
      sleep 0.1
    done
    [ -n "$pid" ] && break
    grep -q "could not bind\|Address already in use" "$dir/server.log" || break
  done
  if [ -z "$pid" ]; then
    echo "pg_start: the server exited:" >&2; cat "$dir/server.log" >&2; rm -rf "$dir"; return 1
  fi
  PG_DIR=$dir PG_PORT=$port
  PG_PID=$(head -1 "$dir/data/postmaster.pid")
  PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
  export PG_DIR PG_PORT PG_PID PG_URL
  if declare -F at_exit >/dev/null; then at_exit pg_stop "$dir"; fi
}

# Immediate shutdown (SIGQUIT) of the postmaster, then its directory goes. Safe to call twice.
pg_stop() {
  local dir=${1:-${PG_DIR:-}} pid i
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  pid=$(head -1 "$dir/data/postmaster.pid" 2>/dev/null) || true
  if [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null; then
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -rf "$dir"
  [ "$dir" = "${PG_DIR:-}" ] && PG_DIR=""
  return 0
}

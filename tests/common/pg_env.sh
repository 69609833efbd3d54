# Sourceable: a throwaway PostgreSQL server on a loopback port for the tests.
#   pg_start DIR   sets PG_PORT and PG_URL (postgresql://postgres@127.0.0.1:PORT/postgres); stopped on exit
# The server runs as the postgres user when the tests run as root (PostgreSQL refuses root).
_pg_dir=""
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
_pg_as() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_stop() { [ -n "$_pg_dir" ] && _pg_as "$(pg_bin)/pg_ctl" -D "$_pg_dir/data" -m immediate stop >/dev/null 2>&1; _pg_dir=""; }
pg_start() {
  local dir="$1" bin
  bin=$(pg_bin)
  [ -x "$bin/initdb" ] || { echo "PostgreSQL server binaries not found (package postgresql)" >&2; return 1; }
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  chmod 700 "$dir" 2>/dev/null
  _pg_as "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null 2>"$dir/initdb.err" || { cat "$dir/initdb.err" >&2; return 1; }
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  _pg_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  _pg_dir="$dir"
  PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
  export PG_PORT PG_URL
}

#!/usr/bin/env bash
# prestige iceberg serve and the REST client: every CLI verb through `--catalog http://...` (its output
# equal to the same verb straight on the SQLite catalog the server serves), every response of the
# server validated against the Iceberg REST OpenAPI (tests/iceberg/rest-catalog-open-api.yaml, ajv)
# with a bearer token and with OAuth2 client credentials under a prefix, iceberg-js against the
# server, two servers sharing one PostgreSQL catalog with concurrent commits through both, and the
# server's lifecycle (127.0.0.1 by default, clean SIGTERM, usage errors).
source "$(dirname "$0")/../common/prologue.sh"
PY=/usr/bin/python3
json() { "$PY" -c 'import json,sys; d=json.loads(sys.stdin.read()); r=eval(sys.argv[1]); print(json.dumps(r) if not isinstance(r, str) else r)' "$1"; }
expect_fail() {
  local code="$1" sub="$2"; shift 2
  st_of "$@" >"$T/out" 2>"$T/err"
  if [ "$st" -eq "$code" ] && grep -qF -- "$sub" "$T/err"; then ok; else bad "exit $st (wanted $code), stderr lacks \"$sub\": $* -- $(head -c 400 "$T/err")"; fi
}
unset PRESTIGE_CATALOG PRESTIGE_WAREHOUSE

# serve NAME ARGS...: starts `prestige iceberg serve ARGS --port 0` in the background; sets URI_<NAME> and PID_<NAME>
serve() {
  local name="$1"; shift
  "$P" iceberg serve "$@" --port 0 >"$T/serve-$name.out" 2>"$T/serve-$name.err" &
  local pid=$!
  at_exit kill -TERM "$pid"
  wait_for 120 "[ -s '$T/serve-$name.out' ] || ! kill -0 $pid 2>/dev/null"
  local uri
  uri=$(json 'd["uri"]' <"$T/serve-$name.out")
  printf -v "URI_$name" '%s' "$uri"
  printf -v "PID_$name" '%s' "$pid"
}
# stop NAME: SIGTERM, then the exit status and the message
stop() {
  local pid_var="PID_$1"
  kill -TERM "${!pid_var}"
  st=0; wait "${!pid_var}" || st=$?
  check "[ $st -eq 0 ]"
  check "grep -q 'stopped by SIGTERM' '$T/serve-$1.err'"
}

"$PY" -c 'import yaml,json,sys; json.dump(yaml.safe_load(open(sys.argv[1])), open(sys.argv[2],"w"))' \
  tests/iceberg/rest-catalog-open-api.yaml "$T/spec.json"

# ---- SQLite, a bearer token: every verb -------------------------------------------------------------------
DB="sqlite:$T/cat.db"
serve a --catalog "$DB" --warehouse "$T/wh" --token s3cret
check "[[ '$URI_a' == http://127.0.0.1:* ]]"
R=(--catalog "$URI_a" --token s3cret)
D=(--catalog "$DB" --warehouse "$T/wh")
check "[ \"\$($P iceberg create-namespace db ${R[*]})\" = '{\"namespace\":\"db\"}' ]"
check "$P iceberg create-namespace db.raw --property owner=me ${R[*]} >/dev/null"
check "[ \"\$($P iceberg namespaces ${R[*]})\" = \"\$($P iceberg namespaces ${D[*]})\" ]"
check "$P iceberg namespaces --parent db ${R[*]} | grep -q '\"db.raw\"'"
printf 'id,name,amount,day\n1,a,1.5,2024-01-02\n2,b,,2024-01-03\n' > "$T/in.csv"
out=$($P iceberg create db.raw.orders --like "$T/in.csv" --partition 'day(day)' --sort 'id desc' --property k=v "${R[@]}")
check "[ \"\$(echo '$out' | json 'd[\"table\"]')\" = db.raw.orders ]"
check "echo '$out' | json 'd[\"metadata_location\"]' | grep -q '^file://$T/wh/db/raw/orders/metadata/00000-'"
check "$P iceberg create db.plain --schema 'id:int64!,s:string' ${R[*]} >/dev/null"
check "[ \"\$($P iceberg tables db.raw ${R[*]})\" = \"\$($P iceberg tables db.raw ${D[*]})\" ]"
check "[ \"\$($P iceberg describe db.raw.orders ${R[*]})\" = \"\$($P iceberg describe db.raw.orders ${D[*]})\" ]"
check "$P iceberg describe db.raw.orders ${R[*]} | json 'd[\"partition_spec\"]' | grep -q day"
check "$P iceberg set-properties db.raw.orders a=1 b=2 --remove k ${R[*]} >/dev/null"
check "[ \"\$($P iceberg describe db.raw.orders ${R[*]} | json 'd[\"properties\"].get(\"a\"), d[\"properties\"].get(\"k\")')\" = '[\"1\", null]' ]"
# appends and scans through the server (the data files written by the client, the commit by the server)
check "$P iceberg append db.raw.orders '$T/in.csv' ${R[*]} | json 'd[\"added_records\"]' | grep -qx 2"
printf '{"id":3,"name":"c","amount":2.5,"day":"2024-01-04"}\n' | $P iceberg append db.raw.orders - "${R[@]}" >/dev/null || bad "append stdin"
check "[ \"\$($P iceberg scan db.raw.orders ${R[*]} | sort)\" = \"\$($P iceberg scan db.raw.orders ${D[*]} | sort)\" ]"
check "[ \"\$($P iceberg scan db.raw.orders --where 'id >= 2' ${R[*]} | wc -l)\" = 2 ]"
check "[ \"\$($P iceberg snapshots db.raw.orders ${R[*]} | wc -l)\" = 2 ]"
check "[ \"\$($P iceberg snapshots db.raw.orders ${R[*]})\" = \"\$($P iceberg snapshots db.raw.orders ${D[*]})\" ]"
mloc=$($P iceberg describe db.plain "${R[@]}" | json 'd["metadata_location"]')
check "$P iceberg rename db.plain db.raw.plain2 ${R[*]} >/dev/null"
check "$P iceberg tables db.raw ${D[*]} | grep -q plain2"
check "$P iceberg drop db.raw.plain2 ${R[*]} >/dev/null"
check "$P iceberg register db.back '$mloc' ${R[*]} >/dev/null"
check "$P iceberg describe db.back ${D[*]} | grep -q '$mloc'"
check "$P iceberg drop db.back --purge ${R[*]} >/dev/null"
check "[ ! -e '${mloc#file://}' ]"
expect_fail 1 "does not exist" "$P" iceberg describe db.nope "${R[@]}"
expect_fail 1 "already exists" "$P" iceberg create-namespace db "${R[@]}"
expect_fail 1 "not empty" "$P" iceberg drop-namespace db "${R[@]}"
expect_fail 1 "not authorized" "$P" iceberg namespaces --catalog "$URI_a" --token wrong
expect_fail 1 "requires a bearer token" "$P" iceberg namespaces --catalog "$URI_a"
expect_fail 2 "--request-timeout" "$P" iceberg namespaces "${R[@]}" --request-timeout soon
expect_fail 1 "token is for REST catalogs" "$P" iceberg namespaces "${D[@]}" --token x

# every response against the OpenAPI, and iceberg-js
node tests/iceberg/rest_conformance.mjs --spec "$T/spec.json" --url "$URI_a" --token s3cret >"$T/conf.out" 2>&1 && st=0 || st=$?
check "[ $st -eq 0 ]" || cat "$T/conf.out" >&2
n=$(sed -n 's/^VALIDATED //p' "$T/conf.out")
check "[ '${n:-0}' -ge 40 ]"
node tests/iceberg/rest_icebergjs.mjs --url "$URI_a" --token s3cret >"$T/js.out" 2>&1 && st=0 || st=$?
check "[ $st -eq 0 ]" || cat "$T/js.out" >&2
check "grep -q '^ICEBERGJS OK' '$T/js.out'"
stop a

# ---- OAuth2 client credentials and a prefix --------------------------------------------------------------------
serve b --catalog "sqlite:$T/cat-b.db" --warehouse "$T/whb" --credential app:pw --prefix lake --token-lifetime 60
node tests/iceberg/rest_conformance.mjs --spec "$T/spec.json" --url "$URI_b" --credential app:pw >"$T/conf-b.out" 2>&1 && st=0 || st=$?
check "[ $st -eq 0 ]" || cat "$T/conf-b.out" >&2
check "$P iceberg create-namespace sales --catalog $URI_b --credential app:pw >/dev/null"
check "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $URI_b/v1/lake/namespaces)\" = 401 ]"
check "$P iceberg namespaces --catalog $URI_b --credential app:pw | grep -q sales"
expect_fail 1 "invalid_client" "$P" iceberg namespaces --catalog "$URI_b" --credential app:wrong
stop b

# ---- two servers on one PostgreSQL catalog -----------------------------------------------------------------------
if pg_start >/dev/null; then
  serve p1 --catalog "$PG_URL" --warehouse "$T/whpg"
  serve p2 --catalog "$PG_URL" --warehouse "$T/whpg"
  check "$P iceberg create-namespace shared --catalog $URI_p1 >/dev/null"
  check "$P iceberg namespaces --catalog $URI_p2 | grep -q shared"
  check "$P iceberg create shared.t --schema 'id:int64!' --catalog $URI_p2 >/dev/null"
  # two processes appending 10 times each, one through each server: 20 snapshots, no row lost
  check "$P iceberg set-properties shared.t commit.retry.num-retries=40 commit.retry.min-wait-ms=5 commit.retry.max-wait-ms=200 --catalog $URI_p1 >/dev/null"
  pids=()
  for s in 1 2; do
    ( uri_var="URI_p$s"; for i in $(seq 1 10); do echo "{\"id\":$((s * 1000 + i))}" | $P iceberg append shared.t - --catalog "${!uri_var}" >/dev/null || echo "append fail $s $i"; done ) >"$T/app-$s.out" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
  check "[ ! -s '$T/app-1.out' ] && [ ! -s '$T/app-2.out' ]" || cat "$T/app-1.out" "$T/app-2.out" >&2
  check "[ \"\$($P iceberg snapshots shared.t --catalog $URI_p2 | wc -l)\" = 20 ]"
  check "[ \"\$($P iceberg scan shared.t --catalog $URI_p1 | sort -u | wc -l)\" = 20 ]"
  check "[ \"\$($P iceberg scan shared.t --catalog $URI_p1 | wc -l)\" = 20 ]"
  # concurrent commits through both servers: every one lands (retried on conflicts)
  pids=()
  for s in 1 2; do
    ( uri_var="URI_p$s"; for i in $(seq 1 10); do $P iceberg set-properties shared.t "s$s-$i=v" --catalog "${!uri_var}" >/dev/null || echo "fail $s $i"; done ) >"$T/pg-$s.out" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
  check "[ ! -s '$T/pg-1.out' ] && [ ! -s '$T/pg-2.out' ]" || cat "$T/pg-1.out" "$T/pg-2.out" >&2
  n=$($P iceberg describe shared.t --catalog "$URI_p1" | json 'len([k for k in d["properties"] if k[0] == "s" and "-" in k])')
  check "[ '$n' = 20 ]"
  check "[ \"\$($P iceberg describe shared.t --catalog $URI_p1)\" = \"\$($P iceberg describe shared.t --catalog $URI_p2)\" ]"
  check "[ \"\$($P iceberg describe shared.t --catalog $URI_p1)\" = \"\$($P iceberg describe shared.t --catalog $PG_URL)\" ]"
  node tests/iceberg/rest_conformance.mjs --spec "$T/spec.json" --url "$URI_p2" >"$T/conf-pg.out" 2>&1 && st=0 || st=$?
  check "[ $st -eq 0 ]" || cat "$T/conf-pg.out" >&2
  stop p1
  stop p2
else
  bad "PostgreSQL did not start"
fi

# ---- usage ------------------------------------------------------------------------------------------------------
expect_fail 2 "no catalog" "$P" iceberg serve
expect_fail 2 "--port" "$P" iceberg serve --catalog "$DB" --port 70000
expect_fail 2 "client options" "$P" iceberg serve --catalog "$DB" --sigv4
expect_fail 1 "SQL catalog" "$P" iceberg serve --catalog http://127.0.0.1:1
expect_fail 1 "localhost" "$P" iceberg serve --catalog "$DB" --bind localhost
check "$P iceberg serve --help | grep -q 'SIGTERM'"
expect_fail 2 "--idempotency-lifetime" "$P" iceberg serve --catalog "$DB" --idempotency-lifetime -1
# --idempotency-lifetime: advertised as an ISO-8601 duration; 0 advertises nothing (keys ignored)
serve i1 --catalog "$DB" --warehouse "$T/wh" --idempotency-lifetime 90
check "curl -s $URI_i1/v1/config | grep -q '\"idempotency-key-lifetime\":\"PT90S\"'"
check "$P iceberg create-namespace idem1 --catalog $URI_i1 >/dev/null && $P iceberg namespaces --catalog $URI_i1 | grep -q idem1"
stop i1
serve i0 --catalog "$DB" --warehouse "$T/wh" --idempotency-lifetime 0
check "! curl -s $URI_i0/v1/config | grep -q 'idempotency-key-lifetime'"
check "$P iceberg namespaces --catalog $URI_i0 >/dev/null"
stop i0
result

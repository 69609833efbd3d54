#!/usr/bin/env bash
# Appends committed through the REST catalog (prestige iceberg serve's server, in process, over
# SQLite) against the same appends committed straight to the SQLite catalog, in the same run:
# commits per second with 1 and 4 concurrent appenders (a table each), and p50/p99 latency of
# ice_append_commit (manifest + manifest list + catalog commit). Two rounds; the better is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/release/bench/bench_rest
T=$(mktemp -d "${TMPDIR:-/tmp}/prestige-bench-rest.XXXXXX")
trap 'rm -rf "$T"' EXIT
N1=${REST_COMMITS:-200}
N4=$((N1 / 2))
declare -A rate p50 p99
for round in 1 2; do
  for mode in sql rest; do
    for a in 1 4; do
      n=$N1; [ "$a" -eq 4 ] && n=$N4
      d="$T/$mode-$a-$round"; mkdir -p "$d"
      read -r _ _ _ _ r q50 q99 < <($B "$mode" "$a" "$n" "$d")
      k="$mode-$a"
      if [ -z "${rate[$k]:-}" ] || [ "$(echo "$r > ${rate[$k]}" | bc)" -eq 1 ]; then rate[$k]=$r; p50[$k]=$q50; p99[$k]=$q99; fi
    done
  done
done
printf '%-40s %10s %10s %10s %14s\n' "appends of 100 rows (a table each)" "commits/s" "p50 ms" "p99 ms" "REST/SQL p50"
for a in 1 4; do
  printf '%-40s %10s %10s %10s %14s\n' "SQLite catalog, $a appender(s)" "${rate[sql-$a]}" "${p50[sql-$a]}" "${p99[sql-$a]}" "1.00x"
  printf '%-40s %10s %10s %10s %13.2fx\n' "REST (serve on SQLite), $a appender(s)" "${rate[rest-$a]}" "${p50[rest-$a]}" "${p99[rest-$a]}" \
    "$(echo "${p50[rest-$a]} / ${p50[sql-$a]}" | bc -l)"
done

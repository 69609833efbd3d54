#!/usr/bin/env bash
# The shared library's ABI: it exports only the public API. Every dynamic symbol starts with
# prestige_ (curl checks its prefix the same way), and every function a public header declares
# with PRESTIGE_API is exported (a declaration that lost its export macro fails here).
set -euo pipefail
cd "$(dirname "$0")/../.."
so=build/release/libprestige.so
[ -f "$so" ] || { echo "missing $so (make lib)"; exit 1; }
exported=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -vE '^(_init|_fini|_edata|_end|__bss_start)$' | sort -u)
leaked=$(grep -v '^prestige_' <<<"$exported" || true)
if [ -n "$leaked" ]; then
  echo "libprestige.so exports $(wc -l <<<"$leaked") symbols without the prestige_ prefix:"
  echo "$leaked" | head -20
  exit 1
fi
declared=$(tr '\n' ' ' < <(cat include/prestige/*.h) | grep -oE 'PRESTIGE_API [^;{(]*\(' |
           grep -oE '\bprestige_[a-z0-9_]+ *\($' | tr -d ' (' | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
if [ -n "$missing" ]; then
  echo "declared with PRESTIGE_API but not exported (not defined in the library?):"
  echo "$missing"
  exit 1
fi
unmarked=$(comm -13 <(echo "$declared") <(echo "$exported"))
if [ -n "$unmarked" ]; then
  echo "exported but not declared with PRESTIGE_API in include/prestige/:"
  echo "$unmarked"
  exit 1
fi
echo "RESULT 3 0"
echo "ok: $(wc -l <<<"$exported") exported symbols, all prestige_, all declared with PRESTIGE_API"

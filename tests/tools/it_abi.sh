#!/usr/bin/env bash
# The shared library's ABI: it exports only the public API. Every dynamic symbol starts with
# prestige_ (curl checks its prefix the same way), and every function a public header declares
# with PRESTIGE_API is exported (a declaration that lost its export macro fails here).
source "$(dirname "$0")/../common/prologue.sh"
so=build/release/libprestige.so
[ -f "$so" ] || { bad "missing $so (make lib)"; result; }
exported=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -vE '^(_init|_fini|_edata|_end|__bss_start)$' | sort -u)
leaked=$(grep -v '^prestige_' <<<"$exported" || true)
if [ -n "$leaked" ]; then
  bad "libprestige.so exports $(wc -l <<<"$leaked") symbols without the prestige_ prefix:"
  echo "$leaked" | head -20
else ok; fi
declared=$(tr '\n' ' ' < <(cat include/prestige/*.h) | grep -oE 'PRESTIGE_API [^;{(]*\(' |
           grep -oE '\bprestige_[a-z0-9_]+ *\($' | tr -d ' (' | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
if [ -n "$missing" ]; then
  bad "declared with PRESTIGE_API but not exported (not defined in the library?):"
  echo "$missing"
else ok; fi
unmarked=$(comm -13 <(echo "$declared") <(echo "$exported"))
if [ -n "$unmarked" ]; then
  bad "exported but not declared with PRESTIGE_API in include/prestige/:"
  echo "$unmarked"
else ok; fi
[ $fail -eq 0 ] && echo "ok: $(wc -l <<<"$exported") exported symbols, all prestige_, all declared with PRESTIGE_API"
result

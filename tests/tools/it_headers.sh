#!/usr/bin/env bash
# Every public header (include/prestige/*.h, found by glob, so new headers are covered) compiles on
# its own with -std=c11 -pedantic -Wall -Wextra -Werror, in C and in C++ (its extern "C" block), and
# the usage example in its opening comment (extracted by tests/tools/header_examples.py) compiles
# with -std=c11 -pedantic -Wall -Werror and links against libprestige.so: an example with a wrong
# argument count, a missing argument or a function the library does not export fails here.
source "$(dirname "$0")/../common/prologue.sh"
so=build/release/libprestige.so
[ -f "$so" ] || { bad "missing $so (make lib)"; result; }
CC=${CC:-cc}
examples=0
for h in include/prestige/*.h; do
  name=$(basename "$h" .h)
  # on its own
  printf '#include "prestige/%s.h"\nint main(void) { return 0; }\n' "$name" > "$T/alone_$name.c"
  if $CC -std=c11 -pedantic -Wall -Wextra -Werror -Iinclude -c "$T/alone_$name.c" -o "$T/alone_$name.o" 2> "$T/alone_$name.err"; then
    ok
  else
    bad "$h does not compile on its own:"; head -20 "$T/alone_$name.err"
  fi
  if command -v c++ > /dev/null; then
    cp "$T/alone_$name.c" "$T/alone_$name.cc"
    if c++ -std=c++17 -Wall -Werror -Iinclude -fsyntax-only "$T/alone_$name.cc" 2> "$T/alone_cc_$name.err"; then ok
    else bad "$h does not compile as C++:"; head -20 "$T/alone_cc_$name.err"; fi
  fi
  # its usage example
  python3 tests/tools/header_examples.py "$h" > "$T/ex_$name.c"
  [ -s "$T/ex_$name.c" ] || continue
  examples=$((examples + 1))
  if $CC -std=c11 -pedantic -Wall -Werror -Iinclude "$T/ex_$name.c" -o "$T/ex_$name" -Lbuild/release -l:libprestige.so \
       -pthread 2> "$T/ex_$name.err"; then
    ok
  else
    bad "the usage example of $h does not compile or link:"
    head -30 "$T/ex_$name.err"
    echo "    (extracted as:)"; cat -n "$T/ex_$name.c" > "$T/ex_$name.lst"; head -80 "$T/ex_$name.lst"
  fi
done
check "[ $examples -ge 17 ]" # today's headers with examples; a header that lost its example shows here
echo "headers: $(ls include/prestige/*.h | wc -l), examples compiled: $examples"
result

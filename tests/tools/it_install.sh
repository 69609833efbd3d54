#!/usr/bin/env bash
# `make install` into a staging root, then build and run a program against the installed
# headers and library through pkg-config, both statically and dynamically; the installed
# prestige.pc names the license.
source "$(dirname "$0")/../common/prologue.sh"
stage=$T
make -s install DESTDIR="$stage" PREFIX=/usr/local >/dev/null
check "test -f '$stage/usr/local/include/prestige/prestige.h'"
check "test -f '$stage/usr/local/lib/libprestige.a'"
check "test -f '$stage/usr/local/lib/pkgconfig/prestige.pc'"
check "grep -q '^# SPDX-License-Identifier: Apache-2.0' '$stage/usr/local/lib/pkgconfig/prestige.pc'" # the license
export PKG_CONFIG_SYSROOT_DIR="$stage" PKG_CONFIG_PATH="$stage/usr/local/lib/pkgconfig" PKG_CONFIG_LIBDIR="$stage/usr/local/lib/pkgconfig"
cflags=$(pkg-config --cflags prestige)
libs=$(pkg-config --libs prestige)
static_libs=$(pkg-config --libs --static prestige)
cat > "$stage/app.c" <<'C'
#include <prestige/prestige.h>
#include <stdio.h>
#include <string.h>
int main(void) {
  prestige_error_t err;
  prestige_error_init(&err);
  int rc = prestige_error_set(&err, PRESTIGE_ECORRUPT, "page %d", 3);
  printf("%s %s %s\n", prestige_version(), prestige_code_name(rc), err.message);
  return strcmp(err.message, "page 3") != 0;
}
C
cc -std=c11 $cflags "$stage/app.c" -o "$stage/app-dyn" $libs
check "LD_LIBRARY_PATH='$stage/usr/local/lib' '$stage/app-dyn' | grep -q 'ECORRUPT page 3'"
cc -std=c11 $cflags "$stage/app.c" -o "$stage/app-static" -Wl,-Bstatic -lprestige -Wl,-Bdynamic \
  -L"$stage/usr/local/lib" $(echo "$static_libs" | sed 's/-lprestige//')
check "'$stage/app-static' | grep -q 'ECORRUPT page 3'"
result

/* Timestamped names: see tsname.h. */
#include "core/tsname.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tsname_format(char *out, size_t n, const char *dir, const char *name, int64_t ts_ms, const char *ext) {
  return dir ? snprintf(out, n, "%s/%s.%lld%s", dir, name, (long long)ts_ms, ext)
             : snprintf(out, n, "%s.%lld%s", name, (long long)ts_ms, ext);
}

int64_t tsname_parse(const char *fname, const char *name, const char *ext) {
  size_t nl = strlen(name);
  if (strncmp(fname, name, nl) != 0 || fname[nl] != '.') return -1;
  const char *d = fname + nl + 1, *e = d;
  while (isdigit((unsigned char)*e)) e++;
  if (e == d || e - d > 18) return -1;
  if (strcmp(e, ext) != 0) return -1;
  return strtoll(d, NULL, 10);
}

int64_t tsname_key_timestamp(const char *key) {
  const char *base = strrchr(key, '/');
  base = base ? base + 1 : key;
  /* "<prefix>.<digits>.<ext>": the last dot starts the extension; the digits sit before it */
  const char *ext = strrchr(base, '.');
  if (!ext || ext == base) return -1;
  const char *d = ext;
  while (d > base && isdigit((unsigned char)d[-1])) d--;
  if (d == ext || d - 1 <= base || d[-1] != '.' || ext - d > 18) return -1;
  int64_t v = 0;
  for (const char *p = d; p < ext; p++) v = v * 10 + (*p - '0');
  return v;
}

char *tsname_key_for_path(const char *prefix, const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  if (!prefix) prefix = "";
  size_t n = strlen(prefix) + strlen(base) + 1;
  char *k = malloc(n);
  if (k) snprintf(k, n, "%s%s", prefix, base);
  return k;
}

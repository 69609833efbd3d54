/* Text forms of values whose Arrow storage says little: UUIDs and month_day_nano intervals. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "prestige/arrow.h"

void prestige_uuid_format(const uint8_t b[16], char out[37]) {
  static const char hex[] = "0123456789abcdef";
  int o = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
    out[o++] = hex[b[i] >> 4];
    out[o++] = hex[b[i] & 15];
  }
  out[o] = 0;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int prestige_uuid_parse(const char *text, size_t len, uint8_t out[16], prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  const char *p = text;
  size_t n = len;
  if (n >= 2 && p[0] == '{' && p[n - 1] == '}') p++, n -= 2;
  bool hyphens = n == 36;
  int k = 0;
  if (n == 36 || n == 32) {
    for (size_t i = 0; i < n; i++) {
      if (hyphens && (i == 8 || i == 13 || i == 18 || i == 23)) {
        if (p[i] != '-') break;
        continue;
      }
      int d = hex_digit(p[i]);
      if (d < 0) break;
      if (k & 1) out[k / 2] = (uint8_t)(out[k / 2] | d);
      else out[k / 2] = (uint8_t)(d << 4);
      k++;
    }
  }
  if (k == 32) return 0; /* a bad character stops the loop short of 32 digits */
  return prestige_error_set(err, PRESTIGE_EINVAL, "\"%.*s\" is not a UUID (want 8-4-4-4-12 hex digits)",
                            (int)(len > 64 ? 64 : len), text);
}

/* "N unit" or "N units", after a space when something precedes it (DuckDB's spelling). */
static size_t part(char *b, size_t o, int64_t v, const char *unit) {
  return o + (size_t)sprintf(b + o, "%s%" PRId64 " %s%s", o ? " " : "", v, unit, v == 1 || v == -1 ? "" : "s");
}

int prestige_interval_format(int32_t months, int32_t days, int64_t nanos, char *out, size_t n) {
  char b[128];
  size_t o = 0;
  int32_t years = months / 12;
  if (years) o = part(b, o, years, "year");
  if (months % 12) o = part(b, o, months % 12, "month");
  if (days) o = part(b, o, days, "day");
  if (nanos || !o) {
    if (o) b[o++] = ' ';
    uint64_t u = (uint64_t)nanos;
    if (nanos < 0) {
      b[o++] = '-';
      u = (uint64_t)0 - u; /* also right for INT64_MIN */
    }
    uint64_t frac = u % 1000000000u, secs = u / 1000000000u;
    o += (size_t)sprintf(b + o, "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64, secs / 3600, secs / 60 % 60, secs % 60);
    if (frac) {
      char f[16];
      int fl = sprintf(f, "%09" PRIu64, frac);
      while (fl > 0 && f[fl - 1] == '0') fl--;
      o += (size_t)sprintf(b + o, ".%.*s", fl, f);
    }
  }
  b[o] = 0;
  return snprintf(out, n, "%s", b);
}

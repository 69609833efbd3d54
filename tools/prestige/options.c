/* Option values: one strict parser for the numeric options of every verb (see cli.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "prestige/parquet.h"

/* Base-10 digits with an optional sign and nothing else: strtoll alone accepts leading blanks,
 * and "" or "12abc" need checking on top. */
static bool parse_strict_i64(const char *s, int64_t *out) {
  const char *p = s;
  if (*p == '+' || *p == '-') p++;
  if (!isdigit((unsigned char)*p)) return false;
  for (const char *q = p; *q; q++)
    if (!isdigit((unsigned char)*q)) return false;
  errno = 0;
  char *end;
  long long x = strtoll(s, &end, 10);
  if (errno == ERANGE || *end) return false;
  *out = x;
  return true;
}

static void range_text(char *b, size_t n, int64_t min, int64_t max) {
  if (max == INT64_MAX) snprintf(b, n, "an integer >= %lld", (long long)min);
  else snprintf(b, n, "an integer from %lld to %lld", (long long)min, (long long)max);
}

int cli_opt_int(const cli_verb_t *v, const char *opt, const char *val, int64_t min, int64_t max, int64_t *out) {
  int64_t x;
  char want[96];
  range_text(want, sizeof want, min, max);
  if (!val) return cli_usage_error(v, "%s needs a value (%s)", opt, want);
  if (!parse_strict_i64(val, &x) || x < min || x > max) return cli_usage_error(v, "%s takes %s, not \"%s\"", opt, want, val);
  *out = x;
  return 0;
}

int cli_opt_duration_ms(const cli_verb_t *v, const char *opt, const char *val, int64_t min_ms, int64_t max_ms, int64_t *out) {
  if (!val) return cli_usage_error(v, "%s needs a duration (500ms, 5s, 10m, 24h, 7d)", opt);
  const char *p = val;
  while (isdigit((unsigned char)*p) || *p == '.') p++;
  size_t nl = (size_t)(p - val);
  char num[32];
  double mul = !strcmp(p, "ms") ? 1 : !strcmp(p, "s") || !*p ? 1000 : !strcmp(p, "m") ? 60000 : !strcmp(p, "h") ? 3600000
               : !strcmp(p, "d") ? 86400000 : -1;
  double x = -1;
  if (nl > 0 && nl < sizeof num && mul > 0) {
    memcpy(num, val, nl);
    num[nl] = 0;
    char *end;
    x = strtod(num, &end);
    if (*end || !isfinite(x)) x = -1;
  }
  double ms = x * mul;
  if (x < 0 || ms < (double)min_ms || ms > (double)max_ms)
    return cli_usage_error(v, "%s takes a duration from %lldms to %llds such as 500ms, 5s, 10m, 24h or 7d, not \"%s\"", opt,
                           (long long)min_ms, (long long)(max_ms / 1000), val);
  *out = (int64_t)ms;
  return 0;
}

int cli_opt_compression(const cli_verb_t *v, const char *opt, const char *val, int *codec, int *level) {
  if (!val) return cli_usage_error(v, "%s needs a codec (none, snappy, gzip, brotli, zstd, lz4)", opt);
  char name[32];
  const char *colon = strchr(val, ':');
  size_t nl = colon ? (size_t)(colon - val) : strlen(val);
  if (nl >= sizeof name) return cli_usage_error(v, "%s: unknown compression \"%s\"", opt, val);
  memcpy(name, val, nl);
  name[nl] = 0;
  prestige_error_t err;
  prestige_error_init(&err);
  prestige_compression_t c;
  if (prestige_compression_parse(name, &c, &err)) return cli_usage_error(v, "%s: %s", opt, err.message);
  *codec = (int)c;
  *level = INT32_MIN;
  if (!colon) return 0;
  int64_t lo, hi;
  switch (c) {
    case PRESTIGE_COMPRESSION_ZSTD: lo = 1, hi = 22; break;
    case PRESTIGE_COMPRESSION_GZIP: lo = 0, hi = 9; break;
    case PRESTIGE_COMPRESSION_BROTLI: lo = 0, hi = 11; break;
    default: return cli_usage_error(v, "%s: %s has no compression levels (\"%s\")", opt, name, val);
  }
  int64_t l;
  if (!parse_strict_i64(colon + 1, &l) || l < lo || l > hi)
    return cli_usage_error(v, "%s: the %s level must be from %lld to %lld, not \"%s\"", opt, name, (long long)lo, (long long)hi,
                           colon + 1);
  *level = (int)l;
  return 0;
}

void cli_text_ignored(void *verb, const char *name, int64_t line) {
  fprintf(stderr,
          "prestige %s: line %lld: \"%s\" is not a column of the schema; its values are skipped (reported once; --strict "
          "makes it an error)\n",
          (const char *)verb, (long long)line, name);
}

int cli_core_count(int max) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > max ? max : (int)n;
}

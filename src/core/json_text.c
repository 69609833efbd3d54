/* JSON text with reals written as people, DuckDB, JavaScript and Python write them (see json_text.h). */
#include "core/json_text.h"

#include "core/buf.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* %.15g first: it is the shortest whenever some text of at most 15 digits round-trips (%g drops
 * trailing zeros); then 16 and 17 digits. Subnormals carry fewer digits (5e-324 is 1). */
void json_real_text(double x, char *out, size_t n) {
  for (int p = fabs(x) < DBL_MIN ? 1 : 15; p <= 17; p++) {
    snprintf(out, n, "%.*g", p, x);
    if (p == 17 || strtod(out, NULL) == x) break;
  }
  if (isfinite(x) && !strpbrk(out, ".eE") && strlen(out) + 3 <= n) strcat(out, ".0"); /* still a real: 20.0 */
}

/* A string as jansson escapes it by default: quote, backslash and the control characters (\b \f
 * \n \r \t, else \u00XX in upper case hex); other bytes (UTF-8) as they are. Done here rather than
 * through json_dumpb, which costs a measuring pass and a call per value. */
static int put_string(buf_t *b, const char *s, size_t n) {
  if (buf_reserve(b, n + 2)) return -1;
  b->data[b->len++] = '"';
  size_t from = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    if (buf_append(b, s + from, i - from)) return -1;
    from = i + 1;
    char e[8];
    const char *t = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : c == '\n' ? "\\n"
                    : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
    if (!t) snprintf(e, sizeof e, "\\u%04X", c), t = e;
    if (buf_append(b, t, strlen(t))) return -1;
  }
  return buf_append(b, s + from, n - from) || buf_append_u8(b, '"');
}

static int put_json(buf_t *b, const json_t *v) {
  int rc = 0;
  switch (json_typeof(v)) {
    case JSON_OBJECT: {
      rc = buf_append_u8(b, '{');
      const char *key;
      json_t *val;
      bool first = true;
      json_object_foreach((json_t *)v, key, val) { /* insertion order */
        if (rc) break;
        if (!first) rc = buf_append_u8(b, ',');
        first = false;
        rc = rc || put_string(b, key, strlen(key)) || buf_append_u8(b, ':') || put_json(b, val);
      }
      return rc || buf_append_u8(b, '}');
    }
    case JSON_ARRAY:
      rc = buf_append_u8(b, '[');
      for (size_t i = 0; !rc && i < json_array_size(v); i++) rc = (i && buf_append_u8(b, ',')) || put_json(b, json_array_get(v, i));
      return rc || buf_append_u8(b, ']');
    case JSON_REAL: {
      char t[40];
      json_real_text(json_real_value(v), t, sizeof t);
      return buf_append(b, t, strlen(t));
    }
    case JSON_STRING: return put_string(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: {
      char t[24];
      int n = snprintf(t, sizeof t, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
      return buf_append(b, t, (size_t)n);
    }
    case JSON_TRUE: return buf_append(b, "true", 4);
    case JSON_FALSE: return buf_append(b, "false", 5);
    default: return buf_append(b, "null", 4);
  }
}

char *json_text_shortest(const json_t *v) {
  buf_t b = BUF_INIT;
  if (put_json(&b, v) || buf_append_u8(&b, 0)) {
    buf_release(&b);
    return NULL;
  }
  return (char *)buf_detach(&b, NULL);
}

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

/* jansson's compact text of a scalar (its string escapes), written in place */
static int put_jansson(buf_t *b, const json_t *v) {
  size_t n = json_dumpb(v, NULL, 0, JSON_ENCODE_ANY);
  if (!n || buf_reserve(b, n)) return -1;
  json_dumpb(v, (char *)b->data + b->len, n, JSON_ENCODE_ANY);
  b->len += n;
  return 0;
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
        json_t *k = json_string(key);
        rc = rc || !k || put_jansson(b, k) || buf_append_u8(b, ':') || put_json(b, val);
        json_decref(k);
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
    default: return put_jansson(b, v);
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

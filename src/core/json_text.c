/* JSON text with reals written as people, DuckDB, JavaScript and Python write them (see json_text.h). */
#include "core/json_text.h"

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

typedef struct text {
  char *p;
  size_t len, cap;
  bool failed;
} text_t;

static char *text_room(text_t *b, size_t n) {
  if (b->failed) return NULL;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char *g = realloc(b->p, cap);
    if (!g) {
      b->failed = true;
      return NULL;
    }
    b->p = g, b->cap = cap;
  }
  return b->p + b->len;
}

static void text_put(text_t *b, const char *s, size_t n) {
  char *d = text_room(b, n);
  if (!d) return;
  memcpy(d, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

/* jansson's compact text of a scalar (its string escapes), written in place */
static void text_jansson(text_t *b, const json_t *v) {
  size_t n = json_dumpb(v, NULL, 0, JSON_ENCODE_ANY);
  char *d = n ? text_room(b, n) : NULL;
  if (!d) {
    if (!n) b->failed = true;
    return;
  }
  json_dumpb(v, d, n, JSON_ENCODE_ANY);
  b->len += n;
  b->p[b->len] = 0;
}

static void text_json(text_t *b, const json_t *v) {
  switch (json_typeof(v)) {
    case JSON_OBJECT: {
      text_put(b, "{", 1);
      bool first = true;
      const char *key;
      json_t *val;
      json_object_foreach((json_t *)v, key, val) { /* insertion order */
        if (!first) text_put(b, ",", 1);
        first = false;
        json_t *k = json_string(key);
        if (!k) k = json_string("<invalid UTF-8>");
        text_jansson(b, k);
        json_decref(k);
        text_put(b, ":", 1);
        text_json(b, val);
      }
      text_put(b, "}", 1);
      return;
    }
    case JSON_ARRAY: {
      text_put(b, "[", 1);
      for (size_t i = 0; i < json_array_size(v); i++) {
        if (i) text_put(b, ",", 1);
        text_json(b, json_array_get(v, i));
      }
      text_put(b, "]", 1);
      return;
    }
    case JSON_REAL: {
      char t[40];
      json_real_text(json_real_value(v), t, sizeof t);
      text_put(b, t, strlen(t));
      return;
    }
    default: text_jansson(b, v); return;
  }
}

char *json_text_shortest(const json_t *v) {
  text_t b = {0};
  text_json(&b, v);
  if (b.failed) {
    free(b.p);
    return NULL;
  }
  return b.p;
}


/* Helpers for the Avro tests (header-only, one test binary uses them): a seeded generator of
 * random values for any schema, value equality, the canonical JSON form the interop peers
 * compare (tests/avro/avro_peer.py and avsc_peer.mjs produce the same form), and whole-file
 * write/read over memory.
 *
 * Canonical JSON: null, booleans, integers; float/double as numbers or "NaN", "Infinity",
 * "-Infinity"; bytes and fixed as lower-case hex; strings; enum symbols; arrays; maps and
 * records as objects; a non-null union value as {"<branch type name>": value}. */
#ifndef PRESTIGE_TEST_AVRO_UTIL_H
#define PRESTIGE_TEST_AVRO_UTIL_H

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro/avro.h"

static uint64_t tu_state = 0x9E3779B97F4A7C15ULL;

static void tu_seed(uint64_t seed) { tu_state = seed * 0x9E3779B97F4A7C15ULL + 1; }

static uint64_t tu_rand(void) { /* xorshift64* */
  tu_state ^= tu_state >> 12;
  tu_state ^= tu_state << 25;
  tu_state ^= tu_state >> 27;
  return tu_state * 0x2545F4914F6CDD1DULL;
}

static uint32_t tu_below(uint32_t n) { return n ? (uint32_t)(tu_rand() % n) : 0; }

static int64_t tu_long(void) {
  static const int64_t special[] = {0, 1, -1, INT64_MAX, INT64_MIN, 63, -64, 64, INT32_MAX, (int64_t)INT32_MIN - 1};
  switch (tu_below(4)) {
    case 0: return special[tu_below(10)];
    case 1: return (int64_t)tu_below(200) - 100;
    case 2: return (int64_t)(tu_rand() >> tu_below(64));
    default: return (int64_t)tu_rand();
  }
}

static int32_t tu_int(void) {
  static const int32_t special[] = {0, 1, -1, INT32_MAX, INT32_MIN, 63, -64, 8191, -8192};
  switch (tu_below(3)) {
    case 0: return special[tu_below(9)];
    case 1: return (int32_t)tu_below(200) - 100;
    default: return (int32_t)(uint32_t)tu_rand();
  }
}

static double tu_double(void) {
  static const double special[] = {0.0, -0.0, 1.0, -1.5, 1e308, -1e-308, 5e-324};
  switch (tu_below(6)) {
    case 0: return NAN;
    case 1: return tu_below(2) ? INFINITY : -INFINITY;
    case 2: return special[tu_below(7)];
    default: {
      double x;
      do {
        uint64_t bits = tu_rand();
        memcpy(&x, &bits, 8);
      } while (!isfinite(x));
      return x;
    }
  }
}

static float tu_float(void) {
  switch (tu_below(6)) {
    case 0: return NAN;
    case 1: return tu_below(2) ? INFINITY : -INFINITY;
    case 2: return tu_below(2) ? -0.0f : 3.4028235e38f;
    default: {
      float x;
      do {
        uint32_t bits = (uint32_t)tu_rand();
        memcpy(&x, &bits, 4);
      } while (!isfinite(x));
      return x;
    }
  }
}

/* Strings: ASCII, two- and three-byte UTF-8, or empty. */
static void tu_string(arena_t *a, avro_datum_t *d) {
  static const char *const pieces[] = {"a", "Z", "0", " ", "é", "ß", "€", "日本", "\"", "\\", "/", "\t"};
  uint32_t n = tu_below(4) == 0 ? 0 : tu_below(12);
  char buf[64];
  size_t len = 0;
  for (uint32_t i = 0; i < n; i++) {
    const char *p = pieces[tu_below(12)];
    size_t l = strlen(p);
    memcpy(buf + len, p, l);
    len += l;
  }
  avro_datum_copy_bytes(a, d, buf, len);
}

static void tu_bytes(arena_t *a, avro_datum_t *d, uint32_t n) {
  uint8_t *b = arena_alloc(a, n ? n : 1);
  for (uint32_t i = 0; i < n; i++) b[i] = (uint8_t)tu_rand();
  d->v.bytes = b;
  d->len = n;
}

/* Unscaled decimal in minimal two's complement, |value| < 10^min(precision, 18). */
static void tu_decimal(arena_t *a, const avro_node_t *t, avro_datum_t *d) {
  int digits = t->precision < 18 ? t->precision : 18;
  int64_t lim = 1;
  for (int i = 0; i < digits; i++) lim *= 10;
  int64_t v = (int64_t)(tu_rand() % (uint64_t)lim) * (tu_below(2) ? -1 : 1);
  uint8_t be[16];
  uint32_t size = t->type == AVRO_FIXED ? t->size : 0;
  if (!size) { /* minimal length */
    size = 1;
    while (size < 8 && !(v >= -(INT64_C(1) << (8 * size - 1)) && v < (INT64_C(1) << (8 * size - 1)))) size++;
  }
  uint8_t *b = arena_alloc(a, size);
  for (uint32_t i = 0; i < size; i++) {
    int shift = 8 * (int)(size - 1 - i);
    be[i] = shift >= 64 ? (v < 0 ? 0xff : 0) : (uint8_t)(v >> shift);
    b[i] = be[i];
  }
  d->v.bytes = b;
  d->len = size;
}

static void tu_gen(arena_t *a, const avro_node_t *t, avro_datum_t *d, int depth) {
  memset(d, 0, sizeof(*d));
  switch (t->type) {
    case AVRO_NULL: return;
    case AVRO_BOOLEAN: d->v.boolean = tu_below(2); return;
    case AVRO_INT:
      /* dates within years 1..9999 (Python's datetime.date range) */
      d->v.i32 = t->logical == AVRO_LOGICAL_DATE ? (int32_t)tu_below(3600000) - 700000 : tu_int();
      return;
    case AVRO_LONG:
      if (t->logical == AVRO_LOGICAL_TIMESTAMP_MICROS || t->logical == AVRO_LOGICAL_TIMESTAMP_MILLIS)
        d->v.i64 = (int64_t)(tu_rand() % (UINT64_C(1) << 55)) - (INT64_C(1) << 54); /* years 1..9999 */
      else
        d->v.i64 = tu_long();
      return;
    case AVRO_FLOAT: d->v.f32 = tu_float(); return;
    case AVRO_DOUBLE: d->v.f64 = tu_double(); return;
    case AVRO_STRING: tu_string(a, d); return;
    case AVRO_BYTES:
      if (t->logical == AVRO_LOGICAL_DECIMAL) tu_decimal(a, t, d);
      else tu_bytes(a, d, tu_below(4) == 0 ? 0 : tu_below(40));
      return;
    case AVRO_FIXED:
      if (t->logical == AVRO_LOGICAL_DECIMAL) tu_decimal(a, t, d);
      else tu_bytes(a, d, t->size);
      return;
    case AVRO_ENUM: d->v.i32 = (int32_t)tu_below(t->n_symbols); return;
    case AVRO_RECORD:
      avro_datum_record(a, d, t);
      for (uint32_t i = 0; i < t->n_fields; i++) tu_gen(a, t->fields[i].type, &d->v.items[i], depth + 1);
      return;
    case AVRO_ARRAY: {
      uint32_t n = depth > 6 ? 0 : tu_below(5);
      avro_datum_t *it;
      avro_datum_array(a, d, n, &it);
      for (uint32_t i = 0; i < n; i++) tu_gen(a, t->items, &it[i], depth + 1);
      return;
    }
    case AVRO_MAP: {
      uint32_t n = depth > 6 ? 0 : tu_below(5);
      avro_datum_t *it;
      avro_datum_map(a, d, n, &it);
      for (uint32_t i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%u-%u", i, tu_below(1000)); /* distinct keys: JSON objects */
        avro_datum_copy_bytes(a, &it[2 * i], key, strlen(key));
        tu_gen(a, t->values, &it[2 * i + 1], depth + 1);
      }
      return;
    }
    case AVRO_UNION: {
      uint32_t b = depth > 6 && t->null_branch >= 0 ? (uint32_t)t->null_branch : tu_below(t->n_branches);
      tu_gen(a, t->branches[b], d, depth + 1);
      d->branch = (int32_t)b;
      return;
    }
  }
}

static bool tu_equal(const avro_node_t *t, const avro_datum_t *x, const avro_datum_t *y, int depth) {
  if (depth > 200) return false;
  switch (t->type) {
    case AVRO_NULL: return true;
    case AVRO_BOOLEAN: return x->v.boolean == y->v.boolean;
    case AVRO_INT:
    case AVRO_ENUM: return x->v.i32 == y->v.i32;
    case AVRO_LONG: return x->v.i64 == y->v.i64;
    case AVRO_FLOAT: return memcmp(&x->v.f32, &y->v.f32, 4) == 0; /* NaN payloads and -0 too */
    case AVRO_DOUBLE: return memcmp(&x->v.f64, &y->v.f64, 8) == 0;
    case AVRO_BYTES:
    case AVRO_STRING:
    case AVRO_FIXED: return x->len == y->len && (x->len == 0 || memcmp(x->v.bytes, y->v.bytes, x->len) == 0);
    case AVRO_RECORD:
      for (uint32_t i = 0; i < t->n_fields; i++)
        if (!tu_equal(t->fields[i].type, &x->v.items[i], &y->v.items[i], depth + 1)) return false;
      return true;
    case AVRO_ARRAY:
      if (x->len != y->len) return false;
      for (uint32_t i = 0; i < x->len; i++)
        if (!tu_equal(t->items, &x->v.items[i], &y->v.items[i], depth + 1)) return false;
      return true;
    case AVRO_MAP:
      if (x->len != y->len) return false;
      for (uint32_t i = 0; i < x->len; i++)
        if (!tu_equal(&(avro_node_t){.type = AVRO_STRING}, &x->v.items[2 * i], &y->v.items[2 * i], depth + 1) ||
            !tu_equal(t->values, &x->v.items[2 * i + 1], &y->v.items[2 * i + 1], depth + 1))
          return false;
      return true;
    case AVRO_UNION:
      return x->branch == y->branch && x->branch >= 0 && (uint32_t)x->branch < t->n_branches &&
             tu_equal(t->branches[x->branch], x, y, depth + 1);
  }
  return false;
}

static const char *tu_branch_name(const avro_node_t *t) { return t->name ? t->name : avro_type_name(t->type); }

static json_t *tu_float_json(double x) {
  if (isnan(x)) return json_string("NaN");
  if (isinf(x)) return json_string(x > 0 ? "Infinity" : "-Infinity");
  return json_real(x);
}

static json_t *tu_hex(const avro_datum_t *d) {
  char *h = malloc(2 * (size_t)d->len + 1);
  for (uint32_t i = 0; i < d->len; i++) sprintf(h + 2 * i, "%02x", d->v.bytes[i]);
  h[2 * (size_t)d->len] = '\0';
  json_t *j = json_string(h);
  free(h);
  return j;
}

/* decimals compare by value (writers differ in how many sign bytes they use): the unscaled
 * integer as a decimal string */
static json_t *tu_decimal_json(const avro_datum_t *d) {
  if (d->len == 0 || d->len > 16) return json_string("?");
  __int128 v = (int8_t)d->v.bytes[0];
  for (uint32_t i = 1; i < d->len; i++) v = v * 256 + d->v.bytes[i];
  char buf[64], *p = buf + sizeof buf;
  *--p = '\0';
  unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
  do {
    *--p = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u);
  if (v < 0) *--p = '-';
  return json_string(p);
}

static int tu_decimal_from(arena_t *a, const avro_node_t *t, const char *s, avro_datum_t *d) {
  bool neg = *s == '-';
  unsigned __int128 u = 0;
  for (const char *p = s + neg; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
    u = u * 10 + (unsigned)(*p - '0');
  }
  __int128 v = neg ? -(__int128)u : (__int128)u;
  uint32_t size = t->type == AVRO_FIXED ? t->size : 1;
  if (t->type != AVRO_FIXED) /* minimal two's complement */
    while (size < 16 && !(v >= -((__int128)1 << (8 * size - 1)) && v < ((__int128)1 << (8 * size - 1)))) size++;
  uint8_t *b = arena_alloc(a, size);
  for (uint32_t i = 0; i < size; i++) {
    int shift = 8 * (int)(size - 1 - i);
    b[i] = shift >= 128 ? (v < 0 ? 0xff : 0) : (uint8_t)(v >> shift);
  }
  d->v.bytes = b;
  d->len = size;
  return 0;
}

static json_t *tu_to_cjson(const avro_node_t *t, const avro_datum_t *d) {
  if (t->logical == AVRO_LOGICAL_DECIMAL) return tu_decimal_json(d);
  switch (t->type) {
    case AVRO_NULL: return json_null();
    case AVRO_BOOLEAN: return json_boolean(d->v.boolean);
    case AVRO_INT: return json_integer(d->v.i32);
    case AVRO_LONG: return json_integer(d->v.i64);
    case AVRO_FLOAT: return tu_float_json(d->v.f32);
    case AVRO_DOUBLE: return tu_float_json(d->v.f64);
    case AVRO_STRING: return json_stringn((const char *)d->v.bytes, d->len);
    case AVRO_BYTES:
    case AVRO_FIXED: return tu_hex(d);
    case AVRO_ENUM: return json_string(t->symbols[d->v.i32]);
    case AVRO_RECORD: {
      json_t *o = json_object();
      for (uint32_t i = 0; i < t->n_fields; i++)
        json_object_set_new(o, t->fields[i].name, tu_to_cjson(t->fields[i].type, &d->v.items[i]));
      return o;
    }
    case AVRO_ARRAY: {
      json_t *a = json_array();
      for (uint32_t i = 0; i < d->len; i++) json_array_append_new(a, tu_to_cjson(t->items, &d->v.items[i]));
      return a;
    }
    case AVRO_MAP: {
      json_t *o = json_object();
      for (uint32_t i = 0; i < d->len; i++) {
        char *k = strndup((const char *)d->v.items[2 * i].v.bytes, d->v.items[2 * i].len);
        json_object_set_new(o, k, tu_to_cjson(t->values, &d->v.items[2 * i + 1]));
        free(k);
      }
      return o;
    }
    case AVRO_UNION: {
      const avro_node_t *b = t->branches[d->branch];
      if (b->type == AVRO_NULL) return json_null();
      json_t *o = json_object();
      json_object_set_new(o, tu_branch_name(b), tu_to_cjson(b, d));
      return o;
    }
  }
  return json_null();
}

static int tu_unhex(arena_t *a, const char *h, avro_datum_t *d) {
  size_t n = strlen(h);
  if (n % 2) return -1;
  uint8_t *b = arena_alloc(a, n / 2 + 1);
  for (size_t i = 0; i < n / 2; i++) {
    unsigned v;
    if (sscanf(h + 2 * i, "%2x", &v) != 1) return -1;
    b[i] = (uint8_t)v;
  }
  d->v.bytes = b;
  d->len = (uint32_t)(n / 2);
  return 0;
}

static int tu_float_from(json_t *j, double *x) {
  const char *s = json_string_value(j);
  if (s) {
    if (strcmp(s, "NaN") == 0) *x = NAN;
    else if (strcmp(s, "Infinity") == 0) *x = INFINITY;
    else if (strcmp(s, "-Infinity") == 0) *x = -INFINITY;
    else return -1;
    return 0;
  }
  if (!json_is_number(j)) return -1;
  *x = json_number_value(j);
  return 0;
}

static int tu_from_cjson(arena_t *a, const avro_node_t *t, json_t *j, avro_datum_t *d) {
  memset(d, 0, sizeof(*d));
  if (t->logical == AVRO_LOGICAL_DECIMAL) return json_is_string(j) ? tu_decimal_from(a, t, json_string_value(j), d) : -1;
  double x;
  switch (t->type) {
    case AVRO_NULL: return json_is_null(j) ? 0 : -1;
    case AVRO_BOOLEAN: d->v.boolean = json_is_true(j); return json_is_boolean(j) ? 0 : -1;
    case AVRO_INT: d->v.i32 = (int32_t)json_integer_value(j); return json_is_integer(j) ? 0 : -1;
    case AVRO_LONG: d->v.i64 = json_integer_value(j); return json_is_integer(j) ? 0 : -1;
    case AVRO_FLOAT:
      if (tu_float_from(j, &x)) return -1;
      d->v.f32 = (float)x;
      return 0;
    case AVRO_DOUBLE:
      if (tu_float_from(j, &x)) return -1;
      d->v.f64 = x;
      return 0;
    case AVRO_STRING:
      if (!json_is_string(j)) return -1;
      return avro_datum_copy_bytes(a, d, json_string_value(j), json_string_length(j));
    case AVRO_BYTES:
    case AVRO_FIXED: return json_is_string(j) ? tu_unhex(a, json_string_value(j), d) : -1;
    case AVRO_ENUM:
      for (uint32_t i = 0; i < t->n_symbols; i++)
        if (json_is_string(j) && strcmp(t->symbols[i], json_string_value(j)) == 0) {
          d->v.i32 = (int32_t)i;
          return 0;
        }
      return -1;
    case AVRO_RECORD:
      if (!json_is_object(j) || avro_datum_record(a, d, t)) return -1;
      for (uint32_t i = 0; i < t->n_fields; i++)
        if (tu_from_cjson(a, t->fields[i].type, json_object_get(j, t->fields[i].name), &d->v.items[i])) return -1;
      return 0;
    case AVRO_ARRAY: {
      avro_datum_t *it;
      if (!json_is_array(j) || avro_datum_array(a, d, (uint32_t)json_array_size(j), &it)) return -1;
      for (size_t i = 0; i < json_array_size(j); i++)
        if (tu_from_cjson(a, t->items, json_array_get(j, i), &it[i])) return -1;
      return 0;
    }
    case AVRO_MAP: {
      avro_datum_t *it;
      if (!json_is_object(j) || avro_datum_map(a, d, (uint32_t)json_object_size(j), &it)) return -1;
      const char *k;
      json_t *v;
      size_t i = 0;
      json_object_foreach(j, k, v) {
        avro_datum_copy_bytes(a, &it[2 * i], k, strlen(k));
        if (tu_from_cjson(a, t->values, v, &it[2 * i + 1])) return -1;
        i++;
      }
      return 0;
    }
    case AVRO_UNION:
      if (json_is_null(j)) {
        d->branch = t->null_branch;
        return t->null_branch >= 0 ? 0 : -1;
      }
      if (!json_is_object(j) || json_object_size(j) != 1) return -1;
      for (uint32_t b = 0; b < t->n_branches; b++) {
        json_t *v = json_object_get(j, tu_branch_name(t->branches[b]));
        if (!v) continue;
        if (tu_from_cjson(a, t->branches[b], v, d)) return -1;
        d->branch = (int32_t)b;
        return 0;
      }
      return -1;
  }
  return -1;
}

static int tu_write(const avro_schema_t *s, const avro_datum_t *recs, size_t n, const avro_writer_options_t *o,
                    uint8_t **data, size_t *len, prestige_error_t *err) {
  prestige_output_t out;
  PRESTIGE_TRY(prestige_output_open_memory(&out, data, len, err));
  avro_writer_t *w;
  PRESTIGE_TRY(avro_writer_open(&w, s, out, o, err));
  for (size_t i = 0; i < n; i++) {
    int rc = avro_writer_append(w, &recs[i], err);
    if (rc) {
      avro_writer_abort(w);
      return rc;
    }
  }
  return avro_writer_close(w, NULL, err);
}

static int tu_read_all(const uint8_t *data, size_t len, const avro_reader_options_t *o, avro_reader_t **r,
                       const avro_datum_t ***recs, size_t *n, prestige_error_t *err) {
  avro_reader_options_t ro = o ? *o : (avro_reader_options_t)AVRO_READER_OPTIONS_INIT;
  ro.retain = true;
  *recs = NULL;
  *n = 0;
  PRESTIGE_TRY(avro_reader_open_memory(r, data, len, "mem.avro", &ro, err));
  size_t cap = 0;
  for (;;) {
    const avro_datum_t *d;
    int rc = avro_reader_next(*r, &d, err);
    if (rc) return rc;
    if (!d) return 0;
    if (*n == cap) {
      cap = cap ? cap * 2 : 64;
      *recs = realloc(*recs, cap * sizeof(**recs));
    }
    (*recs)[(*n)++] = d;
  }
}

#endif

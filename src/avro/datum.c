/* Building values: arena-backed records, arrays and maps, and values from JSON defaults. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "avro/avro_internal.h"

int avro_path_prefix(prestige_error_t *err, int rc, int depth, const char *fmt, ...) {
  if (rc == PRESTIGE_ENOMEM || depth > AVRO_PATH_DEPTH) return rc;
  if (depth == AVRO_PATH_DEPTH) return prestige_error_prefix(err, "...");
  char ctx[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx, sizeof ctx, fmt, ap);
  va_end(ap);
  return prestige_error_prefix(err, "%s", ctx);
}

static int nomem(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "Avro: out of memory"); }

void avro_set_string(avro_datum_t *d, const char *s) { avro_set_bytes(d, s, s ? strlen(s) : 0); }

int avro_datum_record(arena_t *a, avro_datum_t *d, const avro_node_t *record) {
  avro_datum_t *f = arena_calloc(a, record->n_fields ? record->n_fields : 1, sizeof(*f));
  if (!f) return PRESTIGE_ENOMEM;
  for (uint32_t i = 0; i < record->n_fields; i++) {
    const avro_node_t *t = record->fields[i].type;
    if (t->type == AVRO_UNION && t->null_branch >= 0) f[i].branch = t->null_branch;
  }
  d->v.items = f;
  d->len = record->n_fields;
  return 0;
}

int avro_datum_array(arena_t *a, avro_datum_t *d, uint32_t n, avro_datum_t **items) {
  avro_datum_t *it = arena_calloc(a, n ? n : 1, sizeof(*it));
  if (!it) return PRESTIGE_ENOMEM;
  d->v.items = it;
  d->len = n;
  if (items) *items = it;
  return 0;
}

int avro_datum_map(arena_t *a, avro_datum_t *d, uint32_t n, avro_datum_t **items) {
  avro_datum_t *it = arena_calloc(a, n ? (size_t)n * 2 : 1, sizeof(*it));
  if (!it) return PRESTIGE_ENOMEM;
  d->v.items = it;
  d->len = n;
  if (items) *items = it;
  return 0;
}

int avro_datum_copy_bytes(arena_t *a, avro_datum_t *d, const void *p, size_t len) {
  if (len > UINT32_MAX) return PRESTIGE_EINVAL;
  uint8_t *c = arena_alloc(a, len ? len : 1);
  if (!c) return PRESTIGE_ENOMEM;
  if (len) memcpy(c, p, len);
  d->v.bytes = c;
  d->len = (uint32_t)len;
  return 0;
}

char *avro_datum_strdup(arena_t *a, const avro_datum_t *d) {
  return arena_strndup(a, d->len ? (const char *)d->v.bytes : "", d->len);
}

/* ---- defaults: the spec's JSON encoding of default values ---- */

static int mismatch(const avro_node_t *t, prestige_error_t *err) {
  return prestige_error_set(err, PRESTIGE_ETYPE, "default value does not match type %s",
                            t->name ? t->name : avro_type_name(t->type));
}

static int number(json_t *j, double *out) {
  if (json_is_number(j)) {
    *out = json_number_value(j);
    return 1;
  }
  const char *s = json_string_value(j); /* Java writes non-finite defaults as strings */
  if (!s) return 0;
  if (strcmp(s, "NaN") == 0) *out = NAN;
  else if (strcmp(s, "Infinity") == 0) *out = INFINITY;
  else if (strcmp(s, "-Infinity") == 0) *out = -INFINITY;
  else return 0;
  return 1;
}

static int from_json(arena_t *a, const avro_node_t *t, json_t *j, avro_datum_t *d, int depth, prestige_error_t *err);

/* bytes and fixed defaults are strings whose code points 0-255 are the bytes */
static int latin1_bytes(arena_t *a, json_t *j, avro_datum_t *d, const avro_node_t *t, prestige_error_t *err) {
  const char *s = json_string_value(j);
  if (!s) return mismatch(t, err);
  size_t n = json_string_length(j);
  uint8_t *out = arena_alloc(a, n ? n : 1);
  if (!out) return nomem(err);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = (uint8_t)s[i];
    if (c < 0x80) {
      out[k++] = c;
    } else if ((c & 0xE0) == 0xC0 && i + 1 < n && c <= 0xC3) {
      out[k++] = (uint8_t)(((c & 0x1F) << 6) | ((uint8_t)s[i + 1] & 0x3F));
      i++;
    } else {
      return prestige_error_set(err, PRESTIGE_ETYPE, "default value of type %s has a character beyond U+00FF",
                                avro_type_name(t->type));
    }
  }
  if (t->type == AVRO_FIXED && k != t->size)
    return prestige_error_set(err, PRESTIGE_ETYPE, "default value of fixed %s has %zu bytes, not %u", t->name, k, t->size);
  d->v.bytes = out;
  d->len = (uint32_t)k;
  return 0;
}

static int record_from_json(arena_t *a, const avro_node_t *t, json_t *j, avro_datum_t *d, int depth,
                            prestige_error_t *err) {
  if (!json_is_object(j)) return mismatch(t, err);
  if (avro_datum_record(a, d, t)) return nomem(err);
  for (uint32_t i = 0; i < t->n_fields; i++) {
    const avro_field_t *f = &t->fields[i];
    json_t *v = json_object_get(j, f->name);
    if (!v) v = f->default_value;
    if (!v) return prestige_error_set(err, PRESTIGE_ETYPE, "default value of record %s lacks field '%s'", t->name, f->name);
    int rc = from_json(a, f->type, v, &d->v.items[i], depth + 1, err);
    if (rc) return avro_path_prefix(err, rc, depth, "field '%s'", f->name);
  }
  return 0;
}

static int from_json(arena_t *a, const avro_node_t *t, json_t *j, avro_datum_t *d, int depth, prestige_error_t *err) {
  if (depth > AVRO_MAX_DEPTH) return prestige_error_set(err, PRESTIGE_ETYPE, "default value nested too deep");
  memset(d, 0, sizeof(*d));
  double x;
  switch (t->type) {
    case AVRO_NULL: return json_is_null(j) ? 0 : mismatch(t, err);
    case AVRO_BOOLEAN:
      if (!json_is_boolean(j)) return mismatch(t, err);
      d->v.boolean = json_is_true(j);
      return 0;
    case AVRO_INT:
      if (!json_is_integer(j) || json_integer_value(j) < INT32_MIN || json_integer_value(j) > INT32_MAX)
        return mismatch(t, err);
      d->v.i32 = (int32_t)json_integer_value(j);
      return 0;
    case AVRO_LONG:
      if (!json_is_integer(j)) return mismatch(t, err);
      d->v.i64 = json_integer_value(j);
      return 0;
    case AVRO_FLOAT:
      if (!number(j, &x)) return mismatch(t, err);
      d->v.f32 = (float)x;
      return 0;
    case AVRO_DOUBLE:
      if (!number(j, &x)) return mismatch(t, err);
      d->v.f64 = x;
      return 0;
    case AVRO_STRING: {
      const char *s = json_string_value(j);
      if (!s) return mismatch(t, err);
      return avro_datum_copy_bytes(a, d, s, json_string_length(j)) ? nomem(err) : 0;
    }
    case AVRO_BYTES:
    case AVRO_FIXED: return latin1_bytes(a, j, d, t, err);
    case AVRO_ENUM: {
      const char *s = json_string_value(j);
      for (uint32_t i = 0; s && i < t->n_symbols; i++)
        if (strcmp(t->symbols[i], s) == 0) {
          d->v.i32 = (int32_t)i;
          return 0;
        }
      return mismatch(t, err);
    }
    case AVRO_ARRAY: {
      if (!json_is_array(j) || json_array_size(j) > UINT32_MAX) return mismatch(t, err);
      avro_datum_t *it;
      if (avro_datum_array(a, d, (uint32_t)json_array_size(j), &it)) return nomem(err);
      for (size_t i = 0; i < json_array_size(j); i++)
        PRESTIGE_TRY(from_json(a, t->items, json_array_get(j, i), &it[i], depth + 1, err));
      return 0;
    }
    case AVRO_MAP: {
      if (!json_is_object(j) || json_object_size(j) > UINT32_MAX) return mismatch(t, err);
      avro_datum_t *it;
      if (avro_datum_map(a, d, (uint32_t)json_object_size(j), &it)) return nomem(err);
      const char *k;
      json_t *v;
      size_t i = 0;
      json_object_foreach(j, k, v) {
        if (avro_datum_copy_bytes(a, &it[2 * i], k, strlen(k))) return nomem(err);
        PRESTIGE_TRY(from_json(a, t->values, v, &it[2 * i + 1], depth + 1, err));
        i++;
      }
      return 0;
    }
    case AVRO_RECORD: return record_from_json(a, t, j, d, depth, err);
    case AVRO_UNION:
      /* the spec says the first branch; Avro 1.12 readers accept any branch that fits */
      for (uint32_t b = 0; b < t->n_branches; b++) {
        prestige_error_t e2;
        if (from_json(a, t->branches[b], j, d, depth + 1, &e2) == 0) {
          d->branch = (int32_t)b;
          return 0;
        }
      }
      return mismatch(t, err);
  }
  return mismatch(t, err);
}

int avro_datum_from_json(arena_t *a, const avro_node_t *t, json_t *j, avro_datum_t *d, prestige_error_t *err) {
  prestige_error_t local_err;
  if (!err) err = &local_err;
  return from_json(a, t, j, d, 0, err);
}

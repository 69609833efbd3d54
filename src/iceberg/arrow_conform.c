/* Record batches made to fit a table's Arrow schema (see arrow_conform.h). */
#include "arrow/field_id.h"
#include "iceberg/arrow_conform.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum {
  CF_MOVE,      /* same layout: the child array moves (schema swap only) */
  CF_NULLS,     /* no source column: nulls */
  CF_INT,       /* integers, dates, times, timestamps: read, scale, range-check, write */
  CF_FLOAT,     /* half/float/double to float/double */
  CF_LARGE_BIN, /* 64-bit offsets to 32-bit (strings, binary) */
  CF_STRUCT,
  CF_LIST,      /* list/large list: offsets rebuilt, element converted */
  CF_MAP
} cf_kind_t;

typedef struct cf_node {
  cf_kind_t kind;
  int32_t src; /* index of the source child in its parent, -1 for CF_NULLS */
  const struct ArrowSchema *target, *source;
  prestige_arrow_type_info_t tt, st;
  int64_t mul, div; /* CF_INT: value * mul / div (div must divide exactly) */
  struct cf_node *children;
  int32_t n_children;
  char path[256];
} cf_node_t;

struct ice_conform {
  struct ArrowSchema target, source;
  cf_node_t root;
  ice_match_t match;
  char what[256];
};

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory converting a batch"); }

static void node_release(cf_node_t *n) {
  for (int32_t i = 0; i < n->n_children; i++) node_release(&n->children[i]);
  free(n->children);
  n->children = NULL;
  n->n_children = 0;
}

void ice_conform_free(ice_conform_t *c) {
  if (!c) return;
  node_release(&c->root);
  prestige_schema_release(&c->target);
  prestige_schema_release(&c->source);
  free(c);
}

const struct ArrowSchema *ice_conform_schema(const ice_conform_t *c) { return &c->target; }

static bool is_int_like(prestige_arrow_type_t t) {
  switch (t) {
    case PRESTIGE_ARROW_INT8: case PRESTIGE_ARROW_UINT8: case PRESTIGE_ARROW_INT16: case PRESTIGE_ARROW_UINT16:
    case PRESTIGE_ARROW_INT32: case PRESTIGE_ARROW_UINT32: case PRESTIGE_ARROW_INT64: case PRESTIGE_ARROW_UINT64:
      return true;
    default: return false;
  }
}

static int64_t unit_per_second(prestige_time_unit_t u) {
  switch (u) {
    case PRESTIGE_TIME_UNIT_SECOND: return 1;
    case PRESTIGE_TIME_UNIT_MILLI: return 1000;
    case PRESTIGE_TIME_UNIT_MICRO: return 1000000;
    default: return 1000000000;
  }
}

static void set_scale(cf_node_t *n, int64_t from_per_s, int64_t to_per_s) {
  n->mul = to_per_s >= from_per_s ? to_per_s / from_per_s : 1;
  n->div = to_per_s >= from_per_s ? 1 : from_per_s / to_per_s;
}

static int mismatch(const cf_node_t *n, const char *what, prestige_error_t *err) {
  return prestige_error_set(err, PRESTIGE_ETYPE, "%s: column \"%s\": cannot convert %s (%s) to the table's %s (%s)", what,
                            n->path, prestige_arrow_type_name(n->st.type), n->source->format,
                            prestige_arrow_type_name(n->tt.type), n->target->format);
}

static int plan_node(cf_node_t *n, const struct ArrowSchema *t, const struct ArrowSchema *s, ice_match_t match,
                     const char *what, prestige_error_t *err);

/* Children of a struct matched by name or field id. */
static int plan_struct_children(cf_node_t *n, const struct ArrowSchema *t, const struct ArrowSchema *s,
                                ice_match_t match, const char *what, prestige_error_t *err) {
  n->children = calloc((size_t)(t->n_children ? t->n_children : 1), sizeof(cf_node_t));
  if (!n->children) return oom(err);
  n->n_children = (int32_t)t->n_children;
  bool *used = calloc((size_t)(s->n_children ? s->n_children : 1), sizeof(bool));
  if (!used) return oom(err);
  int rc = 0;
  for (int64_t i = 0; i < t->n_children && !rc; i++) {
    const struct ArrowSchema *tc = t->children[i];
    int64_t found = -1;
    if (match == ICE_MATCH_BY_ID) {
      int32_t id = arrow_field_id(tc);
      for (int64_t k = 0; k < s->n_children && found < 0; k++)
        if (id >= 0 && arrow_field_id(s->children[k]) == id) found = k;
    } else {
      for (int64_t k = 0; k < s->n_children && found < 0; k++)
        if (!used[k] && s->children[k]->name && !strcmp(s->children[k]->name, tc->name)) found = k;
      for (int64_t k = 0; k < s->n_children && found < 0; k++) /* then ignoring case */
        if (!used[k] && s->children[k]->name && !strcasecmp(s->children[k]->name, tc->name)) found = k;
    }
    cf_node_t *c = &n->children[i];
    snprintf(c->path, sizeof c->path, "%s%s%s", n->path, n->path[0] ? "." : "", tc->name ? tc->name : "");
    if (found < 0) {
      c->kind = CF_NULLS;
      c->src = -1;
      c->target = tc;
      /* by id a missing column is one the file predates: null (Iceberg's initial default) */
      if (!(tc->flags & ARROW_FLAG_NULLABLE) && match == ICE_MATCH_BY_NAME)
        rc = prestige_error_set(err, PRESTIGE_ETYPE, "%s: required column \"%s\" is missing", what, c->path);
      continue;
    }
    used[found] = true;
    c->src = (int32_t)found;
    rc = plan_node(c, tc, s->children[found], match, what, err);
  }
  for (int64_t k = 0; k < s->n_children && !rc && match == ICE_MATCH_BY_NAME; k++)
    if (!used[k])
      rc = prestige_error_set(err, PRESTIGE_ETYPE, "%s: column \"%s%s%s\" is not in the table", what, n->path,
                              n->path[0] ? "." : "", s->children[k]->name ? s->children[k]->name : "");
  free(used);
  return rc;
}

static bool same_layout(const prestige_arrow_type_info_t *t, const prestige_arrow_type_info_t *s) {
  if (t->type == s->type) {
    switch (t->type) {
      case PRESTIGE_ARROW_DECIMAL128: case PRESTIGE_ARROW_DECIMAL256:
        return t->scale == s->scale && t->precision >= s->precision;
      case PRESTIGE_ARROW_TIMESTAMP: case PRESTIGE_ARROW_TIME32: case PRESTIGE_ARROW_TIME64: case PRESTIGE_ARROW_DURATION:
        return t->unit == s->unit;
      case PRESTIGE_ARROW_FIXED_SIZE_BINARY: return t->fixed_size == s->fixed_size;
      case PRESTIGE_ARROW_STRUCT: case PRESTIGE_ARROW_LIST: case PRESTIGE_ARROW_LARGE_LIST: case PRESTIGE_ARROW_MAP:
      case PRESTIGE_ARROW_FIXED_SIZE_LIST: return false; /* decided by their children */
      default: return true;
    }
  }
  /* strings are valid binary */
  return (t->type == PRESTIGE_ARROW_BINARY && s->type == PRESTIGE_ARROW_STRING) ||
         (t->type == PRESTIGE_ARROW_LARGE_BINARY && s->type == PRESTIGE_ARROW_LARGE_STRING);
}

static int plan_node(cf_node_t *n, const struct ArrowSchema *t, const struct ArrowSchema *s, ice_match_t match,
                     const char *what, prestige_error_t *err) {
  n->target = t;
  n->source = s;
  PRESTIGE_TRY(prestige_arrow_schema_type(t, &n->tt, err));
  PRESTIGE_TRY(prestige_arrow_schema_type(s, &n->st, err));
  if (n->st.type == PRESTIGE_ARROW_DICTIONARY)
    return prestige_error_set(err, PRESTIGE_ETYPE, "%s: column \"%s\": dictionary-encoded input is not supported", what,
                              n->path);
  prestige_arrow_type_t tt = n->tt.type, st = n->st.type;
  if (same_layout(&n->tt, &n->st)) {
    n->kind = CF_MOVE;
    return 0;
  }
  switch (tt) {
    case PRESTIGE_ARROW_INT32:
    case PRESTIGE_ARROW_INT64:
      if (!is_int_like(st)) break;
      n->kind = CF_INT, n->mul = n->div = 1;
      return 0;
    case PRESTIGE_ARROW_DATE32:
      if (st == PRESTIGE_ARROW_DATE64) return n->kind = CF_INT, n->mul = 1, n->div = 86400000, 0;
      break;
    case PRESTIGE_ARROW_TIME64:
      if (st != PRESTIGE_ARROW_TIME32 && st != PRESTIGE_ARROW_TIME64) break;
      n->kind = CF_INT;
      set_scale(n, unit_per_second(n->st.unit), unit_per_second(n->tt.unit));
      return 0;
    case PRESTIGE_ARROW_TIMESTAMP:
      if (st != PRESTIGE_ARROW_TIMESTAMP) break;
      n->kind = CF_INT;
      set_scale(n, unit_per_second(n->st.unit), unit_per_second(n->tt.unit));
      return 0;
    case PRESTIGE_ARROW_FLOAT:
      if (st != PRESTIGE_ARROW_HALF_FLOAT) break;
      return n->kind = CF_FLOAT, 0;
    case PRESTIGE_ARROW_DOUBLE:
      if (st != PRESTIGE_ARROW_HALF_FLOAT && st != PRESTIGE_ARROW_FLOAT) break;
      return n->kind = CF_FLOAT, 0;
    case PRESTIGE_ARROW_STRING:
    case PRESTIGE_ARROW_BINARY:
      if (st == PRESTIGE_ARROW_LARGE_STRING || (tt == PRESTIGE_ARROW_BINARY && st == PRESTIGE_ARROW_LARGE_BINARY))
        return n->kind = CF_LARGE_BIN, 0;
      break;
    case PRESTIGE_ARROW_STRUCT:
      if (st != PRESTIGE_ARROW_STRUCT) break;
      n->kind = CF_STRUCT;
      return plan_struct_children(n, t, s, match, what, err);
    case PRESTIGE_ARROW_LIST:
    case PRESTIGE_ARROW_MAP: {
      bool ok = tt == PRESTIGE_ARROW_LIST ? (st == PRESTIGE_ARROW_LIST || st == PRESTIGE_ARROW_LARGE_LIST)
                                          : st == PRESTIGE_ARROW_MAP;
      if (!ok || t->n_children != 1 || s->n_children != 1) break;
      n->children = calloc(1, sizeof(cf_node_t));
      if (!n->children) return oom(err);
      n->n_children = 1;
      cf_node_t *c = &n->children[0];
      c->src = 0;
      snprintf(c->path, sizeof c->path, "%s.%s", n->path, tt == PRESTIGE_ARROW_LIST ? "element" : "entries");
      PRESTIGE_TRY(plan_node(c, t->children[0], s->children[0], match, what, err));
      if (tt == PRESTIGE_ARROW_MAP) {
        /* the entries struct: key and value by position (names vary between writers) */
        if (c->kind != CF_STRUCT) return mismatch(n, what, err);
      }
      bool movable = c->kind == CF_MOVE && tt == st;
      if (tt == PRESTIGE_ARROW_MAP && c->kind == CF_STRUCT) {
        movable = st == tt;
        for (int32_t k = 0; k < c->n_children; k++)
          if (c->children[k].kind != CF_MOVE || c->children[k].src != k) movable = false;
        if (c->n_children != (int32_t)s->children[0]->n_children) movable = false;
      }
      n->kind = movable ? CF_MOVE : (tt == PRESTIGE_ARROW_LIST ? CF_LIST : CF_MAP);
      return 0;
    }
    default: break;
  }
  return mismatch(n, what, err);
}

int ice_conform_plan(const struct ArrowSchema *target, const struct ArrowSchema *source, ice_match_t match,
                     const char *what, ice_conform_t **out, prestige_error_t *err) {
  *out = NULL;
  ice_conform_t *c = calloc(1, sizeof(*c));
  if (!c) return oom(err);
  c->match = match;
  snprintf(c->what, sizeof c->what, "%s", what ? what : "input");
  int rc = prestige_schema_copy(&c->target, target, err);
  if (!rc) rc = prestige_schema_copy(&c->source, source, err);
  if (!rc && (strcmp(c->target.format, "+s") || strcmp(c->source.format, "+s")))
    rc = prestige_error_set(err, PRESTIGE_EINVAL, "%s: a record batch schema must be a struct", c->what);
  if (!rc) {
    c->root.kind = CF_STRUCT;
    c->root.target = &c->target;
    c->root.source = &c->source;
    c->root.path[0] = 0;
    rc = plan_struct_children(&c->root, &c->target, &c->source, match, c->what, err);
  }
  if (rc) {
    ice_conform_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

/* ---- null arrays -------------------------------------------------------------------------------- */
int ice_arrow_nulls(const struct ArrowSchema *schema, int64_t n, struct ArrowArray *out, prestige_error_t *err) {
  prestige_arrow_type_info_t info;
  PRESTIGE_TRY(prestige_arrow_schema_type(schema, &info, err));
  int64_t nb = prestige_arrow_type_buffer_count(info.type);
  PRESTIGE_TRY(prestige_array_init(out, nb, schema->n_children, err));
  out->length = n;
  out->null_count = n;
  int64_t bitmap = (n + 7) / 8;
  if (nb > 0) {
    void *v = prestige_buffer_alloc(bitmap);
    if (!v) goto nomem;
    memset(v, 0, (size_t)bitmap);
    prestige_array_set_buffer(out, 0, v);
  }
  switch (info.type) {
    case PRESTIGE_ARROW_STRUCT:
      break;
    case PRESTIGE_ARROW_STRING: case PRESTIGE_ARROW_BINARY: case PRESTIGE_ARROW_LIST: case PRESTIGE_ARROW_MAP: {
      void *o = prestige_buffer_alloc((n + 1) * 4);
      if (!o) goto nomem;
      memset(o, 0, (size_t)(n + 1) * 4);
      prestige_array_set_buffer(out, 1, o);
      if (nb == 3) {
        void *d = prestige_buffer_alloc(0);
        if (!d) goto nomem;
        prestige_array_set_buffer(out, 2, d);
      }
      break;
    }
    case PRESTIGE_ARROW_LARGE_STRING: case PRESTIGE_ARROW_LARGE_BINARY: case PRESTIGE_ARROW_LARGE_LIST: {
      void *o = prestige_buffer_alloc((n + 1) * 8);
      if (!o) goto nomem;
      memset(o, 0, (size_t)(n + 1) * 8);
      prestige_array_set_buffer(out, 1, o);
      if (nb == 3) {
        void *d = prestige_buffer_alloc(0);
        if (!d) goto nomem;
        prestige_array_set_buffer(out, 2, d);
      }
      break;
    }
    case PRESTIGE_ARROW_NA:
      break;
    default: {
      if (nb < 2) break;
      int64_t bytes = info.type == PRESTIGE_ARROW_BOOL ? bitmap
                      : info.type == PRESTIGE_ARROW_FIXED_SIZE_BINARY ? n * info.fixed_size
                      : info.type == PRESTIGE_ARROW_FIXED_SIZE_LIST ? 0
                                                                  : n * info.byte_width;
      void *d = prestige_buffer_alloc(bytes);
      if (!d) goto nomem;
      memset(d, 0, (size_t)bytes);
      prestige_array_set_buffer(out, 1, d);
      break;
    }
  }
  for (int64_t i = 0; i < schema->n_children; i++) {
    int64_t cn = info.type == PRESTIGE_ARROW_STRUCT ? n
                 : info.type == PRESTIGE_ARROW_FIXED_SIZE_LIST ? n * info.fixed_size
                                                             : 0;
    int rc = ice_arrow_nulls(schema->children[i], cn, out->children[i], err);
    if (rc) {
      out->release(out);
      return rc;
    }
  }
  return 0;
nomem:
  out->release(out);
  return oom(err);
}

/* ---- applying a plan ------------------------------------------------------------------------------ */
/* Validity of a[abs .. abs+n) copied to a new bitmap starting at bit 0 (NULL when a has none);
 * *nulls counts the nulls. */
static int copy_validity(const struct ArrowArray *a, int64_t abs, int64_t n, void **out, int64_t *nulls) {
  *out = NULL;
  *nulls = 0;
  const uint8_t *v = a->n_buffers > 0 ? a->buffers[0] : NULL;
  if (!v) return 0;
  uint8_t *b = prestige_buffer_alloc((n + 7) / 8);
  if (!b) return PRESTIGE_ENOMEM;
  memset(b, 0, (size_t)((n + 7) / 8));
  for (int64_t i = 0; i < n; i++) {
    int64_t j = abs + i;
    if ((v[j >> 3] >> (j & 7)) & 1) b[i >> 3] |= (uint8_t)(1u << (i & 7));
    else (*nulls)++;
  }
  *out = b;
  return 0;
}

static inline bool valid_at(const struct ArrowArray *a, int64_t abs) {
  const uint8_t *v = a->n_buffers > 0 ? a->buffers[0] : NULL;
  return !v || ((v[abs >> 3] >> (abs & 7)) & 1);
}

static int apply_node(const cf_node_t *n, struct ArrowArray *a, int64_t rel, int64_t len, struct ArrowArray *out,
                      const char *what, prestige_error_t *err);

/* A fresh array with a validity buffer copied from the window and room for the rest. */
static int start_array(const cf_node_t *n, const struct ArrowArray *a, int64_t abs, int64_t len, int64_t n_buffers,
                       int64_t n_children, struct ArrowArray *out, prestige_error_t *err) {
  PRESTIGE_TRY(prestige_array_init(out, n_buffers, n_children, err));
  out->length = len;
  void *v;
  int64_t nulls;
  if (copy_validity(a, abs, len, &v, &nulls)) {
    out->release(out);
    return oom(err);
  }
  prestige_array_set_buffer(out, 0, v);
  out->null_count = nulls;
  (void)n;
  return 0;
}

static int64_t load_int(const struct ArrowArray *a, prestige_arrow_type_t t, int64_t abs, bool *too_big) {
  const void *d = a->buffers[1];
  *too_big = false;
  switch (t) {
    case PRESTIGE_ARROW_INT8: return ((const int8_t *)d)[abs];
    case PRESTIGE_ARROW_UINT8: return ((const uint8_t *)d)[abs];
    case PRESTIGE_ARROW_INT16: return ((const int16_t *)d)[abs];
    case PRESTIGE_ARROW_UINT16: return ((const uint16_t *)d)[abs];
    case PRESTIGE_ARROW_INT32: case PRESTIGE_ARROW_DATE32: case PRESTIGE_ARROW_TIME32: return ((const int32_t *)d)[abs];
    case PRESTIGE_ARROW_UINT32: return ((const uint32_t *)d)[abs];
    case PRESTIGE_ARROW_UINT64: {
      uint64_t u = ((const uint64_t *)d)[abs];
      if (u > (uint64_t)INT64_MAX) *too_big = true;
      return (int64_t)u;
    }
    default: return ((const int64_t *)d)[abs];
  }
}

static int apply_int(const cf_node_t *n, struct ArrowArray *a, int64_t abs, int64_t len, struct ArrowArray *out,
                     const char *what, prestige_error_t *err) {
  PRESTIGE_TRY(start_array(n, a, abs, len, 2, 0, out, err));
  int width = n->tt.byte_width;
  void *d = prestige_buffer_alloc(len * width);
  if (!d) {
    out->release(out);
    return oom(err);
  }
  prestige_array_set_buffer(out, 1, d);
  int64_t lo = width == 4 ? INT32_MIN : INT64_MIN, hi = width == 4 ? INT32_MAX : INT64_MAX;
  for (int64_t i = 0; i < len; i++) {
    int64_t x = 0;
    if (valid_at(a, abs + i)) {
      bool big;
      int64_t v = load_int(a, n->st.type, abs + i, &big);
      bool bad = big;
      if (!bad && n->div > 1) {
        if (v % n->div) {
          out->release(out);
          return prestige_error_set(err, PRESTIGE_ETYPE,
                                    "%s: column \"%s\", row %lld: %lld does not convert exactly to %s (%s)", what, n->path,
                                    (long long)i, (long long)v, prestige_arrow_type_name(n->tt.type), n->target->format);
        }
        v /= n->div;
      }
      if (!bad && n->mul > 1 && __builtin_mul_overflow(v, n->mul, &v)) bad = true;
      if (!bad && (v < lo || v > hi)) bad = true;
      if (bad) {
        out->release(out);
        return prestige_error_set(err, PRESTIGE_ETYPE, "%s: column \"%s\", row %lld: value out of range for %s (%s)",
                                  what, n->path, (long long)i, prestige_arrow_type_name(n->tt.type), n->target->format);
      }
      x = v;
    }
    if (width == 4) ((int32_t *)d)[i] = (int32_t)x;
    else ((int64_t *)d)[i] = x;
  }
  return 0;
}

static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  uint32_t f;
  if (exp == 0) {
    if (mant == 0) f = sign;
    else {
      float v = ldexpf((float)mant, -24);
      return sign ? -v : v;
    }
  } else if (exp == 31) {
    f = sign | 0x7f800000u | (mant << 13);
  } else {
    f = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float r;
  memcpy(&r, &f, 4);
  return r;
}

static int apply_float(const cf_node_t *n, struct ArrowArray *a, int64_t abs, int64_t len, struct ArrowArray *out,
                       prestige_error_t *err) {
  PRESTIGE_TRY(start_array(n, a, abs, len, 2, 0, out, err));
  bool dbl = n->tt.type == PRESTIGE_ARROW_DOUBLE;
  void *d = prestige_buffer_alloc(len * (dbl ? 8 : 4));
  if (!d) {
    out->release(out);
    return oom(err);
  }
  prestige_array_set_buffer(out, 1, d);
  for (int64_t i = 0; i < len; i++) {
    double v = n->st.type == PRESTIGE_ARROW_HALF_FLOAT ? half_to_float(((const uint16_t *)a->buffers[1])[abs + i])
                                                      : ((const float *)a->buffers[1])[abs + i];
    if (dbl) ((double *)d)[i] = v;
    else ((float *)d)[i] = (float)v;
  }
  return 0;
}

static int apply_large_bin(const cf_node_t *n, struct ArrowArray *a, int64_t abs, int64_t len, struct ArrowArray *out,
                           const char *what, prestige_error_t *err) {
  const int64_t *o = a->buffers[1];
  int64_t first = o[abs], last = o[abs + len];
  if (last - first > INT32_MAX)
    return prestige_error_set(err, PRESTIGE_ETYPE, "%s: column \"%s\": %lld bytes do not fit 32-bit offsets", what, n->path,
                              (long long)(last - first));
  PRESTIGE_TRY(start_array(n, a, abs, len, 3, 0, out, err));
  int32_t *no = prestige_buffer_alloc((len + 1) * 4);
  uint8_t *data = prestige_buffer_alloc(last - first);
  if (!no || !data) {
    free(no);
    free(data);
    out->release(out);
    return oom(err);
  }
  for (int64_t i = 0; i <= len; i++) no[i] = (int32_t)(o[abs + i] - first);
  if (last > first) memcpy(data, (const uint8_t *)a->buffers[2] + first, (size_t)(last - first));
  prestige_array_set_buffer(out, 1, no);
  prestige_array_set_buffer(out, 2, data);
  return 0;
}

static int apply_struct(const cf_node_t *n, struct ArrowArray *a, int64_t abs, int64_t len, struct ArrowArray *out,
                        const char *what, prestige_error_t *err) {
  PRESTIGE_TRY(start_array(n, a, abs, len, 1, n->n_children, out, err));
  for (int32_t i = 0; i < n->n_children; i++) {
    const cf_node_t *c = &n->children[i];
    int rc;
    if (c->kind == CF_NULLS) rc = ice_arrow_nulls(c->target, len, out->children[i], err);
    else if (c->src >= a->n_children) rc = prestige_error_set(err, PRESTIGE_EINVAL, "%s: batch has too few columns", what);
    else rc = apply_node(c, a->children[c->src], abs, len, out->children[i], what, err);
    if (rc) {
      out->release(out);
      return rc;
    }
  }
  return 0;
}

static int apply_list(const cf_node_t *n, struct ArrowArray *a, int64_t abs, int64_t len, struct ArrowArray *out,
                      const char *what, prestige_error_t *err) {
  bool large = n->st.type == PRESTIGE_ARROW_LARGE_LIST;
  int64_t first = large ? ((const int64_t *)a->buffers[1])[abs] : ((const int32_t *)a->buffers[1])[abs];
  int64_t last = large ? ((const int64_t *)a->buffers[1])[abs + len] : ((const int32_t *)a->buffers[1])[abs + len];
  if (last - first > INT32_MAX)
    return prestige_error_set(err, PRESTIGE_ETYPE, "%s: column \"%s\": %lld elements do not fit 32-bit offsets", what,
                              n->path, (long long)(last - first));
  PRESTIGE_TRY(start_array(n, a, abs, len, 2, 1, out, err));
  int32_t *no = prestige_buffer_alloc((len + 1) * 4);
  if (!no) {
    out->release(out);
    return oom(err);
  }
  for (int64_t i = 0; i <= len; i++)
    no[i] = (int32_t)((large ? ((const int64_t *)a->buffers[1])[abs + i] : ((const int32_t *)a->buffers[1])[abs + i]) - first);
  prestige_array_set_buffer(out, 1, no);
  int rc = apply_node(&n->children[0], a->children[0], first, last - first, out->children[0], what, err);
  if (rc) out->release(out);
  return rc;
}

static int apply_node(const cf_node_t *n, struct ArrowArray *a, int64_t rel, int64_t len, struct ArrowArray *out,
                      const char *what, prestige_error_t *err) {
  int64_t abs = a->offset + rel;
  if (abs < 0 || abs + len > a->offset + a->length)
    return prestige_error_set(err, PRESTIGE_EINVAL, "%s: column \"%s\": %lld rows from %lld exceed its %lld", what, n->path,
                              (long long)len, (long long)rel, (long long)a->length);
  switch (n->kind) {
    case CF_MOVE:
      *out = *a;
      a->release = NULL; /* moved (the parent's release skips it) */
      out->offset = abs;
      if (out->length != len || rel != 0) out->null_count = -1;
      out->length = len;
      return 0;
    case CF_NULLS: return ice_arrow_nulls(n->target, len, out, err);
    case CF_INT: return apply_int(n, a, abs, len, out, what, err);
    case CF_FLOAT: return apply_float(n, a, abs, len, out, err);
    case CF_LARGE_BIN: return apply_large_bin(n, a, abs, len, out, what, err);
    case CF_STRUCT: return apply_struct(n, a, abs, len, out, what, err);
    case CF_LIST:
    case CF_MAP: return apply_list(n, a, abs, len, out, what, err);
  }
  return prestige_error_set(err, PRESTIGE_EINTERNAL, "conform: unknown plan node");
}

/* Rows written to a table: a null in a required top-level column is refused here, naming the row
 * (the Parquet writer refuses it too, at any depth, but knows only its own row numbers). */
static int check_required(const cf_node_t *n, const struct ArrowArray *a, const char *what, prestige_error_t *err) {
  if ((n->target->flags & ARROW_FLAG_NULLABLE) || a->null_count == 0 || a->n_buffers == 0 || !a->buffers[0]) return 0;
  for (int64_t r = 0; r < a->length; r++)
    if (!prestige_array_is_valid(a, r))
      return prestige_error_set(err, PRESTIGE_EINVAL, "%s: row %lld: column \"%s\" is required (not null) but the value is null",
                                what, (long long)r, n->path);
  return 0;
}

int ice_conform_apply(const ice_conform_t *c, struct ArrowArray *batch, struct ArrowArray *out, prestige_error_t *err) {
  memset(out, 0, sizeof(*out));
  if (batch->n_children != c->source.n_children) {
    prestige_array_release(batch);
    return prestige_error_set(err, PRESTIGE_EINVAL, "%s: batch has %lld columns, its schema %lld", c->what,
                              (long long)batch->n_children, (long long)c->source.n_children);
  }
  int64_t len = batch->length;
  int rc = prestige_array_init(out, 1, c->root.n_children, err);
  if (!rc) {
    out->length = len;
    out->null_count = 0;
    for (int32_t i = 0; i < c->root.n_children && !rc; i++) {
      const cf_node_t *n = &c->root.children[i];
      if (n->kind == CF_NULLS) rc = ice_arrow_nulls(n->target, len, out->children[i], err);
      else rc = apply_node(n, batch->children[n->src], batch->offset, len, out->children[i], c->what, err);
      if (!rc && c->match == ICE_MATCH_BY_NAME) rc = check_required(n, out->children[i], c->what, err);
    }
    if (rc) prestige_array_release(out);
  }
  prestige_array_release(batch);
  return rc;
}

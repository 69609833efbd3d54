/* Runs of rows sharing a partition tuple (see partition_runs.h). */
#include "iceberg/partition_runs.h"

#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"

typedef enum { RUN_VOID, RUN_RANGE, RUN_EQUAL } run_kind_t;

typedef struct run_field {
  run_kind_t kind;
  const ice_col_path_t *col;
  ice_transform_t t;
  bool narrow;        /* RUN_RANGE over a 32-bit column (int, date) */
  int64_t unit, hour; /* timestamps: source units per day and per hour (0: a date or a plain number) */
  /* the anchor */
  bool null;
  int64_t lo, hi;  /* RUN_RANGE: source values known to give the anchor's result */
  ice_value_t val; /* RUN_EQUAL: the anchor's value (views into the batch) */
} run_field_t;

struct ice_part_runs {
  run_field_t *f;
  size_t n;
};

static bool is_int_source(ice_type_id_t id) {
  return id == ICE_INT || id == ICE_DATE || id == ICE_LONG || id == ICE_TIME || id == ICE_TIMESTAMP ||
         id == ICE_TIMESTAMPTZ || id == ICE_TIMESTAMP_NS || id == ICE_TIMESTAMPTZ_NS;
}

int ice_part_runs_new(const ice_partition_spec_t *spec, const ice_col_path_t *cols, ice_part_runs_t **out,
                      prestige_error_t *err) {
  *out = NULL;
  ice_part_runs_t *r = calloc(1, sizeof(*r));
  if (r) r->f = calloc(spec->n_fields ? spec->n_fields : 1, sizeof(run_field_t));
  if (!r || !r->f) {
    free(r);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "partition runs: out of memory");
  }
  r->n = spec->n_fields;
  for (size_t i = 0; i < r->n; i++) {
    run_field_t *f = &r->f[i];
    const ice_transform_t *t = &spec->fields[i].transform;
    ice_type_id_t id = cols[i].type->id;
    f->col = &cols[i];
    f->t = *t;
    if (t->kind == ICE_T_VOID) f->kind = RUN_VOID;
    else if (is_int_source(id) && t->kind != ICE_T_UNKNOWN &&
             (t->kind != ICE_T_TRUNCATE || id == ICE_INT || id == ICE_LONG))
      f->kind = RUN_RANGE;
    else f->kind = RUN_EQUAL;
    f->narrow = id == ICE_INT || id == ICE_DATE;
    if (id == ICE_TIMESTAMP || id == ICE_TIMESTAMPTZ) f->unit = 86400000000LL, f->hour = 3600000000LL;
    if (id == ICE_TIMESTAMP_NS || id == ICE_TIMESTAMPTZ_NS) f->unit = 86400000000000LL, f->hour = 3600000000000LL;
  }
  *out = r;
  return 0;
}

void ice_part_runs_free(ice_part_runs_t *r) {
  if (!r) return;
  free(r->f);
  free(r);
}

/* ---- the interval of source values with the anchor's result ------------------------------------ */
static int64_t clamp(__int128 x) { return x < INT64_MIN ? INT64_MIN : x > INT64_MAX ? INT64_MAX : (int64_t)x; }

/* The days [*lo, *hi] in the anchor's month or year. */
static void calendar_days(ice_transform_kind_t k, int64_t days, int64_t *lo, int64_t *hi) {
  if (k == ICE_T_DAY) {
    *lo = *hi = days;
    return;
  }
  int64_t y, next_y;
  unsigned m = 1, next_m = 1;
  if (k == ICE_T_YEAR) {
    y = 1970 + cal_years_from_days(days);
    next_y = y + 1;
  } else {
    int64_t months = cal_months_from_days(days);
    y = 1970 + cal_floor_div(months, 12);
    m = (unsigned)cal_floor_mod(months, 12) + 1;
    next_y = m == 12 ? y + 1 : y;
    next_m = m == 12 ? 1 : m + 1;
  }
  *lo = cal_days_from_civil(y, m, 1);
  *hi = cal_days_from_civil(next_y, next_m, 1) - 1;
}

static void anchor_range(run_field_t *f, int64_t v) {
  __int128 lo = v, hi = v; /* identity and bucket: the value itself */
  switch (f->t.kind) {
    case ICE_T_TRUNCATE: {
      int64_t w = f->t.param;
      lo = (__int128)v - cal_floor_mod(v, w);
      hi = lo + w - 1;
      break;
    }
    case ICE_T_HOUR: { /* timestamps only */
      __int128 h = cal_floor_div(v, f->hour);
      lo = h * f->hour;
      hi = lo + f->hour - 1;
      break;
    }
    case ICE_T_YEAR:
    case ICE_T_MONTH:
    case ICE_T_DAY: {
      int64_t dlo, dhi;
      calendar_days(f->t.kind, f->unit ? cal_floor_div(v, f->unit) : v, &dlo, &dhi);
      lo = f->unit ? (__int128)dlo * f->unit : dlo;
      hi = f->unit ? ((__int128)dhi + 1) * f->unit - 1 : dhi;
      break;
    }
    default: break;
  }
  f->lo = clamp(lo);
  f->hi = clamp(hi);
}

/* ---- comparing with the anchor -------------------------------------------------------------- */
static bool same_value(const ice_type_t *t, const ice_value_t *a, const ice_value_t *b) {
  if (a->is_null || b->is_null) return a->is_null == b->is_null;
  switch (t->id) {
    case ICE_BOOLEAN: return a->v.b == b->v.b;
    case ICE_INT:
    case ICE_DATE: return a->v.i32 == b->v.i32;
    case ICE_LONG:
    case ICE_TIME:
    case ICE_TIMESTAMP:
    case ICE_TIMESTAMPTZ:
    case ICE_TIMESTAMP_NS:
    case ICE_TIMESTAMPTZ_NS: return a->v.i64 == b->v.i64;
    case ICE_FLOAT: return !memcmp(&a->v.f32, &b->v.f32, sizeof(float)); /* bits: -0.0 and NaNs end a run */
    case ICE_DOUBLE: return !memcmp(&a->v.f64, &b->v.f64, sizeof(double));
    case ICE_DECIMAL: return a->dec == b->dec;
    case ICE_UUID: return !memcmp(a->v.uuid, b->v.uuid, 16);
    case ICE_STRING:
    case ICE_BINARY:
    case ICE_FIXED: return a->len == b->len && (!a->len || !memcmp(a->ptr, b->ptr, a->len));
    default: return false;
  }
}

static inline bool bit(const uint8_t *v, int64_t i) { return (v[i >> 3] >> (i & 7)) & 1; }

static int64_t int_value(const ice_value_t *v, bool narrow) { return narrow ? v->v.i32 : v->v.i64; }

/* The first row in [from, end) outside the anchor's range (a top-level column, read in place). */
static int64_t range_extent_flat(const run_field_t *f, const struct ArrowArray *batch, int64_t from, int64_t end) {
  const struct ArrowArray *c = batch->children[f->col->idx[0]];
  int64_t base = batch->offset + c->offset;
  const uint8_t *valid = c->n_buffers > 0 ? c->buffers[0] : NULL; /* as ice_col_value reads it */
  int64_t r = from;
  if (f->null) {
    while (r < end && valid && !bit(valid, base + r)) r++;
    return r;
  }
  const int64_t lo = f->lo, hi = f->hi;
  if (f->narrow) {
    const int32_t *d = (const int32_t *)c->buffers[1] + base;
    if (!valid)
      while (r < end && d[r] >= lo && d[r] <= hi) r++;
    else
      while (r < end && bit(valid, base + r) && d[r] >= lo && d[r] <= hi) r++;
  } else {
    const int64_t *d = (const int64_t *)c->buffers[1] + base;
    if (!valid)
      while (r < end && d[r] >= lo && d[r] <= hi) r++;
    else
      while (r < end && bit(valid, base + r) && d[r] >= lo && d[r] <= hi) r++;
  }
  return r;
}

int64_t ice_part_runs_extent(ice_part_runs_t *r, const struct ArrowArray *batch, int64_t anchor, int64_t n) {
  int64_t end = n;
  for (size_t i = 0; i < r->n && end > anchor + 1; i++) {
    run_field_t *f = &r->f[i];
    if (f->kind == RUN_VOID) continue;
    ice_value_t v;
    ice_col_value(f->col, batch, anchor, &v);
    f->null = v.is_null;
    if (f->kind == RUN_RANGE) {
      if (!v.is_null) anchor_range(f, int_value(&v, f->narrow));
      if (f->col->depth == 1) {
        end = range_extent_flat(f, batch, anchor + 1, end);
        continue;
      }
      int64_t k = anchor + 1;
      for (; k < end; k++) {
        ice_value_t x;
        ice_col_value(f->col, batch, k, &x);
        if (x.is_null != f->null) break;
        if (x.is_null) continue;
        int64_t y = int_value(&x, f->narrow);
        if (y < f->lo || y > f->hi) break;
      }
      end = k;
    } else {
      f->val = v;
      int64_t k = anchor + 1;
      for (; k < end; k++) {
        ice_value_t x;
        ice_col_value(f->col, batch, k, &x);
        if (!same_value(f->col->type, &f->val, &x)) break;
      }
      end = k;
    }
  }
  return end > anchor ? end : anchor + 1;
}

/* Manifest and file pruning for scans (see scan_eval.h). */
#include "arrow/field_id.h"
#include "iceberg/scan_eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/predicate_internal.h"
#include "core/calendar.h"

#define TV_ALL (TV_TRUE | TV_FALSE | TV_NULL)

typedef struct ecol {
  int32_t field_id;         /* -1: not a table column (never pruned on) */
  const ice_type_t *type;   /* in the scan schema */
} ecol_t;

struct ice_scan_eval {
  const prestige_bound_predicate_t *b;
  const ice_schema_t *schema;
  ecol_t *cols;
};

int ice_scan_eval_new(const prestige_bound_predicate_t *b, const ice_schema_t *schema, ice_scan_eval_t **out,
                      prestige_error_t *err) {
  *out = NULL;
  ice_scan_eval_t *e = calloc(1, sizeof(*e));
  if (!e) return prestige_error_set(err, PRESTIGE_ENOMEM, "scan: out of memory");
  e->b = b;
  e->schema = schema;
  e->cols = calloc((size_t)(b->n_cols ? b->n_cols : 1), sizeof(ecol_t));
  if (!e->cols) {
    free(e);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "scan: out of memory");
  }
  for (int64_t i = 0; i < b->n_cols; i++) {
    const bcol_t *c = &b->cols[i];
    /* the column's own schema (a dictionary's owner carries the id) */
    int32_t id = arrow_field_id(c->dict_owner ? c->dict_owner : c->schema);
    const ice_field_t *f = id >= 0 ? ice_schema_find_id(schema, id) : NULL;
    e->cols[i].field_id = f && ice_type_is_primitive(f->type->id) ? id : -1;
    e->cols[i].type = f ? f->type : NULL;
  }
  *out = e;
  return 0;
}

void ice_scan_eval_free(ice_scan_eval_t *e) {
  if (!e) return;
  free(e->cols);
  free(e);
}

/* ---- values as statistics ---------------------------------------------------------------------- */
static void to_scalar(const ice_type_t *t, const ice_value_t *v, prestige_scalar_t *s) {
  memset(s, 0, sizeof(*s));
  switch (t->id) {
    case ICE_BOOLEAN: s->i64 = v->v.b; break;
    case ICE_INT:
    case ICE_DATE: s->i64 = v->v.i32; break;
    case ICE_LONG:
    case ICE_TIME:
    case ICE_TIMESTAMP:
    case ICE_TIMESTAMPTZ:
    case ICE_TIMESTAMP_NS:
    case ICE_TIMESTAMPTZ_NS: s->i64 = v->v.i64; break;
    case ICE_FLOAT: s->f64 = v->v.f32; break;
    case ICE_DOUBLE: s->f64 = v->v.f64; break;
    case ICE_DECIMAL: memcpy(s->decimal, &v->dec, 16); break;
    case ICE_UUID:
      s->bytes = v->v.uuid;
      s->len = 16;
      break;
    default:
      s->bytes = v->ptr;
      s->len = (int64_t)v->len;
      break;
  }
}

static bool is_nan(const ice_type_t *t, const ice_value_t *v) {
  return (t->id == ICE_FLOAT && isnan(v->v.f32)) || (t->id == ICE_DOUBLE && isnan(v->v.f64));
}

/* ---- transforms as source ranges ----------------------------------------------------------------- */
static int64_t sat_add(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}
static int64_t sat_mul(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_mul_overflow(a, b, &r) ? ((a < 0) != (b < 0) ? INT64_MIN : INT64_MAX) : r;
}

/* Days of a time transform's value: [first day, first day of the next). */
static void time_days(ice_transform_kind_t k, int64_t v, int64_t *d0, int64_t *d1) {
  if (k == ICE_T_YEAR) {
    *d0 = cal_days_from_civil(1970 + v, 1, 1);
    *d1 = cal_days_from_civil(1970 + v + 1, 1, 1);
  } else { /* month */
    int64_t y = 1970 + cal_floor_div(v, 12), m = cal_floor_mod(v, 12) + 1;
    *d0 = cal_days_from_civil(y, (unsigned)m, 1);
    *d1 = m == 12 ? cal_days_from_civil(y + 1, 1, 1) : cal_days_from_civil(y, (unsigned)m + 1, 1);
  }
}

/* The source values a transformed value stands for: [lo, hi] (either may be missing), in the
 * source type. storage keeps bytes made here. */
static void transform_range(const ice_transform_t *t, const ice_type_t *src, const ice_value_t *pv, ice_value_t *lo,
                            ice_value_t *hi, bool *has_lo, bool *has_hi, buf_t *storage) {
  *has_lo = *has_hi = false;
  memset(lo, 0, sizeof(*lo));
  memset(hi, 0, sizeof(*hi));
  switch (t->kind) {
    case ICE_T_IDENTITY:
      *lo = *hi = *pv;
      *has_lo = *has_hi = true;
      return;
    case ICE_T_TRUNCATE: {
      int64_t w = t->param;
      if (src->id == ICE_INT) {
        lo->v.i32 = pv->v.i32;
        hi->v.i32 = (int32_t)(sat_add(pv->v.i32, w - 1) > INT32_MAX ? INT32_MAX : pv->v.i32 + w - 1);
      } else if (src->id == ICE_LONG) {
        lo->v.i64 = pv->v.i64;
        hi->v.i64 = sat_add(pv->v.i64, w - 1);
      } else if (src->id == ICE_DECIMAL) {
        lo->dec = pv->dec;
        hi->dec = pv->dec + (w - 1);
      } else if (src->id == ICE_STRING || src->id == ICE_BINARY) {
        *lo = *pv;
        *has_lo = true;
        size_t units = pv->len;
        if (src->id == ICE_STRING) { /* code points in the prefix */
          units = 0;
          for (size_t i = 0; i < pv->len; i++) units += (pv->ptr[i] & 0xC0) != 0x80;
        }
        if (units < (size_t)w) { /* shorter than the width: the value itself */
          *hi = *pv;
          *has_hi = true;
          return;
        }
        /* every value starting with the prefix is below the prefix incremented */
        buf_t ext = BUF_INIT;
        ice_value_t u;
        bool has = false;
        if (!buf_append(&ext, pv->ptr, pv->len) && !buf_append_u8(&ext, src->id == ICE_STRING ? 'x' : 0)) {
          ice_value_t e = ice_value_bytes(ext.data, ext.len);
          if (!ice_bound_upper(src, &e, (int32_t)units, storage, &u, &has, NULL) && has) {
            *hi = u;
            *has_hi = true;
          }
        }
        buf_release(&ext);
        return;
      } else {
        return;
      }
      *has_lo = *has_hi = true;
      return;
    }
    case ICE_T_YEAR:
    case ICE_T_MONTH:
    case ICE_T_DAY:
    case ICE_T_HOUR: {
      int64_t v = pv->v.i32; /* year/month/hour results are int, day is date (int days) */
      int64_t d0, d1;        /* [d0, d1) in days, or hours for HOUR */
      if (t->kind == ICE_T_DAY) d0 = v, d1 = v + 1;
      else if (t->kind == ICE_T_HOUR) d0 = v, d1 = v + 1;
      else time_days(t->kind, v, &d0, &d1);
      int64_t unit; /* source units per day (hour for HOUR) */
      switch (src->id) {
        case ICE_DATE:
          if (t->kind == ICE_T_HOUR) return;
          lo->v.i32 = (int32_t)d0;
          hi->v.i32 = (int32_t)(d1 - 1);
          *has_lo = *has_hi = true;
          return;
        case ICE_TIMESTAMP: case ICE_TIMESTAMPTZ: unit = t->kind == ICE_T_HOUR ? 3600000000LL : 86400000000LL; break;
        case ICE_TIMESTAMP_NS: case ICE_TIMESTAMPTZ_NS:
          unit = t->kind == ICE_T_HOUR ? 3600000000000LL : 86400000000000LL;
          break;
        default: return;
      }
      lo->v.i64 = sat_mul(d0, unit);
      hi->v.i64 = sat_add(sat_mul(d1, unit), -1);
      *has_lo = *has_hi = true;
      return;
    }
    default: return; /* bucket, void, unknown */
  }
}

/* ---- leaves ------------------------------------------------------------------------------------------ */
/* Whether any literal of a = / IN leaf falls in bucket range [lo, hi]. */
static bool bucket_hit(const bnode_t *n, const ice_type_t *src, const ice_transform_t *t, int32_t lo, int32_t hi) {
  int32_t nv = n->kind == PN_IN ? n->n_vals : 1;
  for (int32_t k = 0; k < nv; k++) {
    const bval_t *L = &n->vals[k];
    ice_value_t v;
    memset(&v, 0, sizeof v);
    switch (src->id) {
      case ICE_INT: case ICE_DATE: v.v.i32 = (int32_t)L->i; break;
      case ICE_LONG: case ICE_TIME: case ICE_TIMESTAMP: case ICE_TIMESTAMPTZ: case ICE_TIMESTAMP_NS:
      case ICE_TIMESTAMPTZ_NS: v.v.i64 = L->i; break;
      case ICE_DECIMAL: v.dec = L->dec; break;
      case ICE_UUID:
        if (L->len != 16) return true;
        memcpy(v.v.uuid, L->bytes, 16);
        break;
      default: v.ptr = L->bytes, v.len = (size_t)L->len; break;
    }
    int32_t h;
    if (!ice_hash_value(src, &v, &h)) return true;
    int32_t b = (int32_t)((h & INT32_MAX) % t->param);
    if (b >= lo && b <= hi) return true;
  }
  return false;
}

/* The truth values a leaf may take for rows of a file with partition value pv (for a partition
 * field on the leaf's column). value_count: the file's rows. */
static unsigned leaf_by_partition(const ice_scan_eval_t *e, const bnode_t *n, const ice_partition_field_t *pf,
                                  const ice_type_t *src, const ice_value_t *pv, int64_t value_count) {
  if (pf->transform.kind == ICE_T_VOID || pf->transform.kind == ICE_T_UNKNOWN) return TV_ALL;
  if (pf->transform.kind == ICE_T_BUCKET) {
    bool is_null_leaf = n->kind == PN_IS_NULL, not_null_leaf = n->kind == PN_NOT_NULL;
    if (pv->is_null) return is_null_leaf ? TV_TRUE : not_null_leaf ? TV_FALSE : TV_NULL;
    if (is_null_leaf) return TV_FALSE;
    if (not_null_leaf) return TV_TRUE;
    if ((n->kind == PN_IN || (n->kind == PN_CMP && n->op == OP_EQ)) && !bucket_hit(n, src, &pf->transform, pv->v.i32, pv->v.i32))
      return TV_FALSE;
    return TV_TRUE | TV_FALSE;
  }
  prestige_column_stats_t s;
  prestige_column_stats_init(&s);
  s.value_count = value_count;
  bool floats = src->id == ICE_FLOAT || src->id == ICE_DOUBLE;
  buf_t storage = BUF_INIT;
  if (pv->is_null) {
    s.null_count = value_count;
  } else {
    s.null_count = 0;
    if (floats) s.nan_count = is_nan(src, pv) ? value_count : 0;
    ice_value_t lo, hi;
    bool hl, hh;
    transform_range(&pf->transform, src, pv, &lo, &hi, &hl, &hh, &storage);
    if (hl && !is_nan(src, &lo)) s.has_min = true, to_scalar(src, &lo, &s.min);
    if (hh && !is_nan(src, &hi)) s.has_max = true, to_scalar(src, &hi, &s.max);
  }
  unsigned m = pred_leaf_possible(e->b, n, &s);
  buf_release(&storage);
  return m;
}

/* The same from a manifest's partition field summary. */
static unsigned leaf_by_summary(const ice_scan_eval_t *e, const bnode_t *n, const ice_partition_field_t *pf,
                                const ice_type_t *src, const ice_type_t *rt, const ice_field_summary_t *fs) {
  if (pf->transform.kind == ICE_T_VOID || pf->transform.kind == ICE_T_UNKNOWN) return TV_ALL;
  ice_value_t lo, hi;
  bool has_lo = fs->lower_bound && !ice_value_from_bytes(rt, fs->lower_bound, fs->lower_len, &lo, NULL);
  bool has_hi = fs->upper_bound && !ice_value_from_bytes(rt, fs->upper_bound, fs->upper_len, &hi, NULL);
  if (pf->transform.kind == ICE_T_BUCKET) {
    if (n->kind == PN_IS_NULL) return fs->contains_null ? TV_ALL : TV_FALSE;
    unsigned nulls = fs->contains_null ? TV_NULL : 0;
    if ((n->kind == PN_IN || (n->kind == PN_CMP && n->op == OP_EQ)) && has_lo && has_hi &&
        !bucket_hit(n, src, &pf->transform, lo.v.i32, hi.v.i32))
      return nulls | TV_FALSE;
    return TV_ALL;
  }
  prestige_column_stats_t s;
  prestige_column_stats_init(&s);
  s.null_count = fs->contains_null ? -1 : 0;
  bool floats = src->id == ICE_FLOAT || src->id == ICE_DOUBLE;
  if (floats) s.nan_count = fs->has_contains_nan && !fs->contains_nan ? 0 : -1;
  buf_t st1 = BUF_INIT, st2 = BUF_INIT;
  ice_value_t a, b, c, d;
  bool h1, h2, h3, h4;
  if (has_lo) {
    transform_range(&pf->transform, src, &lo, &a, &b, &h1, &h2, &st1);
    if (h1) s.has_min = true, to_scalar(src, &a, &s.min);
  }
  if (has_hi) {
    transform_range(&pf->transform, src, &hi, &c, &d, &h3, &h4, &st2);
    if (h4) s.has_max = true, to_scalar(src, &d, &s.max);
  }
  if (!has_lo && !has_hi && !fs->contains_null && !(fs->has_contains_nan && fs->contains_nan) && fs->has_contains_nan)
    s.value_count = 0; /* no values at all */
  unsigned m = pred_leaf_possible(e->b, n, &s);
  buf_release(&st1);
  buf_release(&st2);
  return m;
}

/* The same from a data file's column metrics. */
static unsigned leaf_by_metrics(const ice_scan_eval_t *e, const bnode_t *n, const ecol_t *c, const ice_data_file_t *f) {
  prestige_column_stats_t s;
  prestige_column_stats_init(&s);
  int64_t v;
  if (ice_counts_get(&f->value_counts, c->field_id, &v)) s.value_count = v;
  if (ice_counts_get(&f->null_value_counts, c->field_id, &v)) s.null_count = v;
  if (ice_counts_get(&f->nan_value_counts, c->field_id, &v)) s.nan_count = v;
  if (c->type->id != ICE_FLOAT && c->type->id != ICE_DOUBLE) s.nan_count = 0;
  const uint8_t *p;
  uint32_t len;
  ice_value_t lo, hi;
  if (ice_bounds_get(&f->lower_bounds, c->field_id, &p, &len) && !ice_value_from_bytes(c->type, p, len, &lo, NULL) &&
      !is_nan(c->type, &lo))
    s.has_min = true, to_scalar(c->type, &lo, &s.min);
  if (ice_bounds_get(&f->upper_bounds, c->field_id, &p, &len) && !ice_value_from_bytes(c->type, p, len, &hi, NULL) &&
      !is_nan(c->type, &hi))
    s.has_max = true, to_scalar(c->type, &hi, &s.max);
  return pred_leaf_possible(e->b, n, &s);
}

/* ---- the tree ------------------------------------------------------------------------------------------ */
typedef struct ectx {
  const ice_scan_eval_t *e;
  const ice_partition_spec_t *spec;
  const ice_manifest_file_t *m; /* manifest mode */
  const ice_data_file_t *f;     /* file mode */
  bool use_metrics;
  const ice_type_t *ptypes[64]; /* partition field result types (manifest mode) */
  ice_type_t ptype_store[64];
} ectx_t;

static unsigned leaf(const ectx_t *x, const bnode_t *n) {
  const ecol_t *c = &x->e->cols[n->col];
  if (c->field_id < 0 || n->kind == PN_CONST) return TV_ALL;
  unsigned m = TV_ALL;
  for (size_t k = 0; k < x->spec->n_fields && k < 64; k++) {
    const ice_partition_field_t *pf = &x->spec->fields[k];
    if (pf->source_id != c->field_id || pf->source_ids) continue;
    if (x->m) {
      if (!x->m->partitions || k >= x->m->n_partitions || !x->ptypes[k]) continue;
      m &= leaf_by_summary(x->e, n, pf, c->type, x->ptypes[k], &x->m->partitions[k]);
    } else if (k < x->f->n_partition) {
      m &= leaf_by_partition(x->e, n, pf, c->type, &x->f->partition[k], x->f->record_count);
    }
  }
  if (x->f && x->use_metrics) m &= leaf_by_metrics(x->e, n, c, x->f);
  return m;
}

static unsigned eval(const ectx_t *x, const bnode_t *n) {
  switch (n->kind) {
    case PN_AND: return and3(eval(x, n->l), eval(x, n->r));
    case PN_OR: return or3(eval(x, n->l), eval(x, n->r));
    case PN_NOT: return not3(eval(x, n->l));
    default: return leaf(x, n);
  }
}

bool ice_scan_eval_manifest(const ice_scan_eval_t *e, const ice_partition_spec_t *spec, const ice_manifest_file_t *m) {
  if (!e || !m->partitions) return true;
  ectx_t x;
  memset(&x, 0, sizeof x);
  x.e = e;
  x.spec = spec;
  x.m = m;
  for (size_t k = 0; k < spec->n_fields && k < 64; k++) {
    const ice_field_t *src = ice_schema_find_id(e->schema, spec->fields[k].source_id);
    if (src && spec->fields[k].transform.kind != ICE_T_UNKNOWN &&
        !ice_transform_result_type(&spec->fields[k].transform, src->type, &x.ptype_store[k], NULL))
      x.ptypes[k] = &x.ptype_store[k];
  }
  return (eval(&x, e->b->root) & TV_TRUE) != 0;
}

int ice_scan_eval_file(const ice_scan_eval_t *e, const ice_partition_spec_t *spec, const ice_data_file_t *f) {
  if (!e) return 2;
  ectx_t x;
  memset(&x, 0, sizeof x);
  x.e = e;
  x.spec = spec;
  x.f = f;
  if (!(eval(&x, e->b->root) & TV_TRUE)) return 0;
  x.use_metrics = true;
  if (!(eval(&x, e->b->root) & TV_TRUE)) return 1;
  return 2;
}

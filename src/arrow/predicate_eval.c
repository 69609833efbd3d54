/* Evaluation of a bound predicate on a record batch: one typed loop over a column's buffers per
 * term, giving bitmaps of the rows where the term is true and where it is false (the others are
 * unknown: NULL), combined by three-valued logic. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/predicate_internal.h"

typedef __int128 i128;

typedef struct colview {
  bool ready;
  const struct ArrowArray *arr;  /* the column's array (dictionaries: the indices) */
  int64_t off;                   /* physical index of row 0 in arr */
  uint64_t *valid;               /* rows whose value is not null; NULL: every row */
  const struct ArrowArray *dict; /* dictionaries: the values */
} colview_t;

typedef struct evalctx {
  const prestige_bound_predicate_t *b;
  const struct ArrowArray *batch;
  int64_t n, nw;
  colview_t *views;
  prestige_error_t *err;
} evalctx_t;

static inline bool bit(const uint8_t *b, int64_t i) { return (b[i >> 3] >> (i & 7)) & 1; }
static inline bool wbit(const uint64_t *w, int64_t i) { return (w[i >> 6] >> (i & 63)) & 1; }

static int oom(evalctx_t *e) { return prestige_error_set(e->err, PRESTIGE_ENOMEM, "out of memory evaluating a filter"); }

static int unfit(evalctx_t *e, const bcol_t *c, const char *what) {
  return prestige_error_set(e->err, PRESTIGE_EINVAL, "filter: column \"%s\": the batch does not fit the schema (%s)", c->path,
                            what);
}

static uint64_t *words(int64_t nw, bool ones) {
  uint64_t *w = malloc((size_t)(nw ? nw : 1) * sizeof(uint64_t));
  if (w) memset(w, ones ? 0xff : 0, (size_t)(nw ? nw : 1) * sizeof(uint64_t));
  return w;
}

/* dictionary index of physical slot i */
static int64_t dict_index(const struct ArrowArray *a, prestige_arrow_type_t t, int64_t i) {
  const void *p = a->buffers[1];
  switch (t) {
    case PRESTIGE_ARROW_INT8: return ((const int8_t *)p)[i];
    case PRESTIGE_ARROW_UINT8: return ((const uint8_t *)p)[i];
    case PRESTIGE_ARROW_INT16: return ((const int16_t *)p)[i];
    case PRESTIGE_ARROW_UINT16: return ((const uint16_t *)p)[i];
    case PRESTIGE_ARROW_INT32: return ((const int32_t *)p)[i];
    case PRESTIGE_ARROW_UINT32: return ((const uint32_t *)p)[i];
    case PRESTIGE_ARROW_INT64: return ((const int64_t *)p)[i];
    default: {
      uint64_t u = ((const uint64_t *)p)[i];
      return u > INT64_MAX ? -1 : (int64_t)u;
    }
  }
}

/* ANDs the validity of array a (physical slots from off) into *valid. */
static int and_validity(evalctx_t *e, const struct ArrowArray *a, int64_t off, uint64_t **valid) {
  const uint8_t *v = a->n_buffers > 0 ? a->buffers[0] : NULL;
  if (!v || a->null_count == 0) return 0;
  if (!*valid && !(*valid = words(e->nw, true))) return oom(e);
  for (int64_t i = 0; i < e->n; i++)
    if (!bit(v, off + i)) (*valid)[i >> 6] &= ~((uint64_t)1 << (i & 63));
  return 0;
}

/* Finds column ci in the batch: its array, offset and validity (a null struct nulls its fields). */
static int view(evalctx_t *e, int32_t ci, colview_t **out) {
  colview_t *v = &e->views[ci];
  *out = v;
  if (v->ready) return 0;
  const bcol_t *c = &e->b->cols[ci];
  const struct ArrowArray *a = e->batch;
  int64_t off = a->offset;
  for (int32_t d = 0; d < c->depth; d++) {
    if (c->idx[d] >= a->n_children || !a->children || !a->children[c->idx[d]]) return unfit(e, c, "a field is missing");
    a = a->children[c->idx[d]];
    if (off < 0 || a->length < off + e->n) return unfit(e, c, "an array is too short");
    off += a->offset;
    if (d + 1 < c->depth || c->type.type != PRESTIGE_ARROW_NA || c->dict_owner) PRESTIGE_TRY(and_validity(e, a, off, &v->valid));
  }
  v->arr = a;
  v->off = off;
  if (c->type.type == PRESTIGE_ARROW_NA && !c->dict_owner) { /* every value is null */
    free(v->valid);
    if (!(v->valid = words(e->nw, false))) return oom(e);
  } else if (e->n > 0 && (c->vc != VC_NONE || c->dict_owner) &&
             (a->n_buffers < (c->dict_owner ? 2 : prestige_arrow_type_buffer_count(c->type.type)) || !a->buffers[1])) {
    return unfit(e, c, "the values buffer is missing");
  }
  if (c->dict_owner) { /* a null value in the dictionary is a null row; every index must be in range */
    const struct ArrowArray *d = a->dictionary;
    if (!d) return unfit(e, c, "the dictionary is missing");
    v->dict = d;
    const uint8_t *dv = d->n_buffers > 0 && d->null_count != 0 ? d->buffers[0] : NULL;
    for (int64_t i = 0; i < e->n; i++) {
      if (v->valid && !wbit(v->valid, i)) continue;
      int64_t k = dict_index(a, c->index_type.type, off + i);
      if (k < 0 || k >= d->length) return unfit(e, c, "a dictionary index is out of range");
      if (dv && !bit(dv, d->offset + k)) {
        if (!v->valid && !(v->valid = words(e->nw, true))) return oom(e);
        v->valid[i >> 6] &= ~((uint64_t)1 << (i & 63));
      }
    }
  }
  v->ready = true;
  return 0;
}

/* ---- typed comparison loops -------------------------------------------------------------------- */
/* Sets bit i of out[] to EXPR for rows 0..n-1 (EXPR reads row i). */
#define LOOP(EXPR)                                                  \
  for (int64_t w = 0; w < nw; w++) {                                \
    int64_t base = w << 6, m = n - base < 64 ? n - base : 64;       \
    uint64_t bits = 0;                                              \
    for (int64_t j = 0; j < m; j++) {                               \
      int64_t i = base + j;                                         \
      bits |= (uint64_t)(EXPR) << j;                                \
    }                                                               \
    out[w] = bits;                                                  \
  }

#define ORDERED_OPS(GET, L, IN_EXPR)         \
  switch (op) {                              \
    case OP_EQ: LOOP((GET) == (L)); break;   \
    case OP_NE: LOOP((GET) != (L)); break;   \
    case OP_LT: LOOP((GET) < (L)); break;    \
    case OP_LE: LOOP((GET) <= (L)); break;   \
    case OP_GT: LOOP((GET) > (L)); break;    \
    case OP_GE: LOOP((GET) >= (L)); break;   \
    default: LOOP(IN_EXPR); break;           \
  }

static inline bool in_i64(int64_t v, const bval_t *vals, int32_t nv) {
  for (int32_t k = 0; k < nv; k++)
    if (vals[k].i == v) return true;
  return false;
}
static inline bool in_u64(uint64_t v, const bval_t *vals, int32_t nv) {
  for (int32_t k = 0; k < nv; k++)
    if (vals[k].u == v) return true;
  return false;
}
static inline bool in_dec(i128 v, const bval_t *vals, int32_t nv) {
  for (int32_t k = 0; k < nv; k++)
    if (vals[k].dec == v) return true;
  return false;
}
/* NaN equals NaN and is greater than every other value (DuckDB, Arrow compute) */
static inline bool in_f64(double v, const bval_t *vals, int32_t nv, bool has_nan) {
  if (v != v) return has_nan;
  for (int32_t k = 0; k < nv; k++)
    if (vals[k].d == v) return true;
  return false;
}
static inline int bytes_cmp(const uint8_t *a, int64_t an, const uint8_t *b, int64_t bn) {
  int64_t m = an < bn ? an : bn;
  int r = m > 0 ? memcmp(a, b, (size_t)m) : 0;
  if (r) return r < 0 ? -1 : 1;
  return (an > bn) - (an < bn);
}
static inline bool in_bytes(const uint8_t *p, int64_t len, const bval_t *vals, int32_t nv) {
  for (int32_t k = 0; k < nv; k++)
    if (vals[k].len == len && (len == 0 || !memcmp(vals[k].bytes, p, (size_t)len))) return true;
  return false;
}

static inline bool f_gt(double x, double L) { return x > L || x != x; }
static inline bool f_ge(double x, double L) { return x >= L || x != x; }
static inline i128 load_dec(const uint8_t *p) {
  i128 d;
  memcpy(&d, p, 16);
  return d;
}

static double half_to_double(uint16_t h) {
  int ex = (h >> 10) & 0x1f, m = h & 0x3ff;
  double f = ex == 0 ? ldexp(m, -24) : ex == 31 ? (m ? NAN : INFINITY) : ldexp(m | 0x400, ex - 25);
  return (h & 0x8000) ? -f : f;
}

static void float_ops(cmp_op_t op, const bnode_t *nd, const double *vals_d, const float *vals_f, const uint16_t *vals_h,
                      int64_t n, int64_t nw, uint64_t *out) {
  double L = nd->n_vals ? nd->vals[0].d : 0;
#define GETF (vals_d ? vals_d[i] : vals_f ? (double)vals_f[i] : half_to_double(vals_h[i]))
  switch (op) {
    case OP_EQ: LOOP(GETF == L); break;
    case OP_NE: LOOP(!(GETF == L)); break;
    case OP_LT: LOOP(GETF < L); break;
    case OP_LE: LOOP(GETF <= L); break;
    case OP_GT: LOOP(f_gt(GETF, L)); break;
    case OP_GE: LOOP(f_ge(GETF, L)); break;
    case OP_ISNAN: LOOP(isnan(GETF)); break;
    case OP_NOTNAN: LOOP(!isnan(GETF)); break;
    default: LOOP(in_f64(GETF, nd->vals, nd->n_vals, nd->has_nan)); break;
  }
#undef GETF
}

/* Comparison bits of term nd for n values of array a from physical slot off (null slots give
 * anything; they are masked by the caller). */
static void compare(const bnode_t *nd, const bcol_t *c, const struct ArrowArray *a, int64_t off, int64_t n, uint64_t *out) {
  int64_t nw = (n + 63) >> 6;
  if (nd->kind == PN_CONST) {
    memset(out, nd->const_value ? 0xff : 0, (size_t)nw * sizeof(uint64_t));
    return;
  }
  cmp_op_t op = nd->kind == PN_IN ? OP_IN : nd->op;
  const bval_t *vals = nd->vals;
  int32_t nv = nd->n_vals;
  const void *buf = a->buffers[1];
  switch (c->type.type) {
    case PRESTIGE_ARROW_BOOL: {
      const uint8_t *x = buf;
      int64_t L = nv ? vals[0].i : 0;
      ORDERED_OPS((int64_t)bit(x, off + i), L, in_i64((int64_t)bit(x, off + i), vals, nv));
      return;
    }
    case PRESTIGE_ARROW_INT8: {
      const int8_t *x = (const int8_t *)buf + off;
      int64_t L = nv ? vals[0].i : 0;
      ORDERED_OPS((int64_t)x[i], L, in_i64(x[i], vals, nv));
      return;
    }
    case PRESTIGE_ARROW_INT16: {
      const int16_t *x = (const int16_t *)buf + off;
      int64_t L = nv ? vals[0].i : 0;
      ORDERED_OPS((int64_t)x[i], L, in_i64(x[i], vals, nv));
      return;
    }
    case PRESTIGE_ARROW_INT32: case PRESTIGE_ARROW_DATE32: case PRESTIGE_ARROW_TIME32: {
      const int32_t *x = (const int32_t *)buf + off;
      int64_t L = nv ? vals[0].i : 0;
      ORDERED_OPS((int64_t)x[i], L, in_i64(x[i], vals, nv));
      return;
    }
    case PRESTIGE_ARROW_INT64: case PRESTIGE_ARROW_DATE64: case PRESTIGE_ARROW_TIME64: case PRESTIGE_ARROW_TIMESTAMP:
    case PRESTIGE_ARROW_DURATION: {
      const int64_t *x = (const int64_t *)buf + off;
      int64_t L = nv ? vals[0].i : 0;
      ORDERED_OPS(x[i], L, in_i64(x[i], vals, nv));
      return;
    }
    case PRESTIGE_ARROW_UINT8: {
      const uint8_t *x = (const uint8_t *)buf + off;
      uint64_t L = nv ? vals[0].u : 0;
      ORDERED_OPS((uint64_t)x[i], L, in_u64(x[i], vals, nv));
      return;
    }
    case PRESTIGE_ARROW_UINT16: {
      const uint16_t *x = (const uint16_t *)buf + off;
      uint64_t L = nv ? vals[0].u : 0;
      ORDERED_OPS((uint64_t)x[i], L, in_u64(x[i], vals, nv));
      return;
    }
    case PRESTIGE_ARROW_UINT32: {
      const uint32_t *x = (const uint32_t *)buf + off;
      uint64_t L = nv ? vals[0].u : 0;
      ORDERED_OPS((uint64_t)x[i], L, in_u64(x[i], vals, nv));
      return;
    }
    case PRESTIGE_ARROW_UINT64: {
      const uint64_t *x = (const uint64_t *)buf + off;
      uint64_t L = nv ? vals[0].u : 0;
      ORDERED_OPS(x[i], L, in_u64(x[i], vals, nv));
      return;
    }
    case PRESTIGE_ARROW_FLOAT: float_ops(op, nd, NULL, (const float *)buf + off, NULL, n, nw, out); return;
    case PRESTIGE_ARROW_DOUBLE: float_ops(op, nd, (const double *)buf + off, NULL, NULL, n, nw, out); return;
    case PRESTIGE_ARROW_HALF_FLOAT: float_ops(op, nd, NULL, NULL, (const uint16_t *)buf + off, n, nw, out); return;
    case PRESTIGE_ARROW_DECIMAL128: {
      const uint8_t *x = (const uint8_t *)buf + off * 16;
      i128 L = nv ? vals[0].dec : 0;
      ORDERED_OPS(load_dec(x + i * 16), L, in_dec(load_dec(x + i * 16), vals, nv));
      return;
    }
    case PRESTIGE_ARROW_STRING: case PRESTIGE_ARROW_BINARY: case PRESTIGE_ARROW_LARGE_STRING:
    case PRESTIGE_ARROW_LARGE_BINARY: case PRESTIGE_ARROW_FIXED_SIZE_BINARY: {
      prestige_arrow_type_t t = c->type.type;
      const uint8_t *data = t == PRESTIGE_ARROW_FIXED_SIZE_BINARY ? buf : a->buffers[2]; /* FSB: 2 buffers */
      const int32_t *o32 = buf;
      const int64_t *o64 = buf;
      int64_t fw = c->type.fixed_size;
      if (!data) data = (const uint8_t *)""; /* only empty values: some producers leave no buffer */
#define START(i) (t == PRESTIGE_ARROW_FIXED_SIZE_BINARY ? (off + (i)) * fw \
                  : (t == PRESTIGE_ARROW_STRING || t == PRESTIGE_ARROW_BINARY) ? (int64_t)o32[off + (i)] : o64[off + (i)])
#define LEN(i) (t == PRESTIGE_ARROW_FIXED_SIZE_BINARY ? fw \
                : (t == PRESTIGE_ARROW_STRING || t == PRESTIGE_ARROW_BINARY) ? (int64_t)o32[off + (i) + 1] - o32[off + (i)] \
                                                                              : o64[off + (i) + 1] - o64[off + (i)])
      const uint8_t *Lp = nv ? vals[0].bytes : NULL;
      int64_t Ln = nv ? vals[0].len : 0;
      switch (op) {
        case OP_EQ: LOOP(LEN(i) == Ln && (Ln == 0 || !memcmp(data + START(i), Lp, (size_t)Ln))); break;
        case OP_NE: LOOP(!(LEN(i) == Ln && (Ln == 0 || !memcmp(data + START(i), Lp, (size_t)Ln)))); break;
        case OP_LT: LOOP(bytes_cmp(data + START(i), LEN(i), Lp, Ln) < 0); break;
        case OP_LE: LOOP(bytes_cmp(data + START(i), LEN(i), Lp, Ln) <= 0); break;
        case OP_GT: LOOP(bytes_cmp(data + START(i), LEN(i), Lp, Ln) > 0); break;
        case OP_GE: LOOP(bytes_cmp(data + START(i), LEN(i), Lp, Ln) >= 0); break;
        default: LOOP(in_bytes(data + START(i), LEN(i), vals, nv)); break;
      }
#undef START
#undef LEN
      return;
    }
    default: memset(out, 0, (size_t)nw * sizeof(uint64_t)); return;
  }
}

/* The comparison bits of a leaf over the batch's rows. */
static int leaf_bits(evalctx_t *e, const bnode_t *nd, const colview_t *v, uint64_t *out) {
  const bcol_t *c = &e->b->cols[nd->col];
  if (!v->dict) {
    compare(nd, c, v->arr, v->off, e->n, out);
    return 0;
  }
  const struct ArrowArray *d = v->dict;
  uint64_t *dbits = words((d->length + 63) >> 6, false);
  if (!dbits) return oom(e);
  if (d->length > 0 && nd->kind != PN_CONST && c->vc != VC_NONE &&
      (d->n_buffers < prestige_arrow_type_buffer_count(c->type.type) || !d->buffers[1])) {
    free(dbits);
    return unfit(e, c, "the dictionary's values buffer is missing");
  }
  compare(nd, c, d, d->offset, d->length, dbits); /* each dictionary value once */
  memset(out, 0, (size_t)e->nw * sizeof(uint64_t));
  for (int64_t i = 0; i < e->n; i++) {
    if (v->valid && !wbit(v->valid, i)) continue;
    if (wbit(dbits, dict_index(v->arr, c->index_type.type, v->off + i))) out[i >> 6] |= (uint64_t)1 << (i & 63);
  }
  free(dbits);
  return 0;
}

/* T: rows where nd is true, F: where it is false (neither: unknown). */
static int eval_node(evalctx_t *e, const bnode_t *nd, uint64_t **T, uint64_t **F) {
  *T = *F = NULL;
  int64_t nw = e->nw;
  if (nd->kind == PN_AND || nd->kind == PN_OR) {
    uint64_t *ta, *fa, *tb, *fb;
    PRESTIGE_TRY(eval_node(e, nd->l, &ta, &fa));
    int rc = eval_node(e, nd->r, &tb, &fb);
    if (rc) {
      free(ta);
      free(fa);
      return rc;
    }
    for (int64_t w = 0; w < nw; w++) {
      if (nd->kind == PN_AND) ta[w] &= tb[w], fa[w] |= fb[w];
      else ta[w] |= tb[w], fa[w] &= fb[w];
    }
    free(tb);
    free(fb);
    *T = ta;
    *F = fa;
    return 0;
  }
  if (nd->kind == PN_NOT) return eval_node(e, nd->l, F, T);
  colview_t *v;
  PRESTIGE_TRY(view(e, nd->col, &v));
  uint64_t *t = words(nw, false), *f = words(nw, false);
  if (!t || !f) {
    free(t);
    free(f);
    return oom(e);
  }
  if (nd->kind == PN_IS_NULL || nd->kind == PN_NOT_NULL) {
    for (int64_t w = 0; w < nw; w++) {
      uint64_t valid = v->valid ? v->valid[w] : ~(uint64_t)0;
      t[w] = nd->kind == PN_IS_NULL ? ~valid : valid;
      f[w] = ~t[w];
    }
  } else {
    int rc = leaf_bits(e, nd, v, t);
    if (rc) {
      free(t);
      free(f);
      return rc;
    }
    for (int64_t w = 0; w < nw; w++) {
      uint64_t valid = v->valid ? v->valid[w] : ~(uint64_t)0;
      f[w] = ~t[w] & valid;
      t[w] &= valid;
    }
  }
  *T = t;
  *F = f;
  return 0;
}

int prestige_bound_predicate_select(const prestige_bound_predicate_t *b, const struct ArrowArray *batch, uint8_t *selection,
                                    int64_t *n_selected, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  *n_selected = 0;
  if (!b || !batch || !selection || batch->length < 0)
    return prestige_error_set(err, PRESTIGE_EINVAL, "filter: select needs a bound predicate, a batch and a selection");
  int64_t n = batch->length;
  if (n == 0) return 0;
  evalctx_t e = {b, batch, n, (n + 63) >> 6, calloc((size_t)(b->n_cols ? b->n_cols : 1), sizeof(colview_t)), err};
  if (!e.views) return oom(&e);
  uint64_t *t = NULL, *f = NULL;
  int rc = eval_node(&e, b->root, &t, &f);
  if (!rc) {
    if (n & 63) t[e.nw - 1] &= ((uint64_t)1 << (n & 63)) - 1;
    int64_t count = 0;
    for (int64_t w = 0; w < e.nw; w++) count += __builtin_popcountll(t[w]);
    memcpy(selection, t, (size_t)(n + 7) / 8); /* little-endian words are LSB-first bytes */
    *n_selected = count;
  }
  free(t);
  free(f);
  for (int64_t i = 0; i < b->n_cols; i++) free(e.views[i].valid);
  free(e.views);
  return rc;
}

int prestige_bound_predicate_filter(const prestige_bound_predicate_t *b, struct ArrowArray *batch, struct ArrowArray *out,
                                    prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  memset(out, 0, sizeof(*out));
  if (!batch || !batch->release) return prestige_error_set(err, PRESTIGE_EINVAL, "filter: no batch");
  uint8_t *sel = malloc((size_t)(batch->length + 7) / 8 + 1);
  if (!sel) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory evaluating a filter");
  int64_t n_sel;
  int rc = prestige_bound_predicate_select(b, batch, sel, &n_sel, err);
  if (!rc && n_sel == batch->length) {
    prestige_array_move(batch, out); /* every row: no copy */
  } else if (!rc) {
    rc = prestige_array_filter(batch, &b->schema, sel, n_sel, out, err);
    if (!rc) batch->release(batch);
  }
  free(sel);
  return rc;
}

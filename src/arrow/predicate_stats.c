/* Evaluation of a bound predicate on column statistics (min/max bounds, null, NaN and value
 * counts) with three-valued logic: for each term, the set of truth values the described rows may
 * take; for pages, the row ranges where the predicate may be true. */
#include <stdlib.h>
#include <string.h>

#include "arrow/predicate_internal.h"

typedef __int128 i128;

void prestige_column_stats_init(prestige_column_stats_t *s) {
  memset(s, 0, sizeof(*s));
  s->value_count = s->null_count = s->nan_count = -1;
}

static i128 load_dec(const uint8_t *p) {
  i128 d;
  memcpy(&d, p, 16);
  return d;
}

static int bytes_cmp(const uint8_t *a, int64_t an, const uint8_t *b, int64_t bn) {
  int64_t m = an < bn ? an : bn;
  int r = m > 0 && a && b ? memcmp(a, b, (size_t)m) : 0;
  if (r) return r < 0 ? -1 : 1;
  return (an > bn) - (an < bn);
}

#define CMP3(a, b) (((a) > (b)) - ((a) < (b)))

/* statistic value vs literal */
static int cmp_lit(const bcol_t *c, const prestige_scalar_t *s, const bval_t *v) {
  switch (c->vc) {
    case VC_U64: return CMP3(s->u64, v->u);
    case VC_F64: return CMP3(s->f64, v->d);
    case VC_DEC: return CMP3(load_dec(s->decimal), v->dec);
    case VC_BYTES: return bytes_cmp(s->bytes, s->len, v->bytes, v->len);
    default: return CMP3(s->i64, v->i);
  }
}

/* statistic vs statistic */
static int cmp_stat(const bcol_t *c, const prestige_scalar_t *a, const prestige_scalar_t *b) {
  switch (c->vc) {
    case VC_U64: return CMP3(a->u64, b->u64);
    case VC_F64: return CMP3(a->f64, b->f64);
    case VC_DEC: return CMP3(load_dec(a->decimal), load_dec(b->decimal));
    case VC_BYTES: return bytes_cmp(a->bytes, a->len, b->bytes, b->len);
    default: return CMP3(a->i64, b->i64);
  }
}

/* Truth values "v op L" may take for non-NaN values v in [min, max] (either bound may be absent). */
static unsigned range_possible(const bcol_t *c, cmp_op_t op, const bval_t *L, const prestige_column_stats_t *s) {
  bool lo = s->has_min, hi = s->has_max;
  int cl = lo ? cmp_lit(c, &s->min, L) : 0, ch = hi ? cmp_lit(c, &s->max, L) : 0;
  bool t, f;
  switch (op) {
    case OP_EQ: case OP_NE: {
      bool eq_t = (!lo || cl <= 0) && (!hi || ch >= 0), eq_f = !(lo && hi && cl == 0 && ch == 0);
      t = op == OP_EQ ? eq_t : eq_f;
      f = op == OP_EQ ? eq_f : eq_t;
      break;
    }
    case OP_LT: t = !lo || cl < 0, f = !hi || ch >= 0; break;
    case OP_LE: t = !lo || cl <= 0, f = !hi || ch > 0; break;
    case OP_GT: t = !hi || ch > 0, f = !lo || cl <= 0; break;
    case OP_GE: t = !hi || ch >= 0, f = !lo || cl < 0; break;
    case OP_ISNAN: t = false, f = true; break;
    default: t = true, f = false; break; /* OP_NOTNAN */
  }
  return (t ? TV_TRUE : 0) | (f ? TV_FALSE : 0);
}

/* What "NaN op L" gives (NaN is the greatest value and equals only NaN). */
static unsigned nan_result(const bnode_t *n) {
  if (n->kind == PN_IN) return n->has_nan ? TV_TRUE : TV_FALSE;
  switch (n->op) {
    case OP_NE: case OP_GT: case OP_GE: case OP_ISNAN: return TV_TRUE;
    default: return TV_FALSE;
  }
}

unsigned pred_leaf_possible(const prestige_bound_predicate_t *b, const bnode_t *n, const prestige_column_stats_t *s) {
  const bcol_t *c = &b->cols[n->col];
  if (s->value_count == 0) return 0; /* no rows */
  bool nulls = s->null_count != 0;
  bool all_null = s->null_count >= 0 && s->value_count >= 0 && s->null_count >= s->value_count;
  if (c->type.type == PRESTIGE_ARROW_NA && !c->dict_owner) nulls = all_null = true;
  if (n->kind == PN_IS_NULL) return (nulls ? TV_TRUE : 0) | (all_null ? 0 : TV_FALSE);
  if (n->kind == PN_NOT_NULL) return (nulls ? TV_FALSE : 0) | (all_null ? 0 : TV_TRUE);
  unsigned m = nulls ? TV_NULL : 0;
  if (all_null) return m;
  if (n->kind == PN_CONST) return m | (n->const_value ? TV_TRUE : TV_FALSE);
  if (c->vc == VC_NONE) return m | TV_TRUE | TV_FALSE;
  bool floats = c->vc == VC_F64;
  int64_t non_null = s->value_count >= 0 && s->null_count >= 0 ? s->value_count - s->null_count : -1;
  bool nan = floats && s->nan_count != 0;
  bool only_nan = floats && s->nan_count > 0 && non_null >= 0 && s->nan_count >= non_null;
  if (nan) m |= nan_result(n);
  if (only_nan) return m;
  if (n->kind == PN_IN) {
    bool t = false, f = true;
    bool single = s->has_min && s->has_max && cmp_stat(c, &s->min, &s->max) == 0;
    for (int32_t k = 0; k < n->n_vals; k++) {
      if (range_possible(c, OP_EQ, &n->vals[k], s) & TV_TRUE) t = true;
      if (single && cmp_lit(c, &s->min, &n->vals[k]) == 0) f = false; /* the only value is in the list */
    }
    return m | (t ? TV_TRUE : 0) | (f ? TV_FALSE : 0);
  }
  return m | range_possible(c, n->op, n->n_vals ? &n->vals[0] : NULL, s);
}

/* ---- whole statistics -------------------------------------------------------------------------- */
static unsigned eval_mask(const prestige_bound_predicate_t *b, const bnode_t *n, const prestige_column_stats_t *stats) {
  switch (n->kind) {
    case PN_AND: return and3(eval_mask(b, n->l, stats), eval_mask(b, n->r, stats));
    case PN_OR: return or3(eval_mask(b, n->l, stats), eval_mask(b, n->r, stats));
    case PN_NOT: return not3(eval_mask(b, n->l, stats));
    default: return pred_leaf_possible(b, n, &stats[n->col]);
  }
}

prestige_stats_match_t prestige_bound_predicate_eval_stats(const prestige_bound_predicate_t *b,
                                                           const prestige_column_stats_t *stats) {
  if (!b || !stats) return PRESTIGE_STATS_SOME;
  unsigned m = eval_mask(b, b->root, stats);
  if (!(m & TV_TRUE)) return PRESTIGE_STATS_NONE;
  return m == TV_TRUE ? PRESTIGE_STATS_ALL : PRESTIGE_STATS_SOME;
}

/* ---- row ranges -------------------------------------------------------------------------------- */
int row_ranges_push(row_ranges_t *r, int64_t start, int64_t end) {
  if (start >= end) return 0;
  if (r->n > 0 && r->v[r->n - 1].end >= start) { /* touching or overlapping the last: extend it */
    if (end > r->v[r->n - 1].end) r->v[r->n - 1].end = end;
    return 0;
  }
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 16;
    row_range_t *g = realloc(r->v, cap * sizeof(*g));
    if (!g) return PRESTIGE_ENOMEM;
    r->v = g;
    r->cap = cap;
  }
  r->v[r->n++] = (row_range_t){start, end};
  return 0;
}

void row_ranges_free(row_ranges_t *r) {
  free(r->v);
  memset(r, 0, sizeof(*r));
}

int64_t row_ranges_count(const row_ranges_t *r) {
  int64_t n = 0;
  for (size_t i = 0; i < r->n; i++) n += r->v[i].end - r->v[i].start;
  return n;
}

int row_ranges_and(const row_ranges_t *a, const row_ranges_t *b, row_ranges_t *out) {
  size_t i = 0, j = 0;
  while (i < a->n && j < b->n) {
    int64_t s0 = a->v[i].start > b->v[j].start ? a->v[i].start : b->v[j].start;
    int64_t e0 = a->v[i].end < b->v[j].end ? a->v[i].end : b->v[j].end;
    if (row_ranges_push(out, s0, e0)) return PRESTIGE_ENOMEM;
    if (a->v[i].end < b->v[j].end) i++;
    else j++;
  }
  return 0;
}

int row_ranges_or(const row_ranges_t *a, const row_ranges_t *b, row_ranges_t *out) {
  size_t i = 0, j = 0;
  while (i < a->n || j < b->n) {
    const row_range_t *x = j >= b->n || (i < a->n && a->v[i].start <= b->v[j].start) ? &a->v[i++] : &b->v[j++];
    if (row_ranges_push(out, x->start, x->end)) return PRESTIGE_ENOMEM;
  }
  return 0;
}

/* Rows where a node may be true (t) and may be false (f). Unknown (NULL) never turns true
 * under NOT, so it needs no ranges of its own. */
typedef struct tf {
  row_ranges_t t, f;
} tf_t;

static void tf_free(tf_t *x) {
  row_ranges_free(&x->t);
  row_ranges_free(&x->f);
}

static int leaf_ranges(const prestige_bound_predicate_t *b, const bnode_t *n, const stats_segment_t *segs, int64_t nseg,
                       int64_t num_rows, tf_t *out) {
  int64_t at = 0;
  for (int64_t i = 0; i < nseg; i++) {
    if (segs[i].start > at) { /* rows no segment describes */
      if (row_ranges_push(&out->t, at, segs[i].start) || row_ranges_push(&out->f, at, segs[i].start)) return PRESTIGE_ENOMEM;
    }
    unsigned m = pred_leaf_possible(b, n, &segs[i].stats);
    if ((m & TV_TRUE) && row_ranges_push(&out->t, segs[i].start, segs[i].end)) return PRESTIGE_ENOMEM;
    if ((m & TV_FALSE) && row_ranges_push(&out->f, segs[i].start, segs[i].end)) return PRESTIGE_ENOMEM;
    at = segs[i].end;
  }
  if (at < num_rows && (row_ranges_push(&out->t, at, num_rows) || row_ranges_push(&out->f, at, num_rows)))
    return PRESTIGE_ENOMEM;
  return 0;
}

static int eval_ranges(const prestige_bound_predicate_t *b, const bnode_t *n, const stats_segment_t *const *segs,
                       const int64_t *n_segs, int64_t num_rows, tf_t *out) {
  memset(out, 0, sizeof(*out));
  if (n->kind == PN_NOT) {
    PRESTIGE_TRY(eval_ranges(b, n->l, segs, n_segs, num_rows, out));
    row_ranges_t t = out->t;
    out->t = out->f;
    out->f = t;
    return 0;
  }
  if (n->kind == PN_AND || n->kind == PN_OR) {
    tf_t l, r;
    int rc = eval_ranges(b, n->l, segs, n_segs, num_rows, &l);
    if (rc) return rc;
    rc = eval_ranges(b, n->r, segs, n_segs, num_rows, &r);
    if (!rc) {
      bool is_and = n->kind == PN_AND;
      rc = is_and ? row_ranges_and(&l.t, &r.t, &out->t) : row_ranges_or(&l.t, &r.t, &out->t);
      if (!rc) rc = is_and ? row_ranges_or(&l.f, &r.f, &out->f) : row_ranges_and(&l.f, &r.f, &out->f);
      tf_free(&r);
    }
    tf_free(&l);
    if (rc) tf_free(out);
    return rc;
  }
  int rc = leaf_ranges(b, n, segs[n->col], n_segs[n->col], num_rows, out);
  if (rc) tf_free(out);
  return rc;
}

int pred_eval_segments(const prestige_bound_predicate_t *b, const stats_segment_t *const *segs, const int64_t *n_segs,
                       int64_t num_rows, row_ranges_t *out) {
  memset(out, 0, sizeof(*out));
  /* segments out of order or outside the rows tell nothing: such a column counts as unknown */
  int64_t *ns = calloc((size_t)(b->n_cols ? b->n_cols : 1), sizeof(int64_t));
  if (!ns) return PRESTIGE_ENOMEM;
  for (int64_t c = 0; c < b->n_cols; c++) {
    int64_t at = 0;
    bool ok = true;
    for (int64_t i = 0; ok && i < n_segs[c]; i++) {
      ok = segs[c][i].start >= at && segs[c][i].end >= segs[c][i].start && segs[c][i].end <= num_rows;
      at = segs[c][i].end;
    }
    ns[c] = ok ? n_segs[c] : 0;
  }
  tf_t r;
  int rc = eval_ranges(b, b->root, segs, ns, num_rows, &r);
  free(ns);
  if (rc) return rc;
  row_ranges_free(&r.f);
  *out = r.t;
  return 0;
}

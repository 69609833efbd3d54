/* Parquet writer levels: definition and repetition levels of a leaf from nested Arrow arrays, the
 * value indices they select, and the values checked before a batch is taken. */
#include "parquet/writer_column_internal.h"

/* ---- levels ------------------------------------------------------------------------------------ */
typedef struct lv {
  pqw_column_t *c;
  int64_t *idx;
  int64_t n_idx, cap_idx;
  int rc;
  bool dry;     /* only collect the value indices (pqw_column_check) */
  int64_t *row; /* dry: the top-level row of each value index */
  int64_t cur_row;
} lv_t;

static inline void emit(lv_t *s, int16_t def, int16_t rep, int64_t value_index) {
  pqw_column_t *c = s->c;
  if (s->dry) {
    if (def != c->leaf->max_def) return;
  } else {
    if (c->leaf->max_def > 0) s->rc |= buf_append(&c->def, &def, 2);
    if (c->leaf->max_rep > 0) s->rc |= buf_append(&c->rep, &rep, 2);
    c->page_levels++;
  }
  if (def == c->leaf->max_def) {
    if (s->n_idx == s->cap_idx) {
      int64_t cap = s->cap_idx ? s->cap_idx * 2 : 1024;
      int64_t *p = realloc(s->idx, (size_t)cap * sizeof(int64_t));
      if (!p) {
        s->rc = 1;
        return;
      }
      s->idx = p;
      s->cap_idx = cap;
      if (s->dry) {
        int64_t *r = realloc(s->row, (size_t)cap * sizeof(int64_t));
        if (!r) {
          s->rc = 1;
          return;
        }
        s->row = r;
      }
    }
    if (s->dry) s->row[s->n_idx] = s->cur_row;
    s->idx[s->n_idx++] = value_index;
  } else {
    c->page_nulls++;
    c->page_stats.null_count++;
  }
}

/* The child elements [*st, *en) of list, map or fixed-size list element abs. */
static inline void child_range(const pqw_node_t *nd, const struct ArrowArray *a, int64_t abs, int64_t *st, int64_t *en) {
  if (nd->kind == NODE_FIXED_LIST) {
    *st = abs * nd->fixed_size;
    *en = *st + nd->fixed_size;
  } else if (nd->large) {
    *st = ((const int64_t *)a->buffers[1])[abs];
    *en = ((const int64_t *)a->buffers[1])[abs + 1];
  } else {
    *st = ((const int32_t *)a->buffers[1])[abs];
    *en = ((const int32_t *)a->buffers[1])[abs + 1];
  }
}

static void walk(lv_t *s, int k, const struct ArrowArray *a, int64_t i, int16_t def, int16_t rep) {
  const pqw_node_t *nd = &s->c->leaf->nodes[k];
  int64_t abs = a->offset + i;
  if (nd->nullable) {
    if (!prestige_array_is_valid(a, i)) {
      emit(s, def, rep, -1);
      return;
    }
    def++;
  }
  switch (nd->kind) {
    case NODE_LEAF: emit(s, def, rep, abs); return;
    case NODE_STRUCT: walk(s, k + 1, a->children[nd->child], abs, def, rep); return;
    case NODE_LIST:
    case NODE_MAP:
    case NODE_FIXED_LIST: {
      int64_t st, en;
      child_range(nd, a, abs, &st, &en);
      if (st == en) {
        emit(s, def, rep, -1);
        return;
      }
      for (int64_t j = st; j < en; j++) walk(s, k + 1, a->children[0], j, (int16_t)(def + 1), j == st ? rep : nd->rep);
      return;
    }
  }
}

static const struct ArrowArray *leaf_array(const pqw_leaf_t *l, const struct ArrowArray *batch) {
  const struct ArrowArray *a = batch->children[l->top];
  for (int k = 0; k < l->depth - 1; k++) {
    const pqw_node_t *nd = &l->nodes[k];
    a = nd->kind == NODE_STRUCT ? a->children[nd->child] : a->children[0];
  }
  return a;
}

/* Parquet INTERVAL holds unsigned 32-bit months, days and milliseconds. */
static int check_interval(const pqw_leaf_t *l, const uint8_t *x, int64_t row, prestige_error_t *err) {
  int32_t months, days;
  int64_t ns;
  memcpy(&months, x, 4);
  memcpy(&days, x + 4, 4);
  memcpy(&ns, x + 8, 8);
  const char *why = months < 0 || days < 0 || ns < 0 ? "is negative (Parquet INTERVAL is unsigned)"
                    : ns % 1000000 ? "is finer than a millisecond (Parquet INTERVAL holds milliseconds)"
                    : ns / 1000000 > UINT32_MAX ? "has more milliseconds than Parquet INTERVAL holds (2^32 - 1)"
                    : NULL;
  if (!why) return 0;
  char text[96];
  prestige_interval_format(months, days, ns, text, sizeof(text));
  return prestige_error_set(err, PRESTIGE_ETYPE, "column \"%s\": interval \"%s\" (%d months, %d days, %lld ns) at row %lld %s",
                            l->path, text, months, days, (long long)ns, (long long)row, why);
}

/* ---- nulls in fields that are not nullable ------------------------------------------------------ */
/* Such a field is a required Parquet field: it has no definition level to say "null", so a null
 * there would be written as whatever bytes sit under it (a zero, usually). Refused instead, as
 * Arrow C++ does ("declared non-nullable but contains nulls"). Only nulls a reader could reach
 * count: a child under a null struct or list element is never read. */
static inline bool may_have_nulls(const struct ArrowArray *a) { return a->n_buffers > 0 && a->buffers[0] && a->null_count != 0; }

static bool required_null(const pqw_leaf_t *l, int k, const struct ArrowArray *a, int64_t i) {
  const pqw_node_t *nd = &l->nodes[k];
  if (may_have_nulls(a) && !prestige_array_is_valid(a, i)) return !nd->nullable;
  int64_t abs = a->offset + i;
  switch (nd->kind) {
    case NODE_LEAF: return false;
    case NODE_STRUCT: return required_null(l, k + 1, a->children[nd->child], abs);
    case NODE_LIST:
    case NODE_MAP:
    case NODE_FIXED_LIST: {
      int64_t st, en;
      child_range(nd, a, abs, &st, &en);
      for (int64_t j = st; j < en; j++)
        if (required_null(l, k + 1, a->children[0], j)) return true;
      return false;
    }
  }
  return false;
}

static int check_required(const pqw_leaf_t *l, const struct ArrowArray *top, int64_t r0, int64_t row0, int64_t n,
                          prestige_error_t *err) {
  /* most batches: no array on the path that is both required and holding nulls */
  const struct ArrowArray *a = top;
  bool suspect = false;
  for (int k = 0; k < l->depth && !suspect; k++) {
    const pqw_node_t *nd = &l->nodes[k];
    suspect = !nd->nullable && may_have_nulls(a);
    if (k + 1 < l->depth) a = nd->kind == NODE_STRUCT ? a->children[nd->child] : a->children[0];
  }
  if (!suspect) return 0;
  for (int64_t k = 0; k < n; k++)
    if (required_null(l, 0, top, r0 + k))
      return prestige_error_set(err, PRESTIGE_EINVAL,
                                "column \"%s\": a null at row %lld, in a field that is not nullable (nothing could be "
                                "written for it)", l->path, (long long)(row0 + k));
  return 0;
}

int pqw_column_check(pqw_column_t *c, const struct ArrowArray *batch, int64_t row0, int64_t n, prestige_error_t *err) {
  const pqw_leaf_t *l = c->leaf;
  const struct ArrowArray *top = batch->children[l->top];
  PRESTIGE_TRY(check_required(l, top, batch->offset + row0, row0, n, err));
  if (l->conv != CONV_INTERVAL) return 0;
  const uint8_t *vals = leaf_array(l, batch)->buffers[1];
  int64_t r0 = batch->offset + row0;
  if (l->depth == 1) {
    for (int64_t k = 0; k < n; k++)
      if (prestige_array_is_valid(top, r0 + k)) PRESTIGE_TRY(check_interval(l, vals + (top->offset + r0 + k) * 16, row0 + k, err));
    return 0;
  }
  lv_t s = {.c = c, .dry = true};
  for (int64_t k = 0; k < n && !s.rc; k++) {
    s.cur_row = row0 + k;
    walk(&s, 0, top, r0 + k, 0, 0);
  }
  int rc = s.rc ? pqw_oom(err, c) : 0;
  for (int64_t k = 0; !rc && k < s.n_idx; k++) rc = check_interval(l, vals + s.idx[k] * 16, s.row[k], err);
  free(s.idx);
  free(s.row);
  return rc;
}

int pqw_column_append(pqw_column_t *c, const struct ArrowArray *batch, int64_t row0, int64_t n, prestige_error_t *err) {
  const pqw_leaf_t *l = c->leaf;
  const struct ArrowArray *top = batch->children[l->top];
  const struct ArrowArray *la = leaf_array(l, batch);
  /* The batch's own offset shifts its columns. */
  int64_t r0 = batch->offset + row0;
  c->page_rows += n;
  if (l->depth == 1) { /* flat column: levels straight from the validity bitmap */
    const pqw_node_t *nd = &l->nodes[0];
    int64_t base = top->offset + r0;
    bool has_nulls = nd->nullable && top->null_count != 0 && top->buffers[0];
    if (l->max_def > 0) {
      if (buf_reserve(&c->def, (size_t)n * 2)) return pqw_oom(err, c);
      int16_t *d = (int16_t *)(c->def.data + c->def.len);
      for (int64_t k = 0; k < n; k++) d[k] = has_nulls ? (int16_t)prestige_array_is_valid(top, r0 + k) : 1;
      c->def.len += (size_t)n * 2;
    }
    c->page_levels += n;
    if (!has_nulls) return pqw_append_values(c, la, NULL, base, n, err);
    lv_t s = {.c = c};
    int64_t *idx = malloc((size_t)(n ? n : 1) * sizeof(int64_t));
    if (!idx) return pqw_oom(err, c);
    int64_t m = 0;
    for (int64_t k = 0; k < n; k++) {
      if (prestige_array_is_valid(top, r0 + k)) idx[m++] = base + k;
    }
    c->page_nulls += n - m;
    c->page_stats.null_count += n - m;
    int rc = pqw_append_values(c, la, idx, 0, m, err);
    free(idx);
    (void)s;
    return rc;
  }
  lv_t s = {.c = c};
  for (int64_t k = 0; k < n; k++) walk(&s, 0, top, r0 + k, 0, 0);
  int rc = s.rc ? pqw_oom(err, c) : pqw_append_values(c, la, s.idx, 0, s.n_idx, err);
  free(s.idx);
  return rc;
}

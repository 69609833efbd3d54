/* Filters over top-level columns: parsing, evaluation on rows, and pruning by statistics. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parquet/predicate.h"

typedef struct lit {
  bool is_string;
  char *text; /* strings and the numeric text as written */
  double d;
  int64_t i;
  bool is_int;
} lit_t;

struct prestige_predicate {
  pred_op_t op;
  char *column;
  lit_t *values;
  int n_values;
  struct prestige_predicate *l, *r;
};

void prestige_predicate_free(prestige_predicate_t *p) {
  if (!p) return;
  prestige_predicate_free(p->l);
  prestige_predicate_free(p->r);
  for (int i = 0; i < p->n_values; i++) free(p->values[i].text);
  free(p->values);
  free(p->column);
  free(p);
}

/* ---- parsing ---------------------------------------------------------------------------------- */
typedef struct parser {
  const char *s, *p;
  prestige_error_t *err;
} parser_t;

static void skip_ws(parser_t *ps) {
  while (isspace((unsigned char)*ps->p)) ps->p++;
}

static int perr(parser_t *ps, const char *what) {
  return prestige_error_set(ps->err, PRESTIGE_EINVAL, "filter \"%s\": %s at character %d", ps->s, what,
                            (int)(ps->p - ps->s) + 1);
}

static bool keyword(parser_t *ps, const char *kw) {
  skip_ws(ps);
  size_t n = strlen(kw);
  if (strncasecmp(ps->p, kw, n) == 0 && !isalnum((unsigned char)ps->p[n]) && ps->p[n] != '_') {
    ps->p += n;
    return true;
  }
  return false;
}

static int parse_ident(parser_t *ps, char **out) {
  skip_ws(ps);
  const char *start = ps->p;
  if (*ps->p == '"') {
    start = ++ps->p;
    while (*ps->p && *ps->p != '"') ps->p++;
    if (*ps->p != '"') return perr(ps, "unterminated quoted column name");
    *out = strndup(start, (size_t)(ps->p - start));
    ps->p++;
  } else {
    while (isalnum((unsigned char)*ps->p) || *ps->p == '_' || *ps->p == '.') ps->p++;
    if (ps->p == start) return perr(ps, "expected a column name");
    *out = strndup(start, (size_t)(ps->p - start));
  }
  return *out ? 0 : prestige_error_set(ps->err, PRESTIGE_ENOMEM, "out of memory");
}

static int parse_literal(parser_t *ps, lit_t *l) {
  skip_ws(ps);
  memset(l, 0, sizeof(*l));
  if (*ps->p == '\'') {
    buf_t b = BUF_INIT;
    ps->p++;
    for (;;) {
      if (!*ps->p) {
        buf_release(&b);
        return perr(ps, "unterminated string");
      }
      if (*ps->p == '\'') {
        if (ps->p[1] == '\'') {
          buf_append_u8(&b, '\'');
          ps->p += 2;
          continue;
        }
        ps->p++;
        break;
      }
      buf_append_u8(&b, (uint8_t)*ps->p++);
    }
    buf_append_u8(&b, 0);
    l->is_string = true;
    l->text = (char *)buf_detach(&b, NULL);
    return l->text ? 0 : prestige_error_set(ps->err, PRESTIGE_ENOMEM, "out of memory");
  }
  if (keyword(ps, "true") || keyword(ps, "false")) {
    bool t = tolower((unsigned char)ps->p[-1]) == 'e' && tolower((unsigned char)ps->p[-2]) == 'u';
    l->is_int = true;
    l->i = t;
    l->d = t;
    l->text = strdup(t ? "true" : "false");
    return 0;
  }
  const char *start = ps->p;
  errno = 0;
  char *end;
  double d = strtod(ps->p, &end);
  if (end == ps->p || errno) return perr(ps, "expected a value (number, 'string', true or false)");
  l->text = strndup(start, (size_t)(end - start));
  l->d = d;
  char *iend;
  errno = 0;
  long long iv = strtoll(start, &iend, 10);
  if (iend == end && !errno) l->is_int = true, l->i = iv;
  ps->p = end;
  return 0;
}

static int parse_or(parser_t *ps, prestige_predicate_t **out);

static int parse_term(parser_t *ps, prestige_predicate_t **out) {
  skip_ws(ps);
  if (*ps->p == '(') {
    ps->p++;
    PRESTIGE_TRY(parse_or(ps, out));
    skip_ws(ps);
    if (*ps->p != ')') return perr(ps, "expected )");
    ps->p++;
    return 0;
  }
  prestige_predicate_t *p = calloc(1, sizeof(*p));
  if (!p) return prestige_error_set(ps->err, PRESTIGE_ENOMEM, "out of memory");
  *out = p;
  PRESTIGE_TRY(parse_ident(ps, &p->column));
  skip_ws(ps);
  if (keyword(ps, "IS")) {
    bool neg = keyword(ps, "NOT");
    if (!keyword(ps, "NULL")) return perr(ps, "expected NULL");
    p->op = neg ? PRED_NOT_NULL : PRED_IS_NULL;
    return 0;
  }
  if (keyword(ps, "IN")) {
    skip_ws(ps);
    if (*ps->p != '(') return perr(ps, "expected ( after IN");
    ps->p++;
    p->op = PRED_IN;
    for (;;) {
      lit_t *v = realloc(p->values, (size_t)(p->n_values + 1) * sizeof(lit_t));
      if (!v) return prestige_error_set(ps->err, PRESTIGE_ENOMEM, "out of memory");
      p->values = v;
      PRESTIGE_TRY(parse_literal(ps, &p->values[p->n_values]));
      p->n_values++;
      skip_ws(ps);
      if (*ps->p == ',') {
        ps->p++;
        continue;
      }
      if (*ps->p == ')') {
        ps->p++;
        return 0;
      }
      return perr(ps, "expected , or ) in the IN list");
    }
  }
  static const struct {
    const char *tok;
    pred_op_t op;
  } ops[] = {{"<=", PRED_LE}, {">=", PRED_GE}, {"!=", PRED_NE}, {"<>", PRED_NE}, {"==", PRED_EQ},
             {"=", PRED_EQ},  {"<", PRED_LT},  {">", PRED_GT}};
  bool found = false;
  for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
    size_t n = strlen(ops[k].tok);
    if (!strncmp(ps->p, ops[k].tok, n)) {
      p->op = ops[k].op;
      ps->p += n;
      found = true;
      break;
    }
  }
  if (!found) return perr(ps, "expected an operator (= != < <= > >= IN IS)");
  p->values = calloc(1, sizeof(lit_t));
  if (!p->values) return prestige_error_set(ps->err, PRESTIGE_ENOMEM, "out of memory");
  p->n_values = 1;
  return parse_literal(ps, &p->values[0]);
}

static int parse_and(parser_t *ps, prestige_predicate_t **out) {
  PRESTIGE_TRY(parse_term(ps, out));
  while (keyword(ps, "AND")) {
    prestige_predicate_t *n = calloc(1, sizeof(*n));
    if (!n) return prestige_error_set(ps->err, PRESTIGE_ENOMEM, "out of memory");
    n->op = PRED_AND;
    n->l = *out;
    *out = n;
    PRESTIGE_TRY(parse_term(ps, &n->r));
  }
  return 0;
}

static int parse_or(parser_t *ps, prestige_predicate_t **out) {
  PRESTIGE_TRY(parse_and(ps, out));
  while (keyword(ps, "OR")) {
    prestige_predicate_t *n = calloc(1, sizeof(*n));
    if (!n) return prestige_error_set(ps->err, PRESTIGE_ENOMEM, "out of memory");
    n->op = PRED_OR;
    n->l = *out;
    *out = n;
    PRESTIGE_TRY(parse_and(ps, &n->r));
  }
  return 0;
}

int prestige_predicate_parse(const char *text, prestige_predicate_t **out, prestige_error_t *err) {
  parser_t ps = {text, text, err};
  *out = NULL;
  int rc = parse_or(&ps, out);
  if (!rc) {
    skip_ws(&ps);
    if (*ps.p) rc = perr(&ps, "unexpected text");
  }
  if (rc) {
    prestige_predicate_free(*out);
    *out = NULL;
  }
  return rc;
}

/* ---- values: a cell of a column or a statistic, in a comparable form ----------------------------- */
typedef enum { V_NONE, V_INT, V_UINT, V_FLOAT, V_BYTES } vkind_t;
typedef struct val {
  vkind_t kind;
  int64_t i;
  uint64_t u;
  double d;
  const uint8_t *p;
  size_t n;
} val_t;

static bool lit_date(const char *s, int64_t *days) {
  int y, m, d;
  if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3) return false;
  int64_t yy = y - (m <= 2);
  int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
  int64_t yoe = yy - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  *days = era * 146097 + doe - 719468;
  return true;
}

/* Compares a value with a literal: <0, 0, >0, or 2 when not comparable. */
static int cmp_lit(const val_t *v, const lit_t *l) {
  switch (v->kind) {
    case V_INT:
      if (l->is_string) {
        int64_t days;
        if (!lit_date(l->text, &days)) return 2;
        return (v->i > days) - (v->i < days);
      }
      if (l->is_int) return (v->i > l->i) - (v->i < l->i);
      return ((double)v->i > l->d) - ((double)v->i < l->d);
    case V_UINT:
      if (l->is_string) return 2;
      if (l->is_int) {
        if (l->i < 0) return 1;
        return (v->u > (uint64_t)l->i) - (v->u < (uint64_t)l->i);
      }
      return ((double)v->u > l->d) - ((double)v->u < l->d);
    case V_FLOAT:
      if (l->is_string || isnan(v->d)) return 2;
      return (v->d > l->d) - (v->d < l->d);
    case V_BYTES: {
      if (!l->is_string) return 2;
      size_t ln = strlen(l->text), m = v->n < ln ? v->n : ln;
      int r = m ? memcmp(v->p, l->text, m) : 0;
      if (r) return r < 0 ? -1 : 1;
      return (v->n > ln) - (v->n < ln);
    }
    default: return 2;
  }
}

static bool test_op(pred_op_t op, int c) {
  if (c == 2) return false;
  switch (op) {
    case PRED_EQ: return c == 0;
    case PRED_NE: return c != 0;
    case PRED_LT: return c < 0;
    case PRED_LE: return c <= 0;
    case PRED_GT: return c > 0;
    case PRED_GE: return c >= 0;
    default: return false;
  }
}

/* Cell i of a top-level Arrow column. */
static bool cell(const struct ArrowArray *a, const struct ArrowSchema *s, int64_t i, val_t *v, bool *is_null) {
  prestige_arrow_type_info_t t;
  memset(v, 0, sizeof(*v));
  if (prestige_arrow_type_parse(s->format, &t, NULL)) return false;
  *is_null = !prestige_array_is_valid(a, i);
  if (*is_null) return true;
  int64_t j = a->offset + i;
  const uint8_t *b = a->n_buffers > 1 ? a->buffers[1] : NULL;
  switch (t.type) {
    case PRESTIGE_ARROW_BOOL: v->kind = V_INT; v->i = (b[j >> 3] >> (j & 7)) & 1; return true;
    case PRESTIGE_ARROW_INT8: v->kind = V_INT; v->i = ((const int8_t *)b)[j]; return true;
    case PRESTIGE_ARROW_INT16: v->kind = V_INT; v->i = ((const int16_t *)b)[j]; return true;
    case PRESTIGE_ARROW_INT32: case PRESTIGE_ARROW_DATE32: case PRESTIGE_ARROW_TIME32:
      v->kind = V_INT; v->i = ((const int32_t *)b)[j]; return true;
    case PRESTIGE_ARROW_INT64: case PRESTIGE_ARROW_TIMESTAMP: case PRESTIGE_ARROW_TIME64: case PRESTIGE_ARROW_DATE64:
    case PRESTIGE_ARROW_DURATION: v->kind = V_INT; v->i = ((const int64_t *)b)[j]; return true;
    case PRESTIGE_ARROW_UINT8: v->kind = V_UINT; v->u = ((const uint8_t *)b)[j]; return true;
    case PRESTIGE_ARROW_UINT16: v->kind = V_UINT; v->u = ((const uint16_t *)b)[j]; return true;
    case PRESTIGE_ARROW_UINT32: v->kind = V_UINT; v->u = ((const uint32_t *)b)[j]; return true;
    case PRESTIGE_ARROW_UINT64: v->kind = V_UINT; v->u = ((const uint64_t *)b)[j]; return true;
    case PRESTIGE_ARROW_FLOAT: v->kind = V_FLOAT; v->d = ((const float *)b)[j]; return true;
    case PRESTIGE_ARROW_DOUBLE: v->kind = V_FLOAT; v->d = ((const double *)b)[j]; return true;
    case PRESTIGE_ARROW_STRING: case PRESTIGE_ARROW_BINARY: {
      const int32_t *o = (const int32_t *)b;
      v->kind = V_BYTES;
      v->p = (const uint8_t *)a->buffers[2] + o[j];
      v->n = (size_t)(o[j + 1] - o[j]);
      return true;
    }
    case PRESTIGE_ARROW_LARGE_STRING: case PRESTIGE_ARROW_LARGE_BINARY: {
      const int64_t *o = (const int64_t *)b;
      v->kind = V_BYTES;
      v->p = (const uint8_t *)a->buffers[2] + o[j];
      v->n = (size_t)(o[j + 1] - o[j]);
      return true;
    }
    default: return false;
  }
}

bool prestige_predicate_match(const prestige_predicate_t *p, const struct ArrowSchema *schema,
                              const struct ArrowArray *batch, int64_t i) {
  if (p->op == PRED_AND) return prestige_predicate_match(p->l, schema, batch, i) && prestige_predicate_match(p->r, schema, batch, i);
  if (p->op == PRED_OR) return prestige_predicate_match(p->l, schema, batch, i) || prestige_predicate_match(p->r, schema, batch, i);
  for (int64_t c = 0; c < schema->n_children; c++) {
    if (!schema->children[c]->name || strcmp(schema->children[c]->name, p->column)) continue;
    val_t v;
    bool is_null;
    if (!cell(batch->children[c], schema->children[c], batch->offset + i, &v, &is_null)) return false;
    if (p->op == PRED_IS_NULL) return is_null;
    if (p->op == PRED_NOT_NULL) return !is_null;
    if (is_null) return false;
    if (p->op == PRED_IN) {
      for (int k = 0; k < p->n_values; k++)
        if (cmp_lit(&v, &p->values[k]) == 0) return true;
      return false;
    }
    return test_op(p->op, cmp_lit(&v, &p->values[0]));
  }
  return false;
}

/* ---- pruning ---------------------------------------------------------------------------------- */
/* A statistic (PLAIN bytes) as a value in the column's domain. */
static bool stat_value(const pq_bytes_t *b, const pred_column_t *col, val_t *v) {
  memset(v, 0, sizeof(*v));
  switch (col->physical) {
    case PRESTIGE_PHYSICAL_BOOLEAN:
      if (b->len < 1) return false;
      v->kind = V_INT, v->i = b->ptr[0] != 0;
      return true;
    case PRESTIGE_PHYSICAL_INT32: {
      if (b->len != 4) return false;
      int32_t x;
      memcpy(&x, b->ptr, 4);
      if (col->is_unsigned) v->kind = V_UINT, v->u = (uint32_t)x;
      else v->kind = V_INT, v->i = x;
      return !col->is_decimal;
    }
    case PRESTIGE_PHYSICAL_INT64: {
      if (b->len != 8) return false;
      int64_t x;
      memcpy(&x, b->ptr, 8);
      if (col->is_unsigned) v->kind = V_UINT, v->u = (uint64_t)x;
      else v->kind = V_INT, v->i = x;
      return !col->is_decimal && !col->domain_differs;
    }
    case PRESTIGE_PHYSICAL_FLOAT: {
      if (b->len != 4) return false;
      float f;
      memcpy(&f, b->ptr, 4);
      v->kind = V_FLOAT, v->d = f;
      return !isnan(f);
    }
    case PRESTIGE_PHYSICAL_DOUBLE: {
      if (b->len != 8) return false;
      double d;
      memcpy(&d, b->ptr, 8);
      v->kind = V_FLOAT, v->d = d;
      return !isnan(d);
    }
    case PRESTIGE_PHYSICAL_BYTE_ARRAY:
      if (col->is_decimal) return false;
      v->kind = V_BYTES, v->p = b->ptr, v->n = b->len;
      return true;
    default: return false;
  }
}

/* What the statistics of a row group or a page say about one column. */
typedef struct stats_view {
  int64_t rows;
  bool has_null_count;
  int64_t null_count;
  bool all_null; /* known to hold only nulls */
  const pq_bytes_t *min, *max;
  bool exact_max;
} stats_view_t;

/* true when rows described by s can satisfy the term p (unknown counts as "can"). */
static bool term_may_match(const prestige_predicate_t *p, const pred_column_t *col, const stats_view_t *s) {
  bool has_nulls = !s->has_null_count || s->null_count > 0;
  bool all_null = s->all_null || (s->has_null_count && s->null_count >= s->rows);
  if (p->op == PRED_IS_NULL) return has_nulls;
  if (p->op == PRED_NOT_NULL) return !all_null;
  if (all_null) return false; /* every comparison with NULL is false */
  val_t lo, hi;
  if (!s->min || !s->max || !stat_value(s->min, col, &lo) || !stat_value(s->max, col, &hi)) return true;
  for (int k = 0; k < (p->op == PRED_IN ? p->n_values : 1); k++) {
    const lit_t *l = &p->values[k];
    int cl = cmp_lit(&lo, l), ch = cmp_lit(&hi, l);
    if (cl == 2 || ch == 2) return true;
    bool can;
    switch (p->op) {
      case PRED_EQ: case PRED_IN: can = cl <= 0 && (ch >= 0 || !s->exact_max); break;
      case PRED_NE: can = !(cl == 0 && ch == 0 && s->exact_max); break;
      case PRED_LT: can = cl < 0; break;
      case PRED_LE: can = cl <= 0; break;
      case PRED_GT: can = ch > 0 || !s->exact_max; break;
      case PRED_GE: can = ch >= 0 || !s->exact_max; break;
      default: can = true;
    }
    if (can) return true;
  }
  return false;
}

static const pred_column_t *find_column(const prestige_predicate_t *p, const pred_column_t *cols, int32_t n_cols,
                                        int32_t n_leaves) {
  const pred_column_t *col = NULL;
  for (int32_t i = 0; i < n_cols; i++)
    if (!strcmp(cols[i].name, p->column)) col = &cols[i];
  if (!col || col->leaf < 0 || col->leaf >= n_leaves) return NULL;
  return col;
}

/* true when the row group can hold a matching row (unknown counts as "can"). */
bool pred_may_match(const prestige_predicate_t *p, const pred_column_t *cols, int32_t n_cols, const pq_row_group_t *rg) {
  if (p->op == PRED_AND) return pred_may_match(p->l, cols, n_cols, rg) && pred_may_match(p->r, cols, n_cols, rg);
  if (p->op == PRED_OR) return pred_may_match(p->l, cols, n_cols, rg) || pred_may_match(p->r, cols, n_cols, rg);
  const pred_column_t *col = find_column(p, cols, n_cols, rg->n_columns);
  if (!col) return true;
  const pq_column_meta_t *md = rg->columns[col->leaf].meta_data;
  const pq_statistics_t *st = md ? md->statistics : NULL;
  if (!st) return true;
  stats_view_t v = {.rows = rg->num_rows, .has_null_count = st->has_null_count, .null_count = st->null_count};
  /* min/max: min_value/max_value, or the legacy fields only where their signed order is right */
  v.min = st->has_min_value ? &st->min_value : NULL;
  v.max = st->has_max_value ? &st->max_value : NULL;
  bool legacy_ok = !col->is_unsigned && col->physical != PRESTIGE_PHYSICAL_BYTE_ARRAY &&
                   col->physical != PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY;
  if (!v.min && legacy_ok && st->has_min) v.min = &st->min;
  if (!v.max && legacy_ok && st->has_max) v.max = &st->max;
  v.exact_max = !st->has_is_max_value_exact || st->is_max_value_exact;
  return term_may_match(p, col, &v);
}

bool pred_uses_column(const prestige_predicate_t *p, const char *name) {
  if (p->op == PRED_AND || p->op == PRED_OR) return pred_uses_column(p->l, name) || pred_uses_column(p->r, name);
  return p->column && !strcmp(p->column, name);
}

/* ---- row ranges ------------------------------------------------------------------------------- */
static int ranges_push(pq_row_ranges_t *r, int64_t start, int64_t end) {
  if (start >= end) return 0;
  if (r->n > 0 && r->v[r->n - 1].end >= start) { /* touching or overlapping the last: extend it */
    if (end > r->v[r->n - 1].end) r->v[r->n - 1].end = end;
    return 0;
  }
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 16;
    pq_row_range_t *g = realloc(r->v, cap * sizeof(*g));
    if (!g) return PRESTIGE_ENOMEM;
    r->v = g;
    r->cap = cap;
  }
  r->v[r->n++] = (pq_row_range_t){start, end};
  return 0;
}

void pq_row_ranges_free(pq_row_ranges_t *r) {
  free(r->v);
  memset(r, 0, sizeof(*r));
}

int64_t pq_row_ranges_count(const pq_row_ranges_t *r) {
  int64_t n = 0;
  for (size_t i = 0; i < r->n; i++) n += r->v[i].end - r->v[i].start;
  return n;
}

static int ranges_and(const pq_row_ranges_t *a, const pq_row_ranges_t *b, pq_row_ranges_t *out) {
  size_t i = 0, j = 0;
  while (i < a->n && j < b->n) {
    int64_t s0 = a->v[i].start > b->v[j].start ? a->v[i].start : b->v[j].start;
    int64_t e0 = a->v[i].end < b->v[j].end ? a->v[i].end : b->v[j].end;
    if (ranges_push(out, s0, e0)) return PRESTIGE_ENOMEM;
    if (a->v[i].end < b->v[j].end) i++;
    else j++;
  }
  return 0;
}

static int ranges_or(const pq_row_ranges_t *a, const pq_row_ranges_t *b, pq_row_ranges_t *out) {
  size_t i = 0, j = 0;
  while (i < a->n || j < b->n) {
    const pq_row_range_t *x = j >= b->n || (i < a->n && a->v[i].start <= b->v[j].start) ? &a->v[i++] : &b->v[j++];
    if (ranges_push(out, x->start, x->end)) return PRESTIGE_ENOMEM;
  }
  return 0;
}

int pred_row_ranges(const prestige_predicate_t *p, const pred_column_t *cols, int32_t n_cols, int32_t n_leaves,
                    const pq_page_index_t *idx, int64_t num_rows, pq_row_ranges_t *out) {
  memset(out, 0, sizeof(*out));
  if (p->op == PRED_AND || p->op == PRED_OR) {
    pq_row_ranges_t a, b;
    int rc = pred_row_ranges(p->l, cols, n_cols, n_leaves, idx, num_rows, &a);
    if (!rc) rc = pred_row_ranges(p->r, cols, n_cols, n_leaves, idx, num_rows, &b);
    else memset(&b, 0, sizeof(b));
    if (!rc) rc = p->op == PRED_AND ? ranges_and(&a, &b, out) : ranges_or(&a, &b, out);
    pq_row_ranges_free(&a);
    pq_row_ranges_free(&b);
    if (rc) pq_row_ranges_free(out);
    return rc;
  }
  const pred_column_t *col = find_column(p, cols, n_cols, n_leaves);
  const pq_page_index_t *pi = col ? &idx[col->leaf] : NULL;
  if (!pi || !pi->ci || !pi->oi || pi->ci->n_pages != pi->oi->n_page_locations) return ranges_push(out, 0, num_rows);
  const pq_column_index_t *ci = pi->ci;
  const pq_page_location_t *loc = pi->oi->page_locations;
  for (int32_t i = 0; i < ci->n_pages; i++) {
    int64_t start = loc[i].first_row_index, end = i + 1 < ci->n_pages ? loc[i + 1].first_row_index : num_rows;
    if (start < 0 || end > num_rows || start > end) { /* an index that does not fit the row group: no pruning */
      pq_row_ranges_free(out);
      return ranges_push(out, 0, num_rows);
    }
    bool all_null = ci->null_pages && ci->null_pages[i];
    stats_view_t v = {.rows = end - start, .has_null_count = ci->null_counts != NULL,
                      .null_count = ci->null_counts ? ci->null_counts[i] : 0, .all_null = all_null,
                      /* byte-array bounds may be truncated: the maximum is then only an upper bound */
                      .exact_max = col->physical != PRESTIGE_PHYSICAL_BYTE_ARRAY &&
                                   col->physical != PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY};
    if (!all_null) {
      v.min = &ci->min_values[i];
      v.max = &ci->max_values[i];
    }
    if (term_may_match(p, col, &v) && ranges_push(out, start, end)) {
      pq_row_ranges_free(out);
      return PRESTIGE_ENOMEM;
    }
  }
  return 0;
}

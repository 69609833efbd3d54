/* The Parquet side of filtering: row-group statistics and page indexes turned into the predicate
 * layer's column statistics (typed bounds in the Arrow column's representation, null and NaN
 * counts), so that the predicate layer decides what may match without knowing Parquet. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/reader_internal.h"

int pq_filter_leaves_find(const prestige_bound_predicate_t *b, const rschema_t *rs, pq_filter_leaves_t *out,
                          prestige_error_t *err) {
  out->n = b->n_cols;
  out->leaves = calloc((size_t)(b->n_cols ? b->n_cols : 1), sizeof(rnode_t *));
  if (!out->leaves) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  for (int64_t i = 0; i < b->n_cols; i++) {
    /* b is bound to the schema of rs's top-level fields, so its index paths walk the node tree */
    const bcol_t *c = &b->cols[i];
    if (c->depth < 1 || c->idx[0] >= rs->n_top) continue;
    const rnode_t *n = rs->top[c->idx[0]];
    for (int32_t d = 1; n && d < c->depth; d++)
      n = n->kind == RN_STRUCT && c->idx[d] < n->n_children ? n->children[c->idx[d]] : NULL;
    if (n && n->kind == RN_LEAF && n->max_rep == 0) out->leaves[i] = n;
  }
  return 0;
}

void pq_filter_leaves_release(pq_filter_leaves_t *f) {
  free(f->leaves);
  memset(f, 0, sizeof(*f));
}

/* A PLAIN-encoded statistic of leaf n as a value of its Arrow type; false when it cannot be one. */
static bool stat_scalar(const rnode_t *n, const prestige_arrow_type_info_t *t, const pq_bytes_t *b, prestige_scalar_t *v) {
  memset(v, 0, sizeof(*v));
  int64_t div = n->div > 1 ? n->div : 1;
  switch (n->physical) {
    case PRESTIGE_PHYSICAL_BOOLEAN:
      if (b->len < 1 || t->type != PRESTIGE_ARROW_BOOL) return false;
      v->i64 = b->ptr[0] != 0;
      return true;
    case PRESTIGE_PHYSICAL_INT32: {
      int32_t x;
      if (b->len != 4) return false;
      memcpy(&x, b->ptr, 4);
      switch (t->type) {
        case PRESTIGE_ARROW_INT8: case PRESTIGE_ARROW_INT16: case PRESTIGE_ARROW_INT32: case PRESTIGE_ARROW_DATE32:
        case PRESTIGE_ARROW_TIME32:
          v->i64 = x / div; /* restored seconds: the values read are stored / div, a monotone map */
          return true;
        case PRESTIGE_ARROW_UINT8: case PRESTIGE_ARROW_UINT16: case PRESTIGE_ARROW_UINT32: v->u64 = (uint32_t)x; return true;
        case PRESTIGE_ARROW_DATE64: v->i64 = (int64_t)x * 86400000; return true;
        case PRESTIGE_ARROW_DECIMAL128: {
          __int128 d = x;
          memcpy(v->decimal, &d, 16);
          return true;
        }
        default: return false;
      }
    }
    case PRESTIGE_PHYSICAL_INT64: {
      int64_t x;
      if (b->len != 8) return false;
      memcpy(&x, b->ptr, 8);
      switch (t->type) {
        case PRESTIGE_ARROW_INT64: case PRESTIGE_ARROW_TIME64: case PRESTIGE_ARROW_TIMESTAMP: case PRESTIGE_ARROW_DURATION:
          v->i64 = x / div;
          return true;
        case PRESTIGE_ARROW_UINT64: v->u64 = (uint64_t)x; return true;
        case PRESTIGE_ARROW_DECIMAL128: {
          __int128 d = x;
          memcpy(v->decimal, &d, 16);
          return true;
        }
        default: return false;
      }
    }
    case PRESTIGE_PHYSICAL_FLOAT: {
      float f;
      if (b->len != 4 || t->type != PRESTIGE_ARROW_FLOAT) return false;
      memcpy(&f, b->ptr, 4);
      v->f64 = f;
      return !isnan(f);
    }
    case PRESTIGE_PHYSICAL_DOUBLE: {
      double d;
      if (b->len != 8 || t->type != PRESTIGE_ARROW_DOUBLE) return false;
      memcpy(&d, b->ptr, 8);
      v->f64 = d;
      return !isnan(d);
    }
    case PRESTIGE_PHYSICAL_BYTE_ARRAY: case PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY:
      if (t->type == PRESTIGE_ARROW_DECIMAL128) { /* big-endian two's complement */
        if (b->len < 1 || b->len > 16) return false;
        uint8_t le[16];
        memset(le, (b->ptr[0] & 0x80) ? 0xff : 0, 16);
        for (uint32_t k = 0; k < b->len; k++) le[k] = b->ptr[b->len - 1 - k];
        memcpy(v->decimal, le, 16);
        return true;
      }
      if (t->type != PRESTIGE_ARROW_STRING && t->type != PRESTIGE_ARROW_LARGE_STRING && t->type != PRESTIGE_ARROW_BINARY &&
          t->type != PRESTIGE_ARROW_LARGE_BINARY && t->type != PRESTIGE_ARROW_FIXED_SIZE_BINARY)
        return false;
      v->bytes = b->ptr;
      v->len = b->len;
      return true;
    default: return false; /* INT96: no usable order */
  }
}

/* The legacy min/max fields hold a signed order: right only for signed numbers and booleans. */
static bool legacy_order_ok(const rnode_t *n, const prestige_arrow_type_info_t *t) {
  if (n->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY || n->physical == PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY) return false;
  return t->type != PRESTIGE_ARROW_UINT8 && t->type != PRESTIGE_ARROW_UINT16 && t->type != PRESTIGE_ARROW_UINT32 &&
         t->type != PRESTIGE_ARROW_UINT64;
}

static void chunk_stats(const rnode_t *n, const pq_row_group_t *rg, prestige_column_stats_t *s) {
  prestige_column_stats_init(s);
  s->value_count = rg->num_rows; /* a leaf outside lists has one value (or null) per row */
  prestige_arrow_type_info_t t;
  if (n->leaf >= rg->n_columns || prestige_arrow_type_parse(n->format, &t, NULL)) return;
  const pq_column_meta_t *md = rg->columns[n->leaf].meta_data;
  const pq_statistics_t *st = md ? md->statistics : NULL;
  if (!st) return;
  if (st->has_null_count && st->null_count >= 0) s->null_count = st->null_count;
  if (st->has_nan_count && st->nan_count >= 0) s->nan_count = st->nan_count;
  const pq_bytes_t *mn = st->has_min_value ? &st->min_value : NULL, *mx = st->has_max_value ? &st->max_value : NULL;
  if (!mn && st->has_min && legacy_order_ok(n, &t)) mn = &st->min;
  if (!mx && st->has_max && legacy_order_ok(n, &t)) mx = &st->max;
  /* an inexact max_value is still an upper bound (parquet.thrift); an inexact min a lower one */
  s->has_min = mn && stat_scalar(n, &t, mn, &s->min);
  s->has_max = mx && stat_scalar(n, &t, mx, &s->max);
}

bool pq_filter_row_group_may_match(const prestige_bound_predicate_t *b, const pq_filter_leaves_t *f, const pq_row_group_t *rg) {
  prestige_column_stats_t one[8] = {{0}}, *stats = f->n <= 8 ? one : malloc((size_t)f->n * sizeof(*stats));
  if (!stats) return true; /* cannot tell */
  for (int64_t i = 0; i < f->n; i++) {
    if (f->leaves[i]) chunk_stats(f->leaves[i], rg, &stats[i]);
    else {
      prestige_column_stats_init(&stats[i]);
      stats[i].value_count = rg->num_rows;
    }
  }
  bool may = prestige_bound_predicate_eval_stats(b, stats) != PRESTIGE_STATS_NONE;
  if (stats != one) free(stats);
  return may;
}

/* The pages of one column chunk as statistics segments; false when the index does not fit the
 * row group (then nothing is known). */
static bool page_segments(const rnode_t *n, const pq_page_index_t *pi, int64_t num_rows, stats_segment_t *segs) {
  const pq_column_index_t *ci = pi->ci;
  const pq_page_location_t *loc = pi->oi->page_locations;
  prestige_arrow_type_info_t t;
  if (prestige_arrow_type_parse(n->format, &t, NULL)) return false;
  for (int32_t i = 0; i < ci->n_pages; i++) {
    int64_t start = loc[i].first_row_index, end = i + 1 < ci->n_pages ? loc[i + 1].first_row_index : num_rows;
    if (start < 0 || end > num_rows || start > end) return false;
    stats_segment_t *sg = &segs[i];
    sg->start = start;
    sg->end = end;
    prestige_column_stats_init(&sg->stats);
    sg->stats.value_count = end - start;
    if (ci->null_counts && ci->null_counts[i] >= 0) sg->stats.null_count = ci->null_counts[i];
    if (ci->nan_counts && ci->nan_counts[i] >= 0) sg->stats.nan_count = ci->nan_counts[i];
    if (ci->null_pages && ci->null_pages[i]) { /* only nulls: the bounds are empty */
      sg->stats.null_count = end - start;
      continue;
    }
    /* page bounds may be truncated but stay bounds (parquet.thrift ColumnIndex) */
    sg->stats.has_min = stat_scalar(n, &t, &ci->min_values[i], &sg->stats.min);
    sg->stats.has_max = stat_scalar(n, &t, &ci->max_values[i], &sg->stats.max);
  }
  return true;
}

int pq_filter_page_ranges(const prestige_bound_predicate_t *b, const pq_filter_leaves_t *f, const pq_page_index_t *idx,
                          int32_t n_leaves, int64_t num_rows, row_ranges_t *out) {
  memset(out, 0, sizeof(*out));
  int64_t nc = f->n;
  stats_segment_t **segs = calloc((size_t)(nc ? nc : 1), sizeof(*segs));
  int64_t *n_segs = calloc((size_t)(nc ? nc : 1), sizeof(*n_segs));
  int rc = segs && n_segs ? 0 : PRESTIGE_ENOMEM;
  for (int64_t i = 0; !rc && i < nc; i++) {
    const rnode_t *n = f->leaves[i];
    const pq_page_index_t *pi = n && n->leaf < n_leaves ? &idx[n->leaf] : NULL;
    if (!pi || !pi->ci || !pi->oi || pi->ci->n_pages != pi->oi->n_page_locations || pi->ci->n_pages <= 0) continue;
    segs[i] = malloc((size_t)pi->ci->n_pages * sizeof(stats_segment_t));
    if (!segs[i]) rc = PRESTIGE_ENOMEM;
    else if (page_segments(n, pi, num_rows, segs[i])) n_segs[i] = pi->ci->n_pages;
  }
  if (!rc) rc = pred_eval_segments(b, (const stats_segment_t *const *)segs, n_segs, num_rows, out);
  for (int64_t i = 0; segs && i < nc; i++) free(segs[i]);
  free(segs);
  free(n_segs);
  return rc;
}

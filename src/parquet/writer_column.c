/* Column chunk writer: a column's state, and Arrow values into the page's values (plain or dictionary
 * indices) with their statistics. Levels, statistics, the dictionary and pages live beside it
 * (writer_column_internal.h). */
#include "parquet/writer_column_internal.h"

int pqw_oom(prestige_error_t *err, const pqw_column_t *c) {
  return prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory in column \"%s\"", c->leaf->path);
}

int pqw_column_init(pqw_column_t *c, const pqw_leaf_t *leaf, const prestige_parquet_writer_options_t *opts,
                    prestige_error_t *err) {
  memset(c, 0, sizeof(*c));
  c->leaf = leaf;
  c->opts = opts;
  c->codec = pq_codec_ctx_new();
  if (!c->codec || pq_rle_encoder_new(&c->rle, 1)) return pqw_oom(err, c);
  c->dict_on = leaf->dictionary;
  c->file_stats_exact_min = c->file_stats_exact_max = true;
  return 0;
}

void pqw_column_release(pqw_column_t *c) {
  buf_release(&c->def);
  buf_release(&c->rep);
  buf_release(&c->values);
  buf_release(&c->indices);
  buf_release(&c->dict);
  buf_release(&c->pages);
  buf_release(&c->scratch);
  buf_release(&c->scratch2);
  buf_release(&c->page_stat_bytes);
  pqw_stats_release(&c->page_stats);
  pqw_stats_release(&c->chunk_stats);
  pqw_stats_release(&c->file_stats);
  free(c->dict_offsets);
  free(c->slots);
  free(c->page_seen);
  free(c->page_index);
  pq_rle_encoder_free(c->rle);
  pq_codec_ctx_free(c->codec);
}

int64_t pqw_column_buffered(const pqw_column_t *c) {
  return (int64_t)(c->pages.len + c->values.len + c->indices.len / 2 + c->dict.len + c->def.len / 4 + c->rep.len / 4);
}

/* ---- values ------------------------------------------------------------------------------------ */
/* Physical bytes of leaf value at absolute index i of array a: into tmp (fixed) or pointing into a. */
static inline void physical_value(const pqw_leaf_t *l, const struct ArrowArray *a, int64_t i, uint8_t *tmp,
                                  const uint8_t **v, size_t *len) {
  const uint8_t *b1 = a->n_buffers > 1 ? a->buffers[1] : NULL;
  *v = tmp;
  switch (l->conv) {
    case CONV_BOOL: tmp[0] = (b1[i >> 3] >> (i & 7)) & 1; *len = 1; return;
    case CONV_I8: { int32_t x = ((const int8_t *)b1)[i]; memcpy(tmp, &x, 4); *len = 4; return; }
    case CONV_I16: { int32_t x = ((const int16_t *)b1)[i]; memcpy(tmp, &x, 4); *len = 4; return; }
    case CONV_U8: { uint32_t x = ((const uint8_t *)b1)[i]; memcpy(tmp, &x, 4); *len = 4; return; }
    case CONV_U16: { uint32_t x = ((const uint16_t *)b1)[i]; memcpy(tmp, &x, 4); *len = 4; return; }
    case CONV_I32: case CONV_U32: case CONV_FLOAT: *v = b1 + i * 4; *len = 4; return;
    case CONV_I64: case CONV_U64: case CONV_DOUBLE: *v = b1 + i * 8; *len = 8; return;
    case CONV_I32_MUL1000: { int32_t x; memcpy(&x, b1 + i * 4, 4); x = (int32_t)((uint32_t)x * 1000u); memcpy(tmp, &x, 4); *len = 4; return; }
    case CONV_I64_MUL1000: { int64_t x; memcpy(&x, b1 + i * 8, 8); x = (int64_t)((uint64_t)x * 1000u); memcpy(tmp, &x, 8); *len = 8; return; }
    case CONV_DATE64: { int64_t x; memcpy(&x, b1 + i * 8, 8); int32_t d = (int32_t)(x / 86400000LL - (x % 86400000LL < 0)); memcpy(tmp, &d, 4); *len = 4; return; }
    case CONV_DEC_I32: *v = b1 + i * 16; *len = 4; return; /* low 4 bytes of the little-endian int128 */
    case CONV_DEC_I64: *v = b1 + i * 16; *len = 8; return;
    case CONV_DEC_FLBA: {
      const uint8_t *le = b1 + i * 16;
      int32_t n = l->type_length;
      for (int32_t k = 0; k < n; k++) tmp[k] = le[n - 1 - k]; /* big-endian, low n bytes */
      *len = (size_t)n;
      return;
    }
    case CONV_FIXED: *v = b1 + i * l->type_length; *len = (size_t)l->type_length; return;
    case CONV_BYTES32: {
      const int32_t *o = (const int32_t *)b1;
      *v = (const uint8_t *)a->buffers[2] + o[i];
      *len = (size_t)(o[i + 1] - o[i]);
      return;
    }
    case CONV_BYTES64: {
      const int64_t *o = (const int64_t *)b1;
      *v = (const uint8_t *)a->buffers[2] + o[i];
      *len = (size_t)(o[i + 1] - o[i]);
      return;
    }
    case CONV_NULL: *len = 0; return;
    case CONV_INTERVAL: { /* month_day_nano -> unsigned months, days, milliseconds (checked by pqw_column_check) */
      const uint8_t *x = b1 + i * 16;
      int64_t ns;
      memcpy(&ns, x + 8, 8);
      uint32_t ms = (uint32_t)(ns / 1000000);
      memcpy(tmp, x, 8);
      memcpy(tmp + 8, &ms, 4);
      *len = 12;
      return;
    }
  }
}

/* Min/max/NaN of n fixed-width values in one typed pass, merged into the page statistics. */
#define MINMAX_LOOP(T, IS_NAN)                                   \
  do {                                                           \
    const T *x = (const T *)vals;                                \
    T mn = 0, mx = 0;                                            \
    bool any = false;                                            \
    for (int64_t k = 0; k < n; k++) {                            \
      T v = x[k];                                                \
      if (IS_NAN) {                                              \
        nan++;                                                   \
        continue;                                                \
      }                                                          \
      if (!any) mn = mx = v, any = true;                         \
      else if (v < mn) mn = v;                                   \
      else if (v > mx) mx = v;                                   \
    }                                                            \
    if (any) {                                                   \
      rc |= stats_update(&c->page_stats, l, (const uint8_t *)&mn, sizeof(T)); \
      rc |= stats_update(&c->page_stats, l, (const uint8_t *)&mx, sizeof(T)); \
    }                                                            \
  } while (0)

static int stats_fixed(pqw_column_t *c, const uint8_t *vals, int64_t n) {
  const pqw_leaf_t *l = c->leaf;
  int rc = 0;
  int64_t nan = 0;
  switch (l->physical) {
    case PRESTIGE_PHYSICAL_INT32:
      if (l->sort == SORT_UNSIGNED) MINMAX_LOOP(uint32_t, false);
      else MINMAX_LOOP(int32_t, false);
      break;
    case PRESTIGE_PHYSICAL_INT64:
      if (l->sort == SORT_UNSIGNED) MINMAX_LOOP(uint64_t, false);
      else MINMAX_LOOP(int64_t, false);
      break;
    case PRESTIGE_PHYSICAL_FLOAT: MINMAX_LOOP(float, isnan(v)); break;
    case PRESTIGE_PHYSICAL_DOUBLE: MINMAX_LOOP(double, isnan(v)); break;
    default: return -1;
  }
  c->page_stats.nan_count += nan;
  return rc;
}

/* Values that are stored exactly as Arrow holds them (int32/64, uint32/64, float, double). */
static int append_fixed_direct(pqw_column_t *c, const uint8_t *src, size_t width, const int64_t *idx, int64_t base,
                               int64_t n, prestige_error_t *err) {
  const uint8_t *vals = src + base * (int64_t)width;
  uint8_t *tmp = NULL;
  if (idx) {
    tmp = malloc((size_t)n * width + 1);
    if (!tmp) return pqw_oom(err, c);
    if (width == 8)
      for (int64_t k = 0; k < n; k++) memcpy(tmp + k * 8, src + idx[k] * 8, 8);
    else
      for (int64_t k = 0; k < n; k++) memcpy(tmp + k * 4, src + idx[k] * 4, 4);
    vals = tmp;
  }
  int rc = 0;
  if (c->leaf->statistics && stats_fixed(c, vals, n)) rc = pqw_oom(err, c);
  if (!rc && c->dict_on) {
    if (buf_reserve(&c->indices, (size_t)n * 4)) rc = pqw_oom(err, c);
    for (int64_t k = 0; !rc && k < n; k++) {
      uint32_t e = 0;
      if (dict_index(c, vals + k * (int64_t)width, width, &e)) rc = pqw_oom(err, c);
      memcpy(c->indices.data + c->indices.len, &e, 4);
      c->indices.len += 4;
    }
  } else if (!rc && buf_append(&c->values, vals, (size_t)n * width)) {
    rc = pqw_oom(err, c);
  }
  free(tmp);
  return rc;
}

/* Strings and binary with 32-bit offsets. */
static int append_bytes32(pqw_column_t *c, const struct ArrowArray *a, const int64_t *idx, int64_t base, int64_t n,
                          prestige_error_t *err) {
  const int32_t *o = a->buffers[1];
  const uint8_t *data = a->buffers[2];
  const pqw_leaf_t *l = c->leaf;
  const uint8_t *mn = NULL, *mx = NULL;
  size_t mnl = 0, mxl = 0;
  bool stats = l->statistics;
  if (c->dict_on) {
    if (buf_reserve(&c->indices, (size_t)n * 4)) return pqw_oom(err, c);
    /* with a dictionary, only a value new to the page can move its bounds */
    if (stats && c->page_seen_cap < c->dict_n + (uint32_t)n && pqw_page_seen_grow(c, c->dict_n + (uint32_t)n)) return pqw_oom(err, c);
  } else {
    size_t total = 0;
    for (int64_t k = 0; k < n; k++) {
      int64_t i = idx ? idx[k] : base + k;
      total += 4 + (size_t)(o[i + 1] - o[i]);
    }
    if (buf_reserve(&c->values, total)) return pqw_oom(err, c);
  }
  for (int64_t k = 0; k < n; k++) {
    int64_t i = idx ? idx[k] : base + k;
    const uint8_t *v = data + o[i];
    size_t len = (size_t)(o[i + 1] - o[i]);
    if (c->dict_on) {
      uint32_t e = 0;
      if (dict_index(c, v, len, &e)) return pqw_oom(err, c);
      memcpy(c->indices.data + c->indices.len, &e, 4);
      c->indices.len += 4;
      if (!stats || (c->page_seen[e >> 6] >> (e & 63) & 1)) continue;
      c->page_seen[e >> 6] |= 1ULL << (e & 63);
    }
    if (stats) {
      if (!mn) {
        mn = mx = v;
        mnl = mxl = len;
      } else if (pqw_compare_inline(SORT_BYTES, 0, v, len, mn, mnl) < 0) {
        mn = v;
        mnl = len;
      } else if (pqw_compare_inline(SORT_BYTES, 0, v, len, mx, mxl) > 0) {
        mx = v;
        mxl = len;
      }
    }
    if (!c->dict_on) {
      store_le32(c->values.data + c->values.len, (uint32_t)len);
      memcpy(c->values.data + c->values.len + 4, v, len);
      c->values.len += 4 + len;
    }
  }
  if (mn && (stats_update(&c->page_stats, l, mn, mnl) || stats_update(&c->page_stats, l, mx, mxl))) return pqw_oom(err, c);
  return 0;
}

/* Appends n values (absolute indices idx[], or base..base+n when idx is NULL). */
int pqw_append_values(pqw_column_t *c, const struct ArrowArray *a, const int64_t *idx, int64_t base, int64_t n,
                         prestige_error_t *err) {
  const pqw_leaf_t *l = c->leaf;
  if (n == 0) return 0;
  switch (l->conv) {
    case CONV_I32: case CONV_U32: case CONV_FLOAT:
      return append_fixed_direct(c, a->buffers[1], 4, idx, base, n, err);
    case CONV_I64: case CONV_U64: case CONV_DOUBLE:
      return append_fixed_direct(c, a->buffers[1], 8, idx, base, n, err);
    case CONV_BYTES32: return append_bytes32(c, a, idx, base, n, err);
    default: break;
  }
  bool var = l->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY;
  bool stats = l->statistics;
  uint8_t tmp[32];
  if (c->dict_on && buf_reserve(&c->indices, (size_t)n * 4)) return pqw_oom(err, c);
  for (int64_t k = 0; k < n; k++) {
    int64_t i = idx ? idx[k] : base + k;
    const uint8_t *v;
    size_t len = 0;
    physical_value(l, a, i, tmp, &v, &len);
    if (stats) {
      if (is_nan(l, v)) c->page_stats.nan_count++;
      else if (stats_update(&c->page_stats, l, v, len)) return pqw_oom(err, c);
    }
    if (c->dict_on) {
      uint32_t e = 0;
      if (dict_index(c, v, len, &e)) return pqw_oom(err, c);
      memcpy(c->indices.data + c->indices.len, &e, 4);
      c->indices.len += 4;
    } else {
      if (var && buf_append_le32(&c->values, (uint32_t)len)) return pqw_oom(err, c);
      if (buf_append(&c->values, v, len)) return pqw_oom(err, c);
    }
  }
  return 0;
}

/* Column chunk writer: definition/repetition levels, dictionary or plain values, statistics,
 * page assembly (data page v1/v2), dictionary page, and the page index. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/thrift.h"
#include "parquet/writer_internal.h"

static int oom(prestige_error_t *err, const pqw_column_t *c) {
  return prestige_error_set(err, PRESTIGE_ENOMEM, "parquet writer: out of memory in column \"%s\"", c->leaf->path);
}

static void stats_release(pqw_stats_t *s) {
  buf_release(&s->min);
  buf_release(&s->max);
}
static void stats_reset(pqw_stats_t *s) {
  s->has = false;
  buf_clear(&s->min);
  buf_clear(&s->max);
  s->null_count = s->nan_count = 0;
}

int pqw_column_init(pqw_column_t *c, const pqw_leaf_t *leaf, const prestige_parquet_writer_options_t *opts,
                    prestige_error_t *err) {
  memset(c, 0, sizeof(*c));
  c->leaf = leaf;
  c->opts = opts;
  c->codec = pq_codec_ctx_new();
  if (!c->codec || pq_rle_encoder_new(&c->rle, 1)) return oom(err, c);
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
  stats_release(&c->page_stats);
  stats_release(&c->chunk_stats);
  stats_release(&c->file_stats);
  free(c->dict_offsets);
  free(c->slots);
  free(c->page_index);
  pq_rle_encoder_free(c->rle);
  pq_codec_ctx_free(c->codec);
}

int64_t pqw_column_buffered(const pqw_column_t *c) {
  return (int64_t)(c->pages.len + c->values.len + c->indices.len / 2 + c->dict.len + c->def.len / 4 + c->rep.len / 4);
}

/* ---- comparison ---------------------------------------------------------------------------- */
static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, f;
  if (exp == 0) {
    if (mant == 0) f = sign;
    else {
      int e = -1;
      do {
        e++;
        mant <<= 1;
      } while (!(mant & 0x400));
      f = sign | (uint32_t)(127 - 15 - e) << 23 | (mant & 0x3ff) << 13;
    }
  } else if (exp == 31) {
    f = sign | 0x7f800000u | mant << 13;
  } else {
    f = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  float out;
  memcpy(&out, &f, 4);
  return out;
}

int pqw_compare(pqw_sort_t sort, int32_t physical, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
  switch (sort) {
    case SORT_BOOL: return (int)a[0] - (int)b[0];
    case SORT_SIGNED:
      if (physical == PRESTIGE_PHYSICAL_INT32) {
        int32_t x, y;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        return (x > y) - (x < y);
      } else {
        int64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return (x > y) - (x < y);
      }
    case SORT_UNSIGNED:
      if (physical == PRESTIGE_PHYSICAL_INT32) {
        uint32_t x, y;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        return (x > y) - (x < y);
      } else {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return (x > y) - (x < y);
      }
    case SORT_FLOAT:
      if (physical == PRESTIGE_PHYSICAL_FLOAT) {
        float x, y;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        return (x > y) - (x < y);
      } else {
        double x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return (x > y) - (x < y);
      }
    case SORT_FLOAT16: {
      uint16_t x, y;
      memcpy(&x, a, 2);
      memcpy(&y, b, 2);
      float fx = half_to_float(x), fy = half_to_float(y);
      return (fx > fy) - (fx < fy);
    }
    case SORT_DECIMAL_BE:
      if (alen && blen && (int8_t)a[0] != (int8_t)b[0]) return (int8_t)a[0] < (int8_t)b[0] ? -1 : 1;
      __attribute__((fallthrough)); /* same sign byte: the rest compares unsigned */
    case SORT_BYTES: {
      size_t m = alen < blen ? alen : blen;
      int r = m ? memcmp(a, b, m) : 0;
      if (r) return r;
      return (alen > blen) - (alen < blen);
    }
  }
  return 0;
}

/* FLOAT, DOUBLE and FLOAT16 columns count their NaN (nan_count, PARQUET-2249). */
static bool is_float_leaf(const pqw_leaf_t *l) {
  return l->physical == PRESTIGE_PHYSICAL_FLOAT || l->physical == PRESTIGE_PHYSICAL_DOUBLE || l->sort == SORT_FLOAT16;
}

static bool is_nan(const pqw_leaf_t *l, const uint8_t *v) {
  if (l->physical == PRESTIGE_PHYSICAL_FLOAT) {
    float f;
    memcpy(&f, v, 4);
    return isnan(f);
  }
  if (l->physical == PRESTIGE_PHYSICAL_DOUBLE) {
    double d;
    memcpy(&d, v, 8);
    return isnan(d);
  }
  if (l->sort == SORT_FLOAT16) {
    uint16_t h;
    memcpy(&h, v, 2);
    return (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
  }
  return false;
}

static inline int stats_update(pqw_stats_t *s, const pqw_leaf_t *l, const uint8_t *v, size_t len) {
  if (!s->has) {
    buf_clear(&s->min);
    buf_clear(&s->max);
    if (buf_append(&s->min, v, len) | buf_append(&s->max, v, len)) return PRESTIGE_ENOMEM;
    s->has = true; /* only with both bounds held: a failed append leaves no half-set bounds behind */
    return 0;
  }
  if (pqw_compare(l->sort, l->physical, v, len, s->min.data, s->min.len) < 0) {
    buf_clear(&s->min);
    if (buf_append(&s->min, v, len)) return PRESTIGE_ENOMEM;
  } else if (pqw_compare(l->sort, l->physical, v, len, s->max.data, s->max.len) > 0) {
    buf_clear(&s->max);
    if (buf_append(&s->max, v, len)) return PRESTIGE_ENOMEM;
  }
  return 0;
}

static int stats_merge(pqw_stats_t *into, const pqw_stats_t *from, const pqw_leaf_t *l) {
  into->null_count += from->null_count;
  into->nan_count += from->nan_count;
  if (!from->has) return 0;
  int rc = stats_update(into, l, from->min.data, from->min.len);
  if (!rc) rc = stats_update(into, l, from->max.data, from->max.len);
  return rc;
}

/* ---- dictionary ---------------------------------------------------------------------------- */
static inline uint64_t hash_bytes(const uint8_t *p, size_t n) {
  if (n == 8 || n == 4) { /* fixed-width keys: one multiply-xorshift */
    uint64_t w = n == 8 ? load_le64(p) : load_le32(p);
    w *= 0x9E3779B97F4A7C15ULL;
    return w ^ (w >> 32);
  }
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xff51afd7ed558ccdULL);
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = (h ^ (w * 0x87c37b91114253d5ULL)) * 0x4cf5ad432745937fULL;
    h ^= h >> 31;
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  memcpy(&w, p, n);
  h = (h ^ (w * 0x87c37b91114253d5ULL)) * 0x4cf5ad432745937fULL;
  h ^= h >> 29;
  return h;
}

static int dict_grow(pqw_column_t *c) {
  uint32_t n = c->n_slots ? c->n_slots * 2 : 1024;
  uint32_t *slots = calloc(n, sizeof(uint32_t));
  if (!slots) return PRESTIGE_ENOMEM;
  bool var = c->leaf->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY;
  for (uint32_t e = 0; e < c->dict_n; e++) {
    const uint8_t *p = c->dict.data + c->dict_offsets[e];
    size_t len;
    if (var) {
      len = load_le32(p);
      p += 4;
    } else {
      len = c->leaf->physical == PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY ? (size_t)c->leaf->type_length
            : c->leaf->physical == PRESTIGE_PHYSICAL_INT32 || c->leaf->physical == PRESTIGE_PHYSICAL_FLOAT ? 4 : 8;
    }
    uint32_t h = (uint32_t)hash_bytes(p, len) & (n - 1);
    while (slots[h]) h = (h + 1) & (n - 1);
    slots[h] = e + 1;
  }
  free(c->slots);
  c->slots = slots;
  c->n_slots = n;
  return 0;
}

/* Index of value v (len bytes) in the dictionary, inserting it when new. */
static inline int dict_index(pqw_column_t *c, const uint8_t *v, size_t len, uint32_t *index) {
  if ((c->dict_n + 1) * 2 > c->n_slots && dict_grow(c)) return PRESTIGE_ENOMEM;
  bool var = c->leaf->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY;
  uint32_t mask = c->n_slots - 1;
  uint32_t h = (uint32_t)hash_bytes(v, len) & mask;
  for (;;) {
    uint32_t s = c->slots[h];
    if (!s) break;
    const uint8_t *p = c->dict.data + c->dict_offsets[s - 1];
    bool eq;
    if (var) eq = load_le32(p) == len && memcmp(p + 4, v, len) == 0;
    else if (len == 8) eq = load_le64(p) == load_le64(v);
    else if (len == 4) eq = load_le32(p) == load_le32(v);
    else eq = memcmp(p, v, len) == 0;
    if (eq) {
      *index = s - 1;
      return 0;
    }
    h = (h + 1) & mask;
  }
  if (c->dict_n == c->dict_cap) {
    uint32_t cap = c->dict_cap ? c->dict_cap * 2 : 1024;
    uint32_t *o = realloc(c->dict_offsets, cap * sizeof(uint32_t));
    if (!o) return PRESTIGE_ENOMEM;
    c->dict_offsets = o;
    c->dict_cap = cap;
  }
  if (c->dict.len > UINT32_MAX - len - 8) return PRESTIGE_ENOMEM;
  c->dict_offsets[c->dict_n] = (uint32_t)c->dict.len;
  int rc = 0;
  if (var) rc |= buf_append_le32(&c->dict, (uint32_t)len);
  rc |= buf_append(&c->dict, v, len);
  if (rc) return PRESTIGE_ENOMEM;
  c->slots[h] = ++c->dict_n;
  *index = c->dict_n - 1;
  return 0;
}

static void dict_reset(pqw_column_t *c) {
  buf_clear(&c->dict);
  c->dict_n = 0;
  if (c->slots) memset(c->slots, 0, c->n_slots * sizeof(uint32_t));
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
    if (!tmp) return oom(err, c);
    if (width == 8)
      for (int64_t k = 0; k < n; k++) memcpy(tmp + k * 8, src + idx[k] * 8, 8);
    else
      for (int64_t k = 0; k < n; k++) memcpy(tmp + k * 4, src + idx[k] * 4, 4);
    vals = tmp;
  }
  int rc = 0;
  if (c->leaf->statistics && stats_fixed(c, vals, n)) rc = oom(err, c);
  if (!rc && c->dict_on) {
    if (buf_reserve(&c->indices, (size_t)n * 4)) rc = oom(err, c);
    for (int64_t k = 0; !rc && k < n; k++) {
      uint32_t e = 0;
      if (dict_index(c, vals + k * (int64_t)width, width, &e)) rc = oom(err, c);
      memcpy(c->indices.data + c->indices.len, &e, 4);
      c->indices.len += 4;
    }
  } else if (!rc && buf_append(&c->values, vals, (size_t)n * width)) {
    rc = oom(err, c);
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
  if (c->dict_on) {
    if (buf_reserve(&c->indices, (size_t)n * 4)) return oom(err, c);
  } else {
    size_t total = 0;
    for (int64_t k = 0; k < n; k++) {
      int64_t i = idx ? idx[k] : base + k;
      total += 4 + (size_t)(o[i + 1] - o[i]);
    }
    if (buf_reserve(&c->values, total)) return oom(err, c);
  }
  for (int64_t k = 0; k < n; k++) {
    int64_t i = idx ? idx[k] : base + k;
    const uint8_t *v = data + o[i];
    size_t len = (size_t)(o[i + 1] - o[i]);
    if (l->statistics) {
      if (!mn) {
        mn = mx = v;
        mnl = mxl = len;
      } else if (pqw_compare(SORT_BYTES, 0, v, len, mn, mnl) < 0) {
        mn = v;
        mnl = len;
      } else if (pqw_compare(SORT_BYTES, 0, v, len, mx, mxl) > 0) {
        mx = v;
        mxl = len;
      }
    }
    if (c->dict_on) {
      uint32_t e = 0;
      if (dict_index(c, v, len, &e)) return oom(err, c);
      memcpy(c->indices.data + c->indices.len, &e, 4);
      c->indices.len += 4;
    } else {
      store_le32(c->values.data + c->values.len, (uint32_t)len);
      memcpy(c->values.data + c->values.len + 4, v, len);
      c->values.len += 4 + len;
    }
  }
  if (mn && (stats_update(&c->page_stats, l, mn, mnl) || stats_update(&c->page_stats, l, mx, mxl))) return oom(err, c);
  return 0;
}

/* Appends n values (absolute indices idx[], or base..base+n when idx is NULL). */
static int append_values(pqw_column_t *c, const struct ArrowArray *a, const int64_t *idx, int64_t base, int64_t n,
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
  if (c->dict_on && buf_reserve(&c->indices, (size_t)n * 4)) return oom(err, c);
  for (int64_t k = 0; k < n; k++) {
    int64_t i = idx ? idx[k] : base + k;
    const uint8_t *v;
    size_t len = 0;
    physical_value(l, a, i, tmp, &v, &len);
    if (stats) {
      if (is_nan(l, v)) c->page_stats.nan_count++;
      else if (stats_update(&c->page_stats, l, v, len)) return oom(err, c);
    }
    if (c->dict_on) {
      uint32_t e = 0;
      if (dict_index(c, v, len, &e)) return oom(err, c);
      memcpy(c->indices.data + c->indices.len, &e, 4);
      c->indices.len += 4;
    } else {
      if (var && buf_append_le32(&c->values, (uint32_t)len)) return oom(err, c);
      if (buf_append(&c->values, v, len)) return oom(err, c);
    }
  }
  return 0;
}

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
      if (nd->kind == NODE_FIXED_LIST) {
        st = abs * nd->fixed_size;
        en = st + nd->fixed_size;
      } else if (nd->large) {
        st = ((const int64_t *)a->buffers[1])[abs];
        en = ((const int64_t *)a->buffers[1])[abs + 1];
      } else {
        st = ((const int32_t *)a->buffers[1])[abs];
        en = ((const int32_t *)a->buffers[1])[abs + 1];
      }
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

int pqw_column_check(pqw_column_t *c, const struct ArrowArray *batch, int64_t row0, int64_t n, prestige_error_t *err) {
  const pqw_leaf_t *l = c->leaf;
  if (l->conv != CONV_INTERVAL) return 0;
  const struct ArrowArray *top = batch->children[l->top];
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
  int rc = s.rc ? oom(err, c) : 0;
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
      if (buf_reserve(&c->def, (size_t)n * 2)) return oom(err, c);
      int16_t *d = (int16_t *)(c->def.data + c->def.len);
      for (int64_t k = 0; k < n; k++) d[k] = has_nulls ? (int16_t)prestige_array_is_valid(top, r0 + k) : 1;
      c->def.len += (size_t)n * 2;
    }
    c->page_levels += n;
    if (!has_nulls) return append_values(c, la, NULL, base, n, err);
    lv_t s = {.c = c};
    int64_t *idx = malloc((size_t)(n ? n : 1) * sizeof(int64_t));
    if (!idx) return oom(err, c);
    int64_t m = 0;
    for (int64_t k = 0; k < n; k++) {
      if (prestige_array_is_valid(top, r0 + k)) idx[m++] = base + k;
    }
    c->page_nulls += n - m;
    c->page_stats.null_count += n - m;
    int rc = append_values(c, la, idx, 0, m, err);
    free(idx);
    (void)s;
    return rc;
  }
  lv_t s = {.c = c};
  for (int64_t k = 0; k < n; k++) walk(&s, 0, top, r0 + k, 0, 0);
  int rc = s.rc ? oom(err, c) : append_values(c, la, s.idx, 0, s.n_idx, err);
  free(s.idx);
  return rc;
}

/* ---- pages ---------------------------------------------------------------------------------------- */
static int encode_levels(pqw_column_t *c, const buf_t *levels, int16_t max, bool prefix, buf_t *out) {
  size_t at = out->len;
  if (prefix && buf_append_le32(out, 0)) return PRESTIGE_ENOMEM;
  pq_rle_encoder_reset(c->rle, pq_bit_width((uint64_t)max));
  if (pq_rle_encoder_put_i16(c->rle, (const int16_t *)levels->data, levels->len / 2)) return PRESTIGE_ENOMEM;
  if (pq_rle_encoder_flush(c->rle, out)) return PRESTIGE_ENOMEM;
  if (prefix) store_le32(out->data + at, (uint32_t)(out->len - at - 4));
  return 0;
}

static int encode_values(pqw_column_t *c, buf_t *out, int *encoding, prestige_error_t *err) {
  const pqw_leaf_t *l = c->leaf;
  if (c->dict_on) {
    *encoding = PRESTIGE_ENCODING_RLE_DICTIONARY;
    int bw = pq_bit_width(c->dict_n > 1 ? c->dict_n - 1 : 1);
    if (buf_append_u8(out, (uint8_t)bw)) return oom(err, c);
    pq_rle_encoder_reset(c->rle, bw);
    if (pq_rle_encoder_put_u32(c->rle, (const uint32_t *)c->indices.data, c->indices.len / 4) ||
        pq_rle_encoder_flush(c->rle, out))
      return oom(err, c);
    return 0;
  }
  *encoding = l->encoding;
  size_t width = l->physical == PRESTIGE_PHYSICAL_INT32 || l->physical == PRESTIGE_PHYSICAL_FLOAT ? 4
                 : l->physical == PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY                           ? (size_t)l->type_length
                                                                                                    : 8;
  if (l->physical == PRESTIGE_PHYSICAL_BOOLEAN) {
    *encoding = PRESTIGE_ENCODING_PLAIN;
    size_t n = c->values.len, bytes = (n + 7) / 8;
    if (buf_reserve(out, bytes)) return oom(err, c);
    pq_plain_bool_encode(c->values.data, n, out->data + out->len);
    out->len += bytes;
    return 0;
  }
  switch (l->encoding) {
    case PRESTIGE_ENCODING_DELTA_BINARY_PACKED:
      if (l->physical == PRESTIGE_PHYSICAL_INT32)
        return pq_delta_binary_encode_i32((const int32_t *)c->values.data, c->values.len / 4, out, err);
      return pq_delta_binary_encode_i64((const int64_t *)c->values.data, c->values.len / 8, out, err);
    case PRESTIGE_ENCODING_BYTE_STREAM_SPLIT: {
      size_t n = c->values.len / width;
      if (buf_reserve(out, c->values.len)) return oom(err, c);
      pq_byte_stream_split_encode(c->values.data, n, (int)width, out->data + out->len);
      out->len += c->values.len;
      return 0;
    }
    case PRESTIGE_ENCODING_DELTA_LENGTH_BYTE_ARRAY:
    case PRESTIGE_ENCODING_DELTA_BYTE_ARRAY: {
      /* values hold PLAIN byte arrays (or fixed-width values): list them, then encode */
      size_t cap = 1024, n = 0;
      pq_byte_array_t *v = malloc(cap * sizeof(*v));
      if (!v) return oom(err, c);
      size_t pos = 0;
      while (pos < c->values.len) {
        if (n == cap) {
          pq_byte_array_t *g = realloc(v, cap * 2 * sizeof(*v));
          if (!g) {
            free(v);
            return oom(err, c);
          }
          v = g;
          cap *= 2;
        }
        if (l->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY) {
          uint32_t len = load_le32(c->values.data + pos);
          v[n++] = (pq_byte_array_t){c->values.data + pos + 4, len};
          pos += 4 + len;
        } else {
          v[n++] = (pq_byte_array_t){c->values.data + pos, (uint32_t)width};
          pos += width;
        }
      }
      int rc = l->encoding == PRESTIGE_ENCODING_DELTA_LENGTH_BYTE_ARRAY ? pq_delta_length_encode(v, n, out, err)
                                                                        : pq_delta_byte_array_encode(v, n, out, err);
      free(v);
      return rc;
    }
    default:
      *encoding = PRESTIGE_ENCODING_PLAIN;
      if (buf_append(out, c->values.data, c->values.len)) return oom(err, c);
      return 0;
  }
}

/* Truncates a binary statistic: min to a prefix, max to a prefix with its last byte bumped. */
static void truncate_stat(const uint8_t *v, size_t len, size_t limit, bool is_max, const uint8_t **out, size_t *out_len,
                          uint8_t *tmp, bool *exact) {
  *out = v;
  *out_len = len;
  *exact = true;
  if (len <= limit) return;
  if (!is_max) {
    *out_len = limit;
    *exact = false;
    return;
  }
  memcpy(tmp, v, limit);
  for (size_t k = limit; k-- > 0;) {
    if (tmp[k] != 0xff) {
      tmp[k]++;
      *out = tmp;
      *out_len = k + 1;
      *exact = false;
      return;
    }
  }
  /* all 0xff: cannot shorten, keep the exact value */
}

static int add_page_entry(pqw_column_t *c, int64_t offset, int32_t size, prestige_error_t *err) {
  if (c->n_pages == c->cap_pages) {
    int32_t cap = c->cap_pages ? c->cap_pages * 2 : 16;
    pqw_page_entry_t *p = realloc(c->page_index, (size_t)cap * sizeof(*p));
    if (!p) return oom(err, c);
    c->page_index = p;
    c->cap_pages = cap;
  }
  pqw_page_entry_t *e = &c->page_index[c->n_pages++];
  memset(e, 0, sizeof(*e));
  e->offset = offset;
  e->size = size;
  e->first_row = c->page_first_row;
  e->null_count = c->page_stats.null_count;
  e->nan_count = c->page_stats.nan_count;
  e->null_page = !c->page_stats.has;
  if (c->page_stats.has) {
    const pqw_leaf_t *l = c->leaf;
    size_t limit = (size_t)c->opts->max_statistics_bytes;
    bool var = l->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY;
    uint8_t tmp[1024];
    const uint8_t *mn, *mx;
    size_t mnl, mxl;
    bool ex;
    if (limit > sizeof(tmp)) limit = sizeof(tmp);
    truncate_stat(c->page_stats.min.data, c->page_stats.min.len, var ? limit : SIZE_MAX, false, &mn, &mnl, tmp, &ex);
    e->min_off = (uint32_t)c->page_stat_bytes.len;
    e->min_len = (uint32_t)mnl;
    if (buf_append(&c->page_stat_bytes, mn, mnl)) return oom(err, c);
    truncate_stat(c->page_stats.max.data, c->page_stats.max.len, var ? limit : SIZE_MAX, true, &mx, &mxl, tmp, &ex);
    e->max_off = (uint32_t)c->page_stat_bytes.len;
    e->max_len = (uint32_t)mxl;
    if (buf_append(&c->page_stat_bytes, mx, mxl)) return oom(err, c);
  }
  return 0;
}

/* The first page of a chunk decides whether the dictionary pays (as parquet-mr does): when the
 * dictionary plus its indices are not clearly smaller than the plain values, the page's indices
 * are turned back into values and the chunk continues without a dictionary. */
static int check_dictionary(pqw_column_t *c, prestige_error_t *err) {
  const pqw_leaf_t *l = c->leaf;
  if (!c->dict_on || c->used_dict || c->n_pages > 0) return 0;
  size_t n = c->indices.len / 4;
  if (n == 0) return 0;
  bool var = l->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY;
  size_t width = l->physical == PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY ? (size_t)l->type_length
                 : l->physical == PRESTIGE_PHYSICAL_INT32 || l->physical == PRESTIGE_PHYSICAL_FLOAT ? 4
                                                                                                    : 8;
  const uint32_t *idx = (const uint32_t *)c->indices.data;
  size_t plain = 0;
  if (var) {
    for (size_t i = 0; i < n; i++) plain += 4 + load_le32(c->dict.data + c->dict_offsets[idx[i]]);
  } else {
    plain = n * width;
  }
  size_t encoded = c->dict.len + (n * (size_t)pq_bit_width(c->dict_n) + 7) / 8;
  if (encoded * 10 < plain * 9) return 0; /* at least 10% smaller: keep it */
  buf_clear(&c->values);
  if (buf_reserve(&c->values, plain)) return oom(err, c);
  for (size_t i = 0; i < n; i++) {
    const uint8_t *p = c->dict.data + c->dict_offsets[idx[i]];
    size_t len = var ? 4 + load_le32(p) : width;
    memcpy(c->values.data + c->values.len, p, len);
    c->values.len += len;
  }
  buf_clear(&c->indices);
  c->dict_on = false;
  dict_reset(c);
  return 0;
}

static int flush_page(pqw_column_t *c, prestige_error_t *err) {
  if (c->page_levels == 0) return 0;
  const pqw_leaf_t *l = c->leaf;
  PRESTIGE_TRY(check_dictionary(c, err));
  bool v2 = c->opts->data_page_version == 2;
  buf_t *body = &c->scratch, *comp = &c->scratch2;
  buf_clear(body);
  buf_clear(comp);
  int encoding;
  size_t rep_len = 0, def_len = 0;
  if (l->max_rep > 0) {
    if (encode_levels(c, &c->rep, l->max_rep, !v2, body)) return oom(err, c);
    rep_len = body->len;
  }
  if (l->max_def > 0) {
    if (encode_levels(c, &c->def, l->max_def, !v2, body)) return oom(err, c);
    def_len = body->len - rep_len;
  }
  size_t levels_len = body->len;
  PRESTIGE_TRY(encode_values(c, body, &encoding, err));
  size_t uncompressed = body->len;
  if (!v2) {
    PRESTIGE_TRY(pq_compress(c->codec, l->codec, l->level, body->data, body->len, comp, err));
  } else {
    if (buf_append(comp, body->data, levels_len)) return oom(err, c);
    PRESTIGE_TRY(pq_compress(c->codec, l->codec, l->level, body->data + levels_len, body->len - levels_len, comp, err));
  }
  if (comp->len > INT32_MAX || uncompressed > INT32_MAX)
    return prestige_error_set(err, PRESTIGE_EINVAL, "column \"%s\": a page exceeds 2 GiB; lower data_page_bytes", l->path);
  pq_page_header_t h = {.type = v2 ? PQ_PAGE_DATA_V2 : PQ_PAGE_DATA,
                        .uncompressed_page_size = (int32_t)uncompressed,
                        .compressed_page_size = (int32_t)comp->len};
  pq_data_page_header_t d1 = {.num_values = (int32_t)c->page_levels, .encoding = encoding,
                              .definition_level_encoding = PRESTIGE_ENCODING_RLE,
                              .repetition_level_encoding = PRESTIGE_ENCODING_RLE};
  pq_data_page_header_v2_t d2 = {.num_values = (int32_t)c->page_levels, .num_nulls = (int32_t)c->page_nulls,
                                 .num_rows = (int32_t)c->page_rows, .encoding = encoding,
                                 .definition_levels_byte_length = (int32_t)def_len,
                                 .repetition_levels_byte_length = (int32_t)rep_len, .is_compressed = true};
  if (v2) h.data_page_header_v2 = &d2;
  else h.data_page_header = &d1;
  if (c->opts->page_checksums) {
    h.has_crc = true;
    h.crc = (int32_t)pq_crc32(comp->data, comp->len);
  }
  int64_t offset = (int64_t)c->pages.len;
  PRESTIGE_TRY(pq_page_header_encode(&h, &c->pages, err));
  size_t header_len = c->pages.len - (size_t)offset;
  if (buf_append(&c->pages, comp->data, comp->len)) return oom(err, c);
  PRESTIGE_TRY(add_page_entry(c, offset, (int32_t)(c->pages.len - (size_t)offset), err));
  c->chunk_uncompressed += (int64_t)(header_len + uncompressed);
  c->chunk_values += c->page_levels;
  if (encoding == PRESTIGE_ENCODING_RLE_DICTIONARY) c->used_dict = true;
  else c->used_plain = true;
  if (stats_merge(&c->chunk_stats, &c->page_stats, l)) return oom(err, c);
  c->page_first_row += c->page_rows;
  c->page_levels = c->page_rows = c->page_nulls = 0;
  buf_clear(&c->def);
  buf_clear(&c->rep);
  buf_clear(&c->values);
  buf_clear(&c->indices);
  stats_reset(&c->page_stats);
  return 0;
}

int pqw_column_maybe_flush_page(pqw_column_t *c, prestige_error_t *err) {
  /* a dictionary past its limit: finish this page with it, then continue in PLAIN */
  if (c->dict_on && (int64_t)c->dict.len > c->opts->dictionary_page_bytes) {
    PRESTIGE_TRY(flush_page(c, err));
    c->dict_on = false;
    c->dict_fell_back = true;
    return 0;
  }
  /* Pages hold at most 20,000 rows' levels (as Arrow C++ does): page statistics stay useful
   * and the dictionary is judged on a sample before it grows large. */
  if (c->page_levels >= 20000) return flush_page(c, err);
  int64_t est = (int64_t)(c->values.len + c->def.len / 4 + c->rep.len / 4);
  if (c->dict_on) est += (int64_t)(c->indices.len / 4) * (pq_bit_width(c->dict_n) + 1) / 8;
  if (est >= c->opts->data_page_bytes) return flush_page(c, err);
  return 0;
}

/* ---- chunk ------------------------------------------------------------------------------------------ */
static int write_out(prestige_output_t *out, const void *p, size_t n, prestige_error_t *err) {
  return out->write(out->ctx, p, n, err);
}

static int stat_copy(arena_t *a, pq_bytes_t *dst, const uint8_t *p, size_t n) {
  uint8_t *q = arena_alloc(a, n ? n : 1);
  if (!q) return PRESTIGE_ENOMEM;
  if (n) memcpy(q, p, n);
  dst->ptr = q;
  dst->len = (uint32_t)n;
  return 0;
}

/* -0.0 for a zero min and +0.0 for a zero max, as the spec asks of float statistics. */
static void float_zero_sign(const pqw_leaf_t *l, buf_t *min, buf_t *max) {
  if (l->physical == PRESTIGE_PHYSICAL_FLOAT) {
    float f;
    memcpy(&f, min->data, 4);
    if (f == 0) f = -0.0f, memcpy(min->data, &f, 4);
    memcpy(&f, max->data, 4);
    if (f == 0) f = 0.0f, memcpy(max->data, &f, 4);
  } else if (l->physical == PRESTIGE_PHYSICAL_DOUBLE) {
    double d;
    memcpy(&d, min->data, 8);
    if (d == 0) d = -0.0, memcpy(min->data, &d, 8);
    memcpy(&d, max->data, 8);
    if (d == 0) d = 0.0, memcpy(max->data, &d, 8);
  }
}

int pqw_column_finish_chunk(pqw_column_t *c, prestige_output_t *out, int64_t offset, arena_t *arena,
                            pqw_chunk_out_t *ch, prestige_error_t *err) {
  const pqw_leaf_t *l = c->leaf;
  PRESTIGE_TRY(flush_page(c, err));
  memset(ch, 0, sizeof(*ch));
  pq_column_meta_t *m = &ch->meta;
  int64_t dict_size = 0;
  if (c->used_dict) {
    buf_clear(&c->scratch2);
    PRESTIGE_TRY(pq_compress(c->codec, l->codec, l->level, c->dict.data, c->dict.len, &c->scratch2, err));
    pq_dictionary_page_header_t dh = {.num_values = (int32_t)c->dict_n, .encoding = PRESTIGE_ENCODING_PLAIN};
    pq_page_header_t h = {.type = PQ_PAGE_DICTIONARY, .uncompressed_page_size = (int32_t)c->dict.len,
                          .compressed_page_size = (int32_t)c->scratch2.len, .dictionary_page_header = &dh};
    if (c->opts->page_checksums) {
      h.has_crc = true;
      h.crc = (int32_t)pq_crc32(c->scratch2.data, c->scratch2.len);
    }
    buf_clear(&c->scratch);
    PRESTIGE_TRY(pq_page_header_encode(&h, &c->scratch, err));
    c->chunk_uncompressed += (int64_t)(c->scratch.len + c->dict.len);
    PRESTIGE_TRY(write_out(out, c->scratch.data, c->scratch.len, err));
    PRESTIGE_TRY(write_out(out, c->scratch2.data, c->scratch2.len, err));
    dict_size = (int64_t)(c->scratch.len + c->scratch2.len);
  }
  PRESTIGE_TRY(write_out(out, c->pages.data, c->pages.len, err));
  m->type = l->physical;
  int32_t ne = 0;
  if (c->used_dict) ch->encodings[ne++] = PRESTIGE_ENCODING_PLAIN, ch->encodings[ne++] = PRESTIGE_ENCODING_RLE_DICTIONARY;
  if (c->used_plain) {
    int e = l->physical == PRESTIGE_PHYSICAL_BOOLEAN ? PRESTIGE_ENCODING_PLAIN : l->encoding;
    if (!(c->used_dict && e == PRESTIGE_ENCODING_PLAIN)) ch->encodings[ne++] = e;
  }
  ch->encodings[ne++] = PRESTIGE_ENCODING_RLE;
  m->encodings = ch->encodings;
  m->n_encodings = ne;
  m->path_in_schema = l->parts;
  m->n_path_in_schema = l->n_parts;
  m->codec = l->codec;
  m->num_values = c->chunk_values;
  m->total_uncompressed_size = c->chunk_uncompressed;
  m->total_compressed_size = dict_size + (int64_t)c->pages.len;
  m->data_page_offset = offset + dict_size;
  if (c->used_dict) {
    m->has_dictionary_page_offset = true;
    m->dictionary_page_offset = offset;
  }
  if (l->statistics) {
    pq_statistics_t *s = &ch->stats;
    s->has_null_count = true;
    s->null_count = c->chunk_stats.null_count;
    if (is_float_leaf(l)) { /* PARQUET-2249: without it readers must assume NaN may be present */
      s->has_nan_count = true;
      s->nan_count = c->chunk_stats.nan_count;
    }
    if (c->chunk_stats.has) {
      float_zero_sign(l, &c->chunk_stats.min, &c->chunk_stats.max);
      bool var = l->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY;
      size_t limit = var ? (size_t)c->opts->max_statistics_bytes : SIZE_MAX;
      uint8_t tmp[1024];
      if (limit != SIZE_MAX && limit > sizeof(tmp)) limit = sizeof(tmp);
      const uint8_t *p;
      size_t n;
      bool exact;
      truncate_stat(c->chunk_stats.min.data, c->chunk_stats.min.len, limit, false, &p, &n, tmp, &exact);
      if (stat_copy(arena, &s->min_value, p, n)) return oom(err, c);
      s->has_min_value = true;
      if (var) s->has_is_min_value_exact = true, s->is_min_value_exact = exact;
      truncate_stat(c->chunk_stats.max.data, c->chunk_stats.max.len, limit, true, &p, &n, tmp, &exact);
      if (stat_copy(arena, &s->max_value, p, n)) return oom(err, c);
      s->has_max_value = true;
      if (var) s->has_is_max_value_exact = true, s->is_max_value_exact = exact;
    }
    m->statistics = s;
  }
  /* page index */
  if (c->opts->page_index && c->n_pages > 0) {
    pq_offset_index_t *oi = &ch->offset_index;
    oi->n_page_locations = c->n_pages;
    oi->page_locations = arena_calloc(arena, (size_t)c->n_pages, sizeof(pq_page_location_t));
    if (!oi->page_locations) return oom(err, c);
    for (int32_t p = 0; p < c->n_pages; p++)
      oi->page_locations[p] = (pq_page_location_t){offset + dict_size + c->page_index[p].offset, c->page_index[p].size,
                                                   c->page_index[p].first_row};
    bool usable = l->statistics;
    for (int32_t p = 0; p < c->n_pages && usable; p++)
      if (c->page_index[p].null_page && (c->page_index[p].null_count == 0 || c->page_index[p].nan_count > 0))
        usable = false; /* a page of NaN (and nulls) has no bounds, nor is it a null page; or an empty-list page */
    if (usable) {
      pq_column_index_t *ci = &ch->column_index;
      ci->n_pages = c->n_pages;
      ci->null_pages = arena_calloc(arena, (size_t)c->n_pages, sizeof(bool));
      ci->min_values = arena_calloc(arena, (size_t)c->n_pages, sizeof(pq_bytes_t));
      ci->max_values = arena_calloc(arena, (size_t)c->n_pages, sizeof(pq_bytes_t));
      ci->null_counts = arena_calloc(arena, (size_t)c->n_pages, sizeof(int64_t));
      if (!ci->null_pages || !ci->min_values || !ci->max_values || !ci->null_counts) return oom(err, c);
      if (is_float_leaf(l)) {
        ci->nan_counts = arena_calloc(arena, (size_t)c->n_pages, sizeof(int64_t));
        if (!ci->nan_counts) return oom(err, c);
        for (int32_t p = 0; p < c->n_pages; p++) ci->nan_counts[p] = c->page_index[p].nan_count;
      }
      bool asc = true, desc = true;
      int32_t prev = -1;
      for (int32_t p = 0; p < c->n_pages; p++) {
        const pqw_page_entry_t *e = &c->page_index[p];
        ci->null_pages[p] = e->null_page;
        ci->null_counts[p] = e->null_count;
        if (e->null_page) continue;
        if (stat_copy(arena, &ci->min_values[p], c->page_stat_bytes.data + e->min_off, e->min_len) ||
            stat_copy(arena, &ci->max_values[p], c->page_stat_bytes.data + e->max_off, e->max_len))
          return oom(err, c);
        if (prev >= 0) {
          const pqw_page_entry_t *q = &c->page_index[prev];
          const uint8_t *sb = c->page_stat_bytes.data;
          if (pqw_compare(l->sort, l->physical, sb + e->min_off, e->min_len, sb + q->min_off, q->min_len) < 0 ||
              pqw_compare(l->sort, l->physical, sb + e->max_off, e->max_len, sb + q->max_off, q->max_len) < 0)
            asc = false;
          if (pqw_compare(l->sort, l->physical, sb + e->min_off, e->min_len, sb + q->min_off, q->min_len) > 0 ||
              pqw_compare(l->sort, l->physical, sb + e->max_off, e->max_len, sb + q->max_off, q->max_len) > 0)
            desc = false;
        }
        prev = p;
      }
      ci->boundary_order = asc ? PQ_BOUNDARY_ASCENDING : desc ? PQ_BOUNDARY_DESCENDING : PQ_BOUNDARY_UNORDERED;
    }
  }
  /* file-wide summary */
  c->file_values += c->chunk_values;
  c->file_compressed += m->total_compressed_size;
  c->file_uncompressed += m->total_uncompressed_size;
  if (stats_merge(&c->file_stats, &c->chunk_stats, l)) return oom(err, c);
  /* reset for the next row group */
  buf_clear(&c->pages);
  buf_clear(&c->page_stat_bytes);
  c->n_pages = 0;
  c->chunk_values = c->chunk_uncompressed = 0;
  c->page_first_row = 0;
  stats_reset(&c->chunk_stats);
  dict_reset(c);
  c->dict_on = l->dictionary;
  c->dict_fell_back = false;
  c->used_dict = c->used_plain = false;
  return 0;
}

/*
 * Private to the column chunk writer's files (writer_column.c: Arrow to levels and values,
 * writer_levels.c: definition and repetition levels, writer_stats.c: statistics and their bounds,
 * writer_dict.c: the dictionary, writer_pages.c: pages, chunks and the page index). The helpers
 * the per-value loops call are static inline here so that they stay inlined.
 */
#ifndef PRESTIGE_PARQUET_WRITER_COLUMN_INTERNAL_H
#define PRESTIGE_PARQUET_WRITER_COLUMN_INTERNAL_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/writer_internal.h"

int pqw_oom(prestige_error_t *err, const pqw_column_t *c);

/* ---- comparison (inline: the per-value statistics call it) ---------------------------------------------------------------------------- */
static inline float pqw_half_to_float(uint16_t h) {
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

static inline int pqw_compare_inline(pqw_sort_t sort, int32_t physical, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
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
      float fx = pqw_half_to_float(x), fy = pqw_half_to_float(y);
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


/* ---- statistics (writer_stats.c) ------------------------------------------------------------ */
void pqw_stats_release(pqw_stats_t *s);
void pqw_stats_reset(pqw_stats_t *s);
int pqw_stats_merge(pqw_stats_t *into, const pqw_stats_t *from, const pqw_leaf_t *l);
/* -0.0 for a zero min and +0.0 for a zero max, as the spec asks of float statistics. */
void pqw_float_zero_sign(const pqw_leaf_t *l, buf_t *min, buf_t *max);

/* FLOAT, DOUBLE and FLOAT16 columns count their NaN (nan_count, PARQUET-2249). */
static inline bool is_float_leaf(const pqw_leaf_t *l) {
  return l->physical == PRESTIGE_PHYSICAL_FLOAT || l->physical == PRESTIGE_PHYSICAL_DOUBLE || l->sort == SORT_FLOAT16;
}

static inline bool is_nan(const pqw_leaf_t *l, const uint8_t *v) {
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
  if (pqw_compare_inline(l->sort, l->physical, v, len, s->min.data, s->min.len) < 0) {
    buf_clear(&s->min);
    if (buf_append(&s->min, v, len)) return PRESTIGE_ENOMEM;
  } else if (pqw_compare_inline(l->sort, l->physical, v, len, s->max.data, s->max.len) > 0) {
    buf_clear(&s->max);
    if (buf_append(&s->max, v, len)) return PRESTIGE_ENOMEM;
  }
  return 0;
}

/* ---- dictionary (writer_dict.c) ------------------------------------------------------------- */
int pqw_dict_grow(pqw_column_t *c);
void pqw_dict_reset(pqw_column_t *c);
/* The page's seen-entries bitmap (strings with a dictionary: only a value new to the page is
 * compared with the page's bounds): room for `bits` entries; cleared when a page is cut and
 * when the dictionary is reset. */
int pqw_page_seen_grow(pqw_column_t *c, uint32_t bits);
void pqw_page_seen_reset(pqw_column_t *c);
/* The first page of a chunk decides whether the dictionary pays; see writer_dict.c. */
int pqw_check_dictionary(pqw_column_t *c, prestige_error_t *err);

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

/* a == b for n bytes; short values (most dictionary strings) without a call to memcmp */
static inline bool bytes_eq(const uint8_t *a, const uint8_t *b, size_t n) {
  if (n >= 8 && n <= 16) return load_le64(a) == load_le64(b) && load_le64(a + n - 8) == load_le64(b + n - 8);
  if (n >= 4 && n < 8) return load_le32(a) == load_le32(b) && load_le32(a + n - 4) == load_le32(b + n - 4);
  if (n < 4) {
    for (size_t i = 0; i < n; i++)
      if (a[i] != b[i]) return false;
    return true;
  }
  return memcmp(a, b, n) == 0;
}

/* Index of value v (len bytes) in the dictionary, inserting it when new. */
static inline int dict_index(pqw_column_t *c, const uint8_t *v, size_t len, uint32_t *index) {
  if ((c->dict_n + 1) * 2 > c->n_slots && pqw_dict_grow(c)) return PRESTIGE_ENOMEM;
  bool var = c->leaf->physical == PRESTIGE_PHYSICAL_BYTE_ARRAY;
  uint32_t mask = c->n_slots - 1;
  uint32_t h = (uint32_t)hash_bytes(v, len) & mask;
  for (;;) {
    uint32_t s = c->slots[h];
    if (!s) break;
    const uint8_t *p = c->dict.data + c->dict_offsets[s - 1];
    bool eq;
    if (var) eq = load_le32(p) == len && bytes_eq(p + 4, v, len);
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

/* ---- values (writer_column.c) --------------------------------------------------------------- */
/* Appends the values at indices idx[0..n) (absolute in a; NULL: base, base+1, ...) of leaf array a
 * to the page, as dictionary indices or plain values, updating the page statistics. */
int pqw_append_values(pqw_column_t *c, const struct ArrowArray *a, const int64_t *idx, int64_t base, int64_t n,
                      prestige_error_t *err);

#endif

/* Parquet writer statistics: the sort orders' comparison, min/max/null/NaN counts merged from pages
 * to chunks to the file, and bounds cut to max_statistics_bytes (core/truncate.h). */
#include "core/truncate.h"
#include "parquet/writer_column_internal.h"

void pqw_stats_release(pqw_stats_t *s) {
  buf_release(&s->min);
  buf_release(&s->max);
}
void pqw_stats_reset(pqw_stats_t *s) {
  s->has = false;
  buf_clear(&s->min);
  buf_clear(&s->max);
  s->null_count = s->nan_count = 0;
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

int pqw_stats_merge(pqw_stats_t *into, const pqw_stats_t *from, const pqw_leaf_t *l) {
  into->null_count += from->null_count;
  into->nan_count += from->nan_count;
  if (!from->has) return 0;
  int rc = stats_update(into, l, from->min.data, from->min.len);
  if (!rc) rc = stats_update(into, l, from->max.data, from->max.len);
  return rc;
}

void pqw_stat_bound(const uint8_t *v, size_t len, size_t limit, bool is_max, uint8_t *tmp, const uint8_t **out,
                    size_t *out_len, bool *exact) {
  *out = v;
  *out_len = len;
  *exact = true;
  if (len <= limit) return;
  if (!is_max) {
    *out_len = trunc_lower_bytes(len, limit);
    *exact = false;
  } else if (trunc_upper_bytes(v, len, limit, tmp, out_len) == TRUNC_CUT) {
    *out = tmp;
    *exact = false;
  } else {
    *out_len = len; /* all 0xff: no shorter upper bound, keep the exact value */
  }
}

/* -0.0 for a zero min and +0.0 for a zero max, as the spec asks of float statistics. */
void pqw_float_zero_sign(const pqw_leaf_t *l, buf_t *min, buf_t *max) {
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

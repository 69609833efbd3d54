/* prestige_array_filter: the selected rows of an array of any type copied into a new array. */
#include <stdlib.h>
#include <string.h>

#include "prestige/predicate.h"

static inline bool bit(const uint8_t *b, int64_t i) { return (b[i >> 3] >> (i & 7)) & 1; }
static inline void set_bit(uint8_t *b, int64_t i) { b[i >> 3] |= (uint8_t)(1u << (i & 7)); }

static int oom(prestige_error_t *err) { return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory filtering an array"); }

static int bad(prestige_error_t *err, const struct ArrowSchema *s, const char *what) {
  return prestige_error_set(err, PRESTIGE_EINVAL, "filtering column \"%s\" (%s): %s", s->name ? s->name : "", s->format, what);
}

static int filter_rec(const struct ArrowArray *a, const struct ArrowSchema *s, int64_t start, int64_t len, const uint8_t *sel,
                      int64_t n_sel, struct ArrowArray *out, prestige_error_t *err);

/* Validity of the selected rows into buffer 0 of out (none when no selected row is null). */
static int filter_validity(const struct ArrowArray *a, int64_t phys, int64_t len, const uint8_t *sel, int64_t n_sel,
                           struct ArrowArray *out, prestige_error_t *err) {
  const uint8_t *v = a->n_buffers > 0 ? a->buffers[0] : NULL;
  out->null_count = 0;
  if (!v || a->null_count == 0) return 0;
  uint8_t *bits = prestige_buffer_alloc((n_sel + 7) / 8);
  if (!bits) return oom(err);
  memset(bits, 0, (size_t)(n_sel + 7) / 8);
  int64_t o = 0, nulls = 0;
  for (int64_t i = 0; i < len; i++) {
    if (!bit(sel, i)) continue;
    if (bit(v, phys + i)) set_bit(bits, o);
    else nulls++;
    o++;
  }
  if (!nulls) {
    free(bits);
    return 0;
  }
  out->null_count = nulls;
  prestige_array_set_buffer(out, 0, bits);
  return 0;
}

static int filter_fixed(const uint8_t *src, int64_t width, int64_t phys, int64_t len, const uint8_t *sel, int64_t n_sel,
                        struct ArrowArray *out, prestige_error_t *err) {
  uint8_t *dst = prestige_buffer_alloc(n_sel * width);
  if (!dst) return oom(err);
  const uint8_t *p = src + phys * width;
  int64_t o = 0;
  switch (width) { /* the common widths as typed copies */
    case 4:
      for (int64_t i = 0; i < len; i++)
        if (bit(sel, i)) ((uint32_t *)dst)[o++] = ((const uint32_t *)(const void *)p)[i];
      break;
    case 8:
      for (int64_t i = 0; i < len; i++)
        if (bit(sel, i)) ((uint64_t *)dst)[o++] = ((const uint64_t *)(const void *)p)[i];
      break;
    default:
      for (int64_t i = 0; i < len; i++)
        if (bit(sel, i)) memcpy(dst + width * o++, p + width * i, (size_t)width);
  }
  prestige_array_set_buffer(out, 1, dst);
  return 0;
}

static int filter_bytes(const struct ArrowArray *a, bool large, int64_t phys, int64_t len, const uint8_t *sel, int64_t n_sel,
                        struct ArrowArray *out, prestige_error_t *err) {
  const int32_t *o32 = a->buffers[1];
  const int64_t *o64 = a->buffers[1];
  const uint8_t *data = a->buffers[2];
  int64_t total = 0;
  for (int64_t i = 0; i < len; i++)
    if (bit(sel, i)) total += large ? o64[phys + i + 1] - o64[phys + i] : (int64_t)o32[phys + i + 1] - o32[phys + i];
  if (!large && total > INT32_MAX) return prestige_error_set(err, PRESTIGE_EINVAL, "filtered strings exceed 2 GiB");
  void *off = prestige_buffer_alloc((n_sel + 1) * (large ? 8 : 4));
  uint8_t *dst = prestige_buffer_alloc(total);
  if (!off || !dst) {
    free(off);
    free(dst);
    return oom(err);
  }
  int64_t pos = 0, k = 0;
  if (large) ((int64_t *)off)[0] = 0;
  else ((int32_t *)off)[0] = 0;
  for (int64_t i = 0; i < len; i++) {
    if (!bit(sel, i)) continue;
    int64_t s = large ? o64[phys + i] : o32[phys + i], e = large ? o64[phys + i + 1] : o32[phys + i + 1];
    if (e > s) memcpy(dst + pos, data + s, (size_t)(e - s));
    pos += e - s;
    k++;
    if (large) ((int64_t *)off)[k] = pos;
    else ((int32_t *)off)[k] = (int32_t)pos;
  }
  prestige_array_set_buffer(out, 1, off);
  prestige_array_set_buffer(out, 2, dst);
  return 0;
}

/* List-like: the elements of the selected rows, child range [lo, hi) with per-row bounds. */
static int filter_children_ranges(const struct ArrowArray *a, const struct ArrowSchema *s, int64_t phys, int64_t len,
                                  const uint8_t *sel, int64_t n_sel, struct ArrowArray *out, int kind, int64_t fixed,
                                  prestige_error_t *err) {
  const int32_t *o32 = kind == 2 ? NULL : a->buffers[1];
  const int64_t *o64 = kind == 2 ? NULL : a->buffers[1];
#define ROW_START(i) (kind == 2 ? (phys + (i)) * fixed : kind == 1 ? o64[phys + (i)] : (int64_t)o32[phys + (i)])
  int64_t lo = len ? ROW_START(0) : 0, hi = len ? ROW_START(len) : 0;
  if (hi < lo) return bad(err, s, "offsets decrease");
  uint8_t *csel = calloc((size_t)((hi - lo + 7) / 8 + 1), 1);
  void *off = kind == 2 ? NULL : prestige_buffer_alloc((n_sel + 1) * (kind == 1 ? 8 : 4));
  if (!csel || (kind != 2 && !off)) {
    free(csel);
    free(off);
    return oom(err);
  }
  int64_t n_child = 0, k = 0;
  if (off) {
    if (kind == 1) ((int64_t *)off)[0] = 0;
    else ((int32_t *)off)[0] = 0;
  }
  for (int64_t i = 0; i < len; i++) {
    if (!bit(sel, i)) continue;
    int64_t st = ROW_START(i), en = ROW_START(i + 1);
    for (int64_t j = st; j < en; j++) set_bit(csel, j - lo);
    n_child += en > st ? en - st : 0;
    k++;
    if (kind == 1) ((int64_t *)off)[k] = n_child;
    else if (kind == 0) {
      if (n_child > INT32_MAX) {
        free(csel);
        free(off);
        return bad(err, s, "more than 2^31 list elements");
      }
      ((int32_t *)off)[k] = (int32_t)n_child;
    }
  }
#undef ROW_START
  if (off) prestige_array_set_buffer(out, 1, off);
  int rc = filter_rec(a->children[0], s->children[0], lo, hi - lo, csel, n_child, out->children[0], err);
  free(csel);
  return rc;
}

static int filter_rec(const struct ArrowArray *a, const struct ArrowSchema *s, int64_t start, int64_t len, const uint8_t *sel,
                      int64_t n_sel, struct ArrowArray *out, prestige_error_t *err) {
  prestige_arrow_type_info_t t;
  PRESTIGE_TRY(prestige_arrow_schema_type(s, &t, err));
  int64_t phys = a->offset + start;
  int64_t nb = t.type == PRESTIGE_ARROW_DICTIONARY ? 2 : prestige_arrow_type_buffer_count(t.type);
  int64_t nc = t.type == PRESTIGE_ARROW_STRUCT ? s->n_children
               : (t.type == PRESTIGE_ARROW_LIST || t.type == PRESTIGE_ARROW_LARGE_LIST || t.type == PRESTIGE_ARROW_MAP ||
                  t.type == PRESTIGE_ARROW_FIXED_SIZE_LIST)
                   ? 1
                   : 0;
  if (a->n_buffers < nb || a->n_children < nc || (nc && s->n_children < nc)) return bad(err, s, "buffers or children missing");
  for (int64_t i = 1; i < nb; i++)
    if (!a->buffers[i] && len > 0) return bad(err, s, "a data buffer is missing");
  PRESTIGE_TRY(prestige_array_init(out, nb, nc, err));
  out->length = n_sel;
  int rc = 0;
  if (t.type == PRESTIGE_ARROW_NA) {
    out->null_count = n_sel;
    return 0;
  }
  rc = filter_validity(a, phys, len, sel, n_sel, out, err);
  switch (t.type) {
    case PRESTIGE_ARROW_BOOL: {
      uint8_t *dst = rc ? NULL : prestige_buffer_alloc((n_sel + 7) / 8);
      if (!rc && !dst) rc = oom(err);
      if (!rc) {
        memset(dst, 0, (size_t)(n_sel + 7) / 8);
        const uint8_t *v = a->buffers[1];
        for (int64_t i = 0, o = 0; i < len; i++) {
          if (!bit(sel, i)) continue;
          if (bit(v, phys + i)) set_bit(dst, o);
          o++;
        }
        prestige_array_set_buffer(out, 1, dst);
      }
      break;
    }
    case PRESTIGE_ARROW_STRING: case PRESTIGE_ARROW_BINARY:
      if (!rc) rc = filter_bytes(a, false, phys, len, sel, n_sel, out, err);
      break;
    case PRESTIGE_ARROW_LARGE_STRING: case PRESTIGE_ARROW_LARGE_BINARY:
      if (!rc) rc = filter_bytes(a, true, phys, len, sel, n_sel, out, err);
      break;
    case PRESTIGE_ARROW_STRUCT:
      for (int64_t c = 0; !rc && c < nc; c++) rc = filter_rec(a->children[c], s->children[c], phys, len, sel, n_sel, out->children[c], err);
      break;
    case PRESTIGE_ARROW_LIST: case PRESTIGE_ARROW_MAP:
      if (!rc) rc = filter_children_ranges(a, s, phys, len, sel, n_sel, out, 0, 0, err);
      break;
    case PRESTIGE_ARROW_LARGE_LIST:
      if (!rc) rc = filter_children_ranges(a, s, phys, len, sel, n_sel, out, 1, 0, err);
      break;
    case PRESTIGE_ARROW_FIXED_SIZE_LIST:
      if (!rc) rc = filter_children_ranges(a, s, phys, len, sel, n_sel, out, 2, t.fixed_size, err);
      break;
    case PRESTIGE_ARROW_DICTIONARY: {
      if (!a->dictionary) {
        rc = bad(err, s, "the dictionary is missing");
        break;
      }
      if (!rc) rc = filter_fixed(a->buffers[1], t.byte_width, phys, len, sel, n_sel, out, err);
      if (!rc) rc = prestige_array_allocate_dictionary(out, err);
      if (!rc) { /* the dictionary is carried whole */
        const struct ArrowArray *d = a->dictionary;
        uint8_t *all = malloc((size_t)(d->length + 7) / 8 + 1);
        if (!all) rc = oom(err);
        else {
          memset(all, 0xff, (size_t)(d->length + 7) / 8 + 1);
          rc = filter_rec(d, s->dictionary, 0, d->length, all, d->length, out->dictionary, err);
          free(all);
        }
      }
      break;
    }
    default: {
      int64_t w = t.type == PRESTIGE_ARROW_FIXED_SIZE_BINARY ? t.fixed_size : t.byte_width;
      if (!rc && w <= 0) rc = prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "filtering column \"%s\": type %s is not supported",
                                                 s->name ? s->name : "", s->format);
      if (!rc) rc = filter_fixed(a->buffers[1], w, phys, len, sel, n_sel, out, err);
    }
  }
  if (rc) out->release(out);
  return rc;
}

int prestige_array_filter(const struct ArrowArray *array, const struct ArrowSchema *schema, const uint8_t *selection,
                          int64_t n_selected, struct ArrowArray *out, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  memset(out, 0, sizeof(*out));
  if (!array || !schema || !selection || n_selected < 0 || n_selected > array->length)
    return prestige_error_set(err, PRESTIGE_EINVAL, "array_filter: bad arguments");
  return filter_rec(array, schema, 0, array->length, selection, n_selected, out, err);
}

/* Decodes one column chunk: page headers, CRCs, decompression, levels, dictionary and values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "parquet/encoding.h"
#include "parquet/reader_internal.h"

void rcolumn_release(rcolumn_t *c) {
  bufpool_t *pool = c->pool;
  bufpool_put(pool, c->def);
  bufpool_put(pool, c->rep);
  bufpool_put(pool, c->offsets);
  bufpool_put(pool, c->offsets32);
  bufpool_put(pool, c->values.data);
  bufpool_put(pool, c->data.data);
  memset(c, 0, sizeof(*c));
  c->pool = pool;
}

/* Gives b storage for `need` bytes from the pool when it has none yet (buf_reserve grows it from
 * there as usual). */
static int seed_buf(bufpool_t *pool, buf_t *b, size_t need) {
  if (b->data || !pool || need < BUFPOOL_MIN_BLOCK) return 0;
  size_t cap;
  b->data = bufpool_get(pool, need, &cap);
  if (!b->data) return PRESTIGE_ENOMEM;
  b->cap = cap;
  b->len = 0;
  return 0;
}

/* realloc, with a pooled block for the first allocation. */
static void *grow_block(bufpool_t *pool, void *old, size_t n) {
  if (old || !pool) return realloc(old, n);
  size_t cap;
  return bufpool_get(pool, n, &cap);
}

typedef struct dict {
  int64_t n;
  buf_t fixed;      /* fixed-width entries */
  int64_t *offsets; /* byte arrays */
  buf_t data;
} dict_t;

typedef struct ctx {
  rcolumn_t *c;
  const rnode_t *leaf;
  const char *where;
  prestige_error_t *err;
  int64_t cap_levels, cap_values_off;
  dict_t dict;
  bool has_dict;
  bool spaced;  /* values stored per slot (flat nullable columns): see rcolumn_t */
  buf_t *page;  /* decompressed page (the reader's scratch, reused across chunks) */
  int64_t max_page_bytes;
  int64_t expect; /* values the chunk should hold (from the metadata, bounded); 0: unknown */
} ctx_t;

static int corrupt(ctx_t *x, const char *fmt, const char *detail) {
  char msg[256];
  snprintf(msg, sizeof(msg), fmt, detail);
  return prestige_error_set(x->err, PRESTIGE_ECORRUPT, "%s: %s", x->where, msg);
}

/* A page's claimed uncompressed size is checked before its buffer is allocated: within the
 * reader's max_page_bytes and within what its compressed bytes can hold (see pq_codec_check_size),
 * so that a corrupt header costs nothing and a corrupt page only what decoding it to its first
 * error costs. */
static int check_page_size(ctx_t *x, pq_codec_t cc, const uint8_t *raw, size_t raw_len, size_t claimed, const char *what) {
  if (claimed > (uint64_t)x->max_page_bytes)
    return prestige_error_set(x->err, PRESTIGE_ENOMEM, "%s: %s of %zu uncompressed bytes is larger than max_page_bytes (%lld)",
                              x->where, what, claimed, (long long)x->max_page_bytes);
  if (pq_codec_check_size(cc, raw, raw_len, claimed, x->err)) return prestige_error_prefix(x->err, "%s: %s", x->where, what);
  return 0;
}

static int fixed_width(const rnode_t *l) {
  switch (l->physical) {
    case PRESTIGE_PHYSICAL_BOOLEAN: return 1;
    case PRESTIGE_PHYSICAL_INT32: case PRESTIGE_PHYSICAL_FLOAT: return 4;
    case PRESTIGE_PHYSICAL_INT64: case PRESTIGE_PHYSICAL_DOUBLE: return 8;
    case PRESTIGE_PHYSICAL_INT96: return 12;
    case PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY: return l->type_length;
    default: return 0;
  }
}

static int grow_levels(ctx_t *x, int64_t need) {
  rcolumn_t *c = x->c;
  if (c->n_levels + need <= x->cap_levels) return 0;
  int64_t cap = x->cap_levels ? x->cap_levels : 1024;
  while (cap < c->n_levels + need) cap *= 2;
  if (x->leaf->def > 0) {
    int16_t *d = grow_block(c->pool, c->def, (size_t)cap * 2);
    if (!d) return PRESTIGE_ENOMEM;
    c->def = d;
  }
  if (x->leaf->max_rep > 0) {
    int16_t *r = grow_block(c->pool, c->rep, (size_t)cap * 2);
    if (!r) return PRESTIGE_ENOMEM;
    c->rep = r;
  }
  x->cap_levels = cap;
  return 0;
}

/* Makes room for `more` further byte-array offsets. */
static int reserve_offsets(ctx_t *x, int64_t more) {
  rcolumn_t *c = x->c;
  if (c->n_values + more + 1 <= x->cap_values_off) return 0;
  int64_t cap = x->cap_values_off ? x->cap_values_off * 2 : 1024;
  while (cap < c->n_values + more + 1) cap *= 2;
  if (c->narrow) {
    int32_t *o = grow_block(c->pool, c->offsets32, (size_t)cap * 4);
    if (!o) return PRESTIGE_ENOMEM;
    if (!c->offsets32) o[0] = 0;
    c->offsets32 = o;
  } else {
    int64_t *o = grow_block(c->pool, c->offsets, (size_t)cap * 8);
    if (!o) return PRESTIGE_ENOMEM;
    if (!c->offsets) o[0] = 0;
    c->offsets = o;
  }
  x->cap_values_off = cap;
  return 0;
}

/* Narrow offsets about to pass `end` bytes: past INT32_MAX they become 64-bit ones (the
 * assembly then reports the column too big for a string array, as for any such chunk). */
static int fit_offsets(ctx_t *x, size_t end) {
  rcolumn_t *c = x->c;
  if (!c->narrow || end <= (size_t)INT32_MAX) return 0;
  c->narrow = false;
  if (!c->offsets32) return 0;
  size_t cap = (size_t)(x->cap_values_off ? x->cap_values_off : 1);
  int64_t *o = grow_block(c->pool, NULL, cap * 8);
  if (!o) return PRESTIGE_ENOMEM;
  for (int64_t i = 0; i <= c->n_values; i++) o[i] = c->offsets32[i];
  bufpool_put(c->pool, c->offsets32);
  c->offsets32 = NULL;
  c->offsets = o;
  return 0;
}

/* Appends one byte-array value. */
static int push_bytes(ctx_t *x, const uint8_t *p, size_t len) {
  rcolumn_t *c = x->c;
  if (fit_offsets(x, c->data.len + len) || reserve_offsets(x, 1)) return PRESTIGE_ENOMEM;
  if (buf_append(&c->data, p, len)) return PRESTIGE_ENOMEM;
  ++c->n_values;
  if (c->narrow) c->offsets32[c->n_values] = (int32_t)c->data.len;
  else c->offsets[c->n_values] = (int64_t)c->data.len;
  return 0;
}

/* Decodes n PLAIN values of the leaf's type. */
static int plain_values(ctx_t *x, const uint8_t *p, size_t len, int64_t n, bool to_dict) {
  const rnode_t *l = x->leaf;
  int w = fixed_width(l);
  if (l->physical == PRESTIGE_PHYSICAL_BOOLEAN) {
    if ((size_t)((n + 7) / 8) > len) return corrupt(x, "%s", "PLAIN booleans run past the end of the page");
    buf_t *b = to_dict ? &x->dict.fixed : &x->c->values;
    if (buf_reserve(b, (size_t)n)) return PRESTIGE_ENOMEM;
    for (int64_t i = 0; i < n; i++) b->data[b->len + (size_t)i] = (p[i >> 3] >> (i & 7)) & 1;
    b->len += (size_t)n;
    if (!to_dict) x->c->n_values += n;
    return 0;
  }
  if (w > 0) {
    if ((uint64_t)n * (uint64_t)w > len) return corrupt(x, "%s", "PLAIN values run past the end of the page");
    buf_t *b = to_dict ? &x->dict.fixed : &x->c->values;
    if (buf_append(b, p, (size_t)n * (size_t)w)) return PRESTIGE_ENOMEM;
    if (!to_dict) x->c->n_values += n;
    return 0;
  }
  size_t pos = 0;
  if (!to_dict) { /* the values of a page fit in its bytes: reserve once, copy without per-value checks */
    rcolumn_t *c = x->c;
    if (fit_offsets(x, c->data.len + len) || reserve_offsets(x, n) || buf_reserve(&c->data, len + 1)) return PRESTIGE_ENOMEM;
    int64_t *off = c->narrow ? NULL : c->offsets + c->n_values;
    int32_t *off32 = c->narrow ? c->offsets32 + c->n_values : NULL;
    uint8_t *dst = c->data.data + c->data.len;
    size_t out = 0;
    for (int64_t i = 0; i < n; i++) {
      if (len - pos < 4) return corrupt(x, "%s", "PLAIN byte array length runs past the end of the page");
      uint32_t vl = load_le32(p + pos);
      pos += 4;
      if (vl > len - pos) return corrupt(x, "%s", "PLAIN byte array runs past the end of the page");
      memcpy(dst + out, p + pos, vl);
      out += vl;
      pos += vl;
      if (off32) off32[i + 1] = (int32_t)(c->data.len + out); /* fits: the page's bytes were checked */
      else off[i + 1] = (int64_t)(c->data.len + out);
    }
    c->data.len += out;
    c->n_values += n;
    return 0;
  }
  for (int64_t i = 0; i < n; i++) {
    if (len - pos < 4) return corrupt(x, "%s", "PLAIN byte array length runs past the end of the page");
    uint32_t vl = load_le32(p + pos);
    pos += 4;
    if (vl > len - pos) return corrupt(x, "%s", "PLAIN byte array runs past the end of the page");
    if (to_dict) {
      x->dict.offsets[i + 1] = x->dict.offsets[i] + vl;
      if (buf_append(&x->dict.data, p + pos, vl)) return PRESTIGE_ENOMEM;
    } else if (push_bytes(x, p + pos, vl)) {
      return PRESTIGE_ENOMEM;
    }
    pos += vl;
  }
  return 0;
}

/* Byte arrays decoded from a dictionary take about (mean entry length) x (values) bytes, often
 * many times the chunk's uncompressed size that sized the buffer: take a block of that size
 * now (from the pool) rather than growing by realloc page after page, each growth a copy into
 * freshly faulted pages. Bounded as the first guess is (256 MiB). */
static int presize_strings(ctx_t *x) {
  rcolumn_t *c = x->c;
  if (fixed_width(x->leaf) != 0 || x->dict.n <= 0 || x->expect <= 0 || c->data.len > 0) return 0;
  double want = (double)x->dict.data.len / (double)x->dict.n * (double)x->expect + 16;
  if (want <= (double)c->data.cap || want > (double)((size_t)1 << 28)) return 0;
  bufpool_put(c->pool, c->data.data);
  c->data = (buf_t)BUF_INIT;
  if (c->pool && seed_buf(c->pool, &c->data, (size_t)want)) return PRESTIGE_ENOMEM;
  return buf_reserve(&c->data, (size_t)want) ? PRESTIGE_ENOMEM : 0;
}

static int dictionary_page(ctx_t *x, const pq_page_header_t *h, const uint8_t *p, size_t len) {
  const pq_dictionary_page_header_t *d = h->dictionary_page_header;
  if (!d) return corrupt(x, "%s", "dictionary page without its header");
  if (x->has_dict) return corrupt(x, "%s", "second dictionary page in a column chunk");
  if (d->num_values < 0 || (uint64_t)d->num_values > len * 8 + 1) return corrupt(x, "%s", "bad dictionary size");
  if (d->encoding != PRESTIGE_ENCODING_PLAIN && d->encoding != PRESTIGE_ENCODING_PLAIN_DICTIONARY)
    return prestige_error_set(x->err, PRESTIGE_EUNSUPPORTED, "%s: dictionary page encoding %s", x->where,
                              prestige_encoding_name((prestige_encoding_t)d->encoding));
  x->dict.n = d->num_values;
  if (fixed_width(x->leaf) == 0) {
    x->dict.offsets = calloc((size_t)d->num_values + 1, 8);
    if (!x->dict.offsets) return PRESTIGE_ENOMEM;
  }
  x->has_dict = true;
  PRESTIGE_TRY(plain_values(x, p, len, d->num_values, true));
  /* 16 zero bytes after the entries: short values are gathered with one fixed-size copy */
  if (buf_reserve(&x->dict.data, 16)) return PRESTIGE_ENOMEM;
  memset(x->dict.data.data + x->dict.data.len, 0, 16);
  return presize_strings(x);
}

/* Copies the dictionary strings idx[0..k) after the column's bytes (room reserved, 16 bytes of
 * slack) and writes their end offsets to off[1..k]; returns the new end. */
#define GATHER_STRINGS(name, T)                                                                    \
  static size_t name(ctx_t *x, const uint32_t *idx, size_t k, T *off) {                           \
    const int64_t *doff = x->dict.offsets;                                                         \
    uint8_t *dst = x->c->data.data, *src = x->dict.data.data;                                      \
    size_t at = x->c->data.len;                                                                    \
    for (size_t i = 0; i < k; i++) {                                                               \
      int64_t s0 = doff[idx[i]], l0 = doff[idx[i] + 1] - s0;                                       \
      if (l0 <= 16) memcpy(dst + at, src + s0, 16); /* short strings: fixed copy */                \
      else if (l0) memcpy(dst + at, src + s0, (size_t)l0);                                          \
      at += (size_t)l0;                                                                            \
      off[i + 1] = (T)at;                                                                          \
    }                                                                                              \
    return at;                                                                                     \
  }
GATHER_STRINGS(gather_strings64, int64_t)
GATHER_STRINGS(gather_strings32, int32_t)

static int dict_values(ctx_t *x, const uint8_t *p, size_t len, int64_t n) {
  if (!x->has_dict) return corrupt(x, "%s", "dictionary-encoded page without a dictionary page");
  if (n == 0) return 0;
  if (len < 1) return corrupt(x, "%s", "dictionary indices missing");
  int bw = p[0];
  if (bw > 32) return corrupt(x, "%s", "dictionary index bit width over 32");
  pq_rle_decoder_t d;
  pq_rle_decoder_init(&d, p + 1, len - 1, bw);
  uint32_t idx[1024];
  int w = fixed_width(x->leaf);
  for (int64_t done = 0; done < n;) {
    size_t k = (size_t)(n - done < 1024 ? n - done : 1024);
    int rc = pq_rle_decoder_get_u32(&d, idx, k, x->err);
    if (rc) return prestige_error_prefix(x->err, "%s: dictionary indices", x->where);
    uint32_t bad = 0;
    for (size_t i = 0; i < k; i++) bad |= idx[i] >= (uint64_t)x->dict.n; /* vectorises: no early exit */
    if (bad) return corrupt(x, "%s", "dictionary index out of range");
    if (w == 4 || w == 8) { /* typed gather */
      if (buf_reserve(&x->c->values, k * (size_t)w)) return PRESTIGE_ENOMEM;
      uint8_t *dst = x->c->values.data + x->c->values.len;
      if (w == 4) {
        const uint32_t *src = (const uint32_t *)x->dict.fixed.data;
        for (size_t i = 0; i < k; i++) ((uint32_t *)dst)[i] = src[idx[i]];
      } else {
        const uint64_t *src = (const uint64_t *)x->dict.fixed.data;
        for (size_t i = 0; i < k; i++) ((uint64_t *)dst)[i] = src[idx[i]];
      }
      x->c->values.len += k * (size_t)w;
      x->c->n_values += (int64_t)k;
      done += (int64_t)k;
      continue;
    }
    if (w == 0) { /* byte arrays: total size first, then one reservation and plain copies */
      rcolumn_t *c = x->c;
      const int64_t *doff = x->dict.offsets;
      size_t total = 0;
      for (size_t i = 0; i < k; i++) total += (size_t)(doff[idx[i] + 1] - doff[idx[i]]);
      if (fit_offsets(x, c->data.len + total) || reserve_offsets(x, (int64_t)k) || buf_reserve(&c->data, total + 16))
        return PRESTIGE_ENOMEM;
      if (c->narrow) c->data.len = gather_strings32(x, idx, k, c->offsets32 + c->n_values);
      else c->data.len = gather_strings64(x, idx, k, c->offsets + c->n_values);
      c->n_values += (int64_t)k;
      done += (int64_t)k;
      continue;
    }
    for (size_t i = 0; i < k; i++)
      if (buf_append(&x->c->values, x->dict.fixed.data + (size_t)idx[i] * (size_t)w, (size_t)w)) return PRESTIGE_ENOMEM;
    if (w > 0) x->c->n_values += (int64_t)k;
    done += (int64_t)k;
  }
  return 0;
}

static int decode_values(ctx_t *x, int encoding, const uint8_t *p, size_t len, int64_t n) {
  const rnode_t *l = x->leaf;
  if (n == 0) return 0; /* an all-null page has no values to decode */
  int w = fixed_width(l);
  rcolumn_t *c = x->c;
  switch (encoding) {
    case PRESTIGE_ENCODING_PLAIN: return plain_values(x, p, len, n, false);
    case PRESTIGE_ENCODING_PLAIN_DICTIONARY:
    case PRESTIGE_ENCODING_RLE_DICTIONARY: return dict_values(x, p, len, n);
    case PRESTIGE_ENCODING_RLE: {
      if (l->physical != PRESTIGE_PHYSICAL_BOOLEAN) break;
      if (len < 4 || load_le32(p) > len - 4) return corrupt(x, "%s", "RLE boolean length prefix");
      pq_rle_decoder_t d;
      pq_rle_decoder_init(&d, p + 4, load_le32(p), 1);
      uint32_t tmp[1024];
      for (int64_t done = 0; done < n;) {
        size_t k = (size_t)(n - done < 1024 ? n - done : 1024);
        if (pq_rle_decoder_get_u32(&d, tmp, k, x->err)) return prestige_error_prefix(x->err, "%s", x->where);
        for (size_t i = 0; i < k; i++) buf_append_u8(&c->values, (uint8_t)(tmp[i] & 1));
        done += (int64_t)k;
      }
      c->n_values += n;
      return 0;
    }
    case PRESTIGE_ENCODING_DELTA_BINARY_PACKED: {
      if (l->physical != PRESTIGE_PHYSICAL_INT32 && l->physical != PRESTIGE_PHYSICAL_INT64) break;
      size_t used;
      if (buf_reserve(&c->values, (size_t)n * (size_t)w)) return PRESTIGE_ENOMEM;
      int rc = l->physical == PRESTIGE_PHYSICAL_INT32
                   ? pq_delta_binary_decode_i32(p, len, (int32_t *)(c->values.data + c->values.len), (size_t)n, &used, x->err)
                   : pq_delta_binary_decode_i64(p, len, (int64_t *)(c->values.data + c->values.len), (size_t)n, &used, x->err);
      if (rc) return prestige_error_prefix(x->err, "%s", x->where);
      c->values.len += (size_t)n * (size_t)w;
      c->n_values += n;
      return 0;
    }
    case PRESTIGE_ENCODING_DELTA_LENGTH_BYTE_ARRAY:
    case PRESTIGE_ENCODING_DELTA_BYTE_ARRAY: {
      if (l->physical != PRESTIGE_PHYSICAL_BYTE_ARRAY && l->physical != PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY) break;
      uint32_t *lens = malloc((size_t)(n ? n : 1) * 4);
      buf_t bytes = BUF_INIT;
      if (!lens) return PRESTIGE_ENOMEM;
      int rc = encoding == PRESTIGE_ENCODING_DELTA_LENGTH_BYTE_ARRAY
                   ? pq_delta_length_decode(p, len, (size_t)n, &bytes, lens, x->err)
                   : pq_delta_byte_array_decode(p, len, (size_t)n, &bytes, lens, x->err);
      size_t pos = 0;
      for (int64_t i = 0; !rc && i < n; i++) {
        const uint8_t *vp = lens[i] ? bytes.data + pos : NULL;
        if (w > 0) {
          if (lens[i] != (uint32_t)w) rc = corrupt(x, "%s", "DELTA_BYTE_ARRAY value of the wrong length for FIXED_LEN_BYTE_ARRAY");
          else if (buf_append(&c->values, vp, lens[i])) rc = PRESTIGE_ENOMEM;
        } else if (push_bytes(x, vp, lens[i])) {
          rc = PRESTIGE_ENOMEM;
        }
        pos += lens[i];
      }
      if (!rc && w > 0) c->n_values += n;
      if (rc && rc != PRESTIGE_ENOMEM && !strstr(x->err->message, x->where)) prestige_error_prefix(x->err, "%s", x->where);
      free(lens);
      buf_release(&bytes);
      return rc;
    }
    case PRESTIGE_ENCODING_BYTE_STREAM_SPLIT: {
      if (w <= 0 || l->physical == PRESTIGE_PHYSICAL_BOOLEAN) break;
      if (buf_reserve(&c->values, (size_t)n * (size_t)w)) return PRESTIGE_ENOMEM;
      if (pq_byte_stream_split_decode(p, len, (size_t)n, w, c->values.data + c->values.len, x->err))
        return prestige_error_prefix(x->err, "%s", x->where);
      c->values.len += (size_t)n * (size_t)w;
      c->n_values += n;
      return 0;
    }
    default: break;
  }
  return prestige_error_set(x->err, PRESTIGE_EUNSUPPORTED, "%s: encoding %s is not supported for %s", x->where,
                            prestige_encoding_name((prestige_encoding_t)encoding),
                            prestige_physical_type_name((prestige_physical_type_t)l->physical));
}

/* Levels of a v1 page: RLE (length-prefixed) or the deprecated BIT_PACKED. Returns bytes used. */
static int levels_v1(ctx_t *x, int encoding, int16_t max, const uint8_t *p, size_t len, int16_t *out, int64_t n,
                     size_t *used) {
  int bw = pq_bit_width((uint64_t)max);
  if (encoding == PRESTIGE_ENCODING_BIT_PACKED) {
    size_t bytes = (size_t)(((uint64_t)n * (uint64_t)bw + 7) / 8);
    if (pq_bitpacked_legacy_get_i16(p, len, bw, out, (size_t)n, x->err)) return prestige_error_prefix(x->err, "%s", x->where);
    *used = bytes;
    return 0;
  }
  if (encoding != PRESTIGE_ENCODING_RLE)
    return prestige_error_set(x->err, PRESTIGE_EUNSUPPORTED, "%s: level encoding %s", x->where,
                              prestige_encoding_name((prestige_encoding_t)encoding));
  if (len < 4 || load_le32(p) > len - 4) return corrupt(x, "%s", "level data length runs past the end of the page");
  uint32_t ll = load_le32(p);
  pq_rle_decoder_t d;
  pq_rle_decoder_init(&d, p + 4, ll, bw);
  if (pq_rle_decoder_get_i16(&d, out, (size_t)n, x->err)) return prestige_error_prefix(x->err, "%s: levels", x->where);
  *used = 4 + ll;
  return 0;
}

static int check_levels(ctx_t *x, const int16_t *v, int64_t n, int16_t max, int64_t *at_max) {
  int64_t cnt = 0;
  unsigned bad = 0;
  for (int64_t i = 0; i < n; i++) { /* no early exit: the loop vectorises */
    bad |= (uint16_t)v[i] > (uint16_t)max;
    cnt += v[i] == max;
  }
  if (bad) return corrupt(x, "%s", "level exceeds the column's maximum");
  if (at_max) *at_max = cnt;
  return 0;
}

/* Spaced columns: the page's `present` values were appended densely after the column's
 * n_levels slots; move them out to their n slots (from the back, in place), zeros (fixed width)
 * or empty values (byte arrays) in the null slots. Branch-free over the levels. */
static int spread(ctx_t *x, const int16_t *def, int64_t n, int64_t present) {
  rcolumn_t *c = x->c;
  int16_t max = x->leaf->def;
  int64_t base = c->n_levels;
  if (!def || present == n) {
    if (c->width == 0) c->n_values = base + n;
    return 0;
  }
  if (c->width == 0) { /* offsets: slot i ends where the last present value at or before it ends */
    if (reserve_offsets(x, n - present)) return PRESTIGE_ENOMEM;
    int64_t j = present - 1;
    if (c->narrow) {
      int32_t *o = c->offsets32 + base + 1; /* o[-1] is the end of the previous page's last slot */
      for (int64_t i = n - 1; i >= 0; i--) {
        o[i] = o[j]; /* o[-1] when no present value precedes */
        j -= def[i] == max;
      }
    } else {
      int64_t *o = c->offsets + base + 1;
      for (int64_t i = n - 1; i >= 0; i--) {
        o[i] = o[j];
        j -= def[i] == max;
      }
    }
    c->n_values = base + n;
    return 0;
  }
  int w = c->width;
  if (buf_reserve(&c->values, (size_t)(n - present) * (size_t)w)) return PRESTIGE_ENOMEM;
  uint8_t *v = c->values.data + (size_t)base * (size_t)w;
  int64_t j = present - 1;
  if (w == 8) {
    uint64_t *d = (uint64_t *)v;
    for (int64_t i = n - 1; i >= 0; i--) {
      bool ok = def[i] == max;
      uint64_t val = d[j < 0 ? 0 : j];
      d[i] = ok ? val : 0;
      j -= ok;
    }
  } else if (w == 4) {
    uint32_t *d = (uint32_t *)v;
    for (int64_t i = n - 1; i >= 0; i--) {
      bool ok = def[i] == max;
      uint32_t val = d[j < 0 ? 0 : j];
      d[i] = ok ? val : 0;
      j -= ok;
    }
  } else {
    for (int64_t i = n - 1; i >= 0; i--) {
      if (def[i] == max) memmove(v + i * w, v + (j--) * w, (size_t)w);
      else memset(v + i * w, 0, (size_t)w);
    }
  }
  c->values.len = (size_t)(base + n) * (size_t)w;
  c->n_values = base + n;
  return 0;
}

static int data_page(ctx_t *x, const pq_page_header_t *h, const uint8_t *raw, size_t raw_len, pq_codec_ctx_t *codec,
                     pq_codec_t cc) {
  const rnode_t *l = x->leaf;
  rcolumn_t *c = x->c;
  bool v2 = h->type == PQ_PAGE_DATA_V2;
  int32_t n = v2 ? (h->data_page_header_v2 ? h->data_page_header_v2->num_values : -1)
                 : (h->data_page_header ? h->data_page_header->num_values : -1);
  if (n < 0) return corrupt(x, "%s", "data page without its header");
  if (n > (1 << 28)) return corrupt(x, "%s", "page with more than 2^28 values");
  if (grow_levels(x, n)) return PRESTIGE_ENOMEM;
  int16_t *def = l->def > 0 && c->def ? c->def + c->n_levels : NULL;
  int16_t *rep = l->max_rep > 0 && c->rep ? c->rep + c->n_levels : NULL;
  if (n > 0 && ((l->def > 0 && !def) || (l->max_rep > 0 && !rep))) return PRESTIGE_ENOMEM;
  const uint8_t *vals;
  size_t vals_len;
  int encoding;
  int64_t present = n;
  if (!v2) {
    const pq_data_page_header_t *d = h->data_page_header;
    encoding = d->encoding;
    PRESTIGE_TRY(check_page_size(x, cc, raw, raw_len, (size_t)h->uncompressed_page_size, "data page"));
    buf_clear(x->page);
    if (buf_reserve(x->page, (size_t)h->uncompressed_page_size + 1)) return PRESTIGE_ENOMEM;
    if (pq_decompress(codec, cc, raw, raw_len, x->page->data, (size_t)h->uncompressed_page_size, x->err))
      return prestige_error_prefix(x->err, "%s: data page", x->where);
    const uint8_t *p = x->page->data;
    size_t left = (size_t)h->uncompressed_page_size, used = 0;
    if (rep) {
      PRESTIGE_TRY(levels_v1(x, d->repetition_level_encoding, l->max_rep, p, left, rep, n, &used));
      p += used;
      left -= used;
    }
    if (def) {
      PRESTIGE_TRY(levels_v1(x, d->definition_level_encoding, l->def, p, left, def, n, &used));
      p += used;
      left -= used;
    }
    vals = p;
    vals_len = left;
  } else {
    const pq_data_page_header_v2_t *d = h->data_page_header_v2;
    encoding = d->encoding;
    if (d->repetition_levels_byte_length < 0 || d->definition_levels_byte_length < 0 ||
        (uint64_t)d->repetition_levels_byte_length + (uint64_t)d->definition_levels_byte_length > raw_len)
      return corrupt(x, "%s", "v2 level lengths exceed the page");
    size_t rl = (size_t)d->repetition_levels_byte_length, dl = (size_t)d->definition_levels_byte_length;
    if (rep) {
      pq_rle_decoder_t rd;
      pq_rle_decoder_init(&rd, raw, rl, pq_bit_width((uint64_t)l->max_rep));
      if (pq_rle_decoder_get_i16(&rd, rep, (size_t)n, x->err)) return prestige_error_prefix(x->err, "%s: repetition levels", x->where);
    }
    if (def) {
      pq_rle_decoder_t dd;
      pq_rle_decoder_init(&dd, raw + rl, dl, pq_bit_width((uint64_t)l->def));
      if (pq_rle_decoder_get_i16(&dd, def, (size_t)n, x->err)) return prestige_error_prefix(x->err, "%s: definition levels", x->where);
    }
    const uint8_t *cv = raw + rl + dl;
    size_t cv_len = raw_len - rl - dl;
    int64_t ulen = (int64_t)h->uncompressed_page_size - (int64_t)rl - (int64_t)dl;
    if (ulen < 0) return corrupt(x, "%s", "v2 uncompressed size smaller than its levels");
    if (ulen == 0) { /* an empty v2 page (all nulls): nothing to decompress */
      vals = cv;
      vals_len = 0;
    } else if (d->is_compressed && cc != PQ_CODEC_UNCOMPRESSED) {
      PRESTIGE_TRY(check_page_size(x, cc, cv, cv_len, (size_t)ulen, "data page v2"));
      buf_clear(x->page);
      if (buf_reserve(x->page, (size_t)ulen + 1)) return PRESTIGE_ENOMEM;
      if (pq_decompress(codec, cc, cv, cv_len, x->page->data, (size_t)ulen, x->err))
        return prestige_error_prefix(x->err, "%s: data page v2", x->where);
      vals = x->page->data;
      vals_len = (size_t)ulen;
    } else {
      vals = cv;
      vals_len = cv_len;
    }
  }
  if (rep) PRESTIGE_TRY(check_levels(x, rep, n, l->max_rep, NULL));
  if (def) PRESTIGE_TRY(check_levels(x, def, n, l->def, &present));
  if (rep && n > 0 && c->n_levels == 0 && rep[0] != 0) return corrupt(x, "%s", "first repetition level is not 0");
  PRESTIGE_TRY(decode_values(x, encoding, vals, vals_len, present));
  c->n_nulls += n - present;
  if (x->spaced) PRESTIGE_TRY(spread(x, def, n, present));
  c->n_levels += n;
  return 0;
}

/* The offset-index entry of the data page at file offset `at` (loc is sorted by offset); -1 if none. */
static int32_t find_page(const rpage_sel_t *sel, int64_t at, int32_t *cursor) {
  while (*cursor < sel->n_loc && sel->loc[*cursor].offset < at) (*cursor)++;
  return *cursor < sel->n_loc && sel->loc[*cursor].offset == at ? *cursor : -1;
}

static bool rows_meet(const row_ranges_t *r, int64_t start, int64_t end) {
  size_t lo = 0, hi = r->n; /* first range ending after start */
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (r->v[mid].end <= start) lo = mid + 1;
    else hi = mid;
  }
  return lo < r->n && r->v[lo].start < end;
}

/* ---- values whose Arrow layout differs from the Parquet one ------------------------------------ */
/* The row (within the row group) that holds value vi, for error messages. */
static int64_t value_row(const rcolumn_t *c, const rnode_t *leaf, const rpage_sel_t *sel, int64_t vi) {
  int64_t slot = vi;
  if (!c->spaced && c->def) {
    int64_t seen = -1;
    for (slot = 0; slot < c->n_levels; slot++)
      if (c->def[slot] >= leaf->def && ++seen == vi) break;
  }
  int64_t row = slot;
  if (c->rep) {
    row = -1;
    for (int64_t i = 0; i <= slot && i < c->n_levels; i++) row += c->rep[i] == 0;
  }
  for (size_t k = 0; sel && k < sel->decoded.n; k++) { /* decoded rows -> row group rows */
    int64_t n = sel->decoded.v[k].end - sel->decoded.v[k].start;
    if (row < n) return sel->decoded.v[k].start + row;
    row -= n;
  }
  return row;
}

static bool value_present(const rcolumn_t *c, const rnode_t *leaf, int64_t vi) {
  return !c->spaced || !c->def || c->def[vi] >= leaf->def; /* spaced: null slots hold zeros */
}

#define JULIAN_DAY_OF_UNIX_EPOCH 2440588 /* Julian day number of 1970-01-01 */
#define NS_PER_DAY 86400000000000LL
#define US_PER_DAY 86400000000LL

/* Spark's INT96 encoder computes micros + JULIAN_DAY_OF_UNIX_EPOCH days in wrapping 64-bit
 * arithmetic, so a timestamp after year 287,586 is stored as a negative Julian day with a
 * negative time of day (int96_from_spark.parquet's 290000-12-31 is one). For that pattern alone
 * (a sum below int64 with time of day <= 0) the sum is taken modulo 2^64, which gives back
 * exactly the microseconds Spark wrote: what Spark, arrow-rs and DataFusion read. Anything else
 * outside int64 is refused, never wrapped. */
static bool spark_overflowed_micros(int32_t jd, int64_t nanos, int64_t *us) {
  __int128 t = (__int128)((int64_t)jd - JULIAN_DAY_OF_UNIX_EPOCH) * US_PER_DAY + nanos / 1000;
  if (nanos > 0 || t >= INT64_MIN) return false;
  t += (__int128)1 << 64;
  if (t < INT64_MIN || t > INT64_MAX) return false;
  *us = (int64_t)t;
  return true;
}

/* INT96 (nanoseconds of the day, then the Julian day, little-endian) -> int64 timestamps in the
 * leaf's unit, in place. A value outside int64 in that unit is an error, never wrapped. */
static int int96_to_timestamps(rcolumn_t *c, const rnode_t *leaf, const rpage_sel_t *sel, const char *where,
                               prestige_error_t *err) {
  static const char *unit_names[] = {"s", "ms", "us", "ns"};
  static const int64_t ns_per[] = {1000000000LL, 1000000LL, 1000LL, 1LL};
  int u = leaf->format[2] == 's' ? 0 : leaf->format[2] == 'm' ? 1 : leaf->format[2] == 'u' ? 2 : 3;
  uint8_t *v = c->values.data;
  for (int64_t i = 0; i < c->n_values; i++) {
    int64_t nanos = 0, out = 0;
    int32_t jd = 0;
    if (value_present(c, leaf, i)) {
      memcpy(&nanos, v + i * 12, 8);
      memcpy(&jd, v + i * 12 + 8, 4);
      /* exact: Julian day (signed, as Spark and Impala write it) and nanoseconds in 128 bits */
      __int128 ns = (__int128)((int64_t)jd - JULIAN_DAY_OF_UNIX_EPOCH) * NS_PER_DAY + nanos;
      int64_t us;
      if (spark_overflowed_micros(jd, nanos, &us)) ns = (__int128)us * 1000; /* the instant Spark meant */
      __int128 q = ns / ns_per[u];
      if (q * ns_per[u] > ns) q--; /* floor */
      bool ok = q >= INT64_MIN && q <= INT64_MAX;
      out = (int64_t)q;
      if (!ok) {
        int64_t day = (int64_t)(ns / NS_PER_DAY), tod = (int64_t)(ns % NS_PER_DAY);
        if (tod < 0) tod += NS_PER_DAY, day--;
        int64_t y;
        unsigned mo, d;
        cal_civil_from_days(day, &y, &mo, &d);
        return prestige_error_set(err, PRESTIGE_ETYPE,
                                  "%s: INT96 value %04lld-%02u-%02u %02lld:%02lld:%02lld.%09lld (Julian day %d, %lld ns "
                                  "into the day) at row %lld does not fit timestamp[%s] (64-bit %s since 1970)%s",
                                  where, (long long)y, mo, d, (long long)(tod / 3600000000000LL),
                                  (long long)(tod / 60000000000LL % 60), (long long)(tod / 1000000000LL % 60),
                                  (long long)(tod % 1000000000LL), jd, (long long)nanos,
                                  (long long)value_row(c, leaf, sel, i), unit_names[u], unit_names[u],
                                  u == 3 ? "; read INT96 as microseconds (the default) for dates outside 1677..2262" : "");
      }
    }
    memcpy(v + i * 8, &out, 8); /* in place: value i is read before its 8 bytes are written */
  }
  c->values.len = (size_t)c->n_values * 8;
  c->width = 8;
  return 0;
}

/* Parquet INTERVAL (unsigned little-endian months, days, milliseconds) -> Arrow month_day_nano
 * (int32 months, int32 days, int64 nanoseconds). */
static int intervals_to_month_day_nano(rcolumn_t *c, const rnode_t *leaf, const rpage_sel_t *sel, const char *where,
                                       prestige_error_t *err) {
  buf_t out = BUF_INIT;
  if (buf_reserve(&out, (size_t)c->n_values * 16 + 1)) return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", where);
  const uint8_t *v = c->values.data;
  for (int64_t i = 0; i < c->n_values; i++) {
    uint32_t months, days, millis;
    memcpy(&months, v + i * 12, 4);
    memcpy(&days, v + i * 12 + 4, 4);
    memcpy(&millis, v + i * 12 + 8, 4);
    if (months > INT32_MAX || days > INT32_MAX) {
      int64_t row = value_row(c, leaf, sel, i);
      buf_release(&out);
      return prestige_error_set(err, PRESTIGE_ETYPE, "%s: INTERVAL at row %lld has %u %s, more than an Arrow interval holds "
                                "(2^31 - 1)", where, (long long)row, months > INT32_MAX ? months : days,
                                months > INT32_MAX ? "months" : "days");
    }
    int32_t mo = (int32_t)months, d = (int32_t)days;
    int64_t ns = (int64_t)millis * 1000000;
    uint8_t *o = out.data + i * 16;
    memcpy(o, &mo, 4);
    memcpy(o + 4, &d, 4);
    memcpy(o + 8, &ns, 8);
  }
  out.len = (size_t)c->n_values * 16;
  buf_release(&c->values);
  c->values = out;
  c->width = 16;
  return 0;
}

static int to_arrow_layout(rcolumn_t *c, const rnode_t *leaf, const rpage_sel_t *sel, const char *where,
                           prestige_error_t *err) {
  if (leaf->physical == PRESTIGE_PHYSICAL_INT96 && !strncmp(leaf->format, "ts", 2))
    return int96_to_timestamps(c, leaf, sel, where, err);
  if (leaf->physical == PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY && leaf->type_length == 12 && !strcmp(leaf->format, "tin"))
    return intervals_to_month_day_nano(c, leaf, sel, where, err);
  return 0;
}

int rcolumn_decode(rcolumn_t *c, const rnode_t *leaf, const pq_column_meta_t *meta, const uint8_t *chunk, size_t len,
                   int64_t num_rows, bool spaced, buf_t *page, rpage_sel_t *sel, bool verify_crc, int64_t max_page_bytes,
                   pq_codec_ctx_t *codec, const char *where, prestige_error_t *err) {
  bufpool_t *pool = c->pool;
  size_t data_hint = c->data_hint;
  bool narrow = c->narrow;
  memset(c, 0, sizeof(*c));
  c->pool = pool;
  c->width = fixed_width(leaf);
  c->spaced = spaced && leaf->max_rep == 0 && leaf->physical != PRESTIGE_PHYSICAL_BOOLEAN;
  c->narrow = narrow && c->spaced && !sel && c->width == 0;
  ctx_t x = {.c = c, .leaf = leaf, .where = where, .err = err, .spaced = c->spaced, .page = page,
             .max_page_bytes = max_page_bytes};
  /* size the buffers once from the metadata (bounded, so a lying footer cannot make us allocate
   * much before the pages prove it) instead of growing them page by page */
  int64_t expect = meta->num_values;
  if (leaf->max_rep == 0 && expect > num_rows) expect = num_rows;
  if (expect > 0 && expect <= (int64_t)1 << 26) {
    x.expect = expect;
    if (grow_levels(&x, expect)) return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", where);
    if (c->width > 0 && (seed_buf(pool, &c->values, (size_t)expect * (size_t)c->width + 8) ||
                         buf_reserve(&c->values, (size_t)expect * (size_t)c->width + 8)))
      return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", where);
    /* string bytes: what the last chunk of this column held, or the chunk's uncompressed size
     * (what PLAIN pages hold) when more */
    size_t guess = meta->total_uncompressed_size > 0 && meta->total_uncompressed_size <= ((int64_t)1 << 28)
                       ? (size_t)meta->total_uncompressed_size : 0;
    if (data_hint > guess && data_hint <= ((size_t)1 << 28)) guess = data_hint;
    if (c->width == 0 && seed_buf(pool, &c->data, guess + 16))
      return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", where);
    if (c->width == 0 && reserve_offsets(&x, expect)) return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", where);
  }
  pq_codec_t cc = (pq_codec_t)meta->codec;
  if (!pq_codec_supported(cc)) {
    return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "%s: compression codec %s is not supported", where,
                              prestige_compression_name((prestige_compression_t)meta->codec)
                                  ? prestige_compression_name((prestige_compression_t)meta->codec)
                                  : "unknown");
  }
  if (leaf->physical < 0 || leaf->physical > PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY || leaf->physical != meta->type)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: column metadata type differs from the schema", where);
  size_t pos = 0;
  int rc = 0;
  int32_t sel_cursor = 0;
  while (pos < len && !rc) {
    if (!sel && c->n_levels >= meta->num_values && meta->num_values > 0) break; /* trailing bytes (e.g. page index) */
    arena_t a = ARENA_INIT;
    pq_page_header_t h;
    size_t hl;
    rc = pq_page_header_decode(chunk + pos, len - pos, &a, &h, &hl, err);
    if (rc) {
      prestige_error_prefix(err, "%s: page header at chunk offset %zu", where, pos);
      arena_release(&a);
      break;
    }
    pos += hl;
    if ((size_t)h.compressed_page_size > len - pos) {
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: page of %d bytes runs past the end of the column chunk", where,
                              h.compressed_page_size);
      arena_release(&a);
      break;
    }
    const uint8_t *raw = chunk + pos;
    size_t raw_len = (size_t)h.compressed_page_size;
    if (verify_crc && h.has_crc && pq_crc32(raw, raw_len) != (uint32_t)h.crc) {
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: page CRC mismatch at chunk offset %zu (the page is corrupt)", where,
                              pos);
      arena_release(&a);
      break;
    }
    /* page sizes are int32 in the format: up to 2 GiB is legitimate (large_string_map has 1 GiB
     * pages); past that the header is corrupt */
    if (h.uncompressed_page_size < 0) {
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: page claims %d uncompressed bytes", where, h.uncompressed_page_size);
      arena_release(&a);
      break;
    }
    switch (h.type) {
      case PQ_PAGE_DICTIONARY: {
        buf_clear(x.page);
        if ((rc = check_page_size(&x, cc, raw, raw_len, (size_t)h.uncompressed_page_size, "dictionary page"))) break;
        if (buf_reserve(x.page, (size_t)h.uncompressed_page_size + 1)) rc = PRESTIGE_ENOMEM;
        else if (pq_decompress(codec, cc, raw, raw_len, x.page->data, (size_t)h.uncompressed_page_size, err))
          rc = prestige_error_prefix(err, "%s: dictionary page", where);
        else rc = dictionary_page(&x, &h, x.page->data, (size_t)h.uncompressed_page_size);
        break;
      }
      case PQ_PAGE_DATA:
      case PQ_PAGE_DATA_V2: {
        if (sel) {
          int64_t at = sel->chunk_start + (int64_t)(pos - hl);
          int32_t i = find_page(sel, at, &sel_cursor);
          if (i < 0) {
            rc = prestige_error_set(err, PRESTIGE_ECORRUPT,
                                    "%s: the offset index has no page at file offset %lld (the page index does not match "
                                    "the pages)", where, (long long)at);
            break;
          }
          int64_t r0 = sel->loc[i].first_row_index, r1 = i + 1 < sel->n_loc ? sel->loc[i + 1].first_row_index : num_rows;
          if (!rows_meet(sel->keep, r0, r1)) {
            sel->pages_skipped++;
            break;
          }
          int64_t before = c->n_levels;
          rc = data_page(&x, &h, raw, raw_len, codec, cc);
          if (!rc && leaf->max_rep == 0 && c->n_levels - before != r1 - r0)
            rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: page at file offset %lld holds %lld rows, the offset index "
                                    "says %lld", where, (long long)at, (long long)(c->n_levels - before), (long long)(r1 - r0));
          if (!rc) {
            row_ranges_t *d = &sel->decoded;
            if (d->n > 0 && d->v[d->n - 1].end == r0) {
              d->v[d->n - 1].end = r1;
            } else {
              if (d->n == d->cap) {
                size_t cap = d->cap ? d->cap * 2 : 16;
                row_range_t *g = realloc(d->v, cap * sizeof(*g));
                if (!g) {
                  rc = PRESTIGE_ENOMEM;
                  break;
                }
                d->v = g;
                d->cap = cap;
              }
              d->v[d->n++] = (row_range_t){r0, r1};
            }
          }
          break;
        }
        rc = data_page(&x, &h, raw, raw_len, codec, cc);
        break;
      }
      default: break; /* index pages and unknown types are skipped */
    }
    arena_release(&a);
    pos += raw_len;
  }
  if (!rc && sel) {
    int64_t want = row_ranges_count(&sel->decoded);
    if (leaf->max_rep == 0 && c->n_levels != want)
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: %lld values for the %lld rows of the pages read", where,
                              (long long)c->n_levels, (long long)want);
  } else if (!rc && c->n_levels != meta->num_values)
    rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: column chunk holds %lld values, metadata says %lld", where,
                            (long long)c->n_levels, (long long)meta->num_values);
  if (!rc && !sel && leaf->max_rep == 0 && c->n_levels != num_rows)
    rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: %lld values for %lld rows", where, (long long)c->n_levels,
                            (long long)num_rows);
  if (rc == PRESTIGE_ENOMEM && !err->message[0]) prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", where);
  if (!rc && c->width == 0 && c->n_values == 0 && !c->offsets && !c->offsets32) {
    if (c->narrow) rc = (c->offsets32 = calloc(1, 4)) ? 0 : PRESTIGE_ENOMEM;
    else rc = (c->offsets = calloc(1, 8)) ? 0 : PRESTIGE_ENOMEM;
  }
  if (!rc) rc = to_arrow_layout(c, leaf, sel, where, err);
  bufpool_put(pool, x.dict.offsets);
  bufpool_put(pool, x.dict.fixed.data);
  bufpool_put(pool, x.dict.data.data);
  if (page->cap > ((size_t)64 << 20)) buf_release(page); /* a huge page is not kept for the next chunk */
  if (rc) rcolumn_release(c);
  return rc;
}

/* ---- row selection ------------------------------------------------------------------------- */
/* Flat columns whose values sit at their slots (spaced, or without nulls): rows are slots, so the
 * kept rows move as blocks. */
static int keep_rows_blocks(rcolumn_t *c, const rnode_t *leaf, const row_ranges_t *decoded,
                            const row_ranges_t *keep) {
  int64_t out = 0, base = 0; /* base: slot of the current decoded span's first row */
  size_t dout = 0, ki = 0;
  int w = c->width;
  for (size_t di = 0; di < decoded->n; di++) {
    int64_t r0 = decoded->v[di].start, r1 = decoded->v[di].end;
    while (ki < keep->n && keep->v[ki].end <= r0) ki++;
    for (size_t k = ki; k < keep->n && keep->v[k].start < r1; k++) {
      int64_t s0 = (keep->v[k].start > r0 ? keep->v[k].start : r0) - r0 + base;
      int64_t s1 = (keep->v[k].end < r1 ? keep->v[k].end : r1) - r0 + base;
      int64_t n = s1 - s0;
      if (c->def) memmove(c->def + out, c->def + s0, (size_t)n * 2);
      if (w > 0) {
        memmove(c->values.data + out * w, c->values.data + s0 * w, (size_t)(n * w));
      } else {
        int64_t d0 = c->offsets[s0], d1 = c->offsets[s1];
        if (d1 > d0) memmove(c->data.data + dout, c->data.data + d0, (size_t)(d1 - d0));
        for (int64_t i = 1; i <= n; i++) c->offsets[out + i] = (int64_t)dout + (c->offsets[s0 + i] - d0);
        dout += (size_t)(d1 - d0);
      }
      out += n;
    }
    base += r1 - r0;
  }
  if (base != c->n_levels) return -1;
  int64_t nulls = 0;
  for (int64_t i = 0; c->def && i < out; i++) nulls += c->def[i] < leaf->def;
  if (w > 0) c->values.len = (size_t)out * (size_t)w;
  else {
    c->data.len = dout;
    if (c->offsets) c->offsets[out] = (int64_t)dout;
  }
  c->n_levels = out;
  c->n_values = out;
  c->n_nulls = nulls;
  return 0;
}

int rcolumn_keep_rows(rcolumn_t *c, const rnode_t *leaf, const row_ranges_t *decoded, const row_ranges_t *keep,
                      const char *where, prestige_error_t *err) {
  if (!c->rep && c->n_values == c->n_levels && (c->width > 0 || c->offsets) && row_ranges_count(decoded) == c->n_levels &&
      keep_rows_blocks(c, leaf, decoded, keep) == 0)
    return 0;
  size_t di = 0, ki = 0;
  int64_t row = -1, left_in_span = 0;
  bool keep_row = false;
  int64_t out = 0, vin = 0, vout = 0, nulls = 0;
  size_t din = c->offsets ? (size_t)c->offsets[0] : 0, dout = 0; /* byte-array data: original end so far, output end */
  int w = c->width;
  for (int64_t s = 0; s < c->n_levels; s++) {
    if (!c->rep || c->rep[s] == 0) { /* a new row */
      if (left_in_span == 0) {
        if (di >= decoded->n) return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: more rows than the pages read", where);
        row = decoded->v[di].start;
        left_in_span = decoded->v[di].end - decoded->v[di].start;
        di++;
      } else {
        row++;
      }
      left_in_span--;
      while (ki < keep->n && keep->v[ki].end <= row) ki++;
      keep_row = ki < keep->n && keep->v[ki].start <= row;
    }
    bool present = c->spaced || !c->def || c->def[s] == leaf->def;
    if (keep_row) {
      if (c->def) {
        c->def[out] = c->def[s];
        nulls += c->def[s] < leaf->def;
      }
      if (c->rep) c->rep[out] = c->rep[s];
      out++;
    }
    if (present) {
      size_t l = 0, start = din;
      if (w == 0) { /* the original end is read before any write can reach index vin + 1 */
        din = (size_t)c->offsets[vin + 1];
        l = din - start;
      }
      if (keep_row) {
        if (w > 0) {
          if (vout != vin) memmove(c->values.data + vout * w, c->values.data + vin * w, (size_t)w);
        } else {
          if (l && dout != start) memmove(c->data.data + dout, c->data.data + start, l);
          dout += l;
          c->offsets[vout + 1] = (int64_t)dout;
        }
        vout++;
      }
      vin++;
    }
  }
  if (w > 0) c->values.len = (size_t)vout * (size_t)w;
  else {
    c->data.len = dout;
    if (c->offsets) c->offsets[vout] = (int64_t)dout;
  }
  c->n_levels = out;
  c->n_values = vout;
  c->n_nulls = nulls;
  return 0;
}

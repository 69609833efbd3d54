/* Parquet encodings: RLE/bit-packed hybrid, bit packing, PLAIN booleans, DELTA_BINARY_PACKED,
 * DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT. */
#include "parquet/encoding.h"

#include <stdlib.h>
#include <string.h>

int pq_bit_width(uint64_t v) { return v ? 64 - __builtin_clzll(v) : 0; }

/* ---- bit packing (LSB first) ---------------------------------------------------------------- */
void pq_bitpack_u32(const uint32_t *in, size_t n, int bw, uint8_t *out) {
  uint64_t acc = 0;
  int bits = 0;
  size_t o = 0;
  uint64_t mask = bw == 64 ? ~0ULL : ((1ULL << bw) - 1);
  for (size_t i = 0; i < n; i++) {
    acc |= ((uint64_t)in[i] & mask) << bits;
    bits += bw;
    while (bits >= 8) {
      out[o++] = (uint8_t)acc;
      acc >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out[o++] = (uint8_t)acc;
}

/* Reads bw (<= 64) bits at bit offset pos of p, LSB first; the caller guarantees the bytes exist. */
static inline uint64_t read_bits(const uint8_t *p, uint64_t pos, int bw) {
  if (bw == 0) return 0;
  const uint8_t *b = p + (pos >> 3);
  int shift = (int)(pos & 7);
  int need = (shift + bw + 7) >> 3; /* bytes touched: <= 9 */
  uint64_t lo = 0;
  int k = need < 8 ? need : 8;
  for (int i = 0; i < k; i++) lo |= (uint64_t)b[i] << (8 * i);
  uint64_t v = lo >> shift;
  if (need == 9) v |= (uint64_t)b[8] << (64 - shift);
  return bw == 64 ? v : v & ((1ULL << bw) - 1);
}

/* Unpacks `groups` groups of 8 values of a bit width known at compile time (the switch below
 * instantiates it for 1..32, so the shifts and offsets are constants and the loop unrolls). Each
 * value is one unaligned 8-byte load: the caller leaves 7 readable bytes after the last group. */
static inline __attribute__((always_inline)) void unpack8(const uint8_t *in, size_t groups, const int bw, uint32_t *out) {
  const uint64_t mask = (1ULL << bw) - 1;
  for (size_t g = 0; g < groups; g++, in += bw, out += 8) {
    for (int k = 0; k < 8; k++) {
      const unsigned bit = (unsigned)(k * bw);
      uint64_t w;
      memcpy(&w, in + (bit >> 3), 8);
      out[k] = (uint32_t)((w >> (bit & 7)) & mask);
    }
  }
}

void pq_bitunpack_u32(const uint8_t *in, size_t n, int bw, uint32_t *out) {
  if (bw == 0) {
    memset(out, 0, n * sizeof(uint32_t));
    return;
  }
  size_t full = (n * (size_t)bw) / 8; /* bytes fully covered by the n values */
  size_t groups = 0;
  if (bw <= 32 && full >= 7) {
    groups = (full - 7) / (size_t)bw; /* groups whose 8-byte loads stay inside those bytes */
    if (groups > n / 8) groups = n / 8;
  }
  switch (groups ? bw : 0) {
#define UNPACK_CASE(B) case B: unpack8(in, groups, B, out); break;
    UNPACK_CASE(1) UNPACK_CASE(2) UNPACK_CASE(3) UNPACK_CASE(4) UNPACK_CASE(5) UNPACK_CASE(6) UNPACK_CASE(7)
    UNPACK_CASE(8) UNPACK_CASE(9) UNPACK_CASE(10) UNPACK_CASE(11) UNPACK_CASE(12) UNPACK_CASE(13) UNPACK_CASE(14)
    UNPACK_CASE(15) UNPACK_CASE(16) UNPACK_CASE(17) UNPACK_CASE(18) UNPACK_CASE(19) UNPACK_CASE(20) UNPACK_CASE(21)
    UNPACK_CASE(22) UNPACK_CASE(23) UNPACK_CASE(24) UNPACK_CASE(25) UNPACK_CASE(26) UNPACK_CASE(27) UNPACK_CASE(28)
    UNPACK_CASE(29) UNPACK_CASE(30) UNPACK_CASE(31) UNPACK_CASE(32)
#undef UNPACK_CASE
    default: groups = 0; break;
  }
  for (size_t i = groups * 8; i < n; i++) out[i] = (uint32_t)read_bits(in, (uint64_t)i * (uint64_t)bw, bw);
}

/* ---- RLE / bit-packed hybrid encoder ------------------------------------------------------ */
#define RLE_MAX_LITERAL 504 /* 63 groups of 8: header fits one byte */

struct pq_rle_encoder {
  int bw;
  buf_t out;
  uint32_t lit[RLE_MAX_LITERAL];
  size_t lit_n;
  uint32_t run_val;
  size_t run_len;
  int rc;
};

int pq_rle_encoder_new(pq_rle_encoder_t **e, int bw) {
  *e = calloc(1, sizeof(**e));
  if (!*e) return PRESTIGE_ENOMEM;
  (*e)->bw = bw;
  return 0;
}

void pq_rle_encoder_free(pq_rle_encoder_t *e) {
  if (!e) return;
  buf_release(&e->out);
  free(e);
}

void pq_rle_encoder_reset(pq_rle_encoder_t *e, int bw) {
  buf_clear(&e->out);
  e->bw = bw;
  e->lit_n = e->run_len = 0;
  e->rc = 0;
}

static void flush_literals(pq_rle_encoder_t *e) {
  if (e->lit_n == 0) return;
  size_t groups = (e->lit_n + 7) / 8;
  for (size_t i = e->lit_n; i < groups * 8; i++) e->lit[i] = 0;
  e->rc |= buf_append_uvarint(&e->out, groups << 1 | 1);
  size_t bytes = groups * (size_t)e->bw;
  e->rc |= buf_reserve(&e->out, bytes + 8);
  if (!e->rc) {
    pq_bitpack_u32(e->lit, groups * 8, e->bw, e->out.data + e->out.len);
    e->out.len += bytes;
  }
  e->lit_n = 0;
}

static void emit_rle(pq_rle_encoder_t *e, uint32_t v, size_t len) {
  e->rc |= buf_append_uvarint(&e->out, (uint64_t)len << 1);
  int nbytes = (e->bw + 7) / 8;
  for (int i = 0; i < nbytes; i++) e->rc |= buf_append_u8(&e->out, (uint8_t)(v >> (8 * i)));
}

/* Ends the current run of identical values: long runs become RLE runs (after topping the
 * literal buffer up to a multiple of 8), short ones join the literals. */
static void end_run(pq_rle_encoder_t *e) {
  size_t len = e->run_len;
  uint32_t v = e->run_val;
  e->run_len = 0;
  if (len == 0) return;
  size_t top = (8 - e->lit_n % 8) % 8;
  if (len >= 8 + top) {
    for (size_t i = 0; i < top; i++) e->lit[e->lit_n++] = v;
    len -= top;
    flush_literals(e);
    emit_rle(e, v, len);
    return;
  }
  while (len--) {
    e->lit[e->lit_n++] = v;
    if (e->lit_n == RLE_MAX_LITERAL) flush_literals(e);
  }
}

static inline void put_one(pq_rle_encoder_t *e, uint32_t v) {
  if (e->run_len && v == e->run_val) {
    e->run_len++;
    return;
  }
  end_run(e);
  e->run_val = v;
  e->run_len = 1;
}

int pq_rle_encoder_put_u32(pq_rle_encoder_t *e, const uint32_t *v, size_t n) {
  for (size_t i = 0; i < n; i++) put_one(e, v[i]);
  return e->rc ? PRESTIGE_ENOMEM : 0;
}

int pq_rle_encoder_put_i16(pq_rle_encoder_t *e, const int16_t *v, size_t n) {
  for (size_t i = 0; i < n; i++) put_one(e, (uint32_t)(uint16_t)v[i]);
  return e->rc ? PRESTIGE_ENOMEM : 0;
}

int pq_rle_encoder_flush(pq_rle_encoder_t *e, buf_t *out) {
  end_run(e);
  flush_literals(e);
  if (e->rc || buf_append(out, e->out.data, e->out.len)) return PRESTIGE_ENOMEM;
  pq_rle_encoder_reset(e, e->bw);
  return 0;
}

size_t pq_rle_encoder_estimated_size(const pq_rle_encoder_t *e) {
  return e->out.len + (e->lit_n * (size_t)e->bw + 7) / 8 + (e->run_len ? 6 : 0) + 2;
}

/* ---- RLE / bit-packed hybrid decoder ------------------------------------------------------ */
void pq_rle_decoder_init(pq_rle_decoder_t *d, const uint8_t *data, size_t len, int bw) {
  memset(d, 0, sizeof(*d));
  d->base = d->p = data;
  d->end = data + len;
  d->bit_width = bw;
}

static int rle_corrupt(pq_rle_decoder_t *d, prestige_error_t *err, const char *what) {
  return prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt RLE/bit-packed data: %s at byte %zu", what,
                            (size_t)(d->p - d->base));
}

static int next_run(pq_rle_decoder_t *d, prestige_error_t *err) {
  uint64_t h = 0;
  int shift = 0;
  for (;;) {
    if (d->p >= d->end) return rle_corrupt(d, err, "data ends before all values were read");
    uint8_t b = *d->p++;
    h |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
    shift += 7;
    if (shift > 63) return rle_corrupt(d, err, "run header varint too long");
  }
  if (d->bit_width > 32) return rle_corrupt(d, err, "bit width over 32");
  if (h & 1) {
    uint64_t groups = h >> 1;
    uint64_t bytes = groups * (uint64_t)d->bit_width;
    if (groups == 0) return rle_corrupt(d, err, "empty bit-packed run");
    if (bytes > (uint64_t)(d->end - d->p)) {
      /* Writers may end the last run early: take the values the bytes hold. */
      uint64_t avail = (uint64_t)(d->end - d->p);
      if (d->bit_width == 0) return rle_corrupt(d, err, "bit-packed run past the end");
      d->packed_left = (int64_t)(avail * 8 / (uint64_t)d->bit_width);
      if (d->packed_left == 0) return rle_corrupt(d, err, "bit-packed run past the end");
      d->packed = d->p;
      d->packed_index = 0;
      d->p = d->end;
      return 0;
    }
    d->packed = d->p;
    d->packed_index = 0;
    d->packed_left = (int64_t)(groups * 8);
    d->p += bytes;
  } else {
    uint64_t count = h >> 1;
    if (count == 0) return rle_corrupt(d, err, "RLE run of length 0");
    int nbytes = (d->bit_width + 7) / 8;
    if (nbytes > d->end - d->p) return rle_corrupt(d, err, "RLE run value past the end");
    uint32_t v = 0;
    for (int i = 0; i < nbytes; i++) v |= (uint32_t)d->p[i] << (8 * i);
    d->p += nbytes;
    d->run_value = v;
    d->rle_left = (int64_t)(count > INT64_MAX ? INT64_MAX : count);
  }
  return 0;
}

int pq_rle_decoder_get_u32(pq_rle_decoder_t *d, uint32_t *out, size_t n, prestige_error_t *err) {
  size_t i = 0;
  while (i < n) {
    if (d->rle_left > 0) {
      size_t k = (size_t)d->rle_left < n - i ? (size_t)d->rle_left : n - i;
      uint32_t v = d->run_value;
      for (size_t j = 0; j < k; j++) out[i + j] = v;
      i += k;
      d->rle_left -= (int64_t)k;
    } else if (d->packed_left > 0) {
      size_t k = (size_t)d->packed_left < n - i ? (size_t)d->packed_left : n - i;
      /* values before the next group boundary one at a time, then whole groups in bulk */
      while (k > 0 && (d->packed_index & 7) != 0) {
        out[i++] = (uint32_t)read_bits(d->packed, (uint64_t)d->packed_index * (uint64_t)d->bit_width, d->bit_width);
        d->packed_index++;
        d->packed_left--;
        k--;
      }
      if (k > 0) {
        pq_bitunpack_u32(d->packed + (size_t)d->packed_index / 8 * (size_t)d->bit_width, k, d->bit_width, out + i);
        d->packed_index += (int64_t)k;
        d->packed_left -= (int64_t)k;
        i += k;
      }
    } else {
      PRESTIGE_TRY(next_run(d, err));
    }
  }
  return 0;
}

int pq_rle_decoder_get_i16(pq_rle_decoder_t *d, int16_t *out, size_t n, prestige_error_t *err) {
  uint32_t tmp[512];
  size_t i = 0;
  while (i < n) {
    if (d->rle_left > 0) {
      if (d->run_value > INT16_MAX) return rle_corrupt(d, err, "level out of range");
      size_t k = (size_t)d->rle_left < n - i ? (size_t)d->rle_left : n - i;
      int16_t v = (int16_t)d->run_value;
      for (size_t j = 0; j < k; j++) out[i + j] = v;
      i += k;
      d->rle_left -= (int64_t)k;
    } else if (d->packed_left > 0) {
      size_t k = (size_t)d->packed_left < n - i ? (size_t)d->packed_left : n - i;
      if (k > 512) k = 512;
      PRESTIGE_TRY(pq_rle_decoder_get_u32(d, tmp, k, err)); /* stays inside the packed run */
      uint32_t bad = 0;
      for (size_t j = 0; j < k; j++) {
        bad |= tmp[j] > INT16_MAX;
        out[i + j] = (int16_t)tmp[j];
      }
      if (bad) return rle_corrupt(d, err, "level out of range");
      i += k;
    } else {
      PRESTIGE_TRY(next_run(d, err));
    }
  }
  return 0;
}

int pq_bitpacked_legacy_get_i16(const uint8_t *data, size_t len, int bw, int16_t *out, size_t n, prestige_error_t *err) {
  if (bw < 0 || bw > 16) return prestige_error_set(err, PRESTIGE_ECORRUPT, "BIT_PACKED levels: bit width %d", bw);
  if (((uint64_t)n * (uint64_t)bw + 7) / 8 > len)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "BIT_PACKED levels: %zu values need more than %zu bytes", n, len);
  for (size_t i = 0; i < n; i++) {
    uint32_t v = 0;
    for (int b = 0; b < bw; b++) { /* MSB first */
      uint64_t bit = (uint64_t)i * (uint64_t)bw + (uint64_t)b;
      v = v << 1 | ((data[bit >> 3] >> (7 - (bit & 7))) & 1);
    }
    out[i] = (int16_t)v;
  }
  return 0;
}

/* ---- PLAIN booleans ------------------------------------------------------------------------ */
void pq_plain_bool_encode(const uint8_t *bools, size_t n, uint8_t *out) {
  memset(out, 0, (n + 7) / 8);
  for (size_t i = 0; i < n; i++)
    if (bools[i]) out[i >> 3] |= (uint8_t)(1u << (i & 7));
}

int pq_plain_bool_decode(const uint8_t *in, size_t in_len, size_t n, uint8_t *bools, prestige_error_t *err) {
  if ((n + 7) / 8 > in_len)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "PLAIN booleans: %zu values need %zu bytes, page has %zu", n,
                              (n + 7) / 8, in_len);
  for (size_t i = 0; i < n; i++) bools[i] = (in[i >> 3] >> (i & 7)) & 1;
  return 0;
}

/* ---- DELTA_BINARY_PACKED -------------------------------------------------------------------- */
#define DBP_BLOCK 128
#define DBP_MINIBLOCKS 4
#define DBP_MINI (DBP_BLOCK / DBP_MINIBLOCKS)

/* Encodes n values given as wrapping 64-bit integers; width 32 or 64 bounds the deltas. */
static int dbp_encode(const uint64_t *v, size_t n, int width, buf_t *out, prestige_error_t *err) {
  int rc = 0;
  rc |= buf_append_uvarint(out, DBP_BLOCK);
  rc |= buf_append_uvarint(out, DBP_MINIBLOCKS);
  rc |= buf_append_uvarint(out, n);
  int64_t first = n ? (width == 32 ? (int64_t)(int32_t)(uint32_t)v[0] : (int64_t)v[0]) : 0;
  rc |= buf_append_uvarint(out, zigzag_encode64(first));
  uint64_t deltas[DBP_BLOCK];
  uint32_t packed_lo[DBP_MINI];
  size_t i = 1;
  while (i < n && !rc) {
    size_t k = n - i < DBP_BLOCK ? n - i : DBP_BLOCK;
    int64_t min = INT64_MAX;
    for (size_t j = 0; j < k; j++) {
      uint64_t d = v[i + j] - v[i + j - 1];
      int64_t sd = width == 32 ? (int64_t)(int32_t)(uint32_t)d : (int64_t)d;
      deltas[j] = (uint64_t)sd;
      if (sd < min) min = sd;
    }
    rc |= buf_append_uvarint(out, zigzag_encode64(min));
    uint8_t widths[DBP_MINIBLOCKS] = {0};
    for (size_t j = 0; j < k; j++) {
      uint64_t r = deltas[j] - (uint64_t)min;
      if (width == 32) r &= 0xffffffffu;
      deltas[j] = r;
    }
    for (int m = 0; m < DBP_MINIBLOCKS; m++) {
      uint64_t mx = 0;
      for (size_t j = (size_t)m * DBP_MINI; j < k && j < (size_t)(m + 1) * DBP_MINI; j++) mx |= deltas[j];
      widths[m] = (uint8_t)pq_bit_width(mx);
    }
    rc |= buf_append(out, widths, DBP_MINIBLOCKS);
    for (int m = 0; m < DBP_MINIBLOCKS && (size_t)m * DBP_MINI < k; m++) {
      int bw = widths[m];
      size_t bytes = (size_t)bw * DBP_MINI / 8;
      if (buf_reserve(out, bytes + 8)) {
        rc = 1;
        break;
      }
      uint8_t *o = out->data + out->len;
      memset(o, 0, bytes);
      if (bw <= 32) {
        for (int j = 0; j < DBP_MINI; j++) {
          size_t idx = (size_t)m * DBP_MINI + (size_t)j;
          packed_lo[j] = idx < k ? (uint32_t)deltas[idx] : 0;
        }
        pq_bitpack_u32(packed_lo, DBP_MINI, bw, o);
      } else {
        for (int j = 0; j < DBP_MINI; j++) {
          size_t idx = (size_t)m * DBP_MINI + (size_t)j;
          uint64_t x = idx < k ? deltas[idx] : 0;
          uint64_t pos = (uint64_t)j * (uint64_t)bw;
          for (int b = 0; b < bw; b += 8) { /* write bw bits at pos, byte by byte */
            uint64_t bit = pos + (uint64_t)b;
            uint64_t chunk = x >> b;
            int nb = bw - b < 8 ? bw - b : 8;
            uint32_t bits = (uint32_t)(chunk & ((1u << nb) - 1));
            size_t byte = (size_t)(bit >> 3);
            int sh = (int)(bit & 7);
            o[byte] |= (uint8_t)(bits << sh);
            if (sh + nb > 8) o[byte + 1] |= (uint8_t)(bits >> (8 - sh));
          }
        }
      }
      out->len += bytes;
    }
    i += k;
  }
  if (rc) return prestige_error_set(err, PRESTIGE_ENOMEM, "DELTA_BINARY_PACKED: out of memory");
  return 0;
}

int pq_delta_binary_encode_i32(const int32_t *v, size_t n, buf_t *out, prestige_error_t *err) {
  uint64_t *tmp = calloc(n ? n : 1, sizeof(uint64_t));
  if (!tmp) return prestige_error_set(err, PRESTIGE_ENOMEM, "DELTA_BINARY_PACKED: out of memory");
  for (size_t i = 0; i < n; i++) tmp[i] = (uint64_t)(uint32_t)v[i];
  int rc = dbp_encode(tmp, n, 32, out, err);
  free(tmp);
  return rc;
}

int pq_delta_binary_encode_i64(const int64_t *v, size_t n, buf_t *out, prestige_error_t *err) {
  return dbp_encode((const uint64_t *)v, n, 64, out, err);
}

typedef struct dbp_reader {
  const uint8_t *p, *end, *base;
} dbp_reader_t;

static int dbp_fail(const dbp_reader_t *r, prestige_error_t *err, const char *what) {
  return prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt DELTA_BINARY_PACKED data: %s at byte %zu", what,
                            (size_t)(r->p - r->base));
}

static int dbp_varint(dbp_reader_t *r, uint64_t *v, prestige_error_t *err) {
  uint64_t x = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (r->p >= r->end) return dbp_fail(r, err, "truncated varint");
    uint8_t b = *r->p++;
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return 0;
    }
  }
  return dbp_fail(r, err, "varint too long");
}

/* Decodes exactly n values into out (as wrapping 64-bit integers). */
static int dbp_decode(const uint8_t *in, size_t len, uint64_t *out, size_t n, size_t *consumed, int width,
                      prestige_error_t *err) {
  dbp_reader_t r = {in, in + len, in};
  uint64_t block = 0, minis = 0, total = 0, first = 0;
  PRESTIGE_TRY(dbp_varint(&r, &block, err));
  PRESTIGE_TRY(dbp_varint(&r, &minis, err));
  PRESTIGE_TRY(dbp_varint(&r, &total, err));
  PRESTIGE_TRY(dbp_varint(&r, &first, err));
  if (block == 0 || block % 128 != 0 || block > 65536 || minis == 0 || block % minis != 0 || (block / minis) % 32 != 0)
    return dbp_fail(&r, err, "bad block header");
  if (total < n) return dbp_fail(&r, err, "fewer values than the page needs");
  uint64_t per_mini = block / minis;
  uint64_t last = (uint64_t)zigzag_decode64(first);
  if (n > 0) out[0] = last;
  size_t got = total > 0 ? 1 : 0;
  while (got < total) {
    uint64_t min_u = 0;
    PRESTIGE_TRY(dbp_varint(&r, &min_u, err));
    uint64_t min = (uint64_t)zigzag_decode64(min_u);
    if ((uint64_t)(r.end - r.p) < minis) return dbp_fail(&r, err, "truncated bit widths");
    const uint8_t *widths = r.p;
    r.p += minis;
    for (uint64_t m = 0; m < minis && got < total; m++) {
      int bw = widths[m];
      if (bw > width) return dbp_fail(&r, err, "bit width too large");
      uint64_t bytes = per_mini * (uint64_t)bw / 8;
      if (bytes > (uint64_t)(r.end - r.p)) {
        /* the last miniblock may be cut short when only the values needed are present */
        uint64_t avail = (uint64_t)(r.end - r.p);
        uint64_t can = bw ? avail * 8 / (uint64_t)bw : per_mini;
        if (can < (total - got < per_mini ? total - got : per_mini)) return dbp_fail(&r, err, "truncated miniblock");
        bytes = avail;
      }
      uint64_t take = per_mini < total - got ? per_mini : total - got;
      if (take > n - (got < n ? got : n)) take = n - (got < n ? got : n); /* values past n are not needed */
      uint64_t j = 0;
      if (bw <= 32 && take * (uint64_t)bw <= bytes * 8) { /* whole deltas in bulk, then the running sum */
        uint32_t deltas[256];
        while (j < take) {
          size_t k = take - j < 256 ? (size_t)(take - j) : 256;
          pq_bitunpack_u32(r.p + j * (uint64_t)bw / 8, k, bw, deltas); /* j is a multiple of 256: byte aligned */
          uint64_t *o = out + got;
          if (width == 32) {
            for (size_t q = 0; q < k; q++) o[q] = last = (last + min + deltas[q]) & 0xffffffffu;
          } else {
            for (size_t q = 0; q < k; q++) o[q] = last = last + min + deltas[q];
          }
          got += k;
          j += k;
        }
      }
      for (; j < per_mini && got < total; j++) {
        uint64_t d = read_bits(r.p, j * (uint64_t)bw, bw);
        last = last + min + d;
        if (width == 32) last &= 0xffffffffu;
        if (got < n) out[got] = last;
        got++;
      }
      r.p += bytes;
    }
  }
  *consumed = (size_t)(r.p - in);
  return 0;
}

int pq_delta_binary_decode_i32(const uint8_t *in, size_t len, int32_t *out, size_t n, size_t *consumed,
                               prestige_error_t *err) {
  uint64_t *tmp = calloc(n ? n : 1, sizeof(uint64_t));
  if (!tmp) return prestige_error_set(err, PRESTIGE_ENOMEM, "DELTA_BINARY_PACKED: out of memory");
  int rc = dbp_decode(in, len, tmp, n, consumed, 32, err);
  for (size_t i = 0; !rc && i < n; i++) out[i] = (int32_t)(uint32_t)tmp[i];
  free(tmp);
  return rc;
}

int pq_delta_binary_decode_i64(const uint8_t *in, size_t len, int64_t *out, size_t n, size_t *consumed,
                               prestige_error_t *err) {
  return dbp_decode(in, len, (uint64_t *)out, n, consumed, 64, err);
}

/* ---- DELTA_LENGTH_BYTE_ARRAY / DELTA_BYTE_ARRAY ------------------------------------------------ */
int pq_delta_length_encode(const pq_byte_array_t *v, size_t n, buf_t *out, prestige_error_t *err) {
  int32_t *lens = calloc(n ? n : 1, sizeof(int32_t));
  if (!lens) return prestige_error_set(err, PRESTIGE_ENOMEM, "DELTA_LENGTH_BYTE_ARRAY: out of memory");
  for (size_t i = 0; i < n; i++) lens[i] = (int32_t)v[i].len;
  int rc = pq_delta_binary_encode_i32(lens, n, out, err);
  free(lens);
  for (size_t i = 0; !rc && i < n; i++)
    if (buf_append(out, v[i].ptr, v[i].len)) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "DELTA_LENGTH_BYTE_ARRAY: out of memory");
  return rc;
}

int pq_delta_byte_array_encode(const pq_byte_array_t *v, size_t n, buf_t *out, prestige_error_t *err) {
  int32_t *prefix = calloc(n ? n : 1, sizeof(int32_t));
  pq_byte_array_t *suffix = malloc((n ? n : 1) * sizeof(pq_byte_array_t));
  int rc = 0;
  if (!prefix || !suffix) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "DELTA_BYTE_ARRAY: out of memory");
  for (size_t i = 0; !rc && i < n; i++) {
    uint32_t p = 0;
    if (i > 0) {
      uint32_t m = v[i].len < v[i - 1].len ? v[i].len : v[i - 1].len;
      while (p < m && v[i].ptr[p] == v[i - 1].ptr[p]) p++;
    }
    prefix[i] = (int32_t)p;
    suffix[i].ptr = v[i].ptr + p;
    suffix[i].len = v[i].len - p;
  }
  if (!rc) rc = pq_delta_binary_encode_i32(prefix, n, out, err);
  if (!rc) rc = pq_delta_length_encode(suffix, n, out, err);
  free(prefix);
  free(suffix);
  return rc;
}

int pq_delta_length_decode(const uint8_t *in, size_t len, size_t n, buf_t *bytes_out, uint32_t *lengths_out,
                           prestige_error_t *err) {
  int32_t *lens = calloc(n ? n : 1, sizeof(int32_t));
  if (!lens) return prestige_error_set(err, PRESTIGE_ENOMEM, "DELTA_LENGTH_BYTE_ARRAY: out of memory");
  size_t used = 0;
  int rc = pq_delta_binary_decode_i32(in, len, lens, n, &used, err);
  size_t pos = used;
  for (size_t i = 0; !rc && i < n; i++) {
    if (lens[i] < 0 || (size_t)lens[i] > len - pos) {
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt DELTA_LENGTH_BYTE_ARRAY: value %zu of length %d runs past the page", i, lens[i]);
      break;
    }
    if (buf_append(bytes_out, in + pos, (size_t)lens[i])) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    lengths_out[i] = (uint32_t)lens[i];
    pos += (size_t)lens[i];
  }
  free(lens);
  return rc;
}

int pq_delta_byte_array_decode(const uint8_t *in, size_t len, size_t n, buf_t *bytes_out, uint32_t *lengths_out,
                               prestige_error_t *err) {
  int32_t *prefix = calloc(n ? n : 1, sizeof(int32_t));
  uint32_t *slen = malloc((n ? n : 1) * sizeof(uint32_t));
  buf_t suffixes = BUF_INIT;
  int rc = 0;
  size_t used = 0;
  if (!prefix || !slen) rc = prestige_error_set(err, PRESTIGE_ENOMEM, "DELTA_BYTE_ARRAY: out of memory");
  if (!rc) rc = pq_delta_binary_decode_i32(in, len, prefix, n, &used, err);
  if (!rc) rc = pq_delta_length_decode(in + used, len - used, n, &suffixes, slen, err);
  size_t spos = 0, prev_start = bytes_out->len;
  uint32_t prev_len = 0;
  for (size_t i = 0; !rc && i < n; i++) {
    if (prefix[i] < 0 || (uint32_t)prefix[i] > prev_len) {
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt DELTA_BYTE_ARRAY: prefix %d of value %zu is longer than the previous value", prefix[i], i);
      break;
    }
    size_t start = bytes_out->len;
    if (buf_reserve(bytes_out, (size_t)prefix[i] + slen[i])) {
      rc = prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
      break;
    }
    if (prefix[i]) memcpy(bytes_out->data + start, bytes_out->data + prev_start, (size_t)prefix[i]);
    if (slen[i]) memcpy(bytes_out->data + start + prefix[i], suffixes.data + spos, slen[i]);
    bytes_out->len += (size_t)prefix[i] + slen[i];
    spos += slen[i];
    lengths_out[i] = (uint32_t)prefix[i] + slen[i];
    prev_start = start;
    prev_len = lengths_out[i];
  }
  buf_release(&suffixes);
  free(prefix);
  free(slen);
  return rc;
}

/* ---- BYTE_STREAM_SPLIT ----------------------------------------------------------------------- */
void pq_byte_stream_split_encode(const uint8_t *values, size_t n, int width, uint8_t *out) {
  for (size_t i = 0; i < n; i++)
    for (int b = 0; b < width; b++) out[(size_t)b * n + i] = values[i * (size_t)width + (size_t)b];
}

int pq_byte_stream_split_decode(const uint8_t *in, size_t in_len, size_t n, int width, uint8_t *out,
                                prestige_error_t *err) {
  if (width <= 0 || in_len % (size_t)width != 0 || in_len / (size_t)width < n)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "corrupt BYTE_STREAM_SPLIT data: %zu bytes for %zu values of width %d",
                              in_len, n, width);
  size_t stride = in_len / (size_t)width;
  for (size_t i = 0; i < n; i++)
    for (int b = 0; b < width; b++) out[i * (size_t)width + (size_t)b] = in[(size_t)b * stride + i];
  return 0;
}

/* Portable 64-bit Roaring bitmaps (see roaring.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg/roaring.h"

#define SERIAL_COOKIE_NO_RUN 12346
#define SERIAL_COOKIE 12347
#define NO_OFFSET_THRESHOLD 4

static int corrupt(prestige_error_t *err, const char *what, size_t at, const char *why) {
  return prestige_error_set(err, PRESTIGE_ECORRUPT, "%s: bad Roaring bitmap at byte %zu: %s", what, at, why);
}

typedef struct out_list {
  int64_t *v;
  size_t n, cap;
} out_list_t;

static int push(out_list_t *o, int64_t x) {
  if (o->n == o->cap) {
    size_t nc = o->cap ? o->cap * 2 : 64;
    int64_t *g = realloc(o->v, nc * sizeof(*g));
    if (!g) return PRESTIGE_ENOMEM;
    o->v = g, o->cap = nc;
  }
  o->v[o->n++] = x;
  return 0;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }

/* One 32-bit bitmap at p (len bytes left); *used gets its size. */
static int decode32(const uint8_t *p, size_t len, size_t base, uint64_t high, const char *what, out_list_t *o, size_t *used,
                    prestige_error_t *err) {
  if (len < 4) return corrupt(err, what, base, "truncated cookie");
  uint32_t cookie = rd32(p);
  size_t at = 4, n;
  const uint8_t *runs = NULL;
  if ((cookie & 0xffff) == SERIAL_COOKIE) {
    n = (cookie >> 16) + 1;
    size_t rb = (n + 7) / 8;
    if (len - at < rb) return corrupt(err, what, base + at, "truncated run flags");
    runs = p + at;
    at += rb;
  } else if (cookie == SERIAL_COOKIE_NO_RUN) {
    if (len - at < 4) return corrupt(err, what, base + at, "truncated container count");
    n = rd32(p + at);
    at += 4;
    if (n > 65536) return corrupt(err, what, base + at, "more than 65536 containers");
  } else {
    return corrupt(err, what, base, "unknown cookie");
  }
  if ((len - at) / 4 < n) return corrupt(err, what, base + at, "truncated container headers");
  const uint8_t *hdr = p + at;
  at += 4 * n;
  if (!runs || n >= NO_OFFSET_THRESHOLD) {
    if ((len - at) / 4 < n) return corrupt(err, what, base + at, "truncated offsets");
    at += 4 * n; /* offsets: the containers follow in order anyway */
  }
  int prev_key = -1;
  for (size_t c = 0; c < n; c++) {
    uint16_t key = rd16(hdr + 4 * c);
    uint32_t card = (uint32_t)rd16(hdr + 4 * c + 2) + 1;
    if ((int)key <= prev_key) return corrupt(err, what, base + at, "container keys not ascending");
    prev_key = key;
    uint64_t hk = (high << 32) | ((uint64_t)key << 16);
    bool is_run = runs && (runs[c / 8] & (1u << (c % 8)));
    if (is_run) {
      if (len - at < 2) return corrupt(err, what, base + at, "truncated run count");
      uint16_t nr = rd16(p + at);
      at += 2;
      if ((len - at) / 4 < nr) return corrupt(err, what, base + at, "truncated runs");
      int64_t last = -1;
      for (uint16_t r = 0; r < nr; r++) {
        uint32_t start = rd16(p + at + 4 * r), l = rd16(p + at + 4 * r + 2);
        if ((int64_t)start <= last || start + l > 65535) return corrupt(err, what, base + at, "runs overlap or overflow");
        for (uint32_t v = start; v <= start + l; v++)
          if (push(o, (int64_t)(hk | v))) return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", what);
        last = start + l;
      }
      at += 4 * (size_t)nr;
    } else if (card > 4096) {
      if (len - at < 8192) return corrupt(err, what, base + at, "truncated bitset");
      uint32_t seen = 0;
      for (uint32_t w = 0; w < 1024; w++) {
        uint64_t word;
        memcpy(&word, p + at + 8 * w, 8); /* little-endian hosts */
        while (word) {
          int b = __builtin_ctzll(word);
          if (push(o, (int64_t)(hk | (w * 64 + (uint32_t)b)))) return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", what);
          word &= word - 1;
          seen++;
        }
      }
      if (seen != card) return corrupt(err, what, base + at, "bitset cardinality disagrees with its header");
      at += 8192;
    } else {
      if ((len - at) / 2 < card) return corrupt(err, what, base + at, "truncated array container");
      int last = -1;
      for (uint32_t i = 0; i < card; i++) {
        uint16_t v = rd16(p + at + 2 * i);
        if ((int)v <= last) return corrupt(err, what, base + at, "array values not ascending");
        last = v;
        if (push(o, (int64_t)(hk | v))) return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", what);
      }
      at += 2 * (size_t)card;
    }
  }
  *used = at;
  return 0;
}

int ice_roaring64_decode(const uint8_t *p, size_t len, const char *what, int64_t **out, size_t *n, prestige_error_t *err) {
  *out = NULL;
  *n = 0;
  if (len < 8) return corrupt(err, what, 0, "truncated bitmap count");
  uint64_t count;
  memcpy(&count, p, 8);
  size_t at = 8;
  if (count > (len - at) / 8) return corrupt(err, what, 0, "bitmap count exceeds the data");
  out_list_t o = {0};
  int64_t last_high = -1;
  for (uint64_t b = 0; b < count; b++) {
    if (len - at < 4) {
      free(o.v);
      return corrupt(err, what, at, "truncated bitmap key");
    }
    uint32_t high = rd32(p + at);
    if ((int64_t)high <= last_high || high > 0x7fffffffu) {
      free(o.v);
      return corrupt(err, what, at, "bitmap keys not ascending (or a negative position)");
    }
    last_high = high;
    at += 4;
    size_t used = 0;
    int rc = decode32(p + at, len - at, at, high, what, &o, &used, err);
    if (rc) {
      free(o.v);
      return rc;
    }
    at += used;
  }
  if (at != len) {
    free(o.v);
    return corrupt(err, what, at, "trailing bytes");
  }
  *out = o.v;
  *n = o.n;
  return 0;
}

/* ---- encoding -------------------------------------------------------------------------------------- */
static int put16(buf_t *b, uint32_t v) {
  uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  return buf_append(b, x, 2);
}
static int put32(buf_t *b, uint32_t v) { return buf_append_le32(b, v); }

/* One container's values (the low 16 bits, ascending). Java's runOptimize: a run container when it
 * is smaller than the array (or bitset) form. */
typedef struct cont {
  uint16_t key;
  const int64_t *v;
  size_t n;
  size_t runs;
  int kind; /* 0 array, 1 bitset, 2 run */
} cont_t;

static size_t count_runs(const int64_t *v, size_t n) {
  size_t r = 0;
  for (size_t i = 0; i < n; i++)
    if (i == 0 || v[i] != v[i - 1] + 1) r++;
  return r;
}

static int encode32(const int64_t *v, size_t n, buf_t *out) {
  /* split into containers */
  size_t max_c = n < 65536 ? (n ? n : 1) : 65536;
  cont_t *cs = malloc(max_c * sizeof(*cs));
  if (!cs) return PRESTIGE_ENOMEM;
  size_t nc = 0;
  for (size_t i = 0; i < n;) {
    uint16_t key = (uint16_t)((v[i] >> 16) & 0xffff);
    size_t j = i;
    while (j < n && (uint16_t)((v[j] >> 16) & 0xffff) == key) j++;
    cont_t *c = &cs[nc++];
    c->key = key, c->v = v + i, c->n = j - i;
    c->runs = count_runs(c->v, c->n);
    size_t run_size = 2 + 4 * c->runs;
    size_t plain = c->n <= 4096 ? 2 * c->n : 8192;
    c->kind = run_size < plain ? 2 : c->n <= 4096 ? 0 : 1;
    i = j;
  }
  bool has_run = false;
  for (size_t c = 0; c < nc; c++) has_run |= cs[c].kind == 2;
  int rc = 0;
  if (has_run) {
    rc = put32(out, SERIAL_COOKIE | (uint32_t)((nc - 1) << 16));
    for (size_t b = 0; !rc && b < (nc + 7) / 8; b++) {
      uint8_t f = 0;
      for (size_t k = 0; k < 8 && b * 8 + k < nc; k++)
        if (cs[b * 8 + k].kind == 2) f |= (uint8_t)(1u << k);
      rc = buf_append_u8(out, f);
    }
  } else {
    rc = put32(out, SERIAL_COOKIE_NO_RUN);
    if (!rc) rc = put32(out, (uint32_t)nc);
  }
  for (size_t c = 0; c < nc && !rc; c++) {
    rc = put16(out, cs[c].key);
    if (!rc) rc = put16(out, (uint32_t)(cs[c].n - 1));
  }
  if (!rc && (!has_run || nc >= NO_OFFSET_THRESHOLD)) {
    /* offset of each container from the bitmap's first byte: header size, then the containers */
    size_t header = (has_run ? 4 + (nc + 7) / 8 : 8) + 4 * nc + 4 * nc;
    size_t off = header;
    for (size_t c = 0; c < nc && !rc; c++) {
      rc = put32(out, (uint32_t)off);
      off += cs[c].kind == 2 ? 2 + 4 * cs[c].runs : cs[c].kind == 1 ? 8192 : 2 * cs[c].n;
    }
  }
  for (size_t c = 0; c < nc && !rc; c++) {
    const cont_t *k = &cs[c];
    if (k->kind == 2) {
      rc = put16(out, (uint32_t)k->runs);
      for (size_t i = 0; i < k->n && !rc;) {
        size_t j = i;
        while (j + 1 < k->n && k->v[j + 1] == k->v[j] + 1) j++;
        rc = put16(out, (uint32_t)(k->v[i] & 0xffff));
        if (!rc) rc = put16(out, (uint32_t)(j - i));
        i = j + 1;
      }
    } else if (k->kind == 1) {
      uint64_t words[1024];
      memset(words, 0, sizeof words);
      for (size_t i = 0; i < k->n; i++) {
        uint32_t low = (uint32_t)(k->v[i] & 0xffff);
        words[low / 64] |= 1ULL << (low % 64);
      }
      rc = buf_append(out, words, sizeof words);
    } else {
      for (size_t i = 0; i < k->n && !rc; i++) rc = put16(out, (uint32_t)(k->v[i] & 0xffff));
    }
  }
  free(cs);
  return rc;
}

int ice_roaring64_encode(const int64_t *pos, size_t n, buf_t *out, prestige_error_t *err) {
  size_t n_high = 0;
  for (size_t i = 0; i < n; i++) {
    if (pos[i] < 0 || (i && pos[i] <= pos[i - 1]))
      return prestige_error_set(err, PRESTIGE_EINVAL, "roaring: positions must be non-negative, ascending and unique");
    if (i == 0 || (pos[i] >> 32) != (pos[i - 1] >> 32)) n_high++;
  }
  uint64_t cnt = n_high;
  int rc = buf_append(out, &cnt, 8);
  for (size_t i = 0; i < n && !rc;) {
    int64_t high = pos[i] >> 32;
    size_t j = i;
    while (j < n && (pos[j] >> 32) == high) j++;
    rc = put32(out, (uint32_t)high);
    if (!rc) rc = encode32(pos + i, j - i, out);
    i = j;
  }
  return rc ? prestige_error_set(err, PRESTIGE_ENOMEM, "roaring: out of memory") : 0;
}

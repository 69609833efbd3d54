/*
 * Growable byte buffer. Amortised doubling; reused across pages and row groups by calling
 * buf_clear (keeps capacity). All appends report ENOMEM through the return code.
 */
#ifndef PRESTIGE_CORE_BUF_H
#define PRESTIGE_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "prestige/error.h"

typedef struct buf {
  uint8_t *data;
  size_t len;
  size_t cap;
} buf_t;

#define BUF_INIT {NULL, 0, 0}

void buf_init(buf_t *b);
void buf_release(buf_t *b);                       /* frees storage, leaves b empty */
int buf_grow(buf_t *b, size_t additional);        /* ensures cap >= len + additional */
int buf_resize(buf_t *b, size_t new_len);         /* grows (zero-filled) or shrinks len */
uint8_t *buf_detach(buf_t *b, size_t *len_out);   /* caller owns returned pointer */

static inline void buf_clear(buf_t *b) { b->len = 0; }

static inline int buf_reserve(buf_t *b, size_t additional) {
  if (b->cap - b->len >= additional) return 0;
  return buf_grow(b, additional);
}

static inline int buf_append(buf_t *b, const void *p, size_t n) {
  if (n == 0) return 0;
  if (b->cap - b->len < n && buf_grow(b, n)) return PRESTIGE_ENOMEM;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

static inline int buf_append_u8(buf_t *b, uint8_t v) {
  if (b->cap == b->len && buf_grow(b, 1)) return PRESTIGE_ENOMEM;
  b->data[b->len++] = v;
  return 0;
}

static inline int buf_append_le32(buf_t *b, uint32_t v) {
  uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  return buf_append(b, t, 4);
}

/* Unsigned LEB128 varint (Thrift compact, Parquet RLE headers, delta encodings). */
static inline int buf_append_uvarint(buf_t *b, uint64_t v) {
  uint8_t t[10];
  size_t n = 0;
  while (v >= 0x80) {
    t[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  t[n++] = (uint8_t)v;
  return buf_append(b, t, n);
}

static inline uint64_t zigzag_encode64(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t zigzag_decode64(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* Little-endian loads/stores for unaligned data (compilers turn these into single moves). */
static inline uint32_t load_le32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v; /* prestige targets little-endian hosts (x86-64, aarch64) */
}
static inline uint64_t load_le64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}
static inline void store_le32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void store_le64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "prestige currently supports little-endian hosts only"
#endif

#endif

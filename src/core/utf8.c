#include "core/utf8.h"

#include <string.h>

size_t utf8_check(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    /* ASCII fast path: whole 8-byte words without a high bit */
    while (i + 8 <= n) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    /* RFC 3629 table 4: the second byte's range depends on the first */
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;      /* overlong */
      else if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;      /* overlong */
      else if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
      return i;
    }
    if (n - i < len || s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t k = 2; k < len; k++)
      if ((s[i + k] & 0xC0) != 0x80) return i;
    i += len;
  }
  return n;
}

size_t utf8_decode(const uint8_t *p, size_t n, uint32_t *cp) {
  uint32_t dummy;
  if (!cp) cp = &dummy;
  uint8_t c = p[0];
  if (c < 0x80) return *cp = c, 1;
  if ((c >> 5) == 6 && n >= 2) return *cp = ((uint32_t)(c & 0x1f) << 6) | (p[1] & 0x3f), 2;
  if ((c >> 4) == 14 && n >= 3) return *cp = ((uint32_t)(c & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f), 3;
  if (n >= 4)
    return *cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) | ((uint32_t)(p[2] & 0x3f) << 6) |
                 (p[3] & 0x3f),
           4;
  return *cp = 0xFFFD, 1;
}

size_t utf8_encode(uint32_t cp, uint8_t *o) {
  if (cp < 0x80) return o[0] = (uint8_t)cp, 1;
  if (cp < 0x800) return o[0] = (uint8_t)(0xc0 | (cp >> 6)), o[1] = (uint8_t)(0x80 | (cp & 0x3f)), 2;
  if (cp < 0x10000)
    return o[0] = (uint8_t)(0xe0 | (cp >> 12)), o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)),
           o[2] = (uint8_t)(0x80 | (cp & 0x3f)), 3;
  o[0] = (uint8_t)(0xf0 | (cp >> 18));
  o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
  o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
  o[3] = (uint8_t)(0x80 | (cp & 0x3f));
  return 4;
}

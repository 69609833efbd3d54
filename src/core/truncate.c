/* Statistics bound truncation: see truncate.h. */
#include "core/truncate.h"

#include <string.h>

#include "core/utf8.h"

trunc_result_t trunc_upper_bytes(const uint8_t *v, size_t len, size_t limit, uint8_t *out, size_t *out_len) {
  if (len <= limit) return TRUNC_SAME;
  for (size_t k = limit; k > 0; k--) {
    if (v[k - 1] != 0xff) {
      memcpy(out, v, k);
      out[k - 1]++;
      *out_len = k;
      return TRUNC_CUT;
    }
  }
  return TRUNC_NONE;
}

size_t trunc_lower_utf8(const uint8_t *v, size_t len, size_t max_cp) {
  size_t i = 0;
  for (size_t k = 0; i < len && k < max_cp; k++) i += utf8_decode(v + i, len - i, NULL);
  return i > len ? len : i;
}

trunc_result_t trunc_upper_utf8(const uint8_t *v, size_t len, size_t max_cp, uint8_t *out, size_t *out_len) {
  size_t end = trunc_lower_utf8(v, len, max_cp);
  if (end == len) return TRUNC_SAME;
  while (end > 0) {
    size_t at = end - 1;
    while (at > 0 && (v[at] & 0xc0) == 0x80) at--;
    uint32_t cp;
    utf8_decode(v + at, end - at, &cp);
    if (cp >= 0x10FFFF) { /* no larger code point: carry left */
      end = at;
      continue;
    }
    uint32_t next = cp == 0xD7FF ? 0xE000 : cp + 1; /* skip the surrogates */
    memcpy(out, v, at);
    *out_len = at + utf8_encode(next, out + at);
    return TRUNC_CUT;
  }
  return TRUNC_NONE;
}

size_t trunc_utf8_whole(const uint8_t *p, size_t n) {
  size_t i = 0, last = 0;
  while (i < n) {
    uint8_t c = p[i];
    size_t k = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (!k || i + k > n) break;
    i += k;
    last = i;
  }
  return last;
}

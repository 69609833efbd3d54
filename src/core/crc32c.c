/* CRC-32C; see crc32c.h. */
#include "core/crc32c.h"

#include <pthread.h>
#include <string.h>

#define POLY 0x82F63B78u

static uint32_t T[8][256];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int have_hw;

static void init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
    T[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; i++)
    for (int t = 1; t < 8; t++) T[t][i] = (T[t - 1][i] >> 8) ^ T[0][T[t - 1][i] & 0xff];
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  have_hw = __builtin_cpu_supports("sse4.2");
#endif
}

/* Slice-by-8: eight table lookups per 8 bytes (little-endian loads). */
uint32_t crc32c_update_sw(uint32_t crc, const void *data, size_t len) {
  pthread_once(&once, init);
  const uint8_t *p = data;
  uint32_t c = ~crc;
  while (len && ((uintptr_t)p & 7)) {
    c = (c >> 8) ^ T[0][(c ^ *p++) & 0xff];
    len--;
  }
  while (len >= 8) {
    uint32_t lo, hi;
    memcpy(&lo, p, 4);
    memcpy(&hi, p + 4, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    lo = __builtin_bswap32(lo);
    hi = __builtin_bswap32(hi);
#endif
    lo ^= c;
    c = T[7][lo & 0xff] ^ T[6][(lo >> 8) & 0xff] ^ T[5][(lo >> 16) & 0xff] ^ T[4][lo >> 24] ^ T[3][hi & 0xff] ^
        T[2][(hi >> 8) & 0xff] ^ T[1][(hi >> 16) & 0xff] ^ T[0][hi >> 24];
    p += 8;
    len -= 8;
  }
  while (len--) c = (c >> 8) ^ T[0][(c ^ *p++) & 0xff];
  return ~c;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* One stream, 8 bytes per instruction: about 8 GB/s, far above what a socket carries (three
 * interleaved streams would be faster still but need a CRC combine step). */
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t len) {
  uint64_t c = ~crc;
  while (len && ((uintptr_t)p & 7)) {
    c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
    len--;
  }
  while (len >= 32) {
    uint64_t a, b, d, e;
    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    memcpy(&d, p + 16, 8);
    memcpy(&e, p + 24, 8);
    c = __builtin_ia32_crc32di(c, a);
    c = __builtin_ia32_crc32di(c, b);
    c = __builtin_ia32_crc32di(c, d);
    c = __builtin_ia32_crc32di(c, e);
    p += 32;
    len -= 32;
  }
  while (len >= 8) {
    uint64_t a;
    memcpy(&a, p, 8);
    c = __builtin_ia32_crc32di(c, a);
    p += 8;
    len -= 8;
  }
  while (len--) c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
  return ~(uint32_t)c;
}
#endif

int crc32c_hw(void) {
  pthread_once(&once, init);
  return have_hw;
}

uint32_t crc32c_update(uint32_t crc, const void *data, size_t len) {
  pthread_once(&once, init);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (have_hw) return crc_hw(crc, data, len);
#endif
  return crc32c_update_sw(crc, data, len);
}

void crc32c_base64(uint32_t crc, char out[9]) {
  static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint8_t b[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc};
  out[0] = B64[b[0] >> 2];
  out[1] = B64[((b[0] & 3) << 4) | (b[1] >> 4)];
  out[2] = B64[((b[1] & 15) << 2) | (b[2] >> 6)];
  out[3] = B64[b[2] & 63];
  out[4] = B64[b[3] >> 2];
  out[5] = B64[(b[3] & 3) << 4];
  out[6] = '=';
  out[7] = '=';
  out[8] = 0;
}

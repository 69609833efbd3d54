#include <stdio.h>
#include <string.h>

#include "prestige/arrow.h"

int prestige_decimal128_format(const uint8_t *le16, int32_t scale, char *out, size_t n) {
  __int128 v;
  memcpy(&v, le16, 16);
  char digits[48];
  int k = 0;
  bool neg = v < 0;
  unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
  do {
    digits[k++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u);
  if (scale < 0) scale = 0;
  if (scale > 40) scale = 40;
  while (k <= scale) digits[k++] = '0';
  char buf[96];
  size_t o = 0;
  if (neg) buf[o++] = '-';
  for (int j = k - 1; j >= 0; j--) {
    buf[o++] = digits[j];
    if (j == scale && scale > 0) buf[o++] = '.';
  }
  buf[o] = 0;
  return snprintf(out, n, "%s", buf);
}

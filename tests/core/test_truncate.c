/* Statistics bound truncation (core/truncate.h): hand cases for binary and UTF-8, and random
 * UTF-8 strings whose truncated bounds must enclose every string they came from. */
#include <string.h>

#include "core/truncate.h"
#include "core/utf8.h"
#include "test.h"

static int cmp_bytes(const uint8_t *a, size_t al, const uint8_t *b, size_t bl) {
  size_t n = al < bl ? al : bl;
  int c = n ? memcmp(a, b, n) : 0;
  return c ? c : (al > bl) - (al < bl);
}

static void upper_bytes(const char *v, size_t len, size_t limit, trunc_result_t want, const char *want_v, size_t want_len) {
  uint8_t out[64];
  size_t n = 999;
  trunc_result_t r = trunc_upper_bytes((const uint8_t *)v, len, limit, out, &n);
  CHECK_MSG(r == want, "upper_bytes(len %zu, limit %zu): result %d, want %d", len, limit, (int)r, (int)want);
  if (r == TRUNC_CUT && want == TRUNC_CUT)
    CHECK_MSG(n == want_len && !memcmp(out, want_v, n), "upper_bytes(len %zu, limit %zu): wrong bytes", len, limit);
}

static void upper_utf8(const char *v, size_t max_cp, trunc_result_t want, const char *want_v) {
  uint8_t out[64];
  size_t n = 999, len = strlen(v);
  trunc_result_t r = trunc_upper_utf8((const uint8_t *)v, len, max_cp, out, &n);
  CHECK_MSG(r == want, "upper_utf8(%s, %zu): result %d, want %d", v, max_cp, (int)r, (int)want);
  if (r == TRUNC_CUT && want == TRUNC_CUT)
    CHECK_MSG(n == strlen(want_v) && !memcmp(out, want_v, n), "upper_utf8(%s, %zu) = %.*s, want %s", v, max_cp, (int)n,
              out, want_v);
}

TEST(binary_hand_cases) {
  CHECK_EQ_INT(trunc_lower_bytes(10, 4), 4);
  CHECK_EQ_INT(trunc_lower_bytes(3, 4), 3);
  CHECK_EQ_INT(trunc_lower_bytes(0, 0), 0);
  upper_bytes("abcdef", 6, 6, TRUNC_SAME, NULL, 0);
  upper_bytes("abcdef", 6, 10, TRUNC_SAME, NULL, 0);
  upper_bytes("abcdef", 6, 3, TRUNC_CUT, "abd", 3);
  upper_bytes("ab\xff\xff" "c", 5, 4, TRUNC_CUT, "ac", 2);   /* carry over 0xff */
  upper_bytes("a\xfe\xff" "z", 4, 3, TRUNC_CUT, "a\xff", 2); /* 0xfe becomes 0xff */
  upper_bytes("\xff\xff\xff", 3, 2, TRUNC_NONE, NULL, 0);
  upper_bytes("\xff\xff" "a", 3, 2, TRUNC_NONE, NULL, 0); /* only the prefix counts */
  upper_bytes("abc", 3, 0, TRUNC_NONE, NULL, 0);           /* nothing left to increment */
  upper_bytes("", 0, 0, TRUNC_SAME, NULL, 0);
}

TEST(utf8_hand_cases) {
  const char *m = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; /* a é € 😀 */
  CHECK_EQ_INT(trunc_lower_utf8((const uint8_t *)m, strlen(m), 0), 0);
  CHECK_EQ_INT(trunc_lower_utf8((const uint8_t *)m, strlen(m), 1), 1);
  CHECK_EQ_INT(trunc_lower_utf8((const uint8_t *)m, strlen(m), 2), 3);
  CHECK_EQ_INT(trunc_lower_utf8((const uint8_t *)m, strlen(m), 3), 6);
  CHECK_EQ_INT(trunc_lower_utf8((const uint8_t *)m, strlen(m), 4), 10);
  CHECK_EQ_INT(trunc_lower_utf8((const uint8_t *)m, strlen(m), 99), 10);
  upper_utf8(m, 4, TRUNC_SAME, NULL);
  upper_utf8(m, 2, TRUNC_CUT, "a\xc3\xaa");              /* é -> ê */
  upper_utf8(m, 3, TRUNC_CUT, "a\xc3\xa9\xe2\x82\xad");  /* € (U+20AC) -> U+20AD */
  upper_utf8("iceberg-table-name-longer", 16, TRUNC_CUT, "iceberg-table-nb");
  upper_utf8("\x7f" "a", 1, TRUNC_CUT, "\xc2\x80");        /* U+007F -> U+0080: one byte longer */
  upper_utf8("\xdf\xbf" "a", 1, TRUNC_CUT, "\xe0\xa0\x80"); /* U+07FF -> U+0800 */
  upper_utf8("\xef\xbf\xbf" "a", 1, TRUNC_CUT, "\xf0\x90\x80\x80"); /* U+FFFF -> U+10000 */
  upper_utf8("\xed\x9f\xbfzz", 1, TRUNC_CUT, "\xee\x80\x80");      /* U+D7FF skips the surrogates */
  upper_utf8("a\xf4\x8f\xbf\xbf" "b", 2, TRUNC_CUT, "b");          /* U+10FFFF carries left */
  upper_utf8("\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf" "b", 2, TRUNC_NONE, NULL);
  upper_utf8("abc", 0, TRUNC_NONE, NULL);
  /* whole code points of a byte-cut prefix */
  CHECK_EQ_INT(trunc_utf8_whole((const uint8_t *)m, 5), 3);
  CHECK_EQ_INT(trunc_utf8_whole((const uint8_t *)m, 6), 6);
  CHECK_EQ_INT(trunc_utf8_whole((const uint8_t *)m, 9), 6);
  CHECK_EQ_INT(trunc_utf8_whole((const uint8_t *)m, 10), 10);
  CHECK_EQ_INT(trunc_utf8_whole((const uint8_t *)"\x80" "a", 2), 0);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}

/* A random code point, biased to the edges where increments change length or carry. */
static uint32_t rand_cp(void) {
  static const uint32_t edges[] = {0x00, 0x41, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF};
  uint32_t k = next_rand() % 4;
  if (k == 0) return edges[next_rand() % (sizeof(edges) / sizeof(edges[0]))];
  if (k == 1) return 0x61 + next_rand() % 3; /* a few letters: shared prefixes */
  uint32_t cp = next_rand() % 0x110000;
  return cp >= 0xD800 && cp <= 0xDFFF ? cp - 0x800 : cp;
}

/* Random valid strings: the lower bound of each (and of the minimum) sorts at or before it, the
 * upper bound of the maximum at or after every string; the bounds are valid UTF-8 of at most
 * max_cp code points. */
TEST(utf8_random_bounds) {
  enum { SETS = 400, PER = 12, MAXCP = 8 };
  int bad = 0;
  for (int set = 0; set < SETS; set++) {
    uint8_t s[PER][MAXCP * 2 * 4];
    size_t len[PER];
    size_t mn = 0, mx = 0;
    for (int i = 0; i < PER; i++) {
      size_t cps = next_rand() % (MAXCP * 2);
      len[i] = 0;
      for (size_t k = 0; k < cps; k++) len[i] += utf8_encode(rand_cp(), s[i] + len[i]);
      CHECK(utf8_check(s[i], len[i]) == len[i]);
      if (cmp_bytes(s[i], len[i], s[mn], len[mn]) < 0) mn = (size_t)i;
      if (cmp_bytes(s[i], len[i], s[mx], len[mx]) > 0) mx = (size_t)i;
    }
    size_t max_cp = next_rand() % (MAXCP + 1);
    size_t lo = trunc_lower_utf8(s[mn], len[mn], max_cp);
    uint8_t up[MAXCP * 4 + 1];
    size_t upl = 0;
    trunc_result_t r = trunc_upper_utf8(s[mx], len[mx], max_cp, up, &upl);
    CHECK(lo <= len[mn] && utf8_check(s[mn], lo) == lo);
    if (r == TRUNC_CUT) {
      CHECK(upl <= trunc_lower_utf8(s[mx], len[mx], max_cp) + 1);
      CHECK(utf8_check(up, upl) == upl);
      size_t cps = 0;
      for (size_t i = 0; i < upl; i++) cps += (up[i] & 0xC0) != 0x80;
      CHECK(cps <= max_cp);
    }
    for (int i = 0; i < PER; i++) {
      if (cmp_bytes(s[mn], lo, s[i], len[i]) > 0) bad++;
      if (r == TRUNC_CUT && cmp_bytes(up, upl, s[i], len[i]) < 0) bad++;
      if (r == TRUNC_SAME && cmp_bytes(s[mx], len[mx], s[i], len[i]) < 0) bad++;
    }
    if (r == TRUNC_SAME) CHECK(len[mx] == trunc_lower_utf8(s[mx], len[mx], max_cp));
    if (r == TRUNC_NONE) { /* only when every code point of the prefix is U+10FFFF */
      size_t p = trunc_lower_utf8(s[mx], len[mx], max_cp);
      for (size_t i = 0; i < p; i += 4) CHECK(p - i >= 4 && !memcmp(s[mx] + i, "\xf4\x8f\xbf\xbf", 4));
    }
  }
  CHECK_MSG(bad == 0, "%d strings fell outside their truncated bounds", bad);
}

/* The same for binary values, with bytes biased to 0xff. */
TEST(binary_random_bounds) {
  int bad = 0;
  for (int set = 0; set < 400; set++) {
    uint8_t s[12][20];
    size_t len[12], mn = 0, mx = 0;
    for (int i = 0; i < 12; i++) {
      len[i] = next_rand() % 20;
      for (size_t k = 0; k < len[i]; k++) s[i][k] = next_rand() % 3 ? 0xff : (uint8_t)next_rand();
      if (cmp_bytes(s[i], len[i], s[mn], len[mn]) < 0) mn = (size_t)i;
      if (cmp_bytes(s[i], len[i], s[mx], len[mx]) > 0) mx = (size_t)i;
    }
    size_t limit = next_rand() % 10, upl = 0;
    uint8_t up[20];
    size_t lo = trunc_lower_bytes(len[mn], limit);
    trunc_result_t r = trunc_upper_bytes(s[mx], len[mx], limit, up, &upl);
    if (r == TRUNC_CUT) CHECK(upl <= limit);
    for (int i = 0; i < 12; i++) {
      if (cmp_bytes(s[mn], lo, s[i], len[i]) > 0) bad++;
      if (r == TRUNC_CUT && cmp_bytes(up, upl, s[i], len[i]) < 0) bad++;
    }
  }
  CHECK_MSG(bad == 0, "%d values fell outside their truncated bounds", bad);
}

TEST_MAIN(RUN(binary_hand_cases); RUN(utf8_hand_cases); RUN(utf8_random_bounds); RUN(binary_random_bounds);)

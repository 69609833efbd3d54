/* Deletion vectors: the golden blobs of apache/iceberg (tests/iceberg/golden/dv) decode to the
 * positions their Java test writes and our encoder writes the same bytes; random position sets
 * round-trip (array, bitset and run containers, several 32-bit bitmaps); corrupt blobs are
 * ECORRUPT naming what is wrong. */
#include <stdio.h>
#include <stdlib.h>

#include "iceberg/puffin.h"
#include "iceberg/roaring.h"
#include "test.h"

static prestige_error_t err;

static uint8_t *slurp(const char *name, size_t *len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/iceberg/golden/dv/%s", test_root(), name);
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *b = malloc(1 << 16);
  *len = fread(b, 1, 1 << 16, f);
  fclose(f);
  return b;
}

#define BITMAP (0xFFFFFFFFLL + 1)
#define CONT (65535LL + 1)
static int64_t P(int64_t bm, int64_t c, int64_t v) { return bm * BITMAP + c * CONT + v; }

static size_t add_range(int64_t *out, size_t n, int64_t a, int64_t b) { /* [a, b) */
  for (int64_t x = a; x < b; x++) out[n++] = x;
  return n;
}

static void golden(const char *name, const int64_t *want, size_t n_want) {
  size_t len = 0;
  uint8_t *bytes = slurp(name, &len);
  CHECK_MSG(bytes != NULL, "golden file %s", name);
  if (!bytes) return;
  int64_t *pos = NULL;
  size_t n = 0;
  CHECK_OK(ice_dv_decode(bytes, len, name, &pos, &n, &err));
  CHECK_EQ_INT((int64_t)n, (int64_t)n_want);
  bool same = n == n_want;
  for (size_t i = 0; same && i < n; i++) same = pos[i] == want[i];
  CHECK_MSG(same, "%s: positions differ", name);
  buf_t out = BUF_INIT;
  CHECK_OK(ice_dv_encode(want, n_want, &out, &err));
  CHECK_MSG(out.len == len && !memcmp(out.data, bytes, len), "%s: our encoding differs (%zu bytes, golden %zu)", name, out.len, len);
  /* a flipped CRC byte */
  bytes[len - 1] ^= 1;
  int64_t *p2 = NULL;
  size_t n2;
  int rc = ice_dv_decode(bytes, len, name, &p2, &n2, &err);
  CHECK_MSG(rc == PRESTIGE_ECORRUPT && strstr(err.message, "CRC"), "%s", err.message);
  free(p2);
  buf_release(&out);
  free(pos);
  free(bytes);
}

TEST(golden_blobs) {
  golden("empty-position-index.bin", NULL, 0);
  int64_t alt[] = {1, 3, 5, 7, 9};
  golden("small-alternating-values-position-index.bin", alt, 5);
  int64_t sl[] = {100, 101, 2147483647LL + 100, 2147483647LL + 101};
  golden("small-and-large-values-position-index.bin", sl, 4);
  int64_t *all = malloc(300000 * sizeof(int64_t));
  size_t n = 0;
  all[n++] = P(0, 0, 5);
  all[n++] = P(0, 0, 7);
  n = add_range(all, n, P(0, 1, 1), P(0, 1, 1000));
  n = add_range(all, n, P(0, 2, 1), P(0, 2, CONT - 1));
  all[n++] = P(1, 0, 10);
  all[n++] = P(1, 0, 20);
  n = add_range(all, n, P(1, 1, 10), P(1, 1, 500));
  n = add_range(all, n, P(1, 2, 1), P(1, 2, CONT - 1));
  golden("all-container-types-position-index.bin", all, n);
  free(all);
}

static uint64_t rng = 12345;
static uint64_t next(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return rng;
}

static int cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

TEST(random_round_trips) {
  for (int round = 0; round < 30; round++) {
    size_t cap = 20000, n = 0;
    int64_t *v = malloc(cap * sizeof(int64_t));
    int shape = round % 3;
    for (size_t i = 0; i < cap; i++) {
      int64_t x = shape == 0 ? (int64_t)(next() % 200000)                                   /* arrays and bitsets */
                  : shape == 1 ? (int64_t)(next() % 3) * BITMAP + (int64_t)(next() % 70000) /* several bitmaps */
                               : (int64_t)(i / 1000) * 5000 + (int64_t)(i % 1000);           /* runs */
      v[n++] = x;
    }
    qsort(v, n, sizeof(int64_t), cmp);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
      if (!u || v[i] != v[u - 1]) v[u++] = v[i];
    buf_t out = BUF_INIT;
    CHECK_OK(ice_dv_encode(v, u, &out, &err));
    int64_t *back = NULL;
    size_t nb = 0;
    CHECK_OK(ice_dv_decode(out.data, out.len, "round trip", &back, &nb, &err));
    CHECK_EQ_INT((int64_t)nb, (int64_t)u);
    CHECK(nb == u && !memcmp(back, v, u * sizeof(int64_t)));
    /* truncated anywhere: an error, never a crash */
    for (size_t cut = 0; cut < out.len; cut += 1 + out.len / 37) {
      int64_t *p = NULL;
      size_t np;
      int rc = ice_dv_decode(out.data, cut, "cut", &p, &np, &err);
      CHECK(rc == PRESTIGE_ECORRUPT);
      free(p);
    }
    free(back);
    buf_release(&out);
    free(v);
  }
  int64_t bad[] = {5, 3};
  buf_t out = BUF_INIT;
  CHECK_EQ_INT(ice_dv_encode(bad, 2, &out, NULL), PRESTIGE_EINVAL);
  buf_release(&out);
}

TEST_MAIN(RUN(golden_blobs); RUN(random_round_trips);)

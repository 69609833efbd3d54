#include "parquet/codec.h"
#include "parquet/encoding.h"
#include "test.h"

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

TEST(test_spec_vectors) {
  /* Encodings.md: values 0..7 with bit width 3 bit-pack to 0x88 0xC6 0xFA */
  uint32_t v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  uint8_t out[3];
  pq_bitpack_u32(v, 8, 3, out);
  CHECK(out[0] == 0x88 && out[1] == 0xC6 && out[2] == 0xFA);
  uint32_t back[8];
  pq_bitunpack_u32(out, 8, 3, back);
  CHECK(memcmp(back, v, sizeof(v)) == 0);
  pq_rle_encoder_t *e;
  CHECK_EQ_INT(pq_rle_encoder_new(&e, 3), 0);
  pq_rle_encoder_put_u32(e, v, 8);
  buf_t b = BUF_INIT;
  pq_rle_encoder_flush(e, &b);
  const uint8_t want[] = {0x03, 0x88, 0xC6, 0xFA};
  CHECK(b.len == 4 && memcmp(b.data, want, 4) == 0);
  buf_clear(&b);
  /* 100 copies of 5 at width 3: one RLE run, header 200 (varint 0xC8 0x01), value 0x05 */
  uint32_t same[100];
  for (int i = 0; i < 100; i++) same[i] = 5;
  pq_rle_encoder_put_u32(e, same, 100);
  pq_rle_encoder_flush(e, &b);
  const uint8_t want2[] = {0xC8, 0x01, 0x05};
  CHECK(b.len == 3 && memcmp(b.data, want2, 3) == 0);
  pq_rle_encoder_free(e);
  buf_release(&b);
}

TEST(test_rle_round_trip) {
  prestige_error_t err;
  static uint32_t v[100000], got[100000];
  for (int bw = 0; bw <= 32; bw++) {
    size_t n = 1 + next_rand() % 100000;
    uint64_t mask = bw == 32 ? 0xffffffffu : ((1u << bw) - 1);
    for (size_t i = 0; i < n; i++) {
      /* mix runs and noise */
      if (i > 0 && next_rand() % 4 != 0) v[i] = v[i - 1];
      else v[i] = (uint32_t)(next_rand() & mask);
    }
    pq_rle_encoder_t *e;
    pq_rle_encoder_new(&e, bw);
    pq_rle_encoder_put_u32(e, v, n);
    buf_t b = BUF_INIT;
    pq_rle_encoder_flush(e, &b);
    pq_rle_decoder_t d;
    pq_rle_decoder_init(&d, b.data, b.len, bw);
    int rc = pq_rle_decoder_get_u32(&d, got, n, &err);
    CHECK_MSG(rc == 0 && memcmp(v, got, n * 4) == 0, "bit width %d, n %zu: %s", bw, n, err.message);
    /* asking for more values than encoded fails cleanly (padding aside) */
    pq_rle_decoder_init(&d, b.data, b.len, bw);
    (void)pq_rle_decoder_get_u32(&d, got, n + 1000, &err);
    pq_rle_encoder_free(e);
    buf_release(&b);
  }
  /* random garbage never crashes */
  for (int t = 0; t < 2000; t++) {
    uint8_t junk[64];
    for (int i = 0; i < 64; i++) junk[i] = (uint8_t)next_rand();
    pq_rle_decoder_t d;
    pq_rle_decoder_init(&d, junk, (size_t)(next_rand() % 64), (int)(next_rand() % 33));
    (void)pq_rle_decoder_get_u32(&d, got, 1000, &err);
  }
}

/* Every bit width 1..32 and lengths around the unrolled groups: unpacking equals the values packed,
 * and the RLE/bit-packed decoder read in uneven pieces (mid-group starts) equals a one-shot read. */
TEST(test_bit_widths) {
  uint32_t v[1100], got[1100];
  uint8_t packed[1100 * 4 + 8];
  for (int bw = 1; bw <= 32; bw++) {
    uint64_t mask = (1ULL << bw) - 1;
    size_t lens[] = {1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 257, 1100};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
      size_t n = lens[li];
      for (size_t i = 0; i < n; i++) v[i] = (uint32_t)(next_rand() & mask);
      size_t bytes = (n * (size_t)bw + 7) / 8;
      memset(packed, 0xAB, sizeof packed);
      pq_bitpack_u32(v, n, bw, packed);
      uint8_t *exact = malloc(bytes); /* no slack after the data: ASan sees any over-read */
      memcpy(exact, packed, bytes);
      pq_bitunpack_u32(exact, n, bw, got);
      CHECK(memcmp(v, got, n * 4) == 0);
      free(exact);
    }
    /* hybrid stream: runs and literal groups mixed, read back in pieces of 1..13 values */
    pq_rle_encoder_t *e;
    CHECK(pq_rle_encoder_new(&e, bw) == 0);
    size_t n = 0;
    while (n < 1000) {
      size_t run = 1 + next_rand() % 40;
      uint32_t val = (uint32_t)(next_rand() & mask);
      bool rep = next_rand() % 2;
      for (size_t i = 0; i < run && n < 1000; i++) v[n++] = rep ? val : (uint32_t)(next_rand() & mask);
    }
    CHECK(pq_rle_encoder_put_u32(e, v, n) == 0);
    buf_t b = BUF_INIT;
    CHECK(pq_rle_encoder_flush(e, &b) == 0);
    pq_rle_decoder_t d;
    pq_rle_decoder_init(&d, b.data, b.len, bw);
    prestige_error_t err;
    size_t at = 0;
    bool ok = true;
    while (at < n && ok) {
      size_t k = 1 + next_rand() % 13;
      if (k > n - at) k = n - at;
      ok = pq_rle_decoder_get_u32(&d, got + at, k, &err) == 0;
      at += k;
    }
    CHECK(ok && memcmp(v, got, n * 4) == 0);
    if (bw <= 15) { /* levels: the int16 path */
      int16_t lv[1000];
      pq_rle_decoder_init(&d, b.data, b.len, bw);
      CHECK(pq_rle_decoder_get_i16(&d, lv, n, &err) == 0);
      bool same = true;
      for (size_t i = 0; i < n; i++) same &= (uint32_t)lv[i] == v[i];
      CHECK(same);
    }
    buf_release(&b);
    pq_rle_encoder_free(e);
  }
}

TEST(test_delta) {
  prestige_error_t err;
  static int64_t v64[5000], g64[5000];
  static int32_t v32[5000], g32[5000];
  size_t sizes[] = {0, 1, 7, 8, 9, 127, 128, 129, 5000};
  for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
    size_t n = sizes[s];
    for (size_t i = 0; i < n; i++) {
      switch (i % 4) {
        case 0: v64[i] = (int64_t)next_rand(); v32[i] = (int32_t)next_rand(); break;
        case 1: v64[i] = INT64_MIN; v32[i] = INT32_MIN; break;
        case 2: v64[i] = INT64_MAX; v32[i] = INT32_MAX; break;
        default: v64[i] = (int64_t)i; v32[i] = (int32_t)i;
      }
    }
    buf_t b = BUF_INIT;
    size_t used;
    CHECK_OK(pq_delta_binary_encode_i64(v64, n, &b, &err));
    CHECK_OK(pq_delta_binary_decode_i64(b.data, b.len, g64, n, &used, &err));
    CHECK(memcmp(v64, g64, n * 8) == 0 && used == b.len);
    buf_clear(&b);
    CHECK_OK(pq_delta_binary_encode_i32(v32, n, &b, &err));
    CHECK_OK(pq_delta_binary_decode_i32(b.data, b.len, g32, n, &used, &err));
    CHECK(memcmp(v32, g32, n * 4) == 0 && used == b.len);
    for (size_t cut = 0; cut < b.len; cut += 1 + b.len / 20) (void)pq_delta_binary_decode_i32(b.data, cut, g32, n, &used, &err);
    buf_release(&b);
  }
  /* spec example: 1 2 3 4 5 -> header 128 4 5 2, min delta 1 (zigzag 2), widths 0 0 0 0 */
  int32_t ex[5] = {1, 2, 3, 4, 5};
  buf_t b = BUF_INIT;
  CHECK_OK(pq_delta_binary_encode_i32(ex, 5, &b, &err));
  const uint8_t want[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0};
  CHECK(b.len == sizeof(want) && memcmp(b.data, want, sizeof(want)) == 0);
  buf_release(&b);
  /* byte arrays */
  pq_byte_array_t words[6] = {{(const uint8_t *)"apple", 5}, {(const uint8_t *)"applesauce", 10}, {(const uint8_t *)"", 0},
                              {(const uint8_t *)"banana", 6}, {(const uint8_t *)"band", 4}, {(const uint8_t *)"bandana", 7}};
  for (int kind = 0; kind < 2; kind++) {
    buf_t enc = BUF_INIT, bytes = BUF_INIT;
    uint32_t lens[6];
    if (kind) CHECK_OK(pq_delta_byte_array_encode(words, 6, &enc, &err));
    else CHECK_OK(pq_delta_length_encode(words, 6, &enc, &err));
    if (kind) CHECK_OK(pq_delta_byte_array_decode(enc.data, enc.len, 6, &bytes, lens, &err));
    else CHECK_OK(pq_delta_length_decode(enc.data, enc.len, 6, &bytes, lens, &err));
    size_t pos = 0;
    for (int i = 0; i < 6; i++) {
      CHECK(lens[i] == words[i].len && memcmp(bytes.data + pos, words[i].ptr, lens[i]) == 0);
      pos += lens[i];
    }
    buf_release(&enc);
    buf_release(&bytes);
  }
}

TEST(test_bss_bool) {
  prestige_error_t err;
  double d[5] = {1.5, -2, 3.25, 1e300, 0}, back[5];
  uint8_t split[40];
  pq_byte_stream_split_encode((const uint8_t *)d, 5, 8, split);
  CHECK(split[7 * 5] == ((const uint8_t *)&d[0])[7]);
  CHECK_OK(pq_byte_stream_split_decode(split, 40, 5, 8, (uint8_t *)back, &err));
  CHECK(memcmp(d, back, 40) == 0);
  CHECK_ERR(pq_byte_stream_split_decode(split, 39, 5, 8, (uint8_t *)back, &err), PRESTIGE_ECORRUPT, "BYTE_STREAM_SPLIT");
  uint8_t bools[11] = {1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1}, packed[2], ub[11];
  pq_plain_bool_encode(bools, 11, packed);
  CHECK(packed[0] == 0x8D && packed[1] == 0x05);
  CHECK_OK(pq_plain_bool_decode(packed, 2, 11, ub, &err));
  CHECK(memcmp(bools, ub, 11) == 0);
}

TEST(test_codecs) {
  prestige_error_t err;
  pq_codec_ctx_t *ctx = pq_codec_ctx_new();
  size_t n = 1 << 20;
  uint8_t *src = malloc(n), *dst = malloc(n);
  for (size_t i = 0; i < n; i++) src[i] = (uint8_t)(i % 251 < 200 ? i % 7 : next_rand());
  pq_codec_t codecs[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP, PQ_CODEC_BROTLI, PQ_CODEC_ZSTD, PQ_CODEC_LZ4_RAW};
  for (size_t c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++) {
    size_t sizes[] = {0, 1, 100, n};
    for (size_t s = 0; s < 4; s++) {
      buf_t out = BUF_INIT;
      CHECK_OK(pq_compress(ctx, codecs[c], PQ_CODEC_DEFAULT_LEVEL, src, sizes[s], &out, &err));
      memset(dst, 0xAA, n);
      CHECK_OK(pq_decompress(ctx, codecs[c], out.data, out.len, dst, sizes[s], &err));
      CHECK_MSG(memcmp(src, dst, sizes[s]) == 0, "%s size %zu", pq_codec_name(codecs[c]), sizes[s]);
      if (sizes[s] == n && codecs[c] != PQ_CODEC_UNCOMPRESSED) {
        CHECK_MSG(out.len < n, "%s did not compress", pq_codec_name(codecs[c]));
        /* wrong expected size and corruption give ECORRUPT */
        CHECK_EQ_INT(pq_decompress(ctx, codecs[c], out.data, out.len, dst, n - 1, &err), PRESTIGE_ECORRUPT);
        CHECK(strstr(err.message, pq_codec_name(codecs[c])) != NULL);
        for (size_t i = 16; i < out.len; i += out.len / 8) out.data[i] ^= 0xff;
        (void)pq_decompress(ctx, codecs[c], out.data, out.len / 2, dst, n, &err);
      }
      buf_release(&out);
    }
  }
  CHECK_ERR(pq_compress(ctx, PQ_CODEC_LZO, 0, src, 10, &(buf_t)BUF_INIT, &err), PRESTIGE_EUNSUPPORTED, "LZO");
  CHECK_EQ_INT(pq_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
  free(src);
  free(dst);
  pq_codec_ctx_free(ctx);
}

TEST_MAIN(RUN(test_spec_vectors); RUN(test_rle_round_trip); RUN(test_bit_widths); RUN(test_delta); RUN(test_bss_bool); RUN(test_codecs);)

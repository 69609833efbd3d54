/* CRC-32C (core/crc32c.h): RFC 3720 appendix B.4 vectors, the check value of "123456789", S3's
 * documented x-amz-checksum-crc32c text, and the hardware path against slice-by-8 on random
 * lengths, alignments and split points. */
#include <string.h>

#include "core/crc32c.h"
#include "test.h"

static uint32_t both(const void *d, size_t n) {
  uint32_t hw = crc32c_update(0, d, n), sw = crc32c_update_sw(0, d, n);
  CHECK_MSG(hw == sw, "hardware %08x != software %08x (len %zu)", hw, sw, n);
  return sw;
}

TEST(rfc3720_vectors) {
  uint8_t b[48];
  memset(b, 0, 32);
  CHECK_EQ_INT(both(b, 32), 0x8A9136AA);
  memset(b, 0xff, 32);
  CHECK_EQ_INT(both(b, 32), 0x62A8AB43);
  for (int i = 0; i < 32; i++) b[i] = (uint8_t)i;
  CHECK_EQ_INT(both(b, 32), 0x46DD794E);
  for (int i = 0; i < 32; i++) b[i] = (uint8_t)(31 - i);
  CHECK_EQ_INT(both(b, 32), 0x113FDB5C);
  /* B.4's iSCSI read command PDU */
  static const uint8_t pdu[48] = {0x01, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0x04, 0,
                                  0, 0, 0, 0x14, 0, 0, 0, 0x18, 0x28, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0};
  CHECK_EQ_INT(both(pdu, 48), 0xD9963A56);
  CHECK_EQ_INT(both("123456789", 9), 0xE3069283);
  CHECK_EQ_INT(both("", 0), 0);
}

TEST(s3_text) {
  char t[9];
  crc32c_base64(crc32c_update(0, "hello world", 11), t);
  CHECK_EQ_STR(t, "yZRlqg==");
  crc32c_base64(0, t);
  CHECK_EQ_STR(t, "AAAAAA==");
  crc32c_base64(crc32c_update(0, "Hello, World!", 13), t);
  CHECK_EQ_STR(t, "TVUQaA==");
  crc32c_base64(0xffffffffu, t);
  CHECK_EQ_STR(t, "/////w==");
}

TEST(random_splits) {
  enum { N = 70000 };
  static uint8_t buf[N + 16];
  uint64_t s = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i < sizeof buf; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    buf[i] = (uint8_t)(s >> 56);
  }
  for (int k = 0; k < 300; k++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    size_t off = (size_t)(s >> 60) & 15, len = (size_t)(s >> 20) % N, cut = len ? (size_t)(s >> 8) % len : 0;
    uint32_t whole = both(buf + off, len);
    uint32_t split = crc32c_update(crc32c_update(0, buf + off, cut), buf + off + cut, len - cut);
    uint32_t split_sw = crc32c_update_sw(crc32c_update_sw(0, buf + off, cut), buf + off + cut, len - cut);
    CHECK_MSG(split == whole && split_sw == whole, "split at %zu of %zu (offset %zu)", cut, len, off);
  }
  /* a bit flipped anywhere changes the CRC */
  uint32_t ref = crc32c_update(0, buf, 4096);
  for (int bit = 0; bit < 4096 * 8; bit += 97) {
    buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    CHECK(crc32c_update(0, buf, 4096) != ref);
    buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
}

TEST_MAIN(RUN(rfc3720_vectors); RUN(s3_text); RUN(random_splits); printf("crc32c hardware path: %s\n", crc32c_hw() ? "yes" : "no");)

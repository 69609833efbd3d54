/* Avro block codecs (spec "Required Codecs" / "Optional Codecs"): null, deflate (raw RFC 1951,
 * no zlib header or checksum, as Java's Deflater(nowrap) writes it), snappy (the block followed
 * by the big-endian CRC32 of the uncompressed bytes), zstandard (a zstd frame). Decompression
 * never produces more than the caller's cap, so a compression bomb ends in ECORRUPT. */
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "avro/avro_internal.h"

struct avro_codec_ctx {
  ZSTD_CCtx *zc;
  ZSTD_DCtx *zd;
};

avro_codec_ctx_t *avro_codec_ctx_new(void) { return calloc(1, sizeof(avro_codec_ctx_t)); }

void avro_codec_ctx_free(avro_codec_ctx_t *c) {
  if (!c) return;
  ZSTD_freeCCtx(c->zc);
  ZSTD_freeDCtx(c->zd);
  free(c);
}

static const char *const codec_names[] = {"null", "deflate", "snappy", "zstandard"};

const char *avro_codec_name(avro_codec_t c) {
  return (unsigned)c < sizeof(codec_names) / sizeof(codec_names[0]) ? codec_names[c] : "?";
}

int avro_codec_parse(const uint8_t *name, size_t len, avro_codec_t *out, prestige_error_t *err) {
  for (int i = 0; i < 4; i++)
    if (strlen(codec_names[i]) == len && memcmp(codec_names[i], name, len) == 0) {
      *out = (avro_codec_t)i;
      return 0;
    }
  char shown[64];
  size_t n = len < sizeof(shown) - 1 ? len : sizeof(shown) - 1;
  for (size_t i = 0; i < n; i++) shown[i] = name[i] >= 0x20 && name[i] < 0x7f ? (char)name[i] : '?';
  shown[n] = '\0';
  return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "unsupported Avro codec '%s' (supported: null, deflate, snappy, zstandard)",
                            shown);
}

static uint32_t crc32_of(const uint8_t *p, size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (n > 0) {
    uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
    crc = crc32(crc, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return (uint32_t)crc;
}

static int deflate_raw(const uint8_t *src, size_t n, int level, buf_t *out, prestige_error_t *err) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (deflateInit2(&zs, level == AVRO_LEVEL_DEFAULT ? 6 : level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return prestige_error_set(err, PRESTIGE_ENOMEM, "deflate: cannot initialise");
  uLong bound = deflateBound(&zs, (uLong)n);
  if (buf_reserve(out, bound)) {
    deflateEnd(&zs);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "deflate: out of memory");
  }
  zs.next_in = (Bytef *)src;
  zs.avail_in = (uInt)n;
  zs.next_out = out->data + out->len;
  zs.avail_out = (uInt)bound;
  int rc = deflate(&zs, Z_FINISH);
  size_t got = bound - zs.avail_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return prestige_error_set(err, PRESTIGE_EINTERNAL, "deflate failed (%d)", rc);
  out->len += got;
  return 0;
}

int avro_compress(avro_codec_ctx_t *c, avro_codec_t codec, int level, const uint8_t *src, size_t n, buf_t *out,
                  prestige_error_t *err) {
  switch (codec) {
    case AVRO_CODEC_NULL: return buf_append(out, src, n) ? prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory") : 0;
    case AVRO_CODEC_DEFLATE: return deflate_raw(src, n, level, out, err);
    case AVRO_CODEC_SNAPPY: {
      size_t bound = snappy_max_compressed_length(n);
      if (buf_reserve(out, bound + 4)) return prestige_error_set(err, PRESTIGE_ENOMEM, "snappy: out of memory");
      size_t got = bound;
      if (snappy_compress((const char *)src, n, (char *)out->data + out->len, &got) != SNAPPY_OK)
        return prestige_error_set(err, PRESTIGE_EINTERNAL, "snappy compression failed");
      out->len += got;
      uint32_t crc = crc32_of(src, n);
      uint8_t be[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc};
      return buf_append(out, be, 4) ? prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory") : 0;
    }
    case AVRO_CODEC_ZSTANDARD: {
      if (!c->zc && !(c->zc = ZSTD_createCCtx())) return prestige_error_set(err, PRESTIGE_ENOMEM, "zstd: out of memory");
      size_t bound = ZSTD_compressBound(n);
      if (buf_reserve(out, bound)) return prestige_error_set(err, PRESTIGE_ENOMEM, "zstd: out of memory");
      size_t got = ZSTD_compressCCtx(c->zc, out->data + out->len, bound, src, n, level == AVRO_LEVEL_DEFAULT ? 3 : level);
      if (ZSTD_isError(got)) return prestige_error_set(err, PRESTIGE_EINTERNAL, "zstd: %s", ZSTD_getErrorName(got));
      out->len += got;
      return 0;
    }
  }
  return prestige_error_set(err, PRESTIGE_EINVAL, "unknown Avro codec %d", (int)codec);
}

static int too_big(const char *codec, size_t cap, prestige_error_t *err) {
  return prestige_error_set(err, PRESTIGE_ECORRUPT,
                            "%s block decompresses to more than max_block_bytes (%zu bytes)", codec, cap);
}

/* Output grows by doubling up to cap, so a bomb costs at most cap bytes before it is refused. */
static int grow_for(buf_t *out, size_t cap, const char *codec, prestige_error_t *err) {
  if (out->len >= cap) return too_big(codec, cap, err);
  size_t want = out->cap ? out->cap * 2 : 65536;
  if (want > cap) want = cap;
  if (want <= out->len) want = out->len + 1;
  if (buf_reserve(out, want - out->len)) return prestige_error_set(err, PRESTIGE_ENOMEM, "%s: out of memory", codec);
  return 0;
}

static int inflate_raw(const uint8_t *src, size_t n, size_t cap, buf_t *out, prestige_error_t *err) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, -15) != Z_OK) return prestige_error_set(err, PRESTIGE_ENOMEM, "deflate: cannot initialise");
  zs.next_in = (Bytef *)src;
  size_t left = n;
  int rc;
  for (;;) {
    uint8_t probe; /* at the cap: one more byte of output means the block is too big */
    uint8_t *dst = &probe;
    size_t room = 1;
    if (out->len < cap) {
      if (out->cap == out->len && (rc = grow_for(out, cap, "deflate", err)) != 0) break;
      dst = out->data + out->len;
      room = (out->cap < cap ? out->cap : cap) - out->len;
    }
    uInt in_chunk = left > (1u << 30) ? (1u << 30) : (uInt)left;
    uInt out_chunk = room > (1u << 30) ? (1u << 30) : (uInt)room;
    zs.avail_in = in_chunk;
    zs.next_out = dst;
    zs.avail_out = out_chunk;
    int z = inflate(&zs, Z_NO_FLUSH);
    size_t made = out_chunk - zs.avail_out;
    left -= in_chunk - zs.avail_in;
    if (dst == &probe && made) {
      rc = too_big("deflate", cap, err);
      break;
    }
    if (dst != &probe) out->len += made;
    if (z == Z_STREAM_END) {
      rc = 0;
      break;
    }
    if (z != Z_OK && z != Z_BUF_ERROR) {
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "deflate data is corrupt: %s", zs.msg ? zs.msg : "inflate error");
      break;
    }
    if (left == 0 && zs.avail_out > 0) {
      rc = prestige_error_set(err, PRESTIGE_ECORRUPT, "deflate data ends early (truncated block)");
      break;
    }
  }
  inflateEnd(&zs);
  return rc;
}

static int unsnappy(const uint8_t *src, size_t n, size_t cap, buf_t *out, prestige_error_t *err) {
  if (n < 4) return prestige_error_set(err, PRESTIGE_ECORRUPT, "snappy block of %zu bytes is too short for its CRC", n);
  size_t len;
  if (snappy_uncompressed_length((const char *)src, n - 4, &len) != SNAPPY_OK)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "snappy block has a corrupt length header");
  if (len > cap) return too_big("snappy", cap, err);
  if (buf_reserve(out, len ? len : 1)) return prestige_error_set(err, PRESTIGE_ENOMEM, "snappy: out of memory");
  size_t got = len;
  if (snappy_uncompress((const char *)src, n - 4, (char *)out->data, &got) != SNAPPY_OK || got != len)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "snappy data is corrupt");
  out->len = len;
  const uint8_t *c = src + n - 4;
  uint32_t want = (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3];
  uint32_t have = crc32_of(out->data, len);
  if (want != have)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "snappy block CRC32 mismatch (stored %08x, computed %08x)", want,
                              have);
  return 0;
}

static int unzstd(avro_codec_ctx_t *c, const uint8_t *src, size_t n, size_t cap, buf_t *out, prestige_error_t *err) {
  if (!c->zd && !(c->zd = ZSTD_createDCtx())) return prestige_error_set(err, PRESTIGE_ENOMEM, "zstd: out of memory");
  ZSTD_DCtx_reset(c->zd, ZSTD_reset_session_only);
  unsigned long long declared = ZSTD_getFrameContentSize(src, n);
  if (declared != ZSTD_CONTENTSIZE_ERROR && declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > cap)
    return too_big("zstandard", cap, err);
  ZSTD_inBuffer in = {src, n, 0};
  size_t rc = 1;
  while (in.pos < in.size || rc != 0) {
    uint8_t probe; /* at the cap: one more byte of output means the block is too big */
    ZSTD_outBuffer ob = {&probe, 1, 0};
    if (out->len < cap) {
      if (out->cap == out->len) PRESTIGE_TRY(grow_for(out, cap, "zstandard", err));
      ob.dst = out->data + out->len;
      ob.size = (out->cap < cap ? out->cap : cap) - out->len;
    }
    size_t in_before = in.pos;
    rc = ZSTD_decompressStream(c->zd, &ob, &in);
    if (ZSTD_isError(rc)) return prestige_error_set(err, PRESTIGE_ECORRUPT, "zstandard data is corrupt: %s", ZSTD_getErrorName(rc));
    if (ob.dst == &probe) {
      if (ob.pos) return too_big("zstandard", cap, err);
    } else {
      out->len += ob.pos;
    }
    if (rc != 0 && in.pos == in.size && ob.pos < ob.size)
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "zstandard data ends early (truncated frame)");
    if (rc != 0 && in.pos == in_before && ob.pos == 0 && ob.dst == &probe)
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "zstandard data makes no progress");
  }
  return 0;
}

int avro_decompress(avro_codec_ctx_t *c, avro_codec_t codec, const uint8_t *src, size_t n, size_t cap, buf_t *out,
                    prestige_error_t *err) {
  buf_clear(out);
  switch (codec) {
    case AVRO_CODEC_NULL:
      if (n > cap) return too_big("null", cap, err);
      return buf_append(out, src, n) ? prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory") : 0;
    case AVRO_CODEC_DEFLATE: return inflate_raw(src, n, cap, out, err);
    case AVRO_CODEC_SNAPPY: return unsnappy(src, n, cap, out, err);
    case AVRO_CODEC_ZSTANDARD: return unzstd(c, src, n, cap, out, err);
  }
  return prestige_error_set(err, PRESTIGE_EINVAL, "unknown Avro codec %d", (int)codec);
}

#include "parquet/codec.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <lz4.h>
#include <lz4frame.h>
#include <pthread.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

struct pq_codec_ctx {
  ZSTD_CCtx *zc;
  ZSTD_DCtx *zd;
};

/* ZSTD compression contexts outlive their writers, a few of them: a writer per file (the sink
 * rotating every 100k rows) would otherwise allocate and first-touch megabytes of fresh tables
 * for every column of every file (page faults were a tenth of the sink's profile). Bounded: at
 * most CCTX_CACHE contexts wait here; the rest are freed. */
enum { CCTX_CACHE = 8 };
static pthread_mutex_t cctx_mu = PTHREAD_MUTEX_INITIALIZER;
static ZSTD_CCtx *cctx_cache[CCTX_CACHE];
static int cctx_cached;

static ZSTD_CCtx *cctx_take(void) {
  ZSTD_CCtx *z = NULL;
  pthread_mutex_lock(&cctx_mu);
  if (cctx_cached) z = cctx_cache[--cctx_cached];
  pthread_mutex_unlock(&cctx_mu);
  return z ? z : ZSTD_createCCtx();
}

static void cctx_give(ZSTD_CCtx *z) {
  if (!z) return;
  pthread_mutex_lock(&cctx_mu);
  if (cctx_cached < CCTX_CACHE) {
    cctx_cache[cctx_cached++] = z;
    z = NULL;
  }
  pthread_mutex_unlock(&cctx_mu);
  ZSTD_freeCCtx(z);
}

pq_codec_ctx_t *pq_codec_ctx_new(void) {
  pq_codec_ctx_t *c = calloc(1, sizeof(*c));
  return c;
}

void pq_codec_ctx_free(pq_codec_ctx_t *c) {
  if (!c) return;
  cctx_give(c->zc);
  ZSTD_freeDCtx(c->zd);
  free(c);
}

bool pq_codec_supported(pq_codec_t codec) {
  return codec == PQ_CODEC_UNCOMPRESSED || codec == PQ_CODEC_SNAPPY || codec == PQ_CODEC_GZIP ||
         codec == PQ_CODEC_BROTLI || codec == PQ_CODEC_ZSTD || codec == PQ_CODEC_LZ4_RAW || codec == PQ_CODEC_LZ4;
}

const char *pq_codec_name(pq_codec_t c) {
  static const char *const n[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"};
  return (unsigned)c < 8 ? n[c] : "UNKNOWN";
}

uint32_t pq_crc32(const uint8_t *data, size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (n > 0) {
    uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
    crc = crc32(crc, data, chunk);
    data += chunk;
    n -= chunk;
  }
  return (uint32_t)crc;
}

static int nomem(prestige_error_t *err, pq_codec_t c) {
  return prestige_error_set(err, PRESTIGE_ENOMEM, "%s compression: out of memory", pq_codec_name(c));
}

static int gzip_compress(int level, const uint8_t *src, size_t n, buf_t *out, prestige_error_t *err) {
  z_stream zs;
  memset(&zs, 0, sizeof(zs));
  if (deflateInit2(&zs, level == PQ_CODEC_DEFAULT_LEVEL ? 6 : level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return prestige_error_set(err, PRESTIGE_EINVAL, "GZIP compression: bad level %d", level);
  size_t bound = deflateBound(&zs, (uLong)n);
  if (buf_reserve(out, bound)) {
    deflateEnd(&zs);
    return nomem(err, PQ_CODEC_GZIP);
  }
  zs.next_in = (Bytef *)src;
  zs.avail_in = (uInt)n;
  zs.next_out = out->data + out->len;
  zs.avail_out = (uInt)bound;
  int rc = deflate(&zs, Z_FINISH);
  size_t produced = bound - zs.avail_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return prestige_error_set(err, PRESTIGE_EINTERNAL, "GZIP compression failed (%d)", rc);
  out->len += produced;
  return 0;
}

static int gzip_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len, prestige_error_t *err) {
  size_t produced = 0;
  const uint8_t *p = src;
  size_t left = n;
  while (left > 0) {
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 32) != Z_OK) return nomem(err, PQ_CODEC_GZIP); /* gzip or zlib header */
    zs.next_in = (Bytef *)p;
    zs.avail_in = (uInt)left;
    zs.next_out = dst + produced;
    zs.avail_out = (uInt)(dst_len - produced);
    int rc = inflate(&zs, Z_FINISH);
    size_t used = left - zs.avail_in;
    produced = dst_len - zs.avail_out;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END)
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "GZIP data is corrupt or longer than the %zu bytes expected (%s)",
                                dst_len, rc == Z_BUF_ERROR ? "output does not fit" : "bad stream");
    p += used;
    left -= used;
    if (produced == dst_len) break; /* trailing padding after the last member is ignored */
  }
  if (produced != dst_len)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "GZIP data decompressed to %zu bytes, expected %zu", produced, dst_len);
  return 0;
}

/* Hadoop's LZ4 framing: blocks of [4-byte big-endian raw size][4-byte compressed size][data]. */
static bool lz4_hadoop_shape(const uint8_t *src, size_t n, size_t dst_len) {
  size_t in = 0, out = 0;
  while (in < n) {
    if (n - in < 8) return false;
    uint32_t raw = (uint32_t)src[in] << 24 | (uint32_t)src[in + 1] << 16 | (uint32_t)src[in + 2] << 8 | src[in + 3];
    uint32_t comp = (uint32_t)src[in + 4] << 24 | (uint32_t)src[in + 5] << 16 | (uint32_t)src[in + 6] << 8 | src[in + 7];
    in += 8;
    if (comp > n - in || raw > dst_len - out || comp > INT32_MAX || raw > INT32_MAX) return false;
    in += comp;
    out += raw;
  }
  return out == dst_len;
}

static int lz4_hadoop(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len) {
  size_t in = 0, out = 0;
  while (in < n) { /* the shape was checked: every block header fits */
    uint32_t raw = (uint32_t)src[in] << 24 | (uint32_t)src[in + 1] << 16 | (uint32_t)src[in + 2] << 8 | src[in + 3];
    uint32_t comp = (uint32_t)src[in + 4] << 24 | (uint32_t)src[in + 5] << 16 | (uint32_t)src[in + 6] << 8 | src[in + 7];
    in += 8;
    int got = LZ4_decompress_safe((const char *)src + in, (char *)dst + out, (int)comp, (int)raw);
    if (got != (int)raw) return -1;
    in += comp;
    out += raw;
  }
  return 0;
}

static bool lz4_frame_magic(const uint8_t *src, size_t n) {
  return n >= 4 && src[0] == 0x04 && src[1] == 0x22 && src[2] == 0x4D && src[3] == 0x18;
}

static int lz4_frame(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len) {
  LZ4F_dctx *dc;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&dc, LZ4F_VERSION))) return -1;
  size_t in = 0, out = 0;
  int rc = -1;
  while (in < n) {
    size_t src_size = n - in, dst_size = dst_len - out;
    size_t hint = LZ4F_decompress(dc, dst + out, &dst_size, src + in, &src_size, NULL);
    if (LZ4F_isError(hint)) break;
    in += src_size;
    out += dst_size;
    if (hint == 0) {
      rc = out == dst_len ? 0 : -1;
      if (rc == 0 && in < n) LZ4F_resetDecompressionContext(dc); /* concatenated frames */
      else break;
    }
    if (src_size == 0 && dst_size == 0) break;
  }
  LZ4F_freeDecompressionContext(dc);
  return rc;
}

int pq_compress(pq_codec_ctx_t *ctx, pq_codec_t codec, int level, const uint8_t *src, size_t n, buf_t *out,
                prestige_error_t *err) {
  switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
      if (buf_append(out, src, n)) return nomem(err, codec);
      return 0;
    case PQ_CODEC_SNAPPY: {
      size_t bound = snappy_max_compressed_length(n);
      if (buf_reserve(out, bound)) return nomem(err, codec);
      size_t got = bound;
      if (snappy_compress((const char *)src, n, (char *)out->data + out->len, &got) != SNAPPY_OK)
        return prestige_error_set(err, PRESTIGE_EINTERNAL, "SNAPPY compression failed");
      out->len += got;
      return 0;
    }
    case PQ_CODEC_GZIP: return gzip_compress(level, src, n, out, err);
    case PQ_CODEC_BROTLI: {
      size_t bound = BrotliEncoderMaxCompressedSize(n);
      if (bound == 0) bound = n + 1024;
      if (buf_reserve(out, bound)) return nomem(err, codec);
      size_t got = bound;
      int q = level == PQ_CODEC_DEFAULT_LEVEL ? 1 : level; /* Arrow C++ default brotli level is 1 */
      if (!BrotliEncoderCompress(q, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, n, src, &got, out->data + out->len))
        return prestige_error_set(err, PRESTIGE_EINVAL, "BROTLI compression failed (level %d)", q);
      out->len += got;
      return 0;
    }
    case PQ_CODEC_ZSTD: {
      if (!ctx->zc && !(ctx->zc = cctx_take())) return nomem(err, codec);
      size_t bound = ZSTD_compressBound(n);
      if (buf_reserve(out, bound)) return nomem(err, codec);
      int l = level == PQ_CODEC_DEFAULT_LEVEL ? ZSTD_CLEVEL_DEFAULT : level; /* 3, as DuckDB and pyarrow */
      size_t got = ZSTD_compressCCtx(ctx->zc, out->data + out->len, bound, src, n, l);
      if (ZSTD_isError(got))
        return prestige_error_set(err, PRESTIGE_EINVAL, "ZSTD compression failed: %s", ZSTD_getErrorName(got));
      out->len += got;
      return 0;
    }
    case PQ_CODEC_LZ4_RAW: {
      if (n > (size_t)LZ4_MAX_INPUT_SIZE) return prestige_error_set(err, PRESTIGE_EINVAL, "LZ4_RAW: page too large");
      int bound = LZ4_compressBound((int)n);
      if (buf_reserve(out, (size_t)bound)) return nomem(err, codec);
      int got = LZ4_compress_default((const char *)src, (char *)out->data + out->len, (int)n, bound);
      if (got <= 0 && n > 0) return prestige_error_set(err, PRESTIGE_EINTERNAL, "LZ4_RAW compression failed");
      out->len += (size_t)got;
      return 0;
    }
    default:
      return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "compression codec %s is not supported for writing",
                                pq_codec_name(codec));
  }
}

int pq_decompress(pq_codec_ctx_t *ctx, pq_codec_t codec, const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len,
                  prestige_error_t *err) {
  switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
      if (n != dst_len)
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "uncompressed page of %zu bytes, header says %zu", n, dst_len);
      if (n) memcpy(dst, src, n);
      return 0;
    case PQ_CODEC_SNAPPY: {
      size_t len;
      if (snappy_uncompressed_length((const char *)src, n, &len) != SNAPPY_OK || len != dst_len)
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "SNAPPY data is corrupt or not %zu bytes long", dst_len);
      if (snappy_uncompress((const char *)src, n, (char *)dst, &len) != SNAPPY_OK || len != dst_len)
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "SNAPPY data is corrupt");
      return 0;
    }
    case PQ_CODEC_GZIP: return gzip_decompress(src, n, dst, dst_len, err);
    case PQ_CODEC_BROTLI: {
      size_t len = dst_len;
      if (BrotliDecoderDecompress(n, src, &len, dst) != BROTLI_DECODER_RESULT_SUCCESS || len != dst_len)
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "BROTLI data is corrupt or not %zu bytes long", dst_len);
      return 0;
    }
    case PQ_CODEC_ZSTD: {
      if (!ctx->zd && !(ctx->zd = ZSTD_createDCtx())) return nomem(err, codec);
      size_t got = ZSTD_decompressDCtx(ctx->zd, dst, dst_len, src, n);
      if (ZSTD_isError(got) || got != dst_len)
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "ZSTD data is corrupt or not %zu bytes long (%s)", dst_len,
                                  ZSTD_isError(got) ? ZSTD_getErrorName(got) : "wrong size");
      return 0;
    }
    case PQ_CODEC_LZ4_RAW: {
      if (n > INT32_MAX || dst_len > INT32_MAX) return prestige_error_set(err, PRESTIGE_ECORRUPT, "LZ4_RAW page too large");
      int got = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)dst_len);
      if (got != (int)dst_len)
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "LZ4_RAW data is corrupt or not %zu bytes long", dst_len);
      return 0;
    }
    case PQ_CODEC_LZ4:
      /* Hadoop framing, the LZ4 frame format or a raw block, as arrow-rs accepts. The form is
       * told from the bytes (block headers that add up, the frame magic) so that a corrupt page is
       * decoded once, up to its first error, not three times. */
      if (lz4_hadoop_shape(src, n, dst_len)) {
        if (lz4_hadoop(src, n, dst, dst_len) == 0) return 0;
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "LZ4 data (Hadoop framing) is corrupt");
      }
      if (lz4_frame_magic(src, n)) {
        if (lz4_frame(src, n, dst, dst_len) == 0) return 0;
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "LZ4 data (frame format) is corrupt or not %zu bytes long", dst_len);
      }
      if (n <= INT32_MAX && dst_len <= INT32_MAX &&
          LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)dst_len) == (int)dst_len)
        return 0;
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "LZ4 data is corrupt (neither Hadoop-framed, an LZ4 frame nor a "
                                "raw block of %zu bytes)", dst_len);
    default:
      return prestige_error_set(err, PRESTIGE_EUNSUPPORTED, "compression codec %s is not supported", pq_codec_name(codec));
  }
}

static int too_big(pq_codec_t c, size_t n, size_t claimed, uint64_t most, const char *why, prestige_error_t *err) {
  return prestige_error_set(err, PRESTIGE_ECORRUPT,
                            "the page header claims %zu uncompressed bytes, more than %zu bytes of %s can hold (at most "
                            "%llu: %s)", claimed, n, pq_codec_name(c), (unsigned long long)most, why);
}

static int zstd_check_size(const uint8_t *src, size_t n, size_t claimed, prestige_error_t *err) {
  uint64_t declared = 0, most = 0;
  bool all_declared = true;
  size_t pos = 0;
  while (pos < n) {
    size_t frame = ZSTD_findFrameCompressedSize(src + pos, n - pos);
    unsigned long long content = ZSTD_getFrameContentSize(src + pos, n - pos);
    if (ZSTD_isError(frame) || content == ZSTD_CONTENTSIZE_ERROR)
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "ZSTD data is corrupt: no valid frame at byte %zu of %zu (%s)", pos,
                                n, ZSTD_isError(frame) ? ZSTD_getErrorName(frame) : "bad frame header");
    if (content == ZSTD_CONTENTSIZE_UNKNOWN) {
      all_declared = false;
      most += (uint64_t)frame * 32768u; /* an RLE block: 3-byte header + 1 byte for 128 KiB */
    } else {
      if (content > ((uint64_t)1 << 40)) content = (uint64_t)1 << 40; /* keeps the sum from wrapping */
      declared += content;
      most += content;
    }
    pos += frame;
  }
  if (all_declared && declared != claimed)
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "ZSTD frames declare %llu bytes, the page header %zu",
                              (unsigned long long)declared, claimed);
  if (claimed > most) return too_big(PQ_CODEC_ZSTD, n, claimed, most, "its frames' sizes and 32768:1 for the rest", err);
  return 0;
}

int pq_codec_check_size(pq_codec_t codec, const uint8_t *src, size_t n, size_t claimed, prestige_error_t *err) {
  switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
      if (claimed != n)
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "uncompressed page of %zu bytes, header says %zu", n, claimed);
      return 0;
    case PQ_CODEC_SNAPPY: {
      size_t declared;
      if (snappy_uncompressed_length((const char *)src, n, &declared) != SNAPPY_OK)
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "SNAPPY data is corrupt: no valid length preamble");
      if (declared != claimed)
        return prestige_error_set(err, PRESTIGE_ECORRUPT, "SNAPPY data declares %zu bytes, the page header %zu", declared,
                                  claimed);
      uint64_t most = (uint64_t)n * 64 / 3 + 64;
      if (claimed > most) return too_big(codec, n, claimed, most, "a 3-byte copy element yields at most 64", err);
      return 0;
    }
    case PQ_CODEC_GZIP: {
      uint64_t most = (uint64_t)n * 1032;
      if (claimed > most) return too_big(codec, n, claimed, most, "deflate's ratio is at most 1032:1", err);
      return 0;
    }
    case PQ_CODEC_LZ4:
    case PQ_CODEC_LZ4_RAW: {
      uint64_t most = (uint64_t)n * 255;
      if (claimed > most) return too_big(codec, n, claimed, most, "LZ4's ratio is at most 255:1", err);
      return 0;
    }
    case PQ_CODEC_ZSTD: return zstd_check_size(src, n, claimed, err);
    default: return 0; /* BROTLI: no useful bound; unsupported codecs fail when decoded */
  }
}

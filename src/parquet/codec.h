/* Parquet page compression codecs (parquet.thrift CompressionCodec values). */
#ifndef PRESTIGE_PARQUET_CODEC_H
#define PRESTIGE_PARQUET_CODEC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "prestige/error.h"

typedef enum {
  PQ_CODEC_UNCOMPRESSED = 0,
  PQ_CODEC_SNAPPY = 1,
  PQ_CODEC_GZIP = 2,
  PQ_CODEC_LZO = 3,
  PQ_CODEC_BROTLI = 4,
  PQ_CODEC_LZ4 = 5,
  PQ_CODEC_ZSTD = 6,
  PQ_CODEC_LZ4_RAW = 7
} pq_codec_t;

#define PQ_CODEC_DEFAULT_LEVEL INT32_MIN

typedef struct pq_codec_ctx pq_codec_ctx_t;
pq_codec_ctx_t *pq_codec_ctx_new(void);
void pq_codec_ctx_free(pq_codec_ctx_t *ctx);
bool pq_codec_supported(pq_codec_t codec);
const char *pq_codec_name(pq_codec_t codec);
/* Appends the compressed form of src to out. */
int pq_compress(pq_codec_ctx_t *ctx, pq_codec_t codec, int level, const uint8_t *src, size_t n, buf_t *out,
                prestige_error_t *err);
/* Decompresses into dst, which must come out exactly dst_len bytes long (else ECORRUPT). LZ4
 * (codec 5) accepts the Hadoop framing, then the LZ4 frame format, then a raw block, as arrow-rs
 * does; GZIP accepts concatenated members. */
int pq_decompress(pq_codec_ctx_t *ctx, pq_codec_t codec, const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len,
                  prestige_error_t *err);
/* Whether n compressed bytes of this codec can decode to `claimed` bytes, by the format's own
 * limits, so that a page header claiming more is refused before anything is allocated (0, else
 * ECORRUPT naming both sizes). The bounds: UNCOMPRESSED exactly n; SNAPPY the length its preamble
 * declares, itself at most 64 bytes per 3 (a copy element); GZIP 1032:1 (deflate's limit); LZ4 and
 * LZ4_RAW 255:1 (one length byte per 255 bytes of match); ZSTD the content sizes its frames declare,
 * or 32768:1 for a frame that declares none (an RLE block: 4 bytes for 128 KiB). BROTLI sets no
 * useful bound (a meta-block of 16 MiB takes a few bytes: parquet-testing's large_string_map holds
 * a 1 GiB page in 1.6 KB), so only the reader's max_page_bytes limits it. */
int pq_codec_check_size(pq_codec_t codec, const uint8_t *src, size_t n, size_t claimed, prestige_error_t *err);
uint32_t pq_crc32(const uint8_t *data, size_t n);

#endif

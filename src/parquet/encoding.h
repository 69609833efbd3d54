/* Parquet value and level encodings (parquet-format Encodings.md). */
#ifndef PRESTIGE_PARQUET_ENCODING_H
#define PRESTIGE_PARQUET_ENCODING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "prestige/error.h"

typedef struct pq_byte_array {
  const uint8_t *ptr;
  uint32_t len;
} pq_byte_array_t;

int pq_bit_width(uint64_t max_value);
/* LSB-first bit packing; n need not be a multiple of 8 (the last byte is zero-padded).
 * out must hold (n * bit_width + 7) / 8 bytes. */
void pq_bitpack_u32(const uint32_t *in, size_t n, int bit_width, uint8_t *out);
void pq_bitunpack_u32(const uint8_t *in, size_t n, int bit_width, uint32_t *out);

/* RLE / bit-packed hybrid encoder; output has no length prefix. */
typedef struct pq_rle_encoder pq_rle_encoder_t;
int pq_rle_encoder_new(pq_rle_encoder_t **e, int bit_width);
void pq_rle_encoder_free(pq_rle_encoder_t *e);
void pq_rle_encoder_reset(pq_rle_encoder_t *e, int bit_width);
int pq_rle_encoder_put_u32(pq_rle_encoder_t *e, const uint32_t *v, size_t n);
int pq_rle_encoder_put_i16(pq_rle_encoder_t *e, const int16_t *v, size_t n);
int pq_rle_encoder_flush(pq_rle_encoder_t *e, buf_t *out); /* appends encoded bytes, then resets */
size_t pq_rle_encoder_estimated_size(const pq_rle_encoder_t *e);

typedef struct pq_rle_decoder {
  const uint8_t *p, *end, *base;
  int bit_width;
  uint32_t run_value;
  int64_t rle_left;    /* values left in the current RLE run */
  int64_t packed_left; /* values left in the current bit-packed run */
  const uint8_t *packed; /* start of the current bit-packed group data */
  int64_t packed_index;
} pq_rle_decoder_t;
void pq_rle_decoder_init(pq_rle_decoder_t *d, const uint8_t *data, size_t len, int bit_width);
int pq_rle_decoder_get_u32(pq_rle_decoder_t *d, uint32_t *out, size_t n, prestige_error_t *err);
int pq_rle_decoder_get_i16(pq_rle_decoder_t *d, int16_t *out, size_t n, prestige_error_t *err);
int pq_bitpacked_legacy_get_i16(const uint8_t *data, size_t len, int bit_width, int16_t *out, size_t n,
                                prestige_error_t *err);

void pq_plain_bool_encode(const uint8_t *bools_as_bytes, size_t n, uint8_t *out);
int pq_plain_bool_decode(const uint8_t *in, size_t in_len, size_t n, uint8_t *bools_as_bytes, prestige_error_t *err);

int pq_delta_binary_encode_i32(const int32_t *v, size_t n, buf_t *out, prestige_error_t *err);
int pq_delta_binary_encode_i64(const int64_t *v, size_t n, buf_t *out, prestige_error_t *err);
int pq_delta_binary_decode_i32(const uint8_t *in, size_t len, int32_t *out, size_t n, size_t *consumed,
                               prestige_error_t *err);
int pq_delta_binary_decode_i64(const uint8_t *in, size_t len, int64_t *out, size_t n, size_t *consumed,
                               prestige_error_t *err);
int pq_delta_length_encode(const pq_byte_array_t *v, size_t n, buf_t *out, prestige_error_t *err);
int pq_delta_byte_array_encode(const pq_byte_array_t *v, size_t n, buf_t *out, prestige_error_t *err);
int pq_delta_length_decode(const uint8_t *in, size_t len, size_t n, buf_t *bytes_out, uint32_t *lengths_out,
                           prestige_error_t *err);
int pq_delta_byte_array_decode(const uint8_t *in, size_t len, size_t n, buf_t *bytes_out, uint32_t *lengths_out,
                               prestige_error_t *err);
void pq_byte_stream_split_encode(const uint8_t *values, size_t n, int width, uint8_t *out);
int pq_byte_stream_split_decode(const uint8_t *in, size_t in_len, size_t n, int width, uint8_t *out,
                                prestige_error_t *err);

#endif

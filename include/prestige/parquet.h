/*
 * prestige/parquet.h — names shared by the Parquet writer and reader: compression codecs,
 * encodings and physical types, with the numeric values parquet.thrift gives them, so they
 * can be stored in files and compared with other tools' output directly.
 *
 * See prestige/parquet_writer.h and prestige/parquet_reader.h for the two halves.
 */
#ifndef PRESTIGE_PARQUET_H
#define PRESTIGE_PARQUET_H

#include "prestige/api.h"

#include "prestige/arrow.h"
#include "prestige/error.h"
#include "prestige/io.h"

#ifdef __cplusplus
extern "C" {
#endif

/* parquet.thrift CompressionCodec */
typedef enum prestige_compression {
  PRESTIGE_COMPRESSION_UNCOMPRESSED = 0,
  PRESTIGE_COMPRESSION_SNAPPY = 1,
  PRESTIGE_COMPRESSION_GZIP = 2,
  PRESTIGE_COMPRESSION_LZO = 3, /* not supported */
  PRESTIGE_COMPRESSION_BROTLI = 4,
  PRESTIGE_COMPRESSION_LZ4 = 5, /* deprecated Hadoop framing: read only */
  PRESTIGE_COMPRESSION_ZSTD = 6,
  PRESTIGE_COMPRESSION_LZ4_RAW = 7
} prestige_compression_t;

/* parquet.thrift Encoding */
typedef enum prestige_encoding {
  PRESTIGE_ENCODING_PLAIN = 0,
  PRESTIGE_ENCODING_PLAIN_DICTIONARY = 2,
  PRESTIGE_ENCODING_RLE = 3,
  PRESTIGE_ENCODING_BIT_PACKED = 4,
  PRESTIGE_ENCODING_DELTA_BINARY_PACKED = 5,
  PRESTIGE_ENCODING_DELTA_LENGTH_BYTE_ARRAY = 6,
  PRESTIGE_ENCODING_DELTA_BYTE_ARRAY = 7,
  PRESTIGE_ENCODING_RLE_DICTIONARY = 8,
  PRESTIGE_ENCODING_BYTE_STREAM_SPLIT = 9,
  PRESTIGE_ENCODING_DEFAULT = -1 /* writer option: dictionary, falling back to PLAIN */
} prestige_encoding_t;

/* parquet.thrift Type */
typedef enum prestige_physical_type {
  PRESTIGE_PHYSICAL_BOOLEAN = 0,
  PRESTIGE_PHYSICAL_INT32 = 1,
  PRESTIGE_PHYSICAL_INT64 = 2,
  PRESTIGE_PHYSICAL_INT96 = 3,
  PRESTIGE_PHYSICAL_FLOAT = 4,
  PRESTIGE_PHYSICAL_DOUBLE = 5,
  PRESTIGE_PHYSICAL_BYTE_ARRAY = 6,
  PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY = 7
} prestige_physical_type_t;

/* "snappy", "zstd", ... (lower case, as DuckDB and pyarrow spell them); NULL if unknown. */
PRESTIGE_API const char *prestige_compression_name(prestige_compression_t c);
/* Parses a codec name, case-insensitive ("none"/"uncompressed", "snappy", "gzip", "brotli",
 * "zstd", "lz4", "lz4_raw"). */
PRESTIGE_API int prestige_compression_parse(const char *name, prestige_compression_t *out, prestige_error_t *err);
PRESTIGE_API const char *prestige_encoding_name(prestige_encoding_t e);        /* "PLAIN", "RLE_DICTIONARY", ... */
PRESTIGE_API const char *prestige_physical_type_name(prestige_physical_type_t t); /* "INT32", ... */

#ifdef __cplusplus
}
#endif

#endif /* PRESTIGE_PARQUET_H */

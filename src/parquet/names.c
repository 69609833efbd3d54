#include <strings.h>

#include "prestige/parquet.h"

const char *prestige_compression_name(prestige_compression_t c) {
  switch (c) {
    case PRESTIGE_COMPRESSION_UNCOMPRESSED: return "uncompressed";
    case PRESTIGE_COMPRESSION_SNAPPY: return "snappy";
    case PRESTIGE_COMPRESSION_GZIP: return "gzip";
    case PRESTIGE_COMPRESSION_LZO: return "lzo";
    case PRESTIGE_COMPRESSION_BROTLI: return "brotli";
    case PRESTIGE_COMPRESSION_LZ4: return "lz4";
    case PRESTIGE_COMPRESSION_ZSTD: return "zstd";
    case PRESTIGE_COMPRESSION_LZ4_RAW: return "lz4_raw";
  }
  return NULL;
}

int prestige_compression_parse(const char *name, prestige_compression_t *out, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  static const struct {
    const char *name;
    prestige_compression_t c;
  } table[] = {{"none", PRESTIGE_COMPRESSION_UNCOMPRESSED},   {"uncompressed", PRESTIGE_COMPRESSION_UNCOMPRESSED},
               {"snappy", PRESTIGE_COMPRESSION_SNAPPY},       {"gzip", PRESTIGE_COMPRESSION_GZIP},
               {"brotli", PRESTIGE_COMPRESSION_BROTLI},       {"zstd", PRESTIGE_COMPRESSION_ZSTD},
               {"lz4", PRESTIGE_COMPRESSION_LZ4_RAW},         {"lz4_raw", PRESTIGE_COMPRESSION_LZ4_RAW}};
  for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
    if (strcasecmp(name, table[i].name) == 0) {
      *out = table[i].c;
      return 0;
    }
  }
  return prestige_error_set(err, PRESTIGE_EINVAL,
                            "unknown compression \"%s\" (expected none, snappy, gzip, brotli, zstd, lz4)", name);
}

const char *prestige_encoding_name(prestige_encoding_t e) {
  switch (e) {
    case PRESTIGE_ENCODING_PLAIN: return "PLAIN";
    case PRESTIGE_ENCODING_PLAIN_DICTIONARY: return "PLAIN_DICTIONARY";
    case PRESTIGE_ENCODING_RLE: return "RLE";
    case PRESTIGE_ENCODING_BIT_PACKED: return "BIT_PACKED";
    case PRESTIGE_ENCODING_DELTA_BINARY_PACKED: return "DELTA_BINARY_PACKED";
    case PRESTIGE_ENCODING_DELTA_LENGTH_BYTE_ARRAY: return "DELTA_LENGTH_BYTE_ARRAY";
    case PRESTIGE_ENCODING_DELTA_BYTE_ARRAY: return "DELTA_BYTE_ARRAY";
    case PRESTIGE_ENCODING_RLE_DICTIONARY: return "RLE_DICTIONARY";
    case PRESTIGE_ENCODING_BYTE_STREAM_SPLIT: return "BYTE_STREAM_SPLIT";
    case PRESTIGE_ENCODING_DEFAULT: return "DEFAULT";
  }
  return "UNKNOWN";
}

const char *prestige_physical_type_name(prestige_physical_type_t t) {
  switch (t) {
    case PRESTIGE_PHYSICAL_BOOLEAN: return "BOOLEAN";
    case PRESTIGE_PHYSICAL_INT32: return "INT32";
    case PRESTIGE_PHYSICAL_INT64: return "INT64";
    case PRESTIGE_PHYSICAL_INT96: return "INT96";
    case PRESTIGE_PHYSICAL_FLOAT: return "FLOAT";
    case PRESTIGE_PHYSICAL_DOUBLE: return "DOUBLE";
    case PRESTIGE_PHYSICAL_BYTE_ARRAY: return "BYTE_ARRAY";
    case PRESTIGE_PHYSICAL_FIXED_LEN_BYTE_ARRAY: return "FIXED_LEN_BYTE_ARRAY";
  }
  return "UNKNOWN";
}

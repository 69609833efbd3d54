/*
 * Parquet file metadata (parquet.thrift) as C structs, with Thrift compact encode/decode.
 * Optional scalars carry has_<field>; optional structs are pointers (NULL when absent); lists
 * are pointer + count. Decoded memory comes from the arena passed in; bytes may point into
 * the decoded buffer, which must outlive the struct.
 */
#ifndef PRESTIGE_PARQUET_METADATA_H
#define PRESTIGE_PARQUET_METADATA_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "prestige/error.h"

typedef struct pq_bytes {
  const uint8_t *ptr;
  uint32_t len;
} pq_bytes_t;

/* enums: parquet.thrift values */
enum { PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2 };
enum { PQ_PAGE_DATA = 0, PQ_PAGE_INDEX = 1, PQ_PAGE_DICTIONARY = 2, PQ_PAGE_DATA_V2 = 3 };
enum { PQ_BOUNDARY_UNORDERED = 0, PQ_BOUNDARY_ASCENDING = 1, PQ_BOUNDARY_DESCENDING = 2 };
enum {
  PQ_CT_UTF8 = 0, PQ_CT_MAP = 1, PQ_CT_MAP_KEY_VALUE = 2, PQ_CT_LIST = 3, PQ_CT_ENUM = 4, PQ_CT_DECIMAL = 5,
  PQ_CT_DATE = 6, PQ_CT_TIME_MILLIS = 7, PQ_CT_TIME_MICROS = 8, PQ_CT_TIMESTAMP_MILLIS = 9,
  PQ_CT_TIMESTAMP_MICROS = 10, PQ_CT_UINT_8 = 11, PQ_CT_UINT_16 = 12, PQ_CT_UINT_32 = 13, PQ_CT_UINT_64 = 14,
  PQ_CT_INT_8 = 15, PQ_CT_INT_16 = 16, PQ_CT_INT_32 = 17, PQ_CT_INT_64 = 18, PQ_CT_JSON = 19, PQ_CT_BSON = 20,
  PQ_CT_INTERVAL = 21
};
/* LogicalType union member ids */
enum {
  PQ_LT_NONE = 0, PQ_LT_STRING = 1, PQ_LT_MAP = 2, PQ_LT_LIST = 3, PQ_LT_ENUM = 4, PQ_LT_DECIMAL = 5,
  PQ_LT_DATE = 6, PQ_LT_TIME = 7, PQ_LT_TIMESTAMP = 8, PQ_LT_INTEGER = 10, PQ_LT_UNKNOWN = 11, PQ_LT_JSON = 12,
  PQ_LT_BSON = 13, PQ_LT_UUID = 14, PQ_LT_FLOAT16 = 15, PQ_LT_VARIANT = 16, PQ_LT_GEOMETRY = 17,
  PQ_LT_GEOGRAPHY = 18
};
enum { PQ_TIME_MILLIS = 1, PQ_TIME_MICROS = 2, PQ_TIME_NANOS = 3 };

typedef struct pq_logical_type {
  int kind; /* PQ_LT_* */
  int32_t scale, precision;  /* DECIMAL */
  bool is_adjusted_to_utc;   /* TIME, TIMESTAMP */
  int unit;                  /* TIME, TIMESTAMP: PQ_TIME_* */
  int8_t bit_width;          /* INTEGER */
  bool is_signed;            /* INTEGER */
} pq_logical_type_t;

typedef struct pq_schema_element {
  bool has_type, has_type_length, has_repetition, has_num_children, has_converted_type, has_scale,
      has_precision, has_field_id;
  int32_t type, type_length, repetition, num_children, converted_type, scale, precision, field_id;
  const char *name;
  pq_logical_type_t *logical_type;
} pq_schema_element_t;

typedef struct pq_statistics {
  bool has_max, has_min, has_null_count, has_distinct_count, has_max_value, has_min_value, has_is_max_value_exact,
      has_is_min_value_exact, has_nan_count;
  pq_bytes_t max, min, max_value, min_value;
  int64_t null_count, distinct_count;
  int64_t nan_count; /* FLOAT/DOUBLE (PARQUET-2249): absent means NaN may be present */
  bool is_max_value_exact, is_min_value_exact;
} pq_statistics_t;

typedef struct pq_size_statistics {
  bool has_unencoded_byte_array_data_bytes;
  int64_t unencoded_byte_array_data_bytes;
  int64_t *repetition_level_histogram;
  int32_t n_repetition_level_histogram;
  int64_t *definition_level_histogram;
  int32_t n_definition_level_histogram;
} pq_size_statistics_t;

typedef struct pq_key_value {
  const char *key;
  pq_bytes_t value;
  bool has_value;
} pq_key_value_t;

typedef struct pq_page_encoding_stats {
  int32_t page_type, encoding, count;
} pq_page_encoding_stats_t;

typedef struct pq_column_meta {
  int32_t type;
  int32_t *encodings;
  int32_t n_encodings;
  const char **path_in_schema;
  int32_t n_path_in_schema;
  int32_t codec;
  int64_t num_values, total_uncompressed_size, total_compressed_size;
  pq_key_value_t *key_value_metadata;
  int32_t n_key_value_metadata;
  int64_t data_page_offset;
  bool has_index_page_offset, has_dictionary_page_offset, has_bloom_filter_offset, has_bloom_filter_length;
  int64_t index_page_offset, dictionary_page_offset, bloom_filter_offset;
  int32_t bloom_filter_length;
  pq_statistics_t *statistics;
  pq_page_encoding_stats_t *encoding_stats;
  int32_t n_encoding_stats;
  pq_size_statistics_t *size_statistics;
} pq_column_meta_t;

typedef struct pq_column_chunk {
  const char *file_path; /* NULL when absent */
  int64_t file_offset;
  pq_column_meta_t *meta_data;
  bool has_offset_index, has_column_index;
  int64_t offset_index_offset, column_index_offset;
  int32_t offset_index_length, column_index_length;
  bool has_crypto_metadata, has_encrypted_column_metadata;
} pq_column_chunk_t;

typedef struct pq_sorting_column {
  int32_t column_idx;
  bool descending, nulls_first;
} pq_sorting_column_t;

typedef struct pq_row_group {
  pq_column_chunk_t *columns;
  int32_t n_columns;
  int64_t total_byte_size, num_rows;
  pq_sorting_column_t *sorting_columns;
  int32_t n_sorting_columns;
  bool has_file_offset, has_total_compressed_size, has_ordinal;
  int64_t file_offset, total_compressed_size;
  int16_t ordinal;
} pq_row_group_t;

typedef struct pq_file_metadata {
  int32_t version;
  pq_schema_element_t *schema;
  int32_t n_schema;
  int64_t num_rows;
  pq_row_group_t *row_groups;
  int32_t n_row_groups;
  pq_key_value_t *key_value_metadata;
  int32_t n_key_value_metadata;
  const char *created_by;
  int32_t n_column_orders; /* every one TypeDefinedOrder when written by prestige */
  bool has_encryption_algorithm, has_footer_signing_key_metadata;
} pq_file_metadata_t;

typedef struct pq_data_page_header {
  int32_t num_values, encoding, definition_level_encoding, repetition_level_encoding;
  pq_statistics_t *statistics;
} pq_data_page_header_t;

typedef struct pq_data_page_header_v2 {
  int32_t num_values, num_nulls, num_rows, encoding, definition_levels_byte_length, repetition_levels_byte_length;
  bool is_compressed; /* default true */
  pq_statistics_t *statistics;
} pq_data_page_header_v2_t;

typedef struct pq_dictionary_page_header {
  int32_t num_values, encoding;
  bool has_is_sorted, is_sorted;
} pq_dictionary_page_header_t;

typedef struct pq_page_header {
  int32_t type, uncompressed_page_size, compressed_page_size;
  bool has_crc;
  int32_t crc;
  pq_data_page_header_t *data_page_header;
  pq_dictionary_page_header_t *dictionary_page_header;
  pq_data_page_header_v2_t *data_page_header_v2;
} pq_page_header_t;

typedef struct pq_column_index {
  bool *null_pages;
  int32_t n_pages;
  pq_bytes_t *min_values, *max_values; /* n_pages each */
  int32_t boundary_order;
  int64_t *null_counts; /* NULL or n_pages */
  int64_t *repetition_level_histograms;
  int32_t n_repetition_level_histograms;
  int64_t *definition_level_histograms;
  int32_t n_definition_level_histograms;
  int64_t *nan_counts; /* NULL or n_pages (PARQUET-2249): absent means NaN may be present */
} pq_column_index_t;

typedef struct pq_page_location {
  int64_t offset;
  int32_t compressed_page_size;
  int64_t first_row_index;
} pq_page_location_t;

typedef struct pq_offset_index {
  pq_page_location_t *page_locations;
  int32_t n_page_locations;
  int64_t *unencoded_byte_array_data_bytes; /* NULL or n_page_locations */
} pq_offset_index_t;

int pq_file_metadata_encode(const pq_file_metadata_t *m, buf_t *out, prestige_error_t *err);
int pq_file_metadata_decode(const uint8_t *data, size_t len, arena_t *arena, pq_file_metadata_t *m, prestige_error_t *err);
int pq_page_header_encode(const pq_page_header_t *h, buf_t *out, prestige_error_t *err);
int pq_page_header_decode(const uint8_t *data, size_t len, arena_t *arena, pq_page_header_t *h, size_t *consumed,
                          prestige_error_t *err);
int pq_column_index_encode(const pq_column_index_t *ci, buf_t *out, prestige_error_t *err);
int pq_column_index_decode(const uint8_t *data, size_t len, arena_t *arena, pq_column_index_t *ci, prestige_error_t *err);
int pq_offset_index_encode(const pq_offset_index_t *oi, buf_t *out, prestige_error_t *err);
int pq_offset_index_decode(const uint8_t *data, size_t len, arena_t *arena, pq_offset_index_t *oi, prestige_error_t *err);

/* Checks what a reader relies on: the schema tree is consistent with num_children, every row
 * group has one chunk per leaf, chunk offsets and sizes lie inside the file. */
int pq_file_metadata_validate(const pq_file_metadata_t *m, uint64_t file_size, prestige_error_t *err);

const char *pq_converted_type_name(int32_t ct);
const char *pq_repetition_name(int32_t r);
const char *pq_page_type_name(int32_t t);
/* "STRING", "DECIMAL(10,2)", "TIMESTAMP(MICROS,true)", "INTEGER(8,false)" ... into out. */
void pq_logical_type_format(const pq_logical_type_t *lt, char *out, size_t n);

#endif
